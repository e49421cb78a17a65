// The topology model: what `topologies/*.yaml` describes (../shared/spec/topology.md), with
// every name resolved to an index. A Topology is built once by the loader and never changed,
// so it can be shared by any number of threads.
//
// Field names follow the YAML (which follows Azure Resource Manager); each element keeps where
// it was written so that findings can point at it, and its `id` (the ARM resource id, as
// written; empty when the file gives none).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egress/net/ip_address.h"
#include "egress/util/result.h"

namespace egress {

/// Index into one of the Topology's vectors. Names are resolved by the loader.
using Index = uint32_t;
inline constexpr Index kNoIndex = 0xffffffffU;

enum class OutboundType : uint8_t {
  kLoadBalancer,
  kManagedNatGateway,
  kUserAssignedNatGateway,
  kUserDefinedRouting,
  kNone,
  kBlock,
};
enum class VnetMode : uint8_t { kManaged, kByo };
enum class NetworkPlugin : uint8_t { kKubenet, kAzure, kAzureOverlay };
enum class VmSetType : uint8_t { kVirtualMachineScaleSets, kAvailabilitySet };
enum class LoadBalancerSku : uint8_t { kStandard, kBasic };
/// SKUs of public IPs and prefixes, and of NAT gateways (azure-behaviour D1).
enum class PublicIpSku : uint8_t { kBasic, kStandard, kStandardV2 };
enum class NatGatewaySku : uint8_t { kStandard, kStandardV2 };

/// Next hop types of effective routes. `kVnetPeering` is system-only: a user route cannot
/// name it (azure-egress-facts 1b).
enum class NextHopType : uint8_t {
  kVnetLocal,
  kVnetPeering,
  kInternet,
  kVirtualAppliance,
  kVirtualNetworkGateway,
  kNone,
  /// System-only, like kVnetPeering (azure-behaviour D4, D5).
  kVirtualNetworkServiceEndpoint,
  kInterfaceEndpoint,
};

enum class Protocol : uint8_t { kTcp, kUdp, kIcmp };

/// A set of protocols (bit per Protocol); kAnyProtocol matches all.
using ProtocolSet = uint8_t;
inline constexpr ProtocolSet kAnyProtocol = 0x7;
constexpr ProtocolSet protocol_bit(Protocol p) {
  return static_cast<ProtocolSet>(1U << static_cast<unsigned>(p));
}

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 65535;
  bool contains(uint16_t p) const { return p >= first && p <= last; }
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

/// A port number in decimal without leading zeros: 1..65535, or 0..65535 with `allow_zero`.
std::optional<uint16_t> parse_port(std::string_view text, bool allow_zero);

/// `443` or `8000-8080`: ports 1..65535 without leading zeros, first <= last; nullopt
/// otherwise. The form of mix files and groups files.
std::optional<PortRange> parse_port_range(std::string_view text);

/// Where an element was written: 1-based line and column in `Topology::file`.
struct Pos {
  int line = 0;
  int column = 0;
};

struct Route {
  std::string name;
  Prefix prefix;
  NextHopType next_hop_type = NextHopType::kNone;
  std::optional<IpAddress> next_hop_ip;
  Pos pos;
  Pos next_hop_pos;
  std::string id;
};

struct RouteTable {
  std::string name;
  bool disable_bgp_route_propagation = false;
  std::vector<Route> routes;
  Pos pos;
  std::string id;
};

struct Peering {
  Index remote_vnet = kNoIndex;
  bool allow_forwarded_traffic = false;
  bool use_remote_gateways = false;
  /// False for the reverse of a peering declared only on the other VNet (modelled as
  /// two-sided: see models.h).
  bool declared = true;
  Pos pos;
  std::string name;  // optional: Azure names peerings, the schema refers to them by remoteVnet
  std::string id;
};

struct Vnet {
  std::string name;
  std::vector<Prefix> address_space;
  std::vector<Index> subnets;  // into Topology::subnets
  std::vector<Peering> peerings;
  Pos pos;
  std::string id;
};

/// A subnet's service endpoint (azure-behaviour D4): ARM's `service` and `locations`.
struct ServiceEndpoint {
  std::string service;                 // as ARM writes it: Microsoft.Storage
  std::vector<std::string> locations;  // as written; `*` is every region; empty: not written
  Pos pos;
};

/// ARM's privateEndpointNetworkPolicies of a subnet (azure-behaviour D5): whether NSGs and
/// route tables apply to the private endpoints in it.
enum class PrivateEndpointNetworkPolicies : uint8_t {
  kDisabled,
  kEnabled,
  kNetworkSecurityGroupEnabled,
  kRouteTableEnabled,
};

struct Subnet {
  std::string name;       // the subnet's own name
  std::string full_name;  // VNET/SUBNET, how it is referred to
  Index vnet = kNoIndex;
  std::vector<Prefix> address_prefixes;  // addressPrefix, or addressPrefixes for dual stack
  Index route_table = kNoIndex;
  Index nat_gateway = kNoIndex;
  Index nsg = kNoIndex;
  bool default_outbound_access = true;
  bool default_outbound_access_set = false;  // written in the file, not defaulted
  Pos pos;
  std::string id;
  std::vector<ServiceEndpoint> service_endpoints;
  PrivateEndpointNetworkPolicies private_endpoint_network_policies =
      PrivateEndpointNetworkPolicies::kDisabled;
};

/// A private endpoint (azure-behaviour D5): a NIC with one private address in `subnet`, the
/// /32 (/128) InterfaceEndpoint route of which Azure adds to its VNet and peered VNets.
struct PrivateEndpoint {
  std::string name;
  std::string id;
  Index subnet = kNoIndex;
  IpAddress address;
  std::string service;  // the private link resource or group id, free text
  Pos pos;
};

struct PublicIp {
  std::string name;
  IpAddress address;
  Pos pos;
  PublicIpSku sku = PublicIpSku::kStandard;
  std::string id;
};

struct PublicIpPrefix {
  std::string name;
  Prefix prefix;
  Pos pos;
  PublicIpSku sku = PublicIpSku::kStandard;
  std::string id;
};

enum class RuleAction : uint8_t { kAllow, kDeny };

/// What an appliance is: Azure Firewall, whose documented behaviour the engine follows
/// (azure-behaviour B1), or any other network virtual appliance (a plain rule list).
enum class ApplianceType : uint8_t { kNetworkVirtualAppliance, kAzureFirewall };

/// Where an Azure Firewall rule sits in its firewall policy: the rule collection group's
/// priority, the rule collection's priority and name (azure-behaviour B3). 0: not written,
/// which sorts before every written priority (100..65000).
struct RulePlace {
  std::string collection;
  uint32_t priority = 0;
  uint32_t group_priority = 0;
};

/// A network rule of an appliance (Azure Firewall network rules): first match wins, in the
/// order of RulePlace then file order.
struct ApplianceRule {
  std::string name;
  RuleAction action = RuleAction::kAllow;
  ProtocolSet protocols = kAnyProtocol;
  std::vector<Prefix> sources;       // empty: any (service tags resolved to their prefixes)
  std::vector<Prefix> destinations;  // empty (and no destinationFqdns): any
  /// The service tag names written among `sources` and `destinations` (their prefixes are in
  /// the lists above).
  std::vector<std::string> source_tags;
  std::vector<std::string> destination_tags;
  /// destinationFqdns: matched against the flow's host name (azure-behaviour B6).
  std::vector<std::string> destination_fqdns;
  std::vector<PortRange> ports;  // empty: any
  RulePlace place;
  Pos pos;
  std::string id;  // ARM resource id, as written
};

/// An application rule's protocol: `Http:80`, `Https:443`, `Mssql:1433` (any port allowed).
struct ApplicationProtocol {
  enum class Kind : uint8_t { kHttp, kHttps, kMssql } kind = Kind::kHttps;
  uint16_t port = 443;
};

/// An Azure Firewall application rule (azure-behaviour B5): matches TCP flows whose host name
/// (TLS SNI, HTTP Host) is one of `target_fqdns` (leading `*.` wildcards) or in an FQDN tag.
struct ApplicationRule {
  std::string name;
  RuleAction action = RuleAction::kAllow;
  std::vector<Prefix> sources;  // empty: any
  std::vector<ApplicationProtocol> protocols;
  std::vector<std::string> target_fqdns;  // lower case
  std::vector<std::string> fqdn_tags;     // as written; known tags only (fqdn_tags.inc)
  RulePlace place;
  Pos pos;
  std::string id;  // ARM resource id, as written
};

/// An Azure Firewall DNAT rule (azure-behaviour B7): a flow from outside to one of the
/// firewall's public IPs and `ports` goes on to `translated_address`:`translated_port`.
struct DnatRule {
  std::string name;
  std::vector<Prefix> sources;  // empty: any
  ProtocolSet protocols = kAnyProtocol;
  std::vector<IpAddress> destinations;  // firewall public IPs
  std::vector<PortRange> ports;
  IpAddress translated_address;
  uint16_t translated_port = 0;
  RulePlace place;
  Pos pos;
  std::string id;  // ARM resource id, as written
};

struct Appliance {
  std::string name;
  ApplianceType type = ApplianceType::kNetworkVirtualAppliance;
  Index subnet = kNoIndex;
  IpAddress private_ip;
  bool ip_forwarding = true;
  std::vector<Index> public_ips;
  bool snat = true;
  uint32_t snat_ports_per_ip = 2496;  // azure-egress-facts 3c: Azure Firewall, per IP per instance
  uint32_t instances = 2;             // azure-egress-facts 3c: at least 2 instances
  std::vector<ApplianceRule> rules;
  std::vector<ApplicationRule> application_rules;  // Azure Firewall only
  std::vector<DnatRule> dnat_rules;                // Azure Firewall only
  /// Destinations the appliance does not SNAT network-rule traffic to (azure-behaviour B2):
  /// privateRanges with IANAPrivateRanges expanded; by default RFC 1918 and RFC 6598.
  std::vector<Prefix> private_ranges;
  RuleAction default_action = RuleAction::kAllow;  // kDeny for Azure Firewall
  Index nsg = kNoIndex;                            // NIC-level NSG
  Pos pos;
  std::string id;
};

struct NatGateway {
  std::string name;
  std::vector<Index> public_ips;
  std::vector<Index> public_ip_prefixes;
  uint32_t idle_timeout_minutes = 4;  // azure-egress-facts 3b: TCP default 4 min
  Pos pos;
  NatGatewaySku sku = NatGatewaySku::kStandard;
  std::string id;
};

struct Frontend {
  std::string name;
  Index public_ip = kNoIndex;
  Pos pos;
  std::string id;
  /// Or a public IP prefix, every address of which the frontend's outbound rules use
  /// (azure-behaviour D7); exactly one of the two is set.
  Index public_ip_prefix = kNoIndex;
};

/// A backend pool member: a node pool of the cluster or a host.
struct PoolMember {
  enum class Kind : uint8_t { kNodePool, kHost } kind = Kind::kNodePool;
  Index index = kNoIndex;
};

struct BackendPool {
  std::string name;
  std::vector<PoolMember> members;
  Pos pos;
  std::string id;
};

struct OutboundRule {
  std::string name;
  std::vector<Index> frontends;           // into LoadBalancer::frontends
  Index backend_pool = kNoIndex;          // into LoadBalancer::backend_pools
  uint32_t allocated_outbound_ports = 0;  // 0: Azure's table by pool size
  uint32_t idle_timeout_minutes = 4;      // azure-egress-facts 3a: default 4 min
  ProtocolSet protocols = kAnyProtocol;   // Tcp | Udp | All
  Pos pos;
  std::string id;
};

struct LoadBalancer {
  std::string name;
  std::vector<Frontend> frontends;
  std::vector<BackendPool> backend_pools;
  std::vector<OutboundRule> outbound_rules;
  Pos pos;
  LoadBalancerSku sku = LoadBalancerSku::kStandard;
  std::string id;
};

struct Host {
  std::string name;
  Index subnet = kNoIndex;
  IpAddress address;
  Index public_ip = kNoIndex;                      // instance-level public IP
  Index nsg = kNoIndex;                            // NIC-level NSG
  std::vector<Index> application_security_groups;  // of its NIC
  Pos pos;
  std::string id;
};

struct Gateway {
  std::string name;
  Index vnet = kNoIndex;
  std::vector<Prefix> bgp_routes;
  Pos pos;
  std::string id;
};

enum class Direction : uint8_t { kInbound, kOutbound };

/// A service tag of Azure's published file (`serviceTags:`): the prefixes one name stands for
/// (azure-behaviour C3).
struct ServiceTag {
  std::string name;  // as Azure's file writes it: AzureCloud.eastus, Storage.WestEurope, ...
  std::string id;
  std::vector<Prefix> address_prefixes;  // IPv4 and IPv6
  Pos pos;
};

/// An application security group: NICs (hosts, all nodes of a node pool) name it, NSG rules
/// match the addresses of its members (azure-behaviour C5).
struct ApplicationSecurityGroup {
  std::string name;
  std::string id;
  Pos pos;
};

/// The source or destination of an NSG rule: CIDRs, one tag, or application security groups
/// (azure-behaviour C2: a rule takes several prefixes but one tag or group set at most).
struct NsgAddress {
  enum class Kind : uint8_t {
    kAny,
    kInternet,
    kVirtualNetwork,
    kPrefixes,
    kAzureLoadBalancer,
    kServiceTag,
    kApplicationSecurityGroups,
  } kind = Kind::kAny;
  std::vector<Prefix> prefixes;
  Index service_tag = kNoIndex;  // into Topology::service_tags, for kServiceTag
  std::vector<Index> groups;     // into Topology::application_security_groups
};

struct NsgRule {
  std::string name;
  int priority = 0;
  Direction direction = Direction::kOutbound;
  RuleAction access = RuleAction::kAllow;
  ProtocolSet protocols = kAnyProtocol;
  NsgAddress source;
  std::vector<PortRange> source_ports;  // empty: any
  NsgAddress destination;
  std::vector<PortRange> destination_ports;  // empty: any
  Pos pos;
  std::string id;
};

struct Nsg {
  std::string name;
  std::vector<NsgRule> rules;
  Pos pos;
  std::string id;
};

struct NodePool {
  std::string name;
  Index subnet = kNoIndex;
  uint32_t nodes = 0;
  std::vector<IpAddress> addresses;  // explicit node IPs; empty: the subnet's first usable
  std::vector<Index> application_security_groups;  // of every node's NIC
  /// enableNodePublicIP: every node has an instance-level public IP (azure-behaviour D6),
  /// from `node_public_ip_prefix` when set, else an address Azure picks.
  bool enable_node_public_ip = false;
  Index node_public_ip_prefix = kNoIndex;  // into Topology::public_ip_prefixes
  /// The nodes' public IPs taken from the prefix, in node order (model node-public-ip); fewer
  /// than `nodes` when the prefix runs out. Empty without a prefix.
  std::vector<IpAddress> public_addresses;
  Pos pos;
  std::string id;
};

struct Service {
  std::string name;
  Index frontend_ip = kNoIndex;  // into Topology::public_ips
  uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
  Pos pos;
};

struct ApiServer {
  std::optional<IpAddress> address;
  bool is_private = false;
  std::vector<Prefix> authorized_ip_ranges;
  Pos pos;
};

struct Cluster {
  std::string name;
  OutboundType outbound_type = OutboundType::kLoadBalancer;
  VnetMode vnet_mode = VnetMode::kByo;
  VmSetType vm_set_type = VmSetType::kVirtualMachineScaleSets;
  LoadBalancerSku load_balancer_sku = LoadBalancerSku::kStandard;
  NetworkPlugin network_plugin = NetworkPlugin::kAzure;
  std::optional<Prefix> pod_cidr;  // podCidr, or the first IPv4 prefix of podCidrs
  std::vector<Prefix> pod_cidrs;   // podCidrs (dual stack), else pod_cidr alone
  std::vector<Prefix> service_cidrs;
  std::vector<Family> ip_families;                          // empty: not written (single stack)
  std::optional<std::vector<Prefix>> non_masquerade_cidrs;  // nullopt: the VNet address spaces
  uint32_t max_pods = 30;
  std::vector<NodePool> node_pools;
  Index load_balancer = kNoIndex;
  Index nat_gateway = kNoIndex;
  ApiServer api_server;
  std::vector<Service> services;
  Pos pos;
  Pos outbound_type_pos;
  Pos vm_set_type_pos;
  Pos load_balancer_sku_pos;
  std::string id;
};

struct Topology {
  std::string file;  // the path it was loaded from, for diagnostics
  int version = 1;
  std::string name;
  std::optional<Cluster> cluster;
  std::vector<Vnet> vnets;
  std::vector<Subnet> subnets;
  std::vector<RouteTable> route_tables;
  std::vector<PublicIp> public_ips;
  std::vector<PublicIpPrefix> public_ip_prefixes;
  std::vector<Appliance> appliances;
  std::vector<NatGateway> nat_gateways;
  std::vector<LoadBalancer> load_balancers;
  std::vector<Host> hosts;
  std::vector<Gateway> gateways;
  std::vector<Nsg> nsgs;
  std::vector<ServiceTag> service_tags;
  std::vector<ApplicationSecurityGroup> application_security_groups;
  std::vector<PrivateEndpoint> private_endpoints;

  SourceLocation at(Pos p) const { return SourceLocation{file, p.line, p.column}; }
  /// The subnet named `VNET/SUBNET`, or kNoIndex.
  Index find_subnet(std::string_view full_name) const;
  /// The entry of `service_tags` named `name`, compared ignoring case as Azure does, or
  /// kNoIndex. The built-in tags (VirtualNetwork, Internet, AzureLoadBalancer) are not in it.
  Index find_service_tag(std::string_view tag_name) const;
  /// How many public addresses a load balancer frontend holds: 1 for a public IP, every
  /// address of a public IP prefix (azure-behaviour D7), saturated at 2^64.
  uint64_t frontend_address_count(const Frontend& frontend) const;
};

const char* to_string(OutboundType t);
const char* to_string(NextHopType t);
const char* to_string(NetworkPlugin p);
const char* to_string(Protocol p);
const char* to_string(PublicIpSku s);
const char* to_string(NatGatewaySku s);
const char* to_string(PrivateEndpointNetworkPolicies p);
std::optional<OutboundType> parse_outbound_type(std::string_view s);
std::optional<Protocol> parse_protocol(std::string_view s);

}  // namespace egress
