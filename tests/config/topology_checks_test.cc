#include "egress/config/topology_checks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/lab_topology.h"

namespace egress {
namespace {

using testing::kLabYaml;
using testing::lab_with;
using testing::load_yaml;

std::vector<std::string> findings(const std::string& yaml) {
  std::vector<std::string> out;
  for (const Diagnostic& d : check_topology(*load_yaml(yaml))) {
    out.push_back(d.code + ": " + d.message);
  }
  return out;
}

// 1-based line and column of the first `needle` in `text`.
std::pair<int, int> position_of(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  EXPECT_NE(at, std::string::npos);
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, static_cast<int>(at - line_start) + 1};
}

// The lab's loop-a and loop-b subnets route everything to each other's appliance on purpose
// (the engine's loop test); validate says so.
const char kLabLoop[] =
    "routing loop for 0.0.0.0/0 (except 10.0.0.0/16, 10.1.0.0/16, 10.2.0.0/16, 172.16.0.0/12, "
    "192.168.0.0/16): route table to-b route default (0.0.0.0/0 -> 10.0.10.4) sends packets from "
    "loop-a to loop-b, route table to-a route default (0.0.0.0/0 -> 10.0.9.4) from loop-b back "
    "to loop-a; they are dropped after 16 hops";

TEST(TopologyChecksTest, LabHasTheRouteToNobodyAndTheLoop) {
  auto t = load_yaml(kLabYaml);
  auto found = check_topology(*t);
  ASSERT_EQ(found.size(), 2U);
  auto [line, column] = position_of(kLabYaml, "10.0.2.99");
  EXPECT_EQ(format_diagnostic(found[0], "warning"),
            "lab.yaml:" + std::to_string(line) + ":" + std::to_string(column) +
                ": warning: route ghost: no appliance owns next hop 10.0.2.99; traffic on this "
                "route is dropped (modelled: appliance-missing-drops)");
  auto [loop_line, loop_column] =
      position_of(kLabYaml,
                  "{name: default, addressPrefix: 0.0.0.0/0, nextHopType: "
                  "VirtualAppliance, nextHopIpAddress: 10.0.10.4}");
  EXPECT_EQ(format_diagnostic(found[1], "warning"), "lab.yaml:" + std::to_string(loop_line) + ":" +
                                                        std::to_string(loop_column) +
                                                        ": warning: " + kLabLoop);
  EXPECT_EQ(found[1].code, "routing-loop");
}

struct Case {
  const char* what;
  std::vector<std::pair<std::string, std::string>> edits;
  std::vector<std::string> expected;  // besides the lab's own ghost route and loop
};

TEST(TopologyChecksTest, PreflightAndConsistency) {
  const std::string ghost =
      "next-hop-ip-not-owned: route ghost: no appliance owns next hop 10.0.2.99; traffic on "
      "this route is dropped (modelled: appliance-missing-drops)";
  const std::vector<Case> cases = {
      {"UDR with 0/0 to Internet",
       {{"outboundType: loadBalancer", "outboundType: userDefinedRouting"},
        {"        addressPrefix: 10.0.0.0/24\n",
         "        addressPrefix: 10.0.0.0/24\n        routeTable: bad\n"},
        {"routeTables:\n",
         "routeTables:\n  - name: bad\n    routes:\n      - {name: d, "
         "addressPrefix: 0.0.0.0/0, nextHopType: Internet}\n"}},
       {"RouteTableInvalidNextHop: Default route 0.0.0.0/0 has a next hop of Internet but only "
        "next hops of VirtualAppliance or VirtualNetworkGateway are allowed",
        "udr-load-balancer-outbound-rules: load balancer kubernetes has outbound rules, but with "
        "userDefinedRouting AKS configures none"}},
      {"UDR without a default route",
       {{"outboundType: loadBalancer", "outboundType: userDefinedRouting"}},
       {"RouteTableMissingDefaultRouteError: node subnet hub/nodes has no route table with a "
        "0.0.0.0/0 route; userDefinedRouting needs one to a VirtualAppliance or "
        "VirtualNetworkGateway",
        "udr-load-balancer-outbound-rules: load balancer kubernetes has outbound rules, but with "
        "userDefinedRouting AKS configures none"}},
      {"managed NAT gateway in a BYO VNet without a gateway",
       {{"outboundType: loadBalancer", "outboundType: managedNATGateway"}},
       {"outbound-type-requires-managed-vnet: outboundType managedNATGateway needs an AKS-managed "
        "VNet (vnetMode: managed)",
        "nat-gateway-missing: outboundType managedNATGateway needs cluster.natGateway"}},
      {"user-assigned NAT gateway not on the node subnet",
       {{"outboundType: loadBalancer", "outboundType: userAssignedNATGateway"},
        {"  loadBalancer: kubernetes\n", "  loadBalancer: kubernetes\n  natGateway: nat\n"}},
       {"nat-gateway-not-attached: NAT gateway nat is not attached to node subnet hub/nodes"}},
      {"NAT gateway left on a loadBalancer cluster's subnet",
       {{"        addressPrefix: 10.0.0.0/24\n",
         "        addressPrefix: 10.0.0.0/24\n        natGateway: fwnat\n"}},
       {"nat-gateway-overrides-outbound-type: node subnet hub/nodes has NAT gateway fwnat, which "
        "takes egress before the load balancer whatever outboundType says"}},
      {"availability sets and basic LB",
       {{"  vnetMode: byo\n",
         "  vnetMode: byo\n  vmSetType: AvailabilitySet\n  loadBalancerSku: basic\n"}},
       {"outbound-type-requires-vmss: outboundType needs vmSetType VirtualMachineScaleSets, not "
        "AvailabilitySet",
        "outbound-type-requires-standard-lb: outboundType needs loadBalancerSku standard, not "
        "basic"}},
      {"block in a BYO VNet",
       {{"outboundType: loadBalancer", "outboundType: block"}},
       {"outbound-type-requires-managed-vnet: outboundType block needs an AKS-managed VNet "
        "(vnetMode: managed)"}},
      {"subnet outside the VNet and overlapping another",
       {{"        addressPrefix: 10.0.3.0/24\n", "        addressPrefix: 10.0.2.128/25\n"},
        {"        addressPrefix: 10.1.0.0/24\n", "        addressPrefix: 10.3.0.0/24\n"}},
       {"subnets-overlap: subnet hub/private (10.0.2.128/25) overlaps hub/fw (10.0.2.0/24)",
        "address-outside-subnet: host private-vm address 10.0.3.10 is outside subnet hub/private",
        "address-outside-subnet: host tcp-only-vm address 10.0.3.11 is outside subnet hub/private",
        "subnet-outside-address-space: subnet spoke/apps (10.3.0.0/24) is outside the address "
        "space of VNet spoke",
        "address-outside-subnet: host spoke-vm address 10.1.0.10 is outside subnet spoke/apps"}},
      {"ports not a multiple of 8",
       {{"backendPool: hosts, protocol: All}",
         "backendPool: hosts, protocol: All, allocatedOutboundPorts: 1001}"}},
       {"allocated-ports-multiple-of-8: outbound rule hosts-out: allocatedOutboundPorts 1001 is "
        "not a multiple of 8"}},
      {"more ports than the frontends hold",
       {{"backendPool: hosts, protocol: All}",
         "backendPool: hosts, protocol: All, allocatedOutboundPorts: 32000}"}},
       {"allocated-ports-exceed-frontends: outbound rule hosts-out: 3 instances x 32000 ports "
        "exceed the 64000 ports of 1 frontend IP(s)"}},
      {"a route table repeating a prefix",
       {{"      - {name: blackhole,",
         "      - {name: again, addressPrefix: 10.9.0.0/16, "
         "nextHopType: None}\n      - {name: blackhole,"}},
       {"duplicate-route-prefix: route again repeats the prefix 10.9.0.0/16 of route ghost; "
        "only the first applies"}},
      {"two owners of one address",
       {{"address: 10.0.4.12}", "address: 10.0.4.11}"}},
       {"address-in-use: 10.0.4.11 of host open-doa is already used by host open-lb"}},
      // azure-behaviour C6: priorities are unique per direction in an NSG.
      {"two outbound rules with one priority",
       {{"destinationPorts: \"443\"}\n",
         "destinationPorts: \"443\"}\n      - {name: again, priority: 100, direction: "
         "Outbound, access: Allow}\n"}},
       {"nsg-duplicate-priority: NSG deny-web: rules deny-https and again both have priority 100 "
        "for outbound traffic; Azure refuses this (SecurityRuleConflict: rules cannot have the "
        "same Priority and Direction)"}},
      // azure-behaviour C5: an application security group's NICs share one VNet.
      {"a group with members in two VNets",
       {{"publicIp: host-pip}", "publicIp: host-pip, applicationSecurityGroups: [web]}"},
        {"address: 10.1.0.10}", "address: 10.1.0.10, applicationSecurityGroups: [web]}"},
        {"nsgs:\n", "applicationSecurityGroups: [{name: web}, {name: db}]\nnsgs:\n"}},
       {"asg-spans-vnets: application security group web has host natted-vm in VNet hub and host "
        "spoke-vm in VNet spoke; Azure requires every network interface of an application "
        "security group to be in the virtual network of its first one"}},
      // Same priority as deny-https but inbound: no duplicate.
      {"a rule between groups of two VNets",
       {{"publicIp: host-pip}", "publicIp: host-pip, applicationSecurityGroups: [web]}"},
        {"address: 10.1.0.10}", "address: 10.1.0.10, applicationSecurityGroups: [db]}"},
        {"nsgs:\n", "applicationSecurityGroups: [{name: web}, {name: db}]\nnsgs:\n"},
        {"destinationPorts: \"443\"}\n",
         "destinationPorts: \"443\"}\n      - {name: web-db, priority: 100, direction: Inbound, "
         "access: Allow, sourceApplicationSecurityGroups: [web], "
         "destinationApplicationSecurityGroups: [db]}\n"}},
       {"asg-rule-vnets: NSG deny-web, rule web-db: source group web is in VNet hub and "
        "destination group db in VNet spoke; Azure requires the network interfaces of both to be "
        "in one virtual network"}},
  };
  for (const Case& c : cases) {
    auto got = findings(lab_with(c.edits));
    auto want = c.expected;
    want.push_back(ghost);
    want.push_back(std::string("routing-loop: ") + kLabLoop);
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want) << c.what;
  }
}

