#include "egress/engine/engine.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <utility>

#include "egress/engine/models.h"
#include "egress/lpm/lpm_table.h"
#include "engine/firewall_eval.h"
#include "engine/nsg_eval.h"
#include "engine/sources.h"

namespace egress {
namespace {

// semantics.md 3: more than 16 hops is a loop.
constexpr int kMaxHops = 16;
// A NAT gateway prefix is /28 to /31 (azure-egress-facts 3b); anything that would expand past
// this many addresses is refused at build time rather than truncated.
constexpr uint64_t kMaxNatAddresses = 1U << 16;
// SNAT ports start above the well-known range. Azure does not document its port numbering;
// trace only samples (models.h kSnatSample).
constexpr uint32_t kFirstSnatPort = 1024;
constexpr uint32_t kSnatPortSpan = 65536 - kFirstSnatPort;
constexpr uint32_t kNatGatewayPortsPerIp = 64512;  // azure-egress-facts 3b
// Where Azure documents no idle timeout (instance public IPs, appliances): the 4 minutes that
// Azure's own defaults for LB and NAT gateway use (model flow-idle-timeout).
constexpr uint32_t kDefaultIdleTimeoutS = 240;

bool in_any(const std::vector<Prefix>& prefixes, const IpAddress& a) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const Prefix& p) { return p.contains(a); });
}

// azure-behaviour B2 (azure-egress-facts 3c): network-rule traffic is not SNATed towards the
// private ranges (by default RFC 1918 and RFC 6598); application rules "are always SNATed".
bool appliance_snats(const Appliance& a, const IpAddress& dst, bool by_application_rule) {
  if (a.type == ApplianceType::kAzureFirewall && by_application_rule) {
    return true;
  }
  return a.snat && !in_any(a.private_ranges, dst);
}

// azure-egress-facts 7: the platform addresses (DNS, DHCP, health, IMDS) are served by the
// host and are not subject to NSGs.
bool platform_address(const IpAddress& dst) {
  return dst == IpAddress::v4(0xa83f8110) || dst == IpAddress::v4(0xa9fea9fe);
}

uint64_t mix(uint64_t x) {
  // splitmix64: a fixed, well-distributed hash, so samples repeat run after run.
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t flow_hash(const FlowKey& f, uint64_t seed) {
  uint64_t h = mix(seed);
  h = mix(h ^ f.src.hi()) ^ f.src.lo();
  h = mix(h ^ f.dst.hi()) ^ f.dst.lo();
  h = mix(h ^ (static_cast<uint64_t>(f.sport) << 16 | f.dport) ^
          (static_cast<uint64_t>(f.proto) << 40));
  return mix(h);
}

// azure-egress-facts 3a: default SNAT ports per instance by backend pool size.
uint32_t default_ports_for_pool(uint64_t pool_size) {
  if (pool_size <= 50) {
    return 1024;
  }
  if (pool_size <= 100) {
    return 512;
  }
  if (pool_size <= 200) {
    return 256;
  }
  if (pool_size <= 400) {
    return 128;
  }
  if (pool_size <= 800) {
    return 64;
  }
  return 32;
}

RouteRef route_ref(const Topology& t, const EffectiveRoute& r) {
  RouteRef ref;
  if (r.route_table != kNoIndex) {
    ref.table = t.route_tables[r.route_table].name;
  }
  ref.name = r.name;
  ref.prefix = r.prefix;
  ref.source = r.source;
  ref.next_hop_type = r.next_hop_type;
  ref.next_hop_ip = r.next_hop_ip;
  return ref;
}

std::vector<ResultAddress> sorted_addresses(std::vector<IpAddress> ips) {
  std::sort(ips.begin(), ips.end());
  ips.erase(std::unique(ips.begin(), ips.end()), ips.end());
  return std::vector<ResultAddress>(ips.begin(), ips.end());
}

// One backend instance of a load balancer pool.
struct PoolInstance {
  Sender::Kind kind;
  Index index;  // node number or host index
};

// Where the packet is and who is sending it, as the walk goes on.
struct Walk {
  Index subnet = kNoIndex;
  Sender sender;
  IpAddress src;  // the packet's source address now (after pod SNAT), as NSGs see it
  Index nic_nsg = kNoIndex;
  bool forwarded = false;           // it passed through an appliance
  bool appliance_snats = false;     // that appliance will SNAT it at Internet
  size_t appliance_hop = SIZE_MAX;  // the appliance's hop, where its subnet's route goes
};

}  // namespace

struct Engine::Impl {
  std::shared_ptr<const Topology> topo;
  std::vector<std::vector<EffectiveRoute>> routes;  // per subnet
  // Per subnet, compiled from `routes`; subnets whose active routes are the same (most of a
  // VNet's: the same system routes and route table) share one table.
  std::vector<std::shared_ptr<const LpmTable>> fibs;
  SourceIndex sources;
  std::vector<TagSets> tags;                    // per VNet
  std::vector<std::vector<IpAddress>> nat_ips;  // per NAT gateway: every address
  std::vector<bool> node_subnet;                // per subnet
  std::vector<NsgRule> block_rules;             // the AKS block rule, when outboundType block
  std::map<IpAddress, Index> appliance_by_ip;
  std::vector<FirewallOrder> appliance_order;  // per appliance
  // Per load balancer, per backend pool: its instances in order.
  std::vector<std::vector<std::vector<PoolInstance>>> pool_instances;
  // Per load balancer, per outbound rule: its frontends' addresses in the order Azure uses
  // them, a prefix frontend's in address order (azure-behaviour D7).
  std::vector<std::vector<std::vector<IpAddress>>> rule_ips;

  explicit Impl(std::shared_ptr<const Topology> t) : topo(std::move(t)), sources(*topo) {}

  FlowResult trace(const FlowKey& f, uint64_t seed, std::string_view host) const;

 private:
  const Topology& t() const { return *topo; }
  void ingress(const FlowKey& f, FlowResult& res) const;
  // Traffic an appliance forwarded from `from` into the peered VNet `receiving` is dropped
  // unless `receiving`'s peering allows forwarded traffic (model peering-forwarded-traffic).
  bool forwarded_refused(Index receiving, Index from, Hop& hop, FlowResult& res) const;
  bool firewall_dnat(const FlowKey& f, FlowResult& res) const;
  void reply_path(const IpAddress& reply_to, const std::string& entered_at,
                  bool to_firewall_public_ip, FlowResult& res) const;
  void internet(const FlowKey& f, uint64_t seed, Walk& w, Hop hop, FlowResult& res) const;
  void check_api_server(const FlowKey& f, const std::optional<Sender>& origin,
                        FlowResult& res) const;
  bool pool_holds(const std::vector<PoolInstance>& pool, const Sender& s, uint32_t* ordinal) const;
  bool node_public_ip(const FlowKey& f, const Walk& w, FlowResult& res) const;
  std::span<const Index> groups_of(const IpAddress& address) const;
  bool inbound_denied(const NsgFlow& nf, FlowResult& res) const;
  std::string appliance_name(const std::optional<IpAddress>& ip) const;
};

