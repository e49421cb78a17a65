#include "egress/config/topology_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>

#include "config/topology_builder_internal.h"
#include "config/topology_loader_internal.h"
#include "config/yaml_reader_internal.h"
#include "egress/config/fqdn_tags.h"
#include "egress/config/service_endpoints.h"
#include "egress/util/byte_count.h"
#include "util/file_descriptor_internal.h"

namespace egress {
namespace {

using internal::Case;
using internal::Diagnostics;
using internal::Field;
using internal::MapReader;
using internal::NameTable;
using internal::quote;
using internal::Ref;

// AKS limits (VMSS node pools): 1000 nodes per pool, 5000 per cluster, 250 pods per node.
// They also keep node address computation and the model small whatever the file says.
constexpr int64_t kMaxNodesPerPool = 1000;
constexpr int64_t kMaxClusterNodes = 5000;
constexpr int64_t kMaxPodsPerNode = 250;

constexpr std::string_view kTopologyKeys[] = {"version",
                                              "name",
                                              "cluster",
                                              "vnets",
                                              "routeTables",
                                              "publicIps",
                                              "publicIpPrefixes",
                                              "appliances",
                                              "natGateways",
                                              "loadBalancers",
                                              "hosts",
                                              "gateways",
                                              "nsgs",
                                              "serviceTags",
                                              "applicationSecurityGroups",
                                              "privateEndpoints"};
constexpr std::string_view kClusterKeys[] = {"name",          "id",           "outboundType",
                                             "vnetMode",      "vmSetType",    "loadBalancerSku",
                                             "networkPlugin", "podCidr",      "nonMasqueradeCidrs",
                                             "maxPods",       "nodePools",    "loadBalancer",
                                             "natGateway",    "apiServer",    "services",
                                             "podCidrs",      "serviceCidrs", "ipFamilies"};
constexpr std::string_view kNodePoolKeys[] = {"name",
                                              "id",
                                              "subnet",
                                              "nodes",
                                              "addresses",
                                              "applicationSecurityGroups",
                                              "enableNodePublicIP",
                                              "nodePublicIPPrefix"};
constexpr std::string_view kApiServerKeys[] = {"address", "private", "authorizedIpRanges"};
constexpr std::string_view kServiceKeys[] = {"name", "frontendIp", "port", "protocol"};
constexpr std::string_view kVnetKeys[] = {"name", "id", "addressSpace", "subnets", "peerings"};
constexpr std::string_view kSubnetKeys[] = {"name",
                                            "id",
                                            "addressPrefix",
                                            "addressPrefixes",
                                            "routeTable",
                                            "natGateway",
                                            "nsg",
                                            "defaultOutboundAccess",
                                            "serviceEndpoints",
                                            "privateEndpointNetworkPolicies"};
constexpr std::string_view kServiceEndpointKeys[] = {"service", "locations"};
constexpr std::string_view kPrivateEndpointKeys[] = {"name", "id", "subnet", "address", "service"};
// azure-behaviour D5: the values ARM writes, in the order of PrivateEndpointNetworkPolicies.
constexpr std::string_view kPrivateEndpointNetworkPolicies[] = {
    "Disabled", "Enabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled"};
constexpr std::string_view kPeeringKeys[] = {"name", "id", "remoteVnet", "allowForwardedTraffic",
                                             "useRemoteGateways"};
constexpr std::string_view kRouteTableKeys[] = {"name", "id", "disableBgpRoutePropagation",
                                                "routes"};
constexpr std::string_view kRouteKeys[] = {"name", "id", "addressPrefix", "nextHopType",
                                           "nextHopIpAddress"};
constexpr std::string_view kPublicIpKeys[] = {"name", "id", "address", "sku"};
constexpr std::string_view kPublicIpPrefixKeys[] = {"name", "id", "addressPrefix", "sku"};
constexpr std::string_view kApplianceKeys[] = {"name",           "id",
                                               "type",           "subnet",
                                               "privateIp",      "ipForwarding",
                                               "publicIps",      "snat",
                                               "snatPortsPerIp", "instances",
                                               "privateRanges",  "rules",
                                               "defaultAction",  "applicationRules",
                                               "dnatRules",      "nsg"};
constexpr std::string_view kApplianceRuleKeys[] = {
    "name",       "id",           "action",           "protocols",
    "sources",    "destinations", "destinationFqdns", "ports",
    "collection", "priority",     "groupPriority"};
constexpr std::string_view kApplicationRuleKeys[] = {
    "name",        "id",       "action",     "sources",  "protocols",
    "targetFqdns", "fqdnTags", "collection", "priority", "groupPriority"};
constexpr std::string_view kDnatRuleKeys[] = {
    "name",         "id",       "sources",           "protocols",
    "destinations", "ports",    "translatedAddress", "translatedPort",
    "collection",   "priority", "groupPriority"};
constexpr std::string_view kNatGatewayKeys[] = {
    "name", "id", "publicIps", "publicIpPrefixes", "idleTimeoutInMinutes", "sku"};
constexpr std::string_view kLoadBalancerKeys[] = {
    "name", "id", "frontends", "backendPools", "outboundRules", "sku"};
constexpr std::string_view kFrontendKeys[] = {"name", "id", "publicIp", "publicIpPrefix"};
constexpr std::string_view kBackendPoolKeys[] = {"name", "id", "members"};
constexpr std::string_view kOutboundRuleKeys[] = {
    "name",    "id", "frontends", "backendPool", "allocatedOutboundPorts", "idleTimeoutInMinutes",
    "protocol"};
constexpr std::string_view kHostKeys[] = {
    "name", "id", "subnet", "address", "publicIp", "nsg", "applicationSecurityGroups"};
constexpr std::string_view kGatewayKeys[] = {"name", "id", "vnet", "bgpRoutes"};
constexpr std::string_view kNsgKeys[] = {"name", "id", "rules"};
constexpr std::string_view kNsgRuleKeys[] = {"name",
                                             "id",
                                             "priority",
                                             "direction",
                                             "access",
                                             "protocol",
                                             "source",
                                             "sourcePorts",
                                             "sourceApplicationSecurityGroups",
                                             "destination",
                                             "destinationPorts",
                                             "destinationApplicationSecurityGroups"};
constexpr std::string_view kServiceTagKeys[] = {"name", "id", "addressPrefixes"};
constexpr std::string_view kApplicationSecurityGroupKeys[] = {"name", "id"};

// Enum spellings, in the order of the values they map to.
constexpr std::string_view kOutboundTypes[] = {
    "loadBalancer", "managedNATGateway", "userAssignedNATGateway", "userDefinedRouting", "none",
    "block"};
constexpr OutboundType kOutboundTypeValues[] = {OutboundType::kLoadBalancer,
                                                OutboundType::kManagedNatGateway,
                                                OutboundType::kUserAssignedNatGateway,
                                                OutboundType::kUserDefinedRouting,
                                                OutboundType::kNone,
                                                OutboundType::kBlock};
constexpr std::string_view kVnetModes[] = {"managed", "byo"};
constexpr std::string_view kVmSetTypes[] = {"VirtualMachineScaleSets", "AvailabilitySet"};
constexpr std::string_view kLoadBalancerSkus[] = {"standard", "basic"};
constexpr std::string_view kNetworkPlugins[] = {"kubenet", "azure", "azure-overlay"};
constexpr std::string_view kServiceProtocols[] = {"tcp", "udp"};
constexpr std::string_view kNextHopTypes[] = {"VirtualAppliance", "Internet", "VnetLocal",
                                              "VirtualNetworkGateway", "None"};
constexpr NextHopType kNextHopTypeValues[] = {
    NextHopType::kVirtualAppliance, NextHopType::kInternet, NextHopType::kVnetLocal,
    NextHopType::kVirtualNetworkGateway, NextHopType::kNone};
constexpr std::string_view kActions[] = {"allow", "deny"};
constexpr std::string_view kIpFamilies[] = {"IPv4", "IPv6"};
// azure-behaviour D1: the SKU names as ARM writes them.
constexpr std::string_view kPublicIpSkus[] = {"Basic", "Standard", "StandardV2"};
constexpr std::string_view kNatGatewaySkus[] = {"Standard", "StandardV2"};
constexpr std::string_view kLoadBalancerSkuNames[] = {"Standard", "Basic"};
constexpr std::string_view kApplianceProtocols[] = {"tcp", "udp", "icmp", "any"};
constexpr std::string_view kApplianceTypes[] = {"NetworkVirtualAppliance", "AzureFirewall"};
constexpr std::string_view kApplicationProtocols[] = {"Http", "Https", "Mssql"};
constexpr std::string_view kDnatProtocols[] = {"tcp", "udp"};
constexpr std::string_view kOutboundRuleProtocols[] = {"Tcp", "Udp", "All"};
constexpr std::string_view kDirections[] = {"Inbound", "Outbound"};
constexpr std::string_view kAccesses[] = {"Allow", "Deny"};
constexpr std::string_view kNsgProtocols[] = {"Tcp", "Udp", "Icmp", "*"};
// The tags every NSG rule may name without a `serviceTags` entry (azure-behaviour C3).
constexpr std::string_view kNsgTags[] = {"Internet", "VirtualNetwork", "AzureLoadBalancer", "*"};

// Parses a port or port range: "443", "8000-8080", or a plain integer.
std::optional<PortRange> parse_rule_ports(const std::string& text) {
  auto number = [](std::string_view t) { return parse_port(t, true); };
  auto dash = text.find('-');
  if (dash == std::string::npos) {
    auto p = number(text);
    if (!p) {
      return std::nullopt;
    }
    return PortRange{*p, *p};
  }
  auto first = number(std::string_view(text).substr(0, dash));
  auto last = number(std::string_view(text).substr(dash + 1));
  if (!first || !last) {
    return std::nullopt;
  }
  return PortRange{*first, *last};
}

LoadResult too_large_file(const std::string& file, std::optional<uint64_t> size,
                          const LoadLimits& limits) {
  std::string message = "the file is ";
  if (size) {
    message += std::to_string(*size) + " bytes, ";
  }
  message += "over the limit of " + byte_count_text(limits.max_bytes) + " for a topology; set " +
             std::string(kMaxTopologyBytesVariable) + " to raise it";
  LoadResult result;
  result.errors.push_back(
      Diagnostic{"file-too-large", std::move(message), SourceLocation{file, 0, 0}});
  return result;
}

// The YAML front end of the builder: reads a topology file's maps and lists into it.
class Loader : private internal::TopologyBuilder {
 public:
  Loader(const std::string& file, const LoadLimits& limits)
      : TopologyBuilder(file, limits.max_items(),
                        "the limit is one per " + std::to_string(LoadLimits::kBytesPerItem) +
                            " bytes of the size limit, " + byte_count_text(limits.max_bytes) +
                            "; set " + std::string(kMaxTopologyBytesVariable) + " to raise both") {}

