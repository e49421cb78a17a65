// The realistic snapshots of tests/data/arm/ (README.md there: one per outbound type and the
// Azure Firewall egress tutorial, each as `az ... -o json` prints it) imported through
// import_azure and traced: each ends with the egress IPs and verdicts the documents the
// snapshot follows predict. The expectations come from those documents, not from the engine.
// And check finds no difference between an imported snapshot and the same snapshot's own AKS
// and NAT gateway answers.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egress/check/azure_check.h"
#include "egress/config/topology_loader.h"
#include "egress/engine/engine.h"
#include "egress/engine/flow.h"
#include "egress/import/arm_import.h"

namespace egress {
namespace {

const std::string kArm = std::string(EGRESS_TEST_DATA_DIR) + "/arm/";

struct Imported {
  std::shared_ptr<const Topology> topology;
  std::unique_ptr<Engine> engine;
};

Imported import_snapshot(const std::string& name) {
  std::vector<std::string> sources = {kArm + name};
  ImportResult imported = import_azure(sources, ImportOptions{});
  EXPECT_TRUE(imported.errors.empty())
      << name << ": " << (imported.errors.empty() ? "" : imported.errors[0].message);
  LoadResult loaded = parse_topology(imported.yaml, name + ".yaml");
  EXPECT_TRUE(loaded.errors.empty())
      << name << ": " << (loaded.errors.empty() ? "" : loaded.errors[0].message) << "\n"
      << imported.yaml;
  Imported out;
  if (!loaded.topology) {
    return out;
  }
  out.topology = std::make_shared<const Topology>(std::move(*loaded.topology));
  Result<Engine> engine = Engine::build(out.topology);
  EXPECT_TRUE(engine.ok()) << name;
  if (engine) {
    out.engine = std::make_unique<Engine>(std::move(*engine));
  }
  return out;
}

FlowKey tcp(const char* src, const char* dst, uint16_t dport) {
  return FlowKey{Protocol::kTcp, *IpAddress::parse(src), 50000, *IpAddress::parse(dst), dport};
}

struct Case {
  const char* snapshot;
  const char* src;  // the first node: the node subnet's first usable address
  const char* dst;
  uint16_t dport;
  const char* host;  // the flow's TLS SNI ("" none)
  Verdict verdict;
  const char* reason;  // "" for none
  std::vector<std::string> egress_ips;
};

class Snapshots : public ::testing::TestWithParam<Case> {};

TEST_P(Snapshots, TraceToWhatTheDocumentsPredict) {
  const Case& c = GetParam();
  Imported imported = import_snapshot(c.snapshot);
  ASSERT_TRUE(imported.engine);
  FlowResult r = imported.engine->trace(tcp(c.src, c.dst, c.dport), 0, c.host);
  EXPECT_EQ(to_string(r.verdict), std::string(to_string(c.verdict)));
  EXPECT_EQ(std::string(to_string(r.reason)), c.reason);
  EXPECT_EQ(egress_ip_texts(r), c.egress_ips);
}

// GitHub's 140.82.112.3 stands for any public destination.
INSTANTIATE_TEST_SUITE_P(
    OutboundTypes, Snapshots,
    ::testing::Values(
        // AKS outbound types article, loadBalancer: the outbound rule's managed public IP.
        Case{"aks-loadbalancer",
             "10.224.0.4",
             "140.82.112.3",
             443,
             "",
             Verdict::kEgress,
             "",
             {"20.121.38.17"}},
        // managedNATGateway: the NAT gateway's IPs, any of them (facts 3b).
        Case{"aks-managed-nat-gateway",
             "10.224.0.4",
             "140.82.112.3",
             443,
             "",
             Verdict::kEgress,
             "",
             {"172.203.145.20", "172.203.145.21"}},
        // userAssignedNATGateway: the user's NAT gateway on the node subnet.
        Case{"aks-user-assigned-nat-gateway",
             "10.42.1.4",
             "140.82.112.3",
             443,
             "",
             Verdict::kEgress,
             "",
             {"4.156.201.88"}},
        // userDefinedRouting: 0.0.0.0/0 to the firewall, which SNATs to its public IP; what
        // its rules do not allow it drops.
        Case{"aks-user-defined-routing",
             "10.42.1.4",
             "140.82.112.3",
             443,
             "",
             Verdict::kEgress,
             "",
             {"20.241.116.42"}},
        Case{"aks-user-defined-routing",
             "10.42.1.4",
             "140.82.112.3",
             22,
             "",
             Verdict::kDropped,
             "appliance-deny",
             {}},
        // none: no egress set up, a private subnet: nothing leaves.
        Case{"aks-none",
             "10.224.0.4",
             "140.82.112.3",
             443,
             "",
             Verdict::kDropped,
             "no-outbound-connectivity",
             {}},
        // block: AKS's NSG rules deny Internet egress.
        Case{"aks-block",
             "10.224.0.4",
             "140.82.112.3",
             443,
             "",
             Verdict::kDropped,
             "blocked-outbound-type",
             {}},
        // The firewall tutorial: the AzureKubernetesService FQDN tag lets MCR out with the
        // firewall's public IP; a name no rule allows is denied.
        Case{"aks-firewall-tutorial",
             "10.42.1.4",
             "20.61.99.192",
             443,
             "mcr.microsoft.com",
             Verdict::kEgress,
             "",
             {"20.241.116.42"}},
        Case{"aks-firewall-tutorial",
             "10.42.1.4",
             "93.184.215.14",
             443,
             "example.com",
             Verdict::kDropped,
             "appliance-deny",
             {}}));

TEST(SnapshotsCheck, AnImportedSnapshotAgreesWithItsOwnEgressAnswers) {
  for (const char* name :
       {"aks-loadbalancer", "aks-managed-nat-gateway", "aks-user-assigned-nat-gateway"}) {
    Imported imported = import_snapshot(name);
    ASSERT_TRUE(imported.topology) << name;
    std::vector<std::string> sources = {kArm + name};
    AnswersLoad load = read_azure_answers(sources);
    ASSERT_TRUE(load.errors.empty()) << name;
    CheckResult r = check_against_azure(*imported.topology, load.answers, {});
    EXPECT_TRUE(r.errors.empty()) << name;
    EXPECT_TRUE(r.differences.empty()) << name << ": " << format_check(r);
    EXPECT_GT(r.egress_ips, 0U) << name;
  }
}

}  // namespace
}  // namespace egress
