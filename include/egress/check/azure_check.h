// `egress-sim check`: the model compared with what Azure answered (azure-behaviour F):
// effective route tables row by row, Network Watcher next-hop answers, and the egress IPs AKS
// and the NAT gateway report.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "egress/config/topology.h"
#include "egress/util/result.h"

namespace egress {

/// One row of an effective route table as Azure writes it (strings as written).
struct AzureRouteRow {
  std::string source;  // Default, User, VirtualNetworkGateway
  std::string state;   // Active, Invalid
  std::vector<std::string> address_prefixes;
  std::string next_hop_type;
  std::vector<std::string> next_hop_ips;
  std::string name;     // the user route's name; empty for null
  std::string pointer;  // JSON pointer of the row in its file
};

/// `az network nic show-effective-route-table` (or the REST response) of one NIC.
struct EffectiveRouteAnswer {
  SourceLocation where;  // the file
  std::string nic;       // from the REST wrapper or the export folder's file name
  std::string subnet;    // VNET/SUBNET, from the export folder's file name
  std::vector<AzureRouteRow> rows;
};

/// A Network Watcher next-hop answer with its request.
struct NextHopAnswer {
  SourceLocation where;
  std::string source_ip;
  std::string destination_ip;
  std::string target_nic_id;  // may be empty
  std::string next_hop_type;
  std::string next_hop_ip;     // may be empty
  std::string route_table_id;  // "System Route" for system routes
};

/// Egress IPs one resource reports: a managed cluster's loadBalancerProfile or
/// natGatewayProfile `effectiveOutboundIPs`, or a NAT gateway's publicIpAddresses and
/// publicIpPrefixes.
struct EgressIpAnswer {
  enum class Kind : uint8_t { kLoadBalancerProfile, kNatGatewayProfile, kNatGateway };
  SourceLocation where;
  Kind kind = Kind::kLoadBalancerProfile;
  std::string resource;  // the cluster's or NAT gateway's name
  std::string resource_id;
  std::string pointer;           // of the list
  std::vector<std::string> ids;  // public IPs (and, for a NAT gateway, prefixes) by ARM id
};

/// A public IP resource with its address (`az network public-ip list`), so egress IPs known by
/// id are compared by address too.
struct PublicIpAnswer {
  SourceLocation where;
  std::string id;
  std::string name;
  std::string address;  // empty: not allocated
};

struct AzureAnswers {
  std::vector<EffectiveRouteAnswer> route_tables;
  std::vector<NextHopAnswer> next_hops;
  std::vector<EgressIpAnswer> egress_ips;
  std::vector<PublicIpAnswer> public_ips;
  size_t other_resources = 0;  // read but not compared (vnets, NSGs, ...)
};

/// Most a single answer file may hold; EGRESS_MAX_TOPOLOGY_BYTES does not apply to answers.
inline constexpr uint64_t kMaxAnswerBytes = uint64_t{256} << 20;

/// Reads answer files and folders (every `*.json` below, sorted by path): az's output
/// (flattened or nested, one object, an array, `{"value": [...]}`) and the REST examples'
/// wrapper (`parameters`, `responses.200.body`). Errors (unreadable, malformed JSON with
/// line:column, nothing to compare) in `errors`.
struct AnswersLoad {
  AzureAnswers answers;
  std::vector<Diagnostic> errors;
};
AnswersLoad read_azure_answers(std::span<const std::string> paths,
                               uint64_t max_bytes = kMaxAnswerBytes);

struct CheckOptions {
  std::string nic;     // --nic: the host, node pool or appliance an unnamed route table is of
  std::string subnet;  // --subnet VNET/SUBNET: likewise
};

/// One difference between the model and an answer. `kind`: route-missing (in Azure, not in
/// the model), route-extra (in the model, not in Azure), route-next-hop, route-state,
/// next-hop-type, next-hop-ip, next-hop-route-table, egress-ip-missing, egress-ip-extra,
/// egress-ip-address.
struct Difference {
  std::string kind;
  std::string subject;   // subnet VNET/SUBNET, flow SRC -> DST, cluster NAME, natGateway NAME
  std::string azure;     // what Azure answered ("" when it has nothing)
  std::string model;     // what the model says ("" when it has nothing)
  SourceLocation where;  // the answer file
  std::string pointer;   // JSON pointer in it, where known
};

struct CheckResult {
  std::vector<Difference> differences;
  std::vector<Diagnostic> errors;  // answers that cannot be placed (exit 2)
  size_t route_tables = 0;         // compared
  size_t routes = 0;
  size_t next_hops = 0;
  size_t egress_ips = 0;
};

CheckResult check_against_azure(const Topology& topology, const AzureAnswers& answers,
                                const CheckOptions& options);

/// Text: one line per difference, `FILE: KIND: SUBJECT: ...`, then a summary line.
std::string format_check(const CheckResult& result);
/// `check -o json`: {"differences":[{kind,subject,azure,model,file,pointer}],
/// "compared":{"routeTables","routes","nextHops","egressIps"}}.
std::string check_to_json(const CheckResult& result);

}  // namespace egress
