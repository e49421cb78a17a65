#include "egress/report/rows.h"

#include <nlohmann/json.hpp>

#include "egress/engine/models.h"
#include "text_cells_internal.h"

namespace egress {
namespace {

using Json = nlohmann::ordered_json;

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    return s;
  }
  std::string out = "\"";
  for (char c : s) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

std::string tsv_cell(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string address_or_empty(const std::optional<IpAddress>& ip) {
  return ip ? ip->to_string() : std::string();
}

void add_side(std::vector<std::string>& cells, const DiffSide& side) {
  cells.emplace_back(to_string(side.verdict));
  cells.emplace_back(to_string(side.reason));
  cells.emplace_back(to_string(side.via));
  cells.push_back(side.resource);
  cells.push_back(joined(side.egress_ips, ";"));
}

}  // namespace

std::optional<OutputFormat> parse_output_format(std::string_view text) {
  if (text == "table") {
    return OutputFormat::kTable;
  }
  if (text == "json") {
    return OutputFormat::kJson;
  }
  if (text == "jsonl") {
    return OutputFormat::kJsonl;
  }
  if (text == "csv") {
    return OutputFormat::kCsv;
  }
  if (text == "tsv") {
    return OutputFormat::kTsv;
  }
  return std::nullopt;
}

std::string delimited_line(const std::vector<std::string>& cells, OutputFormat format) {
  const bool tsv = format == OutputFormat::kTsv;
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) {
      out += tsv ? '\t' : ',';
    }
    out += tsv ? tsv_cell(cells[i]) : csv_cell(cells[i]);
  }
  return out + "\n";
}

std::string render_delimited(const Rows& rows, OutputFormat format) {
  std::string out = delimited_line(rows.columns, format);
  for (const std::vector<std::string>& row : rows.rows) {
    out += delimited_line(row, format);
  }
  return out;
}

std::vector<std::string> flow_columns(bool with_host) {
  std::vector<std::string> columns = {"proto",    "src",       "sport", "dst",      "dport",
                                      "verdict",  "reason",    "via",   "resource", "snatIp",
                                      "snatPort", "egressIps", "hops",  "models"};
  if (with_host) {
    columns.insert(columns.begin() + 5, "host");
  }
  return columns;
}

std::vector<std::string> flow_cells(const FlowResult& r, bool with_host) {
  std::vector<std::string> hops;
  for (const Hop& hop : r.hops) {
    hops.push_back(hop_text(hop));
  }
  std::vector<std::string> cells = {
      to_string(r.flow.proto),
      r.flow.src.to_string(),
      std::to_string(r.flow.sport),
      r.flow.dst.to_string(),
      std::to_string(r.flow.dport),
      to_string(r.verdict),
      to_string(r.reason),
      to_string(r.via),
      r.resource,
      snat_ip_text(r),
      r.snat_port ? std::to_string(*r.snat_port) : "",
      joined(egress_ip_texts(r), ";"),
      joined(hops, " > "),
      joined(r.models.id_strings(), ";"),
  };
  if (with_host) {
    cells.insert(cells.begin() + 5, r.host);
  }
  return cells;
}

std::vector<std::string> flow_record_columns(bool with_host) {
  std::vector<std::string> columns = flow_columns(with_host);
  columns.insert(columns.end() - 1, {"first", "last", "packets", "bytes"});
  return columns;
}

std::vector<std::string> flow_record_cells(const FlowRecord& record, bool with_host) {
  std::vector<std::string> cells = flow_cells(record.result, with_host);
  cells.insert(cells.end() - 1,
               {seconds_text(record.stats.first_ns), seconds_text(record.stats.last_ns),
                std::to_string(record.stats.packets), std::to_string(record.stats.bytes)});
  return cells;
}

Rows diagnostics_rows(const std::vector<Diagnostic>& errors,
                      const std::vector<Diagnostic>& findings) {
  Rows rows;
  rows.columns = {"severity", "code", "message", "file", "line", "column"};
  auto add = [&rows](const Diagnostic& d, const char* severity) {
    rows.rows.push_back({severity, d.code, d.message, d.where.file,
                         d.where.line > 0 ? std::to_string(d.where.line) : "",
                         d.where.column > 0 ? std::to_string(d.where.column) : ""});
  };
  for (const Diagnostic& d : errors) {
    add(d, "error");
  }
  for (const Diagnostic& d : findings) {
    add(d, "warning");
  }
  return rows;
}

Rows routes_rows(const Topology& topology, Index subnet,
                 const std::vector<EffectiveRoute>& routes) {
  Rows rows;
  rows.columns = {"subnet",      "source",           "state", "addressPrefix",
                  "nextHopType", "nextHopIpAddress", "name"};
  const std::string name =
      subnet < topology.subnets.size() ? topology.subnets[subnet].full_name : std::string();
  for (const EffectiveRoute& r : routes) {
    rows.rows.push_back({name, to_string(r.source), r.active ? "Active" : "Invalid",
                         r.prefix.to_string(), to_string(r.next_hop_type),
                         address_or_empty(r.next_hop_ip), r.name});
  }
  return rows;
}

Rows diff_rows(const DiffReport& diff) {
  Rows rows;
  rows.columns = {"proto",          "src",
                  "sport",          "dst",
                  "dport",          "beforeVerdict",
                  "beforeReason",   "beforeVia",
                  "beforeResource", "beforeEgressIps",
                  "afterVerdict",   "afterReason",
                  "afterVia",       "afterResource",
                  "afterEgressIps"};
  for (const FlowChange& c : diff.changes) {
    std::vector<std::string> cells = {to_string(c.flow.proto), c.flow.src.to_string(),
                                      std::to_string(c.flow.sport), c.flow.dst.to_string(),
                                      std::to_string(c.flow.dport)};
    add_side(cells, c.before);
    add_side(cells, c.after);
    rows.rows.push_back(std::move(cells));
  }
  return rows;
}

Rows models_rows() {
  Rows rows;
  rows.columns = {"id", "text"};
  for (const Model& m : all_models()) {
    rows.rows.push_back({std::string(m.id), std::string(m.text)});
  }
  return rows;
}

std::string models_to_json() {
  Json list = Json::array();
  for (const Model& m : all_models()) {
    list.push_back({{"id", m.id}, {"text", m.text}});
  }
  return Json{{"models", std::move(list)}}.dump();
}

std::string models_to_jsonl() {
  std::string out;
  for (const Model& m : all_models()) {
    out += Json{{"id", m.id}, {"text", m.text}}.dump() + "\n";
  }
  return out;
}

std::string format_models() {
  std::string out;
  for (const Model& m : all_models()) {
    out += std::string(m.id) + "\n    " + std::string(m.text) + "\n";
  }
  return out;
}

}  // namespace egress
