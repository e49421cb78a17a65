// The HTML reports: self-contained (nothing fetched, no script), a chart per egress IP and
// resource with its peak and limit, a diagram per kind of path with its count, names escaped,
// and the same bytes every time.
#include "egress/report/html_report.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "report/report_data.h"
#include "report/xml_check.h"

namespace egress {
namespace {

using report_test::count;
using report_test::xml_problem;

ReplayReportData replay_data(const Topology& t, const ReplaySummary& s) {
  return ReplayReportData{"replay", "lab.yaml, <nodes>.pcap", &t, &s, report_test::two_kinds(), 0};
}

std::vector<std::string> svgs(const std::string& html) {
  std::vector<std::string> out;
  for (size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) {
    const size_t end = html.find("</svg>", at);
    out.push_back(html.substr(at, end + 6 - at));
  }
  return out;
}

void expect_self_contained(const std::string& html) {
  static const std::regex fetch(R"((src|href|action)\s*=\s*["']?\s*(https?:)?//)",
                                std::regex::icase);
  EXPECT_FALSE(std::regex_search(html, fetch));
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  for (const std::string& svg : svgs(html)) {
    EXPECT_EQ(xml_problem(svg), "") << svg.substr(0, 200);
  }
}

TEST(HtmlReport, ReplayReportIsSelfContainedAndEscaped) {
  const Topology t = report_test::hostile_topology();
  const ReplaySummary s = report_test::two_ip_summary();
  const std::string html = replay_report_html(replay_data(t, s));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0U);
  expect_self_contained(html);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("lab.yaml, &lt;nodes&gt;.pcap"), std::string::npos);
  EXPECT_NE(html.find("nat&lt;&amp;&gt;"), std::string::npos);
}

TEST(HtmlReport, OneChartPerEgressIpAndResourceWithPeakAndLimit) {
  const Topology t = report_test::hostile_topology();
  const ReplaySummary s = report_test::two_ip_summary();
  const std::string html = replay_report_html(replay_data(t, s));
  EXPECT_EQ(count(html, "class=\"port-chart\""), 3U);
  EXPECT_NE(html.find("data-name=\"20.1.2.3\" data-peak=\"7\" data-limit=\"2496\""),
            std::string::npos);
  EXPECT_NE(html.find("data-name=\"20.1.9.9\" data-peak=\"64\" data-limit=\"64\""),
            std::string::npos);
  EXPECT_NE(html.find(">exhausted from 2.5 s<"), std::string::npos);
  // At its limit: the limit drawn, dashed, in the second IP's chart only.
  EXPECT_NE(html.find(">limit 64<"), std::string::npos);
  EXPECT_NE(html.find(">limit 2496 (above)<"), std::string::npos);
  // The table beside: when exhaustion starts.
  EXPECT_NE(html.find("<td>2.5 s</td>"), std::string::npos);
}

TEST(HtmlReport, OneDiagramPerKindOfPathWithItsCount) {
  const Topology t = report_test::hostile_topology();
  const ReplaySummary s = report_test::two_ip_summary();
  ReplayReportData data = replay_data(t, s);
  data.other_path_flows = 5;
  const std::string html = replay_report_html(data);
  EXPECT_EQ(count(html, "class=\"path-diagram\""), 2U);
  EXPECT_NE(html.find("data-flows=\"12\""), std::string::npos);
  EXPECT_NE(html.find("data-flows=\"1\""), std::string::npos);
  EXPECT_NE(html.find("<figcaption>Path 1: 12 flows, egress</figcaption>"), std::string::npos);
  EXPECT_NE(html.find("<figcaption>Path 2: 1 flow, dropped: nsg-deny</figcaption>"),
            std::string::npos);
  EXPECT_NE(html.find("5 flows went other ways"), std::string::npos);
  EXPECT_EQ(count(html, "class=\"topology-diagram\""), 1U);
}

TEST(HtmlReport, SameInputSameBytes) {
  const Topology t = report_test::hostile_topology();
  const ReplaySummary s = report_test::two_ip_summary();
  EXPECT_EQ(replay_report_html(replay_data(t, s)), replay_report_html(replay_data(t, s)));
}

DiffReport example_diff() {
  DiffReport d;
  d.flows = 20;
  d.changed = 3;
  d.before_ips = {"20.1.2.3"};
  d.after_ips = {"20.1.9.9"};
  d.new_ips = {"20.1.9.9"};
  d.gone_ips = {"20.1.2.3"};
  d.grouped = true;
  GroupDiff g;
  g.name = "partner <b>";
  g.flows = 5;
  g.changed = 2;
  g.add = {"20.1.9.9"};
  g.remove = {"20.1.2.3"};
  g.newly_dropped = {{"nsg-deny", 1}};
  d.groups = {g};
  d.newly_dropped = {{"nsg-deny", 1}};
  FlowChange c;
  c.flow = report_test::denied_flow().flow;
  c.before.verdict = Verdict::kEgress;
  c.before.egress_ips = {"20.1.2.3"};
  c.after.verdict = Verdict::kDropped;
  c.after.reason = Reason::kNsgDeny;
  d.changes = {c};
  d.warnings = {DiffWarning{"nat-gateway-precedence", "the NAT gateway <wins>"}};
  return d;
}

TEST(HtmlReport, DiffReportSideBySide) {
  const Topology before = report_test::hostile_topology();
  const Topology after = report_test::hostile_topology();
  const DiffReport d = example_diff();
  DiffReportData data{"diff", "before.yaml, after.yaml", &before, &after, &d, nullptr, {}, 0};
  const std::vector<PathKind> kinds = report_test::two_kinds();
  data.changes = {PathChange{kinds[0].example, kinds[1].example, 3}};
  const std::string html = diff_report_html(data);
  expect_self_contained(html);
  EXPECT_EQ(count(html, "class=\"columns\""), 3U);  // IPs, the change, the topologies
  EXPECT_EQ(count(html, "class=\"topology-diagram\""), 2U);
  EXPECT_EQ(count(html, "class=\"path-diagram\""), 2U);
  EXPECT_NE(html.find("<td>partner &lt;b&gt;</td>"), std::string::npos);
  EXPECT_NE(html.find("nat-gateway-precedence: the NAT gateway &lt;wins&gt;"), std::string::npos);
  EXPECT_NE(html.find("<td>udp 10.0.4.5:50000 -&gt; 8.8.8.8:53</td><td>egress as 20.1.2.3</td>"
                      "<td>dropped (nsg-deny)</td>"),
            std::string::npos);
  EXPECT_NE(html.find("Change 1: 3 flows, egress -&gt; dropped: nsg-deny"), std::string::npos);
  EXPECT_EQ(html, diff_report_html(data));
}

TEST(HtmlReport, RefusedMigrationHasNoAfterState) {
  const Topology before = report_test::hostile_topology();
  const DiffReport none;
  MigrationContext m;
  m.from = "loadBalancer";
  m.to = "managedNATGateway";
  m.verdict.supported = false;
  m.verdict.text = "Not Supported";
  DiffReportData data{"migrate", "x.yaml", &before, nullptr, &none, &m, {}, 0};
  const std::string html = diff_report_html(data);
  expect_self_contained(html);
  EXPECT_NE(html.find("<td>no</td><td>Not Supported</td>"), std::string::npos);
  EXPECT_NE(html.find("No after-state."), std::string::npos);
}

}  // namespace
}  // namespace egress
