#include "egress/config/topology_checks.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "egress/config/service_endpoints.h"
#include "egress/engine/effective_routes.h"

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

// azure-behaviour E1, E2: the sizes Azure accepts, and what GatewaySubnet may not hold.
void check_subnet_limits(const Topology& t, const Subnet& s, Findings& f) {
  for (const Prefix& p : s.address_prefixes) {
    if (p.address.is_v4() && p.length > 29) {
      f.add("subnet-too-small",
            "subnet " + s.full_name + " (" + p.to_string() +
                "): Azure: \"The smallest supported IPv4 subnet is /29\"",
            s.pos);
    } else if (!p.address.is_v4() && p.length != 64) {
      f.add("subnet-too-small",
            "subnet " + s.full_name + " (" + p.to_string() +
                "): Azure: \"IPv6 subnets must be exactly /64 in size\"",
            s.pos);
    }
    if (s.name == "AzureFirewallSubnet" && p.address.is_v4() && p.length > 26) {
      f.add("firewall-subnet-too-small",
            "subnet " + s.full_name + " (" + p.to_string() +
                "): Azure Firewall needs a dedicated subnet named "
                "AzureFirewallSubnet of at least /26",
            s.pos);
    }
  }
  if (s.name == "GatewaySubnet" && s.nat_gateway != kNoIndex) {
    f.add("nat-gateway-on-gateway-subnet",
          "subnet " + s.full_name + " has NAT gateway " + t.nat_gateways[s.nat_gateway].name +
              "; Azure: a NAT gateway can't be associated with the GatewaySubnet",
          s.pos);
  }
}

