// Azure Firewall in the engine (docs/azure-behaviour.md B): rule order, service tags, FQDNs and
// host names, SNAT private ranges, DNAT. The expectations come from the Azure documents cited
// there, not from the engine.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "egress/engine/engine.h"
#include "egress/engine/models.h"
#include "engine/lab_topology.h"

namespace egress {
namespace {

using testing::build_engine;
using testing::flow;

constexpr const char* kFirewallYaml = R"(version: 1
name: fw
vnets:
  - name: v
    addressSpace: [10.42.0.0/16, 198.51.100.0/24]
    subnets:
      - {name: apps, addressPrefix: 10.42.1.0/24, routeTable: to-fw}
      - {name: AzureFirewallSubnet, addressPrefix: 10.42.2.0/24}
      - {name: backend, addressPrefix: 10.42.3.0/24}
      - {name: legacy, addressPrefix: 198.51.100.0/24}
routeTables:
  - name: to-fw
    routes:
      - {name: default, addressPrefix: 0.0.0.0/0, nextHopType: VirtualAppliance, nextHopIpAddress: 10.42.2.4}
      - {name: backend, addressPrefix: 10.42.3.0/24, nextHopType: VirtualAppliance, nextHopIpAddress: 10.42.2.4}
      - {name: legacy, addressPrefix: 198.51.100.0/24, nextHopType: VirtualAppliance, nextHopIpAddress: 10.42.2.4}
publicIps:
  - {name: fw-pip, address: 20.83.201.36}
serviceTags:
  - {name: AzureCloud.eastus, addressPrefixes: [20.42.0.0/17, "2603:1030::/45"]}
hosts:
  - {name: vm, subnet: v/apps, address: 10.42.1.10}
appliances:
  - name: fw
    type: AzureFirewall
    subnet: v/AzureFirewallSubnet
    privateIp: 10.42.2.4
    publicIps: [fw-pip]
    rules:
      - {name: allow-ssh, collection: late, priority: 300, action: allow, protocols: [tcp], ports: [22]}
      - {name: block-ssh, collection: early, priority: 200, action: deny, protocols: [tcp], ports: [22]}
      - {name: tunnel, collection: net, priority: 100, action: allow, protocols: [tcp], destinations: [AzureCloud.eastus], ports: [9000]}
      - {name: ntp, collection: net, priority: 100, action: allow, protocols: [udp], destinationFqdns: [ntp.ubuntu.com], ports: [123]}
      - {name: other-src, collection: net, priority: 100, action: allow, protocols: [tcp], sources: [10.99.0.0/16], ports: [8443]}
      - {name: db, collection: net, priority: 100, action: allow, protocols: [tcp], destinations: [10.42.3.0/24, 198.51.100.0/24], ports: [5432]}
      - {name: allow-7000, collection: dup, priority: 150, action: allow, protocols: [tcp], ports: [7000]}
      - {name: deny-7000, collection: dup, priority: 150, action: deny, protocols: [tcp], ports: [7000]}
    applicationRules:
      - {name: aks, collection: app, priority: 100, action: allow, protocols: ["Https:443"], fqdnTags: [AzureKubernetesService]}
      - {name: example, collection: app, priority: 100, action: allow, protocols: ["Http:80", "Https:443"], targetFqdns: ["*.example.com"]}
    dnatRules:
      - {name: web, sources: ["*"], protocols: [tcp], destinations: [20.83.201.36], ports: [8080], translatedAddress: 10.42.3.10, translatedPort: 80}
)";

std::string with(std::vector<std::pair<std::string, std::string>> edits) {
  std::string yaml = kFirewallYaml;
  for (const auto& [from, to] : edits) {
    auto at = yaml.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) {
      yaml.replace(at, from.size(), to);
    }
  }
  return yaml;
}

bool has_model(const FlowResult& r, std::string_view id) {
  return r.models.contains(id);
}

