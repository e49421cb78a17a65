#include "egress/config/topology_loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace egress {
namespace {

namespace fs = std::filesystem;

// Every error of `yaml` as the CLI prints it, in order.
std::vector<std::string> errors_of(std::string_view yaml) {
  LoadResult r = parse_topology(yaml, "t.yaml");
  std::vector<std::string> out;
  for (const Diagnostic& d : r.errors) {
    out.push_back("[" + d.code + "] " + format_diagnostic(d, "error"));
  }
  if (r.topology) {
    EXPECT_TRUE(out.empty()) << "a topology and errors at once";
  } else {
    EXPECT_FALSE(out.empty()) << "neither a topology nor errors";
  }
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    out += l + "\n";
  }
  return out;
}

// Loads `yaml`, failing the test (with the errors) when it does not load.
Topology load_ok(std::string_view yaml) {
  LoadResult r = parse_topology(yaml, "t.yaml");
  std::vector<std::string> errors;
  for (const Diagnostic& d : r.errors) {
    errors.push_back(format_diagnostic(d, "error"));
  }
  EXPECT_TRUE(r.topology.has_value()) << joined(errors);
  return r.topology ? std::move(*r.topology) : Topology{};
}

IpAddress ip(std::string_view text) {
  return *IpAddress::parse(text);
}
Prefix prefix(std::string_view text) {
  return *Prefix::parse(text);
}

std::vector<std::string> addresses(const NodePool& pool) {
  std::vector<std::string> out;
  for (const IpAddress& a : pool.addresses) {
    out.push_back(a.to_string());
  }
  return out;
}

// --- a complete topology ---------------------------------------------------------------------

TEST(TopologyLoader, LoadsTheFullExampleWithEveryField) {
  std::string path = std::string(EGRESS_TEST_DATA_DIR) + "/yaml/good/full.yaml";
  LoadResult r = load_topology_file(path);
  ASSERT_TRUE(r.topology.has_value()) << (r.errors.empty() ? "" : r.errors[0].message);
  const Topology& t = *r.topology;
  EXPECT_EQ(t.file, path);
  EXPECT_EQ(t.version, 1);
  EXPECT_EQ(t.name, "aks-udr-firewall");

  ASSERT_TRUE(t.cluster.has_value());
  const Cluster& c = *t.cluster;
  EXPECT_EQ(c.name, "aks-prod");
  EXPECT_EQ(c.outbound_type, OutboundType::kUserDefinedRouting);
  EXPECT_EQ(c.vnet_mode, VnetMode::kByo);
  EXPECT_EQ(c.vm_set_type, VmSetType::kVirtualMachineScaleSets);
  EXPECT_EQ(c.load_balancer_sku, LoadBalancerSku::kStandard);
  EXPECT_EQ(c.network_plugin, NetworkPlugin::kAzure);
  EXPECT_EQ(c.pod_cidr, prefix("10.244.0.0/16"));
  ASSERT_TRUE(c.non_masquerade_cidrs.has_value());
  EXPECT_EQ(*c.non_masquerade_cidrs, std::vector<Prefix>{prefix("10.0.0.0/8")});
  EXPECT_EQ(c.max_pods, 30U);
  EXPECT_EQ(c.pos.line, 6);
  EXPECT_EQ(c.pos.column, 3);
  EXPECT_EQ(c.outbound_type_pos.line, 7);
  EXPECT_EQ(c.outbound_type_pos.column, 17);
  EXPECT_EQ(c.vm_set_type_pos.line, 9);
  EXPECT_EQ(c.vm_set_type_pos.column, 14);
  EXPECT_EQ(c.load_balancer_sku_pos.line, 10);
  EXPECT_EQ(c.load_balancer_sku_pos.column, 20);

  Index aks_nodes = t.find_subnet("hub/aks-nodes");
  ASSERT_NE(aks_nodes, kNoIndex);
  ASSERT_EQ(c.node_pools.size(), 2U);
  EXPECT_EQ(c.node_pools[0].name, "system");
  EXPECT_EQ(c.node_pools[0].subnet, aks_nodes);
  EXPECT_EQ(c.node_pools[0].nodes, 3U);
  EXPECT_EQ(c.node_pools[0].pos.line, 16);
  EXPECT_EQ(c.node_pools[0].pos.column, 7);
  // azure plugin, maxPods 30: each node takes 31 addresses, from .4 on, across both pools.
  EXPECT_EQ(addresses(c.node_pools[0]),
            (std::vector<std::string>{"10.0.4.4", "10.0.4.35", "10.0.4.66"}));
  EXPECT_EQ(addresses(c.node_pools[1]), (std::vector<std::string>{"10.0.4.97", "10.0.4.128"}));
  EXPECT_EQ(c.load_balancer, 0U);
  EXPECT_EQ(c.nat_gateway, 0U);
  EXPECT_EQ(c.api_server.address, ip("20.50.1.10"));
  EXPECT_FALSE(c.api_server.is_private);
  EXPECT_EQ(c.api_server.authorized_ip_ranges, std::vector<Prefix>{prefix("203.0.113.0/24")});
  ASSERT_EQ(c.services.size(), 1U);
  EXPECT_EQ(c.services[0].name, "web");
  EXPECT_EQ(c.services[0].frontend_ip, 2U);
  EXPECT_EQ(c.services[0].port, 443);
  EXPECT_EQ(c.services[0].protocol, Protocol::kTcp);

  ASSERT_EQ(t.vnets.size(), 2U);
  const Vnet& hub = t.vnets[0];
  EXPECT_EQ(hub.name, "hub");
  EXPECT_EQ(hub.address_space, std::vector<Prefix>{prefix("10.0.0.0/16")});
  EXPECT_EQ(hub.subnets, (std::vector<Index>{0, 1}));
  ASSERT_EQ(hub.peerings.size(), 1U);
  EXPECT_EQ(hub.peerings[0].remote_vnet, 1U);
  EXPECT_TRUE(hub.peerings[0].allow_forwarded_traffic);
  EXPECT_FALSE(hub.peerings[0].use_remote_gateways);
  EXPECT_TRUE(hub.peerings[0].declared);
  const Vnet& spoke = t.vnets[1];
  EXPECT_EQ(spoke.address_space,
            (std::vector<Prefix>{prefix("10.1.0.0/16"), prefix("fd00:1::/48")}));
  EXPECT_EQ(spoke.subnets, std::vector<Index>{2});
  // spoke does not list hub: the reverse side is added, marked undeclared.
  ASSERT_EQ(spoke.peerings.size(), 1U);
  EXPECT_EQ(spoke.peerings[0].remote_vnet, 0U);
  EXPECT_TRUE(spoke.peerings[0].allow_forwarded_traffic);
  EXPECT_FALSE(spoke.peerings[0].declared);

  ASSERT_EQ(t.subnets.size(), 3U);
  const Subnet& fw = t.subnets[0];
  EXPECT_EQ(fw.name, "AzureFirewallSubnet");
  EXPECT_EQ(fw.full_name, "hub/AzureFirewallSubnet");
  EXPECT_EQ(fw.vnet, 0U);
  EXPECT_EQ(fw.route_table, kNoIndex);
  EXPECT_TRUE(fw.default_outbound_access);
  EXPECT_FALSE(fw.default_outbound_access_set);
  const Subnet& nodes = t.subnets[aks_nodes];
  EXPECT_EQ(nodes.address_prefixes, std::vector<Prefix>{prefix("10.0.4.0/22")});
  EXPECT_EQ(nodes.route_table, 0U);
  EXPECT_EQ(nodes.nat_gateway, kNoIndex);  // natGateway: null
  EXPECT_EQ(nodes.nsg, 0U);
  EXPECT_TRUE(nodes.default_outbound_access);
  EXPECT_TRUE(nodes.default_outbound_access_set);
  EXPECT_EQ(t.subnets[2].full_name, "spoke/apps");
  EXPECT_EQ(t.subnets[2].address_prefixes,
            (std::vector<Prefix>{prefix("10.1.0.0/24"), prefix("fd00:1::/64")}));

  ASSERT_EQ(t.route_tables.size(), 1U);
  const RouteTable& rt = t.route_tables[0];
  EXPECT_EQ(rt.name, "aks-egress");
  EXPECT_FALSE(rt.disable_bgp_route_propagation);
  ASSERT_EQ(rt.routes.size(), 2U);
  EXPECT_EQ(rt.routes[0].name, "default-to-firewall");
  EXPECT_EQ(rt.routes[0].prefix, prefix("0.0.0.0/0"));
  EXPECT_EQ(rt.routes[0].next_hop_type, NextHopType::kVirtualAppliance);
  EXPECT_EQ(rt.routes[0].next_hop_ip, ip("10.0.1.4"));
  EXPECT_EQ(rt.routes[0].next_hop_pos.line, 63);
  EXPECT_EQ(rt.routes[0].next_hop_pos.column, 27);
  EXPECT_EQ(rt.routes[1].next_hop_type, NextHopType::kInternet);
  EXPECT_FALSE(rt.routes[1].next_hop_ip.has_value());

  ASSERT_EQ(t.public_ips.size(), 5U);
  EXPECT_EQ(t.public_ips[0].name, "fw-pip");
  EXPECT_EQ(t.public_ips[0].address, ip("20.1.2.3"));
  ASSERT_EQ(t.public_ip_prefixes.size(), 1U);
  EXPECT_EQ(t.public_ip_prefixes[0].prefix, prefix("20.9.9.0/30"));

  ASSERT_EQ(t.appliances.size(), 1U);
  const Appliance& azfw = t.appliances[0];
  EXPECT_EQ(azfw.name, "azfw");
  EXPECT_EQ(azfw.subnet, 0U);
  EXPECT_EQ(azfw.private_ip, ip("10.0.1.4"));
  EXPECT_TRUE(azfw.ip_forwarding);
  EXPECT_EQ(azfw.public_ips, std::vector<Index>{0});
  EXPECT_TRUE(azfw.snat);
  EXPECT_EQ(azfw.snat_ports_per_ip, 2496U);
  EXPECT_EQ(azfw.instances, 2U);
  EXPECT_EQ(azfw.default_action, RuleAction::kDeny);
  EXPECT_EQ(azfw.nsg, kNoIndex);
  ASSERT_EQ(azfw.rules.size(), 2U);
  EXPECT_EQ(azfw.rules[0].name, "allow-https");
  EXPECT_EQ(azfw.rules[0].action, RuleAction::kAllow);
  EXPECT_EQ(azfw.rules[0].protocols, protocol_bit(Protocol::kTcp));
  EXPECT_EQ(azfw.rules[0].destinations, std::vector<Prefix>{prefix("0.0.0.0/0")});
  EXPECT_EQ(azfw.rules[0].ports, (std::vector<PortRange>{{443, 443}}));
  EXPECT_EQ(azfw.rules[1].protocols, protocol_bit(Protocol::kUdp) | protocol_bit(Protocol::kTcp));
  EXPECT_EQ(azfw.rules[1].ports, (std::vector<PortRange>{{53, 53}, {8000, 8080}}));

  ASSERT_EQ(t.nat_gateways.size(), 1U);
  EXPECT_EQ(t.nat_gateways[0].public_ips, std::vector<Index>{3});
  EXPECT_EQ(t.nat_gateways[0].public_ip_prefixes, std::vector<Index>{0});
  EXPECT_EQ(t.nat_gateways[0].idle_timeout_minutes, 4U);

  ASSERT_EQ(t.load_balancers.size(), 1U);
  const LoadBalancer& lb = t.load_balancers[0];
  EXPECT_EQ(lb.name, "kubernetes");
  ASSERT_EQ(lb.frontends.size(), 2U);
  EXPECT_EQ(lb.frontends[0].name, "outbound-1");
  EXPECT_EQ(lb.frontends[0].public_ip, 1U);
  EXPECT_EQ(lb.frontends[1].public_ip, 2U);
  ASSERT_EQ(lb.backend_pools.size(), 1U);
  ASSERT_EQ(lb.backend_pools[0].members.size(), 2U);
  EXPECT_EQ(lb.backend_pools[0].members[0].kind, PoolMember::Kind::kNodePool);
  EXPECT_EQ(lb.backend_pools[0].members[0].index, 0U);
  EXPECT_EQ(lb.backend_pools[0].members[1].kind, PoolMember::Kind::kHost);
  EXPECT_EQ(lb.backend_pools[0].members[1].index, 0U);
  ASSERT_EQ(lb.outbound_rules.size(), 1U);
  const OutboundRule& rule = lb.outbound_rules[0];
  EXPECT_EQ(rule.name, "aksOutboundRule");
  EXPECT_EQ(rule.frontends, std::vector<Index>{0});
  EXPECT_EQ(rule.backend_pool, 0U);
  EXPECT_EQ(rule.allocated_outbound_ports, 0U);
  EXPECT_EQ(rule.idle_timeout_minutes, 30U);
  EXPECT_EQ(rule.protocols, kAnyProtocol);

  ASSERT_EQ(t.hosts.size(), 1U);
  EXPECT_EQ(t.hosts[0].name, "jumpbox");
  EXPECT_EQ(t.hosts[0].subnet, aks_nodes);
  EXPECT_EQ(t.hosts[0].address, ip("10.0.4.200"));
  EXPECT_EQ(t.hosts[0].public_ip, 4U);
  EXPECT_EQ(t.hosts[0].nsg, 0U);

  ASSERT_EQ(t.gateways.size(), 1U);
  EXPECT_EQ(t.gateways[0].vnet, 0U);
  EXPECT_EQ(t.gateways[0].bgp_routes, std::vector<Prefix>{prefix("192.168.0.0/16")});

  ASSERT_EQ(t.nsgs.size(), 1U);
  ASSERT_EQ(t.nsgs[0].rules.size(), 2U);
  const NsgRule& deny = t.nsgs[0].rules[0];
  EXPECT_EQ(deny.name, "deny-internet");
  EXPECT_EQ(deny.priority, 100);
  EXPECT_EQ(deny.direction, Direction::kOutbound);
  EXPECT_EQ(deny.access, RuleAction::kDeny);
  EXPECT_EQ(deny.protocols, kAnyProtocol);
  EXPECT_EQ(deny.destination.kind, NsgAddress::Kind::kInternet);
  EXPECT_TRUE(deny.destination_ports.empty());
  const NsgRule& web = t.nsgs[0].rules[1];
  EXPECT_EQ(web.direction, Direction::kInbound);
  EXPECT_EQ(web.access, RuleAction::kAllow);
  EXPECT_EQ(web.protocols, protocol_bit(Protocol::kTcp));
  EXPECT_EQ(web.destination.kind, NsgAddress::Kind::kPrefixes);
  EXPECT_EQ(web.destination.prefixes,
            (std::vector<Prefix>{prefix("10.0.4.0/22"), prefix("10.1.0.0/24")}));
  EXPECT_EQ(web.destination_ports, (std::vector<PortRange>{{443, 443}, {8000, 8080}}));
}

