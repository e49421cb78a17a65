// A topology as a picture: VNets with their subnets, route tables, appliances, NAT gateways,
// load balancers, egress IPs and the Internet, in columns left to right (our own layered
// layout: each kind of resource a column, each column in the file's order), with paths drawn
// over it.
#pragma once

#include <string>
#include <vector>

#include "egress/config/topology.h"
#include "egress/report/path_diagram.h"

namespace egress {

/// One <svg class="topology-diagram">. The first kinds of `paths` (at most 8, one colour
/// each) are drawn through the nodes their hops name, with a legend.
std::string topology_diagram_svg(const Topology& topology, const std::vector<PathKind>& paths);

}  // namespace egress
