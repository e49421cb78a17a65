#include <cinttypes>
#include <cstdio>

#include "text_cells_internal.h"

namespace egress {

std::string joined(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += sep;
    }
    out += items[i];
  }
  return out;
}

std::string hop_text(const Hop& hop) {
  std::string out = hop.at;
  if (hop.route) {
    const RouteRef& r = *hop.route;
    out += " route ";
    out += r.table.empty() ? r.name : r.table + "/" + r.name;
    if (!out.ends_with(' ')) {
      out += ' ';
    }
    out += r.prefix.to_string() + " " + to_string(r.next_hop_type);
  }
  if (!hop.rule.empty()) {
    out += " rule " + hop.rule;
  }
  if (hop.action != HopAction::kNone) {
    out += " ";
    out += to_string(hop.action);
  }
  if (!hop.ip.empty()) {
    out += " " + ip_text(hop);
  }
  return out;
}

std::string seconds_text(int64_t ns) {
  char buf[40];
  int64_t us = ns / 1000;
  std::snprintf(buf, sizeof buf, "%" PRId64 ".%06" PRId64, us / 1'000'000,
                (us % 1'000'000 + 1'000'000) % 1'000'000);
  std::string s = buf;
  while (s.back() == '0') {
    s.pop_back();
  }
  if (s.back() == '.') {
    s.pop_back();
  }
  return s;
}

}  // namespace egress