#define EGRESS_BASE_GOOD              \
  "version: 1\n"                      \
  "vnets:\n"                          \
  "  - name: hub\n"                   \
  "    addressSpace: [10.0.0.0/16]\n" \
  "    subnets:\n"                    \
  "      - {name: aks, addressPrefix: 10.0.4.0/24}\n"

// azure-behaviour C2, C3, C5: every NSG rule field, service tags and application security
// groups as the importer writes them.
TEST(TopologyLoader, NsgRuleFieldsServiceTagsAndGroups) {
  Topology t = load_ok(EGRESS_BASE_GOOD
                       "serviceTags:\n"
                       "  - {name: Storage.WestEurope, id: Storage.WestEurope, addressPrefixes: "
                       "[13.69.40.16/28, \"2603:1020:206:402::88/125\"]}\n"
                       "applicationSecurityGroups:\n"
                       "  - {name: web, id: /subscriptions/s/resourceGroups/rg/providers/"
                       "Microsoft.Network/applicationSecurityGroups/web}\n"
                       "  - {name: db}\n"
                       "hosts:\n"
                       "  - {name: h, subnet: hub/aks, address: 10.0.4.9, "
                       "applicationSecurityGroups: [db, web]}\n"
                       "cluster:\n  nodePools:\n"
                       "    - {name: p, subnet: hub/aks, nodes: 1, applicationSecurityGroups: "
                       "[web]}\n"
                       "nsgs:\n  - name: n\n    rules:\n"
                       "      - {name: a, priority: 100, direction: Inbound, access: Allow, "
                       "protocol: Tcp, source: [203.0.113.0/24, 198.51.100.7], sourcePorts: "
                       "[\"1024-65535\", 80], destinationApplicationSecurityGroups: [db]}\n"
                       "      - {name: b, priority: 110, access: Deny, source: AzureLoadBalancer, "
                       "destination: storage.westeurope}\n"
                       "      - {name: c, priority: 120, access: Allow, "
                       "sourceApplicationSecurityGroups: [web, db], destination: \"*\"}\n");
  ASSERT_EQ(t.service_tags.size(), 1U);
  EXPECT_EQ(t.service_tags[0].id, "Storage.WestEurope");
  ASSERT_EQ(t.service_tags[0].address_prefixes.size(), 2U);
  EXPECT_EQ(t.service_tags[0].address_prefixes[1], prefix("2603:1020:206:402::88/125"));
  ASSERT_EQ(t.application_security_groups.size(), 2U);
  EXPECT_EQ(t.application_security_groups[0].id,
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/"
            "applicationSecurityGroups/web");
  EXPECT_EQ(t.hosts[0].application_security_groups, (std::vector<Index>{1, 0}));
  EXPECT_EQ(t.cluster->node_pools[0].application_security_groups, (std::vector<Index>{0}));
  const auto& rules = t.nsgs[0].rules;
  ASSERT_EQ(rules.size(), 3U);
  EXPECT_EQ(rules[0].source.kind, NsgAddress::Kind::kPrefixes);
  EXPECT_EQ(rules[0].source.prefixes,
            (std::vector<Prefix>{prefix("203.0.113.0/24"), prefix("198.51.100.7/32")}));
  EXPECT_EQ(rules[0].source_ports, (std::vector<PortRange>{{1024, 65535}, {80, 80}}));
  EXPECT_EQ(rules[0].destination.kind, NsgAddress::Kind::kApplicationSecurityGroups);
  EXPECT_EQ(rules[0].destination.groups, (std::vector<Index>{1}));
  EXPECT_EQ(rules[1].source.kind, NsgAddress::Kind::kAzureLoadBalancer);
  EXPECT_EQ(rules[1].destination.kind, NsgAddress::Kind::kServiceTag);
  EXPECT_EQ(rules[1].destination.service_tag, 0U);
  EXPECT_EQ(rules[2].source.groups, (std::vector<Index>{0, 1}));
  EXPECT_EQ(rules[2].destination.kind, NsgAddress::Kind::kAny);
  EXPECT_EQ(t.find_service_tag("STORAGE.westeurope"), 0U);
  EXPECT_EQ(t.find_service_tag("Storage"), kNoIndex);
}

TEST(TopologyLoader, MinimalTopologyTakesTheDefaults) {
  Topology t = load_ok(R"(version: 1
vnets:
  - name: v
    addressSpace: [10.0.0.0/16]
    subnets:
      - {name: s, addressPrefix: 10.0.0.0/24}
cluster:
  nodePools:
    - {name: p, subnet: v/s, nodes: 1}
appliances:
  - {name: fw, subnet: v/s, privateIp: 10.0.0.100}
natGateways:
  - {name: nat}
loadBalancers:
  - name: lb
    frontends: [{name: f, publicIp: pip}]
    backendPools: [{name: pool}]
    outboundRules: [{name: r, frontends: [f], backendPool: pool}]
publicIps:
  - {name: pip, address: 20.0.0.1}
nsgs:
  - name: n
    rules: [{name: r, priority: 100, access: Allow}]
)");
  EXPECT_EQ(t.name, "");
  ASSERT_TRUE(t.cluster.has_value());
  EXPECT_EQ(t.cluster->name, "");
  EXPECT_EQ(t.cluster->outbound_type, OutboundType::kLoadBalancer);
  EXPECT_EQ(t.cluster->vnet_mode, VnetMode::kByo);
  EXPECT_EQ(t.cluster->vm_set_type, VmSetType::kVirtualMachineScaleSets);
  EXPECT_EQ(t.cluster->load_balancer_sku, LoadBalancerSku::kStandard);
  EXPECT_EQ(t.cluster->network_plugin, NetworkPlugin::kAzure);
  EXPECT_EQ(t.cluster->max_pods, 30U);
  EXPECT_FALSE(t.cluster->pod_cidr.has_value());
  EXPECT_FALSE(t.cluster->non_masquerade_cidrs.has_value());
  EXPECT_EQ(t.cluster->load_balancer, kNoIndex);
  // Absent fields point at the cluster, so findings about them still have a place.
  EXPECT_EQ(t.cluster->outbound_type_pos.line, 8);
  EXPECT_EQ(t.subnets[0].default_outbound_access, true);
  const Appliance& fw = t.appliances[0];
  EXPECT_TRUE(fw.ip_forwarding);
  EXPECT_TRUE(fw.snat);
  EXPECT_EQ(fw.snat_ports_per_ip, 2496U);
  EXPECT_EQ(fw.instances, 2U);
  EXPECT_EQ(fw.default_action, RuleAction::kAllow);
  EXPECT_EQ(t.nat_gateways[0].idle_timeout_minutes, 4U);
  const OutboundRule& rule = t.load_balancers[0].outbound_rules[0];
  EXPECT_EQ(rule.allocated_outbound_ports, 0U);
  EXPECT_EQ(rule.idle_timeout_minutes, 4U);
  EXPECT_EQ(rule.protocols, kAnyProtocol);
  const NsgRule& nsg_rule = t.nsgs[0].rules[0];
  EXPECT_EQ(nsg_rule.direction, Direction::kOutbound);
  EXPECT_EQ(nsg_rule.protocols, kAnyProtocol);
  EXPECT_EQ(nsg_rule.destination.kind, NsgAddress::Kind::kAny);
  EXPECT_TRUE(nsg_rule.destination_ports.empty());
}

// --- bad input, one case at a time ---------------------------------------------------------

struct BadCase {
  const char* name;
  const char* yaml;
  std::vector<std::string> errors;
};

class BadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadInput, ReportsExactly) {
  EXPECT_EQ(joined(errors_of(GetParam().yaml)), joined(GetParam().errors));
}

std::string case_name(const ::testing::TestParamInfo<BadCase>& info) {
  return info.param.name;
}

// Shared start of the cases below: lines 1-6.
#define EGRESS_BASE                   \
  "version: 1\n"                      \
  "vnets:\n"                          \
  "  - name: hub\n"                   \
  "    addressSpace: [10.0.0.0/16]\n" \
  "    subnets:\n"                    \
  "      - {name: aks, addressPrefix: 10.0.4.0/24}\n"

