// Fuzz target for the groups file (`--groups`): any bytes must give either groups or errors
// (never both, never neither, never an exception or a crash), errors sorted and each at a
// line and column inside the input, and groups as the file wrote them: written back as YAML
// they load again to the same groups, each destination's text parses back to the same
// destination, and a flow to a destination's first address and port matches its group or an
// earlier one. The same bytes also go to parse_group_destination as one item.
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <string_view>

#include "egress/groups/destination_groups.h"
#include "fuzz_checks.h"

namespace {

using egress::DestinationGroup;
using egress::DestinationGroups;
using egress::GroupDestination;
using egress::fuzz::check;

constexpr const char* kFile = "fuzz.yaml";

// Every error at a line of the input and at most one past the end of that line (yaml-cpp's
// marks and the UTF-8 check count bytes).
void check_positions(std::string_view text, const std::vector<egress::Diagnostic>& errors) {
  std::vector<size_t> line_lengths;
  size_t start = 0;
  for (;;) {
    size_t end = text.find('\n', start);
    line_lengths.push_back((end == std::string_view::npos ? text.size() : end) - start);
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  for (const egress::Diagnostic& d : errors) {
    check(d.where.file == kFile, "error names the file");
    check(static_cast<size_t>(d.where.line) <= line_lengths.size(), "error line inside the input");
    check(static_cast<size_t>(d.where.column) <= line_lengths[d.where.line - 1] + 1,
          "error column inside its line");
  }
}

// A YAML double-quoted scalar holding exactly `s` (valid UTF-8, as the loader only accepts).
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else if (s.substr(i, 2) == "\xc2\x85") {  // U+0085, U+2028 and U+2029 are line breaks
      out += "\\N";
      ++i;
    } else if (s.substr(i, 3) == "\xe2\x80\xa8" || s.substr(i, 3) == "\xe2\x80\xa9") {
      out += s[i + 2] == '\xa8' ? "\\L" : "\\P";
      i += 2;
    } else if (s.substr(i, 3) == "\xef\xbb\xbf") {  // a BOM inside a scalar
      out += "\\uFEFF";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string write_groups(const DestinationGroups& groups) {
  std::string out = "groups:\n";
  for (const DestinationGroup& g : groups.groups()) {
    out += "  - name: " + quoted(g.name) + "\n    destinations:\n";
    for (size_t i = 0; i < g.destinations.size(); ++i) {
      const GroupDestination& d = g.destinations[i];
      if (d.host.empty()) {
        out += "      - " + quoted(d.to_string()) + "\n";
        continue;
      }
      out += "      - host: " + quoted(d.host) + "\n        addresses:\n";
      for (; i < g.destinations.size() && g.destinations[i].host == d.host; ++i) {
        out += "          - " + quoted(g.destinations[i].to_string()) + "\n";
      }
      --i;
    }
  }
  return out;
}

bool same_destination(const GroupDestination& a, const GroupDestination& b) {
  return a.prefix == b.prefix && a.ports == b.ports && a.proto == b.proto && a.host == b.host;
}

// The destination's text parses back to it (but its host name, which the text leaves out).
void check_round_trip(const GroupDestination& d) {
  egress::Result<GroupDestination> again = egress::parse_group_destination(d.to_string());
  check(again.ok(), "a destination's text parses");
  GroupDestination expected = d;
  expected.host.clear();
  check(same_destination(*again, expected), "a destination's text parses to it");
}

void check_groups(const DestinationGroups& groups) {
  std::set<std::string> names;
  for (size_t g = 0; g < groups.groups().size(); ++g) {
    const DestinationGroup& group = groups.groups()[g];
    check(!group.name.empty(), "group name not empty");
    check(names.insert(group.name).second, "group names unique");
    check(!group.destinations.empty(), "a group has destinations");
    for (const GroupDestination& d : group.destinations) {
      check(d.prefix == egress::Prefix::of(d.prefix.address, d.prefix.length), "no host bits");
      check(d.host.empty() || d.prefix.length == d.prefix.address.width(),
            "a host's destinations are addresses");
      check(!(d.ports && d.proto == egress::Protocol::kIcmp), "no ports with icmp");
      check_round_trip(d);
      egress::FlowKey flow;
      flow.proto = d.proto.value_or(egress::Protocol::kTcp);
      flow.dst = d.prefix.address;
      flow.dport = d.ports ? d.ports->first : 1;
      check(d.matches(flow), "a destination matches a flow to it");
      check(groups.match(flow) <= g, "a flow to a destination is in its group or an earlier one");
    }
  }
  egress::DestinationGroupsLoad again =
      egress::parse_destination_groups(write_groups(groups), kFile);
  check(again.groups.has_value(), "groups written back load again");
  check(again.groups->groups().size() == groups.groups().size(), "same number of groups");
  for (size_t g = 0; g < groups.groups().size(); ++g) {
    const DestinationGroup& a = groups.groups()[g];
    const DestinationGroup& b = again.groups->groups()[g];
    check(a.name == b.name, "same group name");
    check(a.destinations.size() == b.destinations.size(), "same number of destinations");
    for (size_t i = 0; i < a.destinations.size(); ++i) {
      check(same_destination(a.destinations[i], b.destinations[i]), "same destination");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  egress::DestinationGroupsLoad r = egress::parse_destination_groups(text, kFile);
  check(r.groups.has_value() != !r.errors.empty(), "exactly one of groups and errors");
  egress::fuzz::check_load_errors(r.errors);
  check_positions(text, r.errors);
  if (r.groups) {
    check_groups(*r.groups);
  }
  // The same bytes as one destination item.
  egress::Result<GroupDestination> item = egress::parse_group_destination(text);
  if (item) {
    check_round_trip(*item);
  } else {
    const std::string& code = item.error().code;
    check(code == "bad-prefix" || code == "host-bits" || code == "bad-value" || code == "host-name",
          "item error code");
    check(!item.error().message.empty(), "item error has a message");
  }
  return 0;
}