namespace {

void add_model(FlowResult& res, std::string_view id) {
  res.models.add(id);
}

void drop(FlowResult& res, Reason reason, Hop hop) {
  res.verdict = Verdict::kDropped;
  res.reason = reason;
  if (hop.action == HopAction::kNone) {
    hop.action = HopAction::kDrop;
  }
  res.hops.push_back(std::move(hop));
}

}  // namespace

// Traffic an appliance forwarded from `from` into the peered VNet `receiving` is dropped unless
// `receiving`'s peering allows forwarded traffic (model peering-forwarded-traffic).
bool Engine::Impl::forwarded_refused(Index receiving, Index from, Hop& hop, FlowResult& res) const {
  for (const Peering& back : t().vnets[receiving].peerings) {
    if (back.remote_vnet == from && !back.allow_forwarded_traffic) {
      add_model(res, model::kForwardedPeering);
      hop.note =
          "the peering of " + t().vnets[receiving].name + " does not allow forwarded traffic";
      drop(res, Reason::kForwardedTrafficNotAllowed, hop);
      return true;
    }
  }
  return false;
}

bool Engine::Impl::pool_holds(const std::vector<PoolInstance>& pool, const Sender& s,
                              uint32_t* ordinal) const {
  for (uint32_t i = 0; i < pool.size(); ++i) {
    bool node = s.kind == Sender::Kind::kNode && pool[i].kind == Sender::Kind::kNode;
    bool host = s.kind == Sender::Kind::kHost && pool[i].kind == Sender::Kind::kHost;
    if ((node || host) && pool[i].index == s.index) {
      *ordinal = i;
      return true;
    }
  }
  return false;
}

std::string Engine::Impl::appliance_name(const std::optional<IpAddress>& ip) const {
  if (!ip) {
    return "the appliance";
  }
  auto it = appliance_by_ip.find(*ip);
  if (it == appliance_by_ip.end()) {
    return ip->to_string();
  }
  return t().appliances[it->second].name + " (" + ip->to_string() + ")";
}

