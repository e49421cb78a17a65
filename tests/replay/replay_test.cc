// Replay end to end on hand-built packets through the lab topology: flows, their ends, the
// ports they held, and what the rewritten packets look like.
#include "egress/replay/replay.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "egress/capture/packet_decoder.h"
#include "egress/groups/destination_groups.h"
#include "egress/report/json_report.h"
#include "egress/report/replay_report.h"
#include "engine/lab_topology.h"
#include "replay/packets.h"

namespace egress {
namespace {

using testing::Built;
using testing::kAck;
using testing::kFin;
using testing::kRst;
using testing::kSecond;
using testing::kSyn;
using testing::kT0;

// Lab addresses: node 10.0.0.4 leaves by the LB rule aksOutboundRule (frontends 20.0.0.1,
// 20.0.0.2); host natted-vm 10.0.1.10 by NAT gateway `nat`; routed-vm 10.0.5.10 by azfw.
constexpr const char* kNode = "10.0.0.4";
constexpr const char* kNatted = "10.0.1.10";
constexpr const char* kServer = "140.82.112.3";

struct Collected : ReplaySink {
  std::vector<FlowRecord> flows;
  std::vector<std::vector<uint8_t>> packets;
  std::vector<DecodedPacket> decoded;
  void on_flow(const FlowRecord& r) override { flows.push_back(r); }
  void on_egress_packet(const RawPacket&, const DecodedPacket& d,
                        std::span<const uint8_t> bytes) override {
    packets.emplace_back(bytes.begin(), bytes.end());
    decoded.push_back(d);
  }
};

struct ReplayRun {
  ReplaySummary summary;
  Collected sink;
};

ReplayRun run(const Engine& engine, std::vector<Built> packets, uint64_t seed = 0) {
  testing::ListSource source(std::move(packets));
  ReplayRun r;
  ReplayOptions options;
  options.seed = seed;
  options.rewrite = true;
  Result<ReplaySummary> s = replay(engine, source, options, r.sink);
  EXPECT_TRUE(s.ok());
  if (s.ok()) {
    r.summary = *s;
  }
  return r;
}

const Engine& lab() {
  static const Engine engine = testing::build_engine(testing::kLabYaml);
  return engine;
}

std::vector<Built> tcp_session(int64_t t, const char* client, uint16_t sport, const char* server,
                               uint16_t dport) {
  using testing::tcp;
  return {
      {t, tcp(client, sport, server, dport, kSyn)},
      {t + 10'000'000, tcp(server, dport, client, sport, kSyn | kAck)},
      {t + 20'000'000, tcp(client, sport, server, dport, kAck, 100)},
      {t + 30'000'000, tcp(client, sport, server, dport, kFin | kAck)},
      {t + 40'000'000, tcp(server, dport, client, sport, kFin | kAck)},
      {t + 50'000'000, tcp(client, sport, server, dport, kAck)},
  };
}

// Replay traces one flow per protocol, addresses and destination port and reuses the path for
// every source port: that holds only while the source port decides nothing but trace's
// sampled IP and port.
TEST(Replay, TheSourcePortDecidesNothingButTheSampledSnat) {
  const char* sources[] = {kNode,       kNatted,     "10.0.5.10", "10.0.4.10",
                           "10.0.4.12", "10.0.3.10", "10.0.6.10", "10.0.8.10",
                           "10.0.9.10", "10.1.0.10", "10.0.0.5"};
  const char* destinations[] = {kServer,     "10.1.0.10",  "10.2.0.4", "192.168.1.1",
                                "20.0.0.10", "198.18.0.1", "10.9.0.1", "20.50.1.10"};
  for (const char* src : sources) {
    for (const char* dst : destinations) {
      for (Protocol proto : {Protocol::kTcp, Protocol::kUdp}) {
        for (uint16_t dport : {443, 80, 25}) {
          FlowResult a = lab().trace(testing::flow(src, dst, dport, proto, 1024), 3);
          FlowResult b = lab().trace(testing::flow(src, dst, dport, proto, 61000), 3);
          for (FlowResult* r : {&a, &b}) {
            r->flow.sport = 0;
            r->snat_ip = {};
            r->snat_port.reset();
            for (Hop& hop : r->hops) {
              if (hop.action == HopAction::kSnat) {
                hop.ip = {};
              }
            }
          }
          EXPECT_EQ(flow_to_json(a), flow_to_json(b)) << src << " -> " << dst << ":" << dport;
        }
      }
    }
  }
}

TEST(Replay, RepliesAndTheLastAckBelongToTheFlow) {
  ReplayRun r = run(lab(), tcp_session(kT0, kNode, 40000, kServer, 443));
  ASSERT_EQ(r.sink.flows.size(), 1U);
  const FlowRecord& f = r.sink.flows[0];
  EXPECT_EQ(f.stats.packets, 6U);
  EXPECT_EQ(f.stats.bytes, 5U * 40 + 140);
  EXPECT_EQ(f.stats.first_ns, kT0);
  EXPECT_EQ(f.stats.last_ns, kT0 + 50'000'000);
  EXPECT_EQ(f.result.verdict, Verdict::kEgress);
  EXPECT_EQ(f.result.via, Via::kLoadBalancer);
  EXPECT_EQ(snat_ip_text(f.result), "20.0.0.1");
  ASSERT_TRUE(f.result.snat_port);
  // Node 10.0.0.4 is instance 0 of a 2-node pool: 1,024 ports from 1024.
  EXPECT_GE(*f.result.snat_port, 1024);
  EXPECT_LT(*f.result.snat_port, 2048);
  EXPECT_EQ(r.summary.flows, 1U);
  EXPECT_EQ(r.summary.verdicts.at("egress"), 1U);
  // Both frontends of the rule are listed: the second is where the instance goes next.
  ASSERT_EQ(r.summary.egress_ips.size(), 2U);
  EXPECT_EQ(r.summary.egress_ips[0].name, "20.0.0.1");
  EXPECT_EQ(r.summary.egress_ips[0].packets, 6U);
  EXPECT_EQ(r.summary.egress_ips[1].name, "20.0.0.2");
  EXPECT_EQ(r.summary.egress_ips[1].flows, 0U);
  EXPECT_EQ(r.summary.egress_ips[0].peak_ports_in_use, 1U);
  EXPECT_EQ(r.summary.egress_ips[0].ports, 64000U);
}

TEST(Replay, ASynAfterTheCloseStartsANewFlow) {
  std::vector<Built> p = tcp_session(kT0, kNode, 40000, kServer, 443);
  std::vector<Built> again = tcp_session(kT0 + 5 * kSecond, kNode, 40000, kServer, 443);
  p.insert(p.end(), again.begin(), again.end());
  ReplayRun r = run(lab(), p);
  ASSERT_EQ(r.sink.flows.size(), 2U);
  EXPECT_EQ(r.sink.flows[0].stats.packets, 6U);
  EXPECT_EQ(r.sink.flows[1].stats.packets, 6U);
}

// The flow's idle timer (30 minutes, the LB rule's) falls due between its FINs and its last
// ACK: the flow lingers for that ACK all the same, and stays one flow.
TEST(Replay, AClosedFlowLingersPastItsIdleTimer) {
  using testing::tcp;
  constexpr int64_t kIdle = 1800 * kSecond;
  ReplayRun r =
      run(lab(), {{kT0, tcp(kNode, 40000, kServer, 443, kSyn)},
                  {kT0 + 1, tcp(kServer, 443, kNode, 40000, kSyn | kAck)},
                  {kT0 + 2, tcp(kNode, 40000, kServer, 443, kAck)},
                  {kT0 + kIdle - 10 * kSecond, tcp(kNode, 40000, kServer, 443, kFin | kAck)},
                  {kT0 + kIdle - 9 * kSecond, tcp(kServer, 443, kNode, 40000, kFin | kAck)},
                  {kT0 + kIdle + 10 * kSecond, tcp(kNode, 40000, kServer, 443, kAck)}});
  EXPECT_EQ(r.summary.flows, 1U);
  ASSERT_EQ(r.sink.flows.size(), 1U);
  EXPECT_EQ(r.sink.flows[0].stats.packets, 6U);
}

// With named destination groups, each flow counts in the first group matching its destination;
// a group's IPs are every IP its egress flows could leave with.
TEST(Replay, GroupsCountFlowsVerdictsAndEgressIps) {
  using testing::tcp;
  using testing::udp;
  DestinationGroupsLoad groups = parse_destination_groups(
      "groups:\n"
      "  - {name: github, destinations: [140.82.112.0/20:443/tcp]}\n"
      "  - {name: dns, destinations: [8.8.8.8/udp]}\n"
      "  - {name: idle, destinations: [203.0.113.1]}\n",
      "g.yaml");
  ASSERT_TRUE(groups.groups);
  testing::ListSource source({{kT0, tcp(kNode, 40000, kServer, 443, kSyn)},
                              {kT0 + 1, udp(kNatted, 5000, "8.8.8.8", 53)},
                              {kT0 + 2, tcp(kNode, 40001, kServer, 22, kSyn)},
                              {kT0 + 3, udp(kNatted, 5001, "8.8.8.8", 53)}});
  Collected sink;
  ReplayOptions options;
  options.groups = &*groups.groups;
  Result<ReplaySummary> s = replay(lab(), source, options, sink);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->grouped);
  ASSERT_EQ(s->groups.size(), 3U);
  ASSERT_EQ(sink.flows.size(), 4U);
  EXPECT_EQ(s->groups[0].name, "github");
  EXPECT_EQ(s->groups[0].flows, 1U);
  EXPECT_EQ(s->groups[0].verdicts, (std::map<std::string, uint64_t>{{"egress", 1}}));
  EXPECT_EQ(s->groups[0].egress_ips, egress_ip_texts(sink.flows[0].result));
  EXPECT_EQ(s->groups[1].name, "dns");
  EXPECT_EQ(s->groups[1].flows, 2U);
  EXPECT_EQ(s->groups[1].egress_ips, egress_ip_texts(sink.flows[1].result));
  EXPECT_NE(s->groups[1].egress_ips, s->groups[0].egress_ips);  // NAT gateway, not the LB
  EXPECT_EQ(s->groups[2].flows, 0U);
  EXPECT_TRUE(s->groups[2].verdicts.empty());
  EXPECT_TRUE(s->groups[2].egress_ips.empty());
  EXPECT_EQ(s->ungrouped.name, "");
  EXPECT_EQ(s->ungrouped.flows, 1U);  // port 22 is not github's 443
  // Without groups, nothing of them.
  testing::ListSource again({{kT0, tcp(kNode, 40000, kServer, 443, kSyn)}});
  Result<ReplaySummary> plain = replay(lab(), again, ReplayOptions{}, sink);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->grouped);
  EXPECT_TRUE(plain->groups.empty());
}

