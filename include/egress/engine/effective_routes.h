// The effective routes of a subnet (../shared/spec/semantics.md 2; azure-egress-facts 1):
// system, BGP and user routes merged, each marked Active or Invalid as
// `az network nic show-effective-route-table` shows them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egress/config/topology.h"

namespace egress {

enum class RouteSource : uint8_t { kDefault, kUser, kVirtualNetworkGateway };

struct EffectiveRoute {
  RouteSource source = RouteSource::kDefault;
  bool active = true;
  Prefix prefix;
  NextHopType next_hop_type = NextHopType::kNone;
  std::optional<IpAddress> next_hop_ip;
  std::string name;              // the user route's name; empty for system and BGP routes
  Index route_table = kNoIndex;  // user routes: the table that holds it
  /// BGP routes: the gateway that learned it. User routes to VirtualNetworkGateway: the
  /// gateway they reach (the VNet's own, else a peer's through useRemoteGateways), kNoIndex
  /// when there is none (azure-behaviour E6).
  Index gateway = kNoIndex;
  /// VirtualNetworkServiceEndpoint routes: the service (Microsoft.Storage); InterfaceEndpoint
  /// routes: the private endpoint's name.
  std::string service;
  Index private_endpoint = kNoIndex;  // InterfaceEndpoint routes
  std::string_view model;             // the models.h id the route rests on; empty: documented
};

/// Every route of the subnet, shadowed ones included, in longest-prefix order (IPv4 first,
/// then IPv6; longer prefixes first; on equal prefixes the active route first).
std::vector<EffectiveRoute> compute_effective_routes(const Topology& topology, Index subnet);

/// The virtual network gateway a subnet of `vnet` reaches: the VNet's own, else the one of a
/// peer it uses through useRemoteGateways (azure-egress-facts 1e); kNoIndex when none.
Index reachable_gateway(const Topology& topology, Index vnet);

const char* to_string(RouteSource s);

}  // namespace egress
