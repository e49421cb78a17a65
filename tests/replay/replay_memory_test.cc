// Replay's memory follows the flows open at once, not the capture's length (issue 17): a
// capture of short flows read twice as long peaks at the same bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "egress/replay/replay.h"
#include "engine/lab_topology.h"
#include "replay/packets.h"

namespace egress {
namespace {

using testing::Built;
using testing::kAck;
using testing::kFin;
using testing::kRst;
using testing::kSyn;
using testing::kT0;

struct Discard : ReplaySink {
  void on_flow(const FlowRecord&) override {}
};

struct Peak {
  size_t bytes = 0;
  uint64_t live = 0;
  uint64_t flows = 0;
};

// `count` flows, a new one every 100 ms, each over within 50 ms: through the lab's load
// balancer (node 10.0.0.4) and its NAT gateway (10.0.1.10, whose ports cool down after the
// flow), to 64 destinations, TCP closed by FIN both ways or by RST, and UDP.
std::vector<Built> short_flows(int count) {
  using testing::tcp;
  std::vector<Built> p;
  for (int i = 0; i < count; ++i) {
    const int64_t t = kT0 + int64_t{i} * 100'000'000;
    const char* client = i % 2 == 0 ? "10.0.0.4" : "10.0.1.10";
    const std::string server = "140.82.112." + std::to_string(1 + i % 64);
    const auto sport = static_cast<uint16_t>(10000 + i % 50000);
    if (i % 5 == 4) {
      p.push_back({t, testing::udp(client, sport, server.c_str(), 53, 40)});
      p.push_back({t + 10'000'000, testing::udp(server.c_str(), 53, client, sport, 80)});
      continue;
    }
    p.push_back({t, tcp(client, sport, server.c_str(), 443, kSyn)});
    p.push_back({t + 10'000'000, tcp(server.c_str(), 443, client, sport, kSyn | kAck)});
    if (i % 5 == 3) {
      p.push_back({t + 20'000'000, tcp(client, sport, server.c_str(), 443, kRst)});
      continue;
    }
    p.push_back({t + 20'000'000, tcp(client, sport, server.c_str(), 443, kAck, 100)});
    p.push_back({t + 30'000'000, tcp(client, sport, server.c_str(), 443, kFin | kAck)});
    p.push_back({t + 40'000'000, tcp(server.c_str(), 443, client, sport, kFin | kAck)});
  }
  return p;
}

Peak replay_peak(int count) {
  static const Engine engine = testing::build_engine(testing::kLabYaml);
  Discard sink;
  ReplayOptions options;
  options.rewrite = true;
  Replayer replayer(engine, options, sink);
  testing::ListSource source(short_flows(count));
  Peak peak;
  RawPacket packet;
  while (true) {
    Result<bool> more = source.next(packet);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) {
      break;
    }
    replayer.push(packet);
    peak.bytes = std::max(peak.bytes, replayer.memory_bytes());
    peak.live = std::max(peak.live, replayer.live_flows());
  }
  peak.flows = replayer.finish().flows;
  return peak;
}

TEST(ReplayMemory, ACaptureTwiceAsLongOfShortFlowsPeaksAtTheSameBytes) {
  // 20,000 flows over 2,000 s: the linger (60 s), the idle timeouts (240 s for UDP) and the
  // NAT gateway's cool-downs (65 s) all come and go many times over within either length.
  const Peak once = replay_peak(20'000);
  const Peak twice = replay_peak(40'000);
  EXPECT_EQ(once.flows, 20'000U);
  EXPECT_EQ(twice.flows, 40'000U);
  EXPECT_EQ(twice.live, once.live);
  EXPECT_GT(once.live, 600U);  // the UDP flows' 240 s and the TCP flows' 60 s
  EXPECT_LT(once.live, 3'000U);
  EXPECT_EQ(twice.bytes, once.bytes);
}

}  // namespace
}  // namespace egress
