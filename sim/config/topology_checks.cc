#include "egress/config/topology_checks.h"

#include <algorithm>
#include <map>

namespace egress {
namespace {

class Findings {
 public:
  explicit Findings(const Topology& t) : t_(t) {}

  void add(std::string code, std::string message, Pos pos) {
    out_.push_back(Diagnostic{std::move(code), std::move(message), t_.at(pos)});
  }

  std::vector<Diagnostic> take() {
    std::stable_sort(out_.begin(), out_.end(), [](const Diagnostic& a, const Diagnostic& b) {
      return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
    });
    return std::move(out_);
  }

 private:
  const Topology& t_;
  std::vector<Diagnostic> out_;
};

bool in_any(const std::vector<Prefix>& prefixes, const IpAddress& a) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const Prefix& p) { return p.contains(a); });
}

bool inside_any(const std::vector<Prefix>& outer, const Prefix& p) {
  return std::any_of(outer.begin(), outer.end(), [&](const Prefix& o) { return o.contains(p); });
}

void check_subnets(const Topology& t, Findings& f) {
  for (const Vnet& vnet : t.vnets) {
    for (size_t i = 0; i < vnet.subnets.size(); ++i) {
      const Subnet& a = t.subnets[vnet.subnets[i]];
      for (const Prefix& p : a.address_prefixes) {
        if (!inside_any(vnet.address_space, p)) {
          f.add("subnet-outside-address-space",
                "subnet " + a.full_name + " (" + p.to_string() +
                    ") is outside the address space of VNet " + vnet.name,
                a.pos);
        }
      }
      for (size_t j = 0; j < i; ++j) {
        const Subnet& b = t.subnets[vnet.subnets[j]];
        for (const Prefix& p : a.address_prefixes) {
          for (const Prefix& q : b.address_prefixes) {
            if (p.overlaps(q)) {
              f.add("subnets-overlap",
                    "subnet " + a.full_name + " (" + p.to_string() + ") overlaps " + b.full_name +
                        " (" + q.to_string() + ")",
                    a.pos);
            }
          }
        }
      }
    }
    for (const Peering& peering : vnet.peerings) {
      const Vnet& remote = t.vnets[peering.remote_vnet];
      for (const Prefix& p : vnet.address_space) {
        for (const Prefix& q : remote.address_space) {
          if (peering.declared && p.overlaps(q)) {
            f.add("peered-address-space-overlap",
                  "VNet " + vnet.name + " (" + p.to_string() + ") overlaps its peer " +
                      remote.name + " (" + q.to_string() + "); Azure refuses such a peering",
                  peering.pos);
          }
        }
      }
    }
  }
}

void check_routes(const Topology& t, Findings& f) {
  std::map<IpAddress, Index> appliance_by_ip;
  for (Index a = 0; a < t.appliances.size(); ++a) {
    appliance_by_ip.emplace(t.appliances[a].private_ip, a);
  }
  for (Index rt = 0; rt < t.route_tables.size(); ++rt) {
    const RouteTable& table = t.route_tables[rt];
    // azure-egress-facts 1c: "Azure supports a maximum of 400 routes in a UDR".
    if (table.routes.size() > 400) {
      f.add("route-table-too-large",
            "route table " + table.name + " has " + std::to_string(table.routes.size()) +
                " routes; Azure allows at most 400",
            table.pos);
    }
    for (size_t i = 0; i < table.routes.size(); ++i) {
      const Route& r = table.routes[i];
      for (size_t j = 0; j < i; ++j) {
        if (table.routes[j].prefix == r.prefix) {
          f.add("duplicate-route-prefix",
                "route " + r.name + " repeats the prefix " + r.prefix.to_string() + " of route " +
                    table.routes[j].name + "; only the first applies",
                r.pos);
          break;
        }
      }
      if (r.next_hop_type != NextHopType::kVirtualAppliance && r.next_hop_ip) {
        // azure-egress-facts 1c: nextHopIpAddress is allowed only for VirtualAppliance.
        f.add("next-hop-ip-not-allowed",
              "route " + r.name + ": nextHopIpAddress is only allowed with VirtualAppliance, not " +
                  to_string(r.next_hop_type) + "; it is ignored",
              r.next_hop_pos);
      }
      if (r.next_hop_type == NextHopType::kVirtualAppliance && r.next_hop_ip &&
          !appliance_by_ip.contains(*r.next_hop_ip)) {
        f.add("next-hop-ip-not-owned",
              "route " + r.name + ": no appliance owns next hop " + r.next_hop_ip->to_string() +
                  "; traffic on this route is dropped (modelled: appliance-missing-drops)",
              r.next_hop_pos);
      }
    }
  }
  // azure-egress-facts 1c: an NVA in the subnet whose traffic it handles can loop.
  for (const Subnet& s : t.subnets) {
    if (s.route_table == kNoIndex) {
      continue;
    }
    for (const Route& r : t.route_tables[s.route_table].routes) {
      auto it = r.next_hop_ip ? appliance_by_ip.find(*r.next_hop_ip) : appliance_by_ip.end();
      if (r.next_hop_type == NextHopType::kVirtualAppliance && it != appliance_by_ip.end() &&
          &t.subnets[t.appliances[it->second].subnet] == &s) {
        f.add("appliance-in-routed-subnet",
              "route " + r.name + " sends traffic of " + s.full_name + " to appliance " +
                  t.appliances[it->second].name +
                  " in the same subnet; Azure advises a "
                  "separate subnet to avoid routing loops",
              r.pos);
      }
    }
  }
}