FlowResult Engine::Impl::trace(const FlowKey& f, uint64_t seed, std::string_view host) const {
  FlowResult res;
  res.flow = f;
  std::optional<Sender> origin = sources.find(f.src);
  if (!origin) {
    ingress(f, res);
    return res;
  }

  Walk w;
  w.sender = *origin;
  w.src = f.src;
  switch (origin->kind) {
    case Sender::Kind::kPod: {
      const NodeInfo& node = sources.nodes()[origin->index];
      const Cluster& c = *t().cluster;
      Hop hop;
      hop.at = "pod";
      if (c.network_plugin != NetworkPlugin::kAzure) {
        if (c.pod_cidr && c.pod_cidr->contains(f.dst)) {
          hop.action = HopAction::kDeliver;
          hop.note = "destination in podCidr " + c.pod_cidr->to_string();
          res.hops.push_back(hop);
          res.verdict = Verdict::kInternal;
          add_model(res, model::kPodToPod);
          return res;
        }
        // azure-egress-facts 5: kubenet and overlay SNAT to the node for anything outside
        // podCidr, on-premises and peered VNets included.
        hop.action = HopAction::kSnatToNode;
        hop.ip = node.address;
        w.src = node.address;
      } else {
        // azure-egress-facts 5: Azure CNI keeps the pod IP inside nonMasqueradeCidrs (by
        // default the VNet's address spaces) and uses the node IP beyond.
        const std::vector<Prefix>& keep =
            c.non_masquerade_cidrs ? *c.non_masquerade_cidrs
                                   : t().vnets[t().subnets[node.subnet].vnet].address_space;
        if (in_any(keep, f.dst)) {
          hop.action = HopAction::kKeepPodIp;
          hop.ip = f.src;
          hop.note = "destination in nonMasqueradeCidrs";
        } else {
          hop.action = HopAction::kSnatToNode;
          hop.ip = node.address;
          w.src = node.address;
        }
      }
      res.hops.push_back(hop);
      w.sender = Sender{Sender::Kind::kNode, origin->index};
      w.subnet = node.subnet;
      break;
    }
    case Sender::Kind::kNode:
      w.subnet = sources.nodes()[origin->index].subnet;
      if (t().cluster->pod_cidr && t().cluster->network_plugin != NetworkPlugin::kAzure &&
          t().cluster->pod_cidr->contains(f.dst)) {
        res.hops.push_back(Hop{"node", {}, "", HopAction::kDeliver, {}, "destination in podCidr"});
        res.verdict = Verdict::kInternal;
        add_model(res, model::kPodToPod);
        return res;
      }
      break;
    case Sender::Kind::kHost:
      w.subnet = t().hosts[origin->index].subnet;
      w.nic_nsg = t().hosts[origin->index].nsg;
      break;
    case Sender::Kind::kAppliance: {
      const Appliance& a = t().appliances[origin->index];
      w.subnet = a.subnet;
      w.nic_nsg = a.nsg;
      w.appliance_snats = appliance_snats(a, f.dst, false);
      break;
    }
  }

  if (platform_address(f.dst)) {
    res.hops.push_back(Hop{t().subnets[w.subnet].full_name,
                           {},
                           "",
                           HopAction::kDeliver,
                           {},
                           "Azure platform address, served by the host"});
    res.verdict = Verdict::kInternal;
    return res;
  }

  for (int hop_count = 0;; ++hop_count) {
    const Subnet& sn = t().subnets[w.subnet];
    if (hop_count > kMaxHops) {
      drop(res, Reason::kLoop,
           Hop{sn.full_name,
               {},
               "",
               HopAction::kNone,
               {},
               "more than 16 hops: the routes form a loop"});
      return res;
    }
    const TagSets& tag = tags[sn.vnet];
    NsgFlow nf{f.proto, w.src, f.sport, f.dst, f.dport, groups_of(w.src), groups_of(f.dst)};

    // azure-egress-facts 7: outbound, the NIC's NSG first, then the subnet's.
    if (w.nic_nsg != kNoIndex) {
      NsgDecision d = evaluate_nsg(&t().nsgs[w.nic_nsg], {}, Direction::kOutbound, tag, nf);
      if (d.access == RuleAction::kDeny) {
        drop(res, Reason::kNsgDeny,
             Hop{sn.full_name,
                 {},
                 t().nsgs[w.nic_nsg].name + "/" + d.rule,
                 HopAction::kDeny,
                 {},
                 "NIC network security group"});
        return res;
      }
    }
    std::string nsg_rule;
    std::span<const NsgRule> extra;
    if (node_subnet[w.subnet]) {
      extra = block_rules;
    }
    if (sn.nsg != kNoIndex || !extra.empty()) {
      const Nsg* nsg = sn.nsg == kNoIndex ? nullptr : &t().nsgs[sn.nsg];
      NsgDecision d = evaluate_nsg(nsg, extra, Direction::kOutbound, tag, nf);
      nsg_rule = (nsg != nullptr ? nsg->name + "/" : std::string()) + d.rule;
      if (d.block_rule) {
        add_model(res, model::kBlockRule);
      }
      if (d.access == RuleAction::kDeny) {
        Hop hop{sn.full_name, {}, nsg_rule, HopAction::kDeny, {}, ""};
        if (d.block_rule) {
          hop.note = "outboundType block denies outbound to Internet";
        }
        add_model(res, model::kInternetTag);
        drop(res, d.block_rule ? Reason::kBlockedOutboundType : Reason::kNsgDeny, hop);
        return res;
      }
    }

    uint32_t ri = fibs[w.subnet]->lookup(f.dst);
    if (ri == LpmTable::kNoMatch) {
      drop(res, Reason::kRouteNone,
           Hop{sn.full_name,
               {},
               nsg_rule,
               HopAction::kNone,
               {},
               "no route: the VNet has no " + std::string(f.dst.is_v4() ? "IPv4" : "IPv6") +
                   " address space"});
      return res;
    }
    const EffectiveRoute& r = routes[w.subnet][ri];
    Hop hop{sn.full_name, route_ref(t(), r), nsg_rule, HopAction::kNone, {}, ""};
    if (w.appliance_hop != SIZE_MAX && nsg_rule.empty()) {
      // The appliance's own lookup belongs to its hop, as cli.md's example shows it.
      hop = res.hops[w.appliance_hop];
      res.hops.pop_back();
      hop.route = route_ref(t(), r);
    }
    w.appliance_hop = SIZE_MAX;

    if (w.forwarded && w.appliance_snats && w.sender.kind == Sender::Kind::kAppliance &&
        t().appliances[w.sender.index].type == ApplianceType::kAzureFirewall &&
        r.next_hop_type != NextHopType::kInternet) {
      // azure-behaviour B2: towards a destination outside privateRanges that is not sent to
      // the Internet (forced tunnelling, public ranges used privately) and for application
      // rules, the firewall SNATs to one of its instances' addresses in its subnet.
      hop.note = "source translated to an instance IP of " + sn.full_name;
    }
    switch (r.next_hop_type) {
      case NextHopType::kVnetLocal:
        if (inbound_denied(nf, res)) {
          res.hops.insert(res.hops.end() - 1, hop);
          return res;
        }
        hop.action = HopAction::kDeliver;
        res.hops.push_back(hop);
        res.verdict = Verdict::kInternal;
        return res;
      case NextHopType::kVnetPeering: {
        if (w.forwarded) {
          // The receiving VNet must accept traffic that did not originate in the peer.
          const Vnet& here = t().vnets[sn.vnet];
          for (const Peering& p : here.peerings) {
            if (!in_any(t().vnets[p.remote_vnet].address_space, f.dst)) {
              continue;
            }
            if (forwarded_refused(p.remote_vnet, sn.vnet, hop, res)) {
              return res;
            }
          }
        }
        if (inbound_denied(nf, res)) {
          res.hops.insert(res.hops.end() - 1, hop);
          return res;
        }
        hop.action = HopAction::kDeliver;
        res.hops.push_back(hop);
        res.verdict = Verdict::kInternal;
        return res;
      }
      case NextHopType::kVirtualNetworkGateway:
        if (r.source == RouteSource::kUser && r.gateway == kNoIndex) {
          // azure-behaviour E6: nothing in this VNet can take the packet.
          add_model(res, model::kGatewayMissing);
          hop.note = "VNet " + t().vnets[sn.vnet].name + " has no virtual network gateway";
          drop(res, Reason::kGatewayMissing, hop);
          return res;
        }
        hop.action = HopAction::kToGateway;
        res.hops.push_back(hop);
        res.verdict = Verdict::kOnprem;
        return res;
      case NextHopType::kVirtualNetworkServiceEndpoint:
        // azure-behaviour D4: over the service endpoint the service sees the sender's private
        // address ("service traffic switches to use virtual network private addresses as the
        // source IP addresses"): no SNAT, no public IP.
        hop.action = HopAction::kToService;
        hop.note = r.service + " service endpoint: source " + w.src.to_string() + " kept (no SNAT)";
        res.hops.push_back(hop);
        res.verdict = Verdict::kInternal;
        res.via = Via::kServiceEndpoint;
        res.resource = r.service;
        if (!r.model.empty()) {
          add_model(res, r.model);
        }
        return res;
      case NextHopType::kInterfaceEndpoint: {
        const PrivateEndpoint& pe = t().private_endpoints[r.private_endpoint];
        const Subnet& home = t().subnets[pe.subnet];
        hop.action = HopAction::kDeliver;
        hop.note = "private endpoint " + pe.name + (pe.service.empty() ? "" : " to " + pe.service);
        if (w.forwarded && home.vnet != sn.vnet) {
          // As for kVnetPeering: the endpoint's VNet must accept forwarded traffic.
          if (forwarded_refused(home.vnet, sn.vnet, hop, res)) {
            return res;
          }
        }
        // azure-behaviour D5: the endpoint's subnet NSG applies to it only with network
        // policies for NSGs on (Enabled, NetworkSecurityGroupEnabled).
        bool nsg_applies =
            home.private_endpoint_network_policies == PrivateEndpointNetworkPolicies::kEnabled ||
            home.private_endpoint_network_policies ==
                PrivateEndpointNetworkPolicies::kNetworkSecurityGroupEnabled;
        if (home.nsg != kNoIndex && nsg_applies) {
          NsgDecision d =
              evaluate_nsg(&t().nsgs[home.nsg], {}, Direction::kInbound, tags[home.vnet], nf);
          if (d.access == RuleAction::kDeny) {
            res.hops.push_back(hop);
            add_model(res, model::kInternetTag);
            drop(res, Reason::kNsgDeny,
                 Hop{home.full_name,
                     {},
                     t().nsgs[home.nsg].name + "/" + d.rule,
                     HopAction::kDeny,
                     {},
                     "inbound, subnet network security group of private endpoint " + pe.name});
            return res;
          }
        }
        res.hops.push_back(hop);
        res.verdict = Verdict::kInternal;
        res.via = Via::kPrivateEndpoint;
        res.resource = pe.name;
        return res;
      }
      case NextHopType::kNone:
        drop(res, Reason::kRouteNone, hop);
        return res;
      case NextHopType::kInternet:
        internet(f, seed, w, std::move(hop), res);
        if (res.verdict == Verdict::kEgress) {
          check_api_server(f, origin, res);
        }
        return res;
      case NextHopType::kVirtualAppliance: {
        auto it = r.next_hop_ip ? appliance_by_ip.find(*r.next_hop_ip) : appliance_by_ip.end();
        if (it == appliance_by_ip.end()) {
          add_model(res, model::kApplianceMissing);
          hop.note = "no appliance owns " + (r.next_hop_ip ? r.next_hop_ip->to_string() : "");
          drop(res, Reason::kApplianceMissing, hop);
          return res;
        }
        res.hops.push_back(hop);
        const Appliance& a = t().appliances[it->second];
        Hop ah;
        ah.at = a.name;
        if (!a.ip_forwarding) {
          // azure-egress-facts 1f: without IP forwarding "packets are dropped".
          ah.note = "ipForwarding is off";
          drop(res, Reason::kIpForwardingDisabled, ah);
          return res;
        }
        FirewallDecision d = evaluate_firewall(
            a, appliance_order[it->second], FirewallPacket{f.proto, w.src, f.dst, f.dport, host});
        ah.rule = d.rule;
        if (d.host_dependent) {
          res.host_dependent = true;
          add_model(res, model::kFirewallNoHost);
        }
        if (d.fqdn_by_host) {
          add_model(res, model::kFirewallFqdnByHost);
        }
        if (d.order_decided) {
          add_model(res, model::kFirewallRuleOrder);
        }
        if (d.action == RuleAction::kDeny) {
          ah.action = HopAction::kDeny;
          if (d.host_dependent) {
            ah.note = "no host name known (TLS SNI, HTTP Host) for the firewall's FQDN rules";
          }
          drop(res, Reason::kApplianceDeny, ah);
          return res;
        }
        ah.action = HopAction::kForward;
        res.hops.push_back(ah);
        w.appliance_hop = res.hops.size() - 1;
        w.sender = Sender{Sender::Kind::kAppliance, it->second};
        w.subnet = a.subnet;
        w.nic_nsg = a.nsg;
        w.forwarded = true;
        w.appliance_snats =
            appliance_snats(a, f.dst, d.stage == FirewallDecision::Stage::kApplication);
        continue;
      }
    }
  }
}

