// Kinds of path: how flows are grouped and counted, the collector's bound and pass-through,
// and the diagram of one path.
#include "egress/report/path_diagram.h"

#include <gtest/gtest.h>

#include <string>

#include "report/report_fixtures.h"
#include "report/xml_check.h"

namespace egress {
namespace {

using report_test::count;
using report_test::denied_flow;
using report_test::example_flow;
using report_test::xml_problem;

struct Counting : ReplaySink {
  int flows = 0;
  int progress = 0;
  void on_flow(const FlowRecord&) override { ++flows; }
  void on_progress(const ReplayProgress&) override { ++progress; }
};

TEST(PathDiagram, KeyIsHopsAndVerdict) {
  EXPECT_EQ(path_kind_key(example_flow()),
            "pod snat-to-node > hub/aks-nodes  > azfw snat > = egress");
  EXPECT_EQ(path_kind_key(denied_flow()), "hub/aks-nodes deny > = dropped: nsg-deny");
}

TEST(PathDiagram, CollectorCountsKindsMostFirstAndPassesCallsOn) {
  Counting next;
  PathKindCollector collector(&next);
  FlowRecord record;
  record.result = denied_flow();
  collector.on_flow(record);
  FlowResult other_port = example_flow();
  other_port.flow.sport = 50001;  // the same way: the same kind
  for (const FlowResult& r : {example_flow(), other_port, example_flow()}) {
    record.result = r;
    collector.on_flow(record);
  }
  collector.on_progress(ReplayProgress{});
  EXPECT_EQ(next.flows, 4);
  EXPECT_EQ(next.progress, 1);
  std::vector<PathKind> kinds = collector.kinds();
  ASSERT_EQ(kinds.size(), 2U);
  EXPECT_EQ(kinds[0].flows, 3U);
  EXPECT_EQ(kinds[0].example.flow.sport, 40112);  // the first flow of its kind
  EXPECT_EQ(kinds[1].flows, 1U);
  EXPECT_EQ(collector.other_flows(), 0U);
}

TEST(PathDiagram, CollectorKeepsAtMostItsKinds) {
  PathKindCollector collector(nullptr, 2);
  for (int i = 0; i < 5; ++i) {
    FlowResult r = example_flow();
    r.hops[0].at = "pod" + std::to_string(i);
    collector.add(r);
    collector.add(r);
  }
  EXPECT_EQ(collector.kinds().size(), 2U);
  EXPECT_EQ(collector.other_flows(), 6U);
}

TEST(PathDiagram, DrawsEachHopThenTheVerdict) {
  const std::string svg = path_diagram_svg(example_flow(), 12, true);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(count(svg, "<g class=\"hop\">"), 3U);
  EXPECT_EQ(count(svg, "<g class=\"verdict\">"), 1U);
  EXPECT_NE(svg.find("data-flows=\"12\""), std::string::npos);
  EXPECT_NE(svg.find(">12 flows, e.g. tcp 10.244.1.7:40112 -&gt; 140.82.112.3:443<"),
            std::string::npos);
  EXPECT_NE(svg.find("<title>hub/aks-nodes; route aks-egress/default-to-firewall 0.0.0.0/0 "
                     "-&gt; VirtualAppliance 10.0.1.4</title>"),
            std::string::npos);
  EXPECT_NE(svg.find(">aks-egress/default-to-firewall<"), std::string::npos);
  EXPECT_NE(svg.find(">0.0.0.0/0 -&gt; VirtualAppliance 10.0.1.4<"), std::string::npos);
  EXPECT_NE(svg.find(">as 20.1.2.3<"), std::string::npos);
  EXPECT_EQ(svg, path_diagram_svg(example_flow(), 12, true));
}

TEST(PathDiagram, EscapesNamesFromUsersFiles) {
  FlowResult r = denied_flow();
  r.hops[0].at = "hub/<script>alert(1)</script>";
  r.hops[0].rule = "a\"b&c";
  const std::string svg = path_diagram_svg(r, 0, true);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("data-flows"), std::string::npos);
}

TEST(PathDiagram, LongNamesAreClippedOnCharacterBoundaries) {
  FlowResult r = denied_flow();
  r.hops[0].at = std::string(40, 'a') + "äääää";
  const std::string svg = path_diagram_svg(r, 0, true);
  EXPECT_NE(svg.find(">" + std::string(25, 'a') + "...<"), std::string::npos);
  FlowResult u = denied_flow();
  u.hops[0].at = std::string(24, 'a') + "äääääääää";
  const std::string svg2 = path_diagram_svg(u, 0, true);
  EXPECT_NE(svg2.find(">" + std::string(24, 'a') + "ä...<"), std::string::npos);
}

}  // namespace
}  // namespace egress
