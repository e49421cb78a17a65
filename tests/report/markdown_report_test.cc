// The Markdown reports: the HTML report's content as tables and lists, no pictures, text from
// users' files unable to make markup.
#include "egress/report/markdown_report.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "report/report_data.h"
#include "report/xml_check.h"

namespace egress {
namespace {

using report_test::count;

TEST(MarkdownReport, EscapesWhatMarkdownWouldRead) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"plain 10.0.0.0/8", "plain 10.0.0.0/8"},
      {"<script>", "\\<script\\>"},
      {"a|b", "a\\|b"},
      {"*x* _y_ `z`", "\\*x\\* \\_y\\_ \\`z\\`"},
      {"[l](u)", "\\[l\\](u)"},
      {"a & b", "a &amp; b"},
      {"one\ntwo", "one two"},
      {"# no heading", "\\# no heading"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(markdown_escape(c.in), c.out) << c.in;
  }
}

TEST(MarkdownReport, ReplayReportAsTablesWithoutPictures) {
  const Topology t = report_test::hostile_topology();
  const ReplaySummary s = report_test::two_ip_summary();
  ReplayReportData data{"replay", "lab.yaml", &t, &s, report_test::two_kinds(), 0};
  const std::string md = replay_report_markdown(data);
  EXPECT_EQ(md.rfind("# egress-sim replay report\n\nlab.yaml\n\n## Summary\n", 0), 0U);
  EXPECT_EQ(md.find("<svg"), std::string::npos);
  EXPECT_FALSE(std::regex_search(md, std::regex("[^\\\\]<script")));
  EXPECT_NE(md.find("| 20.1.9.9 | nat\\<&amp;\\> | appliance | 10 | 64 | 64 | 64 | 3 | 2.5 s |"),
            std::string::npos);
  EXPECT_NE(
      md.find(
          "**Path 1: 12 flows, egress**\n\n1. pod: snat-to-node, now 10.0.4.5\n2. hub/aks-nodes, "),
      std::string::npos);
  EXPECT_NE(md.find("1. hub/\\<script\\>alert(1)\\</script\\>: deny"), std::string::npos);
  EXPECT_EQ(count(md, "**Path "), 2U);
  EXPECT_NE(md.find("**Egress IP 20.1.9.9: peak 64 of 64 ports, exhausted from 2.5 s**"),
            std::string::npos);
  data.subject = "1. lab.yaml";
  EXPECT_NE(replay_report_markdown(data).find("\n\n1\\. lab.yaml\n\n"), std::string::npos);
  EXPECT_EQ(md.back(), '\n');
  EXPECT_NE(md.substr(md.size() - 2), "\n\n");
  EXPECT_EQ(md, replay_report_markdown(
                    ReplayReportData{"replay", "lab.yaml", &t, &s, report_test::two_kinds(), 0}));
}

}  // namespace
}  // namespace egress
