// Replay of flows an Azure Firewall decides by host name (docs/azure-behaviour.md B, "Host
// names of flows"): decided at the client's first payload that names a host, not at the SYN;
// the SNAT port taken then, in capture-time order of the decisions; the packets before it
// held for --pcap-out and written once the flow is allowed.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capture/shared_captures.h"
#include "egress/capture/capture_reader.h"
#include "egress/capture/packet_decoder.h"
#include "egress/config/topology_loader.h"
#include "egress/engine/models.h"
#include "egress/replay/replay.h"
#include "engine/lab_topology.h"
#include "replay/packets.h"

namespace egress {
namespace {

using testing::Built;
using testing::kAck;
using testing::kFin;
using testing::kSecond;
using testing::kSyn;
using testing::kT0;

constexpr const char* kClient = "10.1.0.10";
constexpr const char* kServer = "192.0.78.150";
constexpr const char* kFirewallIp = "20.30.40.50";

// One client behind an Azure Firewall that allows zeek.org over HTTPS and nothing else; one
// SNAT port, so the flow decided first is the one that gets it.
constexpr const char* kYaml = R"(version: 1
name: host-names
vnets:
  - name: lab
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: clients, addressPrefix: 10.1.0.0/24, routeTable: to-firewall}
      - {name: AzureFirewallSubnet, addressPrefix: 10.1.1.0/24}
routeTables:
  - name: to-firewall
    routes:
      - {name: default, addressPrefix: 0.0.0.0/0, nextHopType: VirtualAppliance, nextHopIpAddress: 10.1.1.4}
publicIps:
  - {name: fw-ip, address: 20.30.40.50}
appliances:
  - name: azfw
    type: AzureFirewall
    subnet: lab/AzureFirewallSubnet
    privateIp: 10.1.1.4
    ipForwarding: true
    publicIps: [fw-ip]
    snatPortsPerIp: 1
    instances: 1
    applicationRules:
      - {name: allow-zeek, action: allow, sources: [10.1.0.0/24], protocols: ["Https:443"], targetFqdns: [zeek.org]}
hosts:
  - {name: client, subnet: lab/clients, address: 10.1.0.10}
)";

// The engine of kYaml, or nothing when it does not load (the tests then fail).
const Engine* firewall() {
  static const std::optional<Engine> engine = []() -> std::optional<Engine> {
    LoadResult r = parse_topology(kYaml, "host-names.yaml");
    if (!r.topology) {
      return std::nullopt;
    }
    auto e = Engine::build(std::make_shared<const Topology>(std::move(*r.topology)));
    if (!e) {
      return std::nullopt;
    }
    return std::move(*e);
  }();
  if (!engine || !engine->decides_by_host(testing::flow(kClient, kServer, 443))) {
    return nullptr;
  }
  return &*engine;
}

// The real ClientHello for zeek.org (openjdk-25.0.2-zeek.org.pcap, frame 4), with its name
// replaced by another of the same length when `name` is given.
std::vector<uint8_t> client_hello(const char* name = nullptr) {
  auto reader = CaptureReader::open(test::kCapturesDir + "openjdk-25.0.2-zeek.org.pcap");
  EXPECT_TRUE(reader.ok());
  PacketDecoder decoder;
  RawPacket p;
  for (int frame = 1; (*reader)->next(p).value(); ++frame) {
    if (frame == 4) {
      DecodedPacket d = decoder.decode(p);
      auto payload = p.data.subspan(d.payload_offset, d.payload_length);
      std::vector<uint8_t> out(payload.begin(), payload.end());
      if (name != nullptr) {
        std::string_view zeek = "zeek.org";
        auto at = std::search(out.begin(), out.end(), zeek.begin(), zeek.end());
        std::copy(name, name + zeek.size(), at);
      }
      return out;
    }
  }
  return {};
}

// A TCP segment with sequence number `seq` and `payload`.
std::vector<uint8_t> segment(const char* src, uint16_t sport, const char* dst, uint16_t dport,
                             uint8_t flags, uint32_t seq, std::span<const uint8_t> payload = {}) {
  std::vector<uint8_t> l4(20);
  testing::put16(l4, 0, sport);
  testing::put16(l4, 2, dport);
  testing::put32(l4, 4, seq);
  l4[12] = 0x50;
  l4[13] = flags;
  testing::put16(l4, 14, 65535);
  l4.insert(l4.end(), payload.begin(), payload.end());
  return testing::ipv4(src, dst, 6, std::move(l4), 16);
}

