#include "egress/migrate/migration_plan.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

#include "egress/config/topology_checks.h"

namespace egress {
namespace {

// The findings that are AKS refusing the update, not advice.
constexpr std::string_view kPreflight[] = {
    "RouteTableInvalidNextHop",
    "RouteTableMissingDefaultRouteError",
    "nat-gateway-missing",
    "nat-gateway-not-attached",
    "outbound-type-requires-byo-vnet",
    "outbound-type-requires-managed-vnet",
    "outbound-type-requires-vmss",
    "outbound-type-requires-standard-lb",
    "load-balancer-missing",
};

// azure-egress-facts 3d: AKS's outbound rule is aksOutboundRule, protocol All, idle 30 min.
constexpr uint32_t kAksOutboundIdleMinutes = 30;
// azure-egress-facts 3d: a managed NAT gateway's idle timeout defaults to 4 minutes.
constexpr uint32_t kAksNatIdleMinutes = 4;

bool is_nat_type(OutboundType t) {
  return t == OutboundType::kManagedNatGateway || t == OutboundType::kUserAssignedNatGateway;
}

std::set<Index> node_subnets(const Cluster& c) {
  std::set<Index> out;
  for (const NodePool& p : c.node_pools) {
    out.insert(p.subnet);
  }
  return out;
}

// Placeholders for addresses Azure has yet to allocate: 240.0.0.0/4 is reserved, so no real
// public IP of the topology can collide with one.
class Placeholders {
 public:
  explicit Placeholders(MigrationPlan& plan) : plan_(plan) {}
  Index add(Topology& t, const std::string& resource, uint32_t n) {
    IpAddress ip = IpAddress::v4(0xf0000000U + static_cast<uint32_t>(plan_.unknown.size()) + 1);
    std::string name = resource + "-managed-ip-" + std::to_string(n);
    PublicIp& pip = t.public_ips.emplace_back();
    pip.name = std::move(name);
    pip.address = ip;
    plan_.unknown[ip] = "unknown:" + resource + "#" + std::to_string(n);
    return static_cast<Index>(t.public_ips.size() - 1);
  }