const BadCase kBadCases[] = {
    {"YamlSyntax",
     "version: 1\nvnets: [\n",
     {"[yaml-syntax] t.yaml:3:1: error: end of sequence flow not found"}},
    {"YamlSyntaxIndent",
     "version: 1\n  name: x\n",
     {"[yaml-syntax] t.yaml:2:7: error: illegal map value"}},
    {"ControlCharacter",
     "version: 1\nname: a\x04"
     "b\n",
     {"[yaml-syntax] t.yaml:2:8: error: control character 0x04 is not allowed in YAML text"}},
    // yaml-cpp 0.7's LoadAll loops forever on these (jbeder/yaml-cpp#1040).
    {"TextAfterTheDocument",
     "  - version: 1\nvnets: []\n",
     {"[yaml-syntax] t.yaml:2:1: error: unexpected 'vnets:' after the end of the document"}},
    {"StrayComma",
     "  - version: 1\n,\n",
     {"[yaml-syntax] t.yaml:2:1: error: unexpected ',' after the end of the document"}},
    {"LeadingComma", ",\n", {"[yaml-syntax] t.yaml:1:1: error: unexpected ','"}},
    // yaml-cpp marks this one past the end of its line, and quotes its end-of-input byte.
    {"EscapeCutByTheEnd",
     "version: 1\nname: \"\\",
     {"[yaml-syntax] t.yaml:2:9: error: unknown escape character: 0x04"}},
    {"EmptyFile",
     "",
     {"[bad-type] t.yaml:1:1: error: the file holds no topology; expected a map starting with "
      "'version: 1'"}},
    {"OnlyComments",
     "# nothing\n",
     {"[bad-type] t.yaml:1:1: error: the file holds no topology; expected a map starting with "
      "'version: 1'"}},
    {"TopLevelList",
     "- version: 1\n",
     {"[bad-type] t.yaml:1:1: error: the top level must be a map of topology fields (version, "
      "vnets, ...), got a list"}},
    {"TwoDocuments",
     "version: 1\n---\nversion: 1\n",
     {"[yaml-syntax] t.yaml:2:1: error: a topology file holds one YAML document; another one "
      "starts here"}},
    {"MissingVersion",
     "name: x\n",
     {"[missing-field] t.yaml:1:1: error: topology is missing required field 'version'"}},
    {"WrongVersion",
     "version: 2\n",
     {"[bad-value] t.yaml:1:10: error: 'version' must be 1, the only schema version, got 2"}},
    {"VersionNotInteger",
     "version: one\n",
     {"[bad-type] t.yaml:1:10: error: 'version' must be an integer, got 'one'"}},
    {"UnknownTopLevelKey",
     "version: 1\nvnet: []\n",
     {"[unknown-key] t.yaml:2:1: error: unknown key 'vnet' in topology; expected one of: "
      "version, name, cluster, vnets, routeTables, publicIps, publicIpPrefixes, appliances, "
      "natGateways, loadBalancers, hosts, gateways, nsgs, serviceTags, "
      "applicationSecurityGroups, privateEndpoints; did you mean 'vnets'?"}},
    {"UnknownKeyWithSuggestion",
     "version: 1\nvnets:\n  - name: hub\n    addressSpace: [10.0.0.0/16]\n    subnets:\n"
     "      - name: aks\n        addresPrefix: 10.0.4.0/24\n",
     {"[missing-field] t.yaml:6:9: error: subnet is missing required field 'addressPrefix' (or "
      "'addressPrefixes' for dual stack)",
      "[unknown-key] t.yaml:7:9: error: unknown key 'addresPrefix' in subnet; expected one of: "
      "name, id, addressPrefix, addressPrefixes, routeTable, natGateway, nsg, "
      "defaultOutboundAccess, serviceEndpoints, privateEndpointNetworkPolicies; did you mean "
      "'addressPrefix'?"}},
    {"UnknownKeyWithoutSuggestion",
     EGRESS_BASE "hosts:\n  - {name: h, color: red}\n",
     {"[missing-field] t.yaml:8:5: error: host is missing required field 'subnet'",
      "[missing-field] t.yaml:8:5: error: host is missing required field 'address'",
      "[unknown-key] t.yaml:8:15: error: unknown key 'color' in host; expected one of: name, "
      "id, subnet, address, publicIp, nsg, applicationSecurityGroups"}},
    {"MergeKey",
     "version: 1\n<<: {name: x}\n",
     {"[unknown-key] t.yaml:2:1: error: unknown key '<<' in topology; expected one of: version, "
      "name, cluster, vnets, routeTables, publicIps, publicIpPrefixes, appliances, natGateways, "
      "loadBalancers, hosts, gateways, nsgs, serviceTags, applicationSecurityGroups, "
      "privateEndpoints (YAML merge keys are not supported)"}},
    {"DuplicateKey",
     "version: 1\nname: a\nname: b\n",
     {"[duplicate-key] t.yaml:3:1: error: duplicate key 'name'; first given at line 2, column 1"}},
    {"DuplicateKeyInFlowMap",
     EGRESS_BASE "publicIps:\n  - {name: a, address: 20.0.0.1, name: b}\n",
     {"[duplicate-key] t.yaml:8:34: error: duplicate key 'name'; first given at line 8, column "
      "6"}},
    {"NonStringKey",
     "version: 1\n[a]: 1\n",
     {"[bad-type] t.yaml:2:1: error: keys in topology must be strings, got a list"}},
    {"MissingSubnetPrefix",
     "version: 1\nvnets:\n  - name: hub\n    addressSpace: []\n",
     {"[bad-value] t.yaml:4:19: error: 'addressSpace' must not be an empty list"}},
    {"BothPrefixForms",
     "version: 1\nvnets:\n  - name: hub\n    addressSpace: [10.0.0.0/16]\n    subnets:\n"
     "      - name: aks\n        addressPrefix: 10.0.4.0/24\n        addressPrefixes: "
     "[10.0.4.0/24]\n",
     {"[bad-value] t.yaml:8:9: error: subnet has both 'addressPrefix' and 'addressPrefixes'; "
      "give one of them"}},
    {"HostBits",
     "version: 1\nvnets:\n  - name: hub\n    addressSpace: [10.0.0.0/16]\n    subnets:\n"
     "      - {name: aks, addressPrefix: 10.0.4.1/24}\n",
     {"[host-bits] t.yaml:6:36: error: 'addressPrefix': '10.0.4.1/24' has host bits set; did "
      "you mean 10.0.4.0/24?"}},
    {"HostBitsInAListV6",
     "version: 1\nvnets:\n  - name: hub\n    addressSpace: [fd00::1/64]\n",
     {"[host-bits] t.yaml:4:20: error: 'addressSpace': 'fd00::1/64' has host bits set; did you "
      "mean fd00::/64?"}},
    {"PrefixLengthOutOfRange",
     "version: 1\nvnets:\n  - {name: hub, addressSpace: [10.0.0.0/33]}\n",
     {"[bad-prefix] t.yaml:3:32: error: 'addressSpace': prefix length 33 out of range 0..32 in "
      "'10.0.0.0/33'"}},
    {"NotAPrefix",
     "version: 1\npublicIpPrefixes:\n  - {name: p, addressPrefix: 20.0.0.1}\n",
     {"[bad-prefix] t.yaml:3:30: error: 'addressPrefix': expected an IPv4 or IPv6 prefix like "
      "10.0.0.0/16 or fd00::/64, got '20.0.0.1'"}},
    {"BadAddress",
     "version: 1\npublicIps:\n  - {name: p, address: 20.0.0.256}\n",
     {"[bad-address] t.yaml:3:24: error: 'address': expected an IPv4 or IPv6 address like "
      "10.0.0.4 or fd00::4, got '20.0.0.256'"}},
    {"AddressWithLength",
     "version: 1\npublicIps:\n  - {name: p, address: 20.0.0.1/32}\n",
     {"[bad-address] t.yaml:3:24: error: 'address': expected an IPv4 or IPv6 address like "
      "10.0.0.4 or fd00::4, got '20.0.0.1/32' (an address takes no /length)"}},
    {"AddressWithNul",
     "version: 1\npublicIps:\n  - {name: p, address: \"::1\\0x\"}\n",
     {"[bad-address] t.yaml:3:24: error: 'address': expected an IPv4 or IPv6 address like "
      "10.0.0.4 or fd00::4, got '::1\\x00x'"}},
    {"BadTypeInteger",
     EGRESS_BASE "cluster:\n  nodePools:\n    - {name: p, subnet: hub/aks, nodes: three}\n",
     {"[bad-type] t.yaml:9:41: error: 'nodes' must be an integer, got 'three'"}},
    {"QuotedInteger",
     EGRESS_BASE "cluster:\n  nodePools:\n    - {name: p, subnet: hub/aks, nodes: \"3\"}\n",
     {"[bad-type] t.yaml:9:41: error: 'nodes' must be an integer, got the quoted string '3'"}},
    {"IntegerOutOfRange",
     EGRESS_BASE "cluster:\n  nodePools:\n    - {name: p, subnet: hub/aks, nodes: 1000000000}\n",
     {"[bad-value] t.yaml:9:41: error: 'nodes' must be an integer from 0 to 1000, got "
      "1000000000"}},
    {"IntegerOverflowsInt64",
     EGRESS_BASE "cluster:\n  maxPods: 99999999999999999999999\n  nodePools: []\n",
     {"[bad-value] t.yaml:8:12: error: 'maxPods' must be an integer from 1 to 250, got "
      "99999999999999999999999",
      "[bad-value] t.yaml:9:14: error: 'nodePools' must not be an empty list"}},
    {"EmptyRequiredValue",
     EGRESS_BASE "cluster:\n  nodePools:\n    - name: p\n      subnet:\n      nodes: 1\n",
     {"[bad-type] t.yaml:10:7: error: 'subnet' must be a string, got an empty value"}},
    {"EmptyName",
     "version: 1\npublicIps:\n  - {name: \"\", address: 20.0.0.1}\n",
     {"[bad-value] t.yaml:3:12: error: 'name' must not be empty"}},
    {"SlashInVnetName",
     "version: 1\nvnets:\n  - {name: a/b, addressSpace: [10.0.0.0/16]}\n",
     {"[bad-value] t.yaml:3:12: error: 'name' must not contain '/', got 'a/b'"}},
    {"BooleanMustBeBoolean",
     "version: 1\nvnets:\n  - name: hub\n    addressSpace: [10.0.0.0/16]\n"
     "    subnets:\n      - {name: s, addressPrefix: 10.0.0.0/24, defaultOutboundAccess: yes}\n",
     {"[bad-type] t.yaml:6:70: error: 'defaultOutboundAccess' must be true or false, got 'yes'"}},
    {"BadEnum",
     "version: 1\ncluster:\n  outboundType: udr\n  nodePools: []\n",
     {"[bad-value] t.yaml:3:17: error: 'outboundType' must be one of loadBalancer, "
      "managedNATGateway, userAssignedNATGateway, userDefinedRouting, none, block; got 'udr'",
      "[bad-value] t.yaml:4:14: error: 'nodePools' must not be an empty list"}},
    {"EnumCaseSuggestion",
     "version: 1\ncluster:\n  networkPlugin: Azure\n  nodePools: []\n",
     {"[bad-value] t.yaml:3:18: error: 'networkPlugin' must be one of kubenet, azure, "
      "azure-overlay; got 'Azure'; did you mean 'azure'?",
      "[bad-value] t.yaml:4:14: error: 'nodePools' must not be an empty list"}},
    {"EnumNotScalar",
     "version: 1\ncluster:\n  vnetMode: [byo]\n  nodePools: []\n",
     {"[bad-type] t.yaml:3:13: error: 'vnetMode' must be one of managed, byo; got a list",
      "[bad-value] t.yaml:4:14: error: 'nodePools' must not be an empty list"}},
    {"ClusterNotAMap",
     "version: 1\ncluster: aks\n",
     {"[bad-type] t.yaml:2:10: error: 'cluster' must be a map, got 'aks'"}},
    {"ListItemNotAMap",
     "version: 1\nvnets:\n  - hub\n",
     {"[bad-type] t.yaml:3:5: error: each item of 'vnets' must be a map, got 'hub'"}},
    {"ListNotAList",
     "version: 1\nvnets:\n  - {name: hub, addressSpace: 10.0.0.0/16}\n",
     {"[bad-type] t.yaml:3:31: error: 'addressSpace' must be a list, got '10.0.0.0/16'"}},
    {"VirtualApplianceWithoutIp",
     "version: 1\nrouteTables:\n  - name: rt\n    routes:\n"
     "      - {name: r, addressPrefix: 0.0.0.0/0, nextHopType: VirtualAppliance}\n",
     {"[missing-field] t.yaml:5:9: error: route is missing required field 'nextHopIpAddress', "
      "which nextHopType VirtualAppliance needs"}},
    {"VnetPeeringNextHop",
     "version: 1\nrouteTables:\n  - name: rt\n    routes:\n"
     "      - {name: r, addressPrefix: 0.0.0.0/0, nextHopType: VNetPeering}\n",
     {"[bad-value] t.yaml:5:58: error: 'nextHopType' must be one of VirtualAppliance, Internet, "
      "VnetLocal, VirtualNetworkGateway, None; got 'VNetPeering' (only Azure creates VNetPeering "
      "routes; a user route cannot name it)"}},
    {"DanglingRouteTable",
     EGRESS_BASE "      - {name: b, addressPrefix: 10.0.5.0/24, routeTable: egress}\n",
     {"[dangling-reference] t.yaml:7:59: error: routeTable 'egress' is not defined in "
      "routeTables"}},
    {"DanglingWithSuggestion",
     EGRESS_BASE "      - {name: b, addressPrefix: 10.0.5.0/24, routeTable: egres}\n"
                 "routeTables:\n  - name: egress\n",
     {"[dangling-reference] t.yaml:7:59: error: routeTable 'egres' is not defined in "
      "routeTables; did you mean 'egress'?"}},
    {"DanglingSubnetWithoutVnet",
     EGRESS_BASE "hosts:\n  - {name: h, subnet: aks, address: 10.0.4.9}\n",
     {"[dangling-reference] t.yaml:8:23: error: subnet 'aks' is not defined in vnets; subnets "
      "are referred to as VNET/SUBNET, e.g. 'hub/aks'"}},
    {"DanglingPublicIpInList",
     EGRESS_BASE "natGateways:\n  - {name: nat, publicIps: [pip1]}\n",
     {"[dangling-reference] t.yaml:8:29: error: publicIp 'pip1' is not defined in publicIps"}},
    {"DanglingRemoteVnet",
     "version: 1\nvnets:\n  - name: hub\n    addressSpace: [10.0.0.0/16]\n"
     "    peerings: [{remoteVnet: spoke}]\n",
     {"[dangling-reference] t.yaml:5:29: error: remoteVnet 'spoke' is not defined in vnets"}},
    {"DanglingFrontend",
     "version: 1\nloadBalancers:\n  - name: lb\n    backendPools: [{name: pool}]\n"
     "    outboundRules: [{name: r, frontends: [f], backendPool: pool}]\n",
     {"[dangling-reference] t.yaml:5:43: error: frontend 'f' is not defined in frontends of "
      "load balancer 'lb'"}},
    {"DanglingMember",
     EGRESS_BASE
     "cluster:\n  nodePools: [{name: system, subnet: hub/aks, nodes: 1}]\n"
     "loadBalancers:\n  - name: lb\n    backendPools: [{name: pool, members: [sytem]}]\n",
     {"[dangling-reference] t.yaml:11:43: error: member 'sytem' is neither a node pool of the "
      "cluster nor a host; did you mean 'system'?"}},
    {"AmbiguousMember",
     EGRESS_BASE "cluster:\n  nodePools: [{name: x, subnet: hub/aks, nodes: 1}]\n"
                 "hosts: [{name: x, subnet: hub/aks, address: 10.0.4.100}]\n"
                 "loadBalancers:\n  - name: lb\n    backendPools: [{name: pool, members: [x]}]\n",
     {"[ambiguous-reference] t.yaml:12:43: error: member 'x' names both a node pool and a host; "
      "rename one of them"}},
    {"DuplicateName",
     "version: 1\nrouteTables:\n  - name: rt\n  - name: rt\n",
     {"[duplicate-name] t.yaml:4:5: error: duplicate route table name 'rt'; first defined at "
      "line 3, column 5"}},
    {"DuplicateSubnetName",
     EGRESS_BASE "      - {name: aks, addressPrefix: 10.0.5.0/24}\n",
     {"[duplicate-name] t.yaml:7:10: error: duplicate subnet name 'hub/aks'; first defined at "
      "line 6, column 10"}},
    {"DuplicatePeering",
     "version: 1\nvnets:\n  - name: a\n    addressSpace: [10.0.0.0/16]\n"
     "    peerings: [{remoteVnet: b}, {remoteVnet: b}]\n  - {name: b, addressSpace: "
     "[10.1.0.0/16]}\n",
     {"[duplicate-name] t.yaml:5:33: error: duplicate peering to 'b'; first defined at line 5, "
      "column 16"}},
    // Azure never gives two public IPs one address (IPv6 compared as addresses, not as text).
    {"DuplicatePublicIpAddress",
     "version: 1\npublicIps:\n  - {name: a, address: 20.0.0.1}\n  - {name: b, address: 20.0.0.2}\n"
     "  - {name: c, address: 20.0.0.1}\n  - {name: d, address: \"2001:db8::1\"}\n"
     "  - {name: e, address: \"2001:DB8:0::1\"}\n",
     {"[duplicate-address] t.yaml:5:24: error: address 20.0.0.1 of public IP 'c' is already the "
      "address of public IP 'a' (line 3, column 24)",
      "[duplicate-address] t.yaml:7:24: error: address 2001:db8::1 of public IP 'e' is already "
      "the address of public IP 'd' (line 6, column 24)"}},
    {"SelfPeering",
     "version: 1\nvnets:\n  - name: a\n    addressSpace: [10.0.0.0/16]\n"
     "    peerings: [{remoteVnet: a}]\n",
     {"[bad-value] t.yaml:5:16: error: vnet 'a' cannot peer with itself"}},
    {"NsgRuleValues",
     "version: 1\nnsgs:\n  - name: n\n    rules:\n"
     "      - {name: r, priority: 99, access: Allow, protocol: TCP, destination: Internt, "
     "destinationPorts: \"90-80\"}\n",
     {"[bad-value] t.yaml:5:29: error: 'priority' must be an integer from 100 to 4096, got 99",
      "[bad-value] t.yaml:5:58: error: 'protocol' must be one of Tcp, Udp, Icmp, *; got 'TCP'; "
      "did you mean 'Tcp'?",
      "[unknown-service-tag] t.yaml:5:76: error: 'destination' names 'Internt', which is neither "
      "a built-in tag (Internet, VirtualNetwork, AzureLoadBalancer, *) nor listed under "
      "serviceTags; did you mean 'Internet'?",
      "[bad-value] t.yaml:5:103: error: 'destinationPorts': range '90-80' ends before it starts"}},
    // azure-behaviour C3: a tag that is neither built in nor listed under serviceTags.
    {"NsgUnlistedServiceTag",
     "version: 1\nserviceTags:\n  - {name: Storage.WestEurope, addressPrefixes: [13.69.40.16/28]}\n"
     "nsgs:\n  - name: n\n    rules:\n"
     "      - {name: a, priority: 100, access: Allow, destination: Sql}\n"
     "      - {name: b, priority: 110, access: Allow, source: Storage.WestEuropa}\n",
     {"[unknown-service-tag] t.yaml:7:62: error: 'destination' names 'Sql', which is neither a "
      "built-in tag (Internet, VirtualNetwork, AzureLoadBalancer, *) nor listed under "
      "serviceTags; import Azure's service tags (az network list-service-tags -o json) or add it "
      "with its addressPrefixes",
      "[unknown-service-tag] t.yaml:8:57: error: 'source' names 'Storage.WestEuropa', which is "
      "neither a built-in tag (Internet, VirtualNetwork, AzureLoadBalancer, *) nor listed under "
      "serviceTags; did you mean 'Storage.WestEurope'?"}},
    // azure-behaviour C2: augmented rules list addresses; a tag stands alone.
    {"NsgTagInAList",
     "version: 1\nnsgs:\n  - name: n\n    rules:\n"
     "      - {name: r, priority: 100, access: Allow, source: [10.0.0.0/8, VirtualNetwork]}\n",
     {"[bad-value] t.yaml:5:70: error: 'source' lists 'VirtualNetwork'; a list holds addresses "
      "and CIDRs only, a tag must stand alone (one tag per rule, as in Azure)"}},
    {"NsgAddressesAndGroupsOnOneSide",
     "version: 1\napplicationSecurityGroups: [{name: web}]\nnsgs:\n  - name: n\n    rules:\n"
     "      - {name: r, priority: 100, access: Allow, source: 10.0.0.4,\n"
     "         sourceApplicationSecurityGroups: [web], destinationApplicationSecurityGroups: "
     "[wbe]}\n",
     {"[bad-value] t.yaml:7:10: error: NSG rule has both 'source' and "
      "'sourceApplicationSecurityGroups'; Azure takes addresses or application security groups "
      "on one side, not both",
      "[dangling-reference] t.yaml:7:89: error: application security group 'wbe' is not defined "
      "in applicationSecurityGroups; did you mean 'web'?"}},
    {"ServiceTagThatIsBuiltIn",
     "version: 1\nserviceTags:\n  - {name: internet, addressPrefixes: [0.0.0.0/0]}\n",
     {"[bad-value] t.yaml:3:12: error: service tag 'internet' is built in and cannot be listed; "
      "its addresses depend on the VNet"}},
    {"NsgSourcePorts",
     "version: 1\nnsgs:\n  - name: n\n    rules:\n"
     "      - {name: r, priority: 100, access: Allow, sourcePorts: [\"1024-\"]}\n",
     {"[bad-value] t.yaml:5:63: error: each item of 'sourcePorts' must be a port like 443 or a "
      "range like 8000-8080, got '1024-'"}},
    {"NsgPortListItems",
     "version: 1\nnsgs:\n  - name: n\n    rules:\n"
     "      - {name: r, priority: 100, access: Allow, destinationPorts: [\"*\", 70000]}\n",
     {"[bad-value] t.yaml:5:68: error: each item of 'destinationPorts' must be a port like 443 or "
      "a range like 8000-8080, got '*'",
      "[bad-value] t.yaml:5:73: error: each item of 'destinationPorts' must be a port like 443 or "
      "a range like 8000-8080, got '70000'"}},
    {"ApplianceRuleValues",
     EGRESS_BASE
     "appliances:\n  - name: fw\n    subnet: hub/aks\n    privateIp: 10.0.4.4\n"
     "    rules:\n      - {name: r, action: permit, protocols: [tcp, sctp], ports: []}\n",
     {"[bad-value] t.yaml:12:27: error: 'action' must be one of allow, deny; got 'permit'",
      "[bad-value] t.yaml:12:52: error: each item of 'protocols' must be one of tcp, udp, icmp, "
      "any; got 'sctp'; did you mean 'tcp'?",
      "[bad-value] t.yaml:12:66: error: 'ports' must not be an empty list; leave it out to match "
      "any port"}},
    {"AddressesCountMismatch",
     EGRESS_BASE "cluster:\n  nodePools:\n    - {name: p, subnet: hub/aks, nodes: 3, "
                 "addresses: [10.0.4.10, 10.0.4.11]}\n",
     {"[bad-value] t.yaml:9:55: error: 'addresses' lists 2 addresses but 'nodes' is 3"}},
    {"NodesMissing",
     EGRESS_BASE "cluster:\n  nodePools:\n    - {name: p, subnet: hub/aks}\n",
     {"[missing-field] t.yaml:9:7: error: node pool is missing required field 'nodes'"}},
    {"NodeOverflow",
     "version: 1\nvnets:\n  - name: hub\n    addressSpace: [10.0.0.0/16]\n    subnets:\n"
     "      - {name: aks-nodes, addressPrefix: 10.0.4.0/28}\n"
     "cluster:\n  nodePools:\n    - {name: system, subnet: hub/aks-nodes, nodes: 3}\n",
     {"[node-overflow] t.yaml:9:52: error: node pool 'system' needs 3 nodes x 31 addresses from "
      "hub/aks-nodes (10.0.4.0/28) but only 11 are usable"}},
    {"NodeOverflowSecondPool",
     "version: 1\nvnets:\n  - name: hub\n    addressSpace: [10.0.0.0/16]\n    subnets:\n"
     "      - {name: s, addressPrefix: 10.0.4.0/28}\n"
     "cluster:\n  networkPlugin: kubenet\n  nodePools:\n"
     "    - {name: a, subnet: hub/s, nodes: 8}\n    - {name: b, subnet: hub/s, nodes: 4}\n",
     {"[node-overflow] t.yaml:11:39: error: node pool 'b' needs 4 nodes x 1 address from hub/s "
      "(10.0.4.0/28) but only 3 of its 11 usable addresses are left"}},
    {"ClusterTooLarge",
     EGRESS_BASE
     "cluster:\n  nodePools:\n"
     "    - {name: a, subnet: hub/aks, nodes: 1000}\n    - {name: b, subnet: hub/aks, nodes: "
     "1000}\n"
     "    - {name: c, subnet: hub/aks, nodes: 1000}\n    - {name: d, subnet: hub/aks, nodes: "
     "1000}\n"
     "    - {name: e, subnet: hub/aks, nodes: 1000}\n    - {name: f, subnet: hub/aks, nodes: 1}\n",
     {"[bad-value] t.yaml:9:5: error: the cluster has 5001 nodes; AKS allows at most 5000"}},
    {"FirewallSettingsOnNva",
     EGRESS_BASE "appliances:\n  - name: nva\n    subnet: hub/aks\n    privateIp: 10.0.4.4\n"
                 "    privateRanges: [IANAPrivateRanges]\n    dnatRules: []\n",
     {"[bad-value] t.yaml:11:5: error: 'privateRanges' is a setting of Azure Firewall; add "
      "'type: AzureFirewall' to appliance 'nva'",
      "[bad-value] t.yaml:12:5: error: 'dnatRules' is a setting of Azure Firewall; add "
      "'type: AzureFirewall' to appliance 'nva'"}},
    {"FirewallRuleValues",
     EGRESS_BASE
     "appliances:\n  - name: fw\n    type: AzureFirewall\n    subnet: hub/aks\n"
     "    privateIp: 10.0.4.4\n    snat: true\n    privateRanges: [IANAPrivateRanges, 10.1.2.3/8]\n"
     "    rules:\n      - {name: r, action: allow, destinations: [AzureCloud.westus], "
     "destinationFqdns: ['*.example.com']}\n"
     "    applicationRules:\n      - {name: a, action: allow, protocols: ['Ftp:21', "
     "'Https:99999'], "
     "fqdnTags: [WindowsUpdate], targetFqdns: ['bad host']}\n"
     "      - {name: b, action: allow, targetFqdns: [x.example.com]}\n"
     "    dnatRules:\n      - {name: d, protocols: [tcp], destinations: [20.0.0.1], ports: [80]}\n",
     {"[bad-value] t.yaml:12:5: error: Azure Firewall always SNATs what leaves by its public IPs; "
      "'privateRanges' says where it does not (0.0.0.0/0: never), so 'snat' does not apply",
      "[host-bits] t.yaml:13:40: error: 'privateRanges': '10.1.2.3/8' has host bits set; did you "
      "mean 10.0.0.0/8?",
      "[dangling-reference] t.yaml:15:49: error: service tag 'AzureCloud.westus' is not defined "
      "in serviceTags",
      "[bad-value] t.yaml:15:88: error: each item of 'destinationFqdns' must be a host name like "
      "'api.example.com' (no wildcards), got '*.example.com'",
      "[missing-field] t.yaml:17:9: error: application rule 'a' needs 'targetFqdns' or 'fqdnTags'",
      "[missing-field] t.yaml:17:9: error: application rule 'a' needs 'protocols', e.g. "
      "[\"Http:80\", \"Https:443\"]",
      "[bad-value] t.yaml:17:46: error: each item of 'protocols' must be Http, Https or Mssql with "
      "an optional port, like 'Https:443', got 'Ftp:21'",
      "[bad-value] t.yaml:17:56: error: each item of 'protocols' must be Http, Https or Mssql with "
      "an optional port, like 'Https:443', got 'Https:99999'",
      "[bad-value] t.yaml:17:83: error: each item of 'fqdnTags': unknown FQDN tag "
      "'WindowsUpdate'; known: AzureKubernetesService",
      "[bad-value] t.yaml:17:113: error: each item of 'targetFqdns' must be a host name like "
      "'*.example.com' or 'api.example.com', got 'bad host'",
      "[missing-field] t.yaml:18:9: error: application rule 'b' needs 'protocols', e.g. "
      "[\"Http:80\", \"Https:443\"]",
      "[missing-field] t.yaml:20:9: error: DNAT rule is missing required field "
      "'translatedAddress'",
      "[missing-field] t.yaml:20:9: error: DNAT rule is missing required field 'translatedPort'"}},
};