TEST(TopologyChecksTest, FindingsAreSortedByPosition) {
  auto t = load_yaml(lab_with({{"outboundType: loadBalancer", "outboundType: managedNATGateway"}}));
  auto found = check_topology(*t);
  ASSERT_GE(found.size(), 2U);
  for (size_t i = 1; i < found.size(); ++i) {
    EXPECT_LE(std::pair(found[i - 1].where.line, found[i - 1].where.column),
              std::pair(found[i].where.line, found[i].where.column));
  }
}

// --- routing loops ---------------------------------------------------------------------------

// Three appliances, each in its own subnet of one VNet, whose route tables are filled in.
std::string appliances_with(const std::string& routes_a, const std::string& routes_b,
                            const std::string& routes_c, const std::string& extra = "") {
  return "version: 1\n"
         "vnets:\n"
         "  - name: hub\n"
         "    addressSpace: [192.168.0.0/16]\n"
         "    subnets:\n"
         "      - {name: a, addressPrefix: 192.168.1.0/24, routeTable: rt-a}\n"
         "      - {name: b, addressPrefix: 192.168.2.0/24, routeTable: rt-b}\n"
         "      - {name: c, addressPrefix: 192.168.3.0/24, routeTable: rt-c}\n"
         "appliances:\n"
         "  - {name: nva-a, subnet: hub/a, privateIp: 192.168.1.4}\n"
         "  - {name: nva-b, subnet: hub/b, privateIp: 192.168.2.4" +
         extra +
         "}\n"
         "  - {name: nva-c, subnet: hub/c, privateIp: 192.168.3.4}\n"
         "routeTables:\n"
         "  - name: rt-a\n"
         "    routes: [" +
         routes_a +
         "]\n"
         "  - name: rt-b\n"
         "    routes: [" +
         routes_b +
         "]\n"
         "  - name: rt-c\n"
         "    routes: [" +
         routes_c + "]\n";
}