// SYN at `t`, the handshake, then the client's `first` payload (split in `parts` segments) at
// `hello_at`, a reply, and the close.
std::vector<Built> session(int64_t t, uint16_t sport, int64_t hello_at,
                           const std::vector<uint8_t>& first, size_t parts = 1,
                           int64_t close_after = 50'000'000) {
  const uint32_t isn = 5000;
  std::vector<Built> out = {
      {t, segment(kClient, sport, kServer, 443, kSyn, isn)},
      {t + 1'000'000, segment(kServer, 443, kClient, sport, kSyn | kAck, 90)},
      {t + 2'000'000, segment(kClient, sport, kServer, 443, kAck, isn + 1)},
  };
  size_t at = 0;
  for (size_t i = 0; i < parts; ++i) {
    size_t n = i + 1 == parts ? first.size() - at : first.size() / parts;
    out.push_back({hello_at + static_cast<int64_t>(i) * 1'000'000,
                   segment(kClient, sport, kServer, 443, kAck, isn + 1 + static_cast<uint32_t>(at),
                           std::span(first).subspan(at, n))});
    at += n;
  }
  const uint32_t end = isn + 1 + static_cast<uint32_t>(first.size());
  const int64_t close = hello_at + close_after;
  out.push_back({close, segment(kServer, 443, kClient, sport, kAck, 91)});
  out.push_back({close + 10'000'000, segment(kClient, sport, kServer, 443, kFin | kAck, end)});
  out.push_back({close + 20'000'000, segment(kServer, 443, kClient, sport, kFin | kAck, 91)});
  out.push_back({close + 30'000'000, segment(kClient, sport, kServer, 443, kAck, end + 1)});
  return out;
}

struct Collected : ReplaySink {
  std::vector<FlowRecord> flows;
  std::vector<std::pair<uint16_t, uint8_t>> written;  // (client's port before SNAT, TCP flags)
  void on_flow(const FlowRecord& r) override { flows.push_back(r); }
  void on_egress_packet(const RawPacket& original, const DecodedPacket& d,
                        std::span<const uint8_t>) override {
    const bool out = d.key.src.to_string() == kClient;
    const uint8_t* l4 = original.data.data() + d.l4_offset;
    written.emplace_back(static_cast<uint16_t>(out ? l4[0] << 8 | l4[1] : l4[2] << 8 | l4[3]),
                         l4[13]);
  }
};

Collected run(const Engine& engine, std::vector<Built> packets) {
  std::stable_sort(packets.begin(), packets.end(),
                   [](const Built& a, const Built& b) { return a.ts_ns < b.ts_ns; });
  testing::ListSource source(std::move(packets));
  Collected sink;
  ReplayOptions options;
  options.rewrite = true;
  EXPECT_TRUE(replay(engine, source, options, sink).ok());
  return sink;
}

const FlowRecord* by_port(const Collected& c, uint16_t sport) {
  for (const FlowRecord& r : c.flows) {
    if (r.result.flow.sport == sport) {
      return &r;
    }
  }
  return nullptr;
}

// Flow A opens first but names its host later than flow B: with one port, B (decided first,
// open until after A names its host) holds it and A finds none. Decided at the SYN, A would
// have had it.
TEST(ReplayHostName, PortsGoInTheOrderOfTheDecisionsNotOfTheSyns) {
  const Engine* engine = firewall();
  ASSERT_NE(engine, nullptr);
  std::vector<Built> packets = session(kT0, 40001, kT0 + 3 * kSecond, client_hello());
  for (Built& b :
       session(kT0 + kSecond, 40002, kT0 + 2 * kSecond, client_hello(), 1, 5 * kSecond)) {
    packets.push_back(std::move(b));
  }
  Collected c = run(*engine, packets);
  ASSERT_EQ(c.flows.size(), 2U);
  const FlowRecord* a = by_port(c, 40001);
  const FlowRecord* b = by_port(c, 40002);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(b->result.verdict, Verdict::kEgress);
  EXPECT_EQ(snat_ip_text(b->result), kFirewallIp);
  EXPECT_EQ(b->result.host, "zeek.org");
  EXPECT_EQ(a->result.reason, Reason::kSnatExhausted);
  EXPECT_EQ(a->result.host, "zeek.org");
  EXPECT_EQ(b->stats.packets, 8U);  // the handshake counts in the flow
}

