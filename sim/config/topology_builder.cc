#include "config/topology_builder_internal.h"

namespace egress::internal {

TopologyBuilder::TopologyBuilder(const std::string& file, size_t max_items, std::string limit_hint)
    : diags_(file, max_items, std::move(limit_hint)) {
  topology_.file = file;
}

void TopologyBuilder::finish() {
  for (auto& resolve : deferred_) {
    resolve();
  }
  deferred_.clear();
  complete_peerings(topology_, diags_);
  if (!too_many_nodes_) {
    assign_node_addresses(topology_, node_pool_sources_, diags_);
    assign_node_public_ips(topology_);
  }
  apply_managed_vnet_defaults(topology_);
}

void TopologyBuilder::dangling(const Ref& ref, std::string_view label, std::string_view collection,
                               std::span<const std::string_view> candidates, std::string extra) {
  std::string message =
      std::string(label) + " " + quote(ref.name) + " is not defined in " + std::string(collection);
  if (!extra.empty()) {
    message += extra;
  } else if (auto near = internal::closest(ref.name, candidates); !near.empty()) {
    message += "; did you mean '" + std::string(near) + "'?";
  }
  diags_.error("dangling-reference", std::move(message), ref.pos);
}

Index TopologyBuilder::resolve(const NameTable& table, const Ref& ref, std::string_view label,
                               std::string_view collection) {
  if (auto index = table.find(ref.name)) {
    return *index;
  }
  auto names = table.names();
  dangling(ref, label, collection, names);
  return kNoIndex;
}

Index TopologyBuilder::resolve_subnet(const Ref& ref) {
  if (auto index = subnet_names_.find(ref.name)) {
    return *index;
  }
  std::string extra;
  if (ref.name.find('/') == std::string::npos) {
    extra = "; subnets are referred to as VNET/SUBNET";
    for (const Subnet& s : topology_.subnets) {
      if (s.name == ref.name && !s.full_name.empty()) {
        extra += ", e.g. '" + s.full_name + "'";
        break;
      }
    }
  }
  auto names = subnet_names_.names();
  dangling(ref, "subnet", "vnets", names, extra);
  return kNoIndex;
}

void TopologyBuilder::claim_address(AddressOwners& owners, const IpAddress& address,
                                    std::string_view kind, const std::string& name, Pos pos) {
  auto [first, fresh] = owners.try_emplace(address, name, pos);
  if (!fresh) {
    const auto& [other, other_pos] = first->second;
    diags_.error("duplicate-address",
                 "address " + address.to_string() + " of " + std::string(kind) + " " + quote(name) +
                     " is already the address of " + std::string(kind) + " " + quote(other) +
                     " (line " + std::to_string(other_pos.line) + ", column " +
                     std::to_string(other_pos.column) + ")",
                 pos);
  }
}

void TopologyBuilder::resolve_members(const std::vector<Ref>& members,
                                      std::vector<PoolMember>& out) {
  for (const Ref& ref : members) {
    auto pool = node_pool_names_.find(ref.name);
    auto host = host_names_.find(ref.name);
    if (pool && host) {
      diags_.error(
          "ambiguous-reference",
          "member " + quote(ref.name) + " names both a node pool and a host; rename one of them",
          ref.pos);
    } else if (pool) {
      out.push_back(PoolMember{PoolMember::Kind::kNodePool, *pool});
    } else if (host) {
      out.push_back(PoolMember{PoolMember::Kind::kHost, *host});
    } else {
      std::vector<std::string_view> candidates = node_pool_names_.names();
      for (std::string_view h : host_names_.names()) {
        candidates.push_back(h);
      }
      std::string message =
          "member " + quote(ref.name) + " is neither a node pool of the cluster nor a host";
      if (auto near = internal::closest(ref.name, candidates); !near.empty()) {
        message += "; did you mean '" + std::string(near) + "'?";
      }
      diags_.error("dangling-reference", std::move(message), ref.pos);
    }
  }
}

}  // namespace egress::internal