TEST(Replay, UdpThroughNatGatewayEndsAfterFourIdleMinutes) {
  using testing::udp;
  // azure-egress-facts 3b: UDP idle timeout fixed at 4 minutes.
  ReplayRun close = run(lab(), {{kT0, udp(kNatted, 5000, "8.8.8.8", 53)},
                                {kT0 + 239 * kSecond, udp(kNatted, 5000, "8.8.8.8", 53)}});
  EXPECT_EQ(close.summary.flows, 1U);
  ReplayRun apart = run(lab(), {{kT0, udp(kNatted, 5000, "8.8.8.8", 53)},
                                {kT0 + 241 * kSecond, udp(kNatted, 5000, "8.8.8.8", 53)}});
  EXPECT_EQ(apart.summary.flows, 2U);
}

TEST(Replay, LoadBalancerInstanceExhaustsItsPortsOnEveryFrontend) {
  Engine engine = testing::build_engine(
      testing::lab_with({{"allocatedOutboundPorts: 0, idleTimeoutInMinutes: 30",
                          "allocatedOutboundPorts: 8, idleTimeoutInMinutes: 30"}}));
  std::vector<Built> p;
  for (uint16_t i = 0; i < 17; ++i) {
    p.push_back(
        {kT0 + i, testing::tcp(kNode, static_cast<uint16_t>(40000 + i), kServer, 443, kSyn)});
  }
  ReplayRun r = run(engine, p);
  ASSERT_EQ(r.sink.flows.size(), 17U);
  EXPECT_EQ(r.summary.reasons.at("snat-exhausted"), 1U);
  EXPECT_EQ(r.summary.verdicts.at("egress"), 16U);
  // Eight on the first frontend, then eight on the second, then none.
  ASSERT_EQ(r.summary.egress_ips.size(), 2U);
  EXPECT_EQ(r.summary.egress_ips[0].name, "20.0.0.1");
  EXPECT_EQ(r.summary.egress_ips[0].flows, 8U);
  EXPECT_EQ(r.summary.egress_ips[1].name, "20.0.0.2");
  EXPECT_EQ(r.summary.egress_ips[1].flows, 8U);
  // The refused flow counts once, on the first frontend, not on every IP of the resource.
  EXPECT_EQ(r.summary.egress_ips[0].snat_exhausted, 1U);
  EXPECT_EQ(r.summary.egress_ips[1].snat_exhausted, 0U);
  const FlowRecord& last = r.sink.flows.back();
  EXPECT_EQ(last.result.verdict, Verdict::kDropped);
  EXPECT_EQ(last.result.reason, Reason::kSnatExhausted);
  EXPECT_EQ(snat_ip_text(last.result), "");
  ASSERT_EQ(r.summary.resources.size(), 1U);
  EXPECT_EQ(r.summary.resources[0].snat_exhausted, 1U);
  // Nothing of the dropped flow passes the egress point.
  EXPECT_EQ(r.summary.egress_packets_written, 16U);
}

