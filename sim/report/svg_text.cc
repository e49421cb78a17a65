#include "svg_text.h"

#include <algorithm>
#include <string>

namespace egress {

std::string clipped(std::string_view text, size_t max) {
  auto starts_char = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; };
  size_t chars = 0;
  size_t keep_end = text.size();  // where the first max - 3 characters end
  for (size_t i = 0; i < text.size(); ++i) {
    if (starts_char(text[i])) {
      if (chars == (max > 3 ? max - 3 : 0)) {
        keep_end = std::min(keep_end, i);
      }
      if (++chars > max) {
        return std::string(text.substr(0, keep_end)) + "...";
      }
    }
  }
  return std::string(text);
}

std::string route_label(const RouteRef& route) {
  std::string label = route.table.empty() ? route.name : route.table + "/" + route.name;
  return label.empty() ? to_string(route.source) : label;
}

std::string route_target(const RouteRef& route) {
  std::string out = route.prefix.to_string() + " -> " + to_string(route.next_hop_type);
  if (route.next_hop_ip) {
    out += " " + route.next_hop_ip->to_string();
  }
  return out;
}

std::string route_line(const RouteRef& route) {
  return route_label(route) + " " + route_target(route);
}

std::string verdict_line(const FlowResult& result) {
  std::string out = to_string(result.verdict);
  if (result.reason != Reason::kNone) {
    out += ": " + std::string(to_string(result.reason));
  }
  return out;
}

const char* verdict_fill(Verdict v) {
  switch (v) {
    case Verdict::kEgress:
      return "#e6f4ea";
    case Verdict::kDropped:
      return "#fde7e7";
    case Verdict::kAsymmetric:
      return "#fff4e0";
    default:
      return "#e8f0fe";
  }
}

const char* verdict_stroke(Verdict v) {
  switch (v) {
    case Verdict::kEgress:
      return "#2e7d32";
    case Verdict::kDropped:
      return "#c62828";
    case Verdict::kAsymmetric:
      return "#ef6c00";
    default:
      return "#1a56c4";
  }
}

}  // namespace egress
