// Load scaling: clones per flow, who sends them, that the engine judges them as their
// originals, their bytes (checksums, fragments), determinism, memory, and exact time
// compression.
#include "egress/replay/scaled_source.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "egress/capture/packet_decoder.h"
#include "egress/engine/engine.h"
#include "engine/lab_topology.h"
#include "replay/packets.h"

namespace egress {
namespace {

using testing::Built;
using testing::kAck;
using testing::kSecond;
using testing::kSyn;
using testing::kT0;

struct Out {
  int64_t ts_ns = 0;
  uint64_t number = 0;
  std::vector<uint8_t> bytes;
};

struct Scaled {
  std::vector<Out> packets;
  std::vector<Diagnostic> warnings;
  uint64_t collisions = 0;
  size_t live_flows = 0;
};

Scaled scale(const Engine& engine, std::vector<Built> in, uint32_t k, uint64_t seed = 0,
             Speedup speedup = {}) {
  testing::ListSource list(std::move(in));
  ScaledSource source(list, engine.topology(), ScaleOptions{k, speedup, seed});
  Scaled s;
  RawPacket p;
  for (;;) {
    Result<bool> more = source.next(p);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) {
      break;
    }
    s.packets.push_back(Out{p.ts_ns, p.number, {p.data.begin(), p.data.end()}});
  }
  s.warnings = source.warnings();
  s.collisions = source.collisions();
  s.live_flows = source.live_flows();
  return s;
}

DecodedPacket decode(PacketDecoder& decoder, const Out& o) {
  RawPacket p;
  p.ts_ns = o.ts_ns;
  p.link_type = kLinkRaw;
  p.orig_len = static_cast<uint32_t>(o.bytes.size());
  p.data = o.bytes;
  return decoder.decode(p);
}

FlowKey reversed(const FlowKey& k) {
  return FlowKey{k.proto, k.dst, k.dport, k.src, k.sport};
}

const Engine& lab() {
  static const Engine engine = testing::build_engine(testing::kLabYaml);
  return engine;
}

const Engine& kubenet_lab() {
  static const Engine engine = testing::build_engine(testing::lab_with(
      {{"networkPlugin: azure", "networkPlugin: kubenet\n  podCidr: 10.244.0.0/16"}}));
  return engine;
}

std::vector<uint8_t> request(const FlowKey& f) {
  std::string src = f.src.to_string();
  std::string dst = f.dst.to_string();
  switch (f.proto) {
    case Protocol::kTcp:
      return testing::tcp(src.c_str(), f.sport, dst.c_str(), f.dport, kSyn);
    case Protocol::kUdp:
      return testing::udp(src.c_str(), f.sport, dst.c_str(), f.dport);
    case Protocol::kIcmp:
      return testing::icmp_echo(src.c_str(), dst.c_str(), f.sport, false);
  }
  return {};
}

std::vector<uint8_t> reply(const FlowKey& f) {
  std::string src = f.src.to_string();
  std::string dst = f.dst.to_string();
  switch (f.proto) {
    case Protocol::kTcp:
      return testing::tcp(dst.c_str(), f.dport, src.c_str(), f.sport, kSyn | kAck);
    case Protocol::kUdp:
      return testing::udp(dst.c_str(), f.dport, src.c_str(), f.sport);
    case Protocol::kIcmp:
      return testing::icmp_echo(dst.c_str(), src.c_str(), f.sport, true);
  }
  return {};
}

// What decides a flow's path and SNAT pool: everything of a trace but the addresses a hop
// names (a pod keeping its own IP names the clone's).
std::string judged(const FlowResult& r) {
  std::string out = std::string(to_string(r.verdict)) + "/" + to_string(r.reason) + "/" +
                    to_string(r.via) + "/" + r.resource + "/";
  for (const std::string& ip : egress_ip_texts(r)) {
    out += ip + ",";
  }
  out += "/snat " + std::to_string(static_cast<int>(r.snat.via)) + " " +
         std::to_string(r.snat.resource) + " " + std::to_string(r.snat.rule) + " " +
         std::to_string(r.snat.instance) + " " + std::to_string(r.snat.ports) + " " +
         std::to_string(r.snat.idle_timeout_s);
  for (const Hop& h : r.hops) {
    out += " > " + h.at + ":" + (h.route ? h.route->name : std::string()) + ":" + h.rule + ":" +
           to_string(h.action);
  }
  return out;
}

struct PathCase {
  const char* what;
  const Engine& (*engine)();
  const char* src;
  const char* dst;
  Protocol proto;
  uint16_t dport;
  std::vector<const char*> clone_sources;  // of clones 1..4, in order
};

// Every path kind of the lab: K = 5, so four clones each.
const std::vector<PathCase>& path_cases() {
  static const std::vector<PathCase> cases = {
      {"node by LB",
       lab,
       "10.0.0.4",
       "140.82.112.3",
       Protocol::kTcp,
       443,
       {"10.0.0.4", "10.0.0.4", "10.0.0.4", "10.0.0.4"}},
      {"Azure CNI pod by LB",
       lab,
       "10.0.0.6",
       "140.82.112.3",
       Protocol::kUdp,
       123,
       {"10.0.0.7", "10.0.0.5", "10.0.0.6", "10.0.0.7"}},
      {"Azure CNI pod kept inside",
       lab,
       "10.0.0.9",
       "10.1.0.10",
       Protocol::kTcp,
       22,
       {"10.0.0.10", "10.0.0.11", "10.0.0.9", "10.0.0.10"}},
      {"Azure CNI pod, ICMP (LB: none)",
       lab,
       "10.0.0.5",
       "140.82.112.3",
       Protocol::kIcmp,
       7,
       {"10.0.0.6", "10.0.0.7", "10.0.0.5", "10.0.0.6"}},
      {"kubenet pod by LB",
       kubenet_lab,
       "10.244.1.200",
       "140.82.112.3",
       Protocol::kTcp,
       443,
       {"10.244.1.201", "10.244.1.202", "10.244.1.203", "10.244.1.204"}},
      {"kubenet pod wraps in its /24",
       kubenet_lab,
       "10.244.0.254",
       "140.82.112.3",
       Protocol::kTcp,
       443,
       {"10.244.0.255", "10.244.0.0", "10.244.0.1", "10.244.0.2"}},
      {"kubenet pod to pod",
       kubenet_lab,
       "10.244.0.7",
       "10.244.1.9",
       Protocol::kTcp,
       80,
       {"10.244.0.8", "10.244.0.9", "10.244.0.10", "10.244.0.11"}},
      {"host by NAT gateway",
       lab,
       "10.0.1.10",
       "140.82.112.3",
       Protocol::kTcp,
       443,
       {"10.0.1.10", "10.0.1.10", "10.0.1.10", "10.0.1.10"}},
      {"host by instance public IP",
       lab,
       "10.0.4.10",
       "140.82.112.3",
       Protocol::kTcp,
       443,
       {"10.0.4.10", "10.0.4.10", "10.0.4.10", "10.0.4.10"}},
      {"host by LB",
       lab,
       "10.0.4.11",
       "140.82.112.3",
       Protocol::kUdp,
       53,
       {"10.0.4.11", "10.0.4.11", "10.0.4.11", "10.0.4.11"}},
      {"host by default outbound",
       lab,
       "10.0.4.12",
       "140.82.112.3",
       Protocol::kTcp,
       443,
       {"10.0.4.12", "10.0.4.12", "10.0.4.12", "10.0.4.12"}},
      {"host by appliance",
       lab,
       "10.0.5.10",
       "140.82.112.3",
       Protocol::kTcp,
       443,
       {"10.0.5.10", "10.0.5.10", "10.0.5.10", "10.0.5.10"}},
      {"appliance rule deny",
       lab,
       "10.0.5.10",
       "140.82.112.3",
       Protocol::kTcp,
       22,
       {"10.0.5.10", "10.0.5.10", "10.0.5.10", "10.0.5.10"}},
      {"appliance behind NAT gateway",
       lab,
       "10.0.8.10",
       "140.82.112.3",
       Protocol::kTcp,
       443,
       {"10.0.8.10", "10.0.8.10", "10.0.8.10", "10.0.8.10"}},
      {"NSG deny",
       lab,
       "10.0.6.10",
       "140.82.112.3",
       Protocol::kTcp,
       443,
       {"10.0.6.10", "10.0.6.10", "10.0.6.10", "10.0.6.10"}},
      {"no outbound",
       lab,
       "10.0.3.10",
       "140.82.112.3",
       Protocol::kTcp,
       443,
       {"10.0.3.10", "10.0.3.10", "10.0.3.10", "10.0.3.10"}},
      {"loop",
       lab,
       "10.0.9.10",
       "140.82.112.3",
       Protocol::kTcp,
       443,
       {"10.0.9.10", "10.0.9.10", "10.0.9.10", "10.0.9.10"}},
      {"peered spoke",
       lab,
       "10.1.0.10",
       "10.0.1.10",
       Protocol::kTcp,
       443,
       {"10.1.0.10", "10.1.0.10", "10.1.0.10", "10.1.0.10"}},
      {"ingress to a Service",
       lab,
       "198.51.100.7",
       "20.0.0.10",
       Protocol::kTcp,
       443,
       {"198.51.100.7", "198.51.100.7", "198.51.100.7", "198.51.100.7"}},
  };
  return cases;
}

TEST(ScaledSource, EveryPathKindClonesAreJudgedAsTheirOriginal) {
  for (const PathCase& c : path_cases()) {
    SCOPED_TRACE(c.what);
    const Engine& engine = c.engine();
    FlowKey f = testing::flow(c.src, c.dst, c.dport, c.proto, 40000);
    if (c.proto == Protocol::kIcmp) {
      f.sport = f.dport = 4242;  // the echo identifier
    }
    Scaled s = scale(engine, {{kT0, request(f)}, {kT0 + 1000, reply(f)}}, 5);
    ASSERT_EQ(s.packets.size(), 10U);
    PacketDecoder decoder;
    std::vector<FlowKey> keys;
    for (const Out& o : s.packets) {
      DecodedPacket d = decode(decoder, o);
      ASSERT_EQ(d.kind, PacketKind::kIp);
      keys.push_back(d.key);
    }
    EXPECT_EQ(keys[0], f);
    EXPECT_EQ(keys[5], reversed(f));
    std::set<std::pair<std::string, uint16_t>> tuples;
    const std::string original = judged(engine.trace(f));
    for (uint32_t j = 1; j < 5; ++j) {
      SCOPED_TRACE("clone " + std::to_string(j));
      const FlowKey& clone = keys[j];
      EXPECT_EQ(clone.src.to_string(), c.clone_sources[j - 1]);
      EXPECT_EQ(clone.dst, f.dst);
      EXPECT_EQ(clone.proto, f.proto);
      if (c.proto == Protocol::kIcmp) {
        EXPECT_EQ(clone.dport, clone.sport);
      } else {
        EXPECT_EQ(clone.dport, f.dport);
      }
      EXPECT_GE(clone.sport, 1024);
      EXPECT_LT(clone.sport, 32768);
      // The reply of clone j goes back to clone j.
      EXPECT_EQ(keys[5 + j], reversed(clone));
      tuples.emplace(clone.src.to_string(), clone.sport);
      EXPECT_EQ(judged(engine.trace(clone)), original);
    }
    tuples.emplace(f.src.to_string(), f.sport);
    EXPECT_EQ(tuples.size(), 5U);
  }
}

TEST(ScaledSource, KPacketsOutPerPacketInOriginalFirstAtTheSameTime) {
  std::vector<Built> in = {
      {kT0, testing::tcp("10.0.0.4", 40000, "140.82.112.3", 443, kSyn)},
      {kT0 + 7, testing::udp("10.0.1.10", 5000, "1.1.1.1", 53)},
      {kT0 + 9, std::vector<uint8_t>{0x45, 0x00}},  // truncated: copied as it is
  };
  Scaled s = scale(lab(), in, 3);
  ASSERT_EQ(s.packets.size(), 9U);
  for (size_t i = 0; i < s.packets.size(); ++i) {
    EXPECT_EQ(s.packets[i].ts_ns, in[i / 3].ts_ns) << i;
    EXPECT_EQ(s.packets[i].number, i / 3 + 1) << i;
  }
  EXPECT_EQ(s.packets[0].bytes, in[0].bytes);
  EXPECT_EQ(s.packets[3].bytes, in[1].bytes);
  EXPECT_NE(s.packets[1].bytes, in[0].bytes);
  for (size_t i = 6; i < 9; ++i) {
    EXPECT_EQ(s.packets[i].bytes, in[2].bytes);
  }
}

TEST(ScaledSource, ScaleOneIsThePacketsUnchanged) {
  std::vector<Built> in = {{kT0, testing::tcp("10.0.0.4", 40000, "140.82.112.3", 443, kSyn)},
                           {kT0 + 5, testing::udp("10.0.0.5", 5000, "1.1.1.1", 53)}};
  Scaled s = scale(lab(), in, 1);
  ASSERT_EQ(s.packets.size(), 2U);
  EXPECT_EQ(s.packets[0].bytes, in[0].bytes);
  EXPECT_EQ(s.packets[1].bytes, in[1].bytes);
  EXPECT_EQ(s.packets[1].ts_ns, kT0 + 5);
}

// Many flows from one node to one destination and port: the clones take no tuple that a
// flow or another clone holds.
TEST(ScaledSource, ClonesAreUniqueAmongThemselvesAndTheCapturesFlows) {
  std::vector<Built> in;
  for (uint16_t i = 0; i < 300; ++i) {
    in.push_back({kT0 + i, testing::tcp("10.0.0.4", static_cast<uint16_t>(40000 + i),
                                        "140.82.112.3", 443, kSyn)});
  }
  Scaled s = scale(lab(), in, 10, 3);
  ASSERT_EQ(s.packets.size(), 3000U);
  PacketDecoder decoder;
  std::set<std::pair<std::string, uint16_t>> tuples;
  for (const Out& o : s.packets) {
    DecodedPacket d = decode(decoder, o);
    tuples.emplace(d.key.src.to_string(), d.key.sport);
  }
  EXPECT_EQ(tuples.size(), 3000U);
  EXPECT_EQ(s.collisions, 0U);
  EXPECT_TRUE(s.warnings.empty());
}

// A clone never takes the tuple of a flow that is live when the clone starts: put a flow on
// the port a clone would have taken, before it, and the clone moves on.
TEST(ScaledSource, AClonePassesOverTheTupleOfALiveFlow) {
  std::vector<Built> in = {{kT0, testing::tcp("10.0.4.11", 40000, "140.82.112.3", 443, kSyn)}};
  Scaled alone = scale(lab(), in, 2);
  PacketDecoder d1;
  uint16_t wanted = decode(d1, alone.packets[1]).key.sport;
  in.insert(in.begin(), {kT0 - 1, testing::tcp("10.0.4.11", wanted, "140.82.112.3", 443, kSyn)});
  Scaled s = scale(lab(), in, 2);
  ASSERT_EQ(s.packets.size(), 4U);
  PacketDecoder d2;
  std::set<uint16_t> ports;
  for (const Out& o : s.packets) {
    ports.insert(decode(d2, o).key.sport);
  }
  EXPECT_EQ(ports.size(), 4U);
  EXPECT_TRUE(ports.contains(wanted));
  EXPECT_EQ(s.collisions, 0U);
}

bool checksums_hold(const std::vector<uint8_t>& b) {
  std::vector<uint8_t> header(b.begin(), b.begin() + 20);
  if (internet_checksum(header) != 0) {
    return false;
  }
  std::vector<uint8_t> l4(b.begin() + 20, b.end());
  if (b[9] == 1) {
    return internet_checksum(l4) == 0;
  }
  return internet_checksum(l4, testing::pseudo_sum(header, b[9], l4.size())) == 0;
}

TEST(ScaledSource, ClonesChecksumsHold) {
  std::vector<uint8_t> quoted = testing::udp("10.0.0.6", 5353, "140.82.112.3", 53);
  std::vector<Built> in = {
      {kT0, testing::tcp("10.0.0.6", 40000, "140.82.112.3", 443, kSyn)},
      {kT0 + 1, testing::tcp("140.82.112.3", 443, "10.0.0.6", 40000, kSyn | kAck)},
      {kT0 + 2, testing::tcp("10.0.0.6", 40000, "140.82.112.3", 443, kAck, 101)},
      {kT0 + 3, quoted},
      {kT0 + 4, testing::icmp_unreachable("140.82.112.3", "10.0.0.6", quoted)},
      {kT0 + 5, testing::icmp_echo("10.0.0.6", "140.82.112.3", 77, false)},
      {kT0 + 6, testing::icmp_echo("140.82.112.3", "10.0.0.6", 77, true)},
  };
  Scaled s = scale(lab(), in, 4, 11);
  ASSERT_EQ(s.packets.size(), in.size() * 4);
  PacketDecoder decoder;
  std::vector<FlowKey> keys;
  for (size_t i = 0; i < s.packets.size(); ++i) {
    EXPECT_TRUE(checksums_hold(s.packets[i].bytes)) << "packet " << i;
    keys.push_back(decode(decoder, s.packets[i]).key);
  }
  // The ICMP error (its key: the packet it quotes) was rewritten as its UDP flow's clone.
  for (size_t j = 0; j < 4; ++j) {
    EXPECT_EQ(keys[16 + j], keys[12 + j]) << j;
  }
}

// A clone's fragments must join the clone's first fragment: IPv4 identification is changed.
TEST(ScaledSource, FragmentsOfAClonesDatagramStayTogether) {
  std::vector<uint8_t> whole = testing::udp("10.0.1.10", 5000, "140.82.112.3", 53, 40);
  std::vector<uint8_t> first(whole.begin(), whole.begin() + 20 + 24);
  std::vector<uint8_t> second(whole.begin(), whole.begin() + 20);
  second.insert(second.end(), whole.begin() + 44, whole.end());
  auto finish = [](std::vector<uint8_t>& b, uint16_t flags_offset) {
    testing::put16(b, 2, static_cast<uint16_t>(b.size()));
    testing::put16(b, 4, 0x1234);
    testing::put16(b, 6, flags_offset);
    testing::put16(b, 10, 0);
    std::vector<uint8_t> header(b.begin(), b.begin() + 20);
    testing::put16(b, 10, internet_checksum(header));
  };
  finish(first, 0x2000);  // MF
  finish(second, 3);      // offset 24 bytes
  Scaled s = scale(lab(), {{kT0, first}, {kT0 + 1, second}}, 3);
  ASSERT_EQ(s.packets.size(), 6U);
  PacketDecoder decoder;
  std::vector<DecodedPacket> d;
  for (const Out& o : s.packets) {
    d.push_back(decode(decoder, o));
    std::vector<uint8_t> header(o.bytes.begin(), o.bytes.begin() + 20);
    EXPECT_EQ(internet_checksum(header), 0);
  }
  for (size_t j = 0; j < 3; ++j) {
    EXPECT_TRUE(d[3 + j].fragment && !d[3 + j].first_fragment);
    EXPECT_EQ(d[3 + j].key, d[j].key) << j;
  }
  EXPECT_NE(d[1].key.sport, d[2].key.sport);
}

TEST(ScaledSource, SameSeedSameBytesAnotherSeedOtherPorts) {
  std::vector<Built> in;
  for (uint16_t i = 0; i < 20; ++i) {
    in.push_back({kT0 + i, testing::tcp("10.0.0.5", static_cast<uint16_t>(40000 + i),
                                        "140.82.112.3", 443, kSyn)});
    in.push_back({kT0 + i, testing::tcp("140.82.112.3", 443, "10.0.0.5",
                                        static_cast<uint16_t>(40000 + i), kSyn | kAck)});
  }
  Scaled a = scale(lab(), in, 6, 42);
  Scaled b = scale(lab(), in, 6, 42);
  Scaled c = scale(lab(), in, 6, 43);
  ASSERT_EQ(a.packets.size(), b.packets.size());
  size_t differ = 0;
  for (size_t i = 0; i < a.packets.size(); ++i) {
    EXPECT_EQ(a.packets[i].bytes, b.packets[i].bytes) << i;
    differ += a.packets[i].bytes != c.packets[i].bytes ? 1 : 0;
  }
  EXPECT_EQ(differ, 20U * 2 * 5);
}

// The only clash a stream cannot avoid: a flow of the capture that starts later on a tuple
// a clone already holds. It is counted and said.
TEST(ScaledSource, ALaterFlowOnAClonesTupleIsReported) {
  std::vector<Built> in = {{kT0, testing::tcp("10.0.1.10", 40000, "140.82.112.3", 443, kSyn)}};
  Scaled first = scale(lab(), in, 2);
  PacketDecoder decoder;
  FlowKey clone = decode(decoder, first.packets[1]).key;
  in.push_back({kT0 + kSecond, testing::tcp("10.0.1.10", clone.sport, "140.82.112.3", 443, kSyn)});
  Scaled s = scale(lab(), in, 2);
  EXPECT_EQ(s.collisions, 1U);
  ASSERT_EQ(s.warnings.size(), 1U);
  EXPECT_EQ(s.warnings[0].code, "scale-collision");
  EXPECT_EQ(format_diagnostic(s.warnings[0], "warning"),
            "warning: --scale: 1 flow of the capture started on the address and port a clone "
            "was using; each was replayed as one flow with that clone");
}

// Memory follows the flows of the last minutes of capture time, not the capture's length.
TEST(ScaledSource, MemoryFollowsRecentFlows) {
  std::vector<Built> in;
  for (int i = 0; i < 5000; ++i) {
    in.push_back({kT0 + int64_t{i} * 10 * kSecond,
                  testing::udp("10.0.1.10", static_cast<uint16_t>(10000 + i), "1.1.1.1", 53)});
  }
  Scaled s = scale(lab(), in, 4);
  EXPECT_EQ(s.packets.size(), 20000U);
  // The lab's longest idle timeout is 30 minutes: at most ~200 flows of 10 s spacing.
  EXPECT_LT(s.live_flows, 250U);
  EXPECT_GT(s.live_flows, 150U);
}

TEST(ScaledSource, SpeedupCompressesCaptureTimeExactly) {
  struct Case {
    const char* speedup;
    int64_t delta;
    int64_t expected;
  };
  const Case cases[] = {
      {"1", 123'456'789, 123'456'789},
      {"2", 3, 1},  // floor
      {"2.5", 10 * kSecond + 1, 4 * kSecond},
      {"0.5", 7, 14},
      {"3", 9'000'000'000'000'000, 3'000'000'000'000'000},  // no overflow over 104 days
      {"0.000000001", 1, 1'000'000'000},
      {"1000000000", 2 * kSecond - 1, 1},
      {"4", -5, -2},  // a packet older than the first: floor too
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.speedup);
    Result<Speedup> s = parse_speedup(c.speedup);
    ASSERT_TRUE(s.ok());
    std::vector<Built> in = {{kT0, testing::udp("10.0.1.10", 1, "1.1.1.1", 53)},
                             {kT0 + c.delta, testing::udp("10.0.1.10", 1, "1.1.1.1", 53)}};
    Scaled out = scale(lab(), in, 1, 0, *s);
    ASSERT_EQ(out.packets.size(), 2U);
    EXPECT_EQ(out.packets[0].ts_ns, kT0);
    EXPECT_EQ(out.packets[1].ts_ns - kT0, c.expected);
  }
}

TEST(ScaledSource, ParseSpeedup) {
  struct Good {
    const char* text;
    uint64_t num;
    uint64_t den;
  };
  for (const Good& g :
       {Good{"10", 10, 1}, Good{"2.5", 5, 2}, Good{"0.25", 1, 4}, Good{"1.000", 1, 1},
        Good{".5", 1, 2}, Good{"1000000000", 1000000000, 1}, Good{"0.000000001", 1, 1000000000}}) {
    Result<Speedup> s = parse_speedup(g.text);
    ASSERT_TRUE(s.ok()) << g.text;
    EXPECT_EQ(s->num, g.num) << g.text;
    EXPECT_EQ(s->den, g.den) << g.text;
  }
  for (const char* bad : {"", "0", "0.0", "-1", "1.", ".", "1e3", "abc", "2,5", "1.2.3",
                          "0.0000000001", "1000000000.5", "1000000001"}) {
    Result<Speedup> s = parse_speedup(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, "bad-speedup");
    EXPECT_EQ(s.error().message,
              std::string("--speedup: expected a positive number such as 10 or 2.5 (at most 9 "
                          "decimals, at most 1e9), got '") +
                  bad + "'");
  }
}

}  // namespace
}  // namespace egress
