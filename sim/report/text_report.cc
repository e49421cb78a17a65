#include "egress/report/text_report.h"

#include <algorithm>
#include <cstddef>
#include <string_view>

#include "egress/engine/models.h"

namespace egress {
namespace {

// A terminal is at least this wide; the trace table wraps its DECISION column to stay inside.
constexpr size_t kLineWidth = 100;
// Below this a wrapped DECISION column is harder to read than a long line.
constexpr size_t kMinDecisionWidth = 30;
constexpr std::string_view kGap = "  ";
constexpr std::string_view kContinuation = "  ";
constexpr std::string_view kModelIndent = "    ";

void trim_trailing_spaces(std::string& line) {
  line.erase(line.find_last_not_of(' ') + 1);
}

void append_padded(std::string& line, std::string_view cell, size_t width) {
  line += cell;
  line.append(width > cell.size() ? width - cell.size() : 0, ' ');
}

/// One line per entry of `rows`, cells left-aligned to `widths`, without trailing spaces.
std::string render_rows(const std::vector<std::vector<std::string>>& rows,
                        const std::vector<size_t>& widths) {
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) {
        line += kGap;
      }
      append_padded(line, row[c], widths[c]);
    }
    trim_trailing_spaces(line);
    out += line;
    out += '\n';
  }
  return out;
}

/// Joins `units` with spaces into lines of at most `width`, continuation lines indented. A unit
/// longer than the width gets a line of its own rather than being cut.
std::vector<std::string> wrap_units(const std::vector<std::string>& units, size_t width,
                                    std::string_view indent) {
  std::vector<std::string> lines;
  std::string line;
  for (const std::string& unit : units) {
    if (line.empty()) {
      line = lines.empty() ? unit : std::string(indent) + unit;
    } else if (line.size() + 1 + unit.size() <= width) {
      line += ' ';
      line += unit;
    } else {
      lines.push_back(std::move(line));
      line = std::string(indent) + unit;
    }
  }
  if (!line.empty()) {
    lines.push_back(std::move(line));
  }
  return lines;
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = text.find_first_not_of(' ', i);
    if (start == std::string_view::npos) {
      break;
    }
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    out.emplace_back(text.substr(start, end - start));
    i = end;
  }
  return out;
}

std::string endpoint(const IpAddress& ip, uint16_t port, Protocol proto) {
  if (proto == Protocol::kIcmp) {
    return ip.to_string();
  }
  std::string host = ip.is_v4() ? ip.to_string() : "[" + ip.to_string() + "]";
  return host + ":" + std::to_string(port);
}

/// Where the route came from, for a person: the user route's table and name, or what kind of
/// route Azure made.
std::string route_label(const RouteRef& route) {
  if (!route.table.empty()) {
    return route.name.empty() ? route.table : route.table + "/" + route.name;
  }
  if (!route.name.empty()) {
    return route.name;
  }
  switch (route.source) {
    case RouteSource::kDefault:
      return "system";
    case RouteSource::kVirtualNetworkGateway:
      return "bgp";
    case RouteSource::kUser:
      return "user";
  }
  return "?";
}

/// The units a route wraps at: who, which prefix, where to. "->" stays with its target.
std::vector<std::string> route_units(const RouteRef& route) {
  std::string target = std::string("-> ") + to_string(route.next_hop_type);
  if (route.next_hop_ip) {
    target += " " + route.next_hop_ip->to_string();
  }
  return {route_label(route), route.prefix.to_string() + " (" + to_string(route.source) + ")",
          std::move(target)};
}

std::vector<std::string> decision_lines(const Hop& hop, size_t width) {
  std::vector<std::string> lines;
  auto add = [&](const std::vector<std::string>& units) {
    for (std::string& line : wrap_units(units, width, kContinuation)) {
      lines.push_back(std::move(line));
    }
  };
  if (hop.route) {
    add(route_units(*hop.route));
  }
  if (!hop.rule.empty()) {
    add({"rule " + hop.rule});
  }
  if (!hop.note.empty()) {
    add(words(hop.note));
  }
  return lines;
}

