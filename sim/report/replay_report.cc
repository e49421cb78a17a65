#include "egress/report/replay_report.h"

#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "egress/engine/models.h"
#include "egress/report/rows.h"
#include "text_cells_internal.h"

namespace egress {
namespace {

using Json = nlohmann::ordered_json;

Json usage_json(const UsageRow& row, const char* name_key) {
  Json j = Json::object();
  j[name_key] = row.name;
  if (std::string(name_key) == "ip") {
    j["resource"] = row.resource;
  }
  j["via"] = row.via;
  j["flows"] = row.flows;
  j["packets"] = row.packets;
  j["bytes"] = row.bytes;
  j["peakPortsInUse"] = row.peak_ports_in_use;
  j["ports"] = row.ports;
  j["snatExhausted"] = row.snat_exhausted;
  return j;
}

std::string table(const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& right) {
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) {
        line += "  ";
      }
      std::string pad(widths[c] - row[c].size(), ' ');
      line += right[c] ? pad + row[c] : row[c] + pad;
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

std::string usage_table(const std::vector<UsageRow>& rows, const char* first) {
  std::vector<std::vector<std::string>> cells;
  cells.push_back({first, "via", "flows", "packets", "bytes", "peak ports", "ports", "exhausted"});
  for (const UsageRow& r : rows) {
    cells.push_back({r.name, r.via, grouped(r.flows), grouped(r.packets), human_bytes(r.bytes),
                     grouped(r.peak_ports_in_use), grouped(r.ports), grouped(r.snat_exhausted)});
  }
  return table(cells, {false, false, true, true, true, true, true, true});
}

Json group_json(const GroupUsage& g) {
  Json j = Json::object();
  if (!g.name.empty()) {
    j["name"] = g.name;
  }
  j["flows"] = g.flows;
  j["verdicts"] = g.verdicts;
  j["egressIps"] = g.egress_ips;
  return j;
}

std::string counts(const std::map<std::string, uint64_t>& m) {
  std::string out;
  for (const auto& [key, n] : m) {
    if (!out.empty()) {
      out += ", ";
    }
    out += key + " " + grouped(n);
  }
  return out;
}

}  // namespace

std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return out;
}

namespace {

std::string plural(uint64_t n, const char* noun) {
  return grouped(n) + " " + noun + (n == 1 ? "" : "s");
}

}  // namespace

std::string human_bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string flow_csv_header() {
  return delimited_line(flow_record_columns(), OutputFormat::kCsv);
}

std::string flow_record_to_csv(const FlowRecord& record) {
  return delimited_line(flow_record_cells(record), OutputFormat::kCsv);
}

std::string summary_to_json(const ReplaySummary& s) {
  Json j = Json::object();
  j["packets"] = s.packets;
  j["bytes"] = s.bytes;
  j["first"] = s.packets == 0 ? Json(nullptr) : Json(static_cast<double>(s.first_ns / 1000) / 1e6);
  j["last"] = s.packets == 0 ? Json(nullptr) : Json(static_cast<double>(s.last_ns / 1000) / 1e6);
  j["flows"] = s.flows;
  j["peakLiveFlows"] = s.peak_live_flows;
  j["verdicts"] = s.verdicts;
  j["reasons"] = s.reasons;
  j["unusablePackets"] = s.unusable;
  Json ips = Json::array();
  for (const UsageRow& row : s.egress_ips) {
    ips.push_back(usage_json(row, "ip"));
  }
  j["egressIps"] = std::move(ips);
  Json resources = Json::array();
  for (const UsageRow& row : s.resources) {
    resources.push_back(usage_json(row, "resource"));
  }
  j["resources"] = std::move(resources);
  if (s.grouped) {
    Json groups = Json::array();
    for (const GroupUsage& g : s.groups) {
      groups.push_back(group_json(g));
    }
    j["groups"] = std::move(groups);
    j["ungrouped"] = group_json(s.ungrouped);
  }
  j["egressPacketsWritten"] = s.egress_packets_written;
  j["seed"] = s.seed;
  // Only when the input was scaled, so unscaled summaries stay as they were.
  if (s.scale != 1) {
    j["scale"] = s.scale;
  }
  if (s.speedup != 1) {
    j["speedup"] = s.speedup;
  }
  j["models"] = s.models;
  Json warnings = Json::array();
  for (const Diagnostic& d : s.warnings) {
    warnings.push_back(format_diagnostic(d, "warning"));
  }
  j["warnings"] = std::move(warnings);
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string format_summary(const ReplaySummary& s) {
  std::string out;
  double span = s.packets == 0 ? 0 : static_cast<double>(s.last_ns - s.first_ns) / 1e9;
  char when[64];
  std::snprintf(when, sizeof when, "%.3f s", span);
  out += plural(s.packets, "packet") + " (" + human_bytes(s.bytes) + ") over " + when +
         " of capture time; " + plural(s.flows, "flow") + ", at most " +
         grouped(s.peak_live_flows) + " at once\n";
  out += "verdicts: " + (s.verdicts.empty() ? std::string("none") : counts(s.verdicts)) + "\n";
  if (!s.reasons.empty()) {
    out += "reasons:  " + counts(s.reasons) + "\n";
  }
  if (!s.unusable.empty()) {
    out += "not used: " + counts(s.unusable) + " (packets)\n";
  }
  if (!s.egress_ips.empty()) {
    out += "\n" + usage_table(s.egress_ips, "egress IP");
  }
  if (!s.resources.empty()) {
    out += "\n" + usage_table(s.resources, "resource");
  }
  if (s.grouped) {
    std::vector<std::vector<std::string>> cells;
    cells.push_back({"group", "flows", "verdicts", "egress IPs"});
    auto row = [&](const GroupUsage& g, const std::string& name) {
      cells.push_back({name, grouped(g.flows), g.verdicts.empty() ? "none" : counts(g.verdicts),
                       g.egress_ips.empty() ? "none" : joined(g.egress_ips, ", ")});
    };
    for (const GroupUsage& g : s.groups) {
      row(g, g.name);
    }
    row(s.ungrouped, "(no group)");
    out += "\n" + table(cells, {false, true, false, false});
  }
  if (!s.models.empty()) {
    out += "\nmodels (see 'egress-sim models'): " + joined(s.models, ", ") + "\n";
  }
  if (s.scale != 1 || s.speedup != 1) {
    char speedup[32];
    std::snprintf(speedup, sizeof speedup, "%.10g", s.speedup);
    out += "scale: " + std::to_string(s.scale) + ", speedup: " + speedup + "\n";
  }
  out += "seed: " + std::to_string(s.seed) + "\n";
  return out;
}

}  // namespace egress
