#include <algorithm>
#include <string>
#include <unordered_map>

#include "config/aks_normalisation_internal.h"

namespace egress::internal {
namespace {

// Azure reserves the first four addresses of every subnet and, for IPv4, the last one.
constexpr uint64_t kReservedAtStart = 4;

}  // namespace

// Peering is two-sided in Azure; a side written only once is completed here so the engine
// can walk peerings from either VNet.
void complete_peerings(Topology& topology, Diagnostics& diags) {
  for (Index v = 0; v < topology.vnets.size(); ++v) {
    Vnet& vnet = topology.vnets[v];
    std::unordered_map<Index, Pos> seen;
    for (const Peering& p : vnet.peerings) {
      if (p.remote_vnet == kNoIndex) {
        continue;
      }
      if (p.remote_vnet == v) {
        diags.error("bad-value", "vnet " + quote(vnet.name) + " cannot peer with itself", p.pos);
        continue;
      }
      auto [it, inserted] = seen.try_emplace(p.remote_vnet, p.pos);
      if (!inserted) {
        diags.error("duplicate-name",
                    "duplicate peering to " + quote(topology.vnets[p.remote_vnet].name) +
                        "; first defined at line " + std::to_string(it->second.line) + ", column " +
                        std::to_string(it->second.column),
                    p.pos);
      }
    }
  }
  auto declares = [&](Index from, Index to) {
    for (const Peering& p : topology.vnets[from].peerings) {
      if (p.remote_vnet == to) {
        return true;
      }
    }
    return false;
  };
  size_t count = topology.vnets.size();
  for (Index v = 0; v < count; ++v) {
    size_t declared = topology.vnets[v].peerings.size();
    for (size_t i = 0; i < declared; ++i) {
      Peering p = topology.vnets[v].peerings[i];
      if (!p.declared || p.remote_vnet == kNoIndex || p.remote_vnet == v ||
          declares(p.remote_vnet, v)) {
        continue;
      }
      Peering reverse = p;
      reverse.name.clear();
      reverse.id.clear();
      reverse.remote_vnet = v;
      reverse.declared = false;
      topology.vnets[p.remote_vnet].peerings.push_back(reverse);
    }
  }
}

// Node IPs not listed in the file are the subnet's first usable addresses, handed out in
// node order across pools; with the azure plugin each node's pod IPs follow its own.
void assign_node_addresses(Topology& topology, std::span<const NodePoolSource> pools,
                           Diagnostics& diags) {
  if (!topology.cluster || pools.size() != topology.cluster->node_pools.size()) {
    return;
  }
  Cluster& c = *topology.cluster;
  uint64_t per_node = c.network_plugin == NetworkPlugin::kAzure ? 1 + uint64_t{c.max_pods} : 1;
  std::unordered_map<Index, uint64_t> used;
  for (size_t i = 0; i < c.node_pools.size(); ++i) {
    NodePool& pool = c.node_pools[i];
    if (pools[i].explicit_addresses || pool.subnet == kNoIndex) {
      continue;
    }
    const Subnet& subnet = topology.subnets[pool.subnet];
    if (subnet.address_prefixes.empty()) {
      continue;
    }
    const Prefix& prefix = subnet.address_prefixes.front();
    uint64_t reserved = kReservedAtStart + (prefix.family() == Family::kV4 ? 1 : 0);
    uint64_t size = prefix.size();
    uint64_t usable = size > reserved ? size - reserved : 0;
    uint64_t& cursor = used[pool.subnet];
    uint64_t need = uint64_t{pool.nodes} * per_node;
    if (need > usable - cursor) {
      std::string message = "node pool " + quote(pool.name) + " needs " +
                            std::to_string(pool.nodes) + " nodes x " + std::to_string(per_node) +
                            (per_node == 1 ? " address" : " addresses") + " from " +
                            subnet.full_name + " (" + prefix.to_string() + ") but only ";
      if (cursor == 0) {
        message += std::to_string(usable) + " are usable";
      } else {
        message += std::to_string(usable - cursor) + " of its " + std::to_string(usable) +
                   " usable addresses are left";
      }
      diags.error("node-overflow", std::move(message), pools[i].nodes_pos);
      cursor = usable;
      continue;
    }
    pool.addresses.reserve(pool.nodes);
    for (uint64_t k = 0; k < pool.nodes; ++k) {
      auto address = prefix.address.offset(kReservedAtStart + cursor + k * per_node);
      if (address) {
        pool.addresses.push_back(*address);
      }
    }
    cursor += need;
  }
}

// azure-behaviour D6, model node-public-ip: Azure documents only that "each of the nodes in
// the node pool receives a unique public IP" from the prefix, not which; node k of the pools
// sharing a prefix takes its next address, in cluster order. Pools run out with the prefix
// (topology_checks reports node-public-ip-prefix-too-small).
void assign_node_public_ips(Topology& topology) {
  if (!topology.cluster) {
    return;
  }
  std::unordered_map<Index, uint64_t> used;
  for (NodePool& pool : topology.cluster->node_pools) {
    if (!pool.enable_node_public_ip || pool.node_public_ip_prefix == kNoIndex) {
      continue;
    }
    const Prefix& prefix = topology.public_ip_prefixes[pool.node_public_ip_prefix].prefix;
    uint64_t& cursor = used[pool.node_public_ip_prefix];
    uint64_t left = prefix.size() > cursor ? prefix.size() - cursor : 0;
    uint64_t take = std::min<uint64_t>(pool.nodes, left);
    pool.public_addresses.reserve(take);
    for (uint64_t k = 0; k < take; ++k) {
      if (auto address = prefix.address.offset(cursor + k)) {
        pool.public_addresses.push_back(*address);
      }
    }
    cursor += take;
  }
}

// AKS-managed VNets are created private (no default outbound access) since 31 March 2026.
void apply_managed_vnet_defaults(Topology& topology) {
  if (!topology.cluster || topology.cluster->vnet_mode != VnetMode::kManaged) {
    return;
  }
  for (const NodePool& pool : topology.cluster->node_pools) {
    if (pool.subnet == kNoIndex) {
      continue;
    }
    Subnet& subnet = topology.subnets[pool.subnet];
    if (!subnet.default_outbound_access_set) {
      subnet.default_outbound_access = false;
    }
  }
}

}  // namespace egress::internal
