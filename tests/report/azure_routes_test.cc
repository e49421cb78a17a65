#include "egress/report/azure_routes.h"

#include <gtest/gtest.h>

#include "egress/config/topology_loader.h"

namespace egress {
namespace {

Topology load(const std::string& yaml) {
  LoadResult r = parse_topology(yaml, "t.yaml");
  EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors[0].message);
  return std::move(*r.topology);
}

// Two address-space ranges (written longer second), a peering, a user default route to an
// appliance, and a user route: Azure's order is default routes as written, then user routes.
constexpr const char* kHubSpoke = R"(version: 1
name: t
vnets:
  - name: spoke
    addressSpace: [10.2.0.0/16, 10.3.0.0/24]
    peerings: [{remoteVnet: hub}]
    subnets:
      - {name: nodes, addressPrefix: 10.2.0.0/22, routeTable: rt}
  - name: hub
    addressSpace: [10.0.0.0/16]
    peerings: [{remoteVnet: spoke}]
    subnets:
      - {name: fw, addressPrefix: 10.0.1.0/24}
routeTables:
  - name: rt
    disableBgpRoutePropagation: true
    routes:
      - {name: to-fw, addressPrefix: 0.0.0.0/0, nextHopType: VirtualAppliance, nextHopIpAddress: 10.0.1.4}
      - {name: fw-pip, addressPrefix: 20.1.2.3/32, nextHopType: Internet}
appliances:
  - {name: fw, subnet: hub/fw, privateIp: 10.0.1.4}
)";

std::string row(const char* prefix, bool disable_bgp, const char* name, const char* ips,
                const char* type, const char* source, const char* state) {
  return std::string("    {\n      \"addressPrefix\": [\n        \"") + prefix +
         "\"\n      ],\n      \"disableBgpRoutePropagation\": " + (disable_bgp ? "true" : "false") +
         ",\n      \"name\": " + name + ",\n      \"nextHopIpAddress\": " + ips +
         ",\n      \"nextHopType\": \"" + type + "\",\n      \"source\": \"" + source +
         "\",\n      \"state\": \"" + state + "\"\n    }";
}

TEST(RoutesToAzureJson, AzureMembersSortedKeysAndAzureOrder) {
  Topology t = load(kHubSpoke);
  Index subnet = t.find_subnet("spoke/nodes");
  const std::string expected =
      "{\n  \"value\": [\n" +
      row("10.2.0.0/16", false, "null", "[]", "VnetLocal", "Default", "Active") + ",\n" +
      row("10.3.0.0/24", false, "null", "[]", "VnetLocal", "Default", "Active") + ",\n" +
      row("10.0.0.0/16", false, "null", "[]", "VNetPeering", "Default", "Active") + ",\n" +
      row("0.0.0.0/0", false, "null", "[]", "Internet", "Default", "Invalid") + ",\n" +
      row("172.16.0.0/12", false, "null", "[]", "None", "Default", "Active") + ",\n" +
      row("0.0.0.0/0", true, "\"to-fw\"", "[\n        \"10.0.1.4\"\n      ]", "VirtualAppliance",
          "User", "Active") +
      ",\n" + row("20.1.2.3/32", true, "\"fw-pip\"", "[]", "Internet", "User", "Active") +
      "\n  ]\n}\n";
  EXPECT_EQ(routes_to_azure_json(t, subnet, compute_effective_routes(t, subnet)), expected);
}

TEST(RoutesToAzureJson, ReservedRangesByAddressAsTheRestExampleListsThem) {
  Topology t = load(R"(version: 1
name: t
vnets:
  - name: v
    addressSpace: [172.20.0.0/16]
    subnets:
      - {name: s, addressPrefix: 172.20.2.0/24}
)");
  std::vector<EffectiveRoute> routes = azure_route_order(t, 0, compute_effective_routes(t, 0));
  std::vector<std::string> prefixes;
  for (const EffectiveRoute& r : routes) {
    prefixes.push_back(r.prefix.to_string());
  }
  // NetworkInterfaceEffectiveRouteTableList.json: the address space, 0.0.0.0/0, then 10/8,
  // 100.64/10, 172.16/12, 192.168/16.
  EXPECT_EQ(prefixes,
            (std::vector<std::string>{"172.20.0.0/16", "0.0.0.0/0", "10.0.0.0/8", "100.64.0.0/10",
                                      "172.16.0.0/12", "192.168.0.0/16"}));
}

}  // namespace
}  // namespace egress