void check_addresses(const Topology& t, Findings& f) {
  std::map<IpAddress, std::string> owner;
  auto claim = [&](const IpAddress& ip, const std::string& who, Pos pos) {
    auto [it, fresh] = owner.emplace(ip, who);
    if (!fresh) {
      f.add("address-in-use", ip.to_string() + " of " + who + " is already used by " + it->second,
            pos);
    }
  };
  auto check_in_subnet = [&](const IpAddress& ip, Index subnet, const std::string& who, Pos pos) {
    if (!in_any(t.subnets[subnet].address_prefixes, ip)) {
      f.add(
          "address-outside-subnet",
          who + " address " + ip.to_string() + " is outside subnet " + t.subnets[subnet].full_name,
          pos);
    }
  };
  if (t.cluster) {
    for (const NodePool& pool : t.cluster->node_pools) {
      for (size_t k = 0; k < pool.addresses.size(); ++k) {
        std::string who = "node " + std::to_string(k) + " of pool " + pool.name;
        claim(pool.addresses[k], who, pool.pos);
        check_in_subnet(pool.addresses[k], pool.subnet, who, pool.pos);
      }
    }
  }
  for (const Host& h : t.hosts) {
    claim(h.address, "host " + h.name, h.pos);
    check_in_subnet(h.address, h.subnet, "host " + h.name, h.pos);
  }
  for (const Appliance& a : t.appliances) {
    claim(a.private_ip, "appliance " + a.name, a.pos);
    check_in_subnet(a.private_ip, a.subnet, "appliance " + a.name, a.pos);
  }
}

void check_nat_gateways(const Topology& t, Findings& f) {
  for (Index g = 0; g < t.nat_gateways.size(); ++g) {
    const NatGateway& nat = t.nat_gateways[g];
    uint64_t addresses = nat.public_ips.size();
    for (Index p : nat.public_ip_prefixes) {
      const Prefix& prefix = t.public_ip_prefixes[p].prefix;
      addresses += prefix.size();
      // azure-egress-facts 3b: prefixes of /28 to /31.
      if (prefix.address.is_v4() && (prefix.length < 28 || prefix.length > 31)) {
        f.add("nat-gateway-prefix-size",
              "NAT gateway " + nat.name + ": public IP prefix " + prefix.to_string() +
                  " is not /28 to /31",
              nat.pos);
      }
    }
    // azure-egress-facts 3b: up to 16 IPv4 addresses.
    if (addresses > 16) {
      f.add("nat-gateway-too-many-ips",
            "NAT gateway " + nat.name + " has " + std::to_string(addresses) +
                " public addresses; Azure allows at most 16",
            nat.pos);
    }
    // azure-egress-facts 3b: one gateway cannot span VNets.
    Index vnet = kNoIndex;
    for (const Subnet& s : t.subnets) {
      if (s.nat_gateway != g) {
        continue;
      }
      if (vnet != kNoIndex && vnet != s.vnet) {
        f.add("nat-gateway-spans-vnets",
              "NAT gateway " + nat.name + " is attached to subnets of VNets " + t.vnets[vnet].name +
                  " and " + t.vnets[s.vnet].name + "; a NAT gateway cannot span VNets",
              s.pos);
      }
      vnet = s.vnet;
    }
  }
}

uint64_t pool_size(const Topology& t, const BackendPool& pool) {
  uint64_t n = 0;
  for (const PoolMember& m : pool.members) {
    n += m.kind == PoolMember::Kind::kHost ? 1 : t.cluster->node_pools[m.index].addresses.size();
  }
  return n;
}