INSTANTIATE_TEST_SUITE_P(TopologyLoader, BadInput, ::testing::ValuesIn(kBadCases), case_name);

// --- several errors ------------------------------------------------------------------------

TEST(TopologyLoader, ReportsEveryErrorSortedByPosition) {
  // References are resolved after reading, yet their errors come out in file order.
  std::vector<std::string> errors = errors_of(R"(version: 1
cluster:
  loadBalancer: nope
  nodePools:
    - {name: p, subnet: hub/none, nodes: -1}
vnets:
  - name: hub
    addressSpace: [10.0.0.0/16, 10.1.0.1/16]
    subnets:
      - {name: a, addressPrefix: 10.0.0.0/24, nsg: n1}
      - {name: a, addressPrefix: 10.0.1.0/24, color: blue}
)");
  EXPECT_EQ(joined(errors),
            joined({
                "[dangling-reference] t.yaml:3:17: error: loadBalancer 'nope' is not defined in "
                "loadBalancers",
                "[dangling-reference] t.yaml:5:25: error: subnet 'hub/none' is not defined in "
                "vnets",
                "[bad-value] t.yaml:5:42: error: 'nodes' must be an integer from 0 to 1000, got -1",
                "[host-bits] t.yaml:8:33: error: 'addressSpace': '10.1.0.1/16' has host bits "
                "set; did you mean 10.1.0.0/16?",
                "[dangling-reference] t.yaml:10:52: error: nsg 'n1' is not defined in nsgs",
                "[duplicate-name] t.yaml:11:10: error: duplicate subnet name 'hub/a'; first "
                "defined at line 10, column 10",
                "[unknown-key] t.yaml:11:47: error: unknown key 'color' in subnet; expected one "
                "of: name, id, addressPrefix, addressPrefixes, routeTable, natGateway, nsg, "
                "defaultOutboundAccess, serviceEndpoints, privateEndpointNetworkPolicies",
            }));
}

