// Migrations of every shipped example to every outbound type: the table's answer, the
// after-state AKS builds, and a diff whose egress IPs are the engine's.
#include "egress/migrate/migration_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "egress/config/topology_loader.h"
#include "egress/groups/destination_groups.h"
#include "egress/migrate/flow_diff.h"
#include "egress/migrate/migration_table.h"
#include "egress/synth/synth.h"

namespace egress {
namespace {

namespace fs = std::filesystem;

constexpr OutboundType kTypes[] = {OutboundType::kLoadBalancer,
                                   OutboundType::kManagedNatGateway,
                                   OutboundType::kUserAssignedNatGateway,
                                   OutboundType::kUserDefinedRouting,
                                   OutboundType::kNone,
                                   OutboundType::kBlock};

std::vector<std::string> cluster_examples() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(EGRESS_TOPOLOGIES_DIR)) {
    if (e.path().extension() != ".yaml") {
      continue;
    }
    LoadResult r = load_topology_file(e.path().string());
    if (r.topology && r.topology->cluster) {
      out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Topology load(const std::string& path) {
  LoadResult r = load_topology_file(path);
  EXPECT_TRUE(r.topology) << path;
  return r.topology ? std::move(*r.topology) : Topology{};
}

Engine engine_of(const Topology& t) {
  auto e = Engine::build(std::make_shared<const Topology>(t));
  EXPECT_TRUE(e.ok());
  return std::move(*e);
}

DiffReport diff(const Topology& before, const MigrationPlan& plan, uint64_t flows = 150) {
  SynthSpec spec;
  spec.flows = flows;
  spec.seed = 5;
  auto source = make_synth_source(before, spec);
  EXPECT_TRUE(source.ok());
  Engine b = engine_of(before);
  Engine a = engine_of(plan.after);
  auto d = diff_flows(b, a, **source, 5, plan.unknown);
  EXPECT_TRUE(d.ok());
  return d.ok() ? *d : DiffReport{};
}

std::string rename(const MigrationPlan& plan, const std::string& ip) {
  auto a = IpAddress::parse(ip);
  auto it = a ? plan.unknown.find(*a) : plan.unknown.end();
  return it == plan.unknown.end() ? ip : it->second;
}

TEST(MigrationPlan, EveryExampleToEveryTypeItsTableAllows) {
  std::vector<std::string> examples = cluster_examples();
  ASSERT_GE(examples.size(), 6U);
  int supported_moves = 0;
  for (const std::string& path : examples) {
    Topology before = load(path);
    const Cluster& c = *before.cluster;
    for (OutboundType to : kTypes) {
      SCOPED_TRACE(path + " -> " + to_string(to));
      MigrationVerdict v =
          check_migration(default_migration_table(), c.vnet_mode, c.outbound_type, to);
      if (!v.supported) {
        continue;
      }
      ++supported_moves;
      auto plan = plan_migration(before, MigrationOptions{to, 2});
      ASSERT_TRUE(plan.ok());
      EXPECT_EQ(plan->after.cluster->outbound_type, to);
      DiffReport d = diff(before, *plan);
      EXPECT_EQ(d.flows, 150U);
      // The after side of every change is what the engine says of the after-state.
      Engine after = engine_of(plan->after);
      for (const FlowChange& ch : d.changes) {
        if (ch.after.reason == Reason::kSnatExhausted) {
          continue;
        }
        FlowResult r = after.trace(ch.flow, 5);
        std::vector<std::string> expected;
        for (const std::string& ip : egress_ip_texts(r)) {
          expected.push_back(rename(*plan, ip));
        }
        std::sort(expected.begin(), expected.end());
        EXPECT_EQ(ch.after.egress_ips, expected);
        EXPECT_EQ(ch.after.verdict, r.verdict);
      }
      std::set<std::string> after_ips(d.after_ips.begin(), d.after_ips.end());
      switch (to) {
        case OutboundType::kManagedNatGateway: {
          std::string g = c.name + "-managed-natgw";
          EXPECT_EQ(d.after_ips,
                    (std::vector<std::string>{"unknown:" + g + "#1", "unknown:" + g + "#2"}));
          EXPECT_FALSE(plan->refused);
          break;
        }
        case OutboundType::kLoadBalancer:
          for (const std::string& ip : d.after_ips) {
            EXPECT_TRUE(ip.rfind("unknown:", 0) == 0 ||
                        std::find(d.before_ips.begin(), d.before_ips.end(), ip) !=
                            d.before_ips.end() ||
                        !plan->creates.empty())
                << ip;
          }
          break;
        case OutboundType::kBlock:
          // Nothing reaches the Internet once the NSG rule is there.
          EXPECT_TRUE(d.after_ips.empty()) << d.after_ips.size();
          break;
        default:
          break;
      }
    }
  }
  EXPECT_GE(supported_moves, 15);
}

TEST(MigrationPlan, LeavingLoadBalancerRemovesItsOutboundRules) {
  Topology before = load(std::string(EGRESS_TOPOLOGIES_DIR) + "/aks-loadbalancer.yaml");
  auto plan = plan_migration(before, MigrationOptions{OutboundType::kManagedNatGateway, 1});
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(
      plan->after.load_balancers[plan->after.cluster->load_balancer].outbound_rules.empty());
  EXPECT_EQ(
      plan->removes,
      (std::vector<std::string>{"outbound rule aksOutboundRule of load balancer kubernetes"}));
  EXPECT_EQ(plan->creates,
            (std::vector<std::string>{"managed NAT gateway aks-default-managed-natgw with 1 "
                                      "managed outbound IP(s), attached to the node subnets"}));
  ASSERT_EQ(plan->unknown.size(), 1U);
  EXPECT_EQ(plan->unknown.begin()->second, "unknown:aks-default-managed-natgw#1");
  EXPECT_TRUE(plan->unknown.begin()->first.v4_bits() >> 28 == 0xf);
}

TEST(MigrationPlan, UserDefinedRoutingWithoutADefaultRouteIsRefused) {
  Topology before =
      load(std::string(EGRESS_TOPOLOGIES_DIR) + "/aks-user-assigned-nat-gateway.yaml");
  auto plan = plan_migration(before, MigrationOptions{OutboundType::kUserDefinedRouting, 1});
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->refused);
  bool missing_route = false;
  for (const Diagnostic& d : plan->findings) {
    missing_route = missing_route || d.code == "RouteTableMissingDefaultRouteError";
  }
  EXPECT_TRUE(missing_route);
}

TEST(MigrationPlan, LeavingANatGatewayOnItsSubnetChangesNothingAndSaysWhy) {
  // BYO NAT gateway stays attached: precedence keeps every flow on it.
  Topology before =
      load(std::string(EGRESS_TOPOLOGIES_DIR) + "/aks-user-assigned-nat-gateway.yaml");
  auto plan = plan_migration(before, MigrationOptions{OutboundType::kLoadBalancer, 1});
  ASSERT_TRUE(plan.ok());
  DiffReport d = diff(before, *plan);
  EXPECT_EQ(d.changed, 0U);
  std::vector<DiffWarning> w = migration_warnings(plan->after, d);
  ASSERT_EQ(w.size(), 1U);
  EXPECT_EQ(w[0].code, "nat-gateway-precedence");
}

TEST(MigrationPlan, WarnsAboutAuthorizedRangesAndIpReuse) {
  DiffReport d;
  d.new_ips = {"20.9.9.9"};
  d.gone_ips = {"20.1.1.1"};
  FlowChange ch;
  ch.before.resource = "kubernetes";
  ch.before.egress_ips = {"20.1.1.1", "20.2.2.2"};
  ch.after.resource = "natgw";
  ch.after.egress_ips = {"20.2.2.2", "20.9.9.9"};
  d.changes = {ch};
  Topology after = load(std::string(EGRESS_TOPOLOGIES_DIR) + "/aks-loadbalancer.yaml");
  after.cluster->api_server.authorized_ip_ranges = {*Prefix::parse("20.1.1.0/24")};
  std::vector<DiffWarning> w = migration_warnings(after, d);
  ASSERT_EQ(w.size(), 3U);
  EXPECT_EQ(w[0].code, "egress-ip-change");
  EXPECT_EQ(w[0].text,
            "the cluster's egress IPs change: firewall allow-lists must add 20.9.9.9 and may then "
            "remove 20.1.1.1; the change disrupts connections in flight");
  EXPECT_EQ(w[1].code, "authorized-ip-ranges");
  EXPECT_EQ(w[1].text,
            "apiServer authorizedIpRanges must gain 20.9.9.9 before the change, or nodes lose the "
            "API server");
  EXPECT_EQ(w[2].code, "ip-reuse");
  EXPECT_EQ(w[2].text,
            "the new outbound configuration reuses 20.2.2.2, already used by the old one; the "
            "article says not to");
}

// Only what there is to do: no "must add none" when IPs only go, no "remove none" when they
// only come.
TEST(MigrationPlan, EgressIpChangeNamesOnlyWhatThereIsToDo) {
  struct Case {
    std::vector<std::string> new_ips;
    std::vector<std::string> gone_ips;
    const char* text;
  };
  const Case cases[] = {
      {{},
       {"20.1.1.1"},
       "the cluster's egress IPs change: firewall allow-lists may remove 20.1.1.1; the change "
       "disrupts connections in flight"},
      {{"20.9.9.9"},
       {},
       "the cluster's egress IPs change: firewall allow-lists must add 20.9.9.9; the change "
       "disrupts connections in flight"},
  };
  Topology after = load(std::string(EGRESS_TOPOLOGIES_DIR) + "/aks-udr-firewall.yaml");
  for (const Case& c : cases) {
    DiffReport d;
    d.new_ips = c.new_ips;
    d.gone_ips = c.gone_ips;
    std::vector<DiffWarning> w = migration_warnings(after, d);
    ASSERT_FALSE(w.empty());
    EXPECT_EQ(w[0].code, "egress-ip-change");
    EXPECT_EQ(w[0].text, c.text);
  }
}

TEST(MigrationPlan, PreflightFindingsAreTheRefusals) {
  EXPECT_TRUE(is_preflight_finding("nat-gateway-missing"));
  EXPECT_TRUE(is_preflight_finding("RouteTableInvalidNextHop"));
  EXPECT_FALSE(is_preflight_finding("nat-gateway-overrides-outbound-type"));
  EXPECT_FALSE(is_preflight_finding("next-hop-ip-not-owned"));
}

// Per partner: the flows to each group, the IPs it must add and may remove; the flows of a
// group leave the ungrouped transitions.
TEST(FlowDiff, GroupsSayWhatEachPartnerSees) {
  Topology before = load(std::string(EGRESS_TOPOLOGIES_DIR) + "/aks-loadbalancer.yaml");
  auto plan = plan_migration(before, MigrationOptions{OutboundType::kManagedNatGateway, 1});
  ASSERT_TRUE(plan.ok());
  DestinationGroupsLoad groups = parse_destination_groups(
      "groups:\n"
      "  - {name: github, destinations: [140.82.112.0/20:443/tcp]}\n"
      "  - {name: nobody, destinations: [192.0.2.1]}\n",
      "g.yaml");
  ASSERT_TRUE(groups.groups);
  SynthSpec spec;
  spec.flows = 200;
  spec.seed = 5;
  spec.protocols = {1, 0, 0};
  spec.destinations = *parse_destination_list("140.82.112.0/20:443,151.101.0.0/16:443");
  auto source = make_synth_source(before, spec);
  ASSERT_TRUE(source.ok());
  Engine b = engine_of(before);
  Engine a = engine_of(plan->after);
  auto d = diff_flows(b, a, **source, 5, plan->unknown, &*groups.groups);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->grouped);
  ASSERT_EQ(d->groups.size(), 2U);
  const GroupDiff& github = d->groups[0];
  EXPECT_EQ(github.name, "github");
  EXPECT_GT(github.flows, 50U);
  EXPECT_EQ(github.changed, github.flows);
  EXPECT_EQ(github.before_ips, (std::vector<std::string>{"20.62.138.17", "20.62.139.200"}));
  EXPECT_EQ(github.after_ips, (std::vector<std::string>{"unknown:aks-default-managed-natgw#1"}));
  EXPECT_EQ(github.add, github.after_ips);
  EXPECT_EQ(github.remove, github.before_ips);
  EXPECT_EQ(d->groups[1].flows, 0U);
  uint64_t ungrouped = 0;
  for (const IpTransition& t : d->transitions) {
    ungrouped += t.flows;
    for (const std::string& e : t.examples) {
      EXPECT_EQ(e.rfind("151.101.", 0), 0U) << e;
    }
  }
  EXPECT_EQ(ungrouped + github.flows, d->changed);
}

TEST(FlowDiff, SameTopologyChangesNothing) {
  Topology t = load(std::string(EGRESS_TOPOLOGIES_DIR) + "/aks-udr-firewall.yaml");
  MigrationPlan same;
  same.after = t;
  DiffReport d = diff(t, same, 300);
  EXPECT_EQ(d.flows, 300U);
  EXPECT_EQ(d.changed, 0U);
  EXPECT_TRUE(d.new_ips.empty());
  EXPECT_EQ(d.before_ips, d.after_ips);
}

}  // namespace
}  // namespace egress
