// A flow and what became of it: the record `trace` prints and replay writes per flow
// (../shared/spec/cli.md, "A flow result").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "egress/config/topology.h"
#include "egress/engine/effective_routes.h"
#include "egress/net/ip_address.h"

namespace egress {

struct FlowKey {
  Protocol proto = Protocol::kTcp;
  IpAddress src;
  uint16_t sport = 0;
  IpAddress dst;
  uint16_t dport = 0;

  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

enum class Verdict : uint8_t { kEgress, kInternal, kOnprem, kIngress, kDropped, kAsymmetric };

/// The mechanism that gave the public source IP (semantics.md 4), or for an internal flow
/// the endpoint that carried it with its private source (azure-behaviour D4, D5).
enum class Via : uint8_t {
  kNone,
  kNatGateway,
  kInstancePublicIp,
  kLoadBalancer,
  kAppliance,
  kDefaultOutbound,
  kServiceEndpoint,
  kPrivateEndpoint,
};

/// Drop and asymmetry reasons. The text forms are the contract (semantics.md).
enum class Reason : uint8_t {
  kNone,
  kUnknownSource,               // unknown-source
  kNsgDeny,                     // nsg-deny
  kRouteNone,                   // route-none
  kApplianceMissing,            // appliance-missing
  kGatewayMissing,              // gateway-missing: a user route to a gateway the VNet lacks
  kIpForwardingDisabled,        // ip-forwarding-disabled
  kApplianceDeny,               // appliance-deny
  kLoop,                        // loop
  kNoOutboundConnectivity,      // no-outbound-connectivity
  kSnatExhausted,               // snat-exhausted
  kBlockedOutboundType,         // blocked-outbound-type
  kApiServerUnauthorized,       // api-server-unauthorized
  kNoLoadBalancingRule,         // no-lb-rule: to a frontend IP, but no Service on that port
  kReturnViaAppliance,          // return-via-appliance: the asymmetric ingress of semantics.md 7
  kReturnViaGateway,            // return-via-gateway: replies routed to on-premises instead
  kForwardedTrafficNotAllowed,  // forwarded-traffic-not-allowed: peering refuses NVA traffic
};

/// The route a hop matched, as the trace and `routes` print it.
struct RouteRef {
  std::string table;  // route table name; empty for system and BGP routes
  std::string name;
  Prefix prefix;
  RouteSource source = RouteSource::kDefault;
  NextHopType next_hop_type = NextHopType::kNone;
  std::optional<IpAddress> next_hop_ip;
};

/// One step of the path. `at` names where it happened: `pod`, a subnet `VNET/SUBNET`, an
/// appliance, a load balancer, a NAT gateway, `internet`. Empty strings are absent fields.
struct Hop {
  std::string at;
  std::optional<RouteRef> route;
  std::string rule;    // the NSG or appliance rule that applied
  std::string action;  // snat-to-node, allow, deny, forward, snat, deliver, ...
  std::string ip;      // the address the packet carries after this hop, when it changed
  std::string note;    // a short why, for people
};

/// Where the flow's source address is translated and from which public IPs and ports: what the
/// port pools of replay need (semantics.md 5). via kNone: no translation to a public IP.
struct SnatPoint {
  Via via = Via::kNone;
  Index resource = kNoIndex;  // NAT gateway, load balancer, appliance or host, by via
  Index rule = kNoIndex;      // load balancer: the outbound rule
  uint32_t instance = 0;      // load balancer: the backend instance's ordinal in its pool
  uint32_t ports = 0;         // ports one IP gives this flow's pool (see SnatPools)
  uint32_t idle_timeout_s = 0;
  /// Load balancer: frontends in the order Azure uses them. NAT gateway and appliance: the
  /// addresses it picks from at random. Instance public IP: the one address.
  std::vector<IpAddress> ips;
};

struct FlowResult {
  FlowKey flow;
  Verdict verdict = Verdict::kDropped;
  Reason reason = Reason::kNone;
  Via via = Via::kNone;
  std::string resource;  // the NAT gateway, LB, appliance or host that gave the IP
  std::string snat_ip;   // sampled public source IP, `unknown:default-outbound`, or empty
  std::optional<uint16_t> snat_port;
  std::vector<std::string> egress_ips;  // every IP the flow could leave with, sorted
  std::vector<Hop> hops;
  std::vector<std::string> models;  // ids of the modelled (undocumented) rules that decided it
  /// The flow's host name (SNI, HTTP Host, trace --host), as given to Engine::trace; empty:
  /// not known. Printed only when set, so records without one stay as they were.
  std::string host;
  /// The verdict could have been another with a host name (Engine::decides_by_host); not
  /// part of the printed record: models names firewall-no-host then.
  bool host_dependent = false;
  SnatPoint snat;  // not part of the printed record
};

const char* to_string(Verdict v);
const char* to_string(Via v);     // "" for kNone
const char* to_string(Reason r);  // "" for kNone

}  // namespace egress
