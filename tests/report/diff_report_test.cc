// The diff and migrate outputs: a refused after-state, why nothing changed, and the partners
// of --groups, in text and JSON.
#include "egress/report/diff_report.h"

#include <gtest/gtest.h>

#include <string>

namespace egress {
namespace {

MigrationContext refused_context() {
  MigrationContext m;
  m.from = "loadBalancer";
  m.to = "userAssignedNATGateway";
  m.verdict.supported = true;
  m.verdict.table = "Supported Migration Paths for BYO VNet";
  m.verdict.cell = "Supported";
  m.verdict.text =
      "Supported Migration Paths for BYO VNet, row loadBalancer, column userAssignedNATGateway: "
      "Supported";
  m.after_findings = {
      Diagnostic{"nat-gateway-missing",
                 "outboundType userAssignedNATGateway needs cluster.natGateway",
                 {}},
      Diagnostic{"next-hop-ip-not-owned", "route r: no appliance owns next hop 10.0.0.9", {}}};
  m.refused = true;
  return m;
}

TEST(DiffReport, ARefusedAfterStateSaysSoAndComparesNothing) {
  MigrationContext m = refused_context();
  MigrationPlan plan;
  plan.removes = {"outbound rule aksOutboundRule of load balancer kubernetes"};
  m.plan = &plan;
  EXPECT_EQ(format_diff(DiffReport{}, &m),
            "migrate loadBalancer -> userAssignedNATGateway: REFUSED by AKS's preflight\n"
            "  Supported Migration Paths for BYO VNet, row loadBalancer, column "
            "userAssignedNATGateway: Supported\n"
            "  after-state: outboundType userAssignedNATGateway needs cluster.natGateway "
            "[nat-gateway-missing]\n"
            "  after-state: route r: no appliance owns next hop 10.0.0.9 [next-hop-ip-not-owned]\n"
            "  AKS's preflight refuses this after-state (nat-gateway-missing): the tables allow "
            "the move, but az aks update fails until the findings above are fixed; no flows "
            "compared\n");
  std::string j = diff_to_json(DiffReport{}, &m);
  EXPECT_NE(j.find(R"("refused":true,"refusedBy":["nat-gateway-missing"]})"), std::string::npos)
      << j;
  EXPECT_NE(j.find(R"("supported":true,)"), std::string::npos) << j;
}

DiffReport unchanged() {
  DiffReport d;
  d.flows = 10;
  d.before_ips = d.after_ips = {"20.0.0.1"};
  d.warnings = {DiffWarning{"nat-gateway-precedence", "NAT gateway ng stays attached to v/s: ..."}};
  return d;
}

TEST(DiffReport, NothingChangedSaysWhyUnderTheCount) {
  std::string text = format_diff(unchanged(), nullptr);
  EXPECT_EQ(text.substr(0, text.find("egress IPs before")),
            "0 of 10 flows change\n"
            "  because NAT gateway ng stays attached to v/s: ... [nat-gateway-precedence]\n");
  EXPECT_NE(diff_to_json(unchanged(), nullptr)
                .find(R"("unchangedBecause":[{"code":"nat-gateway-precedence",)"),
            std::string::npos);
  DiffReport changed = unchanged();
  changed.changed = 1;
  EXPECT_EQ(format_diff(changed, nullptr).find("because"), std::string::npos);
  EXPECT_NE(diff_to_json(changed, nullptr).find(R"("unchangedBecause":[])"), std::string::npos);
}

DiffReport grouped() {
  DiffReport d;
  d.flows = 9;
  d.changed = 6;
  d.grouped = true;
  d.groups = {
      GroupDiff{"payments-api", 5, 5, {"20.0.0.1"}, {"20.1.2.3"}, {"20.1.2.3"}, {"20.0.0.1"}, {}},
      GroupDiff{"dns", 3, 1, {"20.0.0.1"}, {"20.0.0.1"}, {}, {}, {{"nsg-deny", 1}}},
      GroupDiff{"idle", 0, 0, {}, {}, {}, {}, {}}};
  return d;
}

TEST(DiffReport, PartnersEachSayWhatTheySee) {
  std::string text = format_diff(grouped(), nullptr);
  EXPECT_NE(text.find("\npartners (--groups):\n"
                      "  partner payments-api: egress IP changes from 20.0.0.1 to 20.1.2.3; 5 of "
                      "5 flows change\n"
                      "    add     20.1.2.3\n"
                      "    remove  20.0.0.1\n"
                      "  partner dns: egress IP stays 20.0.0.1; 1 of 3 flows change\n"
                      "    1 flows newly drop: nsg-deny\n"
                      "  partner idle: no flows\n"),
            std::string::npos)
      << text;
  std::string j = diff_to_json(grouped(), nullptr);
  EXPECT_NE(j.find(R"("groups":[{"name":"payments-api","flows":5,"changed":5,)"
                   R"("before":{"egressIps":["20.0.0.1"]},"after":{"egressIps":["20.1.2.3"]},)"
                   R"("add":["20.1.2.3"],"remove":["20.0.0.1"],"newlyDropped":{}},)"),
            std::string::npos)
      << j;
  EXPECT_EQ(diff_to_json(DiffReport{}, nullptr).find("\"groups\""), std::string::npos);
}

}  // namespace
}  // namespace egress
