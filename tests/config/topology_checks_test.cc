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

TEST(TopologyChecksTest, LabHasOnlyTheRouteToNobody) {
  auto t = load_yaml(kLabYaml);
  auto found = check_topology(*t);
  ASSERT_EQ(found.size(), 1U);
  auto [line, column] = position_of(kLabYaml, "10.0.2.99");
  EXPECT_EQ(format_diagnostic(found[0], "warning"),
            "lab.yaml:" + std::to_string(line) + ":" + std::to_string(column) +
                ": warning: route ghost: no appliance owns next hop 10.0.2.99; traffic on this "
                "route is dropped (modelled: appliance-missing-drops)");
}

struct Case {
  const char* what;
  std::vector<std::pair<std::string, std::string>> edits;
  std::vector<std::string> expected;  // besides the lab's own ghost-route finding
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
  };
  for (const Case& c : cases) {
    auto got = findings(lab_with(c.edits));
    auto want = c.expected;
    want.push_back(ghost);
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

}  // namespace
}  // namespace egress
