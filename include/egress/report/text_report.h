// Human forms of results: short tables a person reads in a terminal.
#pragma once

#include <string>
#include <vector>

#include "egress/config/topology.h"
#include "egress/engine/effective_routes.h"
#include "egress/engine/flow.h"

namespace egress {

/// `trace`: the flow, a hop table (hop, at, route or rule, action, address), then the verdict,
/// the public IP and port and the set of possible egress IPs, and the models that applied.
std::string format_trace(const FlowResult& result);

/// `routes`: the effective route table like `az network nic show-effective-route-table -o table`.
std::string format_routes(const Topology& topology, Index subnet,
                          const std::vector<EffectiveRoute>& routes);

}  // namespace egress
