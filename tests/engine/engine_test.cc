#include "egress/engine/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "egress/engine/models.h"
#include "engine/lab_topology.h"

namespace egress {
namespace {

using testing::build_engine;
using testing::flow;
using testing::kLabYaml;
using testing::lab_with;

struct Case {
  const char* name;
  FlowKey flow;
  Verdict verdict;
  Reason reason;
  Via via;
  const char* resource;
  std::vector<std::string> egress_ips;
};

std::string describe(const FlowResult& r) {
  std::string s = std::string(to_string(r.verdict)) + " " + to_string(r.reason) + " via " +
                  to_string(r.via) + " " + r.resource + " [";
  for (const std::string& ip : egress_ip_texts(r)) {
    s += ip + " ";
  }
  s += "] hops:";
  for (const Hop& h : r.hops) {
    s += " {" + h.at + " " + h.rule + " " + to_string(h.action) + " " + ip_text(h) + " " + h.note +
         "}";
  }
  return s;
}

void expect_case(const Engine& engine, const Case& c) {
  FlowResult r = engine.trace(c.flow);
  SCOPED_TRACE(std::string(c.name) + ": " + describe(r));
  EXPECT_EQ(r.verdict, c.verdict);
  EXPECT_EQ(r.reason, c.reason);
  EXPECT_EQ(r.via, c.via);
  EXPECT_EQ(r.resource, c.resource);
  EXPECT_EQ(egress_ip_texts(r), c.egress_ips);
  EXPECT_FALSE(r.hops.empty()) << "every result shows what decided it";
}

using V = Verdict;
using R = Reason;

// semantics.md 1-4 on the lab topology: each row is one mechanism deciding.
const std::vector<Case>& lab_cases() {
  static const std::vector<Case> kCases = {
      {"node leaves through the LB outbound rule",
       flow("10.0.0.4", "140.82.112.3"),
       V::kEgress,
       R::kNone,
       Via::kLoadBalancer,
       "kubernetes",
       {"20.0.0.1", "20.0.0.2"}},
      {"azure CNI pod is SNATed to its node",
       flow("10.0.0.9", "140.82.112.3"),
       V::kEgress,
       R::kNone,
       Via::kLoadBalancer,
       "kubernetes",
       {"20.0.0.1", "20.0.0.2"}},
      {"pod keeps its IP inside the VNet",
       flow("10.0.0.5", "10.0.4.12"),
       V::kInternal,
       R::kNone,
       Via::kNone,
       "",
       {}},
      {"peered VNet is internal",
       flow("10.0.0.5", "10.1.0.10"),
       V::kInternal,
       R::kNone,
       Via::kNone,
       "",
       {}},
      {"API server through authorized LB IPs",
       flow("10.0.0.4", "20.50.1.10"),
       V::kEgress,
       R::kNone,
       Via::kLoadBalancer,
       "kubernetes",
       {"20.0.0.1", "20.0.0.2"}},
      {"NAT gateway beats instance IP and LB",
       flow("10.0.1.10", "140.82.112.3"),
       V::kEgress,
       R::kNone,
       Via::kNatGateway,
       "nat",
       {"20.1.0.1", "20.1.1.0", "20.1.1.1", "20.1.1.2", "20.1.1.3"}},
      {"NAT gateway translates no ICMP",
       flow("10.0.1.10", "140.82.112.3", 0, Protocol::kIcmp),
       V::kDropped,
       R::kNoOutboundConnectivity,
       Via::kNone,
       "",
       {}},
      {"instance public IP beats LB",
       flow("10.0.4.10", "140.82.112.3"),
       V::kEgress,
       R::kNone,
       Via::kInstancePublicIp,
       "open-ilpip",
       {"20.3.0.2"}},
      {"LB outbound rule for a host",
       flow("10.0.4.11", "140.82.112.3", 80),
       V::kEgress,
       R::kNone,
       Via::kLoadBalancer,
       "kubernetes",
       {"20.0.0.1"}},
      {"default outbound access",
       flow("10.0.4.12", "140.82.112.3"),
       V::kEgress,
       R::kNone,
       Via::kDefaultOutbound,
       "hub/open",
       {"unknown:default-outbound"}},
      {"default outbound access over IPv6",
       flow("fd00:0:0:4::10", "2001:db8::1"),
       V::kEgress,
       R::kNone,
       Via::kDefaultOutbound,
       "hub/open",
       {"unknown:default-outbound"}},
      {"private subnet has no egress",
       flow("10.0.3.10", "140.82.112.3"),
       V::kDropped,
       R::kNoOutboundConnectivity,
       Via::kNone,
       "",
       {}},
      {"outbound rule for TCP only",
       flow("10.0.3.11", "140.82.112.3", 443),
       V::kEgress,
       R::kNone,
       Via::kLoadBalancer,
       "kubernetes",
       {"20.0.0.2"}},
      {"outbound rule does not cover UDP",
       flow("10.0.3.11", "140.82.112.3", 53, Protocol::kUdp),
       V::kDropped,
       R::kNoOutboundConnectivity,
       Via::kNone,
       "",
       {}},
      {"UDR to the firewall beats everything",
       flow("10.0.5.10", "140.82.112.3"),
       V::kEgress,
       R::kNone,
       Via::kAppliance,
       "azfw",
       {"20.2.0.1", "20.2.0.2"}},
      {"firewall rule denies",
       flow("10.0.5.10", "140.82.112.3", 53, Protocol::kUdp),
       V::kDropped,
       R::kApplianceDeny,
       Via::kNone,
       "",
       {}},
      {"firewall forwards private traffic",
       flow("10.0.5.10", "10.0.4.12", 22),
       V::kInternal,
       R::kNone,
       Via::kNone,
       "",
       {}},
      {"next hop no appliance owns",
       flow("10.0.5.10", "10.9.1.1"),
       V::kDropped,
       R::kApplianceMissing,
       Via::kNone,
       "",
       {}},
      {"appliance without IP forwarding",
       flow("10.0.5.10", "10.8.1.1"),
       V::kDropped,
       R::kIpForwardingDisabled,
       Via::kNone,
       "",
       {}},
      {"user route to None",
       flow("10.0.5.10", "198.18.0.1"),
       V::kDropped,
       R::kRouteNone,
       Via::kNone,
       "",
       {}},
      {"system None route for 172.16/12",
       flow("10.0.4.12", "172.16.5.5"),
       V::kDropped,
       R::kRouteNone,
       Via::kNone,
       "",
       {}},
      {"IPv6 from a VNet without IPv6 space",
       flow("10.1.0.10", "2001:db8::1"),
       V::kDropped,
       R::kRouteNone,
       Via::kNone,
       "",
       {}},
      {"forwarded into a peer that refuses it",
       flow("10.0.5.10", "10.2.0.10"),
       V::kDropped,
       R::kForwardedTrafficNotAllowed,
       Via::kNone,
       "",
       {}},
      {"NSG rule denies",
       flow("10.0.6.10", "140.82.112.3"),
       V::kDropped,
       R::kNsgDeny,
       Via::kNone,
       "",
       {}},
      {"NSG lets other ports through",
       flow("10.0.6.10", "140.82.112.3", 80),
       V::kEgress,
       R::kNone,
       Via::kDefaultOutbound,
       "hub/guarded",
       {"unknown:default-outbound"}},
      {"firewall on a NAT gateway subnet: no double NAT",
       flow("10.0.8.10", "140.82.112.3"),
       V::kEgress,
       R::kNone,
       Via::kNatGateway,
       "fwnat",
       {"20.5.0.1"}},
      {"appliances routing to each other",
       flow("10.0.9.10", "140.82.112.3"),
       V::kDropped,
       R::kLoop,
       Via::kNone,
       "",
       {}},
      {"BGP route to on-premises",
       flow("10.0.4.12", "192.168.7.7"),
       V::kOnprem,
       R::kNone,
       Via::kNone,
       "",
       {}},
      {"VNet route beats a longer BGP route",
       flow("10.0.4.12", "10.0.200.5"),
       V::kInternal,
       R::kNone,
       Via::kNone,
       "",
       {}},
      {"platform DNS is served by the host",
       flow("10.0.5.10", "168.63.129.16", 53, Protocol::kUdp),
       V::kInternal,
       R::kNone,
       Via::kNone,
       "",
       {}},
      {"unknown source",
       flow("192.0.2.1", "10.0.4.12"),
       V::kDropped,
       R::kUnknownSource,
       Via::kNone,
       "",
       {}},
      {"ingress to a Service",
       flow("198.51.100.7", "20.0.0.10"),
       V::kIngress,
       R::kNone,
       Via::kLoadBalancer,
       "kubernetes",
       {"20.0.0.10"}},
      {"frontend without a Service on that port",
       flow("198.51.100.7", "20.0.0.10", 80),
       V::kDropped,
       R::kNoLoadBalancingRule,
       Via::kNone,
       "",
       {}},
  };
  return kCases;
}

TEST(EngineTest, LabFlows) {
  Engine engine = build_engine(kLabYaml);
  for (const Case& c : lab_cases()) {
    expect_case(engine, c);
  }
}

TEST(EngineTest, PodHopShowsSnatToNode) {
  Engine engine = build_engine(kLabYaml);
  FlowResult r = engine.trace(flow("10.0.0.9", "140.82.112.3"));
  ASSERT_GE(r.hops.size(), 2U);
  EXPECT_EQ(r.hops[0].at, "pod");
  EXPECT_EQ(r.hops[0].action, HopAction::kSnatToNode);
  EXPECT_EQ(ip_text(r.hops[0]), "10.0.0.8");  // node 1: 10.0.0.4 + 1 + maxPods
  EXPECT_EQ(r.hops[1].at, "hub/nodes");
  ASSERT_TRUE(r.hops[1].route);
  EXPECT_EQ(r.hops[1].route->prefix.to_string(), "0.0.0.0/0");
  EXPECT_EQ(r.hops[1].route->source, RouteSource::kDefault);
  EXPECT_EQ(r.hops.back().rule, "aksOutboundRule");
  // azure-egress-facts 3a: frontends in order, the first until it runs out.
  EXPECT_EQ(snat_ip_text(r), "20.0.0.1");
  ASSERT_TRUE(r.snat_port);
  // Node 1 of a 2-node pool owns ports [1024 + 1024, 1024 + 2048) of the first frontend.
  EXPECT_GE(*r.snat_port, 2048);
  EXPECT_LT(*r.snat_port, 3072);
}

TEST(EngineTest, FirewallHopCarriesRuleRouteAndSnat) {
  Engine engine = build_engine(kLabYaml);
  FlowResult r = engine.trace(flow("10.0.5.10", "140.82.112.3"));
  ASSERT_EQ(r.hops.size(), 2U) << describe(r);
  EXPECT_EQ(r.hops[0].at, "hub/routed");
  EXPECT_EQ(r.hops[0].route->table, "to-fw");
  EXPECT_EQ(r.hops[0].route->name, "default");
  EXPECT_EQ(r.hops[0].route->next_hop_ip->to_string(), "10.0.2.4");
  EXPECT_EQ(r.hops[1].at, "azfw");
  EXPECT_EQ(r.hops[1].rule, "allow-web");
  EXPECT_EQ(r.hops[1].action, HopAction::kSnat);
  EXPECT_EQ(r.hops[1].ip, r.snat_ip);
  EXPECT_EQ(r.hops[1].route->next_hop_type, NextHopType::kInternet);
  EXPECT_NE(std::find(r.egress_ips.begin(), r.egress_ips.end(), r.snat_ip), r.egress_ips.end());
}

TEST(EngineTest, DropsNameTheRuleOrRouteThatDecided) {
  Engine engine = build_engine(kLabYaml);
  FlowResult nsg = engine.trace(flow("10.0.6.10", "140.82.112.3"));
  EXPECT_EQ(nsg.hops.back().rule, "deny-web/deny-https");
  FlowResult deny = engine.trace(flow("10.0.5.10", "140.82.112.3", 53, Protocol::kUdp));
  EXPECT_EQ(deny.hops.back().at, "azfw");
  EXPECT_EQ(deny.hops.back().rule, "defaultAction");
  FlowResult none = engine.trace(flow("10.0.5.10", "198.18.0.1"));
  EXPECT_EQ(none.hops.back().route->name, "blackhole");
  FlowResult ghost = engine.trace(flow("10.0.5.10", "10.9.1.1"));
  EXPECT_EQ(ghost.models.id_strings(), std::vector<std::string>{"appliance-missing-drops"});
  FlowResult loop = engine.trace(flow("10.0.9.10", "140.82.112.3"));
  // The first subnet, then each of the 17 appliance visits, then the hop that gave up.
  EXPECT_EQ(loop.hops.size(), 19U);
}

TEST(EngineTest, InstancePublicIpKeepsThePort) {
  Engine engine = build_engine(kLabYaml);
  FlowResult r = engine.trace(flow("10.0.4.10", "140.82.112.3", 443, Protocol::kTcp, 51234));
  EXPECT_EQ(snat_ip_text(r), "20.3.0.2");
  EXPECT_EQ(r.snat_port, 51234);
}

TEST(EngineTest, SamplesRepeatForTheSameSeedAndSpreadOverIps) {
  Engine engine = build_engine(kLabYaml);
  std::vector<ResultAddress> seen;
  for (uint16_t sport = 1; sport <= 200; ++sport) {
    FlowKey f = flow("10.0.1.10", "140.82.112.3", 443, Protocol::kTcp, sport);
    FlowResult a = engine.trace(f, 7);
    FlowResult b = engine.trace(f, 7);
    EXPECT_EQ(a.snat_ip, b.snat_ip);
    EXPECT_EQ(a.snat_port, b.snat_port);
    ASSERT_TRUE(a.snat_port);
    EXPECT_GE(*a.snat_port, 1024);
    if (std::find(seen.begin(), seen.end(), a.snat_ip) == seen.end()) {
      seen.push_back(a.snat_ip);
    }
  }
  // Five addresses (one IP and a /30): NAT gateway picks among all of them.
  EXPECT_EQ(seen.size(), 5U);
}

TEST(EngineTest, UnauthorizedApiServerRange) {
  Engine engine = build_engine(
      lab_with({{"authorizedIpRanges: [20.0.0.0/30]", "authorizedIpRanges: [20.0.0.1/32]"}}));
  FlowResult r = engine.trace(flow("10.0.0.4", "20.50.1.10"));
  EXPECT_EQ(r.verdict, Verdict::kDropped);
  EXPECT_EQ(r.reason, Reason::kApiServerUnauthorized);
  EXPECT_EQ(r.hops.back().note, "egress IP 20.0.0.2 is outside authorizedIpRanges");
  // Other destinations are unaffected.
  EXPECT_EQ(engine.trace(flow("10.0.0.4", "140.82.112.3")).verdict, Verdict::kEgress);
}

// semantics.md 6-7: the cluster's nodes behind a UDR to the firewall.
TEST(EngineTest, UserDefinedRoutingMakesServiceIngressAsymmetric) {
  Engine engine =
      build_engine(lab_with({{"outboundType: loadBalancer", "outboundType: userDefinedRouting"},
                             {"        addressPrefix: 10.0.0.0/24\n",
                              "        addressPrefix: 10.0.0.0/24\n        routeTable: to-fw\n"}}));
  expect_case(engine, {"node egress through the firewall",
                       flow("10.0.0.4", "140.82.112.3"),
                       V::kEgress,
                       R::kNone,
                       Via::kAppliance,
                       "azfw",
                       {"20.2.0.1", "20.2.0.2"}});
  expect_case(engine, {"ingress replies go to the firewall",
                       flow("198.51.100.7", "20.0.0.10"),
                       V::kAsymmetric,
                       R::kReturnViaAppliance,
                       Via::kLoadBalancer,
                       "kubernetes",
                       {"20.0.0.10"}});
  FlowResult api = engine.trace(flow("10.0.0.4", "20.50.1.10"));
  EXPECT_EQ(api.reason, Reason::kApiServerUnauthorized) << describe(api);
  FlowResult in = engine.trace(flow("198.51.100.7", "20.0.0.10"));
  EXPECT_EQ(in.hops.back().route->name, "default");
  EXPECT_EQ(in.hops.back().route->table, "to-fw");
}

TEST(EngineTest, ForcedTunnelMakesIngressAsymmetricThroughTheGateway) {
  Engine engine = build_engine(lab_with({{"        addressPrefix: 10.0.0.0/24\n",
                                          "        addressPrefix: 10.0.0.0/24\n"
                                          "        routeTable: to-onprem\n"}}));
  expect_case(engine, {"replies to on-premises",
                       flow("198.51.100.7", "20.0.0.10"),
                       V::kAsymmetric,
                       R::kReturnViaGateway,
                       Via::kLoadBalancer,
                       "kubernetes",
                       {"20.0.0.10"}});
  expect_case(engine, {"node egress tunnelled",
                       flow("10.0.0.4", "140.82.112.3"),
                       V::kOnprem,
                       R::kNone,
                       Via::kNone,
                       "",
                       {}});
}

// azure-behaviour E6, model gateway-missing-drops.
TEST(EngineTest, ForcedTunnelWithoutAGatewayDrops) {
  Engine engine = build_engine(lab_with(
      {{"        addressPrefix: 10.0.0.0/24\n",
        "        addressPrefix: 10.0.0.0/24\n"
        "        routeTable: to-onprem\n"},
       {"gateways:\n  - {name: vpngw, vnet: hub, bgpRoutes: [192.168.0.0/16, 10.0.200.0/24]}\n",
        ""}}));
  FlowResult r = engine.trace(flow("10.0.0.4", "140.82.112.3"));
  EXPECT_EQ(r.verdict, Verdict::kDropped) << describe(r);
  EXPECT_EQ(r.reason, Reason::kGatewayMissing) << describe(r);
  ASSERT_FALSE(r.hops.empty());
  EXPECT_EQ(r.hops.back().note, "VNet hub has no virtual network gateway");
  EXPECT_TRUE(r.models.contains(model::kGatewayMissing));
  EXPECT_STREQ(to_string(r.reason), "gateway-missing");
}

TEST(EngineTest, BlockOutboundTypeDeniesInternetOnly) {
  Engine engine = build_engine(lab_with({{"outboundType: loadBalancer", "outboundType: block"}}));
  FlowResult out = engine.trace(flow("10.0.0.4", "140.82.112.3"));
  EXPECT_EQ(out.verdict, Verdict::kDropped);
  EXPECT_EQ(out.reason, Reason::kBlockedOutboundType);
  EXPECT_EQ(out.hops.back().rule, "aks-block-outbound");
  EXPECT_TRUE(out.models.contains("block-nsg-rule"));
  EXPECT_EQ(engine.trace(flow("10.0.0.5", "10.1.0.10")).verdict, Verdict::kInternal);
  // Other subnets are not node subnets: untouched.
  EXPECT_EQ(engine.trace(flow("10.0.4.12", "140.82.112.3")).verdict, Verdict::kEgress);
}

// azure-behaviour C1, C3, C5: the destination's subnet NSG judges inbound, rules match NICs
// by their application security groups (pods of Azure CNI are their node's NIC) and listed
// service tags by prefix.
TEST(EngineTest, NsgsJudgeInboundByGroupsAndOutboundByServiceTags) {
  Engine engine = build_engine(lab_with(
      {{"      nodes: 2\n", "      nodes: 2\n      applicationSecurityGroups: [aks-nodes]\n"},
       {"address: 10.0.3.10}", "address: 10.0.3.10, applicationSecurityGroups: [db]}"},
       {"        defaultOutboundAccess: false\n",
        "        defaultOutboundAccess: false\n        nsg: db-nsg\n"},
       {"nsgs:\n",
        "serviceTags:\n  - {name: Storage.WestEurope, addressPrefixes: [13.69.40.16/28]}\n"
        "applicationSecurityGroups: [{name: aks-nodes}, {name: db}]\n"
        "nsgs:\n  - name: db-nsg\n    rules:\n"
        "      - {name: nodes-to-db, priority: 100, direction: Inbound, access: Allow, "
        "protocol: Tcp, sourceApplicationSecurityGroups: [aks-nodes], "
        "destinationApplicationSecurityGroups: [db], destinationPorts: \"5432\"}\n"
        "      - {name: deny-db, priority: 200, direction: Inbound, access: Deny, "
        "destinationApplicationSecurityGroups: [db]}\n"
        "      - {name: deny-storage, priority: 100, direction: Outbound, access: Deny, "
        "destination: Storage.WestEurope}\n"}}));
  struct In {
    const char* what;
    FlowKey flow;
    Verdict verdict;
    Reason reason;
    const char* rule;  // of the last hop
  };
  const std::vector<In> cases = {
      {"node to the database port", flow("10.0.0.4", "10.0.3.10", 5432), V::kInternal, R::kNone,
       ""},
      {"Azure CNI pod, its node's groups", flow("10.0.0.5", "10.0.3.10", 5432), V::kInternal,
       R::kNone, ""},
      {"node to another port", flow("10.0.0.4", "10.0.3.10", 22), V::kDropped, R::kNsgDeny,
       "db-nsg/deny-db"},
      {"host outside the group", flow("10.0.4.12", "10.0.3.10", 5432), V::kDropped, R::kNsgDeny,
       "db-nsg/deny-db"},
      {"to the storage tag", flow("10.0.3.10", "13.69.40.20"), V::kDropped, R::kNsgDeny,
       "db-nsg/deny-storage"},
      {"past the tag's prefix", flow("10.0.3.10", "13.69.40.32"), V::kDropped,
       R::kNoOutboundConnectivity, "db-nsg/AllowInternetOutBound"},
  };
  for (const In& c : cases) {
    FlowResult r = engine.trace(c.flow);
    SCOPED_TRACE(std::string(c.what) + ": " + describe(r));
    EXPECT_EQ(r.verdict, c.verdict);
    EXPECT_EQ(r.reason, c.reason);
    EXPECT_EQ(r.hops.back().rule, c.rule);
  }
  FlowResult denied = engine.trace(flow("10.0.0.4", "10.0.3.10", 22));
  ASSERT_EQ(denied.hops.size(), 2U);  // the node subnet's route, then the destination's deny
  EXPECT_EQ(denied.hops[1].at, "hub/private");
  EXPECT_EQ(denied.hops[1].note, "inbound, subnet network security group of the destination");
}

TEST(EngineTest, KubenetPodsUseTheirNodeOutsidePodCidr) {
  Engine engine = build_engine(lab_with({{"networkPlugin: azure\n  maxPods: 3",
                                          "networkPlugin: kubenet\n  podCidr: 10.244.0.0/16"}}));
  FlowResult r = engine.trace(flow("10.244.1.7", "140.82.112.3"));
  ASSERT_FALSE(r.hops.empty());
  EXPECT_EQ(r.hops[0].action, HopAction::kSnatToNode);
  EXPECT_EQ(ip_text(r.hops[0]), "10.0.0.5");  // kubenet: nodes are consecutive
  EXPECT_EQ(r.via, Via::kLoadBalancer);
  // azure-egress-facts 5: overlay and kubenet SNAT even towards the VNet.
  FlowResult vnet = engine.trace(flow("10.244.0.9", "10.1.0.10"));
  EXPECT_EQ(vnet.hops[0].action, HopAction::kSnatToNode);
  EXPECT_EQ(vnet.verdict, Verdict::kInternal);
  FlowResult pod = engine.trace(flow("10.244.1.7", "10.244.0.9"));
  EXPECT_EQ(pod.verdict, Verdict::kInternal);
  EXPECT_EQ(pod.models.id_strings(), std::vector<std::string>{"pod-cidr-internal"});
  EXPECT_EQ(engine.trace(flow("10.244.2.1", "140.82.112.3")).reason, Reason::kUnknownSource)
      << "only two nodes: the third /24 belongs to nobody";
}

TEST(EngineTest, NonMasqueradeCidrsReplaceTheVnetDefault) {
  Engine engine =
      build_engine(lab_with({{"maxPods: 3", "maxPods: 3\n  nonMasqueradeCidrs: [10.1.0.0/16]"}}));
  EXPECT_EQ(engine.trace(flow("10.0.0.5", "10.1.0.10")).hops[0].action, HopAction::kKeepPodIp);
  EXPECT_EQ(engine.trace(flow("10.0.0.5", "10.0.4.12")).hops[0].action, HopAction::kSnatToNode);
}

TEST(EngineTest, NatGatewayOnNodeSubnetTakesPrecedenceOverLoadBalancer) {
  Engine engine = build_engine(lab_with({{"        addressPrefix: 10.0.0.0/24\n",
                                          "        addressPrefix: 10.0.0.0/24\n"
                                          "        natGateway: nat\n"}}));
  FlowResult r = engine.trace(flow("10.0.0.4", "140.82.112.3"));
  EXPECT_EQ(r.via, Via::kNatGateway);
  EXPECT_EQ(r.resource, "nat");
}

TEST(EngineTest, ApplianceWithoutSnatNeedsANatGateway) {
  Engine engine = build_engine(lab_with({{"    publicIps: [fw-pip, fw2-pip]\n",
                                          "    publicIps: [fw-pip, fw2-pip]\n    snat: false\n"}}));
  FlowResult r = engine.trace(flow("10.0.5.10", "140.82.112.3"));
  EXPECT_EQ(r.reason, Reason::kNoOutboundConnectivity);
  EXPECT_EQ(r.models.id_strings(), std::vector<std::string>{"appliance-no-snat-needs-nat-gateway"});
}

TEST(EngineTest, EveryVerdictIsReachable) {
  // The lab rows and the variations above produce each verdict; this guards the list itself.
  std::vector<Verdict> seen;
  for (const Case& c : lab_cases()) {
    seen.push_back(c.verdict);
  }
  for (Verdict v : {Verdict::kEgress, Verdict::kInternal, Verdict::kOnprem, Verdict::kIngress,
                    Verdict::kDropped}) {
    EXPECT_NE(std::find(seen.begin(), seen.end(), v), seen.end()) << to_string(v);
  }
}

// --- dual stack (azure-behaviour D3) ---------------------------------------------------------

// A dual-stack host subnet: a StandardV2 NAT gateway with one IP of each family, a Standard
// one with IPv4 only, and a load balancer with an IPv6 frontend.
const char kDualStack[] =
    "version: 1\n"
    "vnets:\n"
    "  - name: v\n"
    "    addressSpace: [10.0.0.0/16, 'fd00::/48']\n"
    "    subnets:\n"
    "      - {name: both, addressPrefixes: [10.0.1.0/24, 'fd00:0:0:1::/64'], natGateway: v2}\n"
    "      - {name: std, addressPrefixes: [10.0.2.0/24, 'fd00:0:0:2::/64'], natGateway: std,\n"
    "         defaultOutboundAccess: false}\n"
    "      - {name: lb, addressPrefixes: [10.0.3.0/24, 'fd00:0:0:3::/64'],\n"
    "         defaultOutboundAccess: false}\n"
    "publicIps:\n"
    "  - {name: v4, address: 20.0.0.1, sku: StandardV2}\n"
    "  - {name: v6, address: '2001:db8::1', sku: StandardV2}\n"
    "  - {name: s4, address: 20.0.0.2}\n"
    "  - {name: lb4, address: 20.0.0.3}\n"
    "  - {name: lb6, address: '2001:db8::3'}\n"
    "natGateways:\n"
    "  - {name: v2, sku: StandardV2, publicIps: [v4, v6]}\n"
    "  - {name: std, publicIps: [s4]}\n"
    "hosts:\n"
    "  - {name: a6, subnet: v/both, address: 'fd00:0:0:1::10'}\n"
    "  - {name: a4, subnet: v/both, address: 10.0.1.10}\n"
    "  - {name: s6, subnet: v/std, address: 'fd00:0:0:2::10'}\n"
    "  - {name: l6, subnet: v/lb, address: 'fd00:0:0:3::10'}\n"
    "  - {name: l4, subnet: v/lb, address: 10.0.3.10}\n"
    "loadBalancers:\n"
    "  - name: lb\n"
    "    frontends: [{name: f4, publicIp: lb4}, {name: f6, publicIp: lb6}]\n"
    "    backendPools: [{name: p, members: [l6, l4]}]\n"
    "    outboundRules: [{name: o, frontends: [f4, f6], backendPool: p}]\n";

TEST(EngineTest, ASnatIpIsOfTheFlowsFamily) {
  Engine engine = build_engine(kDualStack);
  const Case cases[] = {
      {"IPv6 through a StandardV2 NAT gateway leaves with its IPv6 address",
       flow("fd00:0:0:1::10", "2606:4700::1"),
       V::kEgress,
       R::kNone,
       Via::kNatGateway,
       "v2",
       {"2001:db8::1"}},
      {"IPv4 through the same gateway leaves with its IPv4 address",
       flow("10.0.1.10", "140.82.112.3"),
       V::kEgress,
       R::kNone,
       Via::kNatGateway,
       "v2",
       {"20.0.0.1"}},
      {"IPv6 on a subnet whose NAT gateway has no IPv6 address has no way out",
       flow("fd00:0:0:2::10", "2606:4700::1"),
       V::kDropped,
       R::kNoOutboundConnectivity,
       Via::kNone,
       "",
       {}},
      {"IPv6 through a load balancer uses its IPv6 frontends",
       flow("fd00:0:0:3::10", "2606:4700::1"),
       V::kEgress,
       R::kNone,
       Via::kLoadBalancer,
       "lb",
       {"2001:db8::3"}},
      {"IPv4 through the load balancer uses its IPv4 frontends",
       flow("10.0.3.10", "140.82.112.3"),
       V::kEgress,
       R::kNone,
       Via::kLoadBalancer,
       "lb",
       {"20.0.0.3"}},
  };
  for (const Case& c : cases) {
    expect_case(engine, c);
    FlowResult r = engine.trace(c.flow);
    if (!r.snat_ip.empty()) {
      EXPECT_EQ(r.snat_ip.address().is_v4(), c.flow.dst.is_v4()) << c.name;
    }
  }
}

// azure-behaviour D4, D5: flows over service endpoints and to private endpoints. hub/app and
// hub/locked send 0.0.0.0/0 to an appliance and have a Storage service endpoint; hub/locked's
// NSG denies Storage; hub/plain has neither endpoint nor NSG; the private endpoint is in the
// peered VNet shared, whose subnet NSG denies everything inbound.
std::string endpoint_lab(const std::string& policies, const std::string& storage_locations) {
  return "version: 1\n"
         "vnets:\n"
         "  - name: hub\n"
         "    addressSpace: [10.0.0.0/16]\n"
         "    peerings: [{remoteVnet: shared}]\n"
         "    subnets:\n"
         "      - name: app\n"
         "        addressPrefix: 10.0.1.0/24\n"
         "        routeTable: rt\n"
         "        serviceEndpoints: [{service: Microsoft.Storage" +
         storage_locations +
         "}]\n"
         "      - name: locked\n"
         "        addressPrefix: 10.0.2.0/24\n"
         "        routeTable: rt\n"
         "        nsg: no-storage\n"
         "        serviceEndpoints: [{service: Microsoft.Storage" +
         storage_locations +
         "}]\n"
         "      - {name: plain, addressPrefix: 10.0.3.0/24, routeTable: rt}\n"
         "      - {name: nva, addressPrefix: 10.0.9.0/24}\n"
         "  - name: shared\n"
         "    addressSpace: [10.1.0.0/16]\n"
         "    subnets:\n"
         "      - name: endpoints\n"
         "        addressPrefix: 10.1.2.0/24\n"
         "        nsg: closed\n"
         "        privateEndpointNetworkPolicies: " +
         policies +
         "\n"
         "serviceTags:\n"
         "  - {name: Storage.EastUS, addressPrefixes: [20.38.96.0/19]}\n"
         "  - {name: Storage, addressPrefixes: [20.38.96.0/19]}\n"
         "privateEndpoints:\n"
         "  - {name: kv-pe, subnet: shared/endpoints, address: 10.1.2.5, service: kv1 (vault)}\n"
         "publicIps: [{name: nva-pip, address: 20.9.9.9}]\n"
         "appliances:\n"
         "  - {name: nva, subnet: hub/nva, privateIp: 10.0.9.4, publicIps: [nva-pip]}\n"
         "hosts:\n"
         "  - {name: app-vm, subnet: hub/app, address: 10.0.1.10}\n"
         "  - {name: locked-vm, subnet: hub/locked, address: 10.0.2.10}\n"
         "  - {name: plain-vm, subnet: hub/plain, address: 10.0.3.10}\n"
         "nsgs:\n"
         "  - name: no-storage\n"
         "    rules:\n"
         "      - {name: deny-storage, priority: 100, direction: Outbound, access: Deny, "
         "protocol: Tcp, destination: Storage.EastUS, destinationPorts: '443'}\n"
         "  - name: closed\n"
         "    rules:\n"
         "      - {name: deny-all-in, priority: 100, direction: Inbound, access: Deny, "
         "protocol: '*', source: '*', destination: '*'}\n"
         "routeTables:\n"
         "  - name: rt\n"
         "    routes: [{name: all, addressPrefix: 0.0.0.0/0, nextHopType: VirtualAppliance, "
         "nextHopIpAddress: 10.0.9.4}]\n";
}

TEST(EngineTest, ServiceEndpointFlowKeepsThePrivateSource) {
  Engine engine = build_engine(endpoint_lab("Disabled", ", locations: [eastus]"));
  FlowResult r = engine.trace(flow("10.0.1.10", "20.38.100.1"));
  EXPECT_EQ(r.verdict, Verdict::kInternal);
  EXPECT_EQ(r.via, Via::kServiceEndpoint);
  EXPECT_EQ(r.resource, "Microsoft.Storage");
  EXPECT_EQ(snat_ip_text(r), "");
  EXPECT_TRUE(r.egress_ips.empty());
  EXPECT_TRUE(r.models.empty());
  ASSERT_EQ(r.hops.size(), 1U);
  EXPECT_EQ(r.hops[0].at, "hub/app");
  EXPECT_EQ(r.hops[0].action, HopAction::kToService);
  ASSERT_TRUE(r.hops[0].route);
  EXPECT_EQ(r.hops[0].route->next_hop_type, NextHopType::kVirtualNetworkServiceEndpoint);
  EXPECT_EQ(r.hops[0].note, "Microsoft.Storage service endpoint: source 10.0.1.10 kept (no SNAT)");
  EXPECT_EQ(std::string(to_string(r.via)), "serviceEndpoint");

  // Without the endpoint the same destination follows 0.0.0.0/0 to the appliance.
  FlowResult plain = engine.trace(flow("10.0.3.10", "20.38.100.1"));
  EXPECT_EQ(plain.verdict, Verdict::kEgress);
  EXPECT_EQ(plain.via, Via::kAppliance);
  EXPECT_EQ(snat_ip_text(plain), "20.9.9.9");
}

TEST(EngineTest, OutboundNsgStillAppliesToServiceEndpointTraffic) {
  Engine engine = build_engine(endpoint_lab("Disabled", ", locations: [eastus]"));
  FlowResult r = engine.trace(flow("10.0.2.10", "20.38.100.1"));
  EXPECT_EQ(r.verdict, Verdict::kDropped);
  EXPECT_EQ(r.reason, Reason::kNsgDeny);
  EXPECT_EQ(r.hops.back().rule, "no-storage/deny-storage");
}

TEST(EngineTest, ServiceEndpointWithoutLocationsNamesItsModel) {
  Engine engine = build_engine(endpoint_lab("Disabled", ""));
  FlowResult r = engine.trace(flow("10.0.1.10", "20.38.100.1"));
  EXPECT_EQ(r.via, Via::kServiceEndpoint);
  EXPECT_EQ(r.models.id_strings(), (std::vector<std::string>{"service-endpoint-all-regions"}));
}

TEST(EngineTest, PrivateEndpointAcrossAPeeringIsDeliveredPrivately) {
  // D5: the endpoint's subnet NSG (deny everything inbound) does not apply to it while its
  // network policies are off, nor with route table policies only.
  for (const char* policies : {"Disabled", "RouteTableEnabled"}) {
    Engine engine = build_engine(endpoint_lab(policies, ", locations: [eastus]"));
    FlowResult r = engine.trace(flow("10.0.1.10", "10.1.2.5"));
    EXPECT_EQ(r.verdict, Verdict::kInternal) << policies;
    EXPECT_EQ(r.via, Via::kPrivateEndpoint);
    EXPECT_EQ(r.resource, "kv-pe");
    ASSERT_EQ(r.hops.size(), 1U);
    EXPECT_EQ(r.hops[0].action, HopAction::kDeliver);
    EXPECT_EQ(r.hops[0].note, "private endpoint kv-pe to kv1 (vault)");
    ASSERT_TRUE(r.hops[0].route);
    EXPECT_EQ(r.hops[0].route->prefix.to_string(), "10.1.2.5/32");
    EXPECT_EQ(std::string(to_string(r.via)), "privateEndpoint");
  }
  // With NSG policies it does.
  for (const char* policies : {"Enabled", "NetworkSecurityGroupEnabled"}) {
    Engine engine = build_engine(endpoint_lab(policies, ", locations: [eastus]"));
    FlowResult r = engine.trace(flow("10.0.1.10", "10.1.2.5"));
    EXPECT_EQ(r.verdict, Verdict::kDropped) << policies;
    EXPECT_EQ(r.reason, Reason::kNsgDeny);
    EXPECT_EQ(r.hops.back().rule, "closed/deny-all-in");
  }
  // Another address of the subnet is no endpoint: the peering route and the NSG as ever.
  Engine engine = build_engine(endpoint_lab("Disabled", ", locations: [eastus]"));
  FlowResult other = engine.trace(flow("10.0.1.10", "10.1.2.6"));
  EXPECT_EQ(other.verdict, Verdict::kDropped);
  EXPECT_EQ(other.reason, Reason::kNsgDeny);
}

// azure-behaviour D6: the lab's system pool with node public IPs, from `prefix` when given.
std::string lab_with_node_public_ips(const char* prefix) {
  std::string pool = "      nodes: 2\n      enableNodePublicIP: true\n";
  if (prefix != nullptr) {
    pool += std::string("      nodePublicIPPrefix: ") + prefix + "\n";
  }
  return lab_with({{"      nodes: 2\n", pool},
                   {"  - {name: nat-prefix, addressPrefix: 20.1.1.0/30}\n",
                    "  - {name: nat-prefix, addressPrefix: 20.1.1.0/30}\n"
                    "  - {name: node-prefix, addressPrefix: 20.6.0.0/31}\n"
                    "  - {name: node-prefix-6, addressPrefix: '2001:db8:6::/127'}\n"}});
}

TEST(EngineTest, NodesWithAPrefixLeaveWithItsAddressesInNodeOrder) {
  Engine engine = build_engine(lab_with_node_public_ips("node-prefix"));
  const Case cases[] = {
      {"the first node takes the prefix's first address, before the LB outbound rule",
       flow("10.0.0.4", "140.82.112.3"),
       V::kEgress,
       R::kNone,
       Via::kInstancePublicIp,
       "system#0",
       {"20.6.0.0"}},
      {"an Azure CNI pod SNATed to the second node leaves with the node's address",
       flow("10.0.0.9", "140.82.112.3"),
       V::kEgress,
       R::kNone,
       Via::kInstancePublicIp,
       "system#1",
       {"20.6.0.1"}},
      {"ICMP passes a 1:1 instance public IP",
       flow("10.0.0.8", "140.82.112.3", 0, Protocol::kIcmp),
       V::kEgress,
       R::kNone,
       Via::kInstancePublicIp,
       "system#1",
       {"20.6.0.1"}},
  };
  for (const Case& c : cases) {
    expect_case(engine, c);
  }
  FlowResult r = engine.trace(flow("10.0.0.4", "140.82.112.3", 443, Protocol::kTcp, 51234));
  EXPECT_EQ(snat_ip_text(r), "20.6.0.0");
  EXPECT_EQ(r.snat_port, 51234);
  EXPECT_EQ(r.models.id_strings(), std::vector<std::string>{"node-public-ip"});
  EXPECT_EQ(r.hops.back().note, "node public IP from prefix node-prefix");
  EXPECT_EQ(r.snat.via, Via::kInstancePublicIp);
  EXPECT_EQ(r.snat.ips, std::vector<IpAddress>{*IpAddress::parse("20.6.0.0")});
  // The API server's authorizedIpRanges (20.0.0.0/30) does not hold the node's address.
  EXPECT_EQ(engine.trace(flow("10.0.0.4", "20.50.1.10")).reason, R::kApiServerUnauthorized);
  // A pod address kept inside nonMasqueradeCidrs is not the node's: no node public IP.
  EXPECT_EQ(engine.trace(flow("10.0.0.5", "10.1.0.10")).verdict, V::kInternal);
}

TEST(EngineTest, NodesWithoutAPrefixLeaveWithAnAddressAzurePicks) {
  Engine engine = build_engine(lab_with_node_public_ips(nullptr));
  FlowResult r = engine.trace(flow("10.0.0.8", "140.82.112.3", 443, Protocol::kTcp, 51234));
  EXPECT_EQ(r.verdict, V::kEgress) << describe(r);
  EXPECT_EQ(r.via, Via::kInstancePublicIp);
  EXPECT_EQ(r.resource, "system#1");
  EXPECT_EQ(snat_ip_text(r), "unknown:node-public-ip:system#1");
  EXPECT_EQ(egress_ip_texts(r), std::vector<std::string>{"unknown:node-public-ip:system#1"});
  EXPECT_EQ(r.snat_port, 51234);
  EXPECT_TRUE(r.snat.ips.empty());
  EXPECT_EQ(r.hops.back().note, "node public IP, an address Azure picks");
}

TEST(EngineTest, ANatGatewayComesBeforeNodePublicIps) {
  std::string yaml = lab_with_node_public_ips("node-prefix");
  yaml.replace(yaml.find("        addressPrefix: 10.0.0.0/24\n"),
               std::string("        addressPrefix: 10.0.0.0/24\n").size(),
               "        addressPrefix: 10.0.0.0/24\n        natGateway: nat\n");
  Engine engine = build_engine(yaml);
  FlowResult r = engine.trace(flow("10.0.0.4", "140.82.112.3"));
  EXPECT_EQ(r.via, Via::kNatGateway) << describe(r);
  EXPECT_EQ(r.resource, "nat");
}

TEST(EngineTest, ANodePublicIpOfTheOtherFamilyLeavesTheFlowToTheLoadBalancer) {
  Engine engine = build_engine(lab_with_node_public_ips("node-prefix-6"));
  FlowResult r = engine.trace(flow("10.0.0.4", "140.82.112.3"));
  EXPECT_EQ(r.via, Via::kLoadBalancer) << describe(r);
  EXPECT_EQ(r.resource, "kubernetes");
}

// azure-behaviour D7: a prefix frontend adds every address of the prefix, at its place among
// the rule's frontends, per family.
TEST(EngineTest, APrefixFrontendGivesTheRuleEveryAddressOfItsFamily) {
  std::string yaml = std::string(kDualStack) +
                     "publicIpPrefixes:\n"
                     "  - {name: p4, addressPrefix: 20.0.9.0/31}\n"
                     "  - {name: p6, addressPrefix: '2001:db8:9::/127'}\n";
  yaml.replace(yaml.find("{name: f6, publicIp: lb6}"),
               std::string("{name: f6, publicIp: lb6}").size(),
               "{name: f6, publicIp: lb6}, {name: q4, publicIpPrefix: p4}, "
               "{name: q6, publicIpPrefix: p6}");
  yaml.replace(yaml.find("frontends: [f4, f6]"), std::string("frontends: [f4, f6]").size(),
               "frontends: [q6, f4, q4]");
  Engine engine = build_engine(yaml);
  FlowResult v4 = engine.trace(flow("10.0.3.10", "140.82.112.3"));
  EXPECT_EQ(v4.via, Via::kLoadBalancer) << describe(v4);
  EXPECT_EQ(egress_ip_texts(v4), (std::vector<std::string>{"20.0.0.3", "20.0.9.0", "20.0.9.1"}));
  EXPECT_EQ(v4.snat.ips,
            (std::vector<IpAddress>{*IpAddress::parse("20.0.0.3"), *IpAddress::parse("20.0.9.0"),
                                    *IpAddress::parse("20.0.9.1")}));
  FlowResult v6 = engine.trace(flow("fd00:0:0:3::10", "2606:4700::1"));
  EXPECT_EQ(egress_ip_texts(v6), (std::vector<std::string>{"2001:db8:9::", "2001:db8:9::1"}));
}

TEST(EngineTest, APrefixFrontendOfMoreThan65536AddressesIsRefused) {
  std::string yaml =
      std::string(kDualStack) + "publicIpPrefixes:\n  - {name: p4, addressPrefix: 21.0.0.0/15}\n";
  yaml.replace(yaml.find("{name: f6, publicIp: lb6}"),
               std::string("{name: f6, publicIp: lb6}").size(),
               "{name: f6, publicIp: lb6}, {name: q4, publicIpPrefix: p4}");
  yaml.replace(yaml.find("frontends: [f4, f6]"), std::string("frontends: [f4, f6]").size(),
               "frontends: [q4]");
  auto engine = Engine::build(testing::load_yaml(yaml));
  ASSERT_FALSE(engine);
  EXPECT_EQ(engine.error().code, "lb-prefix-too-large");
  EXPECT_EQ(format_diagnostic(engine.error(), "error"),
            "lab.yaml:28:71: error: load balancer 'lb', frontend 'q4': public IP prefix "
            "21.0.0.0/15 has more than 65536 addresses; Azure's prefixes are /28 to /31 (IPv6 "
            "/124 to /127)");
}

}  // namespace
}  // namespace egress
