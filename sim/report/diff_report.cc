#include "egress/report/diff_report.h"

#include <nlohmann/json.hpp>
#include <string>

namespace egress {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kShownTransitions = 10;
constexpr size_t kShownDrops = 10;

Json side_json(const DiffSide& s) {
  Json j = Json::object();
  j["verdict"] = to_string(s.verdict);
  if (s.reason != Reason::kNone) {
    j["reason"] = to_string(s.reason);
  }
  j["egressIps"] = s.egress_ips;
  return j;
}

Json change_json(const FlowChange& c) {
  Json flow = Json::object();
  flow["proto"] = to_string(c.flow.proto);
  flow["src"] = c.flow.src.to_string();
  flow["sport"] = c.flow.sport;
  flow["dst"] = c.flow.dst.to_string();
  flow["dport"] = c.flow.dport;
  return Json{
      {"flow", std::move(flow)}, {"before", side_json(c.before)}, {"after", side_json(c.after)}};
}

std::string list(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) {
    out += (out.empty() ? "" : ", ") + s;
  }
  return out.empty() ? "(none)" : out;
}

std::string flow_text(const FlowKey& k) {
  auto ep = [](const IpAddress& ip, uint16_t port) {
    return (ip.is_v4() ? ip.to_string() : "[" + ip.to_string() + "]") + ":" + std::to_string(port);
  };
  return std::string(to_string(k.proto)) + " " + ep(k.src, k.sport) + " -> " + ep(k.dst, k.dport);
}

std::string side_text(const DiffSide& s) {
  if (s.verdict == Verdict::kEgress) {
    return "egress " + list(s.egress_ips);
  }
  std::string out = to_string(s.verdict);
  if (s.reason != Reason::kNone) {
    out += std::string(" (") + to_string(s.reason) + ")";
  }
  return out;
}

std::vector<std::string> refused_by(const MigrationContext& m) {
  std::vector<std::string> codes;
  for (const Diagnostic& f : m.after_findings) {
    if (is_preflight_finding(f.code)) {
      codes.push_back(f.code);
    }
  }
  return codes;
}

// Why a diff in which nothing changes changed nothing: a NAT gateway left on a node subnet
// takes the traffic whatever the outbound type (semantics.md 4).
std::vector<const DiffWarning*> unchanged_because(const DiffReport& d) {
  std::vector<const DiffWarning*> out;
  if (d.changed != 0 || d.flows == 0) {
    return out;
  }
  for (const DiffWarning& w : d.warnings) {
    if (w.code == "nat-gateway-precedence") {
      out.push_back(&w);
    }
  }
  return out;
}

// "egress IP changes from X to Y", or "egress IPs stay X": what one partner sees.
std::string group_line(const GroupDiff& g) {
  if (g.flows == 0) {
    return "no flows";
  }
  std::string ips;
  if (g.before_ips == g.after_ips) {
    ips = std::string(g.before_ips.size() > 1 ? "egress IPs stay " : "egress IP stays ") +
          list(g.before_ips);
  } else {
    ips = std::string(g.before_ips.size() > 1 || g.after_ips.size() > 1 ? "egress IPs change"
                                                                        : "egress IP changes") +
          " from " + list(g.before_ips) + " to " + list(g.after_ips);
  }
  return ips + "; " + std::to_string(g.changed) + " of " + std::to_string(g.flows) +
         " flows change";
}

}  // namespace

