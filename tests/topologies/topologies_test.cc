// The example topologies of topologies/ checked end to end: every file loads without errors,
// has exactly the findings its header comment announces, compiles into an Engine, and the flows
// that make its point end as ../shared/spec/semantics.md says they must.
//
// The expectations are derived from the spec (semantics.md, cli.md, topology.md) and the Azure
// facts it cites, never from the engine's code: this test is an independent check of the
// engine. Section numbers in the comments are semantics.md's unless they say "facts".
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "egress/config/topology.h"
#include "egress/config/topology_checks.h"
#include "egress/config/topology_loader.h"
#include "egress/engine/effective_routes.h"
#include "egress/engine/engine.h"
#include "egress/engine/flow.h"
#include "egress/net/ip_address.h"
#include "egress/util/result.h"

namespace egress {
namespace {

namespace fs = std::filesystem;

// Files every checkout must ship (the test also covers any other *.yaml in the directory).
const std::vector<std::string>& required_files() {
  static const std::vector<std::string> files = {
      "aks-loadbalancer.yaml",
      "aks-managed-nat-gateway.yaml",
      "aks-user-assigned-nat-gateway.yaml",
      "aks-udr-firewall.yaml",
      "aks-none.yaml",
      "aks-block.yaml",
      "outbound-precedence.yaml",
      "hub-spoke-vpn.yaml",
      "firewall-nat-gateway.yaml",
      "nva-pitfalls.yaml",
  };
  return files;
}

// Finding codes a file is expected to have, as its header comment says. Files not listed
// must have none.
const std::map<std::string, std::multiset<std::string>>& expected_findings() {
  static const std::map<std::string, std::multiset<std::string>> findings = {
      // topology.md: "a nextHopIpAddress with no appliance" is a finding; so is the loop of
      // nva-a and nva-b (cli.md: a finding is what will misbehave; semantics.md 3 drops it).
      {"nva-pitfalls.yaml", {"next-hop-ip-not-owned", "routing-loop"}},
  };
  return findings;
}

std::vector<std::string> yaml_files() {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(EGRESS_TOPOLOGIES_DIR)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
      files.push_back(entry.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string path_of(const std::string& file) {
  return (fs::path(EGRESS_TOPOLOGIES_DIR) / file).string();
}

// A loaded and compiled example, kept for the whole test run.
struct Example {
  std::shared_ptr<const Topology> topology;
  std::unique_ptr<Engine> engine;
  std::string problem;  // why it could not be built; empty when it was
};

const Example& example(const std::string& file) {
  static std::map<std::string, std::unique_ptr<Example>> cache;
  auto& slot = cache[file];
  if (slot) {
    return *slot;
  }
  slot = std::make_unique<Example>();
  LoadResult loaded = load_topology_file(path_of(file));
  if (!loaded.errors.empty() || !loaded.topology) {
    for (const auto& e : loaded.errors) {
      slot->problem += format_diagnostic(e, "error") + "\n";
    }
    if (slot->problem.empty()) {
      slot->problem = "loader returned no topology and no error";
    }
    return *slot;
  }
  slot->topology = std::make_shared<const Topology>(std::move(*loaded.topology));
  Result<Engine> built = Engine::build(slot->topology);
  if (!built.ok()) {
    slot->problem = format_diagnostic(built.error(), "error");
    return *slot;
  }
  slot->engine = std::make_unique<Engine>(std::move(built).value());
  return *slot;
}

IpAddress ip(const std::string& text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << "bad address in the test: " << text;
  return a.value_or(IpAddress{});
}

FlowKey flow(Protocol proto, const std::string& src, uint16_t sport, const std::string& dst,
             uint16_t dport) {
  FlowKey k;
  k.proto = proto;
  k.src = ip(src);
  k.sport = sport;
  k.dst = ip(dst);
  k.dport = dport;
  return k;
}

FlowKey tcp(const std::string& src, const std::string& dst, uint16_t dport,
            uint16_t sport = 40112) {
  return flow(Protocol::kTcp, src, sport, dst, dport);
}

FlowKey udp(const std::string& src, const std::string& dst, uint16_t dport,
            uint16_t sport = 40112) {
  return flow(Protocol::kUdp, src, sport, dst, dport);
}

// The result as a person reads it, printed with every failed expectation.
std::string describe(const FlowResult& r) {
  std::ostringstream out;
  out << to_string(r.flow.proto) << " " << r.flow.src.to_string() << ":" << r.flow.sport << " -> "
      << r.flow.dst.to_string() << ":" << r.flow.dport << "\n  verdict=" << to_string(r.verdict)
      << " reason=" << to_string(r.reason) << " via=" << to_string(r.via)
      << " resource=" << r.resource << " snatIp=" << snat_ip_text(r) << " egressIps=[";
  std::vector<std::string> egress_ips = egress_ip_texts(r);
  for (size_t i = 0; i < egress_ips.size(); ++i) {
    out << (i > 0 ? "," : "") << egress_ips[i];
  }
  out << "]\n";
  for (const Hop& h : r.hops) {
    out << "  hop at=" << h.at;
    if (h.route) {
      out << " route={table=" << h.route->table << " name=" << h.route->name
          << " prefix=" << h.route->prefix.to_string() << " source=" << to_string(h.route->source)
          << " nextHop=" << to_string(h.route->next_hop_type);
      if (h.route->next_hop_ip) {
        out << " " << h.route->next_hop_ip->to_string();
      }
      out << "}";
    }
    if (!h.rule.empty()) {
      out << " rule=" << h.rule;
    }
    if (h.action != HopAction::kNone) {
      out << " action=" << to_string(h.action);
    }
    if (!h.ip.empty()) {
      out << " ip=" << ip_text(h);
    }
    if (!h.note.empty()) {
      out << " note=" << h.note;
    }
    out << "\n";
  }
  if (!r.models.empty()) {
    out << "  models:";
    for (std::string_view m : r.models.ids()) {
      out << " " << m;
    }
    out << "\n";
  }
  return out.str();
}

// What a flow must come to. Unset optionals are not checked.
struct Expect {
  Verdict verdict = Verdict::kDropped;
  Reason reason = Reason::kNone;
  std::optional<Via> via;
  std::optional<std::string> resource;
  std::optional<std::vector<std::string>> egress_ips;  // sorted
  std::optional<std::string> snat_ip;
};

// Builders for the usual expectations.
using Ips = std::vector<std::string>;

Expect verdict(Verdict v) {
  Expect x;
  x.verdict = v;
  return x;
}

Expect dropped(Reason r) {
  Expect x;
  x.verdict = Verdict::kDropped;
  x.reason = r;
  return x;
}

Expect asymmetric(Reason r) {
  Expect x;
  x.verdict = Verdict::kAsymmetric;
  x.reason = r;
  return x;
}

Expect egress(Via via, const std::string& resource, const Ips& egress_ips,
              std::optional<std::string> snat_ip = std::nullopt) {
  Expect x;
  x.verdict = Verdict::kEgress;
  x.via = via;
  x.resource = resource;
  x.egress_ips = egress_ips;
  x.snat_ip = std::move(snat_ip);
  return x;
}

// Default outbound access: Azure's IP, unknown (semantics.md 4, step 4).
Expect default_outbound() {
  Expect x;
  x.verdict = Verdict::kEgress;
  x.via = Via::kDefaultOutbound;
  x.snat_ip = "unknown:default-outbound";
  return x;
}

// Traces `k` and checks it against `x`. Returns the result for further checks.
FlowResult expect_flow(const Engine& engine, const FlowKey& k, const Expect& x, uint64_t seed = 0,
                       std::string_view host = {}) {
  FlowResult r = engine.trace(k, seed, host);
  SCOPED_TRACE("trace: " + describe(r));
  EXPECT_TRUE(r.flow == k) << "the result must carry the flow it traced";
  EXPECT_STREQ(to_string(r.verdict), to_string(x.verdict));
  EXPECT_STREQ(to_string(r.reason), to_string(x.reason));
  if (x.via) {
    EXPECT_STREQ(to_string(r.via), to_string(*x.via));
  }
  if (x.resource) {
    EXPECT_EQ(r.resource, *x.resource);
  }
  if (x.egress_ips) {
    EXPECT_EQ(egress_ip_texts(r), *x.egress_ips);
  }
  if (x.snat_ip) {
    EXPECT_EQ(snat_ip_text(r), *x.snat_ip);
  }
  // cli.md: reason is set for dropped and asymmetric only.
  if (r.verdict != Verdict::kDropped && r.verdict != Verdict::kAsymmetric) {
    EXPECT_EQ(r.reason, Reason::kNone) << "a reason on a " << to_string(r.verdict) << " flow";
  } else {
    EXPECT_NE(r.reason, Reason::kNone) << "a " << to_string(r.verdict) << " flow needs a reason";
  }
  // semantics.md 5: the sampled IP is one of the IPs the flow could have left with.
  if (r.verdict == Verdict::kEgress && r.via != Via::kDefaultOutbound) {
    EXPECT_NE(std::find(r.egress_ips.begin(), r.egress_ips.end(), r.snat_ip), r.egress_ips.end())
        << "snatIp " << snat_ip_text(r) << " is not in egressIps";
  }
  if (r.verdict == Verdict::kEgress) {
    EXPECT_TRUE(std::is_sorted(r.egress_ips.begin(), r.egress_ips.end()));
  }
  return r;
}

// semantics.md 1: the pod's SNAT is the trace's first hop.
void expect_snat_to_node(const FlowResult& r, const std::string& node_ip) {
  SCOPED_TRACE("trace: " + describe(r));
  ASSERT_FALSE(r.hops.empty());
  EXPECT_EQ(r.hops.front().at, "pod");
  EXPECT_EQ(r.hops.front().action, HopAction::kSnatToNode);
  EXPECT_EQ(ip_text(r.hops.front()), node_ip);
}

void expect_no_snat_to_node(const FlowResult& r) {
  SCOPED_TRACE("trace: " + describe(r));
  for (const Hop& h : r.hops) {
    EXPECT_NE(h.action, HopAction::kSnatToNode) << "at " << h.at;
  }
}

const Hop* find_hop(const FlowResult& r, const std::string& at) {
  for (const Hop& h : r.hops) {
    if (h.at == at) {
      return &h;
    }
  }
  return nullptr;
}

// A hop names the rule that applied: the appliance rule, or the NSG rule (written `rule` or
// `NSG/rule`).
bool has_rule(const FlowResult& r, const std::string& rule) {
  const std::string qualified = "/" + rule;
  return std::any_of(r.hops.begin(), r.hops.end(), [&](const Hop& h) {
    return h.rule == rule ||
           (h.rule.size() > qualified.size() &&
            h.rule.compare(h.rule.size() - qualified.size(), qualified.size(), qualified) == 0);
  });
}

// The route of the first hop at one of `ats` that names a route, checked against what the
// example's route table says. An appliance forwards by a lookup in its own subnet (semantics.md
// 3); a trace may show that route on a hop at the subnet or on the appliance's own hop, so
// callers pass both.
void expect_route_at_any(const FlowResult& r, const std::vector<std::string>& ats,
                         RouteSource source, NextHopType type, const std::string& prefix,
                         const std::string& table = "", const std::string& name = "") {
  SCOPED_TRACE("trace: " + describe(r));
  const Hop* h = nullptr;
  for (const Hop& hop : r.hops) {
    if (hop.route && std::find(ats.begin(), ats.end(), hop.at) != ats.end()) {
      h = &hop;
      break;
    }
  }
  ASSERT_NE(h, nullptr) << "no hop with a route at " << ats.front();
  EXPECT_STREQ(to_string(h->route->source), to_string(source));
  EXPECT_STREQ(to_string(h->route->next_hop_type), to_string(type));
  EXPECT_EQ(h->route->prefix.to_string(), prefix);
  if (!table.empty()) {
    EXPECT_EQ(h->route->table, table);
  }
  if (!name.empty()) {
    EXPECT_EQ(h->route->name, name);
  }
}

void expect_route_at(const FlowResult& r, const std::string& at, RouteSource source,
                     NextHopType type, const std::string& prefix, const std::string& table = "",
                     const std::string& name = "") {
  expect_route_at_any(r, {at}, source, type, prefix, table, name);
}

// Every effective route of a subnet with this prefix (shadowed ones too).
std::vector<EffectiveRoute> routes_for(const Engine& engine, const std::string& subnet,
                                       const std::string& prefix) {
  std::vector<EffectiveRoute> out;
  Index s = engine.topology().find_subnet(subnet);
  EXPECT_NE(s, kNoIndex) << "no subnet " << subnet;
  if (s == kNoIndex) {
    return out;
  }
  for (const EffectiveRoute& r : engine.routes(s)) {
    if (r.prefix.to_string() == prefix) {
      out.push_back(r);
    }
  }
  return out;
}

// The one active route of a subnet for this prefix.
std::optional<EffectiveRoute> active_route(const Engine& engine, const std::string& subnet,
                                           const std::string& prefix) {
  std::optional<EffectiveRoute> found;
  for (const EffectiveRoute& r : routes_for(engine, subnet, prefix)) {
    if (r.active) {
      EXPECT_FALSE(found.has_value()) << subnet << ": two active routes for " << prefix;
      found = r;
    }
  }
  return found;
}

#define EGRESS_EXAMPLE(var, file)                                                       \
  const Example& var##_example = example(file);                                         \
  ASSERT_NE(var##_example.engine, nullptr) << (file) << ":\n" << var##_example.problem; \
  const Engine& var = *var##_example.engine

// ---------------------------------------------------------------------------------------------
// Every file

TEST(TopologiesTest, RequiredExamplesAreShipped) {
  const std::vector<std::string> files = yaml_files();
  for (const std::string& f : required_files()) {
    EXPECT_NE(std::find(files.begin(), files.end(), f), files.end()) << "missing topologies/" << f;
  }
}

TEST(TopologiesTest, EveryFileLoadsWithExpectedFindingsAndBuilds) {
  const std::vector<std::string> files = yaml_files();
  ASSERT_FALSE(files.empty()) << "no *.yaml in " << EGRESS_TOPOLOGIES_DIR;
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    LoadResult loaded = load_topology_file(path_of(file));
    for (const Diagnostic& e : loaded.errors) {
      ADD_FAILURE() << format_diagnostic(e, "error") << " [" << e.code << "]";
    }
    ASSERT_TRUE(loaded.topology.has_value());
    EXPECT_EQ(loaded.topology->version, 1);

    std::multiset<std::string> codes;
    std::string listing;
    for (const Diagnostic& d : check_topology(*loaded.topology)) {
      codes.insert(d.code);
      listing += format_diagnostic(d, "finding") + " [" + d.code + "]\n";
    }
    auto want = expected_findings().find(file);
    const std::multiset<std::string> expected =
        want == expected_findings().end() ? std::multiset<std::string>{} : want->second;
    EXPECT_EQ(codes, expected) << "findings:\n" << listing;

    const Example& ex = example(file);
    EXPECT_NE(ex.engine, nullptr) << ex.problem;
  }
}

TEST(TopologiesTest, EveryFileStartsWithItsHeaderComment) {
  for (const std::string& file : yaml_files()) {
    std::ifstream in(path_of(file));
    std::string first;
    std::getline(in, first);
    EXPECT_EQ(first.rfind("# ", 0), 0U)
        << file << " must start with a comment saying what it shows";
  }
}

// ---------------------------------------------------------------------------------------------
// aks-loadbalancer.yaml: outboundType loadBalancer (semantics 4 step 3, 5, 6, 7)

const std::vector<std::string> kLbOutboundIps = {"20.62.138.17", "20.62.139.200"};

TEST(AksLoadBalancerTest, PodsLeaveThroughTheOutboundRuleWithTheFirstFrontend) {
  EGRESS_EXAMPLE(engine, "aks-loadbalancer.yaml");
  // Frontend IPs are used in order (5): the first one while it has ports.
  const Expect lb = egress(Via::kLoadBalancer, "kubernetes", kLbOutboundIps, "20.62.138.17");
  FlowResult r = expect_flow(engine, tcp("10.244.0.7", "140.82.112.3", 443), lb);
  expect_snat_to_node(r, "10.224.0.4");
  // Nodes are numbered across pools; userpool1's second node lists 10.224.0.101 and owns the
  // fifth /24 of podCidr (topology.md, semantics 1).
  r = expect_flow(engine, tcp("10.244.4.20", "140.82.112.3", 443), lb);
  expect_snat_to_node(r, "10.224.0.101");
  r = expect_flow(engine, tcp("10.244.2.9", "140.82.112.3", 443), lb);
  expect_snat_to_node(r, "10.224.0.6");
  // protocol All: UDP too.
  expect_flow(engine, udp("10.244.1.9", "8.8.8.8", 53), lb);
  // A node itself.
  expect_flow(engine, tcp("10.224.0.100", "140.82.112.3", 443), lb);
}

TEST(AksLoadBalancerTest, ApiServerTrafficIsAuthorized) {
  EGRESS_EXAMPLE(engine, "aks-loadbalancer.yaml");
  expect_flow(engine, tcp("10.224.0.5", "20.62.160.20", 443),
              egress(Via::kLoadBalancer, "kubernetes", kLbOutboundIps));
}

TEST(AksLoadBalancerTest, VnetTrafficStaysInside) {
  EGRESS_EXAMPLE(engine, "aks-loadbalancer.yaml");
  expect_flow(engine, tcp("10.244.1.5", "10.224.0.100", 10250), verdict(Verdict::kInternal));
  expect_flow(engine, tcp("10.224.0.4", "10.224.0.5", 10250), verdict(Verdict::kInternal));
}

TEST(AksLoadBalancerTest, NodeNsgDeniesSmtp) {
  EGRESS_EXAMPLE(engine, "aks-loadbalancer.yaml");
  FlowResult r =
      expect_flow(engine, tcp("10.244.0.7", "140.82.112.3", 25), dropped(Reason::kNsgDeny));
  EXPECT_TRUE(has_rule(r, "deny-smtp-outbound")) << describe(r);
}

TEST(AksLoadBalancerTest, ServiceIngressIsSymmetric) {
  EGRESS_EXAMPLE(engine, "aks-loadbalancer.yaml");
  // The node subnet routes the client to Internet: replies return through the LB (7).
  expect_flow(engine, tcp("198.51.100.23", "20.62.140.5", 443, 50123), verdict(Verdict::kIngress));
  // The frontend has no Service on 8080 (flow.h: no-lb-rule).
  expect_flow(engine, tcp("198.51.100.23", "20.62.140.5", 8080, 50123),
              dropped(Reason::kNoLoadBalancingRule));
}

TEST(AksLoadBalancerTest, UnknownSourcesAreDropped) {
  EGRESS_EXAMPLE(engine, "aks-loadbalancer.yaml");
  expect_flow(engine, tcp("10.99.0.1", "140.82.112.3", 443), dropped(Reason::kUnknownSource));
  expect_flow(engine, tcp("192.0.2.1", "140.82.112.3", 443), dropped(Reason::kUnknownSource));
}

// ---------------------------------------------------------------------------------------------
// aks-managed-nat-gateway.yaml: managedNATGateway (semantics 1, 4 step 1, 5, 6)

const std::vector<std::string> kManagedNatIps = {"20.241.88.103", "20.241.89.7"};

TEST(AksManagedNatGatewayTest, PodsAndNodesLeaveThroughTheNatGateway) {
  EGRESS_EXAMPLE(engine, "aks-managed-nat-gateway.yaml");
  const Expect nat = egress(Via::kNatGateway, "aks-nat", kManagedNatIps);
  // Azure CNI: node 0 is 10.224.0.4, its pods .5-.34; node 1 is .35.
  FlowResult r = expect_flow(engine, tcp("10.224.0.10", "140.82.112.3", 443), nat);
  expect_snat_to_node(r, "10.224.0.4");
  r = expect_flow(engine, udp("10.224.0.40", "8.8.8.8", 53), nat);
  expect_snat_to_node(r, "10.224.0.35");
  r = expect_flow(engine, tcp("10.224.0.96", "140.82.112.3", 443), nat);
  expect_snat_to_node(r, "10.224.0.66");
  expect_flow(engine, tcp("10.224.0.35", "140.82.112.3", 443), nat);
}

TEST(AksManagedNatGatewayTest, PodKeepsItsIpInsideTheVnet) {
  EGRESS_EXAMPLE(engine, "aks-managed-nat-gateway.yaml");
  FlowResult r =
      expect_flow(engine, tcp("10.224.0.70", "10.224.0.200", 8080), verdict(Verdict::kInternal));
  expect_no_snat_to_node(r);
}

TEST(AksManagedNatGatewayTest, NatGatewayPicksItsIpAtRandomButRepeatably) {
  EGRESS_EXAMPLE(engine, "aks-managed-nat-gateway.yaml");
  std::set<std::string> seen;
  for (uint16_t sport = 40000; sport < 40064; ++sport) {
    FlowKey k = tcp("10.224.0.10", "140.82.112.3", 443, sport);
    FlowResult a = engine.trace(k, 7);
    FlowResult b = engine.trace(k, 7);
    EXPECT_EQ(a.snat_ip, b.snat_ip) << "same flow, same seed";
    EXPECT_EQ(a.snat_port, b.snat_port) << "same flow, same seed";
    seen.insert(snat_ip_text(a));
  }
  // 64 flows over two IPs chosen at random (5): both show up.
  EXPECT_EQ(seen, std::set<std::string>(kManagedNatIps.begin(), kManagedNatIps.end()));
}

TEST(AksManagedNatGatewayTest, StaleAuthorizedIpRangesRejectTheApiServerTraffic) {
  EGRESS_EXAMPLE(engine, "aks-managed-nat-gateway.yaml");
  // authorizedIpRanges hold only the pre-migration LB IP (6).
  expect_flow(engine, tcp("10.224.0.4", "20.241.120.15", 443),
              dropped(Reason::kApiServerUnauthorized));
  expect_flow(engine, tcp("10.224.0.10", "20.241.120.15", 443),
              dropped(Reason::kApiServerUnauthorized));
}

// ---------------------------------------------------------------------------------------------
// aks-user-assigned-nat-gateway.yaml: userAssignedNATGateway with an IP and a /30 prefix

const std::vector<std::string> kUserNatIps = {"20.121.56.9", "20.121.57.0", "20.121.57.1",
                                              "20.121.57.2", "20.121.57.3"};

TEST(AksUserAssignedNatGatewayTest, EgressIpSetHoldsTheIpAndEveryPrefixAddress) {
  EGRESS_EXAMPLE(engine, "aks-user-assigned-nat-gateway.yaml");
  const Expect nat = egress(Via::kNatGateway, "ng-aks-egress", kUserNatIps);
  FlowResult r = expect_flow(engine, tcp("10.244.1.9", "140.82.112.3", 443), nat);
  expect_snat_to_node(r, "10.10.0.5");
  r = expect_flow(engine, udp("10.244.2.30", "162.159.200.1", 123), nat);
  expect_snat_to_node(r, "10.10.0.6");
  expect_flow(engine, tcp("10.10.0.4", "140.82.112.3", 443), nat);

  std::set<std::string> seen;
  for (uint16_t sport = 41000; sport < 41128; ++sport) {
    seen.insert(snat_ip_text(engine.trace(tcp("10.244.0.12", "140.82.112.3", 443, sport), 1)));
  }
  for (const std::string& s : seen) {
    EXPECT_NE(std::find(kUserNatIps.begin(), kUserNatIps.end(), s), kUserNatIps.end()) << s;
  }
  EXPECT_GT(seen.size(), 1U) << "128 flows all left with one of five IPs";
}

TEST(AksUserAssignedNatGatewayTest, ApiServerTrafficIsAuthorized) {
  EGRESS_EXAMPLE(engine, "aks-user-assigned-nat-gateway.yaml");
  expect_flow(engine, tcp("10.10.0.6", "20.121.100.8", 443),
              egress(Via::kNatGateway, "ng-aks-egress", kUserNatIps));
}

TEST(AksUserAssignedNatGatewayTest, OtherSubnetsOfTheVnetAreInternal) {
  EGRESS_EXAMPLE(engine, "aks-user-assigned-nat-gateway.yaml");
  FlowResult r =
      expect_flow(engine, tcp("10.244.0.12", "10.10.4.5", 443), verdict(Verdict::kInternal));
  // Overlay: anything outside podCidr leaves with the node's IP (1).
  expect_snat_to_node(r, "10.10.0.4");
}

// ---------------------------------------------------------------------------------------------
// aks-udr-firewall.yaml: userDefinedRouting through Azure Firewall (2, 3, 4, 6, 7)

const std::vector<std::string> kFirewallIps = {"20.83.201.36"};
const char* const kAksSubnet = "aks-egress-vnet/aks-subnet";
const char* const kFirewallSubnet = "aks-egress-vnet/AzureFirewallSubnet";

TEST(AksUdrFirewallTest, PodHttpsLeavesThroughTheFirewall) {
  EGRESS_EXAMPLE(engine, "aks-udr-firewall.yaml");
  const Expect fw = egress(Via::kAppliance, "aks-egress-fw", kFirewallIps, "20.83.201.36");
  // The tutorial's network rule `ghcr`: TCP 443 to ghcr.io by FQDN (azure-behaviour B6).
  FlowResult r = expect_flow(engine, tcp("10.42.1.10", "140.82.112.3", 443), fw, 0, "ghcr.io");
  expect_snat_to_node(r, "10.42.1.4");
  expect_route_at(r, kAksSubnet, RouteSource::kUser, NextHopType::kVirtualAppliance, "0.0.0.0/0",
                  "aks-egress-fwrt", "aks-egress-fwrn");
  EXPECT_TRUE(has_rule(r, "aksfwnr/ghcr")) << describe(r);
  // The firewall's own subnet sends it to the Internet by its system route.
  expect_route_at_any(r, {kFirewallSubnet, "aks-egress-fw"}, RouteSource::kDefault,
                      NextHopType::kInternet, "0.0.0.0/0");
  // Node 1 is 10.42.1.35 (Azure CNI: 30 pod IPs after each node).
  r = expect_flow(engine, tcp("10.42.1.40", "140.82.112.3", 443), fw, 0, "ghcr.io");
  expect_snat_to_node(r, "10.42.1.35");
  // The application rule with the AzureKubernetesService FQDN tag (B5).
  r = expect_flow(engine, tcp("10.42.1.10", "20.42.15.95", 443), fw, 0, "mcr.microsoft.com");
  EXPECT_TRUE(has_rule(r, "aksfwar/fqdn")) << describe(r);
  // No host name: no FQDN rule can match, Azure Firewall's default deny (B1, B8).
  expect_flow(engine, tcp("10.42.1.10", "140.82.112.3", 443), dropped(Reason::kApplianceDeny));
  expect_flow(engine, tcp("10.42.1.10", "140.82.112.3", 443), dropped(Reason::kApplianceDeny), 0,
              "github.com");
}

TEST(AksUdrFirewallTest, FirewallNetworkRules) {
  EGRESS_EXAMPLE(engine, "aks-udr-firewall.yaml");
  const Expect fw = egress(Via::kAppliance, "aks-egress-fw", kFirewallIps);
  // 20.42.0.0/17 and 40.71.0.0/16 are prefixes of AzureCloud.eastus.
  EXPECT_TRUE(
      has_rule(expect_flow(engine, udp("10.42.1.10", "20.42.1.1", 1194), fw), "aksfwnr/apiudp"));
  EXPECT_TRUE(
      has_rule(expect_flow(engine, tcp("10.42.1.10", "40.71.3.9", 9000), fw), "aksfwnr/apitcp"));
  EXPECT_TRUE(
      has_rule(expect_flow(engine, udp("10.42.1.4", "91.189.91.157", 123), fw, 0, "ntp.ubuntu.com"),
               "aksfwnr/time"));
  const Expect deny = dropped(Reason::kApplianceDeny);
  expect_flow(engine, tcp("10.42.1.40", "140.82.112.3", 22), deny);
  expect_flow(engine, tcp("10.42.1.10", "140.82.112.3", 9000), deny);  // not AzureCloud.eastus
  expect_flow(engine, tcp("10.42.1.10", "20.50.1.1", 9000), deny);     // AzureCloud, not eastus
  expect_flow(engine, udp("10.42.1.10", "140.82.112.3", 1194), deny);
  expect_flow(engine, tcp("10.42.1.10", "140.82.112.3", 80), deny);
  expect_flow(engine, udp("10.42.1.4", "91.189.91.157", 123), deny);  // no name known
}

TEST(AksUdrFirewallTest, VnetTrafficIsInternalAndKeepsThePodIp) {
  EGRESS_EXAMPLE(engine, "aks-udr-firewall.yaml");
  // 10.42.0.0/16 -> VnetLocal is longer than the 0.0.0.0/0 user route (2).
  FlowResult r =
      expect_flow(engine, tcp("10.42.1.10", "10.42.1.200", 8080), verdict(Verdict::kInternal));
  expect_no_snat_to_node(r);
  r = expect_flow(engine, tcp("10.42.1.10", "10.42.2.10", 443), verdict(Verdict::kInternal));
  expect_no_snat_to_node(r);
}

TEST(AksUdrFirewallTest, PrivateAddressOutsideTheVnetDiesInTheFirewallSubnet) {
  EGRESS_EXAMPLE(engine, "aks-udr-firewall.yaml");
  // aks-subnet lost its 10/8 None route to the 0/0 user route (facts 1a), so 10.0.0.5 goes to
  // the firewall, whose application rule allows HTTPS to mcr.microsoft.com (as a proxy at that
  // address would be named); AzureFirewallSubnet kept 10/8 -> None.
  FlowResult r = expect_flow(engine, tcp("10.42.1.10", "10.0.0.5", 443),
                             dropped(Reason::kRouteNone), 0, "mcr.microsoft.com");
  expect_snat_to_node(r, "10.42.1.4");  // Azure CNI: outside the VNet, the node's IP (1)
  expect_route_at(r, kAksSubnet, RouteSource::kUser, NextHopType::kVirtualAppliance, "0.0.0.0/0",
                  "aks-egress-fwrt", "aks-egress-fwrn");
  expect_route_at_any(r, {kFirewallSubnet, "aks-egress-fw"}, RouteSource::kDefault,
                      NextHopType::kNone, "10.0.0.0/8");
}

TEST(AksUdrFirewallTest, FirewallPublicIpRouteBypassesTheFirewallWithoutAnyOutbound) {
  EGRESS_EXAMPLE(engine, "aks-udr-firewall.yaml");
  // <FW public IP>/32 -> Internet from the node subnet: no NAT gateway, no instance IP, the LB
  // has no outbound rule, and membership of its backend pool rules out default outbound (4).
  FlowResult r = expect_flow(engine, tcp("10.42.1.10", "20.83.201.36", 443),
                             dropped(Reason::kNoOutboundConnectivity));
  expect_route_at(r, kAksSubnet, RouteSource::kUser, NextHopType::kInternet, "20.83.201.36/32",
                  "aks-egress-fwrt", "aks-egress-fwinternet");
}

TEST(AksUdrFirewallTest, ApiServerTrafficLeavesWithTheAuthorizedFirewallIp) {
  EGRESS_EXAMPLE(engine, "aks-udr-firewall.yaml");
  // The API server's name is under *.hcp.<location>.azmk8s.io, in the AKS FQDN tag (B5).
  expect_flow(engine, tcp("10.42.1.4", "20.85.17.44", 443),
              egress(Via::kAppliance, "aks-egress-fw", kFirewallIps, "20.83.201.36"), 0,
              "aks-egress-1a2b3c4d.hcp.eastus.azmk8s.io");
}

TEST(AksUdrFirewallTest, DnatIngressIsSymmetric) {
  EGRESS_EXAMPLE(engine, "aks-udr-firewall.yaml");
  // The tutorial's DNAT rule to the Service's public IP; the replies to the firewall's public IP
  // take the <FW public IP>/32 -> Internet route (azure-behaviour B7, facts 4).
  FlowResult r = expect_flow(engine, tcp("198.51.100.7", "20.83.201.36", 80, 51000),
                             verdict(Verdict::kIngress));
  EXPECT_TRUE(has_rule(r, "exampleset/inboundrule")) << describe(r);
}

TEST(AksUdrFirewallTest, ServiceIngressIsAsymmetric) {
  EGRESS_EXAMPLE(engine, "aks-udr-firewall.yaml");
  // Replies to the client follow 0.0.0.0/0 to the firewall (7).
  expect_flow(engine, tcp("198.51.100.7", "20.83.202.17", 80, 51000),
              asymmetric(Reason::kReturnViaAppliance));
}

TEST(AksUdrFirewallTest, EffectiveRoutesOfTheNodeSubnet) {
  EGRESS_EXAMPLE(engine, "aks-udr-firewall.yaml");
  // 2: the user 0/0 wins over the default one, which stays listed as Invalid.
  auto def = routes_for(engine, kAksSubnet, "0.0.0.0/0");
  ASSERT_EQ(def.size(), 2U);
  auto active = active_route(engine, kAksSubnet, "0.0.0.0/0");
  ASSERT_TRUE(active.has_value());
  EXPECT_EQ(active->source, RouteSource::kUser);
  EXPECT_EQ(active->next_hop_type, NextHopType::kVirtualAppliance);
  ASSERT_TRUE(active->next_hop_ip.has_value());
  EXPECT_EQ(active->next_hop_ip->to_string(), "10.42.2.4");
  EXPECT_EQ(active->name, "aks-egress-fwrn");
  // Facts 1a: the 0/0 user route removes 10/8, 192.168/16 and 100.64/10 but not 172.16/12.
  EXPECT_TRUE(routes_for(engine, kAksSubnet, "10.0.0.0/8").empty());
  EXPECT_TRUE(routes_for(engine, kAksSubnet, "192.168.0.0/16").empty());
  EXPECT_TRUE(routes_for(engine, kAksSubnet, "100.64.0.0/10").empty());
  auto r172 = active_route(engine, kAksSubnet, "172.16.0.0/12");
  ASSERT_TRUE(r172.has_value());
  EXPECT_EQ(r172->next_hop_type, NextHopType::kNone);
  auto vnet = active_route(engine, kAksSubnet, "10.42.0.0/16");
  ASSERT_TRUE(vnet.has_value());
  EXPECT_EQ(vnet->next_hop_type, NextHopType::kVnetLocal);
  auto host = active_route(engine, kAksSubnet, "20.83.201.36/32");
  ASSERT_TRUE(host.has_value());
  EXPECT_EQ(host->source, RouteSource::kUser);
  EXPECT_EQ(host->next_hop_type, NextHopType::kInternet);
  // The firewall subnet has no route table: every default None route stays.
  for (const char* p : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"}) {
    auto r = active_route(engine, kFirewallSubnet, p);
    ASSERT_TRUE(r.has_value()) << p;
    EXPECT_EQ(r->next_hop_type, NextHopType::kNone) << p;
  }
}

// ---------------------------------------------------------------------------------------------
// aks-none.yaml: outboundType none, nothing routed (4 step 5, 6)

TEST(AksNoneTest, InternetEgressHasNoWayOut) {
  EGRESS_EXAMPLE(engine, "aks-none.yaml");
  const Expect none = dropped(Reason::kNoOutboundConnectivity);
  FlowResult r = expect_flow(engine, tcp("10.244.0.5", "140.82.112.3", 443), none);
  expect_snat_to_node(r, "10.224.0.4");
  expect_flow(engine, udp("10.244.1.5", "8.8.8.8", 53), none);
  expect_flow(engine, tcp("10.224.0.5", "140.82.112.3", 443), none);
}

TEST(AksNoneTest, VnetTrafficIsInternalAndOtherPrivateSpaceIsNone) {
  EGRESS_EXAMPLE(engine, "aks-none.yaml");
  expect_flow(engine, tcp("10.244.1.5", "10.224.0.4", 10250), verdict(Verdict::kInternal));
  FlowResult r =
      expect_flow(engine, tcp("10.244.0.5", "10.0.0.5", 443), dropped(Reason::kRouteNone));
  expect_route_at(r, "aks-vnet-40918822/aks-subnet", RouteSource::kDefault, NextHopType::kNone,
                  "10.0.0.0/8");
}

// ---------------------------------------------------------------------------------------------
// aks-block.yaml: outboundType block (6)

TEST(AksBlockTest, InternetEgressIsBlocked) {
  EGRESS_EXAMPLE(engine, "aks-block.yaml");
  const Expect blocked = dropped(Reason::kBlockedOutboundType);
  expect_flow(engine, tcp("10.244.0.5", "140.82.112.3", 443), blocked);
  expect_flow(engine, udp("10.244.2.5", "8.8.8.8", 53), blocked);
  expect_flow(engine, tcp("10.224.0.6", "140.82.112.3", 443), blocked);
}

TEST(AksBlockTest, VnetTrafficIsUnaffected) {
  EGRESS_EXAMPLE(engine, "aks-block.yaml");
  expect_flow(engine, tcp("10.244.0.5", "10.224.0.5", 10250), verdict(Verdict::kInternal));
  expect_flow(engine, tcp("10.224.0.4", "10.224.0.6", 10250), verdict(Verdict::kInternal));
}

// ---------------------------------------------------------------------------------------------
// outbound-precedence.yaml: one VM per rung of facts 2 (4)

TEST(OutboundPrecedenceTest, NatGatewayBeatsInstanceIpAndLoadBalancer) {
  EGRESS_EXAMPLE(engine, "outbound-precedence.yaml");
  expect_flow(engine, tcp("10.50.1.10", "140.82.112.3", 443),
              egress(Via::kNatGateway, "ng-precedence", Ips{"52.170.10.33"}, "52.170.10.33"));
}

TEST(OutboundPrecedenceTest, InstanceIpBeatsLoadBalancer) {
  EGRESS_EXAMPLE(engine, "outbound-precedence.yaml");
  const Expect ilpip =
      egress(Via::kInstancePublicIp, "vm-ilpip", Ips{"52.170.10.22"}, "52.170.10.22");
  expect_flow(engine, tcp("10.50.2.10", "140.82.112.3", 443), ilpip);
  expect_flow(engine, udp("10.50.2.10", "8.8.8.8", 53), ilpip);
}

TEST(OutboundPrecedenceTest, LoadBalancerOutboundRule) {
  EGRESS_EXAMPLE(engine, "outbound-precedence.yaml");
  expect_flow(engine, tcp("10.50.2.11", "140.82.112.3", 443),
              egress(Via::kLoadBalancer, "lb-precedence", Ips{"52.170.10.55"}, "52.170.10.55"));
}

TEST(OutboundPrecedenceTest, DefaultOutboundAccess) {
  EGRESS_EXAMPLE(engine, "outbound-precedence.yaml");
  expect_flow(engine, tcp("10.50.3.10", "140.82.112.3", 443), default_outbound());
}

TEST(OutboundPrecedenceTest, BackendPoolWithoutOutboundRuleGetsNoDefaultOutbound) {
  EGRESS_EXAMPLE(engine, "outbound-precedence.yaml");
  expect_flow(engine, tcp("10.50.3.11", "140.82.112.3", 443),
              dropped(Reason::kNoOutboundConnectivity));
}

TEST(OutboundPrecedenceTest, PrivateSubnetHasNoOutbound) {
  EGRESS_EXAMPLE(engine, "outbound-precedence.yaml");
  expect_flow(engine, tcp("10.50.4.10", "140.82.112.3", 443),
              dropped(Reason::kNoOutboundConnectivity));
}

TEST(OutboundPrecedenceTest, UserRouteToApplianceBeatsNatGateway) {
  EGRESS_EXAMPLE(engine, "outbound-precedence.yaml");
  FlowResult r =
      expect_flow(engine, tcp("10.50.5.10", "140.82.112.3", 443),
                  egress(Via::kAppliance, "nva-egress", Ips{"52.170.10.44"}, "52.170.10.44"));
  expect_route_at(r, "vnet-precedence/snet-udr-natgw", RouteSource::kUser,
                  NextHopType::kVirtualAppliance, "0.0.0.0/0", "rt-to-nva", "default-to-nva");
}

TEST(OutboundPrecedenceTest, VnetTrafficIsInternalWhateverTheOutbound) {
  EGRESS_EXAMPLE(engine, "outbound-precedence.yaml");
  for (const char* src : {"10.50.1.10", "10.50.2.10", "10.50.2.11", "10.50.3.10", "10.50.4.10"}) {
    expect_flow(engine, tcp(src, "10.50.3.11", 22), verdict(Verdict::kInternal));
  }
}

// ---------------------------------------------------------------------------------------------
// hub-spoke-vpn.yaml: BGP, useRemoteGateways, disableBgpRoutePropagation, hub firewall, IPv6

const char* const kSpokeNodes = "vnet-spoke-aks/snet-aks-nodes";
const char* const kSpokeIsolated = "vnet-spoke-aks/snet-isolated";
const char* const kHubFirewall = "vnet-hub/AzureFirewallSubnet";

TEST(HubSpokeVpnTest, PodInternetEgressLeavesThroughTheHubFirewall) {
  EGRESS_EXAMPLE(engine, "hub-spoke-vpn.yaml");
  FlowResult r =
      expect_flow(engine, tcp("10.244.0.9", "140.82.112.3", 443),
                  egress(Via::kAppliance, "azfw-hub", Ips{"20.105.77.12"}, "20.105.77.12"));
  expect_snat_to_node(r, "10.1.0.4");
  expect_route_at(r, kSpokeNodes, RouteSource::kUser, NextHopType::kVirtualAppliance, "0.0.0.0/0",
                  "rt-spoke-aks", "default-to-hub-firewall");
  expect_route_at_any(r, {kHubFirewall, "azfw-hub"}, RouteSource::kDefault, NextHopType::kInternet,
                      "0.0.0.0/0");
  expect_flow(engine, tcp("10.244.0.9", "140.82.112.3", 80), dropped(Reason::kApplianceDeny));
}

TEST(HubSpokeVpnTest, PodToOnPremisesUsesTheRemoteGatewayDirectly) {
  EGRESS_EXAMPLE(engine, "hub-spoke-vpn.yaml");
  FlowResult r =
      expect_flow(engine, tcp("10.244.1.20", "192.168.10.20", 443), verdict(Verdict::kOnprem));
  expect_snat_to_node(r, "10.1.0.5");
  expect_route_at(r, kSpokeNodes, RouteSource::kVirtualNetworkGateway,
                  NextHopType::kVirtualNetworkGateway, "192.168.0.0/16");
  EXPECT_EQ(find_hop(r, "azfw-hub"), nullptr) << describe(r);
  r = expect_flow(engine, tcp("10.244.2.20", "172.16.5.5", 22), verdict(Verdict::kOnprem));
  expect_route_at(r, kSpokeNodes, RouteSource::kVirtualNetworkGateway,
                  NextHopType::kVirtualNetworkGateway, "172.16.0.0/16");
}

TEST(HubSpokeVpnTest, WithoutBgpPropagationOnPremisesGoesThroughTheFirewall) {
  EGRESS_EXAMPLE(engine, "hub-spoke-vpn.yaml");
  FlowResult r =
      expect_flow(engine, tcp("10.1.4.10", "192.168.10.20", 443), verdict(Verdict::kOnprem));
  expect_route_at(r, kSpokeIsolated, RouteSource::kUser, NextHopType::kVirtualAppliance,
                  "0.0.0.0/0", "rt-spoke-nobgp", "default-to-hub-firewall");
  EXPECT_TRUE(has_rule(r, "to-onprem")) << describe(r);
  expect_route_at_any(r, {kHubFirewall, "azfw-hub"}, RouteSource::kVirtualNetworkGateway,
                      NextHopType::kVirtualNetworkGateway, "192.168.0.0/16");
  // 172.16.0.0/12 -> None survives the 0/0 user route and, with no BGP route, wins (2).
  r = expect_flow(engine, tcp("10.1.4.10", "172.16.5.5", 22), dropped(Reason::kRouteNone));
  expect_route_at(r, kSpokeIsolated, RouteSource::kDefault, NextHopType::kNone, "172.16.0.0/12");
}

TEST(HubSpokeVpnTest, EffectiveRoutesShowBgpOnlyWherePropagated) {
  EGRESS_EXAMPLE(engine, "hub-spoke-vpn.yaml");
  Index isolated = engine.topology().find_subnet(kSpokeIsolated);
  ASSERT_NE(isolated, kNoIndex);
  for (const EffectiveRoute& r : engine.routes(isolated)) {
    EXPECT_NE(r.source, RouteSource::kVirtualNetworkGateway) << r.prefix.to_string();
  }
  auto bgp = active_route(engine, kSpokeNodes, "192.168.0.0/16");
  ASSERT_TRUE(bgp.has_value());
  EXPECT_EQ(bgp->source, RouteSource::kVirtualNetworkGateway);
  EXPECT_EQ(bgp->next_hop_type, NextHopType::kVirtualNetworkGateway);
  auto bgp172 = active_route(engine, kSpokeNodes, "172.16.0.0/16");
  ASSERT_TRUE(bgp172.has_value());
  EXPECT_EQ(bgp172->source, RouteSource::kVirtualNetworkGateway);
  // The hub's own subnets get the gateway's routes; on 192.168/16 BGP beats the None route.
  auto hub = active_route(engine, kHubFirewall, "192.168.0.0/16");
  ASSERT_TRUE(hub.has_value());
  EXPECT_EQ(hub->source, RouteSource::kVirtualNetworkGateway);
  // Peering routes, IPv4 and IPv6, both ways.
  for (const auto& [subnet, prefix] :
       std::vector<std::pair<std::string, std::string>>{{kSpokeNodes, "10.0.0.0/16"},
                                                        {kSpokeNodes, "fd10::/48"},
                                                        {kHubFirewall, "10.1.0.0/16"},
                                                        {kHubFirewall, "fd11::/48"}}) {
    auto r = active_route(engine, subnet, prefix);
    ASSERT_TRUE(r.has_value()) << subnet << " " << prefix;
    EXPECT_EQ(r->next_hop_type, NextHopType::kVnetPeering) << subnet << " " << prefix;
  }
  auto v6 = active_route(engine, kSpokeNodes, "::/0");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->next_hop_type, NextHopType::kInternet);
}

TEST(HubSpokeVpnTest, PeeredVnetsAreInternal) {
  EGRESS_EXAMPLE(engine, "hub-spoke-vpn.yaml");
  FlowResult r =
      expect_flow(engine, tcp("10.244.0.9", "10.0.2.10", 443), verdict(Verdict::kInternal));
  expect_route_at(r, kSpokeNodes, RouteSource::kDefault, NextHopType::kVnetPeering, "10.0.0.0/16");
  // On-premises advertises 10.1.8.0/24, inside the spoke's own 10.1.0.0/16: the VNet route wins
  // although the BGP route is longer (2; facts 1d).
  r = expect_flow(engine, tcp("10.244.0.9", "10.1.8.4", 443), verdict(Verdict::kInternal));
  expect_route_at(r, kSpokeNodes, RouteSource::kDefault, NextHopType::kVnetLocal, "10.1.0.0/16");
  // And in the hub, the peering route wins over it.
  for (const EffectiveRoute& route : routes_for(engine, kHubFirewall, "10.1.8.0/24")) {
    EXPECT_FALSE(route.active && route.next_hop_type == NextHopType::kVirtualNetworkGateway)
        << "a BGP route inside a peered VNet's prefix must not apply";
  }
  r = expect_flow(engine, tcp("fd11:0:0:8::4", "fd10:0:0:2::4", 443), verdict(Verdict::kInternal));
  expect_route_at(r, "vnet-spoke-aks/snet-app", RouteSource::kDefault, NextHopType::kVnetPeering,
                  "fd10::/48");
}

TEST(HubSpokeVpnTest, Ipv6LeavesWithTheInstancePublicIp) {
  EGRESS_EXAMPLE(engine, "hub-spoke-vpn.yaml");
  FlowResult r = expect_flow(engine, tcp("fd11:0:0:8::4", "2606:4700:4700::1111", 443),
                             egress(Via::kInstancePublicIp, "vm-app-v6",
                                    Ips{"2603:1030:403:17::4a"}, "2603:1030:403:17::4a"));
  expect_route_at(r, "vnet-spoke-aks/snet-app", RouteSource::kDefault, NextHopType::kInternet,
                  "::/0");
}

// ---------------------------------------------------------------------------------------------
// firewall-nat-gateway.yaml: NAT gateway on AzureFirewallSubnet, appliances without SNAT (3, 4)

TEST(FirewallNatGatewayTest, FirewallEgressUsesTheNatGatewayWithoutDoubleNat) {
  EGRESS_EXAMPLE(engine, "firewall-nat-gateway.yaml");
  // Facts 3c: every Internet-bound packet of the firewall leaves with the NAT gateway's
  // addresses (the IP and both of the /31); the firewall's own public IP is not among them.
  FlowResult r = expect_flow(
      engine, tcp("10.60.1.10", "140.82.112.3", 443),
      egress(Via::kNatGateway, "ng-azfw", Ips{"20.114.31.10", "20.114.32.0", "20.114.32.1"}));
  expect_route_at(r, "vnet-hub-natgw/snet-workload", RouteSource::kUser,
                  NextHopType::kVirtualAppliance, "0.0.0.0/0", "rt-workload",
                  "default-to-firewall");
  EXPECT_TRUE(has_rule(r, "web-out")) << describe(r);
  expect_flow(engine, tcp("10.60.1.10", "140.82.112.3", 8080), dropped(Reason::kApplianceDeny));
}

TEST(FirewallNatGatewayTest, EastWestThroughTheFirewallIsNotSnatted) {
  EGRESS_EXAMPLE(engine, "firewall-nat-gateway.yaml");
  FlowResult r =
      expect_flow(engine, tcp("10.60.1.10", "10.60.4.10", 1433), verdict(Verdict::kInternal));
  expect_route_at(r, "vnet-hub-natgw/snet-workload", RouteSource::kUser,
                  NextHopType::kVirtualAppliance, "10.60.4.0/24", "rt-workload",
                  "db-through-firewall");
  EXPECT_TRUE(has_rule(r, "sql-to-db")) << describe(r);
  EXPECT_EQ(snat_ip_text(r), "") << describe(r);
  EXPECT_TRUE(r.egress_ips.empty()) << describe(r);
  expect_flow(engine, tcp("10.60.1.10", "10.60.4.10", 22), dropped(Reason::kNsgDeny));
  expect_flow(engine, tcp("10.60.1.10", "10.60.4.10", 5432), dropped(Reason::kApplianceDeny));
}

TEST(FirewallNatGatewayTest, NicNsgDeniesBeforeRouting) {
  EGRESS_EXAMPLE(engine, "firewall-nat-gateway.yaml");
  FlowResult r =
      expect_flow(engine, tcp("10.60.1.10", "140.82.112.3", 22), dropped(Reason::kNsgDeny));
  EXPECT_TRUE(has_rule(r, "deny-ssh-out")) << describe(r);
  EXPECT_EQ(find_hop(r, "azfw"), nullptr) << describe(r);
}

TEST(FirewallNatGatewayTest, ApplianceWithoutSnatNeedsANatGateway) {
  EGRESS_EXAMPLE(engine, "firewall-nat-gateway.yaml");
  expect_flow(engine, tcp("10.60.5.10", "140.82.112.3", 443),
              egress(Via::kNatGateway, "ng-nva", Ips{"20.114.31.20"}, "20.114.31.20"));
  expect_flow(engine, tcp("10.60.6.10", "140.82.112.3", 443),
              dropped(Reason::kNoOutboundConnectivity));
}

// ---------------------------------------------------------------------------------------------
// nva-pitfalls.yaml: IP forwarding off, a next hop no appliance owns, a routing loop (3)

TEST(NvaPitfallsTest, IpForwardingDisabled) {
  EGRESS_EXAMPLE(engine, "nva-pitfalls.yaml");
  expect_flow(engine, tcp("10.70.1.10", "140.82.112.3", 443),
              dropped(Reason::kIpForwardingDisabled));
  expect_flow(engine, tcp("10.70.1.10", "10.70.1.20", 443), verdict(Verdict::kInternal));
}

TEST(NvaPitfallsTest, NextHopNoApplianceOwns) {
  EGRESS_EXAMPLE(engine, "nva-pitfalls.yaml");
  FlowResult r = expect_flow(engine, tcp("10.70.2.10", "140.82.112.3", 443),
                             dropped(Reason::kApplianceMissing));
  // A modelled behaviour is named in the result (semantics.md, preamble).
  EXPECT_TRUE(r.models.contains("appliance-missing-drops")) << describe(r);
}

TEST(NvaPitfallsTest, ApplianceLoop) {
  EGRESS_EXAMPLE(engine, "nva-pitfalls.yaml");
  expect_flow(engine, tcp("10.70.3.10", "140.82.112.3", 443), dropped(Reason::kLoop));
  expect_flow(engine, tcp("10.70.3.10", "10.70.1.10", 443), verdict(Verdict::kInternal));
}

}  // namespace
}  // namespace egress