TEST(Replay, NatGatewayPast64512FlowsToOneDestinationAndBackAfterTheCooldown) {
  // One public IP: 64,512 ports (azure-egress-facts 3b).
  Engine engine = testing::build_engine(testing::lab_with(
      {{"publicIps: [nat-pip], publicIpPrefixes: [nat-prefix]", "publicIps: [nat-pip]"}}));
  std::vector<Built> p;
  p.reserve(64515);
  for (uint32_t i = 0; i < 64513; ++i) {
    p.push_back({kT0, testing::tcp(kNatted, static_cast<uint16_t>(i + 1), kServer, 443, kSyn)});
  }
  // The first flow is reset at +1 s: its port is free towards this destination at +17 s.
  p.push_back({kT0 + kSecond, testing::tcp(kNatted, 1, kServer, 443, kRst)});
  p.push_back({kT0 + 16 * kSecond, testing::tcp(kNatted, 65000, kServer, 443, kSyn)});
  p.push_back({kT0 + 17 * kSecond, testing::tcp(kNatted, 65001, kServer, 443, kSyn)});
  ReplayRun r = run(engine, p);
  // 64,513 SYNs, the RST of the first, and two SYNs after it.
  EXPECT_EQ(r.summary.flows, 64515U);
  EXPECT_EQ(r.summary.reasons.at("snat-exhausted"), 2U);
  ASSERT_EQ(r.summary.egress_ips.size(), 1U);
  EXPECT_EQ(r.summary.egress_ips[0].peak_ports_in_use, 64512U);
  EXPECT_EQ(r.summary.egress_ips[0].snat_exhausted, 2U);
  uint64_t egress = r.summary.verdicts.at("egress");
  EXPECT_EQ(egress, 64513U);
}

