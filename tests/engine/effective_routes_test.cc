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

}  // namespace
}  // namespace egress
