// The flow table against a slow, obvious reference (a std::map of both directions) under
// random adds and removes, so backward-shift deletion and growth are exercised.
#include "replay/flow_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
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
    // Every live flow, in creation order.
    std::vector<uint32_t> live = table.live_in_order();
    ASSERT_EQ(live.size(), index_of.size());
    auto expected = index_of.begin();
    for (uint32_t index : live) {
      EXPECT_EQ(index, expected->second);
      ++expected;
    }
  }
}

TEST(FlowTable, ARemovedSlotIsReusedWithANewGeneration) {
  FlowTable table;
  LiveFlow f;
  f.key = FlowKey{Protocol::kUdp, IpAddress::v4(1), 1, IpAddress::v4(2), 2};
  uint32_t a = table.add(f);
  uint32_t generation = table[a].generation;
  table.remove(a);
  f.key.sport = 3;
  uint32_t b = table.add(f);
  EXPECT_EQ(a, b);
  EXPECT_NE(table[b].generation, generation);
  bool reverse = false;
  EXPECT_EQ(table.find(FlowKey{Protocol::kUdp, IpAddress::v4(1), 1, IpAddress::v4(2), 2}, &reverse),
            kNoFlow);
}

// The packed key gives back the addresses it was given, IPv4 in place and IPv6 on the heap,
// through copies, moves and assignments across the families (ASan sees the heap side).
TEST(PackedFlowKey, KeepsEveryAddressThroughCopiesAndMoves) {
  const IpAddress v4 = IpAddress::v4(0xffffffffU);
  const IpAddress v6 = IpAddress::v6(0x2001000000000000ULL, 0xffffffffffffffffULL);
  for (const IpAddress& a : {v4, v6, IpAddress::v4(0), IpAddress::v6(0, 0)}) {
    for (const IpAddress& b : {v4, v6}) {
      const FlowKey k{Protocol::kUdp, a, 65535, b, 1};
      PackedFlowKey p = k;
      EXPECT_EQ(FlowKey(p), k);
      EXPECT_EQ(p.src.family(), a.family());
      EXPECT_EQ(p.dst.to_string(), b.to_string());
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
}

}  // namespace
}  // namespace egress