void Engine::Impl::internet(const FlowKey& f, uint64_t seed, Walk& w, Hop hop,
                            FlowResult& res) const {
  const Subnet& sn = t().subnets[w.subnet];
  uint64_t h = flow_hash(f, seed);
  auto egress = [&](Via via, std::string resource, std::vector<IpAddress> ips, size_t pick,
                    std::optional<uint16_t> port) {
    res.verdict = Verdict::kEgress;
    res.via = via;
    res.resource = std::move(resource);
    res.snat_ip = ips[pick];
    res.snat_port = port;
    res.egress_ips = sorted_addresses(std::move(ips));
  };
  auto sampled_port = [&] {
    return static_cast<uint16_t>(kFirstSnatPort + (h >> 32) % kSnatPortSpan);
  };
  const Appliance* appliance =
      w.sender.kind == Sender::Kind::kAppliance ? &t().appliances[w.sender.index] : nullptr;
  // azure-behaviour D3: a flow leaves with a public IP of its own family; a resource with
  // none of that family does not translate it.
  const Family family = f.dst.family();
  const char* family_name = family == Family::kV4 ? "IPv4" : "IPv6";
  auto of_family = [&](std::vector<IpAddress> ips) {
    std::erase_if(ips, [&](const IpAddress& a) { return a.family() != family; });
    return ips;
  };
  std::string no_family;

  // semantics.md 4.1 (azure-egress-facts 2): the subnet's NAT gateway comes first. An
  // appliance on a NAT gateway subnet sends from its private IP: no double NAT (facts 3c).
  std::vector<IpAddress> nat_family_ips;
  if (sn.nat_gateway != kNoIndex) {
    nat_family_ips = of_family(nat_ips[sn.nat_gateway]);
    if (nat_family_ips.empty()) {
      no_family = "NAT gateway " + t().nat_gateways[sn.nat_gateway].name + " has no " +
                  family_name + " public IP";
    }
  }
  if (!nat_family_ips.empty()) {
    const NatGateway& g = t().nat_gateways[sn.nat_gateway];
    res.hops.push_back(std::move(hop));
    if (f.proto == Protocol::kIcmp) {
      // azure-egress-facts 3b: NAT gateway translates TCP and UDP only.
      drop(res, Reason::kNoOutboundConnectivity,
           Hop{g.name, {}, "", HopAction::kNone, {}, "NAT gateway translates TCP and UDP only"});
      return;
    }
    const std::vector<IpAddress>& ips = nat_family_ips;
    add_model(res, model::kSnatSample);
    egress(Via::kNatGateway, g.name, ips, h % ips.size(), sampled_port());
    // azure-egress-facts 3b: 64,512 ports per IP; TCP idle timeout as set, UDP fixed 4 min.
    res.snat = SnatPoint{Via::kNatGateway,
                         sn.nat_gateway,
                         kNoIndex,
                         0,
                         kNatGatewayPortsPerIp,
                         f.proto == Protocol::kUdp ? 240 : g.idle_timeout_minutes * 60,
                         ips};
    res.hops.push_back(Hop{g.name, {}, "", HopAction::kSnat, res.snat_ip, ""});
    return;
  }

  if (appliance != nullptr) {
    if (w.forwarded && !w.appliance_snats && appliance->type == ApplianceType::kAzureFirewall) {
      // azure-behaviour B2: with the destination in privateRanges "Azure Firewall can't route
      // traffic directly to the Internet".
      hop.note =
          f.dst.to_string() + " is in privateRanges: not SNATed, so not sent to the Internet";
      drop(res, Reason::kNoOutboundConnectivity, hop);
      return;
    }
    if (w.forwarded && !w.appliance_snats) {
      add_model(res, model::kApplianceNoSnatNoNat);
      hop.note = appliance->snat ? "no SNAT towards private ranges, and no NAT gateway"
                                 : "snat is off and the subnet has no NAT gateway";
      drop(res, Reason::kNoOutboundConnectivity, hop);
      return;
    }
    std::vector<IpAddress> ips;
    for (Index p : appliance->public_ips) {
      ips.push_back(t().public_ips[p].address);
    }
    ips = of_family(std::move(ips));
    if (!appliance->public_ips.empty() && ips.empty()) {
      hop.note = "appliance " + appliance->name + " has no " + family_name + " public IP";
      drop(res, Reason::kNoOutboundConnectivity, hop);
      return;
    }
    if (!ips.empty()) {
      // azure-egress-facts 3c: the firewall "randomly selects the source public IP".
      add_model(res, model::kSnatSample);
      egress(Via::kAppliance, appliance->name, ips, h % ips.size(), sampled_port());
      // azure-egress-facts 3c: snatPortsPerIp per IP per instance.
      res.snat = SnatPoint{Via::kAppliance,
                           w.sender.index,
                           kNoIndex,
                           0,
                           appliance->snat_ports_per_ip * appliance->instances,
                           kDefaultIdleTimeoutS,
                           ips};
      if (hop.at != appliance->name) {
        res.hops.push_back(std::move(hop));
        hop = Hop{appliance->name, {}, "", HopAction::kNone, {}, ""};
      }
      hop.action = HopAction::kSnat;
      hop.ip = res.snat_ip;
      res.hops.push_back(std::move(hop));
      return;
    }
  }
  res.hops.push_back(std::move(hop));

  if (w.sender.kind == Sender::Kind::kHost && t().hosts[w.sender.index].public_ip != kNoIndex &&
      t().public_ips[t().hosts[w.sender.index].public_ip].address.family() == family) {
    // azure-egress-facts 2: an instance-level public IP is a 1:1 NAT with every port.
    const Host& host = t().hosts[w.sender.index];
    egress(Via::kInstancePublicIp, host.name, {t().public_ips[host.public_ip].address}, 0, f.sport);
    res.snat = SnatPoint{Via::kInstancePublicIp,
                         w.sender.index,
                         kNoIndex,
                         0,
                         0,
                         kDefaultIdleTimeoutS,
                         {t().public_ips[host.public_ip].address}};
    res.hops.push_back(Hop{host.name, {}, "", HopAction::kSnat, res.snat_ip, "instance public IP"});
    return;
  }

  if (node_public_ip(f, w, res)) {
    return;
  }

  bool in_pool = false;
  std::string uncovered;
  for (Index l = 0; l < t().load_balancers.size(); ++l) {
    const LoadBalancer& lb = t().load_balancers[l];
    for (const auto& pool : pool_instances[l]) {
      uint32_t ordinal = 0;
      in_pool = in_pool || pool_holds(pool, w.sender, &ordinal);
    }
    for (const OutboundRule& rule : lb.outbound_rules) {
      uint32_t ordinal = 0;
      const auto& pool = pool_instances[l][rule.backend_pool];
      if (!pool_holds(pool, w.sender, &ordinal)) {
        continue;
      }
      // azure-egress-facts 3a: outbound rules translate TCP and UDP only.
      if (f.proto == Protocol::kIcmp || (rule.protocols & protocol_bit(f.proto)) == 0) {
        uncovered =
            "outbound rule " + lb.name + "/" + rule.name + " does not cover " + to_string(f.proto);
        continue;
      }
      std::vector<IpAddress> ips =
          of_family(rule_ips[l][static_cast<size_t>(&rule - lb.outbound_rules.data())]);
      if (ips.empty()) {
        uncovered =
            "outbound rule " + lb.name + "/" + rule.name + " has no " + family_name + " frontend";
        continue;
      }
      uint32_t ports = rule.allocated_outbound_ports != 0 ? rule.allocated_outbound_ports
                                                          : default_ports_for_pool(pool.size());
      // azure-egress-facts 3a: frontends are used in order; an instance owns a block of ports.
      uint64_t offset = static_cast<uint64_t>(ordinal) * ports + h % ports;
      add_model(res, model::kSnatSample);
      egress(Via::kLoadBalancer, lb.name, ips, 0,
             static_cast<uint16_t>(kFirstSnatPort + offset % kSnatPortSpan));
      res.snat = SnatPoint{Via::kLoadBalancer,
                           l,
                           static_cast<Index>(&rule - lb.outbound_rules.data()),
                           ordinal,
                           ports,
                           rule.idle_timeout_minutes * 60,
                           std::move(ips)};
      res.hops.push_back(Hop{lb.name, {}, rule.name, HopAction::kSnat, res.snat_ip, ""});
      return;
    }
  }

  // azure-egress-facts 2: default outbound access, only outside Standard LB backend pools.
  if (sn.default_outbound_access && !in_pool) {
    res.verdict = Verdict::kEgress;
    res.via = Via::kDefaultOutbound;
    res.resource = sn.full_name;
    res.snat_ip = ResultAddress::default_outbound();
    res.egress_ips = {res.snat_ip};
    res.hops.push_back(Hop{"default-outbound",
                           {},
                           "",
                           HopAction::kSnat,
                           res.snat_ip,
                           "Azure's implicit public IP, which can change"});
    return;
  }

  std::string why;
  if (!no_family.empty()) {
    why = no_family;
  } else if (!uncovered.empty()) {
    why = uncovered;
  } else if (in_pool) {
    why = "in a Standard LB backend pool without an outbound rule";

  } else if (!sn.default_outbound_access) {
    why =
        "private subnet (defaultOutboundAccess false) without NAT gateway, public IP or "
        "outbound rule";
  }
  res.verdict = Verdict::kDropped;
  res.reason = Reason::kNoOutboundConnectivity;
  res.hops.back().note = why;
}

