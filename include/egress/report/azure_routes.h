// Effective routes in Azure's own JSON shape, as `az network nic show-effective-route-table -o
// json` prints them (azure-behaviour F1), so a plain diff between the model and Azure works.
#pragma once

#include <string>
#include <vector>

#include "egress/config/topology.h"
#include "egress/engine/effective_routes.h"

namespace egress {

/// `routes` (compute_effective_routes' output for `subnet`) in the order Azure lists them:
/// default routes (the VNet's address space as written, peered address spaces, 0.0.0.0/0 and
/// ::/0 to Internet, the reserved ranges to None by address), then the gateway's BGP routes,
/// then the route table's user routes as written.
std::vector<EffectiveRoute> azure_route_order(const Topology& topology, Index subnet,
                                              std::vector<EffectiveRoute> routes);

/// `routes -o azure`: `{"value": [...]}`, each route with Azure's members (addressPrefix and
/// nextHopIpAddress as lists, name and disableBgpRoutePropagation), keys sorted and indented by
/// two as az's JSON output is, with a final newline. `routes` in any order; printed in
/// azure_route_order.
std::string routes_to_azure_json(const Topology& topology, Index subnet,
                                 const std::vector<EffectiveRoute>& routes);

}  // namespace egress