  LoadResult run(std::string_view text) {
    internal::run_guarded(diags_, [&] { load(text); });
    return take_result();
  }

  LoadResult run(const YAML::Node& root, std::string_view text) {
    internal::run_guarded(diags_, [&] {
      if (internal::check_yaml_characters(text, diags_)) {
        load_root(root);
      }
    });
    return take_result();
  }

 private:
  LoadResult take_result() {
    LoadResult result;
    if (diags_.empty()) {
      result.topology = std::move(topology_);
    } else {
      result.errors = diags_.take();
    }
    return result;
  }

  void load(std::string_view text) {
    std::optional<YAML::Node> document = internal::load_document(text, diags_);
    if (!document) {
      return;
    }
    load_root(*document);
  }

  void load_root(const YAML::Node& root) {
    if (root.IsNull()) {
      diags_.error("bad-type",
                   "the file holds no topology; expected a map starting with 'version: 1'",
                   Pos{1, 1});
      return;
    }
    if (!root.IsMap()) {
      Pos pos = internal::pos_of(root);
      diags_.error("bad-type",
                   "the top level must be a map of topology fields (version, vnets, ...), got " +
                       internal::describe(root),
                   pos.line > 0 ? pos : Pos{1, 1});
      return;
    }
    MapReader top(root, "topology", kTopologyKeys, diags_);
    read_topology(top);
    if (diags_.stopped()) {
      return;
    }
    finish();
  }

  // --- helpers --------------------------------------------------------------------------

  // Reads each map of the optional list `key` of `m`.
  void for_each_map(const MapReader& m, std::string_view key, const std::string& what,
                    std::span<const std::string_view> keys,
                    const std::function<void(const MapReader&)>& fn) {
    auto field = m.get(key);
    if (!field) {
      return;
    }
    internal::for_each_item(*field, diags_, [&](const Field& item) {
      if (auto im = MapReader::open(item, what, keys, diags_)) {
        fn(*im);
      }
    });
  }

  // The required `name` of an element, registered in `table`; "" when missing or bad.
  std::string read_element_name(const MapReader& m, NameTable& table, size_t index,
                                bool forbid_slash = false) {
    auto field = m.require("name");
    if (!field) {
      return {};
    }
    auto name = internal::read_name(*field, diags_);
    if (!name) {
      return {};
    }
    if (forbid_slash && name->find('/') != std::string::npos) {
      // Subnets are referred to as VNET/SUBNET, so a slash in either name is ambiguous.
      diags_.error("bad-value", "'name' must not contain '/', got " + quote(*name), field->pos);
      return {};
    }
    table.add(*name, field->key_pos, static_cast<Index>(index), diags_);
    return *name;
  }

  // The optional `id` of an element of `kind`: its ARM resource id, kept as written. Azure
  // compares ids ignoring case, so two elements of one kind whose ids differ only in case are
  // one resource written twice.
  std::string read_id(const MapReader& m, std::string_view kind) {
    auto field = m.get("id");
    if (!field) {
      return {};
    }
    auto id = internal::read_name(*field, diags_);
    if (!id) {
      return {};
    }
    std::string key = *id;
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto [it, inserted] =
        ids_[std::string(kind)].try_emplace(std::move(key), std::pair(*id, field->pos));
    if (!inserted) {
      const auto& [first, first_pos] = it->second;
      std::string message = "duplicate " + std::string(kind) + " id " + quote(*id) +
                            "; first defined at line " + std::to_string(first_pos.line) +
                            ", column " + std::to_string(first_pos.column);
      if (first != *id) {
        message += " as " + quote(first) + " (Azure compares ids ignoring case)";
      }
      diags_.error("duplicate-id", std::move(message), field->pos);
    }
    return *id;
  }

  std::optional<Ref> read_ref(const Field& field) {
    auto name = internal::read_name(field, diags_);
    if (!name) {
      return std::nullopt;
    }
    return Ref{*name, field.pos};
  }

  std::optional<Ref> read_optional_ref(const MapReader& m, std::string_view key) {
    auto field = m.get(key);
    return field ? read_ref(*field) : std::nullopt;
  }

  std::optional<Ref> read_required_ref(const MapReader& m, std::string_view key) {
    auto field = m.require(key);
    return field ? read_ref(*field) : std::nullopt;
  }

  // Reads a list of names for later resolution.
  std::vector<Ref> read_ref_list(const MapReader& m, std::string_view key, bool required) {
    std::vector<Ref> refs;
    auto field = required ? m.require(key) : m.get(key);
    if (!field) {
      return refs;
    }
    auto add = [&](const Field& item) {
      if (auto ref = read_ref(item)) {
        refs.push_back(std::move(*ref));
      }
    };
    if (required) {
      internal::for_each_item_nonempty(*field, diags_, {}, add);
    } else {
      internal::for_each_item(*field, diags_, add);
    }
    return refs;
  }

  std::vector<Prefix> read_prefix_list(const Field& field, bool nonempty) {
    std::vector<Prefix> prefixes;
    auto add = [&](const Field& item) {
      if (auto p = internal::read_prefix(item, diags_)) {
        prefixes.push_back(*p);
      }
    };
    if (nonempty) {
      internal::for_each_item_nonempty(field, diags_, {}, add);
    } else {
      internal::for_each_item(field, diags_, add);
    }
    return prefixes;
  }

  template <class T>
  void read_bool_into(const MapReader& m, std::string_view key, T& out) {
    if (auto field = m.get(key)) {
      if (auto v = internal::read_bool(*field, diags_)) {
        out = *v;
      }
    }
  }

  template <class T>
  void read_int_into(const MapReader& m, std::string_view key, int64_t min, int64_t max, T& out) {
    if (auto field = m.get(key)) {
      if (auto v = internal::read_int(*field, min, max, diags_)) {
        out = static_cast<T>(*v);
      }
    }
  }

  // --- the top level --------------------------------------------------------------------

  void read_topology(const MapReader& m) {
    if (auto field = m.require("version")) {
      if (auto v = internal::read_int(*field, std::numeric_limits<int>::min(),
                                      std::numeric_limits<int>::max(), diags_)) {
        if (*v != 1) {
          diags_.error("bad-value",
                       "'version' must be 1, the only schema version, got " + std::to_string(*v),
                       field->pos);
        }
        topology_.version = static_cast<int>(*v);
      }
    }
    if (auto field = m.get("name")) {
      if (auto name = internal::read_string(*field, diags_)) {
        topology_.name = *name;
      }
    }
    for_each_map(m, "publicIps", "public IP", kPublicIpKeys,
                 [&](const MapReader& e) { read_public_ip(e); });
    for_each_map(m, "publicIpPrefixes", "public IP prefix", kPublicIpPrefixKeys,
                 [&](const MapReader& e) { read_public_ip_prefix(e); });
    // Before the NSGs, whose rules name them.
    for_each_map(m, "serviceTags", "service tag", kServiceTagKeys,
                 [&](const MapReader& e) { read_service_tag(e); });
    for_each_map(m, "applicationSecurityGroups", "application security group",
                 kApplicationSecurityGroupKeys,
                 [&](const MapReader& e) { read_application_security_group(e); });
    for_each_map(m, "nsgs", "NSG", kNsgKeys, [&](const MapReader& e) { read_nsg(e); });
    for_each_map(m, "routeTables", "route table", kRouteTableKeys,
                 [&](const MapReader& e) { read_route_table(e); });
    for_each_map(m, "natGateways", "NAT gateway", kNatGatewayKeys,
                 [&](const MapReader& e) { read_nat_gateway(e); });
    for_each_map(m, "vnets", "vnet", kVnetKeys, [&](const MapReader& e) { read_vnet(e); });
    for_each_map(m, "gateways", "gateway", kGatewayKeys,
                 [&](const MapReader& e) { read_gateway(e); });
    for_each_map(m, "appliances", "appliance", kApplianceKeys,
                 [&](const MapReader& e) { read_appliance(e); });
    for_each_map(m, "hosts", "host", kHostKeys, [&](const MapReader& e) { read_host(e); });
    for_each_map(m, "privateEndpoints", "private endpoint", kPrivateEndpointKeys,
                 [&](const MapReader& e) { read_private_endpoint(e); });
    if (auto field = m.get("cluster")) {
      if (auto cm = MapReader::open(*field, "cluster", kClusterKeys, diags_)) {
        read_cluster(*cm);
      }
    }
    for_each_map(m, "loadBalancers", "load balancer", kLoadBalancerKeys,
                 [&](const MapReader& e) { read_load_balancer(e); });
  }

  // --- addresses ------------------------------------------------------------------------

  void read_public_ip(const MapReader& m) {
    PublicIp ip;
    ip.pos = m.pos();
    ip.name = read_element_name(m, public_ip_names_, topology_.public_ips.size());
    ip.id = read_id(m, "public IP");
    read_enum_into<PublicIpSku>(m, "sku", kPublicIpSkus, Case::kIgnore, ip.sku,
                                [](size_t i) { return static_cast<PublicIpSku>(i); });
    if (auto field = m.require("address")) {
      if (auto a = internal::read_address(*field, diags_)) {
        ip.address = *a;
        claim_address(public_ip_addresses_, *a, "public IP", ip.name, field->pos);
      }
    }
    topology_.public_ips.push_back(std::move(ip));
  }