// azure-behaviour D6: a node of a pool with enableNodePublicIP leaves with its own public IP,
// after the NAT gateway and before load balancer outbound rules (azure-egress-facts 2), a 1:1
// NAT with every port, as a host's instance public IP. Only the node's own address (the NIC's
// primary IP configuration) has it: a pod IP kept by Azure CNI does not.
bool Engine::Impl::node_public_ip(const FlowKey& f, const Walk& w, FlowResult& res) const {
  if (w.sender.kind != Sender::Kind::kNode) {
    return false;
  }
  const NodeInfo& node = sources.nodes()[w.sender.index];
  const NodePool& pool = t().cluster->node_pools[node.pool];
  if (!pool.enable_node_public_ip || w.src != node.address) {
    return false;
  }
  // Model node-public-ip: without a prefix AKS gives an IPv4 address of Azure's choosing.
  const Family family = pool.node_public_ip_prefix != kNoIndex
                            ? t().public_ip_prefixes[pool.node_public_ip_prefix].prefix.family()
                            : Family::kV4;
  if (f.dst.family() != family) {
    return false;  // azure-behaviour D3: the flow goes on to a resource of its family
  }
  std::string name = pool.name + "#" + std::to_string(node.ordinal_in_pool);
  std::optional<IpAddress> address;
  if (node.ordinal_in_pool < pool.public_addresses.size()) {
    address = pool.public_addresses[node.ordinal_in_pool];
  }
  add_model(res, model::kNodePublicIp);
  res.verdict = Verdict::kEgress;
  res.via = Via::kInstancePublicIp;
  res.resource = name;
  res.snat_ip = address ? ResultAddress(*address)
                        : ResultAddress::node_public_ip(node.pool, node.ordinal_in_pool);
  res.snat_port = f.sport;
  res.egress_ips = {res.snat_ip};
  // rule 0 tells a node's point from a host's (kNoIndex) of the same index.
  res.snat = SnatPoint{Via::kInstancePublicIp,
                       w.sender.index,
                       0,
                       0,
                       0,
                       kDefaultIdleTimeoutS,
                       address ? std::vector<IpAddress>{*address} : std::vector<IpAddress>{}};
  std::string note = "node public IP";
  if (pool.node_public_ip_prefix != kNoIndex) {
    note += " from prefix " + t().public_ip_prefixes[pool.node_public_ip_prefix].name;
    if (!address) {
      note += ", which has no address left for this node";
    }
  } else {
    note += ", an address Azure picks";
  }
  res.hops.push_back(Hop{name, {}, "", HopAction::kSnat, res.snat_ip, std::move(note)});
  return true;
}