TEST(Replay, AFirstPacketThatIsAReplyStartsTheFlowFromTheNode) {
  using testing::tcp;
  ReplayRun r = run(lab(), {{kT0, tcp(kServer, 443, kNode, 40000, kAck, 50)},
                            {kT0 + 1, tcp(kNode, 40000, kServer, 443, kAck)}});
  ASSERT_EQ(r.sink.flows.size(), 1U);
  const FlowRecord& f = r.sink.flows[0];
  EXPECT_EQ(f.result.flow.src, *IpAddress::parse(kNode));
  EXPECT_EQ(f.result.verdict, Verdict::kEgress);
  EXPECT_EQ(f.stats.packets, 2U);
  EXPECT_TRUE(f.result.models.contains("flow-direction"));
}

TEST(Replay, ASynFromOutsideIsNeverTakenForAReply) {
  using testing::tcp;
  ReplayRun r = run(lab(), {{kT0, tcp(kServer, 443, kNode, 40000, kSyn)}});
  ASSERT_EQ(r.sink.flows.size(), 1U);
  EXPECT_EQ(r.sink.flows[0].result.flow.src, *IpAddress::parse(kServer));
  EXPECT_EQ(r.sink.flows[0].result.reason, Reason::kUnknownSource);
}

TEST(Replay, IcmpErrorJoinsTheFlowItQuotesAndIsRewrittenBack) {
  using testing::udp;
  std::vector<uint8_t> query = udp(kNatted, 5000, "8.8.8.8", 53);
  ReplayRun r =
      run(lab(), {{kT0, query},
                  {kT0 + 1, testing::icmp_unreachable("8.8.8.8", kNatted, query)},
                  {kT0 + 2, testing::icmp_unreachable("8.8.8.8", "10.0.1.99",
                                                      udp("10.0.1.99", 1, "8.8.8.8", 53))}});
  ASSERT_EQ(r.sink.flows.size(), 1U);
  EXPECT_EQ(r.sink.flows[0].stats.packets, 2U);
  EXPECT_EQ(r.summary.unusable.at("icmp-error-unmatched"), 1U);
  ASSERT_EQ(r.sink.packets.size(), 2U);
  // The error goes to the SNAT IP, and the header it quotes now carries the SNAT source.
  const std::vector<uint8_t>& back = r.sink.packets[1];
  IpAddress snat = r.sink.flows[0].result.snat_ip.address();
  uint32_t dst = static_cast<uint32_t>(back[16]) << 24 | back[17] << 16 | back[18] << 8 | back[19];
  EXPECT_EQ(dst, snat.v4_bits());
  uint32_t quoted_src = static_cast<uint32_t>(back[28 + 12]) << 24 | back[28 + 13] << 16 |
                        back[28 + 14] << 8 | back[28 + 15];
  EXPECT_EQ(quoted_src, snat.v4_bits());
  EXPECT_EQ(testing::get16(back, 28 + 20), *r.sink.flows[0].result.snat_port);
  // Every checksum still holds: the outer and quoted IPv4 headers, and the ICMP message.
  EXPECT_EQ(internet_checksum(std::span(back).subspan(0, 20)), 0);
  EXPECT_EQ(internet_checksum(std::span(back).subspan(28, 20)), 0);
  EXPECT_EQ(internet_checksum(std::span(back).subspan(20)), 0);
}

