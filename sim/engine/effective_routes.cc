#include "egress/engine/effective_routes.h"

#include <algorithm>
#include <array>

#include "egress/config/service_endpoints.h"
#include "egress/engine/models.h"

namespace egress {
namespace {

// Azure's reserved prefixes routed to None in every subnet (azure-egress-facts 1a).
struct Reserved {
  Prefix prefix;
  bool dropped_by_default_udr;  // removed when a user route for 0.0.0.0/0 exists
};

const std::array<Reserved, 4>& reserved_prefixes() {
  static const std::array<Reserved, 4> kReserved = {
      Reserved{Prefix{IpAddress::v4(0x0a000000), 8}, true},    // 10.0.0.0/8
      Reserved{Prefix{IpAddress::v4(0xac100000), 12}, false},  // 172.16.0.0/12
      Reserved{Prefix{IpAddress::v4(0xc0a80000), 16}, true},   // 192.168.0.0/16
      Reserved{Prefix{IpAddress::v4(0x64400000), 10}, true},   // 100.64.0.0/10
  };
  return kReserved;
}

bool is_vnet_system_route(const EffectiveRoute& r) {
  return r.source == RouteSource::kDefault && (r.next_hop_type == NextHopType::kVnetLocal ||
                                               r.next_hop_type == NextHopType::kVnetPeering);
}

// azure-behaviour D4: "System routes for traffic related to virtual network, virtual network
// peerings, or virtual network service endpoints, are preferred routes, even if BGP routes are
// more specific."
bool preferred_over_bgp(const EffectiveRoute& r) {
  return is_vnet_system_route(r) ||
         (r.source == RouteSource::kDefault &&
          r.next_hop_type == NextHopType::kVirtualNetworkServiceEndpoint);
}

int precedence(const EffectiveRoute& r) {
  // azure-egress-facts 1d: on equal prefixes, User > BGP > System, except that the system
  // routes of the VNet and its peerings beat BGP routes.
  switch (r.source) {
    case RouteSource::kUser:
      return 4;
    case RouteSource::kVirtualNetworkGateway:
      return 2;
    case RouteSource::kDefault:
      return preferred_over_bgp(r) ? 3 : 1;
  }
  return 0;
}

EffectiveRoute system_route(Prefix p, NextHopType type) {
  EffectiveRoute r;
  r.source = RouteSource::kDefault;
  r.prefix = p;
  r.next_hop_type = type;
  return r;
}

void add_bgp_routes(const Topology& t, Index vnet, std::vector<EffectiveRoute>& out) {
  for (Index g = 0; g < t.gateways.size(); ++g) {
    if (t.gateways[g].vnet != vnet) {
      continue;
    }
    for (const Prefix& p : t.gateways[g].bgp_routes) {
      EffectiveRoute r;
      r.source = RouteSource::kVirtualNetworkGateway;
      r.prefix = p;
      r.next_hop_type = NextHopType::kVirtualNetworkGateway;
      r.gateway = g;
      out.push_back(r);
    }
  }
}

// azure-behaviour D4: a service endpoint adds the public IPv4 prefixes of its service in the
// regions of `locations`, taken from the topology's service tags (a tag not listed adds
// nothing here; topology_checks reports it). Equal prefixes of two endpoints are one route.
void add_service_endpoint_routes(const Topology& t, const Subnet& subnet,
                                 std::vector<EffectiveRoute>& out) {
  size_t first = out.size();
  for (const ServiceEndpoint& se : subnet.service_endpoints) {
    for (const std::string& tag_name : service_endpoint_tags(se)) {
      Index tag = t.find_service_tag(tag_name);
      if (tag == kNoIndex) {
        continue;
      }
      for (const Prefix& p : t.service_tags[tag].address_prefixes) {
        bool seen = std::any_of(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                                [&](const EffectiveRoute& r) { return r.prefix == p; });
        if (!p.address.is_v4() || seen) {
          continue;  // "from using public IPv4 addresses to using private IPv4 addresses"
        }
        EffectiveRoute r = system_route(p, NextHopType::kVirtualNetworkServiceEndpoint);
        r.service = se.service;
        if (se.locations.empty()) {
          r.model = model::kServiceEndpointAllRegions;
        }
        out.push_back(r);
      }
    }
  }
}

// azure-behaviour D5: a private endpoint's /32 (/128) InterfaceEndpoint route is in every
// subnet of its VNet and of the VNets peered with it.
void add_private_endpoint_routes(const Topology& t, Index vnet, std::vector<EffectiveRoute>& out) {
  const Vnet& v = t.vnets[vnet];
  for (Index i = 0; i < t.private_endpoints.size(); ++i) {
    const PrivateEndpoint& pe = t.private_endpoints[i];
    if (pe.subnet == kNoIndex) {
      continue;
    }
    Index pe_vnet = t.subnets[pe.subnet].vnet;
    bool reaches =
        pe_vnet == vnet || std::any_of(v.peerings.begin(), v.peerings.end(),
                                       [&](const Peering& p) { return p.remote_vnet == pe_vnet; });
    if (!reaches) {
      continue;
    }
    EffectiveRoute r =
        system_route(Prefix{pe.address, static_cast<uint8_t>(pe.address.is_v4() ? 32 : 128)},
                     NextHopType::kInterfaceEndpoint);
    r.service = pe.name;
    r.private_endpoint = i;
    out.push_back(r);
  }
}

// azure-behaviour D5: with route table policies on for the private endpoint's subnet
// (privateEndpointNetworkPolicies Enabled or RouteTableEnabled), a user route whose prefix
// holds the endpoint and is at least as long as the endpoint VNet's address-space range
// "invalidates" the /32; without them only an equal /32 user route overrides it.
bool user_route_invalidates(const Topology& t, const EffectiveRoute& pe_route,
                            const EffectiveRoute& user) {
  if (user.source != RouteSource::kUser || !user.prefix.contains(pe_route.prefix.address)) {
    return false;
  }
  const PrivateEndpoint& pe = t.private_endpoints[pe_route.private_endpoint];
  const Subnet& home = t.subnets[pe.subnet];
  if (home.private_endpoint_network_policies != PrivateEndpointNetworkPolicies::kEnabled &&
      home.private_endpoint_network_policies !=
          PrivateEndpointNetworkPolicies::kRouteTableEnabled) {
    return false;
  }
  for (const Prefix& range : t.vnets[home.vnet].address_space) {
    if (range.contains(pe.address) && user.prefix.length >= range.length) {
      return true;
    }
  }
  return false;
}

}  // namespace

const char* to_string(RouteSource s) {
  switch (s) {
    case RouteSource::kDefault:
      return "Default";
    case RouteSource::kUser:
      return "User";
    case RouteSource::kVirtualNetworkGateway:
      return "VirtualNetworkGateway";
  }
  return "?";
}

Index reachable_gateway(const Topology& t, Index vnet) {
  for (Index g = 0; g < t.gateways.size(); ++g) {
    if (t.gateways[g].vnet == vnet) {
      return g;
    }
  }
  for (const Peering& peering : t.vnets[vnet].peerings) {
    if (!peering.use_remote_gateways) {
      continue;
    }
    for (Index g = 0; g < t.gateways.size(); ++g) {
      if (t.gateways[g].vnet == peering.remote_vnet) {
        return g;
      }
    }
  }
  return kNoIndex;
}

std::vector<EffectiveRoute> compute_effective_routes(const Topology& t, Index subnet_index) {
  const Subnet& subnet = t.subnets[subnet_index];
  const Vnet& vnet = t.vnets[subnet.vnet];
  const RouteTable* table =
      subnet.route_table == kNoIndex ? nullptr : &t.route_tables[subnet.route_table];

  std::vector<EffectiveRoute> routes;

  // System routes (azure-egress-facts 1a, 1b). One route per address-space range, none per
  // subnet.
  bool has_v6 = false;
  for (const Prefix& p : vnet.address_space) {
    routes.push_back(system_route(p, NextHopType::kVnetLocal));
    has_v6 = has_v6 || !p.address.is_v4();
  }
  for (const Peering& peering : vnet.peerings) {
    for (const Prefix& p : t.vnets[peering.remote_vnet].address_space) {
      routes.push_back(system_route(p, NextHopType::kVnetPeering));
    }
  }
  add_service_endpoint_routes(t, subnet, routes);
  add_private_endpoint_routes(t, subnet.vnet, routes);
  routes.push_back(system_route(Prefix{IpAddress::v4(0), 0}, NextHopType::kInternet));
  if (has_v6) {
    routes.push_back(system_route(Prefix{IpAddress::v6(0, 0), 0}, NextHopType::kInternet));
  }
  bool user_default_route = false;
  if (table != nullptr) {
    for (const Route& r : table->routes) {
      user_default_route = user_default_route || (r.prefix.address.is_v4() && r.prefix.length == 0);
    }
  }
  for (const Reserved& reserved : reserved_prefixes()) {
    // azure-egress-facts 1a: an address-space range equal to or containing a reserved prefix
    // takes its place; one the reserved prefix merely contains leaves it (longest match wins).
    bool covered = std::any_of(vnet.address_space.begin(), vnet.address_space.end(),
                               [&](const Prefix& p) { return p.contains(reserved.prefix); });
    // azure-egress-facts 1a, routing example: a 0.0.0.0/0 user route removes three of them.
    if (covered || (user_default_route && reserved.dropped_by_default_udr)) {
      continue;
    }
    routes.push_back(system_route(reserved.prefix, NextHopType::kNone));
  }

  // BGP routes (azure-egress-facts 1b, 1e): the VNet's own gateways and, through a peering
  // with useRemoteGateways, the peer's.
  if (table == nullptr || !table->disable_bgp_route_propagation) {
    add_bgp_routes(t, subnet.vnet, routes);
    for (const Peering& peering : vnet.peerings) {
      if (peering.use_remote_gateways) {
        add_bgp_routes(t, peering.remote_vnet, routes);
      }
    }
  }

  if (table != nullptr) {
    for (const Route& ur : table->routes) {
      EffectiveRoute r;
      r.source = RouteSource::kUser;
      r.prefix = ur.prefix;
      r.next_hop_type = ur.next_hop_type;
      // azure-egress-facts 1c: nextHopIpAddress only means something for VirtualAppliance.
      if (ur.next_hop_type == NextHopType::kVirtualAppliance) {
        r.next_hop_ip = ur.next_hop_ip;
      }
      if (ur.next_hop_type == NextHopType::kVirtualNetworkGateway) {
        r.gateway = reachable_gateway(t, subnet.vnet);  // azure-behaviour E6
      }
      r.name = ur.name;
      r.route_table = subnet.route_table;
      routes.push_back(r);
    }
  }

  // Order: IPv4 first, longest prefix first, then by address; within one prefix the highest
  // precedence first (the stable sort keeps file order between equals, so the first written
  // wins a tie Azure would have refused).
  std::stable_sort(routes.begin(), routes.end(),
                   [](const EffectiveRoute& a, const EffectiveRoute& b) {
                     if (a.prefix.address.family() != b.prefix.address.family()) {
                       return a.prefix.address.is_v4();
                     }
                     if (a.prefix.length != b.prefix.length) {
                       return a.prefix.length > b.prefix.length;
                     }
                     if (a.prefix.address != b.prefix.address) {
                       return a.prefix.address < b.prefix.address;
                     }
                     return precedence(a) > precedence(b);
                   });
  for (size_t i = 1; i < routes.size(); ++i) {
    if (routes[i].prefix == routes[i - 1].prefix) {
      routes[i].active = false;
    }
  }

  // azure-egress-facts 1d: system routes for the VNet and its peerings win over BGP routes
  // "even if BGP routes are more specific". A BGP route inside such a prefix can never apply.
  for (EffectiveRoute& r : routes) {
    if (r.source != RouteSource::kVirtualNetworkGateway || !r.active) {
      continue;
    }
    bool inside_vnet = std::any_of(routes.begin(), routes.end(), [&](const EffectiveRoute& s) {
      return preferred_over_bgp(s) && s.prefix.contains(r.prefix);
    });
    if (inside_vnet) {
      r.active = false;
    }
  }

  for (EffectiveRoute& r : routes) {
    if (r.next_hop_type != NextHopType::kInterfaceEndpoint || !r.active) {
      continue;
    }
    if (std::any_of(routes.begin(), routes.end(), [&](const EffectiveRoute& u) {
          return u.active && user_route_invalidates(t, r, u);
        })) {
      r.active = false;
    }
  }
  return routes;
}

}  // namespace egress
