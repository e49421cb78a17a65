#include "egress/engine/effective_routes.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "egress/lpm/lpm_table.h"
#include "engine/lab_topology.h"

namespace egress {
namespace {

using testing::kLabYaml;
using testing::lab_with;
using testing::load_yaml;

// One line per route, the way `routes` prints them: source state prefix type [ip] [name].
std::vector<std::string> lines(const Topology& t, const char* subnet) {
  std::vector<std::string> out;
  Index s = t.find_subnet(subnet);
  EXPECT_NE(s, kNoIndex) << subnet;
  if (s == kNoIndex) {
    return out;
  }
  for (const EffectiveRoute& r : compute_effective_routes(t, s)) {
    std::string line = std::string(to_string(r.source)) + " " + (r.active ? "Active" : "Invalid") +
                       " " + r.prefix.to_string() + " " + to_string(r.next_hop_type);
    if (r.next_hop_ip) {
      line += " " + r.next_hop_ip->to_string();
    }
    if (!r.name.empty()) {
      line += " " + r.name;
    }
    out.push_back(line);
  }
  return out;
}

TEST(EffectiveRoutesTest, SubnetWithoutRouteTable) {
  auto t = load_yaml(kLabYaml);
  // azure-egress-facts 1a, 1b, 1d: VNet, peerings, BGP; 10/8 stays (10.0/16 is inside it);
  // the BGP 192.168/16 beats the None route of equal prefix; the BGP route inside the VNet
  // never applies.
  EXPECT_EQ(lines(*t, "hub/open"), (std::vector<std::string>{
                                       "VirtualNetworkGateway Invalid 10.0.200.0/24 "
                                       "VirtualNetworkGateway",
                                       "Default Active 10.0.0.0/16 VnetLocal",
                                       "Default Active 10.1.0.0/16 VNetPeering",
                                       "Default Active 10.2.0.0/16 VNetPeering",
                                       "VirtualNetworkGateway Active 192.168.0.0/16 "
                                       "VirtualNetworkGateway",
                                       "Default Invalid 192.168.0.0/16 None",
                                       "Default Active 172.16.0.0/12 None",
                                       "Default Active 100.64.0.0/10 None",
                                       "Default Active 10.0.0.0/8 None",
                                       "Default Active 0.0.0.0/0 Internet",
                                       "Default Active fd00::/48 VnetLocal",
                                       "Default Active ::/0 Internet",
                                   }));
}

TEST(EffectiveRoutesTest, DefaultUserRouteRemovesThreeReservedRoutes) {
  auto t = load_yaml(kLabYaml);
  // azure-egress-facts 1a, routing example: with a 0.0.0.0/0 UDR, 10/8, 192.168/16 and
  // 100.64/10 go; 172.16/12 stays.
  EXPECT_EQ(lines(*t, "hub/routed"),
            (std::vector<std::string>{
                "VirtualNetworkGateway Invalid 10.0.200.0/24 VirtualNetworkGateway",
                "Default Active 10.0.0.0/16 VnetLocal",
                "Default Active 10.1.0.0/16 VNetPeering",
                "User Active 10.2.0.0/16 VirtualAppliance 10.0.2.4 locked",
                "Default Invalid 10.2.0.0/16 VNetPeering",
                "User Active 10.8.0.0/16 VirtualAppliance 10.0.2.5 no-fwd",
                "User Active 10.9.0.0/16 VirtualAppliance 10.0.2.99 ghost",
                "VirtualNetworkGateway Active 192.168.0.0/16 VirtualNetworkGateway",
                "User Active 198.18.0.0/15 None blackhole",
                "Default Active 172.16.0.0/12 None",
                "User Active 0.0.0.0/0 VirtualAppliance 10.0.2.4 default",
                "Default Invalid 0.0.0.0/0 Internet",
                "Default Active fd00::/48 VnetLocal",
                "Default Active ::/0 Internet",
            }));
}

TEST(EffectiveRoutesTest, DisabledBgpPropagationDropsGatewayRoutes) {
  auto t = load_yaml(lab_with({{"  - name: to-fw\n",
                                "  - name: to-fw\n"
                                "    disableBgpRoutePropagation: true\n"}}));
  for (const std::string& line : lines(*t, "hub/routed")) {
    EXPECT_EQ(line.find("VirtualNetworkGateway"), std::string::npos) << line;
  }
  // A subnet without that table still learns them.
  EXPECT_EQ(lines(*t, "hub/open")[0].rfind("VirtualNetworkGateway", 0), 0U);
}

TEST(EffectiveRoutesTest, PeerWithRemoteGatewaysLearnsTheirRoutes) {
  auto t = load_yaml(lab_with({{"  - name: spoke\n    addressSpace: [10.1.0.0/16]\n",
                                "  - name: spoke\n    addressSpace: [10.1.0.0/16]\n"
                                "    peerings:\n      - remoteVnet: hub\n"
                                "        useRemoteGateways: true\n"}}));
  auto spoke = lines(*t, "spoke/apps");
  EXPECT_NE(std::find(spoke.begin(), spoke.end(),
                      "VirtualNetworkGateway Active 192.168.0.0/16 VirtualNetworkGateway"),
            spoke.end());
  // The locked VNet does not use the hub's gateway.
  auto locked = lines(*t, "locked/apps");
  EXPECT_EQ(std::find(locked.begin(), locked.end(),
                      "VirtualNetworkGateway Active 192.168.0.0/16 VirtualNetworkGateway"),
            locked.end());
}

struct ReservedCase {
  const char* address_space;
  std::vector<std::string> reserved_left;  // which None routes remain
};

TEST(EffectiveRoutesTest, AddressSpaceEqualOrContainingAReservedPrefixRemovesIt) {
  // azure-egress-facts 1a: equal to or containing a reserved prefix removes its None route;
  // one merely inside a reserved prefix leaves it.
  const std::vector<ReservedCase> cases = {
      {"10.0.0.0/16", {"192.168.0.0/16", "172.16.0.0/12", "100.64.0.0/10", "10.0.0.0/8"}},
      {"10.0.0.0/8", {"192.168.0.0/16", "172.16.0.0/12", "100.64.0.0/10"}},
      {"8.0.0.0/6", {"192.168.0.0/16", "172.16.0.0/12", "100.64.0.0/10"}},
      {"192.168.0.0/16", {"172.16.0.0/12", "100.64.0.0/10", "10.0.0.0/8"}},
      {"100.64.0.0/10", {"192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8"}},
      {"172.16.0.0/12", {"192.168.0.0/16", "100.64.0.0/10", "10.0.0.0/8"}},
      {"172.20.0.0/16", {"192.168.0.0/16", "172.16.0.0/12", "100.64.0.0/10", "10.0.0.0/8"}},
  };
  for (const ReservedCase& c : cases) {
    std::string yaml =
        std::string("version: 1\nvnets:\n  - name: v\n    addressSpace: [") + c.address_space +
        "]\n    subnets:\n      - name: s\n        addressPrefix: " + c.address_space + "\n";
    auto t = load_yaml(yaml);
    std::vector<std::string> none;
    for (const std::string& line : lines(*t, "v/s")) {
      if (line.size() > 5 && line.substr(line.size() - 5) == " None") {
        none.push_back(line.substr(std::string("Default Active ").size(),
                                   line.size() - 5 - std::string("Default Active ").size()));
      }
    }
    EXPECT_EQ(none, c.reserved_left) << c.address_space;
  }
}

// The routes the engine compiles into its lookup table must answer exactly as a linear
// longest-prefix scan over the active routes: a differential check on random addresses.
TEST(EffectiveRoutesTest, CompiledLookupAgreesWithLinearScan) {
  auto t = load_yaml(kLabYaml);
  std::mt19937_64 rng(12345);
  for (Index s = 0; s < t->subnets.size(); ++s) {
    auto routes = compute_effective_routes(*t, s);
    std::vector<LpmEntry> entries;
    for (uint32_t i = 0; i < routes.size(); ++i) {
      if (routes[i].active) {
        entries.push_back({routes[i].prefix, i});
      }
    }
    auto fib = LpmTable::build(entries);
    ASSERT_TRUE(fib);
    for (int k = 0; k < 20000; ++k) {
      // Bias towards the interesting part of the space: 10/8, 192.168/16, anything.
      uint32_t bits = static_cast<uint32_t>(rng());
      if (k % 3 == 0) {
        bits = 0x0a000000 | (bits & 0x00ffffff);
      } else if (k % 3 == 1) {
        bits = 0xc0a80000 | (bits & 0xffff);
      }
      IpAddress a = IpAddress::v4(bits);
      uint32_t best = LpmTable::kNoMatch;
      for (uint32_t i = 0; i < routes.size(); ++i) {
        if (routes[i].active && routes[i].prefix.contains(a) &&
            (best == LpmTable::kNoMatch || routes[i].prefix.length > routes[best].prefix.length)) {
          best = i;
        }
      }
      ASSERT_EQ(fib->lookup(a), best) << a.to_string() << " in " << t->subnets[s].full_name;
    }
  }
}

TEST(EffectiveRoutesTest, EachPrefixHasExactlyOneActiveRoute) {
  auto t = load_yaml(kLabYaml);
  for (Index s = 0; s < t->subnets.size(); ++s) {
    auto routes = compute_effective_routes(*t, s);
    for (size_t i = 0; i < routes.size(); ++i) {
      int active = 0;
      for (const EffectiveRoute& r : routes) {
        active += (r.prefix == routes[i].prefix && r.active) ? 1 : 0;
      }
      bool bgp_in_vnet =
          routes[i].source == RouteSource::kVirtualNetworkGateway && !routes[i].active;
      EXPECT_EQ(active, bgp_in_vnet ? 0 : 1)
          << routes[i].prefix.to_string() << " in " << t->subnets[s].full_name;
    }
  }
}

// azure-behaviour D4, D5: the routes service endpoints and private endpoints add, and which
// user routes override them. hub/app has a Storage (eastus) and a Sql (every region) service
// endpoint and the route table of the case; hub/pe holds the private endpoint 10.0.2.5 with
// the case's privateEndpointNetworkPolicies; spoke is peered with hub, far is not.
std::string endpoints_yaml(const std::string& routes, const std::string& policies) {
  return "version: 1\n"
         "vnets:\n"
         "  - name: hub\n"
         "    addressSpace: [10.0.0.0/16]\n"
         "    peerings: [{remoteVnet: spoke}]\n"
         "    subnets:\n"
         "      - name: app\n"
         "        addressPrefix: 10.0.1.0/24\n"
         "        routeTable: rt\n"
         "        serviceEndpoints:\n"
         "          - {service: Microsoft.Storage, locations: [eastus]}\n"
         "          - Microsoft.Sql\n"
         "      - name: pe\n"
         "        addressPrefix: 10.0.2.0/24\n"
         "        privateEndpointNetworkPolicies: " +
         policies +
         "\n"
         "  - name: spoke\n"
         "    addressSpace: [10.1.0.0/16]\n"
         "    subnets: [{name: s, addressPrefix: 10.1.1.0/24}]\n"
         "  - name: far\n"
         "    addressSpace: [10.2.0.0/16]\n"
         "    subnets: [{name: x, addressPrefix: 10.2.1.0/24}]\n"
         "gateways: [{name: vpn, vnet: hub, bgpRoutes: [20.38.100.0/24]}]\n"
         "serviceTags:\n"
         "  - {name: Storage.EastUS, addressPrefixes: [20.38.96.0/19, '2603:1030::/48']}\n"
         "  - {name: Storage.WestUS, addressPrefixes: [13.93.168.0/24]}\n"
         "  - {name: Sql, addressPrefixes: [20.42.65.64/29]}\n"
         "privateEndpoints: [{name: kv-pe, subnet: hub/pe, address: 10.0.2.5}]\n"
         "routeTables:\n"
         "  - name: rt\n"
         "    routes: [" +
         routes + "]\n";
}

struct EndpointRouteCase {
  const char* name;
  const char* routes;    // the items of hub/app's route table
  const char* policies;  // privateEndpointNetworkPolicies of hub/pe
  const char* subnet;
  std::vector<std::string> expected;  // the subnet's lines that name an endpoint or a user route
};

class EndpointRoutes : public ::testing::TestWithParam<EndpointRouteCase> {};

TEST_P(EndpointRoutes, AsAzureDocumentsThem) {
  const EndpointRouteCase& c = GetParam();
  auto t = load_yaml(endpoints_yaml(c.routes, c.policies));
  std::vector<std::string> got;
  for (const std::string& line : lines(*t, c.subnet)) {
    if (line.find("Endpoint") != std::string::npos || line.rfind("User", 0) == 0 ||
        line.find("20.38.100.0/24") != std::string::npos) {
      got.push_back(line);
    }
  }
  EXPECT_EQ(got, c.expected);
}

const EndpointRouteCase kEndpointRouteCases[] = {
    // D4: one row per IPv4 prefix of the tags (none for the unlisted westus, no IPv6); the BGP
    // route inside a service endpoint prefix never applies. D5: the /32 in the VNet.
    {"NoUserRoutes",
     "",
     "Disabled",
     "hub/app",
     {"Default Active 10.0.2.5/32 InterfaceEndpoint",
      "Default Active 20.42.65.64/29 VirtualNetworkServiceEndpoint",
      "VirtualNetworkGateway Invalid 20.38.100.0/24 VirtualNetworkGateway",
      "Default Active 20.38.96.0/19 VirtualNetworkServiceEndpoint"}},
    // D4: "The address prefixes for the service are longer than 0.0.0.0/0"; D5: "a
    // user-defined routes default route (0.0.0.0/0) doesn't invalidate private endpoint routes".
    {"DefaultRouteOverridesNeither",
     "{name: all, addressPrefix: 0.0.0.0/0, nextHopType: VirtualAppliance, "
     "nextHopIpAddress: 10.0.9.4}",
     "Enabled",
     "hub/app",
     {"Default Active 10.0.2.5/32 InterfaceEndpoint",
      "Default Active 20.42.65.64/29 VirtualNetworkServiceEndpoint",
      "VirtualNetworkGateway Invalid 20.38.100.0/24 VirtualNetworkGateway",
      "Default Active 20.38.96.0/19 VirtualNetworkServiceEndpoint",
      "User Active 0.0.0.0/0 VirtualAppliance 10.0.9.4 all"}},
    // D4: on equal prefixes the user route wins.
    {"EqualPrefixUserRouteWins",
     "{name: st, addressPrefix: 20.38.96.0/19, nextHopType: None}",
     "Disabled",
     "hub/app",
     {"Default Active 10.0.2.5/32 InterfaceEndpoint",
      "Default Active 20.42.65.64/29 VirtualNetworkServiceEndpoint",
      "VirtualNetworkGateway Invalid 20.38.100.0/24 VirtualNetworkGateway",
      "User Active 20.38.96.0/19 None st",
      "Default Invalid 20.38.96.0/19 VirtualNetworkServiceEndpoint"}},
    // D5: "Deploy individual routes with /32 prefix to override private endpoint routes".
    {"ExactUserRouteOverridesPrivateEndpoint",
     "{name: kv, addressPrefix: 10.0.2.5/32, nextHopType: VirtualAppliance, "
     "nextHopIpAddress: 10.0.9.4}",
     "Disabled",
     "hub/app",
     {"User Active 10.0.2.5/32 VirtualAppliance 10.0.9.4 kv",
      "Default Invalid 10.0.2.5/32 InterfaceEndpoint",
      "Default Active 20.42.65.64/29 VirtualNetworkServiceEndpoint",
      "VirtualNetworkGateway Invalid 20.38.100.0/24 VirtualNetworkGateway",
      "Default Active 20.38.96.0/19 VirtualNetworkServiceEndpoint"}},
    // D5: without route table policies the /32 wins by longest prefix.
    {"VnetRangeRouteWithoutPolicies",
     "{name: vnet, addressPrefix: 10.0.0.0/16, nextHopType: VirtualAppliance, "
     "nextHopIpAddress: 10.0.9.4}",
     "NetworkSecurityGroupEnabled",
     "hub/app",
     {"Default Active 10.0.2.5/32 InterfaceEndpoint",
      "Default Active 20.42.65.64/29 VirtualNetworkServiceEndpoint",
      "VirtualNetworkGateway Invalid 20.38.100.0/24 VirtualNetworkGateway",
      "Default Active 20.38.96.0/19 VirtualNetworkServiceEndpoint",
      "User Active 10.0.0.0/16 VirtualAppliance 10.0.9.4 vnet"}},
    // D5: with them, a route at least as long as the VNet's range invalidates the /32 ...
    {"VnetRangeRouteWithRouteTablePolicies",
     "{name: vnet, addressPrefix: 10.0.0.0/16, nextHopType: VirtualAppliance, "
     "nextHopIpAddress: 10.0.9.4}",
     "RouteTableEnabled",
     "hub/app",
     {"Default Invalid 10.0.2.5/32 InterfaceEndpoint",
      "Default Active 20.42.65.64/29 VirtualNetworkServiceEndpoint",
      "VirtualNetworkGateway Invalid 20.38.100.0/24 VirtualNetworkGateway",
      "Default Active 20.38.96.0/19 VirtualNetworkServiceEndpoint",
      "User Active 10.0.0.0/16 VirtualAppliance 10.0.9.4 vnet"}},
    {"SubnetRouteWithEnabledPolicies",
     "{name: pe, addressPrefix: 10.0.2.0/24, nextHopType: None}",
     "Enabled",
     "hub/app",
     {"Default Invalid 10.0.2.5/32 InterfaceEndpoint",
      "Default Active 20.42.65.64/29 VirtualNetworkServiceEndpoint",
      "User Active 10.0.2.0/24 None pe",
      "VirtualNetworkGateway Invalid 20.38.100.0/24 VirtualNetworkGateway",
      "Default Active 20.38.96.0/19 VirtualNetworkServiceEndpoint"}},
    // ... and a shorter one does not.
    {"ShorterThanTheVnetWithPolicies",
     "{name: ten, addressPrefix: 10.0.0.0/8, nextHopType: None}",
     "RouteTableEnabled",
     "hub/app",
     {"Default Active 10.0.2.5/32 InterfaceEndpoint",
      "Default Active 20.42.65.64/29 VirtualNetworkServiceEndpoint",
      "VirtualNetworkGateway Invalid 20.38.100.0/24 VirtualNetworkGateway",
      "Default Active 20.38.96.0/19 VirtualNetworkServiceEndpoint",
      "User Active 10.0.0.0/8 None ten"}},
    // D5: the /32 reaches peered VNets, not others; D4: service endpoint routes only in the
    // subnet that enables them.
    {"PeeredVnetGetsThePrivateEndpointRoute",
     "",
     "Disabled",
     "spoke/s",
     {"Default Active 10.0.2.5/32 InterfaceEndpoint"}},
    {"UnpeeredVnetDoesNot", "", "Disabled", "far/x", {}},
    {"OtherSubnetOfTheVnet",
     "",
     "Disabled",
     "hub/pe",
     {"Default Active 10.0.2.5/32 InterfaceEndpoint",
      "VirtualNetworkGateway Active 20.38.100.0/24 VirtualNetworkGateway"}},
};

INSTANTIATE_TEST_SUITE_P(EffectiveRoutesTest, EndpointRoutes,
                         ::testing::ValuesIn(kEndpointRouteCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(EffectiveRoutesTest, ServiceEndpointRoutesNameTheServiceAndTheirModel) {
  auto t = load_yaml(endpoints_yaml("", "Disabled"));
  std::vector<std::string> got;
  for (const EffectiveRoute& r : compute_effective_routes(*t, t->find_subnet("hub/app"))) {
    if (r.next_hop_type == NextHopType::kVirtualNetworkServiceEndpoint ||
        r.next_hop_type == NextHopType::kInterfaceEndpoint) {
      got.push_back(r.prefix.to_string() + " " + r.service + " " + std::string(r.model));
    }
  }
  // D4: Microsoft.Sql without locations covers every region (model
  // service-endpoint-all-regions).
  EXPECT_EQ(got, (std::vector<std::string>{"10.0.2.5/32 kv-pe ",
                                           "20.42.65.64/29 Microsoft.Sql "
                                           "service-endpoint-all-regions",
                                           "20.38.96.0/19 Microsoft.Storage "}));
}

}  // namespace
}  // namespace egress
