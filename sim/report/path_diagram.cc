#include "egress/report/path_diagram.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "egress/report/svg.h"
#include "svg_text.h"

namespace egress {

std::string path_kind_key(const FlowResult& result) {
  std::string key;
  for (const Hop& hop : result.hops) {
    key += hop.at + " " + to_string(hop.action) + " > ";
  }
  return key + "= " + verdict_line(result);
}

std::string flow_line(const FlowKey& flow) {
  auto end = [&](const IpAddress& ip, uint16_t port) {
    const std::string a = ip.is_v4() ? ip.to_string() : "[" + ip.to_string() + "]";
    return flow.proto == Protocol::kIcmp ? a : a + ":" + std::to_string(port);
  };
  return std::string(to_string(flow.proto)) + " " + end(flow.src, flow.sport) + " -> " +
         end(flow.dst, flow.dport);
}

PathKindCollector::PathKindCollector(ReplaySink* next, size_t max_kinds)
    : next_(next), max_kinds_(max_kinds) {}

void PathKindCollector::on_flow(const FlowRecord& record) {
  add(record.result);
  if (next_ != nullptr) {
    next_->on_flow(record);
  }
}

void PathKindCollector::on_egress_packet(const RawPacket& packet, const DecodedPacket& decoded,
                                         std::span<const uint8_t> bytes) {
  if (next_ != nullptr) {
    next_->on_egress_packet(packet, decoded, bytes);
  }
}

void PathKindCollector::on_progress(const ReplayProgress& progress) {
  if (next_ != nullptr) {
    next_->on_progress(progress);
  }
}

void PathKindCollector::add(const FlowResult& result) {
  std::string key = path_kind_key(result);
  auto it = kinds_.find(key);
  if (it == kinds_.end()) {
    if (kinds_.size() >= max_kinds_) {
      ++other_;
      return;
    }
    PathKind kind;
    kind.key = key;
    kind.example = result;
    it = kinds_.emplace(std::move(key), std::move(kind)).first;
  }
  ++it->second.flows;
}

std::vector<PathKind> PathKindCollector::kinds() const {
  std::vector<PathKind> out;
  for (const auto& [key, kind] : kinds_) {
    out.push_back(kind);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const PathKind& a, const PathKind& b) { return a.flows > b.flows; });
  return out;
}