// The firewall's hop: the one `at` the firewall.
const Hop* fw_hop(const FlowResult& r) {
  for (const Hop& h : r.hops) {
    if (h.at == "fw") {
      return &h;
    }
  }
  return nullptr;
}

struct Case {
  const char* name;
  FlowKey flow;
  const char* host;
  Verdict verdict;
  Reason reason;
  const char* rule;        // at the firewall's hop
  std::string_view model;  // a model the result must name, or empty
};

class FirewallRules : public ::testing::TestWithParam<Case> {};

TEST_P(FirewallRules, DecideAsAzureDocuments) {
  static const Engine engine = build_engine(kFirewallYaml);
  const Case& c = GetParam();
  FlowResult r = engine.trace(c.flow, 0, c.host);
  EXPECT_EQ(r.verdict, c.verdict) << to_string(r.verdict);
  EXPECT_EQ(r.reason, c.reason) << to_string(r.reason);
  const Hop* hop = fw_hop(r);
  ASSERT_NE(hop, nullptr);
  EXPECT_EQ(hop->rule, c.rule);
  if (!c.model.empty()) {
    EXPECT_TRUE(has_model(r, c.model)) << c.model;
  }
  EXPECT_EQ(r.host, c.host);
}

constexpr Verdict kEgress = Verdict::kEgress;
constexpr Verdict kDropped = Verdict::kDropped;
constexpr Reason kOk = Reason::kNone;
constexpr Reason kDeny = Reason::kApplianceDeny;
const char* const kVm = "10.42.1.10";

INSTANTIATE_TEST_SUITE_P(
    Firewall, FirewallRules,
    ::testing::Values(
        // B4: a service tag resolved to its prefixes.
        Case{"TagInside", flow(kVm, "20.42.1.1", 9000), "", kEgress, kOk, "net/tunnel", ""},
        Case{"TagOutside", flow(kVm, "20.200.0.1", 9000), "", kDropped, kDeny, "defaultAction", ""},
        // B3: group and collection priority before file order.
        Case{"CollectionPriority", flow(kVm, "20.9.9.9", 22), "", kDropped, kDeny,
             "early/block-ssh", ""},
        Case{"RuleOrderInCollection", flow(kVm, "20.9.9.9", 7000), "", kEgress, kOk,
             "dup/allow-7000", model::kFirewallRuleOrder},
        // B5: application rules by host name, FQDN tag and wildcard.
        Case{"FqdnTag", flow(kVm, "20.1.1.1", 443), "mcr.microsoft.com", kEgress, kOk, "app/aks",
             ""},
        Case{"FqdnTagCaseAndDot", flow(kVm, "20.1.1.1", 443), "MCR.Microsoft.com.", kEgress, kOk,
             "app/aks", ""},
        Case{"TagLocationLabel", flow(kVm, "20.1.1.1", 443), "aks-1a2b.hcp.eastus.azmk8s.io",
             kEgress, kOk, "app/aks", ""},
        Case{"TagLocationIsOneLabel", flow(kVm, "20.1.1.1", 443), "aks-1a2b.hcp.azmk8s.io",
             kDropped, kDeny, "defaultAction", ""},
        Case{"WildcardSubdomain", flow(kVm, "20.1.1.1", 443), "a.b.example.com", kEgress, kOk,
             "app/example", ""},
        Case{"WildcardNotApex", flow(kVm, "20.1.1.1", 443), "example.com", kDropped, kDeny,
             "defaultAction", ""},
        Case{"HttpPort", flow(kVm, "20.1.1.1", 80), "www.example.com", kEgress, kOk, "app/example",
             ""},
        Case{"TagRuleIsHttpsOnly", flow(kVm, "20.1.1.1", 80), "mcr.microsoft.com", kDropped, kDeny,
             "defaultAction", ""},
        Case{"UdpNeverApplication", flow(kVm, "20.1.1.1", 443, Protocol::kUdp), "mcr.microsoft.com",
             kDropped, kDeny, "defaultAction", ""},
        // B8: no host name.
        Case{"NoHost", flow(kVm, "20.1.1.1", 443), "", kDropped, kDeny, "defaultAction",
             model::kFirewallNoHost},
        // B6: FQDNs in network rules, by host name.
        Case{"NetworkFqdn", flow(kVm, "91.189.91.157", 123, Protocol::kUdp), "ntp.ubuntu.com",
             kEgress, kOk, "net/ntp", model::kFirewallFqdnByHost},
        Case{"NetworkFqdnNoHost", flow(kVm, "91.189.91.157", 123, Protocol::kUdp), "", kDropped,
             kDeny, "defaultAction", model::kFirewallNoHost},
        // B4: sources.
        Case{"SourceOutside", flow(kVm, "20.9.9.9", 8443), "", kDropped, kDeny, "defaultAction",
             ""}),
    [](const auto& test) { return std::string(test.param.name); });