TEST(TopologyLoader, DuplicateKeysAtEveryLevelAreReported) {
  std::vector<std::string> errors = errors_of(R"(version: 1
vnets:
  - name: hub
    addressSpace: [10.0.0.0/16]
    name: hub2
version: 1
)");
  EXPECT_EQ(joined(errors),
            joined({"[duplicate-key] t.yaml:5:5: error: duplicate key 'name'; first given at "
                    "line 3, column 5",
                    "[duplicate-key] t.yaml:6:1: error: duplicate key 'version'; first given at "
                    "line 1, column 1"}));
}

TEST(TopologyLoader, NextHopIpOnOtherTypesIsKeptNotAnError) {
  Topology t = load_ok(R"(version: 1
routeTables:
  - name: rt
    routes:
      - {name: r, addressPrefix: 0.0.0.0/0, nextHopType: internet, nextHopIpAddress: 10.9.9.9}
      - {name: s, addressPrefix: 10.0.0.0/8, nextHopType: VnetLocal}
)");
  const Route& r = t.route_tables[0].routes[0];
  EXPECT_EQ(r.next_hop_type, NextHopType::kInternet);
  EXPECT_EQ(r.next_hop_ip, ip("10.9.9.9"));
  EXPECT_EQ(r.next_hop_pos.line, 5);
  EXPECT_EQ(r.next_hop_pos.column, 86);
  // Without an IP, next_hop_pos is where the type is written.
  const Route& s = t.route_tables[0].routes[1];
  EXPECT_EQ(s.next_hop_pos.line, 6);
  EXPECT_EQ(s.next_hop_pos.column, 59);
}

TEST(TopologyLoader, OverlapsAndOutOfSpaceSubnetsAreFindingsNotErrors) {
  Topology t = load_ok(R"(version: 1
vnets:
  - name: hub
    addressSpace: [10.0.0.0/16]
    subnets:
      - {name: a, addressPrefix: 10.0.0.0/24}
      - {name: b, addressPrefix: 10.0.0.0/25}
      - {name: c, addressPrefix: 192.168.0.0/24}
)");
  EXPECT_EQ(t.subnets.size(), 3U);
}

// --- node addresses ------------------------------------------------------------------------

constexpr const char* kTwoSubnets = R"(version: 1
vnets:
  - name: hub
    addressSpace: [10.0.0.0/16, fd00::/48]
    subnets:
      - {name: a, addressPrefix: 10.0.4.0/24}
      - {name: b, addressPrefix: 10.0.8.0/24}
      - {name: v6, addressPrefixes: [fd00:0:0:1::/64, 10.0.9.0/24]}
)";

TEST(TopologyLoader, KubenetNodesTakeConsecutiveAddresses) {
  Topology t = load_ok(std::string(kTwoSubnets) + R"(cluster:
  networkPlugin: kubenet
  podCidr: 10.244.0.0/16
  nodePools:
    - {name: system, subnet: hub/a, nodes: 3}
)");
  EXPECT_EQ(addresses(t.cluster->node_pools[0]),
            (std::vector<std::string>{"10.0.4.4", "10.0.4.5", "10.0.4.6"}));
}

TEST(TopologyLoader, AzurePluginLeavesRoomForPodIps) {
  Topology t = load_ok(std::string(kTwoSubnets) + R"(cluster:
  networkPlugin: azure
  maxPods: 10
  nodePools:
    - {name: system, subnet: hub/a, nodes: 3}
)");
  EXPECT_EQ(addresses(t.cluster->node_pools[0]),
            (std::vector<std::string>{"10.0.4.4", "10.0.4.15", "10.0.4.26"}));
}

TEST(TopologyLoader, OverlayPodsDoNotUseSubnetAddresses) {
  Topology t = load_ok(std::string(kTwoSubnets) + R"(cluster:
  networkPlugin: azure-overlay
  podCidr: 10.244.0.0/16
  nodePools:
    - {name: system, subnet: hub/a, nodes: 2}
)");
  EXPECT_EQ(addresses(t.cluster->node_pools[0]),
            (std::vector<std::string>{"10.0.4.4", "10.0.4.5"}));
}

TEST(TopologyLoader, PoolsSharingASubnetContinueWhereThePreviousStopped) {
  Topology t = load_ok(std::string(kTwoSubnets) + R"(cluster:
  maxPods: 2
  nodePools:
    - {name: system, subnet: hub/a, nodes: 2}
    - {name: other, subnet: hub/b, nodes: 1}
    - {name: user, subnet: hub/a, nodes: 2}
)");
  const auto& pools = t.cluster->node_pools;
  EXPECT_EQ(addresses(pools[0]), (std::vector<std::string>{"10.0.4.4", "10.0.4.7"}));
  EXPECT_EQ(addresses(pools[1]), (std::vector<std::string>{"10.0.8.4"}));
  EXPECT_EQ(addresses(pools[2]), (std::vector<std::string>{"10.0.4.10", "10.0.4.13"}));
}

TEST(TopologyLoader, ExplicitAddressesAreKeptAndSetTheNodeCount) {
  Topology t = load_ok(std::string(kTwoSubnets) + R"(cluster:
  nodePools:
    - {name: fixed, subnet: hub/a, addresses: [10.0.4.50, 10.0.4.60]}
    - {name: counted, subnet: hub/a, nodes: 1, addresses: [10.0.4.70]}
    - {name: auto, subnet: hub/a, nodes: 1}
)");
  const auto& pools = t.cluster->node_pools;
  EXPECT_EQ(pools[0].nodes, 2U);
  EXPECT_EQ(addresses(pools[0]), (std::vector<std::string>{"10.0.4.50", "10.0.4.60"}));
  EXPECT_EQ(addresses(pools[1]), (std::vector<std::string>{"10.0.4.70"}));
  // Listed addresses do not move the cursor: overlaps are for the checks to report.
  EXPECT_EQ(addresses(pools[2]), (std::vector<std::string>{"10.0.4.4"}));
}

TEST(TopologyLoader, NodesOnADualStackSubnetComeFromItsFirstPrefix) {
  Topology t = load_ok(std::string(kTwoSubnets) + R"(cluster:
  networkPlugin: kubenet
  nodePools:
    - {name: system, subnet: hub/v6, nodes: 2}
)");
  EXPECT_EQ(addresses(t.cluster->node_pools[0]),
            (std::vector<std::string>{"fd00:0:0:1::4", "fd00:0:0:1::5"}));
}

TEST(TopologyLoader, ASubnetFillsExactlyToItsLastUsableAddress) {
  // A /28 has 16 addresses: 4 reserved at the start and the broadcast, 11 usable.
  Topology t = load_ok(R"(version: 1
vnets:
  - name: hub
    addressSpace: [10.0.0.0/16]
    subnets: [{name: s, addressPrefix: 10.0.4.0/28}]
cluster:
  networkPlugin: kubenet
  nodePools: [{name: p, subnet: hub/s, nodes: 11}]
)");
  EXPECT_EQ(t.cluster->node_pools[0].addresses.back(), ip("10.0.4.14"));
  EXPECT_FALSE(parse_topology(R"(version: 1
vnets:
  - name: hub
    addressSpace: [10.0.0.0/16]
    subnets: [{name: s, addressPrefix: 10.0.4.0/28}]
cluster:
  networkPlugin: kubenet
  nodePools: [{name: p, subnet: hub/s, nodes: 12}]
)",
                              "t.yaml")
                   .topology.has_value());
}

TEST(TopologyLoader, ZeroNodesIsAnEmptyPool) {
  Topology t = load_ok(std::string(kTwoSubnets) + R"(cluster:
  nodePools: [{name: p, subnet: hub/a, nodes: 0}]
)");
  EXPECT_TRUE(t.cluster->node_pools[0].addresses.empty());
}

// --- defaults that depend on other fields ---------------------------------------------------

TEST(TopologyLoader, ManagedVnetNodeSubnetsHaveNoDefaultOutboundAccess) {
  Topology t = load_ok(R"(version: 1
vnets:
  - name: aks-vnet
    addressSpace: [10.224.0.0/12]
    subnets:
      - {name: nodes, addressPrefix: 10.224.0.0/16}
      - {name: other, addressPrefix: 10.225.0.0/16}
      - {name: pinned, addressPrefix: 10.226.0.0/16, defaultOutboundAccess: true}
cluster:
  vnetMode: managed
  nodePools:
    - {name: system, subnet: aks-vnet/nodes, nodes: 1}
    - {name: user, subnet: aks-vnet/pinned, nodes: 1}
)");
  EXPECT_FALSE(t.subnets[0].default_outbound_access);
  EXPECT_FALSE(t.subnets[0].default_outbound_access_set);
  EXPECT_TRUE(t.subnets[1].default_outbound_access);
  EXPECT_TRUE(t.subnets[2].default_outbound_access);
  EXPECT_TRUE(t.subnets[2].default_outbound_access_set);
}

TEST(TopologyLoader, ByoVnetNodeSubnetsKeepDefaultOutboundAccess) {
  Topology t = load_ok(std::string(kTwoSubnets) + R"(cluster:
  vnetMode: byo
  nodePools: [{name: p, subnet: hub/a, nodes: 1}]
)");
  EXPECT_TRUE(t.subnets[0].default_outbound_access);
}

TEST(TopologyLoader, PeeringDeclaredOnOneSideIsCompletedOnTheOther) {
  Topology t = load_ok(R"(version: 1
vnets:
  - name: hub
    addressSpace: [10.0.0.0/16]
    peerings:
      - {remoteVnet: spoke1, allowForwardedTraffic: true, useRemoteGateways: false}
      - {remoteVnet: spoke2}
  - name: spoke1
    addressSpace: [10.1.0.0/16]
  - name: spoke2
    addressSpace: [10.2.0.0/16]
    peerings:
      - {remoteVnet: hub, useRemoteGateways: true}
)");
  ASSERT_EQ(t.vnets[1].peerings.size(), 1U);
  const Peering& reverse = t.vnets[1].peerings[0];
  EXPECT_EQ(reverse.remote_vnet, 0U);
  EXPECT_FALSE(reverse.declared);
  EXPECT_TRUE(reverse.allow_forwarded_traffic);
  EXPECT_FALSE(reverse.use_remote_gateways);
  EXPECT_EQ(reverse.pos.line, 6);
  // Both sides written: nothing added.
  EXPECT_EQ(t.vnets[0].peerings.size(), 2U);
  ASSERT_EQ(t.vnets[2].peerings.size(), 1U);
  EXPECT_TRUE(t.vnets[2].peerings[0].declared);
  EXPECT_TRUE(t.vnets[2].peerings[0].use_remote_gateways);
}

// --- IPv6 and odd forms --------------------------------------------------------------------

TEST(TopologyLoader, AcceptsIpv6Everywhere) {
  Topology t = load_ok(R"(version: 1
vnets:
  - name: hub
    addressSpace: [10.0.0.0/16, "fd00:db8::/48"]
    subnets:
      - {name: s, addressPrefixes: [10.0.1.0/24, "fd00:db8:0:1::/64"]}
routeTables:
  - name: rt
    routes:
      - name: v6
        addressPrefix: "::/0"
        nextHopType: VirtualAppliance
        nextHopIpAddress: "fd00:db8:0:1::4"
publicIps:
  - {name: pip6, address: "2001:db8::1"}
nsgs:
  - name: n
    rules:
      - {name: r, priority: 100, access: deny, protocol: icmp, destination: "2001:db8::/32"}
      - {name: host, priority: 110, access: Allow, destination: 10.0.0.5, destinationPorts: 443}
)");
  EXPECT_EQ(t.vnets[0].address_space[1], prefix("fd00:db8::/48"));
  EXPECT_EQ(t.subnets[0].address_prefixes[1], prefix("fd00:db8:0:1::/64"));
  EXPECT_EQ(t.route_tables[0].routes[0].prefix, prefix("::/0"));
  EXPECT_EQ(t.route_tables[0].routes[0].next_hop_ip, ip("fd00:db8:0:1::4"));
  EXPECT_EQ(t.public_ips[0].address, ip("2001:db8::1"));
  const NsgRule& r = t.nsgs[0].rules[0];
  EXPECT_EQ(r.access, RuleAction::kDeny);
  EXPECT_EQ(r.protocols, protocol_bit(Protocol::kIcmp));
  EXPECT_EQ(r.destination.prefixes, std::vector<Prefix>{prefix("2001:db8::/32")});
  // A bare address in an NSG rule is that one address, as Azure reads it.
  const NsgRule& h = t.nsgs[0].rules[1];
  EXPECT_EQ(h.destination.prefixes, std::vector<Prefix>{prefix("10.0.0.5/32")});
  EXPECT_EQ(h.destination_ports, (std::vector<PortRange>{{443, 443}}));
}