std::string to(const std::string& name, const std::string& prefix, const std::string& ip) {
  return "{name: " + name + ", addressPrefix: " + prefix +
         ", nextHopType: VirtualAppliance, nextHopIpAddress: " + ip + "}";
}

const std::string kToA = "192.168.1.4";
const std::string kToB = "192.168.2.4";
const std::string kToC = "192.168.3.4";

// The findings as validate prints them, positions included.
std::vector<std::string> located_findings(const std::string& yaml) {
  std::vector<std::string> out;
  for (const Diagnostic& d : check_topology(*load_yaml(yaml))) {
    out.push_back(format_diagnostic(d, "warning") + " [" + d.code + "]");
  }
  return out;
}

std::string at(const std::string& yaml, const std::string& needle) {
  auto [line, column] = position_of(yaml, needle);
  return "lab.yaml:" + std::to_string(line) + ":" + std::to_string(column);
}

struct LoopCase {
  const char* what;
  std::string yaml;
  std::vector<std::string> expected;  // `@NEEDLE@` stands for the position of NEEDLE
};

TEST(TopologyChecksTest, RoutingLoops) {
  const std::string two_way =
      appliances_with(to("to-b", "0.0.0.0/0", kToB), to("to-a", "0.0.0.0/0", kToA), "");
  const std::string three_way =
      appliances_with(to("to-b", "10.0.0.0/8", kToB), to("to-c", "10.0.0.0/8", kToC),
                      to("to-a", "10.0.0.0/8", kToA));
  // nva-b sends 10.1.0.0/16 to the Internet: only the rest of 10.0.0.0/8 loops.
  const std::string sub_prefix =
      appliances_with(to("to-b", "10.0.0.0/8", kToB),
                      to("to-a", "10.0.0.0/8", kToA) +
                          ", {name: out, addressPrefix: 10.1.0.0/16, nextHopType: Internet}",
                      "");
  // nva-c is sent 10.2.0.0/16 and sends it back, a second loop inside the first one's prefix.
  const std::string two_loops = appliances_with(
      to("to-b", "10.0.0.0/8", kToB) + ", " + to("narrow-to-c", "10.2.0.0/16", kToC),
      to("to-a", "10.0.0.0/8", kToA), to("back-to-a", "10.2.0.0/16", kToA));
  const std::string self = appliances_with(to("to-self", "0.0.0.0/0", kToA), "", "");
  const std::string no_forwarding = appliances_with(
      to("to-b", "0.0.0.0/0", kToB), to("to-a", "0.0.0.0/0", kToA), "", ", ipForwarding: false");
  const std::string chain =
      appliances_with(to("to-b", "0.0.0.0/0", kToB), to("to-c", "0.0.0.0/0", kToC), "");
  // Two peered VNets whose appliances send an on-premises range to each other.
  const std::string vnets =
      "version: 1\n"
      "vnets:\n"
      "  - name: hub\n"
      "    addressSpace: [10.0.0.0/16, \"fd00:0:0:1::/64\"]\n"
      "    subnets:\n"
      "      - {name: nva, addressPrefixes: [10.0.1.0/24, \"fd00:0:0:1::/64\"], routeTable: "
      "rt-hub}\n"
      "    peerings: [{remoteVnet: spoke, allowForwardedTraffic: true}]\n"
      "  - name: spoke\n"
      "    addressSpace: [10.1.0.0/16, \"fd00:0:0:2::/64\"]\n"
      "    subnets:\n"
      "      - {name: nva, addressPrefixes: [10.1.1.0/24, \"fd00:0:0:2::/64\"], routeTable: "
      "rt-spoke}\n"
      "appliances:\n"
      "  - {name: hub-fw, subnet: hub/nva, privateIp: 10.0.1.4}\n"
      "  - {name: spoke-fw, subnet: spoke/nva, privateIp: 10.1.1.4}\n"
      "routeTables:\n"
      "  - name: rt-hub\n"
      "    routes:\n"
      "      - " +
      to("onprem-via-spoke", "172.20.0.0/14", "10.1.1.4") + "\n      - " +
      to("v6-via-spoke", "\"fd00::/16\"", "10.1.1.4") +
      "\n"
      "  - name: rt-spoke\n"
      "    routes:\n"
      "      - " +
      to("onprem-via-hub", "172.16.0.0/12", "10.0.1.4") + "\n      - " +
      to("v6-via-hub", "\"fd00::/8\"", "10.0.1.4") + "\n";

  const std::vector<LoopCase> cases = {
      {"two appliances routing to each other",
       two_way,
       {"@to-b@: warning: routing loop for 0.0.0.0/0 (except 172.16.0.0/12, 192.168.0.0/16): "
        "route table rt-a route to-b (0.0.0.0/0 -> 192.168.2.4) sends packets from nva-a to "
        "nva-b, route table rt-b route to-a (0.0.0.0/0 -> 192.168.1.4) from nva-b back to nva-a; "
        "they are dropped after 16 hops [routing-loop]"}},
      {"a cycle of three appliances",
       three_way,
       {"@to-b@: warning: routing loop for 10.0.0.0/8: route table rt-a route to-b (10.0.0.0/8 "
        "-> 192.168.2.4) sends packets from nva-a to nva-b, route table rt-b route to-c "
        "(10.0.0.0/8 -> 192.168.3.4) from nva-b to nva-c, route table rt-c route to-a "
        "(10.0.0.0/8 -> 192.168.1.4) from nva-c back to nva-a; they are dropped after 16 hops "
        "[routing-loop]"}},
      {"a longer route breaks the loop for part of the prefix",
       sub_prefix,
       {"@to-b@: warning: routing loop for 10.0.0.0/8 (except 10.1.0.0/16): route table rt-a "
        "route to-b (10.0.0.0/8 -> 192.168.2.4) sends packets from nva-a to nva-b, route table "
        "rt-b route to-a (10.0.0.0/8 -> 192.168.1.4) from nva-b back to nva-a; they are dropped "
        "after 16 hops [routing-loop]"}},
      {"two loops, one inside the other's prefix",
       two_loops,
       {"@to-b@: warning: routing loop for 10.0.0.0/8 (except 10.2.0.0/16): route table rt-a "
        "route to-b (10.0.0.0/8 -> 192.168.2.4) sends packets from nva-a to nva-b, route table "
        "rt-b route to-a (10.0.0.0/8 -> 192.168.1.4) from nva-b back to nva-a; they are dropped "
        "after 16 hops [routing-loop]",
        "@narrow-to-c@: warning: routing loop for 10.2.0.0/16: route table rt-a route "
        "narrow-to-c (10.2.0.0/16 -> 192.168.3.4) sends packets from nva-a to nva-c, route table "
        "rt-c route back-to-a (10.2.0.0/16 -> 192.168.1.4) from nva-c back to nva-a; they are "
        "dropped after 16 hops [routing-loop]"}},
      {"an appliance whose own subnet routes to it",
       self,
       {"@to-self@: warning: route to-self sends traffic of hub/a to appliance nva-a in the same "
        "subnet; Azure advises a separate subnet to avoid routing loops "
        "[appliance-in-routed-subnet]",
        "@to-self@: warning: routing loop for 0.0.0.0/0 (except 172.16.0.0/12, "
        "192.168.0.0/16): route table rt-a route to-self (0.0.0.0/0 -> 192.168.1.4) sends "
        "packets from nva-a back to nva-a; they are dropped after 16 hops [routing-loop]"}},
      {"an appliance without IP forwarding ends the chain", no_forwarding, {}},
      {"a chain of appliances that ends", chain, {}},
      {"peered VNets sending prefixes back and forth, IPv6 too",
       vnets,
       {"@onprem-via-spoke@: warning: routing loop for 172.20.0.0/14: route table rt-hub route "
        "onprem-via-spoke (172.20.0.0/14 -> 10.1.1.4) sends packets from hub-fw to spoke-fw, "
        "route table rt-spoke route onprem-via-hub (172.16.0.0/12 -> 10.0.1.4) from spoke-fw "
        "back to hub-fw; they are dropped after 16 hops [routing-loop]",
        "@v6-via-spoke@: warning: routing loop for fd00::/16 (except fd00:0:0:1::/64, "
        "fd00:0:0:2::/64): route table rt-hub route v6-via-spoke (fd00::/16 -> 10.1.1.4) sends "
        "packets from hub-fw to spoke-fw, route table rt-spoke route v6-via-hub (fd00::/8 -> "
        "10.0.1.4) from spoke-fw back to hub-fw; they are dropped after 16 hops "
        "[routing-loop]"}},
  };
  for (const LoopCase& c : cases) {
    std::vector<std::string> want;
    for (std::string line : c.expected) {
      size_t open = line.find('@');
      size_t close = line.find('@', open + 1);
      std::string needle = "{name: " + line.substr(open + 1, close - open - 1) + ",";
      want.push_back(at(c.yaml, needle) + line.substr(close + 1));
    }
    EXPECT_EQ(located_findings(c.yaml), want) << c.what;
  }
}

