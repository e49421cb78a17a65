#include "egress/report/json_report.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "egress/engine/models.h"
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

// The slow, obvious reference: the flow records as they were written before JsonText, one
// nlohmann document each.
namespace reference {

using Json = nlohmann::ordered_json;

Json string_or_null(const std::string& s) {
  return s.empty() ? Json(nullptr) : Json(s);
}

Json route(const RouteRef& r) {
  Json j = Json::object();
  j["table"] = string_or_null(r.table);
  j["name"] = string_or_null(r.name);
  j["prefix"] = r.prefix.to_string();
  j["source"] = to_string(r.source);
  j["nextHopType"] = to_string(r.next_hop_type);
  j["nextHopIp"] = r.next_hop_ip ? Json(r.next_hop_ip->to_string()) : Json(nullptr);
  return j;
}

Json hop(const Hop& h) {
  Json j = Json::object();
  j["at"] = h.at;
  if (h.route) {
    j["route"] = route(*h.route);
  }
  if (!h.rule.empty()) {
    j["rule"] = h.rule;
  }
  if (h.action != HopAction::kNone) {
    j["action"] = to_string(h.action);
  }
  if (!h.ip.empty()) {
    j["ip"] = ip_text(h);
  }
  if (!h.note.empty()) {
    j["note"] = h.note;
  }
  return j;
}

Json flow(const FlowResult& r) {
  Json j = Json::object();
  j["proto"] = to_string(r.flow.proto);
  j["src"] = r.flow.src.to_string();
  j["sport"] = r.flow.sport;
  j["dst"] = r.flow.dst.to_string();
  j["dport"] = r.flow.dport;
  if (!r.host.empty()) {
    j["host"] = r.host;
  }
  j["verdict"] = to_string(r.verdict);
  j["reason"] = string_or_null(to_string(r.reason));
  j["via"] = string_or_null(to_string(r.via));
  j["resource"] = string_or_null(r.resource);
  j["snatIp"] = string_or_null(snat_ip_text(r));
  j["snatPort"] = r.snat_port ? Json(*r.snat_port) : Json(nullptr);
  j["egressIps"] = egress_ip_texts(r);
  Json hops = Json::array();
  for (const Hop& h : r.hops) {
    hops.push_back(hop(h));
  }
  j["hops"] = std::move(hops);
  return j;
}

std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string flow_json(const FlowResult& r) {
  Json j = flow(r);
  j["models"] = r.models.id_strings();
  return dump(j);
}

std::string record_json(const FlowRecord& record) {
  Json j = flow(record.result);
  j["first"] = static_cast<double>(record.stats.first_ns / 1000) / 1e6;
  j["last"] = static_cast<double>(record.stats.last_ns / 1000) / 1e6;
  j["packets"] = record.stats.packets;
  j["bytes"] = record.stats.bytes;
  j["models"] = record.result.models.id_strings();
  return dump(j);
}

}  // namespace reference

// Records of every shape: each field present or absent, names that need escaping or hold
// bad UTF-8, both address families, every kind of result address, times from before 1970 to
// far past 2038.
class RandomRecords {
 public:
  explicit RandomRecords(uint64_t seed) : rng_(seed) {}

  FlowRecord next() {
    FlowRecord rec;
    FlowResult& r = rec.result;
    r.flow = FlowKey{static_cast<Protocol>(pick(3)), address(), port(), address(), port()};
    r.host = maybe_name();
    r.verdict = static_cast<Verdict>(pick(6));
    r.reason = static_cast<Reason>(pick(19));
    r.via = static_cast<Via>(pick(8));
    r.resource = maybe_name();
    r.snat_ip = result_address();
    if (pick(2) == 0) {
      r.snat_port = port();
    }
    for (uint64_t i = pick(4); i > 0; --i) {
      r.egress_ips.push_back(result_address());
    }
    for (uint64_t i = pick(5); i > 0; --i) {
      r.hops.push_back(hop());
    }
    for (const Model& m : all_models()) {
      if (pick(4) == 0) {
        r.models.add(m.id);
      }
    }
    rec.stats.first_ns = time_ns();
    rec.stats.last_ns = time_ns();
    rec.stats.packets = pick(2) == 0 ? pick(100) : rng_();
    rec.stats.bytes = pick(2) == 0 ? pick(100000) : rng_();
    return rec;
  }