std::string path_diagram_svg(const FlowResult& result, uint64_t flows, bool standalone) {
  constexpr double kBoxW = 224;
  constexpr double kBoxH = 104;
  constexpr double kGap = 34;
  constexpr double kTop = 44;
  constexpr double kLeft = 12;
  constexpr size_t kChars = 30;
  const size_t boxes = result.hops.size() + 1;
  const double width =
      kLeft * 2 + static_cast<double>(boxes) * kBoxW + static_cast<double>(boxes - 1) * kGap;
  const double height = kTop + kBoxH + 16;
  Svg svg(std::max(width, 420.0), height, "Path of " + flow_line(result.flow), "path-diagram");
  svg.attribute("data-verdict", verdict_line(result));
  if (flows != 0) {
    svg.attribute("data-flows", std::to_string(flows));
  }
  std::string head = flow_line(result.flow);
  if (!result.host.empty()) {
    head += " (" + result.host + ")";
  }
  if (flows != 0) {
    head = std::to_string(flows) + (flows == 1 ? " flow, e.g. " : " flows, e.g. ") + head;
  }
  svg.text(kLeft, 18, clipped(head, 110), 13, "start", "#222", "bold");
  if (!result.models.empty()) {
    std::string models = "modelled: ";
    std::vector<std::string> ids = result.models.id_strings();
    for (size_t i = 0; i < ids.size(); ++i) {
      models += (i == 0 ? "" : ", ") + ids[i];
    }
    svg.text(kLeft, 34, clipped(models, 120), 10, "start", "#666");
  }
  double x = kLeft;
  for (size_t i = 0; i < result.hops.size(); ++i) {
    const Hop& hop = result.hops[i];
    std::string title =
        hop.action == HopAction::kNone ? hop.at : hop.at + ": " + to_string(hop.action);
    if (hop.route) {
      title += "; route " + route_line(*hop.route);
    }
    if (!hop.rule.empty()) {
      title += "; rule " + hop.rule;
    }
    if (!hop.ip.empty()) {
      title += "; now " + ip_text(hop);
    }
    if (!hop.note.empty()) {
      title += "; " + hop.note;
    }
    svg.group("hop", title);
    svg.rect(x, kTop, kBoxW, kBoxH, "#f5f7fa", "#8a94a6", 6);
    svg.text(x + 8, kTop + 18, clipped(hop.at, kChars - 2), 12, "start", "#222", "bold");
    svg.text(x + 8, kTop + 34, clipped(to_string(hop.action), kChars), 11, "start", "#1a56c4");
    double line_y = kTop + 50;
    auto small = [&](const std::string& line) {
      if (line_y < kTop + kBoxH - 4) {
        svg.text(x + 8, line_y, clipped(line, kChars + 12), 9, "start", "#444");
        line_y += 13;
      }
    };
    if (hop.route) {
      small(route_label(*hop.route));
      small(route_target(*hop.route));
    }
    if (!hop.rule.empty()) {
      small("rule " + hop.rule);
    }
    if (!hop.ip.empty()) {
      small("now " + ip_text(hop));
    }
    svg.end_group();
    svg.arrow(x + kBoxW, kTop + kBoxH / 2, x + kBoxW + kGap, kTop + kBoxH / 2, "#555");
    x += kBoxW + kGap;
  }
  svg.group("verdict", verdict_line(result));
  svg.rect(x, kTop, kBoxW, kBoxH, verdict_fill(result.verdict), verdict_stroke(result.verdict), 6);
  svg.text(x + 8, kTop + 18, clipped(verdict_line(result), kChars - 2), 12, "start",
           verdict_stroke(result.verdict), "bold");
  double line_y = kTop + 34;
  if (!result.snat_ip.empty()) {
    svg.text(x + 8, line_y, clipped("as " + snat_ip_text(result), kChars), 10, "start", "#222");
    line_y += 14;
  }
  if (result.egress_ips.size() > 1) {
    svg.text(x + 8, line_y,
             clipped("one of " + std::to_string(result.egress_ips.size()) + " IPs", kChars), 10,
             "start", "#222");
    line_y += 14;
  }
  if (!result.resource.empty()) {
    svg.text(
        x + 8, line_y,
        clipped(std::string("via ") + to_string(result.via) + " " + result.resource, kChars + 4), 9,
        "start", "#444");
  }
  svg.end_group();
  return svg.str(standalone);
}

std::vector<PathChange> collect_path_changes(const Engine& before, const Engine& after,
                                             const DiffReport& diff, uint64_t seed,
                                             size_t max_kinds, uint64_t* other) {
  std::map<std::string, PathChange> groups;
  uint64_t others = 0;
  for (const FlowChange& change : diff.changes) {
    FlowResult b = before.trace(change.flow, seed);
    FlowResult a = after.trace(change.flow, seed);
    // The replay's verdict (snat-exhausted) is not in a trace: the diff's is the one reported.
    b.verdict = change.before.verdict;
    b.reason = change.before.reason;
    a.verdict = change.after.verdict;
    a.reason = change.after.reason;
    std::string key = path_kind_key(b) + "\n" + path_kind_key(a);
    auto it = groups.find(key);
    if (it == groups.end()) {
      if (groups.size() >= max_kinds) {
        ++others;
        continue;
      }
      it = groups.emplace(std::move(key), PathChange{std::move(b), std::move(a), 0}).first;
    }
    ++it->second.flows;
  }
  std::vector<PathChange> out;
  for (auto& [key, change] : groups) {
    out.push_back(std::move(change));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const PathChange& x, const PathChange& y) { return x.flows > y.flows; });
  if (other != nullptr) {
    *other = others;
  }
  return out;
}

}  // namespace egress