  void read_public_ip_prefix(const MapReader& m) {
    PublicIpPrefix p;
    p.pos = m.pos();
    p.name = read_element_name(m, public_ip_prefix_names_, topology_.public_ip_prefixes.size());
    p.id = read_id(m, "public IP prefix");
    read_enum_into<PublicIpSku>(m, "sku", kPublicIpSkus, Case::kIgnore, p.sku,
                                [](size_t i) { return static_cast<PublicIpSku>(i); });
    if (auto field = m.require("addressPrefix")) {
      if (auto prefix = internal::read_prefix(*field, diags_)) {
        p.prefix = *prefix;
      }
    }
    topology_.public_ip_prefixes.push_back(std::move(p));
  }

  // --- NSGs, service tags, application security groups ------------------------------------

  void read_service_tag(const MapReader& m) {
    ServiceTag tag;
    tag.pos = m.pos();
    tag.name = read_element_name(m, service_tag_names_, topology_.service_tags.size());
    for (std::string_view builtin : kNsgTags) {
      if (!tag.name.empty() && internal::enum_matches(tag.name, builtin, Case::kIgnore)) {
        // azure-behaviour C3: these mean the VNet's own view, not a fixed prefix list.
        diags_.error("bad-value",
                     "service tag " + quote(tag.name) +
                         " is built in and cannot be listed; its addresses depend on the VNet",
                     m.require("name")->pos);
      }
    }
    tag.id = read_id(m, "service tag");
    if (auto field = m.require("addressPrefixes")) {
      tag.address_prefixes = read_prefix_list(*field, false);
    }
    topology_.service_tags.push_back(std::move(tag));
  }

  void read_application_security_group(const MapReader& m) {
    ApplicationSecurityGroup group;
    group.pos = m.pos();
    group.name = read_element_name(m, application_security_group_names_,
                                   topology_.application_security_groups.size());
    group.id = read_id(m, "application security group");
    topology_.application_security_groups.push_back(std::move(group));
  }

  // `applicationSecurityGroups: [NAME]` of a host or node pool, resolved into `target()`.
  template <class Target>
  void defer_application_security_groups(const MapReader& m, Target target) {
    defer_ref_list(read_ref_list(m, "applicationSecurityGroups", false),
                   application_security_group_names_, "application security group",
                   "applicationSecurityGroups", target);
  }

  void read_nsg(const MapReader& m) {
    Nsg nsg;
    nsg.pos = m.pos();
    Index nsg_index = static_cast<Index>(topology_.nsgs.size());
    nsg.name = read_element_name(m, nsg_names_, nsg_index);
    nsg.id = read_id(m, "NSG");
    NameTable rule_names("NSG rule");
    for_each_map(m, "rules", "NSG rule", kNsgRuleKeys, [&](const MapReader& rm) {
      nsg.rules.push_back(read_nsg_rule(rm, rule_names, nsg_index, nsg.rules.size()));
    });
    topology_.nsgs.push_back(std::move(nsg));
  }

  NsgRule read_nsg_rule(const MapReader& m, NameTable& names, Index nsg, size_t index) {
    NsgRule rule;
    rule.pos = m.pos();
    rule.name = read_element_name(m, names, index);
    rule.id = read_id(m, "NSG rule");
    if (auto field = m.require("priority")) {
      // Azure's range for user rules; 65000 and up are the default rules.
      if (auto v = internal::read_int(*field, 100, 4096, diags_)) {
        rule.priority = static_cast<int>(*v);
      }
    }
    if (auto field = m.get("direction")) {
      if (auto i = internal::read_enum(*field, kDirections, Case::kIgnore, diags_)) {
        rule.direction = *i == 0 ? Direction::kInbound : Direction::kOutbound;
      }
    }
    if (auto field = m.require("access")) {
      if (auto i = internal::read_enum(*field, kAccesses, Case::kIgnore, diags_)) {
        rule.access = *i == 0 ? RuleAction::kAllow : RuleAction::kDeny;
      }
    }
    if (auto field = m.get("protocol")) {
      if (auto i = internal::read_enum(*field, kNsgProtocols, Case::kExactOrLower, diags_)) {
        rule.protocols = *i == 3 ? kAnyProtocol : protocol_bit(static_cast<Protocol>(*i));
      }
    }
    size_t rule_index = index;
    read_nsg_side(m, "source", "sourceApplicationSecurityGroups", rule.source,
                  [this, nsg, rule_index]() -> std::vector<Index>& {
                    return topology_.nsgs[nsg].rules[rule_index].source.groups;
                  });
    read_nsg_side(m, "destination", "destinationApplicationSecurityGroups", rule.destination,
                  [this, nsg, rule_index]() -> std::vector<Index>& {
                    return topology_.nsgs[nsg].rules[rule_index].destination.groups;
                  });
    if (auto field = m.get("sourcePorts")) {
      read_nsg_ports(*field, rule.source_ports);
    }
    if (auto field = m.get("destinationPorts")) {
      read_nsg_ports(*field, rule.destination_ports);
    }
    return rule;
  }

  // One side of a rule: `key` (addresses, a tag) or `groups_key` (application security
  // groups), not both (azure-behaviour C2).
  template <class Target>
  void read_nsg_side(const MapReader& m, std::string_view key, std::string_view groups_key,
                     NsgAddress& out, Target groups) {
    if (m.has(key) && m.has(groups_key)) {
      diags_.error("bad-value",
                   "NSG rule has both '" + std::string(key) + "' and '" + std::string(groups_key) +
                       "'; Azure takes addresses or application security groups on one side, "
                       "not both",
                   m.require(groups_key)->key_pos);
      return;
    }
    if (auto field = m.get(key)) {
      read_nsg_address(*field, std::string(key), out);
      return;
    }
    if (!m.has(groups_key)) {
      return;
    }
    std::vector<Ref> refs = read_ref_list(m, groups_key, true);
    if (refs.empty()) {
      return;
    }
    out.kind = NsgAddress::Kind::kApplicationSecurityGroups;
    defer_ref_list(std::move(refs), application_security_group_names_, "application security group",
                   "applicationSecurityGroups", groups);
  }

  // A CIDR or, as Azure allows in NSG rules, a bare address meaning just that address.
  std::optional<Prefix> read_nsg_prefix(const Field& field) {
    if (field.node.IsScalar() && field.node.Scalar().find('/') == std::string::npos) {
      if (auto a = IpAddress::parse(field.node.Scalar())) {
        return Prefix::host(*a);
      }
    }
    return internal::read_prefix(field, diags_);
  }

  // Whether a source or destination item is an address or CIDR rather than a tag name.
  static bool looks_like_address(const std::string& text) {
    return !text.empty() &&
           (text.find('/') != std::string::npos || text.find(':') != std::string::npos ||
            (text[0] >= '0' && text[0] <= '9'));
  }

  // What `key` (source or destination) may hold, for messages.
  std::string nsg_address_forms(const std::string& key) const {
    return "'" + key +
           "' must be a CIDR or address, a list of them, or one tag (Internet, VirtualNetwork, "
           "AzureLoadBalancer, *, or a service tag listed under serviceTags)";
  }

  void read_nsg_address(const Field& field, const std::string& key, NsgAddress& out) {
    if (field.node.IsSequence()) {
      out.kind = NsgAddress::Kind::kPrefixes;
      internal::for_each_item_nonempty(
          field, diags_, "leave it out to match any " + key, [&](const Field& item) {
            if (item.node.IsScalar() && !looks_like_address(item.node.Scalar())) {
              // azure-behaviour C2: augmented rules list addresses and ranges only.
              diags_.error("bad-value",
                           "'" + key + "' lists " + quote(item.node.Scalar()) +
                               "; a list holds addresses and CIDRs only, a tag must stand alone "
                               "(one tag per rule, as in Azure)",
                           item.pos);
              return;
            }
            if (auto p = read_nsg_prefix(item)) {
              out.prefixes.push_back(*p);
            }
          });
      return;
    }
    if (!field.node.IsScalar()) {
      diags_.error("bad-type", nsg_address_forms(key) + "; got " + internal::describe(field.node),
                   field.pos);
      return;
    }
    const std::string& text = field.node.Scalar();
    constexpr NsgAddress::Kind kTagKinds[] = {
        NsgAddress::Kind::kInternet, NsgAddress::Kind::kVirtualNetwork,
        NsgAddress::Kind::kAzureLoadBalancer, NsgAddress::Kind::kAny};
    for (size_t i = 0; i < std::size(kNsgTags); ++i) {
      if (internal::enum_matches(text, kNsgTags[i], Case::kIgnore)) {
        out.kind = kTagKinds[i];
        return;
      }
    }
    if (!looks_like_address(text)) {
      Index tag = topology_.find_service_tag(text);
      if (tag != kNoIndex) {
        out.kind = NsgAddress::Kind::kServiceTag;
        out.service_tag = tag;
        return;
      }
      std::vector<std::string_view> candidates(std::begin(kNsgTags), std::end(kNsgTags));
      for (const ServiceTag& t : topology_.service_tags) {
        candidates.push_back(t.name);
      }
      std::string message = "'" + key + "' names " + quote(text) +
                            ", which is neither a built-in tag (Internet, VirtualNetwork, "
                            "AzureLoadBalancer, *) nor listed under serviceTags";
      if (auto near = internal::closest(text, candidates); !near.empty()) {
        message += "; did you mean '" + std::string(near) + "'?";
      } else {
        message +=
            "; import Azure's service tags (az network list-service-tags -o json) or add it "
            "with its addressPrefixes";
      }
      diags_.error("unknown-service-tag", std::move(message), field.pos);
      return;
    }
    if (auto p = read_nsg_prefix(field)) {
      out.kind = NsgAddress::Kind::kPrefixes;
      out.prefixes.push_back(*p);
    }
  }

