// The ports-in-use timeline replay keeps for reports, and its chart: bounded, deterministic,
// its peak the summary's peak, and exhaustion placed where it starts.
#include "egress/report/port_chart.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/lab_topology.h"
#include "replay/packets.h"
#include "report/xml_check.h"

namespace egress {
namespace {

using testing::Built;
using testing::kSecond;
using testing::kSyn;
using testing::kT0;

struct Discard : ReplaySink {
  void on_flow(const FlowRecord&) override {}
};

// The lab's node behind an LB rule with 8 ports per frontend (20.0.0.1, 20.0.0.2): one new
// flow a second, so the 17th finds no port, at 16 s.
ReplaySummary exhausting_run(int flows = 17, int64_t gap = kSecond) {
  static const Engine engine = testing::build_engine(
      testing::lab_with({{"allocatedOutboundPorts: 0, idleTimeoutInMinutes: 30",
                          "allocatedOutboundPorts: 8, idleTimeoutInMinutes: 30"}}));
  std::vector<Built> p;
  for (int i = 0; i < flows; ++i) {
    p.push_back({kT0 + i * gap, testing::tcp("10.0.0.4", static_cast<uint16_t>(40000 + i),
                                             "140.82.112.3", 443, kSyn)});
  }
  testing::ListSource source(std::move(p));
  Discard sink;
  Result<ReplaySummary> s = replay(engine, source, ReplayOptions{}, sink);
  EXPECT_TRUE(s.ok());
  return s.ok() ? *s : ReplaySummary{};
}

TEST(PortTimeline, PeakAndExhaustionMatchTheSummary) {
  ReplaySummary s = exhausting_run();
  ASSERT_EQ(s.egress_ips.size(), 2U);
  const PortTimeline& first = s.egress_ips[0].timeline;
  EXPECT_EQ(timeline_peak(first), s.egress_ips[0].peak_ports_in_use);
  EXPECT_EQ(timeline_peak(first), 8U);
  EXPECT_EQ(first.start_ns, kT0);
  // 16 s in 64 buckets: 1 ms doubled until it fits, 256 ms.
  EXPECT_EQ(first.bucket_ns, 256'000'000);
  EXPECT_LE(first.in_use.size(), PortTimeline::kBuckets);
  EXPECT_EQ(first.first_exhausted_ns, kT0 + 16 * kSecond);
  EXPECT_EQ(s.egress_ips[1].timeline.first_exhausted_ns, -1);
  // The second frontend fills from the 9th flow, at 8 s: nothing in use before.
  EXPECT_EQ(s.egress_ips[1].timeline.in_use.front(), 0U);
  EXPECT_EQ(timeline_peak(s.egress_ips[1].timeline), 8U);
  ASSERT_EQ(s.resources.size(), 1U);
  EXPECT_EQ(timeline_peak(s.resources[0].timeline), 16U);
  EXPECT_EQ(s.resources[0].timeline.first_exhausted_ns, kT0 + 16 * kSecond);
  EXPECT_EQ(s.resources[0].timeline.bucket_ns, first.bucket_ns);
}

TEST(PortTimeline, StaysBoundedOverALongCapture) {
  // A flow a minute for ~11 hours: still at most 64 buckets, all rows of one width.
  ReplaySummary s = exhausting_run(680, 60 * kSecond);
  ASSERT_FALSE(s.egress_ips.empty());
  for (const UsageRow& row : s.egress_ips) {
    EXPECT_LE(row.timeline.in_use.size(), PortTimeline::kBuckets);
    EXPECT_EQ(row.timeline.in_use.size(), row.timeline.exhausted.size());
    EXPECT_EQ(row.timeline.bucket_ns, s.egress_ips[0].timeline.bucket_ns);
    EXPECT_GE(row.timeline.bucket_ns * static_cast<int64_t>(PortTimeline::kBuckets),
              s.last_ns - s.first_ns);
  }
}

TEST(PortChart, ShowsPeakLimitAndExhaustionStart) {
  ReplaySummary s = exhausting_run();
  const std::string chart = port_chart_svg(s.egress_ips[0], "egress IP");
  EXPECT_EQ(report_test::xml_problem(chart), "");
  EXPECT_NE(chart.find("data-peak=\"8\""), std::string::npos);
  // A load balancer frontend's limit is the IP's ports; the instance's 8 are what ran out.
  const std::string limit = std::to_string(s.egress_ips[0].ports);
  EXPECT_EQ(limit, "64000");
  EXPECT_NE(chart.find("data-limit=\"" + limit + "\""), std::string::npos);
  EXPECT_NE(chart.find(">peak 8<"), std::string::npos);
  // Far above the peak: written at the top, not drawn.
  EXPECT_NE(chart.find(">limit " + limit + " (above)<"), std::string::npos);
  EXPECT_EQ(chart.find("stroke-dasharray"), std::string::npos);
  EXPECT_NE(chart.find(">exhausted from 16 s<"), std::string::npos);
  EXPECT_EQ(chart, port_chart_svg(exhausting_run().egress_ips[0], "egress IP"));
  const std::string quiet = port_chart_svg(s.egress_ips[1], "egress IP");
  EXPECT_EQ(quiet.find("exhausted from"), std::string::npos);
}

TEST(PortChart, CaptureSecondsAreRoundedMilliseconds) {
  EXPECT_EQ(capture_seconds(0), "0 s");
  EXPECT_EQ(capture_seconds(16 * kSecond), "16 s");
  EXPECT_EQ(capture_seconds(1'500'400'000), "1.5 s");
  EXPECT_EQ(capture_seconds(1'234'567'890), "1.235 s");
  EXPECT_EQ(capture_seconds(-5), "0 s");
}

}  // namespace
}  // namespace egress