TEST(TopologyLoader, AnchorsAndAliasesWork) {
  Topology t = load_ok(R"(version: 1
vnets:
  - name: hub
    addressSpace: &space [10.0.0.0/16]
  - name: copy
    addressSpace: *space
)");
  EXPECT_EQ(t.vnets[1].address_space, std::vector<Prefix>{prefix("10.0.0.0/16")});
}

TEST(TopologyLoader, AnAliasBombStopsWithOneError) {
  // Aliases cost yaml-cpp nothing but each use is read again: 1000 vnets x 2000 prefixes from
  // about 30 kB of text.
  std::string yaml = R"(version: 1
vnets:
  - &v {name: v, addressSpace: [)";
  for (int i = 0; i < 2000; ++i) {
    yaml += i == 0 ? "10.0.0.0/8" : ", 10.0.0.0/8";
  }
  yaml += "]}\n";
  for (int i = 0; i < 1000; ++i) {
    yaml += "  - *v\n";
  }
  LoadResult r = parse_topology(yaml, "t.yaml");
  ASSERT_FALSE(r.topology.has_value());
  bool too_large = std::any_of(r.errors.begin(), r.errors.end(),
                               [](const Diagnostic& d) { return d.code == "too-large"; });
  EXPECT_TRUE(too_large);
  EXPECT_LE(r.errors.size(), 1001U);
}

TEST(TopologyLoader, TooManyErrorsStops) {
  std::string yaml = "version: 1\npublicIps:\n";
  for (int i = 0; i < 1500; ++i) {
    yaml += "  - {name: p" + std::to_string(i) + ", address: bad}\n";
  }
  LoadResult r = parse_topology(yaml, "t.yaml");
  ASSERT_EQ(r.errors.size(), 1001U);
  EXPECT_EQ(r.errors.back().code, "too-many-errors");
  EXPECT_EQ(format_diagnostic(r.errors.back(), "error"),
            "t.yaml:1003:28: error: more than 1000 errors; stopped reading here");
}

TEST(TopologyLoader, ControlCharactersAndLongValuesAreShownSafely) {
  std::string long_value(200, 'x');
  EXPECT_EQ(
      joined(errors_of("version: 1\nname: n\npublicIps:\n  - {name: p, address: \"a\\tb\\u0001\"}\n"
                       "  - {name: q, address: " +
                       long_value + "}\n")),
      joined({"[bad-address] t.yaml:4:24: error: 'address': expected an IPv4 or IPv6 "
              "address like 10.0.0.4 or fd00::4, got 'a\\tb\\x01'",
              "[bad-address] t.yaml:5:24: error: 'address': expected an IPv4 or IPv6 "
              "address like 10.0.0.4 or fd00::4, got '" +
                  std::string(60, 'x') + "...'"}));
}

TEST(TopologyLoader, NulBytesAreRefusedBeforeYamlCppSeesThem) {
  // yaml-cpp can spin for minutes on NUL bytes (tests/fuzz/regressions).
  std::string yaml("version: 1\nname: [10.0\0\0\0.0/16]\n", 32);
  EXPECT_EQ(joined(errors_of(yaml)),
            joined({"[yaml-syntax] t.yaml:2:12: error: control character 0x00 is not allowed in "
                    "YAML text"}));
  std::string utf16("\xff\xfev\0e\0r\0", 8);
  EXPECT_EQ(joined(errors_of(utf16)),
            joined({"[invalid-utf8] t.yaml:1:1: error: invalid UTF-8: byte 0xff never occurs in "
                    "UTF-8; is the file UTF-16? Save it as UTF-8"}));
  std::string utf16_ascii("\xfe\xff\0v\0e", 6);
  EXPECT_EQ(joined(errors_of(utf16_ascii)),
            joined({"[invalid-utf8] t.yaml:1:1: error: invalid UTF-8: byte 0xfe never occurs in "
                    "UTF-8; is the file UTF-16? Save it as UTF-8"}));
}

// --- encoding ------------------------------------------------------------------------------

struct Utf8Case {
  const char* name;
  std::string yaml;
  std::string error;  // "" when the text is valid UTF-8
};

class Utf8 : public ::testing::TestWithParam<Utf8Case> {};

TEST_P(Utf8, IsCheckedEverywhereWithItsPosition) {
  const Utf8Case& c = GetParam();
  if (c.error.empty()) {
    load_ok(c.yaml);
  } else {
    EXPECT_EQ(joined(errors_of(c.yaml)), joined({c.error}));
  }
}

std::string utf8_case_name(const ::testing::TestParamInfo<Utf8Case>& info) {
  return info.param.name;
}

// Columns count bytes, as yaml-cpp's marks do ("name: caf\xc3\xa9 \x80": 0x80 is in column 13).
const Utf8Case kUtf8Cases[] = {
    {"TwoThreeAndFourByteCharacters",
     "version: 1\nname: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n", ""},
    {"LastBeforeSurrogates", "version: 1\nname: \xed\x9f\xbf\n", ""},
    {"FirstAfterSurrogates", "version: 1\nname: \xee\x80\x80\n", ""},
    {"HighestCodePoint", "version: 1\nname: \xf4\x8f\xbf\xbf\n", ""},
    {"ByteOrderMark", "\xef\xbb\xbfversion: 1\n", ""},
    {"StrayContinuationInAName",
     "version: 1\nname: a\x80"
     "b\n",
     "[invalid-utf8] t.yaml:2:8: error: invalid UTF-8: byte 0x80 continues a character that "
     "never started"},
    {"ColumnsCountBytes", "version: 1\nname: caf\xc3\xa9 \x80\n",
     "[invalid-utf8] t.yaml:2:13: error: invalid UTF-8: byte 0x80 continues a character that "
     "never started"},
    {"Latin1InARouteName",
     "version: 1\nrouteTables:\n  - name: rt\n    routes:\n      - {name: caf\xe9, addressPrefix: "
     "0.0.0.0/0, nextHopType: Internet}\n",
     "[invalid-utf8] t.yaml:5:19: error: invalid UTF-8: byte 0xe9 starts a 3-byte character but "
     "byte 0x2c follows"},
    {"InAComment", "version: 1 # caf\xe9\n",
     "[invalid-utf8] t.yaml:1:17: error: invalid UTF-8: byte 0xe9 starts a 3-byte character but "
     "byte 0x0a follows"},
    {"TruncatedAtTheEnd", "version: 1\nname: \xe2\x82",
     "[invalid-utf8] t.yaml:2:7: error: invalid UTF-8: byte 0xe2 starts a 3-byte character but "
     "the file ends"},
    {"TruncatedFourBytes", "version: 1\nname: \xf0\x9f\x98 x\n",
     "[invalid-utf8] t.yaml:2:7: error: invalid UTF-8: byte 0xf0 starts a 4-byte character but "
     "byte 0x20 follows"},
    {"OverlongTwoBytes",
     "version: 1\nname: a\xc0\xaf"
     "b\n",
     "[invalid-utf8] t.yaml:2:8: error: invalid UTF-8: bytes 0xc0 0xaf are an overlong encoding "
     "of U+002F"},
    {"OverlongNul", "version: 1\nname: \xc0\x80\n",
     "[invalid-utf8] t.yaml:2:7: error: invalid UTF-8: bytes 0xc0 0x80 are an overlong encoding "
     "of U+0000"},
    {"OverlongThreeBytes", "version: 1\nname: \xe0\x80\xaf\n",
     "[invalid-utf8] t.yaml:2:7: error: invalid UTF-8: bytes 0xe0 0x80 0xaf are an overlong "
     "encoding of U+002F"},
    {"OverlongFourBytes", "version: 1\nname: \xf0\x82\x82\xac\n",
     "[invalid-utf8] t.yaml:2:7: error: invalid UTF-8: bytes 0xf0 0x82 0x82 0xac are an overlong "
     "encoding of U+20AC"},
    {"FirstSurrogate", "version: 1\nname: \xed\xa0\x80\n",
     "[invalid-utf8] t.yaml:2:7: error: invalid UTF-8: bytes 0xed 0xa0 0x80 encode U+D800, a "
     "UTF-16 surrogate, which UTF-8 does not allow"},
    {"LastSurrogate", "version: 1\nname: \xed\xbf\xbf\n",
     "[invalid-utf8] t.yaml:2:7: error: invalid UTF-8: bytes 0xed 0xbf 0xbf encode U+DFFF, a "
     "UTF-16 surrogate, which UTF-8 does not allow"},
    {"AboveTheLastCodePoint", "version: 1\nname: \xf4\x90\x80\x80\n",
     "[invalid-utf8] t.yaml:2:7: error: invalid UTF-8: bytes 0xf4 0x90 0x80 0x80 encode "
     "U+110000, above U+10FFFF"},
    {"LeadByteF5", "version: 1\nname: \xf5\x80\x80\x80\n",
     "[invalid-utf8] t.yaml:2:7: error: invalid UTF-8: bytes 0xf5 0x80 0x80 0x80 encode "
     "U+140000, above U+10FFFF"},
    {"LeadByteF8", "version: 1\nname: \xf8\x88\x80\x80\x80\n",
     "[invalid-utf8] t.yaml:2:7: error: invalid UTF-8: byte 0xf8 never occurs in UTF-8"},
    {"FirstProblemWins", "version: 1\nname: \x80 \x01\n",
     "[invalid-utf8] t.yaml:2:7: error: invalid UTF-8: byte 0x80 continues a character that "
     "never started"},
};

INSTANTIATE_TEST_SUITE_P(TopologyLoader, Utf8, ::testing::ValuesIn(kUtf8Cases), utf8_case_name);

// --- limits --------------------------------------------------------------------------------

LoadLimits bytes(uint64_t max_bytes) {
  LoadLimits limits;
  limits.max_bytes = max_bytes;
  return limits;
}

std::vector<std::string> errors_with(std::string_view yaml, const LoadLimits& limits) {
  LoadResult r = parse_topology(yaml, "t.yaml", limits);
  EXPECT_FALSE(r.topology.has_value());
  std::vector<std::string> out;
  for (const Diagnostic& d : r.errors) {
    out.push_back("[" + d.code + "] " + format_diagnostic(d, "error"));
  }
  return out;
}

TEST(TopologyLoader, DefaultLimitsAreSixteenMebibytesAndAMillionItems) {
  LoadLimits limits;
  EXPECT_EQ(limits.max_bytes, 16U << 20);
  EXPECT_EQ(limits.max_items(), 1048576U);
  EXPECT_EQ(bytes(1).max_items(), 1U);
}

TEST(TopologyLoader, TextOverTheSizeLimitIsRefusedWithoutAPosition) {
  std::string yaml = "version: 1\n";
  EXPECT_TRUE(parse_topology(yaml, "t.yaml", bytes(yaml.size())).topology.has_value());
  EXPECT_EQ(joined(errors_with(yaml, bytes(yaml.size() - 1))),
            joined({"[file-too-large] t.yaml: error: the file is 11 bytes, over the limit of 10 "
                    "bytes for a topology; set EGRESS_MAX_TOPOLOGY_BYTES to raise it"}));
}

TEST(TopologyLoader, ItemsAreCountedBeforeAnyNodeIsBuilt) {
  // 48 bytes allow 3 keys and items. The list is never closed: had yaml-cpp built the document
  // first, the error would be its syntax error at the end instead.
  EXPECT_EQ(joined(errors_with("version: 1\nname: [a, a, a, a, a, a\n", bytes(48))),
            joined({"[too-large] t.yaml:2:11: error: the file holds more than 3 map keys and list "
                    "items; stopped reading here (the limit is one per 16 bytes of the size "
                    "limit, 48 bytes; set EGRESS_MAX_TOPOLOGY_BYTES to raise both)"}));
  // Three keys are within the limit: values of maps are not counted, as the loader does not
  // visit them.
  EXPECT_TRUE(
      parse_topology("version: 1\nname: n\nvnets: []\n", "t.yaml", bytes(48)).topology.has_value());
}

TEST(TopologyLoader, AliasesCountEachTimeTheyAreUsedAgainstTheSameLimit) {
  std::string yaml = "version: 1\nvnets:\n  - &v {name: v, addressSpace: [10.0.0.0/8]}\n";
  for (int i = 0; i < 10; ++i) {
    yaml += "  - *v\n";
  }
  // Written: 2 + 1 + 2 + 1 + 10 = 16 keys and items, within the limit of 20; read through the
  // aliases, 3 more each. An aliased node has its anchor's position.
  ASSERT_LT(yaml.size(), 16U * 20);
  EXPECT_EQ(joined(errors_with(yaml, bytes(16 * 20))),
            joined({"[duplicate-name] t.yaml:3:9: error: duplicate vnet name 'v'; first defined "
                    "at line 3, column 9",
                    "[too-large] t.yaml:3:18: error: the file holds more than 20 map keys and list "
                    "items (an alias counts each time it is used); stopped reading here (the "
                    "limit is one per 16 bytes of the size limit, 320 bytes; set "
                    "EGRESS_MAX_TOPOLOGY_BYTES to raise both)"}));
}

TEST(TopologyLoader, ALargeRegularFileIsRefusedBeforeItIsRead) {
  // A sparse file of 1 GiB: its size comes from the file system, not from reading it.
  fs::path path = fs::path(::testing::TempDir()) / "egress-sparse-topology.yaml";
  { std::ofstream out(path); }
  fs::resize_file(path, uint64_t{1} << 30);
  LoadResult r = load_topology_file(path.string());
  fs::remove(path);
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(format_diagnostic(r.errors[0], "error"),
            path.string() +
                ": error: the file is 1073741824 bytes, over the limit of 16 MiB for "
                "a topology; set EGRESS_MAX_TOPOLOGY_BYTES to raise it");
  EXPECT_EQ(r.errors[0].code, "file-too-large");
}

TEST(TopologyLoader, AStreamIsCutAtTheSizeLimit) {
  LoadResult r = load_topology_file("/dev/zero", bytes(1 << 20));
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(format_diagnostic(r.errors[0], "error"),
            "/dev/zero: error: the file is over the limit of 1 MiB for a topology; set "
            "EGRESS_MAX_TOPOLOGY_BYTES to raise it");
}

struct LimitText {
  const char* text;
  uint64_t max_bytes;  // 0: refused
};

TEST(TopologyLoader, LimitsParseFromTheEnvironmentText) {
  const LimitText cases[] = {
      {"16777216", 16777216},
      {"1", 1},
      {"64k", 65536},
      {"64K", 65536},
      {"16M", 16U << 20},
      {"2G", 2U << 30},
      {"1024G", uint64_t{1} << 40},
      {"", 0},
      {"0", 0},
      {"0M", 0},
      {"-1", 0},
      {"16MB", 0},
      {"1.5M", 0},
      {"M", 0},
      {" 16", 0},
      {"1025G", 0},
      {"9999999999999", 0},
  };
  for (const LimitText& c : cases) {
    SCOPED_TRACE(c.text);
    Result<LoadLimits> limits = parse_load_limits(c.text);
    if (c.max_bytes == 0) {
      ASSERT_FALSE(limits.ok());
      EXPECT_EQ(limits.error().message,
                std::string("EGRESS_MAX_TOPOLOGY_BYTES: expected a number of bytes like 16777216 "
                            "or 16M (K, M, G: powers of 1024), got '") +
                    c.text + "'");
    } else {
      ASSERT_TRUE(limits.ok());
      EXPECT_EQ(limits->max_bytes, c.max_bytes);
    }
  }
}

TEST(TopologyLoader, DeepNestingIsASyntaxError) {
  std::string yaml = "version: 1\nname: " + std::string(3000, '[') + std::string(3000, ']');
  EXPECT_EQ(joined(errors_of(yaml)),
            joined({"[yaml-syntax] t.yaml:2:6007: error: lists and maps are nested too deeply"}));
}

TEST(TopologyLoader, HugeNamesDoNotMakeSuggestionsQuadratic) {
  // An edit distance between two 200,000-character names would take minutes.
  std::string name(200000, 'a');
  std::string yaml = "version: 1\nrouteTables:\n  - name: " + name +
                     "\nvnets:\n  - name: v\n    addressSpace: [10.0.0.0/8]\n"
                     "    subnets: [{name: s, addressPrefix: 10.0.0.0/24, routeTable: " +
                     name.substr(1) + "b}]\n";
  std::vector<std::string> errors = errors_of(yaml);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].substr(0, 60),
            "[dangling-reference] t.yaml:7:65: error: routeTable 'aaaaaaa");
}

