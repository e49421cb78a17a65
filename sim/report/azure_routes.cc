#include "egress/report/azure_routes.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

namespace egress {
namespace {

// Sorted keys, as knack (az's output layer) dumps with sort_keys=True; nlohmann::json's map
// keeps keys sorted by bytes, which for these ASCII names is Python's order.
using Json = nlohmann::json;

constexpr uint32_t kLast = 0xffffffffU;

size_t index_of(const std::vector<Prefix>& prefixes, const Prefix& p) {
  return static_cast<size_t>(std::find(prefixes.begin(), prefixes.end(), p) - prefixes.begin());
}

// The sort key of one route: (group, rank within the group, position).
std::tuple<int, size_t, size_t> azure_rank(const Topology& t, const Subnet& subnet,
                                           const EffectiveRoute& r) {
  const Vnet& vnet = t.vnets[subnet.vnet];
  switch (r.source) {
    case RouteSource::kDefault:
      switch (r.next_hop_type) {
        case NextHopType::kVnetLocal:
          return {0, 0, index_of(vnet.address_space, r.prefix)};
        case NextHopType::kVnetPeering:
          for (size_t i = 0; i < vnet.peerings.size(); ++i) {
            const std::vector<Prefix>& space = t.vnets[vnet.peerings[i].remote_vnet].address_space;
            size_t at = index_of(space, r.prefix);
            if (at < space.size()) {
              return {0, 1 + i, at};
            }
          }
          return {0, 1 + vnet.peerings.size(), 0};
        case NextHopType::kInternet:
          return {1, r.prefix.address.is_v4() ? 0 : 1, 0};
        case NextHopType::kVirtualNetworkServiceEndpoint:
          // Not documented either: after the reserved ranges, by address (azure-behaviour D4).
          return {2, 2, 0};
        case NextHopType::kInterfaceEndpoint:
          return {2, 3, 0};
        default:
          // The reserved ranges, by address: the REST example's order (10/8, 100.64/10,
          // 172.16/12, 192.168/16).
          return {2, r.prefix.address.is_v4() ? 0 : 1, 0};
      }
    case RouteSource::kVirtualNetworkGateway:
      return {
          3, r.gateway == kNoIndex ? kLast : r.gateway,
          r.gateway < t.gateways.size() ? index_of(t.gateways[r.gateway].bgp_routes, r.prefix) : 0};
    case RouteSource::kUser: {
      size_t at = kLast;
      if (r.route_table < t.route_tables.size()) {
        const std::vector<Route>& user = t.route_tables[r.route_table].routes;
        for (size_t i = 0; i < user.size(); ++i) {
          if (user[i].name == r.name) {
            at = i;
            break;
          }
        }
      }
      return {4, 0, at};
    }
  }
  return {5, 0, 0};
}

}  // namespace

std::vector<EffectiveRoute> azure_route_order(const Topology& topology, Index subnet,
                                              std::vector<EffectiveRoute> routes) {
  if (subnet >= topology.subnets.size()) {
    return routes;
  }
  const Subnet& s = topology.subnets[subnet];
  std::stable_sort(routes.begin(), routes.end(),
                   [&](const EffectiveRoute& a, const EffectiveRoute& b) {
                     auto ka = azure_rank(topology, s, a);
                     auto kb = azure_rank(topology, s, b);
                     if (ka != kb) {
                       return ka < kb;
                     }
                     if (std::get<0>(ka) == 2 && a.prefix.address != b.prefix.address) {
                       return a.prefix.address < b.prefix.address;
                     }
                     return false;
                   });
  return routes;
}

std::string routes_to_azure_json(const Topology& topology, Index subnet,
                                 const std::vector<EffectiveRoute>& routes) {
  Json list = Json::array();
  for (const EffectiveRoute& r : azure_route_order(topology, subnet, routes)) {
    Json j = Json::object();
    j["source"] = to_string(r.source);
    j["state"] = r.active ? "Active" : "Invalid";
    j["addressPrefix"] = Json::array({r.prefix.to_string()});
    j["nextHopType"] = to_string(r.next_hop_type);
    j["nextHopIpAddress"] =
        r.next_hop_ip ? Json::array({r.next_hop_ip->to_string()}) : Json::array();
    // azure-behaviour F1: Azure writes the user route's name and its table's
    // disableBgpRoutePropagation; null and false on system and BGP routes.
    j["name"] = r.name.empty() ? Json(nullptr) : Json(r.name);
    j["disableBgpRoutePropagation"] =
        r.source == RouteSource::kUser && r.route_table < topology.route_tables.size() &&
        topology.route_tables[r.route_table].disable_bgp_route_propagation;
    list.push_back(std::move(j));
  }
  Json doc = Json::object();
  doc["value"] = std::move(list);
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace egress
