// The builder every front end of a topology feeds (today the YAML reader; the ARM importer
// writes YAML and comes through it too): names registered per kind with duplicate checks,
// references resolved to indices once every name is known with dangling-reference errors and
// near-name hints, and then the normalisation of aks_normalisation_internal.h. Positions are
// the front end's (Pos); the rules about names live here once. Private to sim/config.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/aks_normalisation_internal.h"
#include "config/yaml_reader_internal.h"
#include "egress/config/topology.h"

namespace egress::internal {

// A name written where a resource is referred to, resolved once every name is known.
struct Ref {
  std::string name;
  Pos pos;
};

// The names of one kind of resource, for duplicate detection and reference resolution.
class NameTable {
 public:
  explicit NameTable(std::string kind) : kind_(std::move(kind)) {}

  // Reports duplicate-name (at the second definition) when `name` is already taken.
  void add(const std::string& name, Pos pos, Index index, Diagnostics& diags) {
    auto [it, inserted] = entries_.try_emplace(name, Entry{index, pos});
    if (!inserted) {
      diags.error("duplicate-name",
                  "duplicate " + kind_ + " name " + quote(name) + "; first defined at line " +
                      std::to_string(it->second.pos.line) + ", column " +
                      std::to_string(it->second.pos.column),
                  pos);
      return;
    }
    order_.push_back(name);
  }

  std::optional<Index> find(const std::string& name) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      return std::nullopt;
    }
    return it->second.index;
  }

  std::vector<std::string_view> names() const {
    return std::vector<std::string_view>(order_.begin(), order_.end());
  }

 private:
  struct Entry {
    Index index;
    Pos pos;
  };
  std::string kind_;
  std::unordered_map<std::string, Entry> entries_;
  std::vector<std::string> order_;
};

class TopologyBuilder {
 protected:
  /// `max_items` and `limit_hint` are the Diagnostics budget (see Diagnostics).
  TopologyBuilder(const std::string& file, size_t max_items, std::string limit_hint);

  /// Resolves every deferred reference, then normalises (aks_normalisation_internal.h).
  void finish();

  /// dangling-reference at `ref`, with `extra` or else the nearest of `candidates` as a hint.
  void dangling(const Ref& ref, std::string_view label, std::string_view collection,
                std::span<const std::string_view> candidates, std::string extra = {});
  /// The index `ref` names in `table`, or kNoIndex after dangling().
  Index resolve(const NameTable& table, const Ref& ref, std::string_view label,
                std::string_view collection);
  /// Subnets resolve by VNET/SUBNET, with a hint for a bare subnet name.
  Index resolve_subnet(const Ref& ref);

  template <class F>
  void defer(F&& fn) {
    deferred_.emplace_back(std::forward<F>(fn));
  }

  // Defers resolving `ref` against `table` into the Index that `target` returns.
  template <class Target>
  void defer_ref(std::optional<Ref> ref, const NameTable& table, std::string_view label,
                 std::string_view collection, Target target) {
    if (!ref) {
      return;
    }
    defer([this, ref = std::move(*ref), &table, label, collection, target] {
      target() = resolve(table, ref, label, collection);
    });
  }

  template <class Target>
  void defer_ref_list(std::vector<Ref> refs, const NameTable& table, std::string_view label,
                      std::string_view collection, Target target) {
    if (refs.empty()) {
      return;
    }
    defer([this, refs = std::move(refs), &table, label, collection, target] {
      for (const Ref& ref : refs) {
        Index index = resolve(table, ref, label, collection);
        if (index != kNoIndex) {
          target().push_back(index);
        }
      }
    });
  }
  // Subnet references resolve by VNET/SUBNET, with a hint for a bare subnet name.
  template <class Target>
  void defer_subnet(std::optional<Ref> ref, Target target) {
    if (!ref) {
      return;
    }
    defer([this, ref = std::move(*ref), target] { target() = resolve_subnet(ref); });
  }

  void resolve_members(const std::vector<Ref>& members, std::vector<PoolMember>& out);

  // The name of the element of `kind` that wrote each address first, and where.
  using AddressOwners = std::map<IpAddress, std::pair<std::string, Pos>>;
  // Records `address` as the address of `name`, or reports the element that has it already.
  void claim_address(AddressOwners& owners, const IpAddress& address, std::string_view kind,
                     const std::string& name, Pos pos);

  Topology topology_;
  Diagnostics diags_;
  std::vector<std::function<void()>> deferred_;
  // Per node pool, in cluster order; empty when the cluster has too many nodes to place.
  std::vector<NodePoolSource> node_pool_sources_;
  bool too_many_nodes_ = false;

  // Per kind of element, each id folded to lower case: the id as first written, and where.
  std::map<std::string, std::unordered_map<std::string, std::pair<std::string, Pos>>> ids_;
  // Each public IP address: the first public IP with it, and where that wrote it. Azure never
  // gives two public IPs one address, and SNAT results could not say which a flow left with.
  AddressOwners public_ip_addresses_;
  // Each private endpoint address: the first private endpoint with it, and where.
  AddressOwners private_endpoint_addresses_;

  NameTable vnet_names_{"vnet"};
  NameTable subnet_names_{"subnet"};
  NameTable route_table_names_{"route table"};
  NameTable public_ip_names_{"public IP"};
  NameTable public_ip_prefix_names_{"public IP prefix"};
  NameTable appliance_names_{"appliance"};
  NameTable nat_gateway_names_{"NAT gateway"};
  NameTable load_balancer_names_{"load balancer"};
  NameTable host_names_{"host"};
  NameTable gateway_names_{"gateway"};
  NameTable nsg_names_{"NSG"};
  NameTable node_pool_names_{"node pool"};
  NameTable service_tag_names_{"service tag"};
  NameTable application_security_group_names_{"application security group"};
  NameTable private_endpoint_names_{"private endpoint"};
};

}  // namespace egress::internal
