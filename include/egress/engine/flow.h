// A flow and what became of it: the record `trace` prints and replay writes per flow
// (../shared/spec/cli.md, "A flow result").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "egress/config/topology.h"
#include "egress/engine/effective_routes.h"
#include "egress/engine/models.h"
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

/// What a hop did to the packet. The text forms (to_string) are the contract (cli.md).
enum class HopAction : uint8_t {
  kNone,        // "": the hop only routed it
  kDeliver,     // deliver
  kDrop,        // drop
  kDeny,        // deny
  kForward,     // forward
  kSnat,        // snat
  kSnatToNode,  // snat-to-node
  kKeepPodIp,   // keep-pod-ip
  kToGateway,   // to-gateway
  kToService,   // to-service
  kToBackend,   // to-backend
  kDnat,        // dnat
  kReply,       // reply
};

/// An address a result names: a source after SNAT, an egress IP, a hop's new address. Azure
/// may pick one the topology does not know: those are kinds of their own, printed
/// `unknown:default-outbound` and `unknown:node-public-ip:POOL#N`.
class ResultAddress {
 public:
  enum class Kind : uint8_t {
    kNone,             // no address (prints empty)
    kAddress,          // address()
    kEndpoint,         // address() and port(): where a DNAT sends the packet
    kDefaultOutbound,  // default outbound access: Azure's implicit public IP
    kNodePublicIp,     // a node public IP Azure picks: pool() and ordinal() name the node
  };

  constexpr ResultAddress() = default;
  // Implicit: every IpAddress is a result address, so `hop.ip = node.address` and braced
  // lists of addresses read as they did with strings.
  constexpr ResultAddress(const IpAddress& a) : kind_(Kind::kAddress), address_(a) {}  // NOLINT
  static constexpr ResultAddress endpoint(const IpAddress& a, uint16_t port) {
    ResultAddress r(a);
    r.kind_ = Kind::kEndpoint;
    r.port_ = port;
    return r;
  }
  static constexpr ResultAddress default_outbound() {
    ResultAddress r;
    r.kind_ = Kind::kDefaultOutbound;
    return r;
  }
  static constexpr ResultAddress node_public_ip(Index pool, uint32_t ordinal) {
    ResultAddress r;
    r.kind_ = Kind::kNodePublicIp;
    r.pool_ = pool;
    r.ordinal_ = ordinal;
    return r;
  }

  constexpr Kind kind() const { return kind_; }
  constexpr bool empty() const { return kind_ == Kind::kNone; }
  /// A real address (kAddress, kEndpoint).
  constexpr bool known() const { return kind_ == Kind::kAddress || kind_ == Kind::kEndpoint; }
  constexpr const IpAddress& address() const { return address_; }
  constexpr uint16_t port() const { return port_; }
  constexpr Index pool() const { return pool_; }
  constexpr uint32_t ordinal() const { return ordinal_; }

  friend constexpr auto operator<=>(const ResultAddress&, const ResultAddress&) = default;
  friend constexpr bool operator==(const ResultAddress&, const ResultAddress&) = default;

 private:
  Kind kind_ = Kind::kNone;
  uint16_t port_ = 0;
  Index pool_ = kNoIndex;
  uint32_t ordinal_ = 0;
  IpAddress address_;
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
  std::string rule;  // the NSG or appliance rule that applied
  HopAction action = HopAction::kNone;
  ResultAddress ip;  // the address the packet carries after this hop, when it changed
  std::string note;  // a short why, for people
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
  std::string resource;   // the NAT gateway, LB, appliance or host that gave the IP
  ResultAddress snat_ip;  // sampled public source IP, Azure's unknown one, or empty
  std::optional<uint16_t> snat_port;
  std::vector<ResultAddress> egress_ips;  // every IP the flow could leave with, sorted
  std::vector<Hop> hops;
  ModelSet models;  // the modelled (undocumented) rules that decided it
  /// The flow's host name (SNI, HTTP Host, trace --host), as given to Engine::trace; empty:
  /// not known. Printed only when set, so records without one stay as they were.
  std::string host;
  /// The verdict could have been another with a host name (Engine::decides_by_host); not
  /// part of the printed record: models names firewall-no-host then.
  bool host_dependent = false;
  SnatPoint snat;  // not part of the printed record
};

const char* to_string(Verdict v);
const char* to_string(Via v);        // "" for kNone
const char* to_string(Reason r);     // "" for kNone
const char* to_string(HopAction a);  // "" for kNone
/// The text form: `10.0.0.1`, `[2001:db8::1]:443` / `10.0.0.1:443` (kEndpoint),
/// `unknown:default-outbound`, `unknown:node-public-ip:NODE`, "" for kNone. `node` is the node's
/// name `POOL#N` for kNodePublicIp: the result's resource, the hop's `at`.
std::string to_string(const ResultAddress& a, std::string_view node);
/// The text forms of a hop's address, a result's SNAT IP and its egress IPs.
std::string ip_text(const Hop& hop);
std::string snat_ip_text(const FlowResult& r);
std::vector<std::string> egress_ip_texts(const FlowResult& r);

}  // namespace egress