TEST(TopologyChecksTest, AHubFirewallIsNoLoop) {
  // The usual design: the spoke's 0.0.0.0/0 goes to the firewall, whose own subnet has no route
  // table, and a second appliance sends what it gets on to the firewall too.
  std::string yaml =
      "version: 1\n"
      "vnets:\n"
      "  - name: hub\n"
      "    addressSpace: [10.0.0.0/16]\n"
      "    subnets:\n"
      "      - {name: AzureFirewallSubnet, addressPrefix: 10.0.1.0/26}\n"
      "      - {name: inspect, addressPrefix: 10.0.2.0/24, routeTable: rt-inspect}\n"
      "    peerings: [{remoteVnet: spoke, allowForwardedTraffic: true}]\n"
      "  - name: spoke\n"
      "    addressSpace: [10.1.0.0/16]\n"
      "    subnets:\n"
      "      - {name: aks, addressPrefix: 10.1.0.0/22, routeTable: rt-spoke}\n"
      "publicIps:\n"
      "  - {name: pip-fw, address: 20.1.2.3}\n"
      "appliances:\n"
      "  - {name: azfw, subnet: hub/AzureFirewallSubnet, privateIp: 10.0.1.4, publicIps: "
      "[pip-fw]}\n"
      "  - {name: ids, subnet: hub/inspect, privateIp: 10.0.2.4}\n"
      "routeTables:\n"
      "  - name: rt-spoke\n"
      "    routes:\n"
      "      - " +
      to("default-to-ids", "0.0.0.0/0", "10.0.2.4") + "\n      - " +
      to("hub-to-fw", "10.0.0.0/16", "10.0.1.4") +
      "\n"
      "  - name: rt-inspect\n"
      "    routes:\n"
      "      - " +
      to("on-to-fw", "0.0.0.0/0", "10.0.1.4") + "\n";
  EXPECT_EQ(located_findings(yaml), std::vector<std::string>{});
}