 private:
  uint64_t pick(uint64_t n) { return rng_() % n; }
  uint16_t port() { return static_cast<uint16_t>(rng_()); }

  IpAddress address() {
    if (pick(3) == 0) {
      // Zero runs of every length, for the text form's "::".
      const uint64_t hi = pick(2) == 0 ? rng_() : rng_() & 0xffff0000ffff0000;
      const uint64_t lo = pick(2) == 0 ? 0 : rng_() & (pick(2) == 0 ? 0xffff : ~uint64_t{0});
      return IpAddress::v6(hi, lo);
    }
    return IpAddress::v4(static_cast<uint32_t>(rng_()));
  }

  ResultAddress result_address() {
    switch (pick(5)) {
      case 0:
        return ResultAddress();
      case 1:
        return ResultAddress::endpoint(address(), port());
      case 2:
        return ResultAddress::default_outbound();
      case 3:
        return ResultAddress::node_public_ip(static_cast<Index>(pick(3)),
                                             static_cast<uint32_t>(pick(5)));
      default:
        return address();
    }
  }

  std::string maybe_name() { return pick(3) == 0 ? std::string() : name(); }

  std::string name() {
    static const std::vector<std::string> kNames = {"aks-nat",
                                                    "hub/aks-nodes",
                                                    "azfw",
                                                    "pool#2",
                                                    "api.github.com",
                                                    "Azure's \"default\" IP",
                                                    "C:\\path",
                                                    "tab\there",
                                                    "line\nbreak",
                                                    std::string("nul\0in", 6),
                                                    "\x01\x1f\x7f",
                                                    "caf\xc3\xa9",
                                                    "\xe2\x82\xac euro",
                                                    "az\xff"
                                                    "fw",
                                                    "cut\xe2\x82",
                                                    "\xc0\xaf",
                                                    "\xf0\x9f\x98\x80 emoji",
                                                    "/slash/",
                                                    "{\"json\":1}"};
    std::string s = kNames[pick(kNames.size())];
    if (pick(4) == 0) {
      s += static_cast<char>(rng_());
    }
    return s;
  }

  Hop hop() {
    Hop h;
    h.at = name();
    if (pick(2) == 0) {
      RouteRef route;
      route.table = maybe_name();
      route.name = maybe_name();
      {
        const IpAddress a = address();
        route.prefix = Prefix::of(a, static_cast<int>(pick(static_cast<uint64_t>(a.width()) + 1)));
      }
      route.source = static_cast<RouteSource>(pick(3));
      route.next_hop_type = static_cast<NextHopType>(pick(8));
      if (pick(2) == 0) {
        route.next_hop_ip = address();
      }
      h.route = route;
    }
    if (pick(2) == 0) {
      h.rule = name();
    }
    h.action = static_cast<HopAction>(pick(13));
    h.ip = result_address();
    if (pick(3) == 0) {
      h.note = name();
    }
    return h;
  }

  int64_t time_ns() {
    switch (pick(4)) {
      case 0:
        return static_cast<int64_t>(rng_());  // anything, negative too
      case 1:
        return static_cast<int64_t>(pick(1000000));
      default:
        return 1'767'225'600'000'000'000 + static_cast<int64_t>(pick(uint64_t{1} << 40));
    }
  }

  std::mt19937_64 rng_;
};

TEST(FlowRecordJson, EveryRecordIsByteForByteTheNlohmannDocumentsDump) {
  RandomRecords records(17);
  std::string appended = "before\n";
  std::string expected = appended;
  for (int i = 0; i < 10000; ++i) {
    const FlowRecord rec = records.next();
    const std::string want = reference::record_json(rec);
    ASSERT_EQ(flow_record_to_json(rec), want) << "record " << i;
    ASSERT_EQ(flow_to_json(rec.result), reference::flow_json(rec.result)) << "record " << i;
    append_flow_record_json(rec, appended);
    appended += '\n';
    expected += want + '\n';
  }
  // Appending keeps what was there and adds exactly the line.
  EXPECT_EQ(appended, expected);
}

}  // namespace
}  // namespace egress