 private:
  MigrationPlan& plan_;
};

void to_load_balancer(Topology& t, const MigrationOptions& o, MigrationPlan& plan,
                      Placeholders& ips) {
  Cluster& c = *t.cluster;
  if (c.load_balancer == kNoIndex) {
    t.load_balancers.emplace_back().name = "kubernetes";
    c.load_balancer = static_cast<Index>(t.load_balancers.size() - 1);
    plan.creates.push_back("Standard load balancer kubernetes");
  }
  LoadBalancer& lb = t.load_balancers[c.load_balancer];
  if (!lb.outbound_rules.empty()) {
    return;
  }
  BackendPool pool;
  pool.name = "aksOutboundBackendPool";
  for (Index i = 0; i < c.node_pools.size(); ++i) {
    pool.members.push_back(PoolMember{PoolMember::Kind::kNodePool, i});
  }
  lb.backend_pools.push_back(pool);
  OutboundRule rule;
  rule.name = "aksOutboundRule";
  rule.backend_pool = static_cast<Index>(lb.backend_pools.size() - 1);
  rule.idle_timeout_minutes = kAksOutboundIdleMinutes;
  for (uint32_t n = 1; n <= o.managed_outbound_ips; ++n) {
    Index ip = ips.add(t, lb.name, n);
    Frontend& frontend = t.load_balancers[c.load_balancer].frontends.emplace_back();
    frontend.name = "aks-outbound-" + std::to_string(n);
    frontend.public_ip = ip;
    rule.frontends.push_back(
        static_cast<Index>(t.load_balancers[c.load_balancer].frontends.size() - 1));
  }
  t.load_balancers[c.load_balancer].outbound_rules.push_back(rule);
  plan.creates.push_back("outbound rule aksOutboundRule on load balancer " + lb.name + " with " +
                         std::to_string(o.managed_outbound_ips) +
                         " managed outbound IP(s), allocatedOutboundPorts 0, idle 30 min");
}

void to_managed_nat_gateway(Topology& t, const MigrationOptions& o, MigrationPlan& plan,
                            Placeholders& ips) {
  Cluster& c = *t.cluster;
  NatGateway g;
  g.name = c.name + "-managed-natgw";
  g.idle_timeout_minutes = kAksNatIdleMinutes;
  for (uint32_t n = 1; n <= o.managed_outbound_ips; ++n) {
    g.public_ips.push_back(ips.add(t, g.name, n));
  }
  t.nat_gateways.push_back(g);
  c.nat_gateway = static_cast<Index>(t.nat_gateways.size() - 1);
  for (Index s : node_subnets(c)) {
    t.subnets[s].nat_gateway = c.nat_gateway;
  }
  plan.creates.push_back("managed NAT gateway " + g.name + " with " +
                         std::to_string(o.managed_outbound_ips) +
                         " managed outbound IP(s), attached to the node subnets");
}

}  // namespace

bool is_preflight_finding(std::string_view code) {
  return std::find(std::begin(kPreflight), std::end(kPreflight), code) != std::end(kPreflight);
}

std::vector<Diagnostic> new_findings(const Topology& before, const Topology& after, bool* refused) {
  std::set<std::pair<std::string, std::string>> old;
  for (const Diagnostic& d : check_topology(before)) {
    old.emplace(d.code, d.message);
  }
  std::vector<Diagnostic> out;
  *refused = false;
  for (Diagnostic& d : check_topology(after)) {
    if (old.contains({d.code, d.message})) {
      continue;
    }
    if (is_preflight_finding(d.code)) {
      *refused = true;
    }
    out.push_back(std::move(d));
  }
  return out;
}

Result<MigrationPlan> plan_migration(const Topology& before, const MigrationOptions& o) {
  if (!before.cluster) {
    return Error{"no-cluster", "the topology has no cluster to migrate",
                 SourceLocation{before.file, 0, 0}};
  }
  MigrationPlan plan;
  plan.after = before;
  Topology& t = plan.after;
  Cluster& c = *t.cluster;
  const OutboundType from = c.outbound_type;
  c.outbound_type = o.to;
  Placeholders ips(plan);

  if (from == OutboundType::kLoadBalancer && o.to != OutboundType::kLoadBalancer &&
      c.load_balancer != kNoIndex) {
    // The load balancer stays for Services; AKS removes its outbound rules (and their IPs).
    LoadBalancer& lb = t.load_balancers[c.load_balancer];
    for (const OutboundRule& r : lb.outbound_rules) {
      plan.removes.push_back("outbound rule " + r.name + " of load balancer " + lb.name);
    }
    lb.outbound_rules.clear();
  }
  if (from == OutboundType::kManagedNatGateway && o.to != OutboundType::kManagedNatGateway &&
      c.nat_gateway != kNoIndex) {
    for (Index s : node_subnets(c)) {
      if (t.subnets[s].nat_gateway == c.nat_gateway) {
        t.subnets[s].nat_gateway = kNoIndex;
      }
    }
    plan.removes.push_back("managed NAT gateway " + t.nat_gateways[c.nat_gateway].name +
                           " (detached from the node subnets)");
    c.nat_gateway = kNoIndex;
  }
  if (from == OutboundType::kBlock && o.to != OutboundType::kBlock) {
    plan.removes.push_back("the NSG rule denying outbound Internet on the node subnets");
  }

  switch (o.to) {
    case OutboundType::kLoadBalancer:
      to_load_balancer(t, o, plan, ips);
      break;
    case OutboundType::kManagedNatGateway:
      to_managed_nat_gateway(t, o, plan, ips);
      break;
    case OutboundType::kUserAssignedNatGateway:
      // The user associates the NAT gateway with the node subnet first (the article's step).
      if (c.nat_gateway == kNoIndex) {
        for (Index s : node_subnets(c)) {
          if (t.subnets[s].nat_gateway != kNoIndex) {
            c.nat_gateway = t.subnets[s].nat_gateway;
            break;
          }
        }
      }
      break;
    case OutboundType::kBlock:
      plan.creates.push_back(
          "an NSG rule denying outbound Internet on the node subnets (model block-nsg-rule)");
      break;
    case OutboundType::kUserDefinedRouting:
    case OutboundType::kNone:
      break;
  }
  plan.findings = new_findings(before, t, &plan.refused);
  return plan;
}

std::vector<DiffWarning> migration_warnings(const Topology& after, const DiffReport& diff) {
  std::vector<DiffWarning> out;
  auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v) {
      s += (s.empty() ? "" : ", ") + x;
    }
    return s.empty() ? std::string("none") : s;
  };
  if (!diff.new_ips.empty() || !diff.gone_ips.empty()) {
    // Only what there is to do: "must add none" reads as an instruction.
    std::string what;
    if (!diff.new_ips.empty()) {
      what = "firewall allow-lists must add " + joined(diff.new_ips);
    }
    if (!diff.gone_ips.empty()) {
      what += what.empty() ? "firewall allow-lists may remove " : " and may then remove ";
      what += joined(diff.gone_ips);
    }
    out.push_back(DiffWarning{"egress-ip-change", "the cluster's egress IPs change: " + what +
                                                      "; the change disrupts connections in "
                                                      "flight"});
  }
  if (after.cluster && !after.cluster->api_server.authorized_ip_ranges.empty()) {
    std::vector<std::string> outside;
    for (const std::string& ip : diff.new_ips) {
      std::optional<IpAddress> a = IpAddress::parse(ip);
      bool inside = false;
      for (const Prefix& p : after.cluster->api_server.authorized_ip_ranges) {
        inside = inside || (a && p.contains(*a));
      }
      if (!inside) {
        outside.push_back(ip);
      }
    }
    if (!outside.empty()) {
      out.push_back(DiffWarning{"authorized-ip-ranges",
                                "apiServer authorizedIpRanges must gain " + joined(outside) +
                                    " before the change, or nodes lose the API server"});
    }
  }
  std::set<std::string> reused;
  for (const FlowChange& c : diff.changes) {
    if (c.before.resource == c.after.resource || c.after.egress_ips.empty()) {
      continue;
    }
    for (const std::string& ip : c.after.egress_ips) {
      if (std::binary_search(c.before.egress_ips.begin(), c.before.egress_ips.end(), ip)) {
        reused.insert(ip);
      }
    }
  }
  if (!reused.empty()) {
    out.push_back(
        DiffWarning{"ip-reuse", "the new outbound configuration reuses " +
                                    joined(std::vector<std::string>(reused.begin(), reused.end())) +
                                    ", already used by the old one; the article says not to"});
  }
  if (after.cluster && !is_nat_type(after.cluster->outbound_type)) {
    for (Index s : node_subnets(*after.cluster)) {
      Index g = after.subnets[s].nat_gateway;
      if (g != kNoIndex) {
        out.push_back(DiffWarning{
            "nat-gateway-precedence",
            "NAT gateway " + after.nat_gateways[g].name + " stays attached to " +
                after.subnets[s].full_name +
                ": its traffic keeps leaving through it whatever "
                "outboundType says (a subnet's NAT gateway comes first, semantics.md 4)"});
      }
    }
  }
  return out;
}

}  // namespace egress