void Engine::Impl::check_api_server(const FlowKey& f, const std::optional<Sender>& origin,
                                    FlowResult& res) const {
  if (!t().cluster || !origin ||
      (origin->kind != Sender::Kind::kNode && origin->kind != Sender::Kind::kPod)) {
    return;
  }
  const ApiServer& api = t().cluster->api_server;
  if (!api.address || *api.address != f.dst || api.is_private || f.proto != Protocol::kTcp ||
      f.dport != 443 || api.authorized_ip_ranges.empty()) {
    return;
  }
  // semantics.md 6: every IP the flow could leave with must be authorized.
  for (const ResultAddress& ip : res.egress_ips) {
    if (!ip.known() || !in_any(api.authorized_ip_ranges, ip.address())) {
      res.verdict = Verdict::kDropped;
      res.reason = Reason::kApiServerUnauthorized;
      res.hops.push_back(
          Hop{"api-server",
              {},
              "",
              HopAction::kDeny,
              {},
              "egress IP " + to_string(ip, res.resource) + " is outside authorizedIpRanges"});
      return;
    }
  }
}

std::span<const Index> Engine::Impl::groups_of(const IpAddress& address) const {
  std::optional<Sender> owner = sources.find(address);
  if (!owner) {
    return {};
  }
  switch (owner->kind) {
    case Sender::Kind::kPod:
      // Only Azure CNI pod addresses are IP configurations of the node's NIC.
      if (t().cluster->network_plugin != NetworkPlugin::kAzure) {
        return {};
      }
      [[fallthrough]];
    case Sender::Kind::kNode:
      return t()
          .cluster->node_pools[sources.nodes()[owner->index].pool]
          .application_security_groups;
    case Sender::Kind::kHost:
      return t().hosts[owner->index].application_security_groups;
    case Sender::Kind::kAppliance:
      return {};
  }
  return {};
}

// azure-behaviour C1: inbound, the destination subnet's NSG first, then its NIC's. The
// destination is the NIC that owns the address, else the subnet whose prefix holds it.
bool Engine::Impl::inbound_denied(const NsgFlow& nf, FlowResult& res) const {
  Index subnet = kNoIndex;
  Index nic_nsg = kNoIndex;
  if (std::optional<Sender> owner = sources.find(nf.dst)) {
    switch (owner->kind) {
      case Sender::Kind::kPod:
        if (t().cluster->network_plugin != NetworkPlugin::kAzure) {
          return false;  // an overlay or kubenet pod address is no NIC's
        }
        [[fallthrough]];
      case Sender::Kind::kNode:
        subnet = sources.nodes()[owner->index].subnet;
        break;
      case Sender::Kind::kHost:
        subnet = t().hosts[owner->index].subnet;
        nic_nsg = t().hosts[owner->index].nsg;
        break;
      case Sender::Kind::kAppliance:
        subnet = t().appliances[owner->index].subnet;
        nic_nsg = t().appliances[owner->index].nsg;
        break;
    }
  } else {
    for (Index s = 0; s < t().subnets.size() && subnet == kNoIndex; ++s) {
      if (in_any(t().subnets[s].address_prefixes, nf.dst)) {
        subnet = s;
      }
    }
  }
  if (subnet == kNoIndex) {
    return false;
  }
  const Subnet& sn = t().subnets[subnet];
  const TagSets& tag = tags[sn.vnet];
  for (Index nsg : {sn.nsg, nic_nsg}) {
    if (nsg == kNoIndex) {
      continue;
    }
    NsgDecision d = evaluate_nsg(&t().nsgs[nsg], {}, Direction::kInbound, tag, nf);
    if (d.access == RuleAction::kDeny) {
      add_model(res, model::kInternetTag);
      drop(res, Reason::kNsgDeny,
           Hop{sn.full_name,
               {},
               t().nsgs[nsg].name + "/" + d.rule,
               HopAction::kDeny,
               {},
               nsg == sn.nsg ? "inbound, subnet network security group of the destination"
                             : "inbound, NIC network security group of the destination"});
      return true;
    }
  }
  return false;
}

void Engine::Impl::ingress(const FlowKey& f, FlowResult& res) const {
  if (firewall_dnat(f, res)) {
    return;
  }
  const Cluster* c = t().cluster ? &*t().cluster : nullptr;
  const Service* hit = nullptr;
  bool frontend = false;
  if (c != nullptr) {
    for (const Service& s : c->services) {
      if (t().public_ips[s.frontend_ip].address != f.dst) {
        continue;
      }
      frontend = true;
      if (s.protocol == f.proto && s.port == f.dport) {
        hit = &s;
        break;
      }
    }
  }
  if (!frontend) {
    drop(res, Reason::kUnknownSource,
         Hop{"source",
             {},
             "",
             HopAction::kNone,
             {},
             f.src.to_string() + " is no pod, node, host or appliance of the topology"});
    return;
  }
  std::string lb_name =
      c->load_balancer != kNoIndex ? t().load_balancers[c->load_balancer].name : "load balancer";
  if (hit == nullptr) {
    drop(res, Reason::kNoLoadBalancingRule,
         Hop{lb_name,
             {},
             "",
             HopAction::kNone,
             {},
             std::string("no Service on ") + to_string(f.proto) + "/" + std::to_string(f.dport) +
                 " at " + f.dst.to_string()});
    return;
  }
  res.hops.push_back(
      Hop{lb_name, {}, hit->name, HopAction::kToBackend, {}, "Service " + hit->name});
  res.via = Via::kLoadBalancer;
  res.resource = lb_name;
  res.egress_ips = {ResultAddress(f.dst)};
  add_model(res, model::kIngressBackend);
  reply_path(f.src, f.dst.to_string(), false, res);
}