void check_subnets(const Topology& t, Findings& f) {
  for (const Vnet& vnet : t.vnets) {
    for (size_t i = 0; i < vnet.subnets.size(); ++i) {
      const Subnet& a = t.subnets[vnet.subnets[i]];
      check_subnet_limits(t, a, f);
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

// --- routing loops ----------------------------------------------------------------------------
//
// An appliance forwards a packet by looking its destination up again in its own subnet's
// effective routes (semantics.md 3), so routes that send a destination from appliance to
// appliance and back loop until the engine's 16-hop limit drops the packet. Where they loop is
// computed on prefixes, not sampled: every route prefix of the appliances' subnets goes into one
// containment forest, and the addresses of a node that none of its children hold (its class)
// have the same longest match in every one of those subnets. Per class, each appliance's next
// hop is one appliance or none, so the loops are the cycles of that function.

// The two halves of `p` (shorter than the address width).
std::pair<Prefix, Prefix> halves(const Prefix& p) {
  int length = p.length + 1;
  const IpAddress& a = p.address;
  IpAddress upper;
  if (a.is_v4()) {
    upper = IpAddress::v4(a.v4_bits() | (1U << (31 - p.length)));
  } else if (p.length < 64) {
    upper = IpAddress::v6(a.hi() | (uint64_t{1} << (63 - p.length)), a.lo());
  } else {
    upper = IpAddress::v6(a.hi(), a.lo() | (uint64_t{1} << (127 - p.length)));
  }
  return {Prefix{a, length}, Prefix{upper, length}};
}

// Whether `children` (inside `p`, disjoint, sorted by address) cover all of `p`. Linear in
// their number times the prefix length, however many there are.
bool covered(const Prefix& p, std::span<const Prefix> children) {
  if (children.empty()) {
    return false;
  }
  if (children.front() == p) {
    return true;
  }
  auto [lower, upper] = halves(p);
  // A copy: clang before 16 cannot capture a structured binding in a lambda.
  const IpAddress middle = upper.address;
  auto split = std::partition_point(children.begin(), children.end(),
                                    [&](const Prefix& c) { return c.address < middle; });
  auto at = static_cast<size_t>(split - children.begin());
  return covered(lower, children.first(at)) && covered(upper, children.subspan(at));
}

class LoopFinder {
 public:
  LoopFinder(const Topology& t, Findings& f) : t_(t), f_(f) {}

  void run() {
    find_edges();
    if (moving_.empty()) {
      return;
    }
    build_forest();
    // Walk the forest in order, keeping each subnet's longest match for the current node: the
    // route written for the node's prefix, else its parent's (a route holding the node holds
    // its parent, the shortest prefix around it).
    std::vector<int> match(subnets_.size(), -1);
    std::vector<std::pair<size_t, int>> undo;     // (subnet slot, its match before)
    std::vector<std::pair<size_t, size_t>> path;  // (node, undo size when it was entered)
    for (size_t n = 0; n < nodes_.size(); ++n) {
      while (!path.empty() && path.back().first != nodes_[n].parent) {
        for (size_t u = undo.size(); u > path.back().second; --u) {
          match[undo[u - 1].first] = undo[u - 1].second;
        }
        undo.resize(path.back().second);
        path.pop_back();
      }
      path.emplace_back(n, undo.size());
      for (auto [slot, route] : nodes_[n].routes) {
        undo.emplace_back(slot, match[slot]);
        match[slot] = route;
      }
      std::vector<Prefix> children;
      for (size_t c : nodes_[n].children) {
        children.push_back(nodes_[c].prefix);
      }
      nodes_[n].empty = covered(nodes_[n].prefix, children);
      if (!nodes_[n].empty) {
        find_cycles(n, match);
      }
    }
    marked_.assign(nodes_.size(), false);
    for (const auto& [steps, classes] : loops_) {
      report(steps, classes);
    }
  }

 private:
  static constexpr size_t kNone = SIZE_MAX;

  struct SubnetRoutes {
    std::vector<EffectiveRoute> routes;  // the active ones
    std::vector<Index> next;             // per route: the forwarding appliance it sends to
    std::vector<Pos> pos;                // per route: where a user route is written
  };
  struct Node {
    Prefix prefix;
    size_t parent = kNone;
    std::vector<size_t> children;                // sorted by address
    std::vector<std::pair<size_t, int>> routes;  // (subnet slot, route) with this prefix
    bool empty = false;                          // the children cover it
  };
  // One step of a loop: the appliance, and the route of its subnet that sends the packet on.
  struct Step {
    Index appliance;
    int route;
    friend auto operator<=>(const Step&, const Step&) = default;
  };

  void find_edges() {
    std::map<IpAddress, Index> owner;
    for (Index a = 0; a < t_.appliances.size(); ++a) {
      owner.emplace(t_.appliances[a].private_ip, a);  // the engine's choice: the first owner
    }
    std::map<Index, size_t> subnet_slot;
    std::vector<bool> slot_moves;
    appliance_slot_.assign(t_.appliances.size(), kNone);
    for (Index a = 0; a < t_.appliances.size(); ++a) {
      const Appliance& app = t_.appliances[a];
      if (!app.ip_forwarding || app.subnet == kNoIndex) {
        continue;  // it drops what it is sent: no hop onward
      }
      auto [it, fresh] = subnet_slot.try_emplace(app.subnet, subnets_.size());
      appliance_slot_[a] = it->second;
      if (!fresh) {
        if (slot_moves[it->second]) {
          moving_.push_back(a);
        }
        continue;
      }
      SubnetRoutes sr;
      bool moves = false;
      std::unordered_map<std::string_view, Pos> written;
      if (Index rt = t_.subnets[app.subnet].route_table; rt != kNoIndex) {
        for (const Route& route : t_.route_tables[rt].routes) {
          written.emplace(route.name, route.pos);
        }
      }
      for (EffectiveRoute& r : compute_effective_routes(t_, app.subnet)) {
        if (!r.active) {
          continue;
        }
        Index to = kNoIndex;
        if (r.next_hop_type == NextHopType::kVirtualAppliance && r.next_hop_ip) {
          auto o = owner.find(*r.next_hop_ip);
          if (o != owner.end() && t_.appliances[o->second].ip_forwarding) {
            to = o->second;
            moves = true;
          }
        }
        auto w = written.find(r.name);
        sr.pos.push_back(w != written.end() ? w->second : Pos{});
        sr.routes.push_back(std::move(r));
        sr.next.push_back(to);
      }
      subnets_.push_back(std::move(sr));
      slot_moves.push_back(moves);
      if (moves) {
        moving_.push_back(a);
      }
    }
  }

  void build_forest() {
    std::vector<std::pair<Prefix, std::pair<size_t, int>>> all;
    for (size_t slot = 0; slot < subnets_.size(); ++slot) {
      const auto& routes = subnets_[slot].routes;
      for (size_t r = 0; r < routes.size(); ++r) {
        all.push_back({routes[r].prefix, {slot, static_cast<int>(r)}});
      }
    }
    // By address, then length: a prefix comes after every prefix holding it.
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return std::tie(a.first.address, a.first.length, a.second) <
             std::tie(b.first.address, b.first.length, b.second);
    });
    std::vector<size_t> open;
    for (const auto& [p, route] : all) {
      if (!nodes_.empty() && nodes_.back().prefix == p) {
        nodes_.back().routes.push_back(route);
        continue;
      }
      while (!open.empty() && !nodes_[open.back()].prefix.contains(p)) {
        open.pop_back();
      }
      Node node{p, open.empty() ? kNone : open.back(), {}, {route}, false};
      if (node.parent != kNone) {
        nodes_[node.parent].children.push_back(nodes_.size());
      }
      open.push_back(nodes_.size());
      nodes_.push_back(std::move(node));
    }
  }

  // The cycles of "appliance -> the appliance its subnet's longest match sends to" for the
  // class of node `n`. Only appliances whose subnet has a route to another appliance can be
  // on one.
  void find_cycles(size_t n, const std::vector<int>& match) {
    auto next = [&](Index a) -> std::optional<Step> {
      size_t slot = appliance_slot_[a];
      if (slot == kNone || match[slot] < 0 ||
          subnets_[slot].next[static_cast<size_t>(match[slot])] == kNoIndex) {
        return std::nullopt;
      }
      return Step{a, match[slot]};
    };
    // 0: not seen; 1: on the current path; 2: done.
    state_.resize(t_.appliances.size(), 0);
    std::vector<Index> seen;
    for (Index start : moving_) {
      std::vector<Index> path;
      Index a = start;
      while (state_[a] == 0) {
        state_[a] = 1;
        path.push_back(a);
        std::optional<Step> step = next(a);
        if (!step) {
          break;
        }
        a = subnets_[appliance_slot_[a]].next[static_cast<size_t>(step->route)];
      }
      if (state_[a] == 1 && next(a)) {
        // `a` is on the current path and leads on: from it to the path's end is a cycle.
        std::vector<Step> steps;
        for (auto it = std::find(path.begin(), path.end(), a); it != path.end(); ++it) {
          steps.push_back(*next(*it));
        }
        add_loop(std::move(steps), n);
      }
      for (Index p : path) {
        state_[p] = 2;
      }
      seen.insert(seen.end(), path.begin(), path.end());
    }
    for (Index p : seen) {
      state_[p] = 0;
    }
  }

  const EffectiveRoute& effective(const Step& step) const {
    return subnets_[appliance_slot_[step.appliance]].routes[static_cast<size_t>(step.route)];
  }

  Pos pos_of(const Step& step) const {
    return subnets_[appliance_slot_[step.appliance]].pos[static_cast<size_t>(step.route)];
  }

  // A loop is kept from the route written first in the file, so that it is found once and
  // reported there whichever appliance the search started from.
  void add_loop(std::vector<Step> steps, size_t n) {
    auto earliest = std::min_element(steps.begin(), steps.end(), [&](const Step& x, const Step& y) {
      Pos px = pos_of(x);
      Pos py = pos_of(y);
      return std::tie(px.line, px.column, x.appliance) < std::tie(py.line, py.column, y.appliance);
    });
    std::rotate(steps.begin(), earliest, steps.end());
    loops_[steps].push_back(n);
  }

  // Whether the class of `n` loops: it is marked, or empty and goes with its parent.
  bool in_loop(size_t n) const {
    for (; n != kNone; n = nodes_[n].parent) {
      if (marked_[n]) {
        return true;
      }
      if (!nodes_[n].empty) {
        return false;
      }
    }
    return false;
  }

  // The prefixes of the marked classes: each highest marked node, without its highest
  // descendants that do not loop.
  std::string where(const std::vector<size_t>& classes) {
    for (size_t n : classes) {
      marked_[n] = true;
    }
    std::string out;
    for (size_t n : classes) {
      if (nodes_[n].parent != kNone && in_loop(nodes_[n].parent)) {
        continue;
      }
      out += (out.empty() ? "" : ", ") + nodes_[n].prefix.to_string();
      std::string except;
      std::vector<size_t> pending(nodes_[n].children.rbegin(), nodes_[n].children.rend());
      while (!pending.empty()) {
        size_t c = pending.back();
        pending.pop_back();
        if (marked_[c] || nodes_[c].empty) {
          pending.insert(pending.end(), nodes_[c].children.rbegin(), nodes_[c].children.rend());
        } else {
          except += (except.empty() ? "" : ", ") + nodes_[c].prefix.to_string();
        }
      }
      if (!except.empty()) {
        out += " (except " + except + ")";
      }
    }
    for (size_t n : classes) {
      marked_[n] = false;
    }
    return out;
  }

  void report(const std::vector<Step>& steps, const std::vector<size_t>& classes) {
    std::string chain;
    for (size_t i = 0; i < steps.size(); ++i) {
      const EffectiveRoute& r = effective(steps[i]);
      Index to =
          subnets_[appliance_slot_[steps[i].appliance]].next[static_cast<size_t>(steps[i].route)];
      chain += i == 0 ? "" : ", ";
      chain += "route table " + t_.route_tables[r.route_table].name + " route " + r.name + " (" +
               r.prefix.to_string() + " -> " + r.next_hop_ip->to_string() + ")" +
               (i == 0 ? " sends packets" : "") + " from " +
               t_.appliances[steps[i].appliance].name +
               (i + 1 == steps.size() ? " back to " : " to ") + t_.appliances[to].name;
    }
    f_.add("routing-loop",
           "routing loop for " + where(classes) + ": " + chain + "; they are dropped after 16 hops",
           pos_of(steps.front()));
  }

  const Topology& t_;
  Findings& f_;
  std::vector<SubnetRoutes> subnets_;
  std::vector<size_t> appliance_slot_;  // per appliance: into subnets_, kNone if it drops
  std::vector<Index> moving_;           // appliances whose subnet routes to an appliance
  std::vector<Node> nodes_;             // the forest, in order: parents first
  std::map<std::vector<Step>, std::vector<size_t>> loops_;  // -> the nodes whose class loops
  std::vector<uint8_t> state_;
  std::vector<bool> marked_;
};

// azure-behaviour E6: a user route to VirtualNetworkGateway needs a gateway in the VNet of the
// subnet it applies to (or a peer's, through useRemoteGateways).
void check_gateway_routes(const Topology& t, Findings& f) {
  std::set<std::pair<const Route*, Index>> reported;  // route, VNet
  for (const Subnet& s : t.subnets) {
    if (s.route_table == kNoIndex || reachable_gateway(t, s.vnet) != kNoIndex) {
      continue;
    }
    for (const Route& r : t.route_tables[s.route_table].routes) {
      if (r.next_hop_type == NextHopType::kVirtualNetworkGateway &&
          reported.emplace(&r, s.vnet).second) {
        f.add("gateway-missing",
              "route " + r.name + " sends " + r.prefix.to_string() +
                  " to VirtualNetworkGateway, but VNet " + t.vnets[s.vnet].name +
                  " has no virtual network gateway and uses no peer's; Azure shows its next "
                  "hop as None and traffic on it is dropped (modelled: gateway-missing-drops)",
              r.pos);
      }
    }
  }
}

void check_routing_loops(const Topology& t, Findings& f) {
  LoopFinder(t, f).run();
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
    const Subnet& s = t.subnets[subnet];
    if (!in_any(s.address_prefixes, ip)) {
      f.add("address-outside-subnet",
            who + " address " + ip.to_string() + " is outside subnet " + s.full_name, pos);
      return;
    }
    // azure-behaviour E4: the first four addresses of every subnet prefix, and the last of an
    // IPv4 one, are Azure's.
    for (const Prefix& p : s.address_prefixes) {
      if (!p.contains(ip)) {
        continue;
      }
      std::string what;
      if (ip == p.address) {
        what = "its network address";
      } else if (p.address.offset(1) == ip) {
        what = "reserved by Azure for the default gateway";
      } else if (p.address.offset(2) == ip || p.address.offset(3) == ip) {
        what = "reserved by Azure to map Azure DNS IPs into the virtual network";
      } else if (p.address.is_v4() && p.address.offset(p.size() - 1) == ip) {
        what = "its broadcast address";
      }
      if (!what.empty()) {
        f.add("address-reserved",
              who + " address " + ip.to_string() + " is " + what + " in subnet " + s.full_name +
                  " (" + p.to_string() +
                  "); Azure reserves the first four addresses and the "
                  "last one of each subnet",
              pos);
      }
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
    // azure-behaviour E5: public IPs and DNAT destination rules share a limit of 250.
    if (size_t used = a.public_ips.size() + a.dnat_rules.size();
        a.type == ApplianceType::kAzureFirewall && used > 250) {
      f.add("firewall-too-many-public-ips",
            "Azure Firewall " + a.name + " has " + std::to_string(a.public_ips.size()) +
                " public IPs and " + std::to_string(a.dnat_rules.size()) +
                " DNAT rules; Azure: \"Public IPs + DNAT destination rule = 250 max\"",
            a.pos);
    }
  }
}

void check_nat_gateways(const Topology& t, Findings& f) {
  for (Index g = 0; g < t.nat_gateways.size(); ++g) {
    const NatGateway& nat = t.nat_gateways[g];
    bool v2 = nat.sku == NatGatewaySku::kStandardV2;
    uint64_t v4_addresses = 0;
    uint64_t v6_addresses = 0;
    // azure-behaviour D1: the public IP SKUs and IP versions each NAT gateway SKU accepts.
    auto check_sku = [&](const std::string& what, PublicIpSku sku, bool is_v6) {
      if (sku == PublicIpSku::kBasic) {
        f.add("nat-gateway-public-ip-sku",
              "NAT gateway " + nat.name + ": " + what +
                  " is Basic; Azure: \"Basic SKU resources, such as basic load balancer or "
                  "basic public IPs aren't compatible with NAT gateway\"",
              nat.pos);
      } else if (v2 && sku != PublicIpSku::kStandardV2) {
        f.add("nat-gateway-public-ip-sku",
              "NAT gateway " + nat.name + " (StandardV2): " + what + " is " + to_string(sku) +
                  "; Azure: \"StandardV2 NAT gateway must use a StandardV2 Public IP address\"",
              nat.pos);
      }
      if (is_v6 && !v2) {
        f.add("nat-gateway-ipv6-needs-v2",
              "NAT gateway " + nat.name + " (Standard): " + what +
                  " is IPv6; Azure's Standard NAT gateway supports public IP version IPv4 only, "
                  "StandardV2 supports IPv4 and IPv6",
              nat.pos);
      }
    };
    for (Index i : nat.public_ips) {
      const PublicIp& ip = t.public_ips[i];
      (ip.address.is_v4() ? v4_addresses : v6_addresses) += 1;
      check_sku("public IP " + ip.name, ip.sku, !ip.address.is_v4());
    }
    for (Index p : nat.public_ip_prefixes) {
      const PublicIpPrefix& pp = t.public_ip_prefixes[p];
      const Prefix& prefix = pp.prefix;
      bool is_v4 = prefix.address.is_v4();
      (is_v4 ? v4_addresses : v6_addresses) += prefix.size();
      check_sku("public IP prefix " + pp.name, pp.sku, !is_v4);
      // azure-egress-facts 3b: prefixes of /28 to /31; azure-behaviour D1: IPv6 up to /124.
      if (is_v4 && (prefix.length < 28 || prefix.length > 31)) {
        f.add("nat-gateway-prefix-size",
              "NAT gateway " + nat.name + ": public IP prefix " + prefix.to_string() +
                  " is not /28 to /31",
              nat.pos);
      } else if (!is_v4 && prefix.length < 124) {
        f.add("nat-gateway-prefix-size",
              "NAT gateway " + nat.name + ": public IP prefix " + prefix.to_string() +
                  " is larger than /124, the largest IPv6 prefix a NAT gateway takes",
              nat.pos);
      }
    }
    // azure-egress-facts 3b, azure-behaviour D1: up to 16 IPv4 (and, StandardV2, 16 IPv6).
    for (auto [count, family] :
         {std::pair(v4_addresses, "IPv4"), std::pair(v6_addresses, "IPv6")}) {
      if (count > 16) {
        f.add("nat-gateway-too-many-ips",
              "NAT gateway " + nat.name + " has " + std::to_string(count) + " public " + family +
                  " addresses; Azure allows at most 16",
              nat.pos);
      }
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
    // azure-behaviour D2: a load balancer's public IPs are of its own SKU.
    for (const Frontend& fe : lb.frontends) {
      if (fe.public_ip == kNoIndex && fe.public_ip_prefix == kNoIndex) {
        continue;
      }
      // A prefix frontend's addresses are of the prefix's SKU (azure-behaviour D7).
      bool prefix = fe.public_ip == kNoIndex;
      const std::string& name =
          prefix ? t.public_ip_prefixes[fe.public_ip_prefix].name : t.public_ips[fe.public_ip].name;
      PublicIpSku sku =
          prefix ? t.public_ip_prefixes[fe.public_ip_prefix].sku : t.public_ips[fe.public_ip].sku;
      bool basic_lb = lb.sku == LoadBalancerSku::kBasic;
      if (basic_lb != (sku == PublicIpSku::kBasic)) {
        f.add("load-balancer-public-ip-sku",
              "load balancer " + lb.name + " (" + (basic_lb ? "Basic" : "Standard") +
                  "): frontend " + fe.name + " uses public IP " + (prefix ? "prefix " : "") + name +
                  " (" + to_string(sku) +
                  "); Azure: \"Matching SKUs are required for load balancer "
                  "and public IP resources\"",
              fe.pos);
      }
    }
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
      // azure-behaviour D7: a prefix frontend gives 64,000 ports per address it holds.
      uint64_t addresses = 0;
      for (Index fe : rule.frontends) {
        addresses = std::min<uint64_t>(addresses + t.frontend_address_count(lb.frontends[fe]),
                                       uint64_t{1} << 32);
      }
      uint64_t available = 64000ULL * addresses;
      if (ports != 0 && instances * ports > available) {
        f.add("allocated-ports-exceed-frontends",
              "outbound rule " + rule.name + ": " + std::to_string(instances) + " instances x " +
                  std::to_string(ports) + " ports exceed the " + std::to_string(available) +
                  " ports of " + std::to_string(addresses) + " frontend IP(s)",
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

// azure-behaviour D6: "Each of the nodes in the node pool receives a unique public IP"; from a
// prefix, a node needs one of its addresses, pools sharing the prefix together.
void check_node_public_ips(const Topology& t, Findings& f) {
  if (!t.cluster) {
    return;
  }
  std::unordered_map<Index, uint64_t> needed;
  for (const NodePool& pool : t.cluster->node_pools) {
    if (!pool.enable_node_public_ip || pool.node_public_ip_prefix == kNoIndex) {
      continue;
    }
    const PublicIpPrefix& p = t.public_ip_prefixes[pool.node_public_ip_prefix];
    uint64_t& need = needed[pool.node_public_ip_prefix];
    need += pool.nodes;
    if (pool.public_addresses.size() < pool.nodes) {
      f.add("node-public-ip-prefix-too-small",
            "node pool " + pool.name + ": public IP prefix " + p.name + " (" +
                p.prefix.to_string() + ") has " + std::to_string(p.prefix.size()) +
                " addresses for " + std::to_string(need) +
                " nodes; each node takes one (AKS: \"Each of the nodes in the node pool receives a "
                "unique public IP\"), so " +
                std::to_string(pool.nodes - pool.public_addresses.size()) +
                " node(s) get no address from it",
            pool.pos);
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

// azure-behaviour C5, C6: what Azure refuses in NSG rules and application security groups.
// azure-behaviour D4: the routes of a service endpoint come from the service tags; one not
// listed leaves them out, which must not pass unnoticed.
void check_service_endpoints(const Topology& t, Findings& f) {
  for (const Subnet& s : t.subnets) {
    for (const ServiceEndpoint& se : s.service_endpoints) {
      for (const std::string& tag : service_endpoint_tags(se)) {
        if (t.find_service_tag(tag) != kNoIndex) {
          continue;
        }
        f.add("service-endpoint-tag-missing",
              "service endpoint " + se.service + " of subnet " + s.full_name + ": service tag " +
                  tag +
                  " is not listed under serviceTags, so the VirtualNetworkServiceEndpoint routes "
                  "Azure adds for it are missing and its traffic follows the other routes; "
                  "import Azure's service tag file (az network list-service-tags --location "
                  "REGION -o json) with the network (egress-sim import)",
              se.pos);
      }
    }
  }
}

void check_nsgs(const Topology& t, Findings& f) {
  for (const Nsg& nsg : t.nsgs) {
    for (size_t i = 0; i < nsg.rules.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        const NsgRule& a = nsg.rules[i];
        const NsgRule& b = nsg.rules[j];
        if (a.priority == b.priority && a.direction == b.direction && a.priority != 0) {
          f.add(
              "nsg-duplicate-priority",
              "NSG " + nsg.name + ": rules " + b.name + " and " + a.name + " both have priority " +
                  std::to_string(a.priority) + " for " +
                  (a.direction == Direction::kInbound ? "inbound" : "outbound") +
                  " traffic; Azure refuses this (SecurityRuleConflict: rules cannot have the same "
                  "Priority and Direction)",
              a.pos);
          break;
        }
      }
    }
  }
  // The VNet of each group: that of its first member (hosts, then node pools, in file order).
  struct Member {
    Index vnet;
    std::string what;
  };
  std::vector<std::optional<Member>> first(t.application_security_groups.size());
  auto member = [&](std::span<const Index> groups, Index subnet, const std::string& what, Pos pos) {
    if (subnet == kNoIndex) {
      return;
    }
    Index vnet = t.subnets[subnet].vnet;
    for (Index g : groups) {
      if (!first[g]) {
        first[g] = Member{vnet, what};
      } else if (first[g]->vnet != vnet) {
        f.add("asg-spans-vnets",
              "application security group " + t.application_security_groups[g].name + " has " +
                  first[g]->what + " in VNet " + t.vnets[first[g]->vnet].name + " and " + what +
                  " in VNet " + t.vnets[vnet].name +
                  "; Azure requires every network interface of an application security group to "
                  "be in the virtual network of its first one",
              pos);
      }
    }
  };
  for (const Host& h : t.hosts) {
    member(h.application_security_groups, h.subnet, "host " + h.name, h.pos);
  }
  if (t.cluster) {
    for (const NodePool& p : t.cluster->node_pools) {
      member(p.application_security_groups, p.subnet, "node pool " + p.name, p.pos);
    }
  }
  for (const Nsg& nsg : t.nsgs) {
    for (const NsgRule& r : nsg.rules) {
      if (r.source.kind != NsgAddress::Kind::kApplicationSecurityGroups ||
          r.destination.kind != NsgAddress::Kind::kApplicationSecurityGroups) {
        continue;
      }
      for (Index s : r.source.groups) {
        for (Index d : r.destination.groups) {
          if (first[s] && first[d] && first[s]->vnet != first[d]->vnet) {
            f.add("asg-rule-vnets",
                  "NSG " + nsg.name + ", rule " + r.name + ": source group " +
                      t.application_security_groups[s].name + " is in VNet " +
                      t.vnets[first[s]->vnet].name + " and destination group " +
                      t.application_security_groups[d].name + " in VNet " +
                      t.vnets[first[d]->vnet].name +
                      "; Azure requires the network interfaces of both to be in one virtual "
                      "network",
                  r.pos);
          }
        }
      }
    }
  }
}

std::vector<Diagnostic> check_topology(const Topology& topology) {
  Findings f(topology);
  check_subnets(topology, f);
  check_routes(topology, f);
  check_gateway_routes(topology, f);
  check_routing_loops(topology, f);
  check_addresses(topology, f);
  check_nat_gateways(topology, f);
  check_load_balancers(topology, f);
  check_node_public_ips(topology, f);
  check_nsgs(topology, f);
  check_service_endpoints(topology, f);
  check_cluster(topology, f);
  return f.take();
}

}  // namespace egress
