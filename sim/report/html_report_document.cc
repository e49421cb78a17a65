#include "html_report_document.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "egress/report/port_chart.h"
#include "egress/report/replay_report.h"
#include "egress/report/topology_diagram.h"
#include "svg_text.h"

namespace egress {
namespace {

constexpr size_t kMaxDropRows = 50;

using Kind = ReportBlock::Kind;

ReportBlock text(std::string t) {
  ReportBlock b;
  b.text = std::move(t);
  return b;
}

ReportBlock table(std::vector<std::string> head, std::vector<std::vector<std::string>> rows) {
  ReportBlock b;
  b.kind = Kind::kTable;
  b.table = ReportTable{std::move(head), std::move(rows)};
  return b;
}

ReportBlock list(std::vector<std::string> items) {
  ReportBlock b;
  b.kind = Kind::kList;
  b.items = std::move(items);
  return b;
}

ReportBlock figure(std::string caption, std::string svg, std::vector<std::string> lines = {}) {
  ReportBlock b;
  b.kind = Kind::kFigure;
  b.text = std::move(caption);
  b.svg = std::move(svg);
  b.items = std::move(lines);
  return b;
}

std::string joined_list(const std::vector<std::string>& items, const char* empty = "none") {
  if (items.empty()) {
    return empty;
  }
  std::string out;
  for (const std::string& s : items) {
    out += (out.empty() ? "" : ", ") + s;
  }
  return out;
}

ReportBlock counts(const char* what, const std::map<std::string, uint64_t>& m) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, n] : m) {
    rows.push_back({name, grouped(n)});
  }
  return table({what, "flows"}, std::move(rows));
}

std::string exhaustion_start(const UsageRow& row) {
  return row.timeline.first_exhausted_ns < 0
             ? "-"
             : capture_seconds(row.timeline.first_exhausted_ns - row.timeline.start_ns);
}

ReportBlock usage(const std::vector<UsageRow>& rows, const char* first, bool resource) {
  std::vector<std::vector<std::string>> cells;
  for (const UsageRow& r : rows) {
    std::vector<std::string> row{r.name};
    if (!resource) {
      row.push_back(r.resource);
    }
    row.insert(row.end(), {r.via, grouped(r.flows), grouped(r.peak_ports_in_use),
                           grouped(timeline_peak(r.timeline)), grouped(r.ports),
                           grouped(r.snat_exhausted), exhaustion_start(r)});
    cells.push_back(std::move(row));
  }
  std::vector<std::string> head{first};
  if (!resource) {
    head.push_back("resource");
  }
  head.insert(head.end(), {"via", "flows", "peak ports", "peak at once", "ports (limit)",
                           "exhausted", "exhaustion starts"});
  return table(std::move(head), std::move(cells));
}

std::vector<std::string> hop_lines(const FlowResult& r) {
  std::vector<std::string> lines;
  for (const Hop& hop : r.hops) {
    std::string line =
        hop.action == HopAction::kNone ? hop.at : hop.at + ": " + to_string(hop.action);
    if (hop.route) {
      line += ", route " + route_line(*hop.route);
    }
    if (!hop.rule.empty()) {
      line += ", rule " + hop.rule;
    }
    if (!hop.ip.empty()) {
      line += ", now " + ip_text(hop);
    }
    lines.push_back(std::move(line));
  }
  std::string end = "= " + verdict_line(r);
  if (!r.snat_ip.empty()) {
    end += " as " + snat_ip_text(r);
  }
  lines.push_back(std::move(end));
  return lines;
}

std::string chart_caption(const char* what, const UsageRow& r) {
  std::string out = std::string(what) + " " + r.name + ": peak " +
                    grouped(timeline_peak(r.timeline)) + " of " + grouped(r.ports) + " ports";
  if (r.timeline.first_exhausted_ns >= 0) {
    out += ", exhausted from " + exhaustion_start(r);
  }
  return out;
}

std::string flows_text(uint64_t n) {
  return grouped(n) + (n == 1 ? " flow" : " flows");
}

std::string topology_name(const Topology& t) {
  return t.name.empty() ? t.file : t.name + " (" + t.file + ")";
}

}  // namespace

