#include "egress/report/json_report.h"

#include <gtest/gtest.h>

#include "report/report_fixtures.h"

namespace egress {
namespace {

using report_test::effective_route;
using report_test::example_flow;
using report_test::ip;

TEST(FlowToJson, ReproducesTheCliSpecExample) {
  // cli.md's example without the replay-only first/last/packets/bytes, plus `models`.
  EXPECT_EQ(flow_to_json(example_flow()),
            R"({"proto":"tcp","src":"10.244.1.7","sport":40112,"dst":"140.82.112.3","dport":443,)"
            R"("verdict":"egress","reason":null,"via":"appliance","resource":"azfw",)"
            R"("snatIp":"20.1.2.3","snatPort":1030,"egressIps":["20.1.2.3"],"hops":[)"
            R"({"at":"pod","action":"snat-to-node","ip":"10.0.4.5"},)"
            R"({"at":"hub/aks-nodes","route":{"table":"aks-egress","name":"default-to-firewall",)"
            R"("prefix":"0.0.0.0/0","source":"User","nextHopType":"VirtualAppliance",)"
            R"("nextHopIp":"10.0.1.4"}},)"
            R"({"at":"azfw","rule":"allow-https","action":"snat","ip":"20.1.2.3"}],"models":[]})");
}

TEST(FlowToJson, AbsentFieldsAreNullAndSystemRoutesHaveNoTable) {
  EXPECT_EQ(flow_to_json(report_test::denied_flow()),
            R"({"proto":"udp","src":"10.0.4.5","sport":50000,"dst":"8.8.8.8","dport":53,)"
            R"("verdict":"dropped","reason":"nsg-deny","via":null,"resource":null,)"
            R"("snatIp":null,"snatPort":null,"egressIps":[],"hops":[)"
            R"({"at":"hub/aks-nodes","route":{"table":null,"name":null,"prefix":"0.0.0.0/0",)"
            R"("source":"Default","nextHopType":"Internet","nextHopIp":null},)"
            R"("rule":"deny-internet","action":"deny"}],"models":[]})");
}

TEST(FlowToJson, IcmpKeepsItsPortNumbersAndIpv6IsCanonical) {
  FlowResult r;
  r.flow = FlowKey{Protocol::kIcmp, ip("fd00::7"), 8, ip("2001:db8::1"), 0};
  r.verdict = Verdict::kInternal;
  EXPECT_EQ(flow_to_json(r),
            R"({"proto":"icmp","src":"fd00::7","sport":8,"dst":"2001:db8::1","dport":0,)"
            R"("verdict":"internal","reason":null,"via":null,"resource":null,"snatIp":null,)"
            R"("snatPort":null,"egressIps":[],"hops":[],"models":[]})");
}

TEST(FlowToJson, ModelsNotesAndUnknownDefaultOutbound) {
  FlowResult r;
  r.flow = FlowKey{Protocol::kTcp, ip("10.1.0.4"), 1, ip("1.1.1.1"), 65535};
  r.verdict = Verdict::kEgress;
  r.via = Via::kDefaultOutbound;
  r.snat_ip = ResultAddress::default_outbound();
  r.egress_ips = {ResultAddress::default_outbound()};
  Hop hop;
  hop.at = "internet";
  hop.note = "Azure's \"default\" IP";
  r.hops = {hop};
  r.models = {"snat-sample", "nsg-internet-tag"};
  EXPECT_EQ(flow_to_json(r),
            R"({"proto":"tcp","src":"10.1.0.4","sport":1,"dst":"1.1.1.1","dport":65535,)"
            R"("verdict":"egress","reason":null,"via":"defaultOutbound","resource":null,)"
            R"("snatIp":"unknown:default-outbound","snatPort":null,)"
            R"("egressIps":["unknown:default-outbound"],)"
            R"("hops":[{"at":"internet","note":"Azure's \"default\" IP"}],)"
            R"("models":["nsg-internet-tag","snat-sample"]})");
}

TEST(FlowToJson, InvalidUtf8InANameDoesNotThrow) {
  FlowResult r = example_flow();
  r.resource = std::string("az\xff") + "fw";
  std::string json;
  EXPECT_NO_THROW(json = flow_to_json(r));
  // The bad byte becomes U+FFFD, written as UTF-8.
  std::string replaced = std::string(R"("resource":"az)") + "\xef\xbf\xbd" + R"(fw")";
  EXPECT_NE(json.find(replaced), std::string::npos) << json;
}

Topology one_subnet_topology() {
  Topology t;
  t.file = "t.yaml";
  Subnet s;
  s.name = "aks-nodes";
  s.full_name = "hub/aks-nodes";
  t.subnets.push_back(s);
  return t;
}

TEST(RoutesToJson, EveryRouteInTheOrderGiven) {
  Topology t = one_subnet_topology();
  std::vector<EffectiveRoute> routes = {
      effective_route(RouteSource::kDefault, true, "10.0.0.0/16", NextHopType::kVnetLocal),
      effective_route(RouteSource::kUser, true, "0.0.0.0/0", NextHopType::kVirtualAppliance,
                      ip("10.0.1.4"), "default-to-firewall"),
      effective_route(RouteSource::kDefault, false, "0.0.0.0/0", NextHopType::kInternet)};
  EXPECT_EQ(routes_to_json(t, 0, routes),
            R"({"subnet":"hub/aks-nodes","routes":[)"
            R"({"source":"Default","state":"Active","addressPrefix":"10.0.0.0/16",)"
            R"("nextHopType":"VnetLocal","nextHopIpAddress":null,"name":null},)"
            R"({"source":"User","state":"Active","addressPrefix":"0.0.0.0/0",)"
            R"("nextHopType":"VirtualAppliance","nextHopIpAddress":"10.0.1.4",)"
            R"("name":"default-to-firewall"},)"
            R"({"source":"Default","state":"Invalid","addressPrefix":"0.0.0.0/0",)"
            R"("nextHopType":"Internet","nextHopIpAddress":null,"name":null}]})");
}

TEST(RoutesToJson, BgpRoutesAndNoRoutes) {
  Topology t = one_subnet_topology();
  std::vector<EffectiveRoute> routes = {effective_route(RouteSource::kVirtualNetworkGateway, true,
                                                        "192.168.0.0/16",
                                                        NextHopType::kVirtualNetworkGateway)};
  EXPECT_EQ(routes_to_json(t, 0, routes),
            R"({"subnet":"hub/aks-nodes","routes":[{"source":"VirtualNetworkGateway",)"
            R"("state":"Active","addressPrefix":"192.168.0.0/16",)"
            R"("nextHopType":"VirtualNetworkGateway","nextHopIpAddress":null,"name":null}]})");
  EXPECT_EQ(routes_to_json(t, 0, {}), R"({"subnet":"hub/aks-nodes","routes":[]})");
}

TEST(RoutesToJson, AnIndexOutsideTheTopologyIsANullSubnet) {
  EXPECT_EQ(routes_to_json(Topology{}, kNoIndex, {}), R"({"subnet":null,"routes":[]})");
}

TEST(DiagnosticsToJson, ErrorsThenFindingsWithTheirPositions) {
  std::vector<Diagnostic> errors = {
      {"unknown-key", "unknown key 'adressPrefix'", {"bad.yaml", 7, 9}}};
  std::vector<Diagnostic> findings = {
      {"RouteTableInvalidNextHop", "0.0.0.0/0 -> Internet", {"bad.yaml", 20, 5}},
      {"io", "cannot read", {"x.yaml", 0, 0}}};
  EXPECT_EQ(diagnostics_to_json(errors, findings),
            R"({"errors":[{"code":"unknown-key","message":"unknown key 'adressPrefix'",)"
            R"("file":"bad.yaml","line":7,"column":9}],)"
            R"("findings":[{"code":"RouteTableInvalidNextHop","message":"0.0.0.0/0 -> Internet",)"
            R"("file":"bad.yaml","line":20,"column":5},)"
            R"({"code":"io","message":"cannot read","file":"x.yaml","line":0,"column":0}]})");
}

TEST(DiagnosticsToJson, CleanIsTwoEmptyLists) {
  EXPECT_EQ(diagnostics_to_json({}, {}), R"({"errors":[],"findings":[]})");
}

}  // namespace
}  // namespace egress