bool Engine::Impl::firewall_dnat(const FlowKey& f, FlowResult& res) const {
  for (Index i = 0; i < t().appliances.size(); ++i) {
    const Appliance& a = t().appliances[i];
    bool mine = a.type == ApplianceType::kAzureFirewall &&
                std::any_of(a.public_ips.begin(), a.public_ips.end(),
                            [&](Index p) { return t().public_ips[p].address == f.dst; });
    if (!mine) {
      continue;
    }
    FirewallPacket packet{f.proto, f.src, f.dst, f.dport, {}};
    const DnatRule* rule = match_dnat(a, appliance_order[i], packet);
    if (rule == nullptr) {
      // azure-behaviour B1: what no rule allows is denied.
      drop(res, Reason::kApplianceDeny,
           Hop{a.name,
               {},
               "defaultAction",
               HopAction::kDeny,
               {},
               std::string("no DNAT rule for ") + to_string(f.proto) + "/" +
                   std::to_string(f.dport) + " at " + f.dst.to_string()});
      return true;
    }
    // azure-behaviour B7: DNAT adds an implicit network rule for the translated traffic, which
    // only a network rule that denies it overrides; application rules are not applied inbound.
    FirewallPacket translated{f.proto, f.src, rule->translated_address, rule->translated_port, {}};
    FirewallDecision d = evaluate_firewall(a, appliance_order[i], translated);
    if (d.stage == FirewallDecision::Stage::kNetwork && d.action == RuleAction::kDeny) {
      drop(res, Reason::kApplianceDeny,
           Hop{a.name,
               {},
               d.rule,
               HopAction::kDeny,
               {},
               "a network rule denies the translated traffic"});
      return true;
    }
    const ResultAddress to =
        ResultAddress::endpoint(rule->translated_address, rule->translated_port);
    res.hops.push_back(
        Hop{a.name, {}, rule_label(rule->place, rule->name), HopAction::kDnat, to, ""});
    res.via = Via::kAppliance;
    res.resource = a.name;
    res.egress_ips = {ResultAddress(f.dst)};
    const Cluster* c = t().cluster ? &*t().cluster : nullptr;
    if (c != nullptr) {
      for (const Service& s : c->services) {
        if (t().public_ips[s.frontend_ip].address != rule->translated_address ||
            s.port != rule->translated_port || s.protocol != f.proto) {
          continue;
        }
        // azure-behaviour B7 (FWLB): the firewall NATs the packets to the load balancer's
        // public IP; the nodes' replies are addressed to the firewall's public IP.
        std::string lb = c->load_balancer != kNoIndex ? t().load_balancers[c->load_balancer].name
                                                      : "load balancer";
        res.hops.push_back(Hop{lb, {}, s.name, HopAction::kToBackend, {}, "Service " + s.name});
        add_model(res, model::kIngressBackend);
        reply_path(f.dst, f.dst.to_string(), true, res);
        return true;
      }
    }
    // FWLB: translated to a private address, the replies return to the firewall's private IP
    // by the same path.
    uint32_t ri = fibs[a.subnet]->lookup(rule->translated_address);
    const Subnet& sn = t().subnets[a.subnet];
    if (ri == LpmTable::kNoMatch || routes[a.subnet][ri].next_hop_type == NextHopType::kNone) {
      Hop hop{sn.full_name, {}, "", HopAction::kNone, {}, "no route to " + to_string(to, {})};
      if (ri != LpmTable::kNoMatch) {
        hop.route = route_ref(t(), routes[a.subnet][ri]);
      }
      drop(res, Reason::kRouteNone, hop);
      return true;
    }
    res.hops.push_back(Hop{sn.full_name,
                           route_ref(t(), routes[a.subnet][ri]),
                           "",
                           HopAction::kDeliver,
                           {},
                           "replies return to the firewall"});
    res.verdict = Verdict::kIngress;
    return true;
  }
  return false;
}

void Engine::Impl::reply_path(const IpAddress& reply_to, const std::string& entered_at,
                              bool to_firewall_public_ip, FlowResult& res) const {
  // semantics.md 7: replies follow the node subnet's routes back to the client.
  std::vector<Index> seen;
  for (const NodeInfo& node : sources.nodes()) {
    if (std::find(seen.begin(), seen.end(), node.subnet) != seen.end()) {
      continue;
    }
    seen.push_back(node.subnet);
    uint32_t ri = fibs[node.subnet]->lookup(reply_to);
    if (ri == LpmTable::kNoMatch) {
      drop(res, Reason::kRouteNone,
           Hop{t().subnets[node.subnet].full_name, {}, "", HopAction::kReply, {}, "no route back"});
      return;
    }
    const EffectiveRoute& r = routes[node.subnet][ri];
    Hop hop{t().subnets[node.subnet].full_name, route_ref(t(), r), "", HopAction::kReply, {}, ""};
    switch (r.next_hop_type) {
      case NextHopType::kInternet:
        res.hops.push_back(hop);
        continue;
      case NextHopType::kVirtualAppliance:
        hop.note = to_firewall_public_ip
                       ? "replies to " + reply_to.to_string() + " go to " +
                             appliance_name(r.next_hop_ip) +
                             ", not back over the Internet; the stateful firewall drops them"
                       : "replies leave through " + appliance_name(r.next_hop_ip) +
                             " with another source IP than " + entered_at +
                             "; a stateful firewall drops them";
        res.hops.push_back(hop);
        res.verdict = Verdict::kAsymmetric;
        res.reason = Reason::kReturnViaAppliance;
        return;
      case NextHopType::kVirtualNetworkGateway:
        hop.note = "replies go to on-premises, not back through the load balancer";
        res.hops.push_back(hop);
        res.verdict = Verdict::kAsymmetric;
        res.reason = Reason::kReturnViaGateway;
        return;
      default:
        hop.note = "replies cannot reach the client";
        drop(res, Reason::kRouteNone, hop);
        return;
    }
  }
  res.verdict = Verdict::kIngress;
}

