// The flow table against a slow, obvious reference (a std::map of both directions) under
// random adds and removes, so backward-shift deletion and growth are exercised.
#include "replay/flow_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

namespace egress {
namespace {

using Ref = std::map<std::tuple<int, IpAddress, uint16_t, IpAddress, uint16_t>, uint64_t>;

auto tuple_of(const FlowKey& k) {
  return std::make_tuple(static_cast<int>(k.proto), k.src, k.sport, k.dst, k.dport);
}

FlowKey random_key(std::mt19937_64& rng, bool v6) {
  // Few addresses and ports, so that keys collide and replies of one flow are keys of others.
  auto addr = [&] {
    uint64_t x = rng() % 6;
    return v6 ? IpAddress::v6(0xfd00000000000000ULL, x)
              : IpAddress::v4(0x0a000000U + static_cast<uint32_t>(x));
  };
  FlowKey k;
  k.proto = static_cast<Protocol>(rng() % 3);
  k.src = addr();
  k.dst = addr();
  k.sport = static_cast<uint16_t>(rng() % 40);
  k.dport = static_cast<uint16_t>(rng() % 40);
  return k;
}

FlowKey reversed(const FlowKey& k) {
  return FlowKey{k.proto, k.dst, k.dport, k.src, k.sport};
}

TEST(FlowTable, AgreesWithAReferenceUnderRandomAddsAndRemoves) {
  for (bool v6 : {false, true}) {
    std::mt19937_64 rng(v6 ? 7 : 3);
    FlowTable table;
    Ref ref;  // both directions of every live flow -> its id
    std::map<uint64_t, uint32_t> index_of;
    uint64_t next_id = 0;
    for (int step = 0; step < 60000; ++step) {
      FlowKey k = random_key(rng, v6);
      bool reverse = false;
      uint32_t found = table.find(k, &reverse);
      auto it = ref.find(tuple_of(k));
      if (it == ref.end()) {
        ASSERT_EQ(found, kNoFlow) << "step " << step;
        if (rng() % 3 != 0) {
          LiveFlow f;
          f.key = k;
          f.id = next_id++;
          uint32_t index = table.add(f);
          index_of[f.id] = index;
          ref[tuple_of(k)] = f.id;
          ref[tuple_of(reversed(k))] = f.id;
        }
        continue;
      }
      ASSERT_NE(found, kNoFlow) << "step " << step;
      ASSERT_EQ(table[found].id, it->second) << "step " << step;
      bool is_reply = !(table[found].key == k);
      ASSERT_EQ(reverse, is_reply);
      if (rng() % 2 == 0) {
        FlowKey key = table[found].key;
        ref.erase(tuple_of(key));
        ref.erase(tuple_of(reversed(key)));
        index_of.erase(table[found].id);
        table.remove(found);
      }
    }
    EXPECT_EQ(table.size(), index_of.size());
    // Every live flow, once each.
    std::vector<uint32_t> live;
    table.for_each_live([&](uint32_t index) { live.push_back(index); });
    std::sort(live.begin(), live.end(),
              [&](uint32_t a, uint32_t b) { return table[a].id < table[b].id; });
    ASSERT_EQ(live.size(), index_of.size());
    auto expected = index_of.begin();
    for (uint32_t index : live) {
      EXPECT_EQ(index, expected->second);
      ++expected;
    }
  }
}

TEST(FlowTable, ARemovedSlotIsReusedForTheNextFlow) {
  FlowTable table;
  LiveFlow f;
  f.key = FlowKey{Protocol::kUdp, IpAddress::v4(1), 1, IpAddress::v4(2), 2};
  uint32_t a = table.add(f);
  table[a].id = 7;
  table.remove(a);
  f.key = FlowKey{Protocol::kUdp, IpAddress::v4(1), 3, IpAddress::v4(2), 2};
  f.id = 8;
  uint32_t b = table.add(f);
  EXPECT_EQ(a, b);
  EXPECT_EQ(table[b].id, 8U);
  EXPECT_EQ(FlowKey(table[b].key).sport, 3);
  bool reverse = false;
  EXPECT_EQ(table.find(FlowKey{Protocol::kUdp, IpAddress::v4(1), 1, IpAddress::v4(2), 2}, &reverse),
            kNoFlow);
}

// The packed counters add up as FlowStats' 64-bit ones would, past 2^32 packets too.
TEST(LiveFlow, CountsPacketsPast32BitsAndBytesInFull) {
  LiveFlow f;
  f.first_ns = -5;
  f.count(1500, 10);
  EXPECT_EQ(f.stats().packets, 1U);
  f.packets_lo = UINT32_MAX;
  f.bytes = uint64_t{1} << 40;
  f.count(40, 20);
  const FlowStats s = f.stats();
  EXPECT_EQ(s.packets, uint64_t{1} << 32);
  f.count(40, 30);
  EXPECT_EQ(f.stats().packets, (uint64_t{1} << 32) + 1);
  EXPECT_EQ(f.stats().bytes, (uint64_t{1} << 40) + 80);
  EXPECT_EQ(f.stats().first_ns, -5);
  EXPECT_EQ(f.stats().last_ns, 30);
}

// The timers against a std::set of (time, id) under random adds, moves (earlier and later),
// erasures and pops: the same flow first every time, ties broken by the flow's id.
TEST(FlowTimers, PopInTimeThenIdOrderUnderMovesAndErasures) {
  std::mt19937_64 rng(11);
  FlowTable table;
  FlowTimers timers(table);
  std::set<std::tuple<int64_t, uint64_t, uint32_t>> ref;  // time, id, flow
  std::map<uint32_t, int64_t> at_of;
  uint64_t next_id = 1000;
  auto set = [&](uint32_t flow, int64_t at) {
    if (auto it = at_of.find(flow); it != at_of.end()) {
      ref.erase({it->second, table[flow].id, flow});
    }
    timers.set(flow, at);
    at_of[flow] = at;
    ref.insert({at, table[flow].id, flow});
  };
  auto drop = [&](uint32_t flow) {
    ref.erase({at_of.at(flow), table[flow].id, flow});
    at_of.erase(flow);
    timers.erase(flow);
    table.remove(flow);
  };
  for (int step = 0; step < 40'000; ++step) {
    const uint64_t op = rng() % 10;
    if (op < 4 || at_of.empty()) {
      LiveFlow f;
      f.key = FlowKey{Protocol::kUdp, IpAddress::v4(static_cast<uint32_t>(next_id)), 1,
                      IpAddress::v4(2), 2};
      // Ids out of slot order, as a flow's slot is reused by a later flow.
      f.id = next_id++ ^ 0x55;
      set(table.add(f), static_cast<int64_t>(rng() % 64) - 32);
      continue;
    }
    const auto pick = std::next(at_of.begin(), static_cast<long>(rng() % at_of.size()))->first;
    if (op < 7) {
      set(pick, static_cast<int64_t>(rng() % 64) - 32);
    } else if (op < 8) {
      drop(pick);
    } else {
      ASSERT_FALSE(timers.empty());
      const auto& [at, id, flow] = *ref.begin();
      ASSERT_EQ(timers.next_flow(), flow) << "step " << step;
      ASSERT_EQ(timers.next_at(), at);
      drop(flow);
    }
    ASSERT_EQ(timers.size(), ref.size());
  }
  while (!ref.empty()) {
    const auto& [at, id, flow] = *ref.begin();
    ASSERT_EQ(timers.next_flow(), flow);
    ASSERT_EQ(timers.next_at(), at);
    drop(flow);
  }
  EXPECT_TRUE(timers.empty());
}

// The end of input: after all_due_at(), the timers read in place give every flow in id order,
// whatever their times were, and the heap's top is the first of them at that time.
TEST(FlowTimers, AllDueAtGivesIdOrderWhateverTheTimersWere) {
  for (const size_t n : {0, 1, 2, 3, 7, 1000, 4097}) {
    std::mt19937_64 rng(n);
    FlowTable table;
    FlowTimers timers(table);
    std::map<uint64_t, uint32_t> by_id;
    for (size_t i = 0; i < n; ++i) {
      LiveFlow f;
      f.key =
          FlowKey{Protocol::kTcp, IpAddress::v4(static_cast<uint32_t>(i)), 1, IpAddress::v4(2), 2};
      f.id = rng() >> 2;
      const uint32_t flow = table.add(f);
      by_id[f.id] = flow;
      timers.set(flow, static_cast<int64_t>(rng() % 1000) - 500);
      // Some flows go before the end, as ended flows do.
      if (rng() % 5 == 0) {
        timers.erase(flow);
        by_id.erase(f.id);
        table.remove(flow);
      }
    }
    timers.all_due_at(INT64_MAX);
    ASSERT_EQ(timers.size(), by_id.size());
    if (!by_id.empty()) {
      EXPECT_EQ(timers.next_at(), INT64_MAX);
      EXPECT_EQ(timers.next_flow(), by_id.begin()->second);
    }
    size_t i = 0;
    for (const auto& [id, flow] : by_id) {
      ASSERT_EQ(timers.due_id(i), id) << "n " << n << " i " << i;
      ASSERT_EQ(timers.due_flow(i), flow) << "n " << n << " i " << i;
      ++i;
    }
    timers.clear();
    EXPECT_TRUE(timers.empty());
  }
}

// The packed key gives back the addresses it was given, IPv4 in place and IPv6 (either or
// both) on the heap,
// through copies, moves and assignments across the families (ASan sees the heap side).
TEST(PackedFlowKey, KeepsEveryAddressThroughCopiesAndMoves) {
  const IpAddress v4 = IpAddress::v4(0xffffffffU);
  const IpAddress v6 = IpAddress::v6(0x2001000000000000ULL, 0xffffffffffffffffULL);
  for (const IpAddress& a : {v4, v6, IpAddress::v4(0), IpAddress::v6(0, 0)}) {
    for (const IpAddress& b : {v4, v6}) {
      const FlowKey k{Protocol::kUdp, a, 65535, b, 1};
      PackedFlowKey p = k;
      EXPECT_EQ(FlowKey(p), k);
      EXPECT_EQ(FlowKey(p).src.family(), a.family());
      EXPECT_EQ(FlowKey(p).dst.to_string(), b.to_string());
      EXPECT_EQ(p.proto(), Protocol::kUdp);
      PackedFlowKey copy = p;
      PackedFlowKey moved = std::move(p);
      EXPECT_EQ(FlowKey(copy), k);
      EXPECT_EQ(FlowKey(moved), k);
      EXPECT_TRUE(copy == moved);
      copy = FlowKey{Protocol::kTcp, b, 2, a, 3};
      EXPECT_EQ(FlowKey(copy), (FlowKey{Protocol::kTcp, b, 2, a, 3}));
      copy = moved;
      EXPECT_EQ(FlowKey(copy), k);
    }
  }
  EXPECT_FALSE(PackedFlowKey(FlowKey{Protocol::kTcp, v4, 1, v6, 2}) ==
               PackedFlowKey(FlowKey{Protocol::kTcp, v4, 1, IpAddress::v6(0, 0), 2}));
  // IPv4 0.0.0.0 and IPv6 :: are told apart, in place and on the heap.
  EXPECT_FALSE(PackedFlowKey(FlowKey{Protocol::kTcp, IpAddress::v4(0), 1, IpAddress::v4(0), 2}) ==
               PackedFlowKey(FlowKey{Protocol::kTcp, IpAddress::v6(0, 0), 1, IpAddress::v4(0), 2}));
  EXPECT_FALSE(PackedFlowKey(FlowKey{Protocol::kTcp, v4, 1, v4, 2}) ==
               PackedFlowKey(FlowKey{Protocol::kTcp, v4, 2, v4, 1}));
}

}  // namespace
}  // namespace egress