std::string diff_to_json(const DiffReport& d, const MigrationContext* m) {
  Json j = Json::object();
  j["flows"] = d.flows;
  j["changed"] = d.changed;
  j["before"] = Json{{"egressIps", d.before_ips}};
  j["after"] = Json{{"egressIps", d.after_ips}};
  j["newEgressIps"] = d.new_ips;
  j["goneEgressIps"] = d.gone_ips;
  if (m != nullptr) {
    j["supported"] = m->verdict.supported;
    j["migration"] = Json{{"from", m->from},
                          {"to", m->to},
                          {"table", m->verdict.table},
                          {"cell", m->verdict.cell},
                          {"text", m->verdict.text}};
    if (m->plan != nullptr) {
      j["migration"]["creates"] = m->plan->creates;
      j["migration"]["removes"] = m->plan->removes;
    }
    Json findings = Json::array();
    for (const Diagnostic& f : m->after_findings) {
      findings.push_back(Json{{"code", f.code}, {"message", f.message}});
    }
    j["migration"]["findings"] = std::move(findings);
    j["migration"]["refused"] = m->refused;
    j["migration"]["refusedBy"] = m->refused ? refused_by(*m) : std::vector<std::string>{};
  }
  Json because = Json::array();
  for (const DiffWarning* w : unchanged_because(d)) {
    because.push_back(Json{{"code", w->code}, {"text", w->text}});
  }
  j["unchangedBecause"] = std::move(because);
  if (d.grouped) {
    Json groups = Json::array();
    for (const GroupDiff& g : d.groups) {
      groups.push_back(Json{{"name", g.name},
                            {"flows", g.flows},
                            {"changed", g.changed},
                            {"before", Json{{"egressIps", g.before_ips}}},
                            {"after", Json{{"egressIps", g.after_ips}}},
                            {"add", g.add},
                            {"remove", g.remove},
                            {"newlyDropped", g.newly_dropped}});
    }
    j["groups"] = std::move(groups);
  }
  Json warnings = Json::array();
  for (const DiffWarning& w : d.warnings) {
    warnings.push_back(Json{{"code", w.code}, {"text", w.text}});
  }
  j["warnings"] = std::move(warnings);
  Json changes = Json::array();
  for (const FlowChange& c : d.changes) {
    changes.push_back(change_json(c));
  }
  j["changes"] = std::move(changes);
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string format_diff(const DiffReport& d, const MigrationContext* m) {
  std::string out;
  if (m != nullptr) {
    out += "migrate " + m->from + " -> " + m->to + ": " +
           (!m->verdict.supported ? "NOT SUPPORTED"
            : m->refused          ? "REFUSED by AKS's preflight"
                                  : "supported") +
           "\n";
    out += "  " + m->verdict.text + "\n";
    // A refused update creates and removes nothing.
    if (m->plan != nullptr && !m->refused) {
      for (const std::string& c : m->plan->creates) {
        out += "  AKS creates: " + c + "\n";
      }
      for (const std::string& r : m->plan->removes) {
        out += "  AKS removes: " + r + "\n";
      }
    }
    for (const Diagnostic& f : m->after_findings) {
      out += "  after-state: " + f.message + " [" + f.code + "]\n";
    }
    if (m->refused) {
      std::vector<std::string> codes = refused_by(*m);
      out += "  AKS's preflight refuses this after-state (" + list(codes) +
             "): the tables allow the move, but az aks update fails until the findings above "
             "are fixed; no flows compared\n";
    }
    if (!m->verdict.supported || m->refused) {
      return out;
    }
    out += "\n";
  }
  out += std::to_string(d.changed) + " of " + std::to_string(d.flows) + " flows change\n";
  for (const DiffWarning* w : unchanged_because(d)) {
    out += "  because " + w->text + " [" + w->code + "]\n";
  }
  out += "egress IPs before: " + list(d.before_ips) + "\n";
  out += "egress IPs after:  " + list(d.after_ips) + "\n";
  if (!d.new_ips.empty() || !d.gone_ips.empty()) {
    out += "\nallow-lists (partners' firewalls, authorizedIpRanges):\n";
    for (const std::string& ip : d.new_ips) {
      out += "  add     " + ip + "\n";
    }
    for (const std::string& ip : d.gone_ips) {
      out += "  remove  " + ip + "   (once nothing uses it)\n";
    }
  }
  if (d.grouped) {
    out += "\npartners (--groups):\n";
    for (const GroupDiff& g : d.groups) {
      out += "  partner " + g.name + ": " + group_line(g) + "\n";
      for (const std::string& ip : g.add) {
        out += "    add     " + ip + "\n";
      }
      for (const std::string& ip : g.remove) {
        out += "    remove  " + ip + "\n";
      }
      for (const auto& [reason, n] : g.newly_dropped) {
        out += "    " + std::to_string(n) + " flows newly drop: " + reason + "\n";
      }
    }
  }
  if (!d.transitions.empty()) {
    out += d.grouped ? "\nwhat other destinations see (no group):\n" : "\nwhat destinations see:\n";
    for (size_t i = 0; i < d.transitions.size() && i < kShownTransitions; ++i) {
      const IpTransition& t = d.transitions[i];
      out += "  " + std::to_string(t.flows) + " flows to " + std::to_string(t.destinations) +
             " destinations (" + list(t.examples) +
             (t.destinations > t.examples.size() ? ", ..." : "") + ")\n      before " +
             list(t.before) + "\n      after  " + list(t.after) + "\n";
    }
    if (d.transitions.size() > kShownTransitions) {
      out += "  ... " + std::to_string(d.transitions.size() - kShownTransitions) +
             " more (see --json)\n";
    }
  }
  if (!d.newly_dropped.empty()) {
    out += "\nflows that newly drop:\n";
    for (const auto& [reason, n] : d.newly_dropped) {
      out += "  " + std::to_string(n) + " " + reason + "\n";
    }
    size_t shown = 0;
    for (const FlowChange& c : d.changes) {
      if (c.after.verdict == Verdict::kDropped && c.before.verdict != Verdict::kDropped &&
          shown++ < kShownDrops) {
        out += "    " + flow_text(c.flow) + ": " + side_text(c.before) + " -> " +
               side_text(c.after) + "\n";
      }
    }
  }
  if (!d.warnings.empty()) {
    out += "\nwarnings:\n";
    for (const DiffWarning& w : d.warnings) {
      out += "  [" + w.code + "] " + w.text + "\n";
    }
  }
  return out;
}

std::string diff_to_jsonl(const DiffReport& d) {
  std::string out;
  for (const FlowChange& c : d.changes) {
    out += change_json(c).dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  }
  return out;
}

}  // namespace egress