Result<Engine> Engine::build(std::shared_ptr<const Topology> topology) {
  auto impl = std::make_unique<Impl>(std::move(topology));
  const Topology& t = *impl->topo;

  impl->node_subnet.assign(t.subnets.size(), false);
  if (t.cluster) {
    for (const NodePool& pool : t.cluster->node_pools) {
      impl->node_subnet[pool.subnet] = true;
    }
    if (t.cluster->outbound_type == OutboundType::kBlock) {
      impl->block_rules.push_back(block_outbound_rule());
    }
  }

  // A table built for speed is a few hundred KiB (sim/lpm/README.md), so a topology of a
  // thousand subnets with one table each took hundreds of MB. The tables of equal route lists
  // are equal, so they are built once; and past kFastFibBytes of distinct tables the rest are
  // built for memory (tens of KiB each), with the same answers.
  constexpr size_t kFastFibBytes = size_t{32} << 20;
  size_t fast_fib_bytes = 0;
  std::map<std::vector<std::tuple<IpAddress, int, uint32_t>>, std::shared_ptr<const LpmTable>>
      fib_of_routes;
  for (Index s = 0; s < t.subnets.size(); ++s) {
    impl->routes.push_back(compute_effective_routes(t, s));
    std::vector<LpmEntry> entries;
    std::vector<std::tuple<IpAddress, int, uint32_t>> key;
    const auto& routes = impl->routes.back();
    for (uint32_t i = 0; i < routes.size(); ++i) {
      if (routes[i].active) {
        entries.push_back(LpmEntry{routes[i].prefix, i});
        key.emplace_back(routes[i].prefix.address, routes[i].prefix.length, i);
      }
    }
    std::shared_ptr<const LpmTable>& fib = fib_of_routes[std::move(key)];
    if (!fib) {
      auto built = LpmTable::build(
          entries, fast_fib_bytes < kFastFibBytes ? LpmPriority::kSpeed : LpmPriority::kMemory);
      if (!built) {
        return built.error();
      }
      fib = std::make_shared<const LpmTable>(std::move(*built));
      fast_fib_bytes += fib->memory_bytes();
    }
    impl->fibs.push_back(fib);
  }

  for (Index v = 0; v < t.vnets.size(); ++v) {
    // models.h kInternetTag: the VirtualNetwork tag.
    TagSets tags;
    tags.service_tags = &t.service_tags;
    const Vnet& vnet = t.vnets[v];
    tags.virtual_network = vnet.address_space;
    auto add_gateways = [&](Index of) {
      for (const Gateway& g : t.gateways) {
        if (g.vnet == of) {
          tags.virtual_network.insert(tags.virtual_network.end(), g.bgp_routes.begin(),
                                      g.bgp_routes.end());
        }
      }
    };
    add_gateways(v);
    for (const Peering& p : vnet.peerings) {
      const auto& remote = t.vnets[p.remote_vnet].address_space;
      tags.virtual_network.insert(tags.virtual_network.end(), remote.begin(), remote.end());
      if (p.use_remote_gateways) {
        add_gateways(p.remote_vnet);
      }
    }
    impl->tags.push_back(std::move(tags));
  }

  for (const NatGateway& g : t.nat_gateways) {
    std::vector<IpAddress> ips;
    for (Index p : g.public_ips) {
      ips.push_back(t.public_ips[p].address);
    }
    for (Index p : g.public_ip_prefixes) {
      const Prefix& prefix = t.public_ip_prefixes[p].prefix;
      if (prefix.size() > kMaxNatAddresses) {
        return Error{"nat-prefix-too-large",
                     "NAT gateway '" + g.name + "': public IP prefix " + prefix.to_string() +
                         " has more than 65536 addresses; Azure allows /28 to /31",
                     t.at(t.public_ip_prefixes[p].pos)};
      }
      // Every address of a prefix is a usable SNAT IP (semantics.md 5).
      for (uint64_t k = 0; k < prefix.size(); ++k) {
        ips.push_back(*prefix.address.offset(k));
      }
    }
    if (ips.empty()) {
      return Error{"nat-gateway-no-ip", "NAT gateway '" + g.name + "' has no public IP or prefix",
                   t.at(g.pos)};
    }
    impl->nat_ips.push_back(std::move(ips));
  }

  for (Index a = 0; a < t.appliances.size(); ++a) {
    impl->appliance_by_ip.emplace(t.appliances[a].private_ip, a);
    impl->appliance_order.push_back(FirewallOrder::of(t.appliances[a]));
  }

  for (const LoadBalancer& lb : t.load_balancers) {
    std::vector<std::vector<PoolInstance>> pools;
    for (const BackendPool& pool : lb.backend_pools) {
      std::vector<PoolInstance> instances;
      for (const PoolMember& m : pool.members) {
        if (m.kind == PoolMember::Kind::kHost) {
          instances.push_back(PoolInstance{Sender::Kind::kHost, m.index});
          continue;
        }
        for (Index n = 0; n < impl->sources.nodes().size(); ++n) {
          if (impl->sources.nodes()[n].pool == m.index) {
            instances.push_back(PoolInstance{Sender::Kind::kNode, n});
          }
        }
      }
      pools.push_back(std::move(instances));
    }
    impl->pool_instances.push_back(std::move(pools));
    std::vector<std::vector<IpAddress>> rules;
    for (const OutboundRule& rule : lb.outbound_rules) {
      std::vector<IpAddress> ips;
      for (Index fe : rule.frontends) {
        const Frontend& frontend = lb.frontends[fe];
        if (frontend.public_ip != kNoIndex) {
          ips.push_back(t.public_ips[frontend.public_ip].address);
          continue;
        }
        if (frontend.public_ip_prefix == kNoIndex) {
          continue;
        }
        const PublicIpPrefix& p = t.public_ip_prefixes[frontend.public_ip_prefix];
        if (p.prefix.size() > kMaxNatAddresses) {
          return Error{"lb-prefix-too-large",
                       "load balancer '" + lb.name + "', frontend '" + frontend.name +
                           "': public IP prefix " + p.prefix.to_string() +
                           " has more than 65536 addresses; Azure's prefixes are /28 to /31 "
                           "(IPv6 /124 to /127)",
                       t.at(frontend.pos)};
        }
        // azure-behaviour D7: "The outbound rule will automatically use all public IP
        // addresses contained within the public IP prefix".
        for (uint64_t k = 0; k < p.prefix.size(); ++k) {
          ips.push_back(*p.prefix.address.offset(k));
        }
      }
      rules.push_back(std::move(ips));
    }
    impl->rule_ips.push_back(std::move(rules));
  }
  return Engine(std::move(impl));
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;
Engine::~Engine() = default;

FlowResult Engine::trace(const FlowKey& flow, uint64_t seed, std::string_view host) const {
  FlowResult res = impl_->trace(flow, seed, host);
  res.host = std::string(host);
  return res;
}

bool Engine::decides_by_host(const FlowKey& flow) const {
  return impl_->trace(flow, 0, {}).host_dependent;
}

const std::vector<EffectiveRoute>& Engine::routes(Index subnet) const {
  return impl_->routes[subnet];
}

const Topology& Engine::topology() const {
  return *impl_->topo;
}

}  // namespace egress