// --- SKUs (azure-behaviour D1, D2) ---------------------------------------------------------

std::vector<std::string> findings_with_code(const std::string& yaml, std::string_view prefix) {
  std::vector<std::string> out;
  for (const std::string& line : findings(yaml)) {
    if (line.rfind(prefix, 0) == 0) {
      out.push_back(line);
    }
  }
  return out;
}

TEST(TopologyChecksTest, NatGatewaySkusAcceptTheirPublicIpSkusAndVersions) {
  const std::string yaml =
      "version: 1\n"
      "publicIps:\n"
      "  - {name: basic, address: 20.0.0.1, sku: Basic}\n"
      "  - {name: std4, address: 20.0.0.2}\n"
      "  - {name: std6, address: '2001:db8::1', sku: Standard}\n"
      "  - {name: v2-4, address: 20.0.0.3, sku: StandardV2}\n"
      "  - {name: v2-6, address: '2001:db8::2', sku: StandardV2}\n"
      "publicIpPrefixes:\n"
      "  - {name: v2pre6, addressPrefix: '2001:db8:1::/125', sku: StandardV2}\n"
      "  - {name: big6, addressPrefix: '2001:db8:2::/120', sku: StandardV2}\n"
      "natGateways:\n"
      "  - {name: a, publicIps: [basic, std4]}\n"
      "  - {name: b, publicIps: [std6]}\n"
      "  - {name: c, sku: StandardV2, publicIps: [std4, v2-4, v2-6], publicIpPrefixes: [v2pre6]}\n"
      "  - {name: d, sku: StandardV2, publicIpPrefixes: [big6]}\n";
  EXPECT_EQ(
      findings_with_code(yaml, "nat-gateway"),
      (std::vector<std::string>{
          "nat-gateway-public-ip-sku: NAT gateway a: public IP basic is Basic; Azure: \"Basic SKU "
          "resources, such as basic load balancer or basic public IPs aren't compatible with NAT "
          "gateway\"",
          "nat-gateway-ipv6-needs-v2: NAT gateway b (Standard): public IP std6 is IPv6; Azure's "
          "Standard NAT gateway supports public IP version IPv4 only, StandardV2 supports IPv4 "
          "and IPv6",
          "nat-gateway-public-ip-sku: NAT gateway c (StandardV2): public IP std4 is Standard; "
          "Azure: \"StandardV2 NAT gateway must use a StandardV2 Public IP address\"",
          "nat-gateway-prefix-size: NAT gateway d: public IP prefix 2001:db8:2::/120 is larger "
          "than /124, the largest IPv6 prefix a NAT gateway takes",
          "nat-gateway-too-many-ips: NAT gateway d has 256 public IPv6 addresses; Azure allows at "
          "most 16"}));
}