void check_load_balancers(const Topology& t, Findings& f) {
  for (const LoadBalancer& lb : t.load_balancers) {
    for (const OutboundRule& rule : lb.outbound_rules) {
      uint32_t ports = rule.allocated_outbound_ports;
      // azure-egress-facts 3a: a multiple of 8, within what the frontends hold.
      if (ports % 8 != 0) {
        f.add("allocated-ports-multiple-of-8",
              "outbound rule " + rule.name + ": allocatedOutboundPorts " + std::to_string(ports) +
                  " is not a multiple of 8",
              rule.pos);
      }
      uint64_t instances = pool_size(t, lb.backend_pools[rule.backend_pool]);
      uint64_t available = 64000ULL * rule.frontends.size();
      if (ports != 0 && instances * ports > available) {
        f.add("allocated-ports-exceed-frontends",
              "outbound rule " + rule.name + ": " + std::to_string(instances) + " instances x " +
                  std::to_string(ports) + " ports exceed the " + std::to_string(available) +
                  " ports of " + std::to_string(rule.frontends.size()) + " frontend IP(s)",
              rule.pos);
      }
      if (ports == 0 && instances > 1000) {
        f.add("backend-pool-too-large",
              "outbound rule " + rule.name + ": " + std::to_string(instances) +
                  " instances exceed Azure's default port table (at most 1000)",
              rule.pos);
      }
    }
  }
}

std::vector<Index> node_subnets(const Cluster& c) {
  std::vector<Index> out;
  for (const NodePool& pool : c.node_pools) {
    if (std::find(out.begin(), out.end(), pool.subnet) == out.end()) {
      out.push_back(pool.subnet);
    }
  }
  return out;
}

void require_vnet_mode(const Cluster& c, VnetMode mode, Findings& f) {
  if (c.vnet_mode == mode) {
    return;
  }
  bool managed = mode == VnetMode::kManaged;
  f.add(managed ? "outbound-type-requires-managed-vnet" : "outbound-type-requires-byo-vnet",
        std::string("outboundType ") + to_string(c.outbound_type) + " needs " +
            (managed ? "an AKS-managed VNet (vnetMode: managed)"
                     : "a bring-your-own VNet (vnetMode: byo)"),
        c.outbound_type_pos);
}

void require_nat_gateway(const Topology& t, const Cluster& c, Findings& f) {
  if (c.nat_gateway == kNoIndex) {
    f.add("nat-gateway-missing",
          std::string("outboundType ") + to_string(c.outbound_type) + " needs cluster.natGateway",
          c.outbound_type_pos);
    return;
  }
  for (Index s : node_subnets(c)) {
    if (t.subnets[s].nat_gateway != c.nat_gateway) {
      f.add("nat-gateway-not-attached",
            "NAT gateway " + t.nat_gateways[c.nat_gateway].name +
                " is not attached to node subnet " + t.subnets[s].full_name,
            t.subnets[s].pos);
    }
  }
}

void check_udr_default_route(const Topology& t, const Cluster& c, Findings& f) {
  for (Index s : node_subnets(c)) {
    const Subnet& subnet = t.subnets[s];
    const Route* default_route = nullptr;
    if (subnet.route_table != kNoIndex) {
      for (const Route& r : t.route_tables[subnet.route_table].routes) {
        if (r.prefix.address.is_v4() && r.prefix.length == 0) {
          default_route = &r;
          break;
        }
      }
    }
    // azure-egress-facts 4: the codes and texts AKS returns.
    if (default_route == nullptr) {
      f.add("RouteTableMissingDefaultRouteError",
            "node subnet " + subnet.full_name +
                " has no route table with a 0.0.0.0/0 route; userDefinedRouting needs one to a "
                "VirtualAppliance or VirtualNetworkGateway",
            subnet.pos);
    } else if (default_route->next_hop_type != NextHopType::kVirtualAppliance &&
               default_route->next_hop_type != NextHopType::kVirtualNetworkGateway) {
      f.add("RouteTableInvalidNextHop",
            std::string("Default route 0.0.0.0/0 has a next hop of ") +
                to_string(default_route->next_hop_type) +
                " but only next hops of VirtualAppliance or VirtualNetworkGateway are allowed",
            default_route->pos);
    }
  }
}