// --- files ---------------------------------------------------------------------------------

TEST(TopologyLoader, UnreadableFileIsAnIoError) {
  LoadResult r = load_topology_file("/nonexistent/t.yaml");
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(r.errors[0].code, "io");
  EXPECT_EQ(format_diagnostic(r.errors[0], "error"),
            "/nonexistent/t.yaml: error: cannot read '/nonexistent/t.yaml': No such file or "
            "directory");
  LoadResult dir = load_topology_file(EGRESS_TEST_DATA_DIR);
  ASSERT_EQ(dir.errors.size(), 1U);
  EXPECT_EQ(dir.errors[0].message,
            std::string("cannot read '") + EGRESS_TEST_DATA_DIR + "': Is a directory");
}

// Each file in tests/data/yaml/bad states on its first line, as a comment, the one error it
// must produce (with the file's name alone, not its path).
TEST(TopologyLoader, BadFilesReportTheErrorTheirFirstLineStates) {
  fs::path dir = fs::path(EGRESS_TEST_DATA_DIR) / "yaml" / "bad";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 5U);
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    std::ifstream in(file);
    std::string first;
    std::getline(in, first);
    ASSERT_EQ(first.rfind("# ", 0), 0U) << "the first line must be '# EXPECTED ERROR'";
    LoadResult r = load_topology_file(file.string());
    ASSERT_EQ(r.errors.size(), 1U);
    Diagnostic d = r.errors[0];
    EXPECT_EQ(d.where.file, file.string());
    d.where.file = file.filename().string();
    EXPECT_EQ("# " + format_diagnostic(d, "error"), first);
  }
}

TEST(TopologyLoader, GoodFilesLoad) {
  fs::path dir = fs::path(EGRESS_TEST_DATA_DIR) / "yaml" / "good";
  int count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    SCOPED_TRACE(entry.path().string());
    LoadResult r = load_topology_file(entry.path().string());
    EXPECT_TRUE(r.topology.has_value())
        << (r.errors.empty() ? "" : format_diagnostic(r.errors[0], "error"));
    ++count;
  }
  EXPECT_GE(count, 1);
}

// --- the model of real networks (issue 15): ids, SKUs, endpoints, load balancer rules ------

TEST(TopologyLoader, IdsAreKeptAsWrittenOnEveryElement) {
  Topology t = load_ok(
      "version: 1\n"
      "cluster:\n  id: /S/aks\n"
      "  nodePools: [{name: system, id: /S/aks/agentPools/system, subnet: hub/aks, nodes: 1}]\n"
      "vnets:\n  - name: hub\n    id: /S/virtualNetworks/Hub\n    addressSpace: [10.0.0.0/16]\n"
      "    subnets: [{name: aks, id: /S/virtualNetworks/Hub/subnets/aks, addressPrefix: "
      "10.0.4.0/24}]\n"
      "    peerings: [{name: hub-to-spoke, id: /S/peer, remoteVnet: spoke}]\n"
      "  - {name: spoke, addressSpace: [10.1.0.0/16]}\n"
      "routeTables:\n  - name: rt\n    id: /S/rt\n"
      "    routes: [{name: r, id: /S/rt/routes/r, addressPrefix: 0.0.0.0/0, nextHopType: None}]\n"
      "publicIps: [{name: pip, id: /S/pip, address: 20.0.0.1}]\n"
      "publicIpPrefixes: [{name: pre, id: /S/pre, addressPrefix: 20.0.1.0/31}]\n"
      "natGateways: [{name: nat, id: /S/nat}]\n"
      "appliances:\n  - name: fw\n    id: /S/fw\n    subnet: hub/aks\n    privateIp: 10.0.4.100\n"
      "    rules: [{name: r, id: /S/fw/r, action: allow}]\n"
      "loadBalancers:\n  - name: lb\n    id: /S/lb\n"
      "    frontends: [{name: f, id: /S/lb/f, publicIp: pip}]\n"
      "    backendPools: [{name: p, id: /S/lb/p}]\n"
      "    outboundRules: [{name: o, id: /S/lb/o, frontends: [f], backendPool: p}]\n"
      "hosts: [{name: h, id: /S/h, subnet: hub/aks, address: 10.0.4.200}]\n"
      "gateways: [{name: g, id: /S/g, vnet: hub}]\n"
      "nsgs:\n  - name: n\n    id: /S/n\n"
      "    rules: [{name: r, id: /S/n/r, priority: 100, access: Allow}]\n");
  EXPECT_EQ(t.cluster->id, "/S/aks");
  EXPECT_EQ(t.cluster->node_pools[0].id, "/S/aks/agentPools/system");
  EXPECT_EQ(t.vnets[0].id, "/S/virtualNetworks/Hub");
  EXPECT_EQ(t.subnets[0].id, "/S/virtualNetworks/Hub/subnets/aks");
  EXPECT_EQ(t.vnets[0].peerings[0].name, "hub-to-spoke");
  EXPECT_EQ(t.vnets[0].peerings[0].id, "/S/peer");
  // The completed reverse side is not the resource the id names.
  EXPECT_EQ(t.vnets[1].peerings[0].id, "");
  EXPECT_EQ(t.route_tables[0].id, "/S/rt");
  EXPECT_EQ(t.route_tables[0].routes[0].id, "/S/rt/routes/r");
  EXPECT_EQ(t.public_ips[0].id, "/S/pip");
  EXPECT_EQ(t.public_ip_prefixes[0].id, "/S/pre");
  EXPECT_EQ(t.nat_gateways[0].id, "/S/nat");
  EXPECT_EQ(t.appliances[0].id, "/S/fw");
  EXPECT_EQ(t.appliances[0].rules[0].id, "/S/fw/r");
  const LoadBalancer& lb = t.load_balancers[0];
  EXPECT_EQ(lb.id, "/S/lb");
  EXPECT_EQ(lb.frontends[0].id, "/S/lb/f");
  EXPECT_EQ(lb.backend_pools[0].id, "/S/lb/p");
  EXPECT_EQ(lb.outbound_rules[0].id, "/S/lb/o");
  EXPECT_EQ(t.hosts[0].id, "/S/h");
  EXPECT_EQ(t.gateways[0].id, "/S/g");
  EXPECT_EQ(t.nsgs[0].id, "/S/n");
  EXPECT_EQ(t.nsgs[0].rules[0].id, "/S/n/r");
}

TEST(TopologyLoader, AnElementWithoutIdHasAnEmptyOne) {
  Topology t = load_ok(EGRESS_BASE);
  EXPECT_EQ(t.vnets[0].id, "");
  EXPECT_EQ(t.subnets[0].id, "");
}

TEST(TopologyLoader, IdsOfDifferentKindsMayBeEqual) {
  // Only one kind's ids are compared: a route table and a route may not collide in Azure, but
  // a model of two kinds sharing an id is nothing the loader needs to refuse.
  load_ok("version: 1\nrouteTables:\n  - {name: a, id: /X}\nnatGateways:\n  - {name: b, id: /X}\n");
}

const BadCase kModelBadCases[] = {
    {"DuplicateIdIgnoringCase",
     "version: 1\nvnets:\n  - {name: a, id: /S/vnets/Hub, addressSpace: [10.0.0.0/16]}\n"
     "  - {name: b, id: /s/VNETS/hub, addressSpace: [10.1.0.0/16]}\n",
     {"[duplicate-id] t.yaml:4:19: error: duplicate vnet id '/s/VNETS/hub'; first defined at line "
      "3, column 19 as '/S/vnets/Hub' (Azure compares ids ignoring case)"}},
    {"DuplicateIdAcrossParents",
     "version: 1\nrouteTables:\n"
     "  - {name: a, routes: [{name: r, id: /R, addressPrefix: 1.0.0.0/8, nextHopType: None}]}\n"
     "  - {name: b, routes: [{name: r, id: /R, addressPrefix: 1.0.0.0/8, nextHopType: None}]}\n",
     {"[duplicate-id] t.yaml:4:38: error: duplicate route id '/R'; first defined at line 3, "
      "column 38"}},
    {"DuplicateSubnetId",
     "version: 1\nvnets:\n  - name: a\n    addressSpace: [10.0.0.0/16]\n"
     "    subnets:\n      - {name: x, id: /S, addressPrefix: 10.0.0.0/24}\n"
     "      - {name: y, id: /S, addressPrefix: 10.0.1.0/24}\n",
     {"[duplicate-id] t.yaml:7:23: error: duplicate subnet id '/S'; first defined at line 6, "
      "column 23"}},
    {"EmptyId",
     "version: 1\npublicIps:\n  - {name: a, id: '', address: 20.0.0.1}\n",
     {"[bad-value] t.yaml:3:19: error: 'id' must not be empty"}},
    {"IdOnServiceIsUnknown",
     EGRESS_BASE "cluster:\n  nodePools: [{name: s, subnet: hub/aks, nodes: 1}]\n"
                 "  services: [{name: web, id: /x, frontendIp: p, port: 80}]\n"
                 "publicIps: [{name: p, address: 20.0.0.1}]\n",
     {"[unknown-key] t.yaml:9:26: error: unknown key 'id' in service; expected one of: name, "
      "frontendIp, port, protocol"}},
};

INSTANTIATE_TEST_SUITE_P(TopologyModel, BadInput, ::testing::ValuesIn(kModelBadCases), case_name);

TEST(TopologyLoader, DualStackClusterListsCidrsPerFamily) {
  Topology t = load_ok(EGRESS_BASE
                       "cluster:\n  networkPlugin: azure-overlay\n"
                       "  podCidrs: ['fd10::/64', 10.244.0.0/16]\n"
                       "  serviceCidrs: [10.96.0.0/16, 'fd11::/108']\n"
                       "  ipFamilies: [IPv4, IPv6]\n"
                       "  nodePools: [{name: s, subnet: hub/aks, nodes: 1}]\n");
  const Cluster& c = *t.cluster;
  EXPECT_EQ(c.pod_cidrs, (std::vector<Prefix>{prefix("fd10::/64"), prefix("10.244.0.0/16")}));
  EXPECT_EQ(c.pod_cidr, prefix("10.244.0.0/16"));
  EXPECT_EQ(c.service_cidrs.size(), 2U);
  EXPECT_EQ(c.ip_families, (std::vector<Family>{Family::kV4, Family::kV6}));
}

