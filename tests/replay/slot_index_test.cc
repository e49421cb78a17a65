// SlotIndex against a std::unordered_multimap of (hash, id) under random inserts, erasures
// and lookups, with hashes chosen to collide (few distinct home slots, equal tags) so that
// probing, backward-shift deletion, growth and the tag check all run.
#include "replay/slot_index.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace egress {
namespace {

struct Case {
  const char* name;
  uint64_t hash_mask;  // of a 64-bit random hash: fewer bits, more collisions
};

TEST(SlotIndex, AgreesWithAMapUnderInsertsErasesAndLookups) {
  for (const Case& c :
       {Case{"random", ~uint64_t{0}}, Case{"16 hashes", 0xF000'0000'0000'000FULL},
        Case{"one home, tags differ", 0xFFFF'FFFF'0000'0000ULL}, Case{"one hash", 0}}) {
    std::mt19937_64 rng(7);
    SlotIndex index;
    std::vector<uint64_t> hash_of;   // by id
    std::vector<bool> present;       // by id
    std::vector<uint32_t> free_ids;  // dense ids, reused as a caller's free list would
    std::map<uint32_t, uint64_t> ref;
    auto hash = [&](uint32_t id) { return hash_of[id]; };
    for (int step = 0; step < 8000; ++step) {
      const uint64_t op = rng() % 8;
      if (op < 4 || ref.empty()) {
        uint32_t id;
        if (!free_ids.empty()) {
          id = free_ids.back();
          free_ids.pop_back();
        } else {
          id = static_cast<uint32_t>(hash_of.size());
          hash_of.push_back(0);
          present.push_back(false);
        }
        hash_of[id] = rng() & c.hash_mask;
        present[id] = true;
        index.insert(id, hash_of[id], hash);
        ref[id] = hash_of[id];
      } else if (op < 6) {
        const auto it = std::next(ref.begin(), static_cast<long>(rng() % ref.size()));
        index.erase(it->first, it->second, hash);
        present[it->first] = false;
        free_ids.push_back(it->first);
        ref.erase(it);
      } else {
        // Every present id is found under its own hash, and only ids that are present.
        const auto it = std::next(ref.begin(), static_cast<long>(rng() % ref.size()));
        const uint32_t want = it->first;
        ASSERT_EQ(index.find(it->second, [&](uint32_t id) { return id == want; }), want)
            << c.name << " step " << step;
        // first(), the prefetch hint, names only ids that are there.
        if (const uint32_t hint = index.first(it->second); hint != SlotIndex::kNone) {
          ASSERT_TRUE(present[hint]) << c.name << " step " << step;
        }
        const uint32_t gone = static_cast<uint32_t>(rng() % hash_of.size());
        if (!present[gone]) {
          ASSERT_EQ(index.find(hash_of[gone], [&](uint32_t id) { return id == gone; }),
                    SlotIndex::kNone)
              << c.name << " step " << step;
        }
      }
      ASSERT_EQ(index.size(), ref.size());
    }
    for (const auto& [id, h] : ref) {
      const uint32_t want = id;
      ASSERT_EQ(index.find(h, [&](uint32_t i) { return i == want; }), want) << c.name;
    }
  }
}

// An id far above the number held still fits: the table grows until it does.
TEST(SlotIndex, GrowsForALargeId) {
  SlotIndex index;
  auto hash = [](uint32_t id) { return uint64_t{id} * 0x9e3779b97f4a7c15ULL; };
  index.insert(5000, hash(5000), hash);
  index.insert(3, hash(3), hash);
  EXPECT_EQ(index.find(hash(5000), [](uint32_t id) { return id == 5000; }), 5000U);
  EXPECT_EQ(index.find(hash(3), [](uint32_t id) { return id == 3; }), 3U);
  EXPECT_EQ(index.find(hash(4), [](uint32_t id) { return id == 4; }), SlotIndex::kNone);
  EXPECT_GE(index.memory_bytes(), 2 * 5001 * sizeof(uint32_t));
}

// first() reads the home slot only: its id when the tag matches, else kNone.
TEST(SlotIndex, FirstIsTheHomeSlotsIdWhenItsTagMatches) {
  // 64 slots at the start: the home is the low 6 bits, the tag the top 32 shifted by 6.
  const uint64_t one = 0x0000'0001'0000'0005ULL;    // home 5, tag 1
  const uint64_t other = 0x0000'0003'0000'0005ULL;  // home 5, tag 3: probes on to slot 6
  std::map<uint32_t, uint64_t> hashes{{1, one}, {2, other}};
  auto hash = [&](uint32_t id) { return hashes.at(id); };
  SlotIndex index;
  EXPECT_EQ(index.first(one), SlotIndex::kNone);
  index.insert(1, one, hash);
  index.insert(2, other, hash);
  struct Probe {
    uint64_t h;
    uint32_t want;
  };
  for (const Probe& p :
       {Probe{one, 1}, Probe{other, SlotIndex::kNone},
        Probe{0x0000'0001'0000'0006ULL, SlotIndex::kNone}, Probe{0x0000'0003'0000'0006ULL, 2},
        Probe{0x0000'0001'0000'0007ULL, SlotIndex::kNone}}) {
    EXPECT_EQ(index.first(p.h), p.want) << std::hex << p.h;
  }
  index.erase(1, one, hash);  // backward shift: id 2 moves home
  EXPECT_EQ(index.first(other), 2U);
}

}  // namespace
}  // namespace egress
