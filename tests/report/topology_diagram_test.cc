// The topology picture: every resource a node, in columns, names escaped, paths drawn.
#include "egress/report/topology_diagram.h"

#include <gtest/gtest.h>

#include <string>

#include "egress/config/topology_loader.h"
#include "report/report_data.h"
#include "report/xml_check.h"

namespace egress {
namespace {

using report_test::count;
using report_test::xml_problem;

TEST(TopologyDiagram, DrawsEveryResourceAndEscapesNames) {
  const Topology t = report_test::hostile_topology();
  const std::string svg = topology_diagram_svg(t, {});
  EXPECT_EQ(xml_problem(svg), "");
  // 2 subnets, 1 route table, 1 appliance, 1 NAT gateway, 2 public IPs, the Internet.
  EXPECT_NE(svg.find("data-nodes=\"8\""), std::string::npos);
  EXPECT_EQ(count(svg, "<g class=\"node "), 8U);
  EXPECT_EQ(count(svg, "<g class=\"vnet\">"), 1U);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(svg.find(">NAT gateways, LBs<"), std::string::npos);
  EXPECT_EQ(count(svg, "<g class=\"path\">"), 0U);
}

TEST(TopologyDiagram, DrawsPathsThroughTheNodesTheirHopsName) {
  const Topology t = report_test::hostile_topology();
  const std::string svg = topology_diagram_svg(t, report_test::two_kinds());
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_NE(svg.find("data-paths=\"2\""), std::string::npos);
  EXPECT_EQ(count(svg, "<g class=\"path\">"), 2U);
  // The first: subnet, its route table, the firewall, its IP, the Internet: five points.
  const size_t at = svg.find("<g class=\"path\">");
  const size_t points = svg.find("points=\"", at);
  const size_t end = svg.find('"', points + 8);
  EXPECT_EQ(count(svg.substr(points, end - points), ","), 5U);
  EXPECT_NE(svg.find(">path 1: 12 flows, egress, e.g. tcp 10.244.1.7:40112 -&gt; "
                     "140.82.112.3:443<"),
            std::string::npos);
  EXPECT_EQ(svg, topology_diagram_svg(t, report_test::two_kinds()));
}

TEST(TopologyDiagram, EveryExampleTopologyDrawsWellFormed) {
  for (const char* name : {"aks-udr-firewall", "hub-spoke-vpn", "aks-loadbalancer",
                           "firewall-nat-gateway", "nva-pitfalls"}) {
    LoadResult loaded =
        load_topology_file(std::string(EGRESS_TOPOLOGIES_DIR) + "/" + name + ".yaml");
    ASSERT_TRUE(loaded.topology) << name;
    const std::string svg = topology_diagram_svg(*loaded.topology, {});
    EXPECT_EQ(xml_problem(svg), "") << name;
  }
}

}  // namespace
}  // namespace egress