const BadCase kDualStackBadCases[] = {
    {"PodCidrAndPodCidrs",
     EGRESS_BASE "cluster:\n  podCidr: 10.244.0.0/16\n  podCidrs: [10.244.0.0/16]\n"
                 "  nodePools: [{name: s, subnet: hub/aks, nodes: 1}]\n",
     {"[bad-value] t.yaml:9:3: error: cluster has both 'podCidr' and 'podCidrs'; give one of "
      "them (podCidrs for dual stack)"}},
    {"IpFamilyTwice",
     EGRESS_BASE "cluster:\n  ipFamilies: [IPv4, IPv4]\n"
                 "  nodePools: [{name: s, subnet: hub/aks, nodes: 1}]\n",
     {"[bad-value] t.yaml:8:22: error: 'ipFamilies' lists IPv4 twice"}},
};

INSTANTIATE_TEST_SUITE_P(DualStack, BadInput, ::testing::ValuesIn(kDualStackBadCases), case_name);

// azure-behaviour D4, D5: service endpoints, private endpoint network policies, private
// endpoints.
#define EGRESS_ENDPOINTS_BASE         \
  "version: 1\n"                      \
  "vnets:\n"                          \
  "  - name: hub\n"                   \
  "    addressSpace: [10.0.0.0/16]\n" \
  "    subnets:\n"                    \
  "      - name: aks\n"               \
  "        addressPrefix: 10.0.4.0/24\n"

TEST(TopologyLoader, ServiceEndpointsAndPrivateEndpoints) {
  Topology t = load_ok(EGRESS_ENDPOINTS_BASE
                       "        privateEndpointNetworkPolicies: routetableenabled\n"
                       "        serviceEndpoints:\n"
                       "          - microsoft.keyvault\n"
                       "          - {service: Microsoft.Storage, locations: [eastus, \"*\"]}\n"
                       "privateEndpoints:\n"
                       "  - {name: kv-pe, id: /x/kv-pe, subnet: hub/aks, address: 10.0.4.9, "
                       "service: kv1 (vault)}\n");
  const Subnet& s = t.subnets[0];
  EXPECT_EQ(s.private_endpoint_network_policies,
            PrivateEndpointNetworkPolicies::kRouteTableEnabled);
  ASSERT_EQ(s.service_endpoints.size(), 2U);
  EXPECT_EQ(s.service_endpoints[0].service, "Microsoft.KeyVault");  // ARM's spelling
  EXPECT_TRUE(s.service_endpoints[0].locations.empty());
  EXPECT_EQ(s.service_endpoints[1].service, "Microsoft.Storage");
  EXPECT_EQ(s.service_endpoints[1].locations, (std::vector<std::string>{"eastus", "*"}));
  ASSERT_EQ(t.private_endpoints.size(), 1U);
  const PrivateEndpoint& pe = t.private_endpoints[0];
  EXPECT_EQ(pe.name, "kv-pe");
  EXPECT_EQ(pe.id, "/x/kv-pe");
  EXPECT_EQ(pe.subnet, 0U);
  EXPECT_EQ(pe.address, ip("10.0.4.9"));
  EXPECT_EQ(pe.service, "kv1 (vault)");
}

const BadCase kEndpointBadCases[] = {
    {"UnknownService",
     EGRESS_ENDPOINTS_BASE "        serviceEndpoints: [Microsoft.Storag]\n",
     {"[bad-value] t.yaml:8:28: error: each item of 'serviceEndpoints' must be one of "
      "Microsoft.Storage, Microsoft.Storage.Global, Microsoft.Sql, Microsoft.AzureCosmosDB, "
      "Microsoft.KeyVault, Microsoft.ServiceBus, Microsoft.EventHub, "
      "Microsoft.AzureActiveDirectory, Microsoft.Web, Microsoft.CognitiveServices, "
      "Microsoft.ContainerRegistry; got 'Microsoft.Storag'; did you mean 'Microsoft.Storage'?"}},
    {"ServiceTwiceAndBadLocations",
     EGRESS_ENDPOINTS_BASE
     "        serviceEndpoints:\n"
     "          - Microsoft.Sql\n"
     "          - {service: microsoft.sql}\n"
     "          - {service: Microsoft.Web, locations: [\"East US\"], zone: 1}\n"
     "          - {service: Microsoft.Storage, locations: []}\n",
     {"[duplicate-name] t.yaml:10:23: error: duplicate service endpoint 'Microsoft.Sql' in "
      "subnet; first written at line 9, column 13",
      "[bad-value] t.yaml:11:50: error: each item of 'locations' must be an Azure region name "
      "as ARM writes it (eastus, westeurope) or *, got 'East US'",
      "[unknown-key] t.yaml:11:62: error: unknown key 'zone' in service endpoint; expected one "
      "of: service, locations",
      "[bad-value] t.yaml:12:53: error: 'locations' must not be an empty list; leave it out for "
      "every region"}},
    {"BadPolicies",
     EGRESS_ENDPOINTS_BASE "        privateEndpointNetworkPolicies: On\n",
     {"[bad-value] t.yaml:8:41: error: 'privateEndpointNetworkPolicies' must be one of "
      "Disabled, Enabled, NetworkSecurityGroupEnabled, RouteTableEnabled; got 'On'"}},
    {"UserRouteToServiceEndpoint",
     "version: 1\nrouteTables:\n  - name: rt\n    routes:\n"
     "      - {name: r, addressPrefix: 10.9.0.0/16, nextHopType: InterfaceEndpoint}\n",
     {"[bad-value] t.yaml:5:60: error: 'nextHopType' must be one of VirtualAppliance, "
      "Internet, VnetLocal, VirtualNetworkGateway, None; got 'InterfaceEndpoint' (only Azure "
      "creates InterfaceEndpoint routes; a user route cannot name it)"}},
    {"PrivateEndpointErrors",
     EGRESS_ENDPOINTS_BASE "privateEndpoints:\n"
                           "  - {name: a, subnet: hub/aks, address: 10.0.5.1}\n"
                           "  - {name: b, subnet: hub/ask, address: 10.0.4.7}\n"
                           "  - {name: c, subnet: hub/aks, address: 10.0.4.7, id: /X}\n"
                           "  - {name: c, subnet: hub/aks, address: 10.0.4.7, id: /x}\n"
                           "  - {name: d, address: 10.0.4.8, size: 1}\n",
     {"[address-outside-subnet] t.yaml:9:41: error: address 10.0.5.1 of private endpoint 'a' "
      "is outside subnet hub/aks",
      "[dangling-reference] t.yaml:10:23: error: subnet 'hub/ask' is not defined in vnets; did "
      "you mean 'hub/aks'?",
      "[duplicate-address] t.yaml:11:41: error: address 10.0.4.7 of private endpoint 'c' is "
      "already the address of private endpoint 'b' (line 10, column 41)",
      "[duplicate-name] t.yaml:12:6: error: duplicate private endpoint name 'c'; first defined "
      "at line 11, column 6",
      "[duplicate-address] t.yaml:12:41: error: address 10.0.4.7 of private endpoint 'c' is "
      "already the address of private endpoint 'b' (line 10, column 41)",
      "[duplicate-id] t.yaml:12:55: error: duplicate private endpoint id '/x'; first defined at "
      "line 11, column 55 as '/X' (Azure compares ids ignoring case)",
      "[missing-field] t.yaml:13:5: error: private endpoint is missing required field 'subnet'",
      "[unknown-key] t.yaml:13:34: error: unknown key 'size' in private endpoint; expected one "
      "of: name, id, subnet, address, service"}},
};

INSTANTIATE_TEST_SUITE_P(Endpoints, BadInput, ::testing::ValuesIn(kEndpointBadCases), case_name);

// azure-behaviour D6: node public IPs, from a prefix in node order (model node-public-ip),
// pools sharing the prefix continuing where the previous stopped.
TEST(TopologyLoader, NodePublicIpsComeFromThePrefixInNodeOrder) {
  Topology t = load_ok(EGRESS_BASE
                       "publicIpPrefixes: [{name: np, addressPrefix: 20.9.8.0/30}]\n"
                       "cluster:\n  nodePools:\n"
                       "    - {name: a, subnet: hub/aks, nodes: 3, enableNodePublicIP: true,"
                       " nodePublicIPPrefix: np}\n"
                       "    - {name: b, subnet: hub/aks, nodes: 2, enableNodePublicIP: true,"
                       " nodePublicIPPrefix: np}\n"
                       "    - {name: c, subnet: hub/aks, nodes: 1, enableNodePublicIP: true}\n"
                       "    - {name: d, subnet: hub/aks, nodes: 1}\n");
  const std::vector<NodePool>& pools = t.cluster->node_pools;
  EXPECT_TRUE(pools[0].enable_node_public_ip);
  EXPECT_EQ(pools[0].node_public_ip_prefix, 0U);
  EXPECT_EQ(pools[0].public_addresses,
            (std::vector<IpAddress>{ip("20.9.8.0"), ip("20.9.8.1"), ip("20.9.8.2")}));
  // The prefix runs out after one more address (topology_checks reports it).
  EXPECT_EQ(pools[1].public_addresses, std::vector<IpAddress>{ip("20.9.8.3")});
  EXPECT_TRUE(pools[2].enable_node_public_ip);
  EXPECT_EQ(pools[2].node_public_ip_prefix, kNoIndex);
  EXPECT_TRUE(pools[2].public_addresses.empty());
  EXPECT_FALSE(pools[3].enable_node_public_ip);
}

// azure-behaviour D7: a frontend takes a public IP prefix instead of a public IP.
TEST(TopologyLoader, AFrontendMayBeAPublicIpPrefix) {
  Topology t =
      load_ok(EGRESS_BASE
              "publicIps: [{name: pip, address: 20.0.0.1}]\n"
              "publicIpPrefixes: [{name: pre, addressPrefix: 20.0.1.0/31}]\n"
              "loadBalancers:\n  - name: lb\n"
              "    frontends: [{name: a, publicIp: pip}, {name: b, publicIpPrefix: pre}]\n");
  const LoadBalancer& lb = t.load_balancers[0];
  EXPECT_EQ(lb.frontends[0].public_ip, 0U);
  EXPECT_EQ(lb.frontends[0].public_ip_prefix, kNoIndex);
  EXPECT_EQ(lb.frontends[1].public_ip, kNoIndex);
  EXPECT_EQ(lb.frontends[1].public_ip_prefix, 0U);
  EXPECT_EQ(t.frontend_address_count(lb.frontends[0]), 1U);
  EXPECT_EQ(t.frontend_address_count(lb.frontends[1]), 2U);
}

const BadCase kNodePublicIpBadCases[] = {
    {"PrefixWithoutEnableNodePublicIp",
     EGRESS_BASE "publicIpPrefixes: [{name: np, addressPrefix: 20.9.8.0/30}]\n"
                 "cluster:\n  nodePools: [{name: a, subnet: hub/aks, nodes: 1,"
                 " nodePublicIPPrefix: np}]\n",
     {"[bad-value] t.yaml:9:72: error: 'nodePublicIPPrefix' needs 'enableNodePublicIP: true' "
      "(AKS gives nodes addresses from the prefix only when they have public IPs)"}},
    {"DanglingNodePublicIpPrefix",
     EGRESS_BASE "publicIpPrefixes: [{name: np, addressPrefix: 20.9.8.0/30}]\n"
                 "cluster:\n  nodePools: [{name: a, subnet: hub/aks, nodes: 1,"
                 " enableNodePublicIP: true, nodePublicIPPrefix: nq}]\n",
     {"[dangling-reference] t.yaml:9:98: error: nodePublicIPPrefix 'nq' is not defined in "
      "publicIpPrefixes; did you mean 'np'?"}},
    {"EnableNodePublicIpNotABool",
     EGRESS_BASE "cluster:\n  nodePools: [{name: a, subnet: hub/aks, nodes: 1,"
                 " enableNodePublicIP: yes please}]\n",
     {"[bad-type] t.yaml:8:72: error: 'enableNodePublicIP' must be true or false, got 'yes "
      "please'"}},
    {"FrontendWithBoth",
     EGRESS_BASE "publicIps: [{name: pip, address: 20.0.0.1}]\n"
                 "publicIpPrefixes: [{name: pre, addressPrefix: 20.0.1.0/31}]\n"
                 "loadBalancers:\n  - name: lb\n"
                 "    frontends: [{name: f, publicIp: pip, publicIpPrefix: pre}]\n",
     {"[bad-value] t.yaml:11:17: error: frontend has both 'publicIp' and 'publicIpPrefix'; a "
      "frontend takes one"}},
    {"FrontendWithNeither",
     EGRESS_BASE "loadBalancers:\n  - name: lb\n    frontends: [{name: f}]\n",
     {"[missing-field] t.yaml:9:17: error: frontend is missing required field 'publicIp' (or "
      "'publicIpPrefix')"}},
    {"DanglingFrontendPrefix",
     EGRESS_BASE "loadBalancers:\n  - name: lb\n"
                 "    frontends: [{name: f, publicIpPrefix: pre}]\n",
     {"[dangling-reference] t.yaml:9:43: error: publicIpPrefix 'pre' is not defined in "
      "publicIpPrefixes"}},
};

INSTANTIATE_TEST_SUITE_P(NodePublicIps, BadInput, ::testing::ValuesIn(kNodePublicIpBadCases),
                         case_name);

}  // namespace
}  // namespace egress
