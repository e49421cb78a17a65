#include "egress/report/dot.h"

#include <string>

#include "egress/report/path_diagram.h"
#include "svg_text.h"

namespace egress {

std::string dot_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7f) {
      out += '?';
    } else {
      out += c;
    }
  }
  return out;
}

std::string trace_to_dot(const FlowResult& result) {
  std::string out = "digraph path {\n";
  out += "  rankdir=LR;\n";
  out +=
      "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f5f7fa\", "
      "fontname=\"sans-serif\"];\n";
  out += "  label=\"" + dot_escape(flow_line(result.flow)) + "\";\n  labelloc=t;\n";
  for (size_t i = 0; i < result.hops.size(); ++i) {
    const Hop& hop = result.hops[i];
    std::string label = hop.at + "\n" + to_string(hop.action);
    if (hop.route) {
      label += "\n" + route_line(*hop.route);
    }
    if (!hop.rule.empty()) {
      label += "\nrule " + hop.rule;
    }
    if (!hop.ip.empty()) {
      label += "\nnow " + ip_text(hop);
    }
    out += "  hop" + std::to_string(i) + " [label=\"" + dot_escape(label) + "\"];\n";
  }
  std::string end = verdict_line(result);
  if (!result.snat_ip.empty()) {
    end += "\nas " + snat_ip_text(result);
  }
  out += "  verdict [label=\"" + dot_escape(end) + "\", fillcolor=\"" +
         verdict_fill(result.verdict) + "\", color=\"" + verdict_stroke(result.verdict) + "\"];\n";
  for (size_t i = 0; i < result.hops.size(); ++i) {
    out += "  hop" + std::to_string(i) + " -> " +
           (i + 1 < result.hops.size() ? "hop" + std::to_string(i + 1) : std::string("verdict")) +
           ";\n";
  }
  out += "}\n";
  return out;
}

}  // namespace egress