// An allowed flow is written whole, its SYN first, once its host decided it; a denied one
// (same server, same port, another name) is not written at all.
TEST(ReplayHostName, HeldPacketsAreWrittenOnceAllowed) {
  const Engine* engine = firewall();
  ASSERT_NE(engine, nullptr);
  std::vector<Built> packets = session(kT0, 40001, kT0 + kSecond, client_hello("evil.org"));
  for (Built& b : session(kT0 + 5 * kSecond, 40002, kT0 + 6 * kSecond, client_hello())) {
    packets.push_back(std::move(b));
  }
  Collected c = run(*engine, packets);
  const FlowRecord* denied = by_port(c, 40001);
  ASSERT_TRUE(denied != nullptr);
  EXPECT_EQ(denied->result.verdict, Verdict::kDropped);
  EXPECT_EQ(denied->result.reason, Reason::kApplianceDeny);
  EXPECT_EQ(denied->result.host, "evil.org");
  ASSERT_EQ(c.written.size(), 8U);
  for (const auto& [port, flags] : c.written) {
    EXPECT_EQ(port, 40002);
  }
  EXPECT_EQ(c.written[0].second, kSyn);
  EXPECT_EQ(c.written[1].second, kSyn | kAck);
}

// A ClientHello in three segments, the first sent twice: decided at the segment that
// completes the name, with it.
TEST(ReplayHostName, ClientHelloAcrossSegmentsAndARetransmission) {
  const Engine* engine = firewall();
  ASSERT_NE(engine, nullptr);
  std::vector<Built> packets = session(kT0, 40001, kT0 + kSecond, client_hello(), 3);
  Built again = packets[3];
  again.ts_ns += 500'000;
  packets.push_back(again);
  Collected c = run(*engine, packets);
  ASSERT_EQ(c.flows.size(), 1U);
  EXPECT_EQ(c.flows[0].result.verdict, Verdict::kEgress);
  EXPECT_EQ(c.flows[0].result.host, "zeek.org");
  EXPECT_EQ(c.flows[0].stats.packets, 11U);
  EXPECT_EQ(c.written.size(), 11U);  // the retransmission too: it left the client
}

// A flow that never sends a payload is decided when it ends, with no host: denied, as the
// firewall denies what no rule allows; its record names no host.
bool names_model(const FlowRecord& r, std::string_view id) {
  return r.result.models.contains(id);
}

// A flow held for its host name says so (model host-name-wait), whether a name came or not; a
// flow no application rule can match is decided at once and does not.
TEST(ReplayHostName, AFlowThatWaitedNamesTheModel) {
  const Engine* engine = firewall();
  ASSERT_NE(engine, nullptr);
  std::vector<Built> packets = session(kT0, 40001, kT0 + 5'000'000, client_hello());
  packets.push_back({kT0, segment(kClient, 40002, kServer, 443, kSyn, 1)});
  packets.push_back({kT0, segment(kClient, 40003, kServer, 22, kSyn, 1)});
  Collected c = run(*engine, packets);
  ASSERT_EQ(c.flows.size(), 3U);
  const FlowRecord* named = by_port(c, 40001);
  const FlowRecord* unnamed = by_port(c, 40002);
  const FlowRecord* ssh = by_port(c, 40003);
  ASSERT_TRUE(named != nullptr && unnamed != nullptr && ssh != nullptr);
  EXPECT_EQ(named->result.host, "zeek.org");
  EXPECT_TRUE(names_model(*named, model::kHostNameWait));
  EXPECT_TRUE(names_model(*unnamed, model::kHostNameWait));
  EXPECT_FALSE(names_model(*ssh, model::kHostNameWait));
}

TEST(ReplayHostName, NoPayloadNoHost) {
  const Engine* engine = firewall();
  ASSERT_NE(engine, nullptr);
  Collected c = run(*engine, {{kT0, segment(kClient, 40001, kServer, 443, kSyn, 1)}});
  ASSERT_EQ(c.flows.size(), 1U);
  EXPECT_EQ(c.flows[0].result.verdict, Verdict::kDropped);
  EXPECT_EQ(c.flows[0].result.host, "");
  EXPECT_TRUE(c.written.empty());
}

}  // namespace
}  // namespace egress