void check_cluster(const Topology& t, Findings& f) {
  if (!t.cluster) {
    return;
  }
  const Cluster& c = *t.cluster;
  // azure-egress-facts 4 and the outbound types article: every type needs VMSS and Standard LB.
  if (c.vm_set_type != VmSetType::kVirtualMachineScaleSets) {
    f.add("outbound-type-requires-vmss",
          "outboundType needs vmSetType VirtualMachineScaleSets, not AvailabilitySet",
          c.vm_set_type_pos);
  }
  if (c.load_balancer_sku != LoadBalancerSku::kStandard) {
    f.add("outbound-type-requires-standard-lb",
          "outboundType needs loadBalancerSku standard, not basic", c.load_balancer_sku_pos);
  }
  if (c.network_plugin != NetworkPlugin::kAzure && !c.pod_cidr) {
    f.add("pod-cidr-missing",
          std::string("networkPlugin ") + to_string(c.network_plugin) +
              " needs podCidr; pods are not recognised without it",
          c.pos);
  }
  if (c.pod_cidr) {
    for (const Vnet& v : t.vnets) {
      for (const Prefix& p : v.address_space) {
        // azure-egress-facts 5: the pod CIDR must not overlap networks the cluster reaches.
        if (p.overlaps(*c.pod_cidr)) {
          f.add("pod-cidr-overlaps-vnet",
                "podCidr " + c.pod_cidr->to_string() + " overlaps VNet " + v.name + " (" +
                    p.to_string() + ")",
                c.pos);
        }
      }
    }
  }

  switch (c.outbound_type) {
    case OutboundType::kLoadBalancer: {
      if (c.load_balancer == kNoIndex) {
        f.add("load-balancer-missing", "outboundType loadBalancer needs cluster.loadBalancer",
              c.outbound_type_pos);
        break;
      }
      const LoadBalancer& lb = t.load_balancers[c.load_balancer];
      for (Index p = 0; p < c.node_pools.size(); ++p) {
        bool covered = std::any_of(
            lb.outbound_rules.begin(), lb.outbound_rules.end(), [&](const OutboundRule& r) {
              const auto& members = lb.backend_pools[r.backend_pool].members;
              return std::any_of(members.begin(), members.end(), [&](const PoolMember& m) {
                return m.kind == PoolMember::Kind::kNodePool && m.index == p;
              });
            });
        if (!covered) {
          f.add("node-pool-not-in-outbound-rule",
                "node pool " + c.node_pools[p].name + " is in no outbound rule of load balancer " +
                    lb.name,
                c.node_pools[p].pos);
        }
      }
      // semantics.md 4 precedence: a NAT gateway left on a node subnet takes the traffic.
      for (Index s : node_subnets(c)) {
        if (t.subnets[s].nat_gateway != kNoIndex) {
          f.add("nat-gateway-overrides-outbound-type",
                "node subnet " + t.subnets[s].full_name + " has NAT gateway " +
                    t.nat_gateways[t.subnets[s].nat_gateway].name +
                    ", which takes egress before the load balancer whatever outboundType says",
                t.subnets[s].pos);
        }
      }
      break;
    }
    case OutboundType::kManagedNatGateway:
      require_vnet_mode(c, VnetMode::kManaged, f);
      require_nat_gateway(t, c, f);
      break;
    case OutboundType::kUserAssignedNatGateway:
      require_vnet_mode(c, VnetMode::kByo, f);
      require_nat_gateway(t, c, f);
      break;
    case OutboundType::kUserDefinedRouting:
      // azure-egress-facts 4: UDR needs a BYO subnet whose table sends 0/0 to an NVA or gateway.
      require_vnet_mode(c, VnetMode::kByo, f);
      check_udr_default_route(t, c, f);
      if (c.load_balancer != kNoIndex &&
          !t.load_balancers[c.load_balancer].outbound_rules.empty()) {
        const LoadBalancer& lb = t.load_balancers[c.load_balancer];
        f.add("udr-load-balancer-outbound-rules",
              "load balancer " + lb.name +
                  " has outbound rules, but with userDefinedRouting AKS configures none",
              lb.outbound_rules.front().pos);
      }
      break;
    case OutboundType::kBlock:
      // azure-egress-facts 4: block is for network-isolated clusters in a managed VNet.
      require_vnet_mode(c, VnetMode::kManaged, f);
      break;
    case OutboundType::kNone:
      break;
  }
}

}  // namespace

std::vector<Diagnostic> check_topology(const Topology& topology) {
  Findings f(topology);
  check_subnets(topology, f);
  check_routes(topology, f);
  check_addresses(topology, f);
  check_nat_gateways(topology, f);
  check_load_balancers(topology, f);
  check_cluster(topology, f);
  return f.take();
}

}  // namespace egress
