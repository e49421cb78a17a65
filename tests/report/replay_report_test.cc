// The replay outputs: CSV quoting and columns, the summary's JSON keys, the human table.
#include "egress/report/replay_report.h"

#include <gtest/gtest.h>

#include <string>

#include "egress/report/json_report.h"

namespace egress {
namespace {

FlowRecord record() {
  FlowRecord r;
  r.result.flow = FlowKey{Protocol::kTcp, *IpAddress::parse("10.0.0.4"), 40000,
                          *IpAddress::parse("140.82.112.3"), 443};
  r.result.verdict = Verdict::kEgress;
  r.result.via = Via::kNatGateway;
  r.result.resource = "nat, \"east\"";
  r.result.snat_ip = *IpAddress::parse("20.1.0.1");
  r.result.snat_port = 5000;
  r.result.egress_ips = {*IpAddress::parse("20.1.0.1"), *IpAddress::parse("20.1.0.2")};
  r.result.hops = {Hop{"pod", {}, "", HopAction::kSnatToNode, *IpAddress::parse("10.0.0.4"), ""},
                   Hop{"nat", {}, "", HopAction::kSnat, *IpAddress::parse("20.1.0.1"), ""}};
  r.result.models = {"nat-gateway-destination"};
  r.stats = FlowStats{int64_t{1700000000123456789}, int64_t{1700000003500000000}, 12, 5120};
  return r;
}

TEST(ReplayReport, CsvQuotesWhatNeedsItAndJoinsLists) {
  EXPECT_EQ(flow_csv_header(),
            "proto,src,sport,dst,dport,verdict,reason,via,resource,snatIp,snatPort,egressIps,"
            "hops,first,last,packets,bytes,models\n");
  EXPECT_EQ(flow_record_to_csv(record()),
            "tcp,10.0.0.4,40000,140.82.112.3,443,egress,,natGateway,\"nat, \"\"east\"\"\","
            "20.1.0.1,5000,20.1.0.1;20.1.0.2,pod snat-to-node 10.0.0.4 > nat snat 20.1.0.1,"
            "1700000000.123456,1700000003.5,12,5120,nat-gateway-destination\n");
}

TEST(ReplayReport, JsonRecordAddsTimesAndCountsAfterTheHops) {
  std::string j = flow_record_to_json(record());
  EXPECT_NE(j.find(R"("hops":[{"at":"pod","action":"snat-to-node","ip":"10.0.0.4"},)"
                   R"({"at":"nat","action":"snat","ip":"20.1.0.1"}],"first":1700000000.123456,)"
                   R"("last":1700000003.5,"packets":12,"bytes":5120,)"
                   R"("models":["nat-gateway-destination"]})"),
            std::string::npos)
      << j;
}

ReplaySummary summary() {
  ReplaySummary s;
  s.packets = 1234567;
  s.bytes = 3 * 1024 * 1024;
  s.first_ns = int64_t{1700000000} * 1'000'000'000;
  s.last_ns = s.first_ns + 2'500'000'000;
  s.flows = 1;
  s.peak_live_flows = 1;
  s.verdicts = {{"egress", 1}};
  s.reasons = {{"snat-exhausted", 2}};
  s.unusable = {{"arp", 3}};
  UsageRow ip{"20.1.0.1", "natGateway", "nat", 1, 12, 5120, 7, 64512, 2, {}};
  s.egress_ips = {ip};
  UsageRow res = ip;
  res.name = "nat";
  s.resources = {res};
  s.models = {"nat-gateway-destination"};
  s.seed = 9;
  return s;
}

TEST(ReplayReport, SummaryJsonHasTheDocumentedTotals) {
  EXPECT_EQ(summary_to_json(summary()),
            R"({"packets":1234567,"bytes":3145728,"first":1700000000.0,"last":1700000002.5,)"
            R"("flows":1,"peakLiveFlows":1,"verdicts":{"egress":1},)"
            R"("reasons":{"snat-exhausted":2},"unusablePackets":{"arp":3},)"
            R"("egressIps":[{"ip":"20.1.0.1","resource":"nat","via":"natGateway","flows":1,)"
            R"("packets":12,"bytes":5120,"peakPortsInUse":7,"ports":64512,"snatExhausted":2}],)"
            R"("resources":[{"resource":"nat","via":"natGateway","flows":1,"packets":12,)"
            R"("bytes":5120,"peakPortsInUse":7,"ports":64512,"snatExhausted":2}],)"
            R"("egressPacketsWritten":0,"seed":9,"models":["nat-gateway-destination"],)"
            R"("warnings":[]})");
}

TEST(ReplayReport, HumanSummaryIsATable) {
  EXPECT_EQ(format_summary(summary()),
            "1,234,567 packets (3.0 MiB) over 2.500 s of capture time; 1 flow, at most 1 at once\n"
            "verdicts: egress 1\n"
            "reasons:  snat-exhausted 2\n"
            "not used: arp 3 (packets)\n"
            "\n"
            "egress IP  via         flows  packets    bytes  peak ports   ports  exhausted\n"
            "20.1.0.1   natGateway      1       12  5.0 KiB           7  64,512          2\n"
            "\n"
            "resource  via         flows  packets    bytes  peak ports   ports  exhausted\n"
            "nat       natGateway      1       12  5.0 KiB           7  64,512          2\n"
            "\n"
            "models (see 'egress-sim models'): nat-gateway-destination\n"
            "seed: 9\n");
}

ReplaySummary grouped_summary() {
  ReplaySummary s = summary();
  s.grouped = true;
  s.groups = {GroupUsage{"payments-api", 1, {{"egress", 1}}, {"20.1.0.1", "20.1.0.2"}},
              GroupUsage{"github", 0, {}, {}}};
  s.ungrouped = GroupUsage{"", 2, {{"dropped", 1}, {"egress", 1}}, {"20.1.0.1"}};
  return s;
}

TEST(ReplayReport, SummaryJsonHasGroupsOnlyWithGroups) {
  std::string plain = summary_to_json(summary());
  EXPECT_EQ(plain.find("\"groups\""), std::string::npos);
  std::string j = summary_to_json(grouped_summary());
  EXPECT_NE(j.find(R"("groups":[{"name":"payments-api","flows":1,"verdicts":{"egress":1},)"
                   R"("egressIps":["20.1.0.1","20.1.0.2"]},)"
                   R"({"name":"github","flows":0,"verdicts":{},"egressIps":[]}],)"
                   R"("ungrouped":{"flows":2,"verdicts":{"dropped":1,"egress":1},)"
                   R"("egressIps":["20.1.0.1"]},"egressPacketsWritten":0,)"),
            std::string::npos)
      << j;
}

TEST(ReplayReport, HumanSummaryHasAGroupTable) {
  std::string text = format_summary(grouped_summary());
  EXPECT_NE(
      text.find("nat       natGateway      1       12  5.0 KiB           7  64,512          2\n"
                "\n"
                "group         flows  verdicts             egress IPs\n"
                "payments-api      1  egress 1             20.1.0.1, 20.1.0.2\n"
                "github            0  none                 none\n"
                "(no group)        2  dropped 1, egress 1  20.1.0.1\n"
                "\n"
                "models (see 'egress-sim models')"),
      std::string::npos)
      << text;
}

}  // namespace
}  // namespace egress