TEST(TopologyChecksTest, ALoadBalancerAndItsPublicIpsShareASku) {
  const std::string yaml =
      "version: 1\n"
      "publicIps:\n"
      "  - {name: basic, address: 20.0.0.1, sku: Basic}\n"
      "  - {name: std, address: 20.0.0.2}\n"
      "loadBalancers:\n"
      "  - {name: s, frontends: [{name: f1, publicIp: basic}, {name: f2, publicIp: std}]}\n"
      "  - {name: b, sku: Basic, frontends: [{name: f1, publicIp: basic}, {name: f2, publicIp: "
      "std}]}\n";
  EXPECT_EQ(findings_with_code(yaml, "load-balancer-public-ip-sku"),
            (std::vector<std::string>{
                "load-balancer-public-ip-sku: load balancer s (Standard): frontend f1 uses public "
                "IP basic (Basic); Azure: \"Matching SKUs are required for load balancer and "
                "public IP resources\"",
                "load-balancer-public-ip-sku: load balancer b (Basic): frontend f2 uses public IP "
                "std (Standard); Azure: \"Matching SKUs are required for load balancer and public "
                "IP resources\""}));
}

// --- limits (azure-behaviour E1, E2) -------------------------------------------------------

// azure-behaviour D6: each node takes one address of its pool's prefix, pools sharing it.
TEST(TopologyChecksTest, ANodePublicIpPrefixTooSmallForItsNodes) {
  const std::string yaml =
      "version: 1\n"
      "vnets: [{name: v, addressSpace: [10.0.0.0/16], subnets: [{name: n, addressPrefix: "
      "10.0.4.0/24}]}]\n"
      "publicIpPrefixes: [{name: np, addressPrefix: 20.9.8.0/31}]\n"
      "cluster:\n  networkPlugin: kubenet\n  podCidr: 10.244.0.0/16\n  nodePools:\n"
      "    - {name: a, subnet: v/n, nodes: 2, enableNodePublicIP: true, nodePublicIPPrefix: np}\n"
      "    - {name: b, subnet: v/n, nodes: 3, enableNodePublicIP: true, nodePublicIPPrefix: np}\n"
      "    - {name: c, subnet: v/n, nodes: 9, enableNodePublicIP: true}\n";
  EXPECT_EQ(findings_with_code(yaml, "node-public-ip"),
            (std::vector<std::string>{
                "node-public-ip-prefix-too-small: node pool b: public IP prefix np "
                "(20.9.8.0/31) has 2 addresses for 5 nodes; each node takes one (AKS: \"Each of "
                "the nodes in the node pool receives a unique public IP\"), so 3 node(s) get no "
                "address from it"}));
}