ReportDocument replay_document(const ReplayReportData& data) {
  const ReplaySummary& s = *data.summary;
  ReportDocument doc;
  doc.title = "egress-sim " + data.command + " report";
  doc.subtitle = data.subject;

  ReportSection summary{"summary", "Summary", {}};
  summary.blocks.push_back(
      table({"packets", "bytes", "flows", "peak live flows", "capture time", "seed", "scale"},
            {{grouped(s.packets), human_bytes(s.bytes), grouped(s.flows),
              grouped(s.peak_live_flows), capture_seconds(s.last_ns - s.first_ns),
              std::to_string(s.seed), std::to_string(s.scale)}}));
  summary.blocks.push_back(counts("verdict", s.verdicts));
  if (!s.reasons.empty()) {
    summary.blocks.push_back(counts("drop or asymmetry reason", s.reasons));
  }
  if (!s.unusable.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [kind, n] : s.unusable) {
      rows.push_back({kind, grouped(n)});
    }
    summary.blocks.push_back(table({"packets not used", "packets"}, std::move(rows)));
  }
  if (!s.egress_ips.empty()) {
    summary.blocks.push_back(usage(s.egress_ips, "egress IP", false));
  }
  if (!s.resources.empty()) {
    summary.blocks.push_back(usage(s.resources, "resource", true));
    summary.blocks.push_back(
        text("A resource's peak ports is the sum of its IPs' peaks (the summary's figure); "
             "peak at once is the most its IPs held together."));
  }
  if (s.grouped) {
    std::vector<std::vector<std::string>> rows;
    auto add = [&](const GroupUsage& g, const std::string& name) {
      std::string verdicts;
      for (const auto& [v, n] : g.verdicts) {
        verdicts += (verdicts.empty() ? "" : ", ") + v + " " + grouped(n);
      }
      rows.push_back({name, grouped(g.flows), verdicts, joined_list(g.egress_ips)});
    };
    for (const GroupUsage& g : s.groups) {
      add(g, g.name);
    }
    add(s.ungrouped, "(no group)");
    summary.blocks.push_back(
        table({"destination group", "flows", "verdicts", "egress IPs (allow-list)"}, rows));
  }
  if (!s.models.empty()) {
    summary.blocks.push_back(text(
        "Modelled rules the flows relied on (egress-sim models): " + joined_list(s.models) + "."));
  }
  if (!s.warnings.empty()) {
    std::vector<std::string> items;
    for (const Diagnostic& d : s.warnings) {
      items.push_back(format_diagnostic(d, "warning"));
    }
    summary.blocks.push_back(list(std::move(items)));
  }
  doc.sections.push_back(std::move(summary));

  ReportSection ports{"ports", "SNAT ports over capture time", {}};
  if (s.egress_ips.empty() && s.resources.empty()) {
    ports.blocks.push_back(text("No flow took a SNAT port."));
  } else {
    ports.blocks.push_back(
        text("Each chart: the most ports in use in each stretch of capture time, the pool's "
             "limit dashed, the peak marked; red where new flows found no port."));
  }
  for (const UsageRow& r : s.egress_ips) {
    ports.blocks.push_back(figure(chart_caption("Egress IP", r), port_chart_svg(r, "egress IP")));
  }
  for (const UsageRow& r : s.resources) {
    ports.blocks.push_back(figure(chart_caption("Resource", r), port_chart_svg(r, "resource")));
  }
  if (std::any_of(s.resources.begin(), s.resources.end(),
                  [](const UsageRow& r) { return r.via == "loadBalancer"; })) {
    ports.blocks.push_back(
        text("A load balancer frontend's limit is its IP's ports; each backend instance has "
             "its own allocation (allocatedOutboundPorts) on it, which can run out first."));
  }
  doc.sections.push_back(std::move(ports));

  ReportSection paths{"paths", "Kinds of path", {}};
  paths.blocks.push_back(
      text(std::to_string(data.paths.size()) +
           (data.paths.size() == 1 ? " kind of path" : " kinds of path") +
           " (flows grouped by each hop's place and action and the verdict), most flows first."));
  for (size_t i = 0; i < data.paths.size(); ++i) {
    const PathKind& k = data.paths[i];
    paths.blocks.push_back(figure("Path " + std::to_string(i + 1) + ": " + flows_text(k.flows) +
                                      ", " + verdict_line(k.example),
                                  path_diagram_svg(k.example, k.flows), hop_lines(k.example)));
  }
  if (data.other_path_flows != 0) {
    paths.blocks.push_back(text(flows_text(data.other_path_flows) +
                                " went other ways, not drawn (too many kinds of path)."));
  }
  doc.sections.push_back(std::move(paths));

  if (data.topology != nullptr) {
    ReportSection topo{"topology", "Topology", {}};
    topo.blocks.push_back(
        figure("Topology " + topology_name(*data.topology) + " with the first kinds of path",
               topology_diagram_svg(*data.topology, data.paths)));
    doc.sections.push_back(std::move(topo));
  }
  return doc;
}

