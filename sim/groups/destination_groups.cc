// The groups file and its destination items (schema in egress/groups/destination_groups.h).
#include "egress/groups/destination_groups.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>

#include "config/yaml_reader_internal.h"
#include "egress/config/fqdn_tags.h"

namespace egress {
namespace {

using internal::Diagnostics;
using internal::Field;
using internal::MapReader;
using internal::quote;

constexpr std::string_view kTopKeys[] = {"groups"};
constexpr std::string_view kGroupKeys[] = {"name", "destinations"};
constexpr std::string_view kHostKeys[] = {"host", "addresses"};

Error item_error(std::string code, std::string message) {
  return Error{std::move(code), std::move(message), {}};
}

// A DNS name (letters, digits, '-', '.', at least one letter), which is what a user who wrote
// one meant: worth its own message.
bool looks_like_host_name(std::string_view s) {
  bool letter = false;
  for (char c : s) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    letter = letter || alpha;
    if (!alpha && !(c >= '0' && c <= '9') && c != '-' && c != '.') {
      return false;
    }
  }
  return letter;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// A name as TLS SNI and HTTP Host carry it, or one behind "*." (a wildcard of Azure Firewall's
// target FQDNs, azure-behaviour B5).
bool host_pattern_valid(std::string_view s) {
  if (s.starts_with("*.")) {
    s.remove_prefix(2);
  }
  return valid_host_name(s);
}

class GroupsReader {
 public:
  explicit GroupsReader(const std::string& file) : diags_(file) {}

  DestinationGroupsLoad run(std::string_view text) {
    internal::run_guarded(diags_, [&] { load(text); });
    DestinationGroupsLoad result;
    if (diags_.empty()) {
      result.groups = DestinationGroups(std::move(groups_));
    } else {
      result.errors = diags_.take();
    }
    return result;
  }

 private:
  void load(std::string_view text) {
    std::optional<YAML::Node> document = internal::load_document(text, diags_);
    if (!document) {
      return;
    }
    const YAML::Node& root = *document;
    if (!root.IsMap()) {
      Pos pos = internal::pos_of(root);
      diags_.error(
          "bad-type",
          "a groups file must be a map with the key 'groups', got " + internal::describe(root),
          pos.line > 0 ? pos : Pos{1, 1});
      return;
    }
    MapReader top(root, "the groups file", kTopKeys, diags_);
    if (auto f = top.require("groups")) {
      internal::for_each_item_nonempty(*f, diags_, "",
                                       [&](const Field& item) { read_group(item); });
    }
  }

  void read_group(const Field& item) {
    auto map = MapReader::open(item, "a group", kGroupKeys, diags_);
    if (!map) {
      return;
    }
    DestinationGroup group;
    auto name_field = map->require("name");
    std::optional<std::string> name;
    if (name_field) {
      name = internal::read_name(*name_field, diags_);
    }
    if (name) {
      auto [it, fresh] = names_.try_emplace(*name, name_field->pos);
      if (!fresh) {
        diags_.error("duplicate-name",
                     "group name " + quote(*name) + " is already used at line " +
                         std::to_string(it->second.line) + ", column " +
                         std::to_string(it->second.column),
                     name_field->pos);
        name.reset();
      }
    }
    bool ok = name.has_value();
    if (auto f = map->require("destinations")) {
      internal::for_each_item_nonempty(*f, diags_, "", [&](const Field& d) {
        ok = (d.node.IsMap() ? read_host(d, group) : read_destination(d, group.destinations)) && ok;
      });
    } else {
      ok = false;
    }
    if (ok) {
      group.name = std::move(*name);
      groups_.push_back(std::move(group));
    }
  }

  // One address item of 'destinations' (or of a host's 'addresses', with `host` set).
  bool read_destination(const Field& d, std::vector<GroupDestination>& out,
                        const std::string& host = "") {
    auto text = internal::read_string(d, diags_);
    if (!text) {
      return false;
    }
    Result<GroupDestination> parsed = parse_group_destination(*text);
    if (!parsed) {
      diags_.error(parsed.error().code, parsed.error().message, d.pos);
      return false;
    }
    if (!host.empty() && parsed->prefix.length != parsed->prefix.address.width()) {
      diags_.error("bad-value",
                   "host " + quote(host) + ": " + quote(*text) +
                       " is a prefix; 'addresses' lists the addresses the name resolves to",
                   d.pos);
      return false;
    }
    parsed->host = host;
    out.push_back(std::move(*parsed));
    return true;
  }

  bool read_host(const Field& d, DestinationGroup& group) {
    auto map = MapReader::open(d, "a host destination", kHostKeys, diags_);
    if (!map) {
      return false;
    }
    auto host_field = map->require("host");
    std::optional<std::string> host =
        host_field ? internal::read_string(*host_field, diags_) : std::nullopt;
    if (!host) {
      return false;
    }
    if (!host_pattern_valid(*host)) {
      diags_.error("bad-value",
                   "host " + quote(*host) +
                       ": expected a host name like api.example.com or a wildcard like "
                       "*.example.com",
                   host_field->pos);
      return false;
    }
    std::string name = lower(*host);
    if (!name.empty() && name.back() == '.') {
      name.pop_back();
    }
    group.hosts.push_back(name);
    bool ok = true;
    if (map->has("addresses")) {
      if (auto addresses = map->require("addresses")) {
        internal::for_each_item_nonempty(
            *addresses, diags_, "leave it out to match the name alone",
            [&](const Field& a) { ok = read_destination(a, group.destinations, name) && ok; });
      }
    }
    return ok;
  }