// azure-behaviour D7: a prefix frontend gives 64,000 ports per address, and its SKU is the
// prefix's.
TEST(TopologyChecksTest, APrefixFrontendCountsEveryAddressAndItsSku) {
  const std::string yaml =
      "version: 1\n"
      "vnets: [{name: v, addressSpace: [10.0.0.0/16], subnets: [{name: n, addressPrefix: "
      "10.0.4.0/24}]}]\n"
      "publicIpPrefixes: [{name: p, addressPrefix: 20.9.7.0/31}]\n"
      "cluster:\n  nodePools: [{name: s, subnet: v/n, nodes: 4}]\n"
      "loadBalancers:\n"
      "  - name: ok\n"
      "    frontends: [{name: f, publicIpPrefix: p}]\n"
      "    backendPools: [{name: bp, members: [s]}]\n"
      "    outboundRules: [{name: o, frontends: [f], backendPool: bp, allocatedOutboundPorts: "
      "32000}]\n"
      "  - name: over\n"
      "    sku: Basic\n"
      "    frontends: [{name: f, publicIpPrefix: p}]\n"
      "    backendPools: [{name: bp, members: [s]}]\n"
      "    outboundRules: [{name: o, frontends: [f], backendPool: bp, allocatedOutboundPorts: "
      "32008}]\n";
  EXPECT_EQ(findings_with_code(yaml, "allocated-ports"),
            (std::vector<std::string>{
                "allocated-ports-exceed-frontends: outbound rule o: 4 instances x 32008 ports "
                "exceed the 128000 ports of 2 frontend IP(s)"}));
  EXPECT_EQ(findings_with_code(yaml, "load-balancer-public-ip-sku"),
            (std::vector<std::string>{
                "load-balancer-public-ip-sku: load balancer over (Basic): frontend f uses public "
                "IP prefix p (Standard); Azure: \"Matching SKUs are required for load balancer "
                "and public IP resources\""}));
}

TEST(TopologyChecksTest, SubnetSizesAndGatewaySubnet) {
  const std::string yaml =
      "version: 1\n"
      "natGateways: [{name: nat}]\n"
      "vnets:\n"
      "  - name: v\n"
      "    addressSpace: [10.0.0.0/16, 'fd00::/48']\n"
      "    subnets:\n"
      "      - {name: ok, addressPrefixes: [10.0.0.0/29, 'fd00:0:0:1::/64']}\n"
      "      - {name: tiny, addressPrefixes: [10.0.1.0/30, 'fd00:0:0:2::/80']}\n"
      "      - {name: AzureFirewallSubnet, addressPrefix: 10.0.2.0/27}\n"
      "      - {name: GatewaySubnet, addressPrefix: 10.0.3.0/27, natGateway: nat}\n";
  EXPECT_EQ(findings(yaml),
            (std::vector<std::string>{
                "subnet-too-small: subnet v/tiny (10.0.1.0/30): Azure: \"The smallest supported "
                "IPv4 subnet is /29\"",
                "subnet-too-small: subnet v/tiny (fd00:0:0:2::/80): Azure: \"IPv6 subnets must be "
                "exactly /64 in size\"",
                "firewall-subnet-too-small: subnet v/AzureFirewallSubnet (10.0.2.0/27): "
                "Azure Firewall needs a dedicated subnet named AzureFirewallSubnet of at least /26",
                "nat-gateway-on-gateway-subnet: subnet v/GatewaySubnet has NAT gateway nat; "
                "Azure: a NAT gateway can't be associated with the GatewaySubnet"}));
}