namespace {

// Path kinds from one side of the changes, for drawing on that side's topology.
std::vector<PathKind> side_kinds(const std::vector<PathChange>& changes, bool after) {
  std::map<std::string, size_t> index;
  std::vector<PathKind> out;
  for (const PathChange& c : changes) {
    const FlowResult& r = after ? c.after : c.before;
    std::string key = path_kind_key(r);
    auto [it, fresh] = index.try_emplace(key, out.size());
    if (fresh) {
      out.push_back(PathKind{key, r, 0});
    }
    out[it->second].flows += c.flows;
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const PathKind& a, const PathKind& b) { return a.flows > b.flows; });
  return out;
}

std::string side_text(const DiffSide& s) {
  std::string out = to_string(s.verdict);
  if (s.reason != Reason::kNone) {
    out += " (" + std::string(to_string(s.reason)) + ")";
  }
  if (!s.egress_ips.empty()) {
    out += " as " + joined_list(s.egress_ips);
  }
  return out;
}

}  // namespace

ReportDocument diff_document(const DiffReportData& data) {
  static const DiffReport kEmpty;
  const DiffReport& d = data.diff != nullptr ? *data.diff : kEmpty;
  const MigrationContext* m = data.migration;
  ReportDocument doc;
  doc.title = "egress-sim " + data.command + " report";
  doc.subtitle = data.subject;

  ReportSection summary{"summary", "Summary", {}};
  if (m != nullptr) {
    summary.blocks.push_back(
        table({"from", "to", "supported", "the table says"},
              {{m->from, m->to, m->verdict.supported ? "yes" : "no", m->verdict.text}}));
    if (m->refused) {
      summary.blocks.push_back(
          text("AKS would refuse the after-state (a preflight check fails): no flows compared."));
    }
    if (m->plan != nullptr) {
      if (!m->plan->creates.empty()) {
        summary.blocks.push_back(text("AKS creates:"));
        summary.blocks.push_back(list(m->plan->creates));
      }
      if (!m->plan->removes.empty()) {
        summary.blocks.push_back(text("AKS removes:"));
        summary.blocks.push_back(list(m->plan->removes));
      }
    }
    if (!m->after_findings.empty()) {
      std::vector<std::string> items;
      for (const Diagnostic& f : m->after_findings) {
        items.push_back(format_diagnostic(f, "finding"));
      }
      summary.blocks.push_back(text("Findings on the after-state:"));
      summary.blocks.push_back(list(std::move(items)));
    }
  }
  summary.blocks.push_back(
      table({"flows compared", "changed", "egress IPs before", "egress IPs after"},
            {{grouped(d.flows), grouped(d.changed), grouped(d.before_ips.size()),
              grouped(d.after_ips.size())}}));
  doc.sections.push_back(std::move(summary));

  ReportSection warnings{"warnings", "Warnings", {}};
  if (d.warnings.empty()) {
    warnings.blocks.push_back(text("None."));
  } else {
    std::vector<std::string> items;
    for (const DiffWarning& w : d.warnings) {
      items.push_back(w.code + ": " + w.text);
    }
    warnings.blocks.push_back(list(std::move(items)));
  }
  doc.sections.push_back(std::move(warnings));

  ReportSection ips{"egress-ips", "Egress IPs, before and after", {}};
  {
    ReportBlock side;
    side.kind = Kind::kColumns;
    side.column_titles = {"before", "after"};
    side.columns = {{list(d.before_ips.empty() ? std::vector<std::string>{"none"} : d.before_ips)},
                    {list(d.after_ips.empty() ? std::vector<std::string>{"none"} : d.after_ips)}};
    ips.blocks.push_back(std::move(side));
    ips.blocks.push_back(table({"allow-lists must add", "allow-lists may drop"},
                               {{joined_list(d.new_ips), joined_list(d.gone_ips)}}));
  }
  doc.sections.push_back(std::move(ips));

  ReportSection allow{"allow-lists", "Allow-list changes per group of destinations", {}};
  if (d.grouped) {
    std::vector<std::vector<std::string>> rows;
    for (const GroupDiff& g : d.groups) {
      std::string dropped;
      for (const auto& [reason, n] : g.newly_dropped) {
        dropped += (dropped.empty() ? "" : ", ") + reason + " " + grouped(n);
      }
      rows.push_back({g.name, grouped(g.flows), grouped(g.changed), joined_list(g.add),
                      joined_list(g.remove), dropped.empty() ? "-" : dropped});
    }
    allow.blocks.push_back(table(
        {"group", "flows", "changed", "add to allow-list", "may remove", "newly dropped"}, rows));
  }
  if (!d.transitions.empty() || !d.grouped) {
    if (d.grouped) {
      allow.blocks.push_back(text("Changed flows to destinations in no group:"));
    }
    std::vector<std::vector<std::string>> rows;
    for (const IpTransition& t : d.transitions) {
      rows.push_back({joined_list(t.before), joined_list(t.after), grouped(t.flows),
                      grouped(t.destinations), joined_list(t.examples)});
    }
    if (rows.empty()) {
      allow.blocks.push_back(text("No flow changed its egress IPs."));
    } else {
      allow.blocks.push_back(
          table({"egress IPs before", "after", "flows", "destinations", "e.g."}, std::move(rows)));
    }
  }
  doc.sections.push_back(std::move(allow));

  ReportSection drops{"newly-dropped", "Flows that newly drop", {}};
  if (d.newly_dropped.empty()) {
    drops.blocks.push_back(text("None: every flow that left before still leaves."));
  } else {
    drops.blocks.push_back(counts("reason", d.newly_dropped));
    std::vector<std::vector<std::string>> rows;
    size_t more = 0;
    for (const FlowChange& c : d.changes) {
      const bool dropped_now =
          c.after.verdict == Verdict::kDropped && c.before.verdict != Verdict::kDropped;
      if (!dropped_now) {
        continue;
      }
      if (rows.size() == kMaxDropRows) {
        ++more;
        continue;
      }
      rows.push_back({flow_line(c.flow), side_text(c.before), side_text(c.after)});
    }
    drops.blocks.push_back(table({"flow", "before", "after"}, std::move(rows)));
    if (more != 0) {
      drops.blocks.push_back(text(flows_text(more) + " more not listed."));
    }
  }
  doc.sections.push_back(std::move(drops));

  ReportSection paths{"paths", "Changed paths, before and after", {}};
  if (data.changes.empty()) {
    paths.blocks.push_back(text("No path changed."));
  }
  for (size_t i = 0; i < data.changes.size(); ++i) {
    const PathChange& c = data.changes[i];
    ReportBlock side;
    side.kind = Kind::kColumns;
    side.text = "Change " + std::to_string(i + 1) + ": " + flows_text(c.flows) + ", " +
                verdict_line(c.before) + " -> " + verdict_line(c.after);
    side.column_titles = {"before", "after"};
    side.columns = {{figure("before", path_diagram_svg(c.before, c.flows), hop_lines(c.before))},
                    {figure("after", path_diagram_svg(c.after, c.flows), hop_lines(c.after))}};
    paths.blocks.push_back(std::move(side));
  }
  if (data.other_changes != 0) {
    paths.blocks.push_back(
        text(flows_text(data.other_changes) + " changed in other ways, not drawn."));
  }
  doc.sections.push_back(std::move(paths));

  if (data.before != nullptr) {
    ReportSection topo{"topology", "Topology, before and after", {}};
    ReportBlock side;
    side.kind = Kind::kColumns;
    side.column_titles = {"before", "after"};
    side.columns.push_back(
        {figure("before: " + topology_name(*data.before),
                topology_diagram_svg(*data.before, side_kinds(data.changes, false)))});
    if (data.after != nullptr) {
      side.columns.push_back(
          {figure("after: " + topology_name(*data.after),
                  topology_diagram_svg(*data.after, side_kinds(data.changes, true)))});
    } else {
      side.columns.push_back({text("No after-state.")});
    }
    topo.blocks.push_back(std::move(side));
    doc.sections.push_back(std::move(topo));
  }
  return doc;
}

}  // namespace egress