TEST(Firewall, DecidesByHostOnlyWhereAnFqdnRuleCouldMatch) {
  Engine engine = build_engine(kFirewallYaml);
  EXPECT_TRUE(engine.decides_by_host(flow(kVm, "20.1.1.1", 443)));
  EXPECT_TRUE(engine.decides_by_host(flow(kVm, "91.189.91.157", 123, Protocol::kUdp)));
  EXPECT_FALSE(engine.decides_by_host(flow(kVm, "20.42.1.1", 9000)));
  EXPECT_FALSE(engine.decides_by_host(flow(kVm, "20.9.9.9", 22)));
  // A network rule that matches by address decides before the application rules.
  Engine by_address = build_engine(
      with({{"      - {name: allow-ssh,",
             "      - {name: any-https, collection: early, priority: 200, action: allow, "
             "protocols: [tcp], ports: [443]}\n      - {name: allow-ssh,"}}));
  EXPECT_FALSE(by_address.decides_by_host(flow(kVm, "20.1.1.1", 443)));
}

// Replay reads whether a flow waits for its host name off the trace it makes anyway, with its
// own seed, instead of calling decides_by_host() (a second trace, with seed 0). The two must
// agree for every seed; with two public IPs on the firewall the seeds do pick differently.
TEST(Firewall, DecidesByHostIsTheTracesOwnAnswerForEverySeed) {
  Engine engine = build_engine(with({{"  - {name: fw-pip, address: 20.83.201.36}\n",
                                      "  - {name: fw-pip, address: 20.83.201.36}\n"
                                      "  - {name: fw-pip2, address: 20.83.201.37}\n"},
                                     {"publicIps: [fw-pip]", "publicIps: [fw-pip, fw-pip2]"}}));
  int dependent = 0;
  int independent = 0;
  int picked_differently = 0;
  for (const char* to : {"20.1.1.1", "91.189.91.157", "20.42.1.1", "20.9.9.9", "10.42.3.5",
                         "198.51.100.5", "8.8.8.8", "20.83.201.36"}) {
    for (uint16_t port : {22, 80, 123, 443, 5432, 7000, 8080, 8443, 9000}) {
      for (Protocol proto : {Protocol::kTcp, Protocol::kUdp}) {
        for (uint16_t sport : {40000, 40001, 51515}) {
          FlowKey f = flow(kVm, to, port, proto);
          f.sport = sport;
          const bool by_host = engine.decides_by_host(f);
          std::vector<std::string> ips;
          for (uint64_t seed : {0, 1, 7, 12345}) {
            const FlowResult r = engine.trace(f, seed);
            EXPECT_EQ(r.host_dependent, by_host) << to << ":" << port << " seed " << seed;
            ips.push_back(snat_ip_text(r));
          }
          (by_host ? dependent : independent) += 1;
          picked_differently +=
              std::adjacent_find(ips.begin(), ips.end(), std::not_equal_to<>()) != ips.end();
        }
      }
    }
  }
  EXPECT_GT(dependent, 0);
  EXPECT_GT(independent, 0);
  EXPECT_GT(picked_differently, 0);
}