  // One port or range as a scalar; `allow_any` admits "*" (any port, an empty list).
  bool read_port_item(const Field& field, bool allow_any, std::vector<PortRange>& out) {
    std::string expected = allow_any ? "\"*\", a port like 443 or a range like 8000-8080"
                                     : "a port like 443 or a range like 8000-8080";
    if (!field.node.IsScalar()) {
      diags_.error(
          "bad-type",
          field.label() + " must be " + expected + ", got " + internal::describe(field.node),
          field.pos);
      return false;
    }
    const std::string& text = field.node.Scalar();
    if (allow_any && text == "*") {
      out.clear();
      return true;
    }
    auto range = parse_rule_ports(text);
    if (!range) {
      diags_.error("bad-value", field.label() + " must be " + expected + ", got " + quote(text),
                   field.pos);
      return false;
    }
    if (range->first > range->last) {
      diags_.error("bad-value", field.label() + ": range " + quote(text) + " ends before it starts",
                   field.pos);
      return false;
    }
    out.push_back(*range);
    return true;
  }

  void read_nsg_ports(const Field& field, std::vector<PortRange>& out) {
    if (field.node.IsSequence()) {
      internal::for_each_item_nonempty(
          field, diags_, "leave it out to match any port",
          [&](const Field& item) { read_port_item(item, false, out); });
      return;
    }
    read_port_item(field, true, out);
  }

  // --- routes ---------------------------------------------------------------------------

  void read_route_table(const MapReader& m) {
    RouteTable table;
    table.pos = m.pos();
    table.name = read_element_name(m, route_table_names_, topology_.route_tables.size());
    table.id = read_id(m, "route table");
    read_bool_into(m, "disableBgpRoutePropagation", table.disable_bgp_route_propagation);
    NameTable route_names("route");
    for_each_map(m, "routes", "route", kRouteKeys, [&](const MapReader& rm) {
      table.routes.push_back(read_route(rm, route_names, table.routes.size()));
    });
    topology_.route_tables.push_back(std::move(table));
  }

  Route read_route(const MapReader& m, NameTable& names, size_t index) {
    Route route;
    route.pos = m.pos();
    route.name = read_element_name(m, names, index);
    route.id = read_id(m, "route");
    if (auto field = m.require("addressPrefix")) {
      if (auto p = internal::read_prefix(*field, diags_)) {
        route.prefix = *p;
      }
    }
    std::optional<NextHopType> type;
    Pos type_pos = m.pos();
    if (auto field = m.require("nextHopType")) {
      type_pos = field->pos;
      std::string system_only;
      for (std::string_view t :
           {"VNetPeering", "VirtualNetworkServiceEndpoint", "InterfaceEndpoint"}) {
        if (field->node.IsScalar() &&
            internal::enum_matches(field->node.Scalar(), t, Case::kIgnore)) {
          // azure-behaviour D4, D5: like peering routes, only Azure creates these.
          system_only =
              "(only Azure creates " + std::string(t) + " routes; a user route cannot name it)";
        }
      }
      auto i = internal::read_enum(*field, kNextHopTypes, Case::kIgnore, diags_, system_only);
      if (i) {
        type = kNextHopTypeValues[*i];
        route.next_hop_type = *type;
      }
    }
    route.next_hop_pos = type_pos;
    if (auto field = m.get("nextHopIpAddress")) {
      // Kept whatever the type: a next hop IP on another type is a finding, not an error.
      route.next_hop_pos = field->pos;
      route.next_hop_ip = internal::read_address(*field, diags_);
    } else if (type == NextHopType::kVirtualAppliance) {
      diags_.error("missing-field",
                   "route is missing required field 'nextHopIpAddress', which nextHopType "
                   "VirtualAppliance needs",
                   m.pos());
    }
    return route;
  }

  void read_nat_gateway(const MapReader& m) {
    NatGateway gw;
    gw.pos = m.pos();
    Index index = static_cast<Index>(topology_.nat_gateways.size());
    gw.name = read_element_name(m, nat_gateway_names_, index);
    gw.id = read_id(m, "NAT gateway");
    read_enum_into<NatGatewaySku>(m, "sku", kNatGatewaySkus, Case::kIgnore, gw.sku,
                                  [](size_t i) { return static_cast<NatGatewaySku>(i); });
    defer_ref_list(read_ref_list(m, "publicIps", false), public_ip_names_, "publicIp", "publicIps",
                   [this, index]() -> std::vector<Index>& {
                     return topology_.nat_gateways[index].public_ips;
                   });
    defer_ref_list(read_ref_list(m, "publicIpPrefixes", false), public_ip_prefix_names_,
                   "publicIpPrefix", "publicIpPrefixes", [this, index]() -> std::vector<Index>& {
                     return topology_.nat_gateways[index].public_ip_prefixes;
                   });
    // azure-egress-facts 3b: the TCP idle timeout of a NAT gateway.
    read_int_into(m, "idleTimeoutInMinutes", 4, 120, gw.idle_timeout_minutes);
    topology_.nat_gateways.push_back(std::move(gw));
  }

  // --- vnets ----------------------------------------------------------------------------

  void read_vnet(const MapReader& m) {
    Vnet vnet;
    vnet.pos = m.pos();
    Index index = static_cast<Index>(topology_.vnets.size());
    vnet.name = read_element_name(m, vnet_names_, index, true);
    vnet.id = read_id(m, "vnet");
    if (auto field = m.require("addressSpace")) {
      vnet.address_space = read_prefix_list(*field, true);
    }
    for_each_map(m, "subnets", "subnet", kSubnetKeys, [&](const MapReader& sm) {
      vnet.subnets.push_back(read_subnet(sm, index, vnet.name));
    });
    for_each_map(m, "peerings", "peering", kPeeringKeys, [&](const MapReader& pm) {
      Peering peering;
      peering.pos = pm.pos();
      if (auto field = pm.get("name")) {
        peering.name = internal::read_name(*field, diags_).value_or("");
      }
      peering.id = read_id(pm, "peering");
      size_t pi = vnet.peerings.size();
      defer_ref(read_required_ref(pm, "remoteVnet"), vnet_names_, "remoteVnet", "vnets",
                [this, index, pi]() -> Index& {
                  return topology_.vnets[index].peerings[pi].remote_vnet;
                });
      read_bool_into(pm, "allowForwardedTraffic", peering.allow_forwarded_traffic);
      read_bool_into(pm, "useRemoteGateways", peering.use_remote_gateways);
      vnet.peerings.push_back(peering);
    });
    topology_.vnets.push_back(std::move(vnet));
  }

  Index read_subnet(const MapReader& m, Index vnet, const std::string& vnet_name) {
    Subnet subnet;
    subnet.pos = m.pos();
    subnet.vnet = vnet;
    Index index = static_cast<Index>(topology_.subnets.size());
    subnet.id = read_id(m, "subnet");
    if (auto field = m.require("name")) {
      if (auto name = internal::read_name(*field, diags_)) {
        if (name->find('/') != std::string::npos) {
          diags_.error("bad-value", "'name' must not contain '/', got " + quote(*name), field->pos);
        } else {
          subnet.name = *name;
          if (!vnet_name.empty()) {
            subnet.full_name = vnet_name + "/" + subnet.name;
            subnet_names_.add(subnet.full_name, field->key_pos, index, diags_);
          }
        }
      }
    }
    if (m.has("addressPrefix") && m.has("addressPrefixes")) {
      diags_.error("bad-value",
                   "subnet has both 'addressPrefix' and 'addressPrefixes'; give one of them",
                   m.require("addressPrefixes")->key_pos);
    } else if (m.has("addressPrefixes")) {
      subnet.address_prefixes = read_prefix_list(*m.require("addressPrefixes"), true);
    } else if (m.has("addressPrefix")) {
      if (auto p = internal::read_prefix(*m.require("addressPrefix"), diags_)) {
        subnet.address_prefixes.push_back(*p);
      }
    } else {
      diags_.error("missing-field",
                   "subnet is missing required field 'addressPrefix' (or 'addressPrefixes' for "
                   "dual stack)",
                   m.pos());
    }
    defer_ref(read_optional_ref(m, "routeTable"), route_table_names_, "routeTable", "routeTables",
              [this, index]() -> Index& { return topology_.subnets[index].route_table; });
    defer_ref(read_optional_ref(m, "natGateway"), nat_gateway_names_, "natGateway", "natGateways",
              [this, index]() -> Index& { return topology_.subnets[index].nat_gateway; });
    defer_ref(read_optional_ref(m, "nsg"), nsg_names_, "nsg", "nsgs",
              [this, index]() -> Index& { return topology_.subnets[index].nsg; });
    if (auto field = m.get("defaultOutboundAccess")) {
      if (auto v = internal::read_bool(*field, diags_)) {
        subnet.default_outbound_access = *v;
        subnet.default_outbound_access_set = true;
      }
    }
    read_service_endpoints(m, subnet);
    read_enum_into<PrivateEndpointNetworkPolicies>(
        m, "privateEndpointNetworkPolicies", kPrivateEndpointNetworkPolicies, Case::kIgnore,
        subnet.private_endpoint_network_policies,
        [](size_t i) { return static_cast<PrivateEndpointNetworkPolicies>(i); });
    topology_.subnets.push_back(std::move(subnet));
    return index;
  }