std::string hop_table(const std::vector<Hop>& hops) {
  std::vector<size_t> widths = {1, 2, 8, 6, 7};  // the headers' lengths
  widths[0] = std::max(widths[0], std::to_string(hops.size()).size());
  for (const Hop& hop : hops) {
    widths[1] = std::max(widths[1], hop.at.size());
    widths[3] = std::max(widths[3], std::string_view(to_string(hop.action)).size());
    widths[4] = std::max(widths[4], ip_text(hop).size());
  }
  size_t fixed = widths[0] + widths[1] + widths[3] + widths[4] + 4 * kGap.size();
  size_t budget = fixed + kMinDecisionWidth < kLineWidth ? kLineWidth - fixed : kMinDecisionWidth;

  std::vector<std::vector<std::string>> rows;
  rows.push_back({"#", "AT", "DECISION", "ACTION", "ADDRESS"});
  for (size_t i = 0; i < hops.size(); ++i) {
    const Hop& hop = hops[i];
    std::vector<std::string> decision = decision_lines(hop, budget);
    if (decision.empty()) {
      decision.emplace_back();
    }
    rows.push_back(
        {std::to_string(i + 1), hop.at, decision[0], to_string(hop.action), ip_text(hop)});
    for (size_t d = 1; d < decision.size(); ++d) {
      rows.push_back({"", "", decision[d], "", ""});
    }
  }
  for (const auto& row : rows) {
    widths[2] = std::max(widths[2], row[2].size());
  }
  return render_rows(rows, widths);
}

std::string snat_text(const FlowResult& result) {
  std::string ip = snat_ip_text(result);
  if (!result.snat_port) {
    return ip;
  }
  const ResultAddress& a = result.snat_ip;
  std::string host = a.known() && !a.address().is_v4() ? "[" + ip + "]" : ip;
  return host + ":" + std::to_string(*result.snat_port);
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += separator;
    }
    out += items[i];
  }
  return out;
}

}  // namespace

std::string format_trace(const FlowResult& result) {
  const FlowKey& flow = result.flow;
  std::string out = std::string(to_string(flow.proto)) + " " +
                    endpoint(flow.src, flow.sport, flow.proto) + " -> " +
                    endpoint(flow.dst, flow.dport, flow.proto) +
                    (result.host.empty() ? "" : " (host " + result.host + ")") + "\n";
  if (!result.hops.empty()) {
    out += "\n" + hop_table(result.hops) + "\n";
  }
  out += std::string("verdict: ") + to_string(result.verdict) + "\n";
  if (result.reason != Reason::kNone) {
    out += std::string("reason: ") + to_string(result.reason) + "\n";
  }
  if (result.via != Via::kNone) {
    out += std::string("via: ") + to_string(result.via);
    if (!result.resource.empty()) {
      out += " " + result.resource;
    }
    out += "\n";
  }
  if (!result.snat_ip.empty()) {
    out += "snat: " + snat_text(result) + "\n";
  }
  if (!result.egress_ips.empty()) {
    out += "egress IPs: " + join(egress_ip_texts(result), ", ") + "\n";
  }
  for (std::string_view id : result.models.ids()) {
    std::vector<std::string> units = words(model_text(id));
    units.insert(units.begin(), "modelled: " + std::string(id) + (units.empty() ? "" : ":"));
    for (const std::string& line : wrap_units(units, kLineWidth, kModelIndent)) {
      out += line + "\n";
    }
  }
  return out;
}

// The table holds what `az network nic show-effective-route-table -o table` shows, which names
// no subnet: the caller asked for one.
std::string format_routes([[maybe_unused]] const Topology& topology, [[maybe_unused]] Index subnet,
                          const std::vector<EffectiveRoute>& routes) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"Source", "State", "Address Prefix", "Next Hop Type", "Next Hop IP", "Name"});
  rows.emplace_back();  // the rule under the headers, filled in once the widths are known
  for (const EffectiveRoute& r : routes) {
    rows.push_back({to_string(r.source), r.active ? "Active" : "Invalid", r.prefix.to_string(),
                    to_string(r.next_hop_type), r.next_hop_ip ? r.next_hop_ip->to_string() : "",
                    r.name});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  for (size_t width : widths) {
    rows[1].emplace_back(width, '-');
  }
  return render_rows(rows, widths);
}

}  // namespace egress
