#include "egress/report/text_report.h"

#include <gtest/gtest.h>

#include <sstream>

#include "egress/engine/models.h"
#include "report/report_fixtures.h"

namespace egress {
namespace {

using report_test::effective_route;
using report_test::example_flow;
using report_test::ip;

size_t longest_line(const std::string& text) {
  std::istringstream in(text);
  size_t longest = 0;
  for (std::string line; std::getline(in, line);) {
    longest = std::max(longest, line.size());
  }
  return longest;
}

TEST(FormatTrace, TheCliSpecExample) {
  EXPECT_EQ(
      format_trace(example_flow()),
      "tcp 10.244.1.7:40112 -> 140.82.112.3:443\n"
      "\n"
      "#  AT             DECISION                                         ACTION        ADDRESS\n"
      "1  pod                                                             snat-to-node  10.0.4.5\n"
      "2  hub/aks-nodes  aks-egress/default-to-firewall 0.0.0.0/0 (User)\n"
      "                    -> VirtualAppliance 10.0.1.4\n"
      "3  azfw           rule allow-https                                 snat          20.1.2.3\n"
      "\n"
      "verdict: egress\n"
      "via: appliance azfw\n"
      "snat: 20.1.2.3:1030\n"
      "egress IPs: 20.1.2.3\n");
}

TEST(FormatTrace, ShortRoutesStayOnOneLineAndReasonsAreShown) {
  EXPECT_EQ(format_trace(report_test::denied_flow()),
            "udp 10.0.4.5:50000 -> 8.8.8.8:53\n"
            "\n"
            "#  AT             DECISION                                ACTION  ADDRESS\n"
            "1  hub/aks-nodes  system 0.0.0.0/0 (Default) -> Internet  deny\n"
            "                  rule deny-internet\n"
            "\n"
            "verdict: dropped\n"
            "reason: nsg-deny\n");
}

TEST(FormatTrace, RouteLabelsForBgpAndUnnamedRoutes) {
  FlowResult r;
  r.flow = FlowKey{Protocol::kTcp, ip("10.0.4.5"), 50000, ip("192.168.1.1"), 22};
  r.verdict = Verdict::kOnprem;
  Hop hop;
  hop.at = "hub/aks-nodes";
  hop.route = report_test::route_ref("", "", "192.168.0.0/16", RouteSource::kVirtualNetworkGateway,
                                     NextHopType::kVirtualNetworkGateway);
  hop.action = HopAction::kDeliver;
  r.hops = {hop};
  EXPECT_NE(
      format_trace(r).find("1  hub/aks-nodes  bgp 192.168.0.0/16 (VirtualNetworkGateway)  deliver\n"
                           "                    -> VirtualNetworkGateway\n"),
      std::string::npos)
      << format_trace(r);
}

TEST(FormatTrace, Ipv6AndIcmpEndpoints) {
  FlowResult r;
  r.flow = FlowKey{Protocol::kTcp, ip("fd00::7"), 40000, ip("2001:db8::1"), 443};
  r.verdict = Verdict::kEgress;
  r.via = Via::kNatGateway;
  r.resource = "aks-nat";
  r.snat_ip = *IpAddress::parse("2001:db8:ff::1");
  r.snat_port = 2000;
  r.egress_ips = {*IpAddress::parse("2001:db8:ff::1"), *IpAddress::parse("2001:db8:ff::2")};
  EXPECT_EQ(format_trace(r),
            "tcp [fd00::7]:40000 -> [2001:db8::1]:443\n"
            "verdict: egress\n"
            "via: natGateway aks-nat\n"
            "snat: [2001:db8:ff::1]:2000\n"
            "egress IPs: 2001:db8:ff::1, 2001:db8:ff::2\n");

  r.flow = FlowKey{Protocol::kIcmp, ip("10.0.4.5"), 8, ip("1.1.1.1"), 0};
  r.snat_ip = ResultAddress::default_outbound();
  r.snat_port.reset();
  r.via = Via::kDefaultOutbound;
  r.resource.clear();
  r.egress_ips = {ResultAddress::default_outbound()};
  EXPECT_EQ(format_trace(r),
            "icmp 10.0.4.5 -> 1.1.1.1\n"
            "verdict: egress\n"
            "via: defaultOutbound\n"
            "snat: unknown:default-outbound\n"
            "egress IPs: unknown:default-outbound\n");
}

TEST(FormatTrace, ModelsAreNamedWithTheirTextAndWrapped) {
  FlowResult r;
  r.flow = FlowKey{Protocol::kTcp, ip("10.0.4.5"), 50000, ip("1.1.1.1"), 443};
  r.verdict = Verdict::kDropped;
  r.reason = Reason::kApplianceMissing;
  r.models = {model::kApplianceMissing};
  std::string text = format_trace(r);
  EXPECT_NE(text.find("modelled: appliance-missing-drops: A VirtualAppliance route whose"),
            std::string::npos)
      << text;
  EXPECT_LE(longest_line(text), 100U) << text;
  // Every word of the model's text is there, wrapped or not.
  std::string flat = text;
  for (size_t at = flat.find("\n    "); at != std::string::npos; at = flat.find("\n    ")) {
    flat.replace(at, 5, " ");
  }
  EXPECT_NE(flat.find(std::string(model_text(model::kApplianceMissing))), std::string::npos)
      << flat;
}

TEST(FormatTrace, LongNotesWrapInsideTheTable) {
  FlowResult r;
  r.flow = FlowKey{Protocol::kTcp, ip("10.0.4.5"), 50000, ip("1.1.1.1"), 443};
  r.verdict = Verdict::kDropped;
  r.reason = Reason::kNoOutboundConnectivity;
  Hop hop;
  hop.at = "hub/aks-nodes";
  hop.action = HopAction::kDrop;
  hop.note =
      "the subnet has no NAT gateway, the node has no public IP, it is in no outbound "
      "rule's backend pool and defaultOutboundAccess is false";
  r.hops = {hop};
  std::string text = format_trace(r);
  EXPECT_LE(longest_line(text), 100U) << text;
  EXPECT_NE(text.find("1  hub/aks-nodes  the subnet has no NAT gateway"), std::string::npos)
      << text;
}

TEST(FormatRoutes, LikeAzEffectiveRouteTable) {
  Topology t;
  std::vector<EffectiveRoute> routes = {
      effective_route(RouteSource::kDefault, true, "10.0.0.0/16", NextHopType::kVnetLocal),
      effective_route(RouteSource::kUser, true, "0.0.0.0/0", NextHopType::kVirtualAppliance,
                      ip("10.0.1.4"), "default-to-firewall"),
      effective_route(RouteSource::kDefault, false, "0.0.0.0/0", NextHopType::kInternet),
      effective_route(RouteSource::kDefault, true, "::/0", NextHopType::kInternet)};
  EXPECT_EQ(format_routes(t, 0, routes),
            "Source   State    Address Prefix  Next Hop Type     Next Hop IP  Name\n"
            "-------  -------  --------------  ----------------  -----------  -------------------\n"
            "Default  Active   10.0.0.0/16     VnetLocal\n"
            "User     Active   0.0.0.0/0       VirtualAppliance  10.0.1.4     default-to-firewall\n"
            "Default  Invalid  0.0.0.0/0       Internet\n"
            "Default  Active   ::/0            Internet\n");
}

TEST(FormatRoutes, NoRoutesIsJustTheHeader) {
  EXPECT_EQ(format_routes(Topology{}, 0, {}),
            "Source  State  Address Prefix  Next Hop Type  Next Hop IP  Name\n"
            "------  -----  --------------  -------------  -----------  ----\n");
}

}  // namespace
}  // namespace egress