  // azure-behaviour D4: `serviceEndpoints: [Microsoft.Storage, {service, locations}]`.
  void read_service_endpoints(const MapReader& m, Subnet& subnet) {
    auto field = m.get("serviceEndpoints");
    if (!field) {
      return;
    }
    std::vector<std::string_view> names;
    for (const ServiceEndpointService& s : service_endpoint_services()) {
      names.push_back(s.service);
    }
    std::map<std::string_view, Pos> seen;
    internal::for_each_item(*field, diags_, [&](const Field& item) {
      ServiceEndpoint endpoint;
      endpoint.pos = item.pos;
      // Never assign a Field over another: YAML::Node's assignment writes through to the
      // node it refers to, which would rewrite the tree the importer loads (and verifies).
      std::optional<Field> service;
      std::optional<MapReader> em;
      if (item.node.IsMap()) {
        em = MapReader::open(item, "service endpoint", kServiceEndpointKeys, diags_);
        if (auto s = em ? em->require("service") : std::nullopt) {
          service.emplace(*s);
        }
      } else {
        service.emplace(item);
      }
      if (!service) {
        return;
      }
      auto i = internal::read_enum(*service, names, Case::kIgnore, diags_);
      if (!i) {
        return;
      }
      endpoint.service = std::string(names[*i]);
      auto [first, fresh] = seen.try_emplace(names[*i], service->pos);
      if (!fresh) {
        diags_.error("duplicate-name",
                     "duplicate service endpoint " + quote(endpoint.service) +
                         " in subnet; first written at line " + std::to_string(first->second.line) +
                         ", column " + std::to_string(first->second.column),
                     service->pos);
        return;
      }
      if (auto locations = em ? em->get("locations") : std::nullopt) {
        internal::for_each_item_nonempty(
            *locations, diags_, "leave it out for every region", [&](const Field& l) {
              auto text = internal::read_name(l, diags_);
              if (!text) {
                return;
              }
              bool region = std::all_of(text->begin(), text->end(),
                                        [](unsigned char c) { return std::isalnum(c) != 0; });
              if (*text != "*" && !region) {
                diags_.error("bad-value",
                             l.label() +
                                 " must be an Azure region name as ARM writes it "
                                 "(eastus, westeurope) or *, got " +
                                 quote(*text),
                             l.pos);
                return;
              }
              endpoint.locations.push_back(*text);
            });
      }
      subnet.service_endpoints.push_back(std::move(endpoint));
    });
  }

  void read_gateway(const MapReader& m) {
    Gateway gw;
    gw.pos = m.pos();
    Index index = static_cast<Index>(topology_.gateways.size());
    gw.name = read_element_name(m, gateway_names_, index);
    gw.id = read_id(m, "gateway");
    defer_ref(read_required_ref(m, "vnet"), vnet_names_, "vnet", "vnets",
              [this, index]() -> Index& { return topology_.gateways[index].vnet; });
    if (auto field = m.get("bgpRoutes")) {
      gw.bgp_routes = read_prefix_list(*field, false);
    }
    topology_.gateways.push_back(std::move(gw));
  }

  // --- appliances and hosts -------------------------------------------------------------

  void read_appliance(const MapReader& m) {
    Appliance a;
    a.pos = m.pos();
    Index index = static_cast<Index>(topology_.appliances.size());
    a.name = read_element_name(m, appliance_names_, index);
    a.id = read_id(m, "appliance");
    if (auto field = m.get("type")) {
      if (auto i = internal::read_enum(*field, kApplianceTypes, Case::kIgnore, diags_)) {
        a.type = *i == 0 ? ApplianceType::kNetworkVirtualAppliance : ApplianceType::kAzureFirewall;
      }
    }
    bool firewall = a.type == ApplianceType::kAzureFirewall;
    if (firewall) {
      // azure-behaviour B1: "Azure Firewall denies all traffic by default".
      a.default_action = RuleAction::kDeny;
    }
    // Settings only Azure Firewall has: an error on any other appliance, not ignored.
    for (std::string_view key : {"privateRanges", "applicationRules", "dnatRules"}) {
      if (!firewall && m.has(key)) {
        diags_.error(
            "bad-value",
            "'" + std::string(key) +
                "' is a setting of Azure Firewall; add 'type: AzureFirewall' to appliance " +
                quote(a.name),
            m.require(key)->key_pos);
      }
    }
    if (firewall && m.has("snat")) {
      diags_.error("bad-value",
                   "Azure Firewall always SNATs what leaves by its public IPs; 'privateRanges' "
                   "says where it does not (0.0.0.0/0: never), so 'snat' does not apply",
                   m.require("snat")->key_pos);
    }
    defer_subnet(read_required_ref(m, "subnet"),
                 [this, index]() -> Index& { return topology_.appliances[index].subnet; });
    if (auto field = m.require("privateIp")) {
      if (auto ip = internal::read_address(*field, diags_)) {
        a.private_ip = *ip;
      }
    }
    read_bool_into(m, "ipForwarding", a.ip_forwarding);
    defer_ref_list(
        read_ref_list(m, "publicIps", false), public_ip_names_, "publicIp", "publicIps",
        [this, index]() -> std::vector<Index>& { return topology_.appliances[index].public_ips; });
    read_bool_into(m, "snat", a.snat);
    // Ports 1024-65535 are what one IP can give.
    read_int_into(m, "snatPortsPerIp", 1, 64512, a.snat_ports_per_ip);
    read_int_into(m, "instances", 1, 100, a.instances);
    a.private_ranges = iana_private_ranges();
    if (auto field = m.get("privateRanges"); field && firewall) {
      a.private_ranges = read_private_ranges(*field);
    }
    NameTable rule_names("appliance rule");
    for_each_map(m, "rules", "appliance rule", kApplianceRuleKeys, [&](const MapReader& rm) {
      a.rules.push_back(read_appliance_rule(rm, rule_names, a.rules.size()));
      defer_rule_tags(rm, [this, index, r = a.rules.size() - 1]() -> ApplianceRule& {
        return topology_.appliances[index].rules[r];
      });
    });
    if (firewall) {
      NameTable app_names("application rule");
      for_each_map(m, "applicationRules", "application rule", kApplicationRuleKeys,
                   [&](const MapReader& rm) {
                     a.application_rules.push_back(
                         read_application_rule(rm, app_names, a.application_rules.size()));
                   });
      NameTable dnat_names("DNAT rule");
      for_each_map(m, "dnatRules", "DNAT rule", kDnatRuleKeys, [&](const MapReader& rm) {
        a.dnat_rules.push_back(read_dnat_rule(rm, dnat_names, a.dnat_rules.size()));
      });
    }
    if (auto field = m.get("defaultAction")) {
      if (auto i = internal::read_enum(*field, kActions, Case::kIgnore, diags_)) {
        a.default_action = *i == 0 ? RuleAction::kAllow : RuleAction::kDeny;
      }
    }
    defer_ref(read_optional_ref(m, "nsg"), nsg_names_, "nsg", "nsgs",
              [this, index]() -> Index& { return topology_.appliances[index].nsg; });
    topology_.appliances.push_back(std::move(a));
  }

  // azure-behaviour B2: the default SNAT private ranges, "IANA RFC 1918" and "IANA RFC 6598".
  static std::vector<Prefix> iana_private_ranges() {
    return {Prefix{IpAddress::v4(0x0a000000), 8}, Prefix{IpAddress::v4(0xac100000), 12},
            Prefix{IpAddress::v4(0xc0a80000), 16}, Prefix{IpAddress::v4(0x64400000), 10}};
  }

  // `privateRanges: [IANAPrivateRanges | CIDR ...]` (azure-behaviour B2).
  std::vector<Prefix> read_private_ranges(const Field& field) {
    std::vector<Prefix> out;
    internal::for_each_item_nonempty(
        field, diags_, "leave it out for the IANA private ranges", [&](const Field& item) {
          if (item.node.IsScalar() &&
              internal::enum_matches(item.node.Scalar(), "IANAPrivateRanges", Case::kIgnore)) {
            auto iana = iana_private_ranges();
            out.insert(out.end(), iana.begin(), iana.end());
            return;
          }
          if (auto p = internal::read_prefix(item, diags_)) {
            // 255.255.255.255/32 means "always SNAT": a range no flow is sent to.
            if (*p != Prefix{IpAddress::v4(0xffffffff), 32}) {
              out.push_back(*p);
            }
          }
        });
    return out;
  }

  // `sources` / `destinations` of a firewall rule: CIDRs, `*`, and (network rules) service tag
  // names, which defer_rule_tags resolves; `tags` collects those names.
  std::vector<Prefix> read_rule_addresses(const Field& field, bool allow_tags,
                                          std::vector<std::string>* tags) {
    std::vector<Prefix> out;
    internal::for_each_item_nonempty(field, diags_, "leave it out to match any address",
                                     [&](const Field& item) {
                                       if (!item.node.IsScalar()) {
                                         internal::read_prefix(item, diags_);
                                         return;
                                       }
                                       const std::string& text = item.node.Scalar();
                                       if (text == "*") {
                                         out.push_back(Prefix{IpAddress::v4(0), 0});
                                         out.push_back(Prefix{IpAddress::v6(0, 0), 0});
                                         return;
                                       }
                                       if (allow_tags && !looks_like_address(text)) {
                                         if (tags != nullptr) {
                                           tags->push_back(text);
                                         }
                                         return;
                                       }
                                       if (auto p = internal::read_prefix(item, diags_)) {
                                         out.push_back(*p);
                                       }
                                     });
    return out;
  }

  // Resolves the service tag names of a network rule's sources and destinations against
  // `serviceTags` once every tag is read (azure-behaviour B4).
  template <class Target>
  void defer_rule_tags(const MapReader& m, Target target) {
    for (std::string_view key : {"sources", "destinations"}) {
      auto field = m.get(key);
      if (!field || !field->node.IsSequence()) {
        continue;
      }
      std::vector<Ref> refs;
      for (size_t i = 0; i < field->node.size(); ++i) {
        const YAML::Node& item = field->node[i];
        if (item.IsScalar() && item.Scalar() != "*" && !looks_like_address(item.Scalar())) {
          refs.push_back(Ref{item.Scalar(), internal::pos_of(item)});
        }
      }
      if (refs.empty()) {
        continue;
      }
      bool sources = key == "sources";
      defer([this, refs = std::move(refs), sources, target] {
        for (const Ref& ref : refs) {
          auto tag = service_tag_names_.find(ref.name);
          if (!tag) {
            auto names = service_tag_names_.names();
            dangling(ref, "service tag", "serviceTags", names);
            continue;
          }
          const auto& prefixes = topology_.service_tags[*tag].address_prefixes;
          auto& list = sources ? target().sources : target().destinations;
          list.insert(list.end(), prefixes.begin(), prefixes.end());
        }
      });
    }
  }

