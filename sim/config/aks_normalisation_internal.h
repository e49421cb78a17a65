// What Azure and AKS make of a topology once every name is resolved, whatever front end read
// it: the other side of each peering, the node IPs a file leaves to AKS, and the defaults of an
// AKS-managed VNet. Private to sim/config; TopologyBuilder::finish() runs them.
#pragma once

#include <span>

#include "config/yaml_reader_internal.h"
#include "egress/config/topology.h"

namespace egress::internal {

/// How a node pool was written, in cluster order: where its `nodes` count is (node-overflow
/// points there) and whether it lists its node IPs itself.
struct NodePoolSource {
  Pos nodes_pos;
  bool explicit_addresses = false;
};

/// Peering is two-sided in Azure: a side written only once gets its reverse (declared = false),
/// so the engine can walk peerings from either VNet. Self-peerings and duplicates are errors.
void complete_peerings(Topology& topology, Diagnostics& diags);

/// Node IPs of the pools that do not list them: the subnet's first usable addresses, in node
/// order across pools, each node's pod IPs after it with the azure plugin. node-overflow when a
/// subnet runs out. Does nothing unless `pools` describes every pool of the cluster.
void assign_node_addresses(Topology& topology, std::span<const NodePoolSource> pools,
                           Diagnostics& diags);

/// The public IPs of nodes whose pool takes them from a public IP prefix: the prefix's
/// addresses in node order, pools sharing a prefix continuing where the previous stopped
/// (azure-behaviour D6). A pool the prefix runs out for gets fewer addresses than nodes.
void assign_node_public_ips(Topology& topology);

/// AKS-managed VNets are private (no default outbound access) since 31 March 2026, unless the
/// file says otherwise.
void apply_managed_vnet_defaults(Topology& topology);

}  // namespace egress::internal