  Diagnostics diags_;
  std::vector<DestinationGroup> groups_;
  std::map<std::string, Pos> names_;
};

}  // namespace

bool GroupDestination::matches(const FlowKey& flow) const {
  if (proto && *proto != flow.proto) {
    return false;
  }
  if (ports && (flow.proto == Protocol::kIcmp || !ports->contains(flow.dport))) {
    return false;
  }
  return prefix.contains(flow.dst);
}

std::string GroupDestination::to_string() const {
  bool v6 = !prefix.address.is_v4();
  bool whole = prefix.length == prefix.address.width();
  std::string out = whole ? prefix.address.to_string() : prefix.to_string();
  if (ports) {
    out = (v6 ? "[" + out + "]" : out) + ":" + std::to_string(ports->first);
    if (ports->last != ports->first) {
      out += "-" + std::to_string(ports->last);
    }
  }
  if (proto) {
    out += "/" + std::string(egress::to_string(*proto));
  }
  return out;
}

size_t DestinationGroups::match(const FlowKey& flow, std::string_view host) const {
  if (!host.empty()) {
    for (size_t g = 0; g < groups_.size(); ++g) {
      for (const std::string& pattern : groups_[g].hosts) {
        if (fqdn_matches(pattern, host)) {
          return g;
        }
      }
    }
  }
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (const GroupDestination& d : groups_[g].destinations) {
      if (d.matches(flow)) {
        return g;
      }
    }
  }
  return kNoGroup;
}

Result<GroupDestination> parse_group_destination(std::string_view text) {
  const std::string what = quote(text);
  GroupDestination d;
  std::string_view rest = text;
  size_t slash = rest.rfind('/');
  if (slash != std::string_view::npos && slash + 1 < rest.size() &&
      !(rest[slash + 1] >= '0' && rest[slash + 1] <= '9')) {
    std::string_view word = rest.substr(slash + 1);
    d.proto = parse_protocol(word);
    if (!d.proto) {
      return item_error("bad-value",
                        what + ": unknown protocol " + quote(word) + "; expected tcp, udp or icmp");
    }
    rest = rest.substr(0, slash);
  }
  std::string_view address = rest;
  std::optional<std::string_view> ports;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return item_error("bad-prefix", what + ": '[' without ']'");
    }
    address = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return item_error("bad-prefix", what + ": expected ':PORTS' after ']'");
      }
      ports = after.substr(1);
    }
  } else if (std::count(rest.begin(), rest.end(), ':') == 1) {
    // IPv4 with a port; an IPv6 address has two colons or more.
    size_t colon = rest.find(':');
    address = rest.substr(0, colon);
    ports = rest.substr(colon + 1);
  }
  if (ports) {
    d.ports = parse_port_range(*ports);
    if (!d.ports) {
      return item_error("bad-value", what + ": bad port " + quote(*ports) +
                                         "; expected 1..65535 or a range like 8000-8080");
    }
    if (d.proto == Protocol::kIcmp) {
      return item_error("bad-value", what + ": icmp has no ports");
    }
  }
  if (address.find('/') != std::string_view::npos) {
    Result<Prefix> prefix = Prefix::parse(address);
    if (!prefix) {
      return prefix.error();
    }
    d.prefix = *prefix;
  } else if (auto ip = IpAddress::parse(address)) {
    d.prefix = Prefix::host(*ip);
  } else if (looks_like_host_name(address)) {
    return item_error("host-name", what + " is a host name; write {host: " + std::string(address) +
                                       "} for the flows that name it (TLS SNI, HTTP Host), "
                                       "with addresses: [...] for flows to the addresses it "
                                       "resolves to (names are never looked up)");
  } else {
    return item_error("bad-prefix",
                      "expected an address or prefix like 140.82.112.0/20 or "
                      "2001:db8::/32, with optional :PORTS and /PROTO, got " +
                          what);
  }
  return d;
}

DestinationGroupsLoad parse_destination_groups(std::string_view yaml_text,
                                               const std::string& file) {
  return GroupsReader(file).run(yaml_text);
}

DestinationGroupsLoad load_destination_groups(const std::string& path) {
  // A groups file is a few kilobytes; the cap stops a mistaken path (a capture) being read.
  constexpr std::streamsize kMaxFileBytes = std::streamsize{1} << 20;
  auto io_error = [&](std::string why) {
    DestinationGroupsLoad result;
    result.errors.push_back(
        Diagnostic{"io", "cannot read '" + path + "': " + why, SourceLocation{path, 0, 0}});
    return result;
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return io_error(std::strerror(errno));
  }
  std::string text(static_cast<size_t>(kMaxFileBytes) + 1, '\0');
  in.read(text.data(), kMaxFileBytes + 1);
  if (in.bad()) {
    return io_error(std::strerror(errno));
  }
  if (in.gcount() > kMaxFileBytes) {
    return io_error("larger than 1 MiB; a groups file is far smaller");
  }
  text.resize(static_cast<size_t>(in.gcount()));
  return parse_destination_groups(text, path);
}

}  // namespace egress