// azure-behaviour E6: a user route to VirtualNetworkGateway where no gateway can take it.
TEST(TopologyChecksTest, ARouteToAGatewayNeedsOneInTheVnetOrAPeers) {
  const std::string yaml =
      "version: 1\n"
      "routeTables:\n"
      "  - name: tunnel\n"
      "    routes: [{name: onprem, addressPrefix: 192.168.0.0/16, "
      "nextHopType: VirtualNetworkGateway}]\n"
      "vnets:\n"
      "  - name: hub\n"
      "    addressSpace: [10.0.0.0/16]\n"
      "    subnets:\n"
      "      - {name: GatewaySubnet, addressPrefix: 10.0.0.0/27}\n"
      "      - {name: app, addressPrefix: 10.0.1.0/24, routeTable: tunnel}\n"
      "  - name: spoke\n"
      "    addressSpace: [10.1.0.0/16]\n"
      "    peerings: [{remoteVnet: hub, useRemoteGateways: true}]\n"
      "    subnets: [{name: app, addressPrefix: 10.1.1.0/24, routeTable: tunnel}]\n"
      "  - name: island\n"
      "    addressSpace: [10.2.0.0/16]\n"
      "    peerings: [{remoteVnet: hub}]\n"
      "    subnets:\n"
      "      - {name: a, addressPrefix: 10.2.1.0/24, routeTable: tunnel}\n"
      "      - {name: b, addressPrefix: 10.2.2.0/24, routeTable: tunnel}\n"
      "gateways: [{name: vpngw, vnet: hub}]\n";
  // One finding for the island (its two subnets share the route); the hub has the gateway
  // and the spoke uses it.
  EXPECT_EQ(findings(yaml),
            (std::vector<std::string>{
                "gateway-missing: route onprem sends 192.168.0.0/16 to VirtualNetworkGateway, "
                "but VNet island has no virtual network gateway and uses no peer's; Azure shows "
                "its next hop as None and traffic on it is dropped (modelled: "
                "gateway-missing-drops)"}));
  std::string without_gateway = yaml.substr(0, yaml.find("gateways:"));
  EXPECT_EQ(findings(without_gateway).size(), 3U);
}

TEST(TopologyChecksTest, ReservedAddressesAndFirewallPublicIps) {
  std::string yaml =
      "version: 1\n"
      "vnets:\n"
      "  - name: v\n"
      "    addressSpace: [10.0.0.0/16]\n"
      "    subnets:\n"
      "      - {name: s, addressPrefix: 10.0.0.0/24}\n"
      "      - {name: AzureFirewallSubnet, addressPrefix: 10.0.1.0/26}\n"
      "hosts:\n"
      "  - {name: network, subnet: v/s, address: 10.0.0.0}\n"
      "  - {name: gateway, subnet: v/s, address: 10.0.0.1}\n"
      "  - {name: dns, subnet: v/s, address: 10.0.0.3}\n"
      "  - {name: first-usable, subnet: v/s, address: 10.0.0.4}\n"
      "  - {name: last-usable, subnet: v/s, address: 10.0.0.254}\n"
      "  - {name: broadcast, subnet: v/s, address: 10.0.0.255}\n"
      "appliances:\n"
      "  - {name: fw, type: AzureFirewall, subnet: v/AzureFirewallSubnet, privateIp: 10.0.1.4,\n"
      "     publicIps: [";
  std::string ips = "publicIps:\n";
  for (int i = 0; i < 251; ++i) {
    yaml += (i == 0 ? "" : ", ") + std::string("p") + std::to_string(i);
    ips += "  - {name: p" + std::to_string(i) + ", address: 20.0." + std::to_string(i / 200) + "." +
           std::to_string(i % 200) + "}\n";
  }
  yaml += "]}\n" + ips;
  EXPECT_EQ(findings(yaml),
            (std::vector<std::string>{
                "address-reserved: host network address 10.0.0.0 is its network address in subnet "
                "v/s (10.0.0.0/24); Azure reserves the first four addresses and the last one of "
                "each subnet",
                "address-reserved: host gateway address 10.0.0.1 is reserved by Azure for the "
                "default gateway in subnet v/s (10.0.0.0/24); Azure reserves the first four "
                "addresses and the last one of each subnet",
                "address-reserved: host dns address 10.0.0.3 is reserved by Azure to map Azure "
                "DNS IPs into the virtual network in subnet v/s (10.0.0.0/24); Azure reserves "
                "the first four addresses and the last one of each subnet",
                "address-reserved: host broadcast address 10.0.0.255 is its broadcast address in "
                "subnet v/s (10.0.0.0/24); Azure reserves the first four addresses and the last "
                "one of each subnet",
                "firewall-too-many-public-ips: Azure Firewall fw has 251 public IPs and 0 DNAT "
                "rules; Azure: \"Public IPs + DNAT destination rule = 250 max\""}));
}

}  // namespace
}  // namespace egress