TEST(Replay, RewrittenPacketsCarryTheSnatAddressAndValidChecksums) {
  ReplayRun r = run(lab(), tcp_session(kT0, kNode, 40000, kServer, 443));
  ASSERT_EQ(r.sink.packets.size(), 6U);
  const FlowRecord& f = r.sink.flows[0];
  uint32_t snat = f.result.snat_ip.address().v4_bits();
  for (size_t i = 0; i < r.sink.packets.size(); ++i) {
    const std::vector<uint8_t>& b = r.sink.packets[i];
    bool out = i != 1 && i != 4;
    size_t addr = out ? 12 : 16;
    size_t port = out ? 20 : 22;
    uint32_t a =
        static_cast<uint32_t>(b[addr]) << 24 | b[addr + 1] << 16 | b[addr + 2] << 8 | b[addr + 3];
    EXPECT_EQ(a, snat) << "packet " << i;
    EXPECT_EQ(testing::get16(b, port), *f.result.snat_port) << "packet " << i;
    EXPECT_EQ(internet_checksum(std::span(b).subspan(0, 20)), 0) << "packet " << i;
    std::vector<uint8_t> l4(b.begin() + 20, b.end());
    EXPECT_EQ(internet_checksum(l4, testing::pseudo_sum(b, 6, l4.size())), 0) << "packet " << i;
  }
}

TEST(Replay, MemoryFollowsLiveFlowsNotTheCaptureLength) {
  std::vector<Built> p;
  for (uint16_t i = 0; i < 2000; ++i) {
    int64_t t = kT0 + i * kSecond;
    p.push_back({t, testing::tcp(kNode, static_cast<uint16_t>(1000 + i), kServer, 443, kSyn)});
    p.push_back(
        {t + 1000, testing::tcp(kNode, static_cast<uint16_t>(1000 + i), kServer, 443, kRst)});
  }
  ReplayRun r = run(lab(), p);
  EXPECT_EQ(r.summary.flows, 2000U);
  // Each lingers 60 s after its RST (model flow-end), one flow a second.
  EXPECT_LE(r.summary.peak_live_flows, 62U);
  EXPECT_GE(r.summary.peak_live_flows, 60U);
}

TEST(Replay, SameInputsAndSeedGiveTheSameBytes) {
  std::vector<Built> p;
  for (uint16_t i = 0; i < 300; ++i) {
    const char* src = i % 3 == 0 ? kNode : i % 3 == 1 ? kNatted : "10.0.5.10";
    std::vector<Built> s = tcp_session(kT0 + i * 1'000'000, src, static_cast<uint16_t>(2000 + i),
                                       i % 2 ? kServer : "13.107.42.14", 443);
    p.insert(p.end(), s.begin(), s.end());
  }
  auto text = [&](uint64_t seed) {
    ReplayRun r = run(lab(), p, seed);
    std::string out = summary_to_json(r.summary);
    for (const FlowRecord& f : r.sink.flows) {
      out += flow_record_to_json(f) + "\n";
    }
    for (const auto& b : r.sink.packets) {
      out.append(b.begin(), b.end());
    }
    return out;
  };
  EXPECT_EQ(text(4), text(4));
  EXPECT_NE(text(4), text(5));
}

TEST(Replay, UnusablePacketsAreCountedByKind) {
  std::vector<uint8_t> gre =
      testing::ipv4(kNode, kServer, 47, std::vector<uint8_t>(8, 0), SIZE_MAX);
  ReplayRun r = run(lab(), {{kT0, gre}, {kT0 + 1, gre}});
  EXPECT_EQ(r.summary.flows, 0U);
  EXPECT_EQ(r.summary.unusable.at("other-protocol"), 2U);
  EXPECT_EQ(r.summary.packets, 2U);
}

}  // namespace
}  // namespace egress
