// Named destination groups (`--groups FILE`): the partners whose firewalls allow-list the
// cluster, so that replay, synth, diff and migrate can say per partner which flows went there,
// how they fared, and which egress IPs the partner sees or must add.
//
// File (YAML; unknown and duplicate keys are errors):
//
//   groups:
//     - name: payments-api          # unique, non-empty
//       destinations:               # non-empty; each item one of:
//         - 140.82.112.0/20:443/tcp # ADDRESS-OR-PREFIX[:PORTS][/PROTO]; PORTS 443 or 8000-8080,
//         - 1.1.1.1/udp             # PROTO tcp, udp or icmp (no ports with icmp). An IPv6
//         - 2001:db8::/32           # prefix or address takes ports only in brackets:
//         - "[2001:db8::1]:443/tcp" # [2001:db8::/32]:443. Host bits set are an error.
//         - host: api.example.com   # flows that name it (TLS SNI, HTTP Host: FlowResult::host)
//         - host: "*.example.com"   # a wildcard, matched as Azure Firewall matches target FQDNs
//                                   # (fqdn_matches: one or more labels, not the apex)
//         - host: api.example.com   # with the addresses it resolves to: also flows to them
//           addresses: [203.0.113.10, 203.0.113.11:443/tcp]   # (names are never looked up,
//                                   # so that results repeat offline); a bare name is an error
//
// A flow whose host name is known belongs to the first group, in file order, with a host that
// matches that name. Any other flow (no name, or a name no group lists) belongs to the first
// group, in file order, with an address destination that matches its destination address,
// port and protocol (not the most specific one: the order of the file is the rule, as in a
// firewall's rule list); flows neither matches are "ungrouped". A name goes first because it
// says which partner a flow is for, where an address may be shared by many names (a CDN, a
// front door).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egress/config/topology.h"
#include "egress/engine/flow.h"
#include "egress/net/ip_address.h"
#include "egress/util/result.h"

namespace egress {

struct GroupDestination {
  Prefix prefix;
  std::optional<PortRange> ports;  // none: any port
  std::optional<Protocol> proto;   // none: any protocol
  std::string host;                // the host name the address was given for, or empty

  bool matches(const FlowKey& flow) const;
  /// As written in the file (without the host name).
  std::string to_string() const;
};

struct DestinationGroup {
  std::string name;
  std::vector<GroupDestination> destinations;  // by address
  std::vector<std::string> hosts;              // host names and wildcards, in lower case
};

inline constexpr size_t kNoGroup = SIZE_MAX;

class DestinationGroups {
 public:
  DestinationGroups() = default;
  explicit DestinationGroups(std::vector<DestinationGroup> groups) : groups_(std::move(groups)) {}

  /// The index of the first group with a host matching `host` (the flow's name, empty when
  /// not known), else of the first with a destination matching the flow's destination
  /// address, port and protocol, else kNoGroup.
  size_t match(const FlowKey& flow, std::string_view host = {}) const;
  const std::vector<DestinationGroup>& groups() const { return groups_; }
  bool empty() const { return groups_.empty(); }

 private:
  std::vector<DestinationGroup> groups_;
};

/// A groups file read: the groups, or every error found (sorted by position), never both.
struct DestinationGroupsLoad {
  std::optional<DestinationGroups> groups;
  std::vector<Diagnostic> errors;
};

/// One destination item: `ADDRESS-OR-PREFIX[:PORTS][/PROTO]` (grammar above). Errors (codes
/// bad-prefix, host-bits, bad-value) quote the item; a host name gets one saying to give its
/// addresses.
Result<GroupDestination> parse_group_destination(std::string_view text);

/// Parses a groups file's text; `file` names it in diagnostics (`FILE:LINE:COL: error: ...`).
DestinationGroupsLoad parse_destination_groups(std::string_view yaml_text, const std::string& file);
/// Reads and parses a groups file; a file that cannot be read is one error with code `io`.
DestinationGroupsLoad load_destination_groups(const std::string& path);

}  // namespace egress