// B2: where the firewall SNATs, by privateRanges and by where the destination is routed.
TEST(Firewall, SnatPrivateRanges) {
  const std::string kInstanceNote = "source translated to an instance IP of v/AzureFirewallSubnet";
  Engine engine = build_engine(kFirewallYaml);
  FlowResult inside = engine.trace(flow(kVm, "10.42.3.5", 5432));
  EXPECT_EQ(inside.verdict, Verdict::kInternal);
  ASSERT_NE(fw_hop(inside), nullptr);
  EXPECT_EQ(inside.hops.back().note, "");
  FlowResult public_range = engine.trace(flow(kVm, "198.51.100.5", 5432));
  EXPECT_EQ(public_range.verdict, Verdict::kInternal);
  EXPECT_EQ(public_range.hops.back().note, kInstanceNote);

  const std::string kType = "    type: AzureFirewall\n";
  Engine always =
      build_engine(with({{kType, kType + "    privateRanges: [255.255.255.255/32]\n"}}));
  EXPECT_EQ(always.trace(flow(kVm, "10.42.3.5", 5432)).hops.back().note, kInstanceNote);

  Engine extended = build_engine(
      with({{kType, kType + "    privateRanges: [IANAPrivateRanges, 198.51.100.0/24]\n"}}));
  EXPECT_EQ(extended.trace(flow(kVm, "198.51.100.5", 5432)).hops.back().note, "");

  Engine never = build_engine(with({{kType, kType + "    privateRanges: [0.0.0.0/0]\n"}}));
  FlowResult tunnel = never.trace(flow(kVm, "20.42.1.1", 9000));
  EXPECT_EQ(tunnel.verdict, Verdict::kDropped);
  EXPECT_EQ(tunnel.reason, Reason::kNoOutboundConnectivity);
  // "Application rules are always SNATed".
  FlowResult app = never.trace(flow(kVm, "20.1.1.1", 443), 0, "mcr.microsoft.com");
  EXPECT_EQ(app.verdict, Verdict::kEgress);
  EXPECT_EQ(snat_ip_text(app), "20.83.201.36");
}

// B7: DNAT on the firewall's public IP, its implicit network rule and the reply path.
TEST(Firewall, Dnat) {
  Engine engine = build_engine(kFirewallYaml);
  FlowResult in = engine.trace(flow("203.0.113.9", "20.83.201.36", 8080));
  EXPECT_EQ(in.verdict, Verdict::kIngress);
  ASSERT_GE(in.hops.size(), 2U);
  EXPECT_EQ(in.hops[0].at, "fw");
  EXPECT_EQ(in.hops[0].rule, "web");
  EXPECT_EQ(in.hops[0].action, HopAction::kDnat);
  EXPECT_EQ(ip_text(in.hops[0]), "10.42.3.10:80");
  EXPECT_EQ(in.via, Via::kAppliance);
  EXPECT_EQ(egress_ip_texts(in), std::vector<std::string>{"20.83.201.36"});

  FlowResult no_rule = engine.trace(flow("203.0.113.9", "20.83.201.36", 9999));
  EXPECT_EQ(no_rule.verdict, Verdict::kDropped);
  EXPECT_EQ(no_rule.reason, Reason::kApplianceDeny);

  Engine denied = build_engine(
      with({{"      - {name: allow-ssh,",
             "      - {name: no-web, collection: a, priority: 100, action: deny, protocols: [tcp], "
             "destinations: [10.42.3.10/32], ports: [80]}\n      - {name: allow-ssh,"}}));
  FlowResult over = denied.trace(flow("203.0.113.9", "20.83.201.36", 8080));
  EXPECT_EQ(over.verdict, Verdict::kDropped);
  EXPECT_EQ(over.reason, Reason::kApplianceDeny);
  EXPECT_EQ(over.hops.back().rule, "a/no-web");
}

}  // namespace
}  // namespace egress
