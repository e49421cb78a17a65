// DenseSet against std::map under random inserts and erases, so backward-shift deletion, the
// last entry moving into a hole, and growth are all exercised.
#include "replay/dense_set.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>

namespace egress {
namespace {

struct Entry {
  uint32_t key = 0;
  uint32_t value = 0;
};
// A poor hash on purpose: long probe runs, which wrap around the index.
struct Hash {
  size_t operator()(const Entry& e) const noexcept { return e.key / 4; }
};
struct Equal {
  bool operator()(const Entry& a, const Entry& b) const noexcept { return a.key == b.key; }
};

TEST(DenseSet, AgreesWithAReferenceUnderRandomInsertsAndErases) {
  std::mt19937_64 rng(17);
  DenseSet<Entry, Hash, Equal> set;
  std::map<uint32_t, uint32_t> ref;
  for (int step = 0; step < 200'000; ++step) {
    const auto key = static_cast<uint32_t>(rng() % (step < 100'000 ? 3000 : 300));
    switch (rng() % 3) {
      case 0: {
        const auto value = static_cast<uint32_t>(step);
        auto [e, added] = set.insert(Entry{key, value});
        auto [it, ref_added] = ref.try_emplace(key, value);
        ASSERT_EQ(added, ref_added) << "step " << step;
        ASSERT_EQ(e->value, it->second) << "step " << step;
        break;
      }
      case 1:
        ASSERT_EQ(set.erase(Entry{key, 0}), ref.erase(key) == 1) << "step " << step;
        break;
      default: {
        const Entry* e = set.find(Entry{key, 0});
        auto it = ref.find(key);
        ASSERT_EQ(e != nullptr, it != ref.end()) << "step " << step;
        if (e != nullptr) {
          ASSERT_EQ(e->value, it->second) << "step " << step;
        }
      }
    }
    ASSERT_EQ(set.size(), ref.size());
  }
  for (const auto& [key, value] : ref) {
    const Entry* e = set.find(Entry{key, 0});
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->value, value);
  }
}

// Elements keep their values and addresses across chunk boundaries, growing and shrinking;
// memory follows the largest size, in whole chunks.
TEST(ChunkedVector, KeepsElementsWhereTheyAreAcrossChunks) {
  ChunkedVector<uint64_t, 2> v;  // chunks of 4
  EXPECT_TRUE(v.empty());
  for (uint64_t i = 0; i < 10; ++i) {
    v.push_back(i * 7);
  }
  const uint64_t* third = &v[2];
  EXPECT_EQ(v.size(), 10U);
  EXPECT_EQ(v.back(), 63U);
  for (int i = 0; i < 6; ++i) {
    v.pop_back();
  }
  EXPECT_EQ(v.back(), 21U);
  v.push_back(99);
  EXPECT_EQ(v[4], 99U);
  EXPECT_EQ(&v[2], third);
  EXPECT_EQ(*third, 14U);
  EXPECT_GE(v.memory_bytes(), 12 * sizeof(uint64_t));
  EXPECT_LT(v.memory_bytes(), 16 * sizeof(uint64_t) + 64);
}

}  // namespace
}  // namespace egress