  // `collection`, `priority`, `groupPriority` of any firewall rule (azure-behaviour B3).
  RulePlace read_rule_place(const MapReader& m) {
    RulePlace place;
    if (auto field = m.get("collection")) {
      if (auto name = internal::read_name(*field, diags_)) {
        place.collection = *name;
      }
    }
    // azure-behaviour B3: priorities run from 100 to 65,000.
    read_int_into(m, "priority", 100, 65000, place.priority);
    read_int_into(m, "groupPriority", 100, 65000, place.group_priority);
    return place;
  }

  RuleAction read_rule_action(const MapReader& m) {
    RuleAction action = RuleAction::kAllow;
    if (auto field = m.require("action")) {
      if (auto i = internal::read_enum(*field, kActions, Case::kIgnore, diags_)) {
        action = *i == 0 ? RuleAction::kAllow : RuleAction::kDeny;
      }
    }
    return action;
  }

  // A host name pattern as Azure writes it: labels of letters, digits, '-' and '_', a
  // leading `*.` wildcard or `*` alone (azure-behaviour B5). Stored in lower case.
  std::optional<std::string> read_fqdn(const Field& item, bool allow_wildcard) {
    auto text = internal::read_name(item, diags_);
    if (!text) {
      return std::nullopt;
    }
    std::string fqdn = *text;
    std::transform(fqdn.begin(), fqdn.end(), fqdn.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view rest = fqdn;
    if (allow_wildcard && (rest == "*" || rest.starts_with("*."))) {
      rest.remove_prefix(rest == "*" ? 1 : 2);
      if (rest.empty()) {
        return fqdn;
      }
    }
    bool ok = !rest.empty() && rest.size() <= 253 && rest.front() != '.' && rest.back() != '.' &&
              rest.find("..") == std::string_view::npos;
    for (char c : rest) {
      ok = ok &&
           ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
    }
    if (!ok) {
      diags_.error("bad-value",
                   item.label() + " must be a host name like " +
                       (allow_wildcard ? "'*.example.com' or 'api.example.com'"
                                       : "'api.example.com' (no wildcards)") +
                       ", got " + quote(*text),
                   item.pos);
      return std::nullopt;
    }
    return fqdn;
  }

  ApplianceRule read_appliance_rule(const MapReader& m, NameTable& names, size_t index) {
    ApplianceRule rule;
    rule.pos = m.pos();
    rule.name = read_element_name(m, names, index);
    rule.id = read_id(m, "appliance rule");
    rule.action = read_rule_action(m);
    if (auto field = m.get("protocols")) {
      ProtocolSet set = 0;
      internal::for_each_item_nonempty(
          *field, diags_, "leave it out to match any protocol", [&](const Field& item) {
            if (auto i = internal::read_enum(item, kApplianceProtocols, Case::kIgnore, diags_)) {
              set |= *i == 3 ? kAnyProtocol : protocol_bit(static_cast<Protocol>(*i));
            }
          });
      if (set != 0) {
        rule.protocols = set;
      }
    }
    if (auto field = m.get("sources")) {
      rule.sources = read_rule_addresses(*field, true, &rule.source_tags);
    }
    if (auto field = m.get("destinations")) {
      rule.destinations = read_rule_addresses(*field, true, &rule.destination_tags);
    }
    if (auto field = m.get("destinationFqdns")) {
      internal::for_each_item_nonempty(*field, diags_, "leave it out to match any destination",
                                       [&](const Field& item) {
                                         // azure-behaviour B6: no wildcards in network rules.
                                         if (auto f = read_fqdn(item, false)) {
                                           rule.destination_fqdns.push_back(*f);
                                         }
                                       });
    }
    if (auto field = m.get("ports")) {
      internal::for_each_item_nonempty(
          *field, diags_, "leave it out to match any port",
          [&](const Field& item) { read_port_item(item, false, rule.ports); });
    }
    rule.place = read_rule_place(m);
    return rule;
  }

  ApplicationRule read_application_rule(const MapReader& m, NameTable& names, size_t index) {
    ApplicationRule rule;
    rule.pos = m.pos();
    rule.name = read_element_name(m, names, index);
    rule.id = read_id(m, "application rule");
    rule.action = read_rule_action(m);
    if (auto field = m.get("sources")) {
      rule.sources = read_rule_addresses(*field, false, nullptr);
    }
    if (auto field = m.get("protocols")) {
      internal::for_each_item_nonempty(*field, diags_, {}, [&](const Field& item) {
        if (auto p = read_application_protocol(item)) {
          rule.protocols.push_back(*p);
        }
      });
    }
    if (auto field = m.get("targetFqdns")) {
      internal::for_each_item_nonempty(*field, diags_, {}, [&](const Field& item) {
        if (auto f = read_fqdn(item, true)) {
          rule.target_fqdns.push_back(*f);
        }
      });
    }
    if (auto field = m.get("fqdnTags")) {
      internal::for_each_item_nonempty(*field, diags_, {}, [&](const Field& item) {
        auto tag = internal::read_name(item, diags_);
        if (!tag) {
          return;
        }
        if (!fqdn_tag_known(*tag)) {
          std::string known;
          for (std::string_view name : fqdn_tag_names()) {
            known += (known.empty() ? "" : ", ") + std::string(name);
          }
          diags_.error("bad-value",
                       item.label() + ": unknown FQDN tag " + quote(*tag) + "; known: " + known,
                       item.pos);
          return;
        }
        rule.fqdn_tags.push_back(*tag);
      });
    }
    if (rule.target_fqdns.empty() && rule.fqdn_tags.empty()) {
      diags_.error("missing-field",
                   "application rule " + quote(rule.name) + " needs 'targetFqdns' or 'fqdnTags'",
                   m.pos());
    }
    if (rule.protocols.empty()) {
      if (!rule.fqdn_tags.empty() && rule.target_fqdns.empty()) {
        // azure-behaviour B5: an FQDN tag rule is set to https ("Http:80, Https:443" in the
        // AKS tutorial's command).
        rule.protocols = {{ApplicationProtocol::Kind::kHttp, 80},
                          {ApplicationProtocol::Kind::kHttps, 443}};
      } else {
        diags_.error("missing-field",
                     "application rule " + quote(rule.name) +
                         " needs 'protocols', e.g. [\"Http:80\", \"Https:443\"]",
                     m.pos());
      }
    }
    rule.place = read_rule_place(m);
    return rule;
  }

  // `Http:80`, `Https:443`, `Mssql:1433`; the port may be any, the protocol's own by default.
  std::optional<ApplicationProtocol> read_application_protocol(const Field& item) {
    auto text = internal::read_name(item, diags_);
    if (!text) {
      return std::nullopt;
    }
    std::string_view kind = *text;
    std::string_view port;
    if (auto colon = kind.find(':'); colon != std::string_view::npos) {
      port = kind.substr(colon + 1);
      kind = kind.substr(0, colon);
    }
    constexpr uint16_t kDefaultPorts[] = {80, 443, 1433};
    for (size_t i = 0; i < std::size(kApplicationProtocols); ++i) {
      if (!internal::enum_matches(kind, kApplicationProtocols[i], Case::kIgnore)) {
        continue;
      }
      ApplicationProtocol p{static_cast<ApplicationProtocol::Kind>(i), kDefaultPorts[i]};
      if (!port.empty()) {
        auto n = parse_port(port, false);
        if (!n) {
          break;
        }
        p.port = *n;
      }
      return p;
    }
    diags_.error("bad-value",
                 item.label() +
                     " must be Http, Https or Mssql with an optional port, like "
                     "'Https:443', got " +
                     quote(*text),
                 item.pos);
    return std::nullopt;
  }

  DnatRule read_dnat_rule(const MapReader& m, NameTable& names, size_t index) {
    DnatRule rule;
    rule.pos = m.pos();
    rule.name = read_element_name(m, names, index);
    rule.id = read_id(m, "DNAT rule");
    if (auto field = m.get("sources")) {
      rule.sources = read_rule_addresses(*field, false, nullptr);
    }
    if (auto field = m.require("protocols")) {
      ProtocolSet set = 0;
      internal::for_each_item_nonempty(*field, diags_, {}, [&](const Field& item) {
        if (auto i = internal::read_enum(item, kDnatProtocols, Case::kIgnore, diags_)) {
          set |= protocol_bit(static_cast<Protocol>(*i));
        }
      });
      rule.protocols = set == 0 ? kAnyProtocol : set;
    }
    if (auto field = m.require("destinations")) {
      internal::for_each_item_nonempty(*field, diags_, {}, [&](const Field& item) {
        if (auto ip = internal::read_address(item, diags_)) {
          rule.destinations.push_back(*ip);
        }
      });
    }
    if (auto field = m.require("ports")) {
      internal::for_each_item_nonempty(
          *field, diags_, {}, [&](const Field& item) { read_port_item(item, false, rule.ports); });
    }
    if (auto field = m.require("translatedAddress")) {
      if (auto ip = internal::read_address(*field, diags_)) {
        rule.translated_address = *ip;
      }
    }
    read_int_into(m, "translatedPort", 1, 65535, rule.translated_port);
    if (!m.has("translatedPort")) {
      (void)m.require("translatedPort");
    }
    rule.place = read_rule_place(m);
    return rule;
  }

  void read_host(const MapReader& m) {
    Host host;
    host.pos = m.pos();
    Index index = static_cast<Index>(topology_.hosts.size());
    host.name = read_element_name(m, host_names_, index);
    host.id = read_id(m, "host");
    defer_subnet(read_required_ref(m, "subnet"),
                 [this, index]() -> Index& { return topology_.hosts[index].subnet; });
    if (auto field = m.require("address")) {
      if (auto a = internal::read_address(*field, diags_)) {
        host.address = *a;
      }
    }
    defer_ref(read_optional_ref(m, "publicIp"), public_ip_names_, "publicIp", "publicIps",
              [this, index]() -> Index& { return topology_.hosts[index].public_ip; });
    defer_ref(read_optional_ref(m, "nsg"), nsg_names_, "nsg", "nsgs",
              [this, index]() -> Index& { return topology_.hosts[index].nsg; });
    defer_application_security_groups(m, [this, index]() -> std::vector<Index>& {
      return topology_.hosts[index].application_security_groups;
    });
    topology_.hosts.push_back(std::move(host));
  }

  // azure-behaviour D5: a private endpoint's address is one of its subnet's.
  void read_private_endpoint(const MapReader& m) {
    PrivateEndpoint pe;
    pe.pos = m.pos();
    Index index = static_cast<Index>(topology_.private_endpoints.size());
    pe.name = read_element_name(m, private_endpoint_names_, index);
    pe.id = read_id(m, "private endpoint");
    std::optional<Ref> subnet = read_required_ref(m, "subnet");
    Pos address_pos = m.pos();
    if (auto field = m.require("address")) {
      address_pos = field->pos;
      if (auto a = internal::read_address(*field, diags_)) {
        pe.address = *a;
        claim_address(private_endpoint_addresses_, *a, "private endpoint", pe.name, field->pos);
      }
    }
    if (auto field = m.get("service")) {
      pe.service = internal::read_string(*field, diags_).value_or("");
    }
    bool has_address = m.has("address");
    if (subnet) {
      defer([this, ref = std::move(*subnet), index, address_pos, has_address] {
        PrivateEndpoint& e = topology_.private_endpoints[index];
        e.subnet = resolve_subnet(ref);
        if (e.subnet == kNoIndex || !has_address) {
          return;
        }
        const Subnet& s = topology_.subnets[e.subnet];
        bool inside = std::any_of(s.address_prefixes.begin(), s.address_prefixes.end(),
                                  [&](const Prefix& p) { return p.contains(e.address); });
        if (!inside) {
          diags_.error("address-outside-subnet",
                       "address " + e.address.to_string() + " of private endpoint " +
                           quote(e.name) + " is outside subnet " + s.full_name,
                       address_pos);
        }
      });
    }
    topology_.private_endpoints.push_back(std::move(pe));
  }

  // --- the cluster ----------------------------------------------------------------------

  template <class E, size_t N>
  Pos read_enum_into(const MapReader& m, std::string_view key, const std::string_view (&names)[N],
                     Case match, E& out, const std::function<E(size_t)>& value) {
    auto field = m.get(key);
    if (!field) {
      return m.pos();
    }
    if (auto i = internal::read_enum(*field, names, match, diags_)) {
      out = value(*i);
    }
    return field->pos;
  }

  void read_cluster(const MapReader& m) {
    Cluster& c = topology_.cluster.emplace();
    c.pos = m.pos();
    if (auto field = m.get("name")) {
      if (auto name = internal::read_string(*field, diags_)) {
        c.name = *name;
      }
    }
    c.id = read_id(m, "cluster");
    c.outbound_type_pos = read_enum_into<OutboundType>(
        m, "outboundType", kOutboundTypes, Case::kExact, c.outbound_type,
        [](size_t i) { return kOutboundTypeValues[i]; });
    read_enum_into<VnetMode>(m, "vnetMode", kVnetModes, Case::kExact, c.vnet_mode,
                             [](size_t i) { return i == 0 ? VnetMode::kManaged : VnetMode::kByo; });
    c.vm_set_type_pos = read_enum_into<VmSetType>(
        m, "vmSetType", kVmSetTypes, Case::kExact, c.vm_set_type, [](size_t i) {
          return i == 0 ? VmSetType::kVirtualMachineScaleSets : VmSetType::kAvailabilitySet;
        });
    c.load_balancer_sku_pos = read_enum_into<LoadBalancerSku>(
        m, "loadBalancerSku", kLoadBalancerSkus, Case::kIgnore, c.load_balancer_sku,
        [](size_t i) { return i == 0 ? LoadBalancerSku::kStandard : LoadBalancerSku::kBasic; });
    read_enum_into<NetworkPlugin>(m, "networkPlugin", kNetworkPlugins, Case::kExact,
                                  c.network_plugin,
                                  [](size_t i) { return static_cast<NetworkPlugin>(i); });
    if (auto field = m.get("podCidr")) {
      c.pod_cidr = internal::read_prefix(*field, diags_);
      if (c.pod_cidr) {
        c.pod_cidrs = {*c.pod_cidr};
      }
    }
    // azure-behaviour D3: dual-stack clusters list a pod and a service CIDR per family.
    if (auto field = m.get("podCidrs")) {
      if (m.has("podCidr")) {
        diags_.error("bad-value",
                     "cluster has both 'podCidr' and 'podCidrs'; give one of them (podCidrs for "
                     "dual stack)",
                     field->key_pos);
      } else {
        c.pod_cidrs = read_prefix_list(*field, true);
        for (const Prefix& p : c.pod_cidrs) {
          if (p.address.is_v4() && !c.pod_cidr) {
            c.pod_cidr = p;
          }
        }
      }
    }
    if (auto field = m.get("serviceCidrs")) {
      c.service_cidrs = read_prefix_list(*field, true);
    }
    if (auto field = m.get("ipFamilies")) {
      internal::for_each_item_nonempty(*field, diags_, {}, [&](const Field& item) {
        if (auto i = internal::read_enum(item, kIpFamilies, Case::kExact, diags_)) {
          Family family = *i == 0 ? Family::kV4 : Family::kV6;
          if (std::find(c.ip_families.begin(), c.ip_families.end(), family) !=
              c.ip_families.end()) {
            diags_.error("bad-value",
                         "'ipFamilies' lists " + std::string(kIpFamilies[*i]) + " twice", item.pos);
          }
          c.ip_families.push_back(family);
        }
      });
    }
    if (auto field = m.get("nonMasqueradeCidrs")) {
      c.non_masquerade_cidrs = read_prefix_list(*field, false);
    }
    read_int_into(m, "maxPods", 1, kMaxPodsPerNode, c.max_pods);
    if (auto field = m.require("nodePools")) {
      NameTable& names = node_pool_names_;
      internal::for_each_item_nonempty(*field, diags_, {}, [&](const Field& item) {
        if (auto pm = MapReader::open(item, "node pool", kNodePoolKeys, diags_)) {
          read_node_pool(*pm, names);
        }
      });
      int64_t total = 0;
      for (const NodePool& pool : c.node_pools) {
        total += pool.nodes;
      }
      if (total > kMaxClusterNodes) {
        too_many_nodes_ = true;
        diags_.error("bad-value",
                     "the cluster has " + std::to_string(total) + " nodes; AKS allows at most " +
                         std::to_string(kMaxClusterNodes),
                     field->pos);
      }
    }
    defer_ref(read_optional_ref(m, "loadBalancer"), load_balancer_names_, "loadBalancer",
              "loadBalancers", [this]() -> Index& { return topology_.cluster->load_balancer; });
    defer_ref(read_optional_ref(m, "natGateway"), nat_gateway_names_, "natGateway", "natGateways",
              [this]() -> Index& { return topology_.cluster->nat_gateway; });
    if (auto field = m.get("apiServer")) {
      if (auto am = MapReader::open(*field, "apiServer", kApiServerKeys, diags_)) {
        c.api_server.pos = am->pos();
        if (auto f = am->get("address")) {
          c.api_server.address = internal::read_address(*f, diags_);
        }
        read_bool_into(*am, "private", c.api_server.is_private);
        if (auto f = am->get("authorizedIpRanges")) {
          c.api_server.authorized_ip_ranges = read_prefix_list(*f, false);
        }
      }
    } else {
      c.api_server.pos = c.pos;
    }
    NameTable service_names("service");
    for_each_map(m, "services", "service", kServiceKeys, [&](const MapReader& sm) {
      c.services.push_back(read_service(sm, service_names, c.services.size()));
    });
  }

  void read_node_pool(const MapReader& m, NameTable& names) {
    Cluster& c = *topology_.cluster;
    NodePool pool;
    pool.pos = m.pos();
    size_t index = c.node_pools.size();
    pool.name = read_element_name(m, names, index);
    pool.id = read_id(m, "node pool");
    defer_subnet(read_required_ref(m, "subnet"),
                 [this, index]() -> Index& { return topology_.cluster->node_pools[index].subnet; });
    defer_application_security_groups(m, [this, index]() -> std::vector<Index>& {
      return topology_.cluster->node_pools[index].application_security_groups;
    });
    std::optional<Field> nodes_field = m.get("nodes");
    std::optional<int64_t> nodes;
    if (nodes_field) {
      nodes = internal::read_int(*nodes_field, 0, kMaxNodesPerPool, diags_);
    }
    bool explicit_addresses = false;
    if (auto field = m.get("addresses")) {
      explicit_addresses = true;
      internal::for_each_item(*field, diags_, [&](const Field& item) {
        if (auto a = internal::read_address(item, diags_)) {
          pool.addresses.push_back(*a);
        }
      });
      int64_t listed = static_cast<int64_t>(field->node.IsSequence() ? field->node.size() : 0);
      if (nodes && *nodes != listed) {
        diags_.error("bad-value",
                     "'addresses' lists " + std::to_string(listed) + " addresses but 'nodes' is " +
                         std::to_string(*nodes),
                     field->pos);
      } else if (!nodes_field && listed > kMaxNodesPerPool) {
        diags_.error("bad-value",
                     "'addresses' lists " + std::to_string(listed) +
                         " addresses; a node pool has at most " + std::to_string(kMaxNodesPerPool) +
                         " nodes",
                     field->pos);
      } else if (!nodes_field) {
        nodes = listed;
      }
    } else if (!m.has("nodes")) {
      diags_.error("missing-field", "node pool is missing required field 'nodes'", m.pos());
    } else if (!nodes_field) {
      // Written but empty: let the integer reader say so.
      nodes = internal::read_int(*m.require("nodes"), 0, kMaxNodesPerPool, diags_);
    }
    pool.nodes = static_cast<uint32_t>(nodes.value_or(0));
    read_node_public_ip(m, pool, index);
    node_pool_sources_.push_back(
        internal::NodePoolSource{nodes_field ? nodes_field->pos : pool.pos, explicit_addresses});
    c.node_pools.push_back(std::move(pool));
  }

  // azure-behaviour D6: enableNodePublicIP and nodePublicIPPrefix (AKS's nodePublicIPPrefixID),
  // which AKS takes only together with enableNodePublicIP.
  void read_node_public_ip(const MapReader& m, NodePool& pool, size_t index) {
    read_bool_into(m, "enableNodePublicIP", pool.enable_node_public_ip);
    std::optional<Ref> prefix = read_optional_ref(m, "nodePublicIPPrefix");
    if (prefix && !pool.enable_node_public_ip) {
      diags_.error("bad-value",
                   "'nodePublicIPPrefix' needs 'enableNodePublicIP: true' (AKS gives nodes "
                   "addresses from the prefix only when they have public IPs)",
                   prefix->pos);
      return;
    }
    defer_ref(std::move(prefix), public_ip_prefix_names_, "nodePublicIPPrefix", "publicIpPrefixes",
              [this, index]() -> Index& {
                return topology_.cluster->node_pools[index].node_public_ip_prefix;
              });
  }

  Service read_service(const MapReader& m, NameTable& names, size_t index) {
    Service s;
    s.pos = m.pos();
    s.name = read_element_name(m, names, index);
    defer_ref(read_required_ref(m, "frontendIp"), public_ip_names_, "frontendIp", "publicIps",
              [this, index]() -> Index& { return topology_.cluster->services[index].frontend_ip; });
    if (auto field = m.require("port")) {
      if (auto v = internal::read_int(*field, 1, 65535, diags_)) {
        s.port = static_cast<uint16_t>(*v);
      }
    }
    if (auto field = m.get("protocol")) {
      if (auto i = internal::read_enum(*field, kServiceProtocols, Case::kIgnore, diags_)) {
        s.protocol = *i == 0 ? Protocol::kTcp : Protocol::kUdp;
      }
    }
    return s;
  }

  // --- load balancers -------------------------------------------------------------------

  // A frontend's address: `publicIp` or `publicIpPrefix` (azure-behaviour D7), exactly one.
  void read_frontend_address(const MapReader& m, Index lb, size_t fi) {
    if (m.has("publicIp") && m.has("publicIpPrefix")) {
      diags_.error("bad-value",
                   "frontend has both 'publicIp' and 'publicIpPrefix'; a frontend takes one",
                   m.pos());
      return;
    }
    if (m.has("publicIpPrefix")) {
      defer_ref(read_required_ref(m, "publicIpPrefix"), public_ip_prefix_names_, "publicIpPrefix",
                "publicIpPrefixes", [this, lb, fi]() -> Index& {
                  return topology_.load_balancers[lb].frontends[fi].public_ip_prefix;
                });
      return;
    }
    if (!m.has("publicIp")) {
      diags_.error("missing-field",
                   "frontend is missing required field 'publicIp' (or 'publicIpPrefix')", m.pos());
      return;
    }
    defer_ref(read_required_ref(m, "publicIp"), public_ip_names_, "publicIp", "publicIps",
              [this, lb, fi]() -> Index& {
                return topology_.load_balancers[lb].frontends[fi].public_ip;
              });
  }

  void read_load_balancer(const MapReader& m) {
    LoadBalancer lb;
    lb.pos = m.pos();
    Index index = static_cast<Index>(topology_.load_balancers.size());
    lb.name = read_element_name(m, load_balancer_names_, index);
    lb.id = read_id(m, "load balancer");
    read_enum_into<LoadBalancerSku>(m, "sku", kLoadBalancerSkuNames, Case::kIgnore, lb.sku,
                                    [](size_t i) { return static_cast<LoadBalancerSku>(i); });
    NameTable frontend_names("frontend");
    for_each_map(m, "frontends", "frontend", kFrontendKeys, [&](const MapReader& fm) {
      Frontend f;
      f.pos = fm.pos();
      size_t fi = lb.frontends.size();
      f.name = read_element_name(fm, frontend_names, fi);
      f.id = read_id(fm, "frontend");
      read_frontend_address(fm, index, fi);
      lb.frontends.push_back(std::move(f));
    });
    NameTable pool_names("backend pool");
    for_each_map(m, "backendPools", "backend pool", kBackendPoolKeys, [&](const MapReader& bm) {
      BackendPool pool;
      pool.pos = bm.pos();
      size_t bi = lb.backend_pools.size();
      pool.name = read_element_name(bm, pool_names, bi);
      pool.id = read_id(bm, "backend pool");
      std::vector<Ref> members = read_ref_list(bm, "members", false);
      if (!members.empty()) {
        defer([this, index, bi, members = std::move(members)] {
          resolve_members(members, topology_.load_balancers[index].backend_pools[bi].members);
        });
      }
      lb.backend_pools.push_back(std::move(pool));
    });
    std::string where = " of load balancer " + quote(lb.name);
    NameTable rule_names("outbound rule");
    for_each_map(m, "outboundRules", "outbound rule", kOutboundRuleKeys, [&](const MapReader& rm) {
      OutboundRule rule;
      rule.pos = rm.pos();
      rule.name = read_element_name(rm, rule_names, lb.outbound_rules.size());
      rule.id = read_id(rm, "outbound rule");
      // Frontends and pools live in this load balancer, already read.
      for (const Ref& ref : read_ref_list(rm, "frontends", true)) {
        Index fi = resolve(frontend_names, ref, "frontend", "frontends" + where);
        if (fi != kNoIndex) {
          rule.frontends.push_back(fi);
        }
      }
      if (auto ref = read_required_ref(rm, "backendPool")) {
        rule.backend_pool = resolve(pool_names, *ref, "backendPool", "backendPools" + where);
      }
      // Azure: at most 64,000 ports per instance (multiples of 8).
      read_int_into(rm, "allocatedOutboundPorts", 0, 64000, rule.allocated_outbound_ports);
      // azure-egress-facts 3a: 4 to 120 minutes (LBRULES; the older 4-100 of LBRST is superseded).
      read_int_into(rm, "idleTimeoutInMinutes", 4, 120, rule.idle_timeout_minutes);
      if (auto field = rm.get("protocol")) {
        if (auto i = internal::read_enum(*field, kOutboundRuleProtocols, Case::kIgnore, diags_)) {
          rule.protocols = *i == 2 ? kAnyProtocol : protocol_bit(static_cast<Protocol>(*i));
        }
      }
      lb.outbound_rules.push_back(std::move(rule));
    });
    topology_.load_balancers.push_back(std::move(lb));
  }
};

}  // namespace

Result<LoadLimits> parse_load_limits(std::string_view text) {
  Result<uint64_t> bytes =
      parse_byte_limit(text, kMaxTopologyBytesVariable, LoadLimits::kDefaultMaxBytes);
  if (!bytes) {
    return bytes.error();
  }
  LoadLimits limits;
  limits.max_bytes = *bytes;
  return limits;
}

LoadResult parse_topology(std::string_view yaml_text, const std::string& file,
                          const LoadLimits& limits) {
  if (yaml_text.size() > limits.max_bytes) {
    return too_large_file(file, yaml_text.size(), limits);
  }
  try {
    Loader loader(file, limits);
    return loader.run(yaml_text);
  } catch (...) {
    // Only allocation can fail here; the loader catches everything else itself.
    LoadResult result;
    result.errors.push_back(
        Diagnostic{"internal", "out of memory while loading", SourceLocation{file, 0, 0}});
    return result;
  }
}

namespace internal {

LoadResult load_topology_tree(const YAML::Node& root, std::string_view text,
                              const std::string& file, const LoadLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return too_large_file(file, text.size(), limits);
  }
  try {
    Loader loader(file, limits);
    return loader.run(root, text);
  } catch (...) {
    LoadResult result;
    result.errors.push_back(
        Diagnostic{"internal", "out of memory while loading", SourceLocation{file, 0, 0}});
    return result;
  }
}

}  // namespace internal

LoadResult load_topology_file(const std::string& path, const LoadLimits& limits) {
  auto io_error = [&](std::string why) {
    LoadResult result;
    result.errors.push_back(
        Diagnostic{"io", "cannot read '" + path + "': " + why, SourceLocation{path, 0, 0}});
    return result;
  };
  try {
    internal::FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    int fd = file.fd;
    if (fd < 0) {
      return io_error(std::strerror(errno));
    }
    // A regular file's size says it before anything is read; a pipe's is counted as it comes.
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<uint64_t>(st.st_size) > limits.max_bytes) {
      return too_large_file(path, static_cast<uint64_t>(st.st_size), limits);
    }
    std::string text;
    std::vector<char> buffer(size_t{1} << 16);
    for (;;) {
      ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        return io_error(std::strerror(errno));
      }
      if (n == 0) {
        break;
      }
      if (text.size() + static_cast<size_t>(n) > limits.max_bytes) {
        return too_large_file(path, std::nullopt, limits);
      }
      text.append(buffer.data(), static_cast<size_t>(n));
    }
    return parse_topology(text, path, limits);
  } catch (...) {
    return io_error("out of memory");
  }
}

}  // namespace egress
