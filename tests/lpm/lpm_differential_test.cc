// LpmTable against the linear-scan reference on large random tables. The tables nest deeply
// and hold duplicates, and the probes concentrate where tries go wrong: the first and last
// address of each prefix and the addresses just outside it.
//
// Built twice: without EGRESS_LPM_EXHAUSTIVE it is the quick differential test; with it, only the
// sweep of a whole /8, which takes long enough under sanitizers to belong in `extensive`.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "egress/lpm/lpm_table.h"
#include "egress/lpm/simple_lpm.h"
#include "lpm/lpm_table_internal.h"
#include "lpm/reference_lpm.h"

namespace egress {

// gtest would print the raw bytes otherwise. Outside the anonymous namespace so ADL finds it.
void PrintTo(const IpAddress& a, std::ostream* os) {
  *os << a.to_string();
}

namespace {

using Rng = std::mt19937_64;

IpAddress random_address(Family family, Rng& rng) {
  if (family == Family::kV4) {
    return IpAddress::v4(static_cast<uint32_t>(rng()));
  }
  // Drawn in two statements: argument evaluation order is unspecified, and a seed must give
  // the same table with every compiler.
  uint64_t hi = rng();
  return IpAddress::v6(hi, rng());
}

// `p`'s network bits with `source`'s host bits.
IpAddress with_host_bits(const Prefix& p, const IpAddress& source) {
  IpAddress network = source.masked(p.length);
  uint64_t host_hi = source.hi() ^ network.hi();
  uint64_t host_lo = source.lo() ^ network.lo();
  if (p.address.is_v4()) {
    return IpAddress::v4(p.address.v4_bits() | static_cast<uint32_t>(host_lo));
  }
  return IpAddress::v6(p.address.hi() | host_hi, p.address.lo() | host_lo);
}

uint32_t random_value(Rng& rng) {
  // The extremes now and then, since they are where a packed value would overflow.
  switch (rng() % 16) {
    case 0:
      return 0;
    case 1:
      return LpmTable::kMaxValue;
    default:
      return static_cast<uint32_t>(rng() % (uint64_t{LpmTable::kMaxValue} + 1));
  }
}

// A random table of about `count` routes of one family, rooted anywhere in `root`. Every length
// from root.length to the full width appears at least once; most routes are children of recent
// routes, so chains nest many levels deep, and some repeat an existing prefix exactly.
std::vector<LpmEntry> random_routes(const Prefix& root, size_t count, Rng& rng) {
  const int width = root.address.width();
  std::vector<LpmEntry> routes;
  for (int length = root.length; length <= width; ++length) {
    IpAddress a = with_host_bits(root, random_address(root.family(), rng));
    routes.push_back({Prefix::of(a, length), random_value(rng)});
  }
  while (routes.size() < count) {
    uint64_t kind = rng() % 100;
    if (kind < 10) {
      Prefix again = routes[rng() % routes.size()].prefix;
      routes.push_back({again, random_value(rng)});
      continue;
    }
    if (kind < 80) {
      // Half the parents come from the last few routes, which is what builds long chains.
      size_t window = std::min<size_t>(routes.size(), 8);
      size_t index = rng() % 2 == 0 ? routes.size() - 1 - rng() % window : rng() % routes.size();
      Prefix parent = routes[index].prefix;
      int room = width - parent.length;
      int length =
          parent.length + (room == 0 ? 0 : 1 + static_cast<int>(rng() % std::min(room, 8)));
      IpAddress a = with_host_bits(parent, random_address(root.family(), rng));
      routes.push_back({Prefix::of(a, length), random_value(rng)});
      continue;
    }
    int length = root.length + static_cast<int>(rng() % (width - root.length + 1));
    IpAddress a = with_host_bits(root, random_address(root.family(), rng));
    routes.push_back({Prefix::of(a, length), random_value(rng)});
  }
  return routes;
}

#ifndef EGRESS_LPM_EXHAUSTIVE

IpAddress last_address(const Prefix& p) {
  IpAddress ones = p.address.is_v4() ? IpAddress::v4(~0U) : IpAddress::v6(~0ULL, ~0ULL);
  return with_host_bits(p, ones);
}

std::optional<IpAddress> previous(const IpAddress& a) {
  if (a.is_v4()) {
    if (a.v4_bits() == 0) {
      return std::nullopt;
    }
    return IpAddress::v4(a.v4_bits() - 1);
  }
  if (a.lo() != 0) {
    return IpAddress::v6(a.hi(), a.lo() - 1);
  }
  if (a.hi() == 0) {
    return std::nullopt;
  }
  return IpAddress::v6(a.hi() - 1, ~0ULL);
}

// Where lookups go wrong: both ends of every prefix, one step outside each end, and a random
// address inside; plus uniformly random addresses of both families.
std::vector<IpAddress> probes_for(const std::vector<LpmEntry>& routes, size_t uniform, Rng& rng) {
  std::vector<IpAddress> probes;
  for (const LpmEntry& route : routes) {
    const Prefix& p = route.prefix;
    IpAddress last = last_address(p);
    probes.push_back(p.address);
    probes.push_back(last);
    if (auto before = previous(p.address)) {
      probes.push_back(*before);
    }
    if (auto after = last.offset(1)) {
      probes.push_back(*after);
    }
    probes.push_back(with_host_bits(p, random_address(p.family(), rng)));
  }
  for (size_t i = 0; i < uniform; ++i) {
    probes.push_back(random_address(i % 2 == 0 ? Family::kV4 : Family::kV6, rng));
  }
  return probes;
}

// The IPv4 probes' answers through the integer entry points, one by one and as a batch, which
// must agree with `lookup` on the same addresses.
void expect_integer_paths_agree(const LpmTable& table, const std::vector<IpAddress>& probes) {
  std::vector<uint32_t> v4;
  std::vector<uint32_t> want;
  for (const IpAddress& a : probes) {
    if (a.is_v4()) {
      v4.push_back(a.v4_bits());
      want.push_back(table.lookup(a));
    }
  }
  std::vector<uint32_t> batch(v4.size(), 12345);
  table.lookup_batch_v4(v4, batch);
  int failures = 0;
  for (size_t i = 0; i < v4.size() && failures < 10; ++i) {
    uint32_t single = table.lookup_v4(v4[i]);
    if (single != want[i] || batch[i] != want[i]) {
      ++failures;
      ADD_FAILURE() << IpAddress::v4(v4[i]).to_string() << ": lookup " << want[i] << ", lookup_v4 "
                    << single << ", lookup_batch_v4 " << batch[i];
    }
  }
}

void expect_same_as_reference(const std::vector<LpmEntry>& routes,
                              const std::vector<IpAddress>& probes) {
  auto built = LpmTable::build(routes);
  ASSERT_TRUE(built.ok()) << built.error().message;
  const LpmTable& table = *built;
  auto simple = SimpleLpm::build(routes);
  ASSERT_TRUE(simple.ok()) << simple.error().message;
  ReferenceLpm reference(routes);

  std::vector<uint32_t> batch(probes.size());
  table.lookup_batch(probes, batch);
  int failures = 0;
  for (size_t i = 0; i < probes.size() && failures < 10; ++i) {
    uint32_t want = reference.lookup(probes[i]);
    uint32_t got = table.lookup(probes[i]);
    uint32_t simple_got = simple->lookup(probes[i]);
    if (got != want || batch[i] != want || simple_got != want) {
      ++failures;
      ADD_FAILURE() << probes[i].to_string() << ": lookup " << got << ", batch " << batch[i]
                    << ", simple trie " << simple_got << ", reference " << want;
    }
  }
  expect_integer_paths_agree(table, probes);
}

// Tables of thousands of routes per family use the wide direct-pointing arrays, and a linear
// scan over them would take minutes; the simple trie, itself checked against the reference
// above, is the oracle here.
void expect_same_as_simple_trie(const std::vector<LpmEntry>& routes, Rng& rng) {
  auto table = LpmTable::build(routes);
  ASSERT_TRUE(table.ok()) << table.error().message;
  auto simple = SimpleLpm::build(routes);
  ASSERT_TRUE(simple.ok()) << simple.error().message;

  std::vector<IpAddress> probes = probes_for(routes, 100000, rng);
  std::vector<uint32_t> batch(probes.size());
  table->lookup_batch(probes, batch);
  int failures = 0;
  for (size_t i = 0; i < probes.size() && failures < 10; ++i) {
    uint32_t want = simple->lookup(probes[i]);
    uint32_t got = table->lookup(probes[i]);
    if (got != want || batch[i] != want) {
      ++failures;
      ADD_FAILURE() << probes[i].to_string() << ": lookup " << got << ", batch " << batch[i]
                    << ", simple trie " << want;
    }
  }
  expect_integer_paths_agree(*table, probes);
}

TEST(LpmDifferentialLargeTest, MatchesSimpleTrieOnLargeTables) {
  Rng rng(4096);
  std::vector<LpmEntry> routes = random_routes(Prefix{IpAddress::v4(0), 0}, 40000, rng);
  std::vector<LpmEntry> v6 = random_routes(Prefix{IpAddress::v6(0, 0), 0}, 20000, rng);
  std::vector<LpmEntry> v6_crowded =
      random_routes(Prefix::of(random_address(Family::kV6, rng), 32), 10000, rng);
  routes.insert(routes.end(), v6.begin(), v6.end());
  routes.insert(routes.end(), v6_crowded.begin(), v6_crowded.end());
  expect_same_as_simple_trie(routes, rng);
}

// The engine's values are route indices: neighbouring routes have neighbouring values, so most
// /18s become records (16-bit offsets from a base), where random values mostly spread too far
// and fall back to trie nodes. Both layouts must answer alike.
TEST(LpmDifferentialLargeTest, MatchesSimpleTrieWithRouteIndexValues) {
  Rng rng(1811);
  std::vector<LpmEntry> routes = random_routes(Prefix{IpAddress::v4(0), 0}, 60000, rng);
  std::vector<LpmEntry> v6 = random_routes(Prefix{IpAddress::v6(0, 0), 0}, 10000, rng);
  routes.insert(routes.end(), v6.begin(), v6.end());
  std::sort(routes.begin(), routes.end(), [](const LpmEntry& a, const LpmEntry& b) {
    return a.prefix.address < b.prefix.address;
  });
  for (size_t i = 0; i < routes.size(); ++i) {
    routes[i].value = static_cast<uint32_t>(i);
  }
  // The largest value too, which a direct word cannot hold inline.
  routes.push_back({Prefix::of(IpAddress::v4(0xc6336400U), 22), LpmTable::kMaxValue});
  expect_same_as_simple_trie(routes, rng);
}

struct DifferentialCase {
  uint64_t seed;
  size_t v4_routes;
  size_t v6_routes;
};

void PrintTo(const DifferentialCase& c, std::ostream* os) {
  *os << "seed " << c.seed << ", " << c.v4_routes << " v4 and " << c.v6_routes << " v6 routes";
}

class LpmDifferentialTest : public ::testing::TestWithParam<DifferentialCase> {};

TEST_P(LpmDifferentialTest, MatchesReferenceOnMixedFamilyTable) {
  const DifferentialCase& c = GetParam();
  Rng rng(c.seed);
  std::vector<LpmEntry> v4 = random_routes(Prefix{IpAddress::v4(0), 0}, c.v4_routes, rng);
  std::vector<LpmEntry> v6 = random_routes(Prefix{IpAddress::v6(0, 0), 0}, c.v6_routes, rng);
  // Interleaved, so a family mix-up in the build shows up as a wrong answer.
  std::vector<LpmEntry> routes;
  for (size_t i = 0; i < std::max(v4.size(), v6.size()); ++i) {
    if (i < v4.size()) {
      routes.push_back(v4[i]);
    }
    if (i < v6.size()) {
      routes.push_back(v6[i]);
    }
  }
  expect_same_as_reference(routes, probes_for(routes, 4000, rng));
}

TEST_P(LpmDifferentialTest, MatchesReferenceInsideOneCrowdedV6Prefix) {
  // Everything under one /48, the shape of a cluster's address plan.
  const DifferentialCase& c = GetParam();
  Rng rng(c.seed ^ 0x9e3779b97f4a7c15ULL);
  Prefix root = Prefix::of(random_address(Family::kV6, rng), 48);
  std::vector<LpmEntry> routes = random_routes(root, c.v6_routes, rng);
  routes.push_back({Prefix{IpAddress::v6(0, 0), 0}, 42});
  expect_same_as_reference(routes, probes_for(routes, 1000, rng));
}

INSTANTIATE_TEST_SUITE_P(Seeds, LpmDifferentialTest,
                         ::testing::Values(DifferentialCase{1, 1200, 800},
                                           DifferentialCase{20240601, 1500, 500},
                                           DifferentialCase{0xdeadbeefULL, 600, 1400}),
                         [](const auto& test_info) {
                           return "seed_" + std::to_string(test_info.param.seed);
                         });

// A small table's IPv4 routes take the DIR-16-8-8 layout while it needs at most 1024 chunks
// (one per value that answers whole /16s, one per other /16, one per /24 with longer routes)
// and has under 4096 routes; a Poptrie of 12 direct bits past 1024 chunks, of 18 from 4096
// routes. Each case sits on one side of one edge, and every layout must answer as the simple
// trie does.
struct LayoutCase {
  std::string name;
  std::vector<LpmEntry> (*routes)(Rng& rng);
  uint8_t layout;
};

// The case's routes (drawn from `seed`) build into its layout, as `layout_of` reads one
// family's, and answer as the simple trie does.
void expect_layout_and_answers(const LayoutCase& c, uint64_t seed,
                               uint8_t (*layout_of)(const LpmTable&) noexcept) {
  Rng rng(seed);
  const std::vector<LpmEntry> routes = c.routes(rng);
  auto table = LpmTable::build(routes);
  ASSERT_TRUE(table.ok()) << table.error().message;
  EXPECT_EQ(layout_of(*table), c.layout);
  expect_same_as_simple_trie(routes, rng);
}

void PrintTo(const LayoutCase& c, std::ostream* os) {
  *os << c.name;
}

using Layout = lpm_layout::DirectWordLayout;

// A default route (one chunk) and `hosts` /32s in /16s of their own (two chunks each), and
// `twenty_fours` /24s in further /16s (one chunk each).
std::vector<LpmEntry> chunk_edge(Rng& rng, uint32_t hosts, uint32_t twenty_fours) {
  std::vector<LpmEntry> routes{{Prefix{IpAddress::v4(0), 0}, random_value(rng)}};
  for (uint32_t i = 0; i < hosts + twenty_fours; ++i) {
    const uint32_t at = ((0x6500U + i) << 16) | 0x0101U;
    routes.push_back(
        {i < hosts ? Prefix::host(IpAddress::v4(at)) : Prefix::of(IpAddress::v4(at), 24),
         random_value(rng)});
  }
  return routes;
}

// `count` routes inside 10.0.0.0/12: /24s, then /25../32s every 40th, which need few chunks.
std::vector<LpmEntry> clustered(Rng& rng, size_t count) {
  std::vector<LpmEntry> routes;
  for (uint32_t i = 0; routes.size() < count; ++i) {
    const uint32_t at = 0x0a000000U + ((i % 4096U) << 8);
    const int length = i % 40 == 0 ? 25 + static_cast<int>(rng() % 8) : 24;
    routes.push_back(
        {Prefix::of(IpAddress::v4(at | (static_cast<uint32_t>(rng()) & 0xff)).masked(length),
                    length),
         random_value(rng)});
  }
  return routes;
}

std::vector<LayoutCase> layout_cases() {
  return {
      {"chunks_at_1024_chunks", [](Rng& rng) { return chunk_edge(rng, 511, 1); },
       Layout::kLayoutChunks},
      {"small_trie_at_1025_chunks", [](Rng& rng) { return chunk_edge(rng, 511, 2); },
       Layout::kDirectBitsSmall},
      {"chunks_at_4095_routes", [](Rng& rng) { return clustered(rng, 4095); },
       Layout::kLayoutChunks},
      {"large_trie_at_4096_routes", [](Rng& rng) { return clustered(rng, 4096); },
       Layout::kDirectBitsLarge},
      {"azure_sized_under_10_8",
       [](Rng& rng) {
         std::vector<LpmEntry> routes =
             random_routes(Prefix::of(IpAddress::v4(0x0a000000U), 8), 700, rng);
         routes.push_back({Prefix{IpAddress::v4(0), 0}, LpmTable::kMaxValue});
         return routes;
       },
       Layout::kLayoutChunks},
      {"only_a_default_route",
       [](Rng& rng) {
         return std::vector<LpmEntry>{{Prefix{IpAddress::v4(0), 0}, random_value(rng)}};
       },
       Layout::kLayoutChunks},
      {"only_host_routes_and_max_values",
       [](Rng&) {
         return std::vector<LpmEntry>{
             {Prefix::host(IpAddress::v4(0)), LpmTable::kMaxValue},
             {Prefix::host(IpAddress::v4(0xffffffffU)), 0},
             {Prefix::host(IpAddress::v4(0x0a0000ffU)), LpmTable::kMaxValue - 1}};
       },
       Layout::kLayoutChunks},
      {"no_ipv4_routes",
       [](Rng& rng) {
         return random_routes(Prefix{IpAddress::v6(0, 0), 0}, 50, rng);
       },
       Layout::kDirectBitsSmall},
  };
}

class LpmLayoutEdgeTest : public ::testing::TestWithParam<LayoutCase> {};

TEST_P(LpmLayoutEdgeTest, TakesItsLayoutAndMatchesSimpleTrie) {
  expect_layout_and_answers(GetParam(), 0x10adU, lpm_v4_layout);
}

INSTANTIATE_TEST_SUITE_P(Edges, LpmLayoutEdgeTest, ::testing::ValuesIn(layout_cases()),
                         [](const auto& test_info) { return test_info.param.name; });

// A small table's IPv6 routes take the search tree (Tree6) while none is longer than /64 and
// the answer function has at most 4096 range starts; the Poptrie of 12 direct bits otherwise,
// of 18 from 4096 routes.
std::vector<LpmEntry> spaced_slash64s(size_t count, size_t adjacent) {
  std::vector<LpmEntry> routes;
  const uint64_t base = 0xfd00000000000000ULL;
  for (size_t i = 0; i < count; ++i) {
    routes.push_back({Prefix::of(IpAddress::v6(base + 2 * i, 0), 64), static_cast<uint32_t>(i)});
  }
  // Right after the last one: one range start more each (its end), none for its start.
  for (size_t i = 0; i < adjacent; ++i) {
    routes.push_back({Prefix::of(IpAddress::v6(base + 2 * (count - 1) + 1 + i, 0), 64),
                      static_cast<uint32_t>(count + i)});
  }
  return routes;
}

// Nested routes of /1 to /64 anywhere: chains under recent routes, repeats, the extremes.
std::vector<LpmEntry> nested_up_to_64(size_t count, Rng& rng) {
  std::vector<LpmEntry> routes;
  while (routes.size() < count) {
    const int length = 1 + static_cast<int>(rng() % 64);
    if (!routes.empty() && rng() % 4 != 0) {
      const Prefix parent =
          routes[routes.size() - 1 - rng() % std::min<size_t>(routes.size(), 8)].prefix;
      if (parent.length < 64) {
        const int child = parent.length + 1 + static_cast<int>(rng() % (64 - parent.length));
        routes.push_back(
            {Prefix::of(with_host_bits(parent, random_address(Family::kV6, rng)), child),
             random_value(rng)});
        continue;
      }
      if (rng() % 2 == 0) {
        routes.push_back({parent, random_value(rng)});
        continue;
      }
    }
    routes.push_back({Prefix::of(random_address(Family::kV6, rng), length), random_value(rng)});
  }
  return routes;
}

Prefix v6_prefix(const char* text) {
  auto p = Prefix::parse(text);
  return p.ok() ? *p : Prefix{};
}

std::vector<LayoutCase> v6_layout_cases() {
  return {
      {"tree_azure_v6",
       [](Rng& rng) {
         std::vector<LpmEntry> routes{{v6_prefix("::/0"), random_value(rng)},
                                      {v6_prefix("fd00:db8:1::/48"), random_value(rng)},
                                      {v6_prefix("fd00:db8:2::/48"), random_value(rng)}};
         for (uint64_t i = 0; i < 20; ++i) {
           routes.push_back(
               {Prefix::of(IpAddress::v6(0xfd000db800030000ULL + i, 0), 64), random_value(rng)});
         }
         return routes;
       },
       kLpmLayoutTree6},
      {"tree_at_4096_range_starts", [](Rng&) { return spaced_slash64s(2048, 0); }, kLpmLayoutTree6},
      {"small_trie_at_4097_range_starts", [](Rng&) { return spaced_slash64s(2048, 1); },
       Layout::kDirectBitsSmall},
      {"large_trie_at_4096_routes", [](Rng&) { return spaced_slash64s(4096, 0); },
       Layout::kDirectBitsLarge},
      {"small_trie_with_a_slash_65",
       [](Rng& rng) {
         return std::vector<LpmEntry>{{v6_prefix("::/0"), random_value(rng)},
                                      {v6_prefix("2001:db8::8000:0:0:0/65"), random_value(rng)}};
       },
       Layout::kDirectBitsSmall},
      {"tree_nested_up_to_64", [](Rng& rng) { return nested_up_to_64(1500, rng); },
       kLpmLayoutTree6},
      {"tree_both_ends_and_max_values",
       [](Rng&) {
         return std::vector<LpmEntry>{{v6_prefix("::/64"), LpmTable::kMaxValue},
                                      {v6_prefix("ffff:ffff:ffff:ffff::/64"), 0},
                                      {v6_prefix("8000::/1"), LpmTable::kMaxValue - 1},
                                      {v6_prefix("ff00::/8"), 7},
                                      {v6_prefix("ff00::/8"), 8}};
       },
       kLpmLayoutTree6},
      {"tree_only_a_default_route",
       [](Rng& rng) {
         return std::vector<LpmEntry>{{v6_prefix("::/0"), random_value(rng)}};
       },
       kLpmLayoutTree6},
      {"no_ipv6_routes",
       [](Rng& rng) {
         return random_routes(Prefix{IpAddress::v4(0), 0}, 50, rng);
       },
       0},
  };
}

class LpmLayoutEdgeV6Test : public ::testing::TestWithParam<LayoutCase> {};

TEST_P(LpmLayoutEdgeV6Test, TakesItsLayoutAndMatchesSimpleTrie) {
  expect_layout_and_answers(GetParam(), 0x10a6U, lpm_v6_layout);
}

// Built for memory, a small table's IPv4 part is the 12-bit Poptrie instead of DIR-16-8-8,
// and answers the same.
TEST(LpmPriorityTest, MemoryTakesTheSmallTrieAndAnswersTheSame) {
  Rng rng(0x3e3U);
  std::vector<LpmEntry> routes = random_routes(Prefix::of(IpAddress::v4(0x0a000000U), 8), 700, rng);
  routes.push_back({Prefix{IpAddress::v4(0), 0}, LpmTable::kMaxValue});
  auto fast = LpmTable::build(routes);
  auto small = LpmTable::build(routes, LpmPriority::kMemory);
  ASSERT_TRUE(fast.ok() && small.ok());
  EXPECT_EQ(lpm_v4_layout(*fast), Layout::kLayoutChunks);
  EXPECT_EQ(lpm_v4_layout(*small), Layout::kDirectBitsSmall);
  EXPECT_LT(small->memory_bytes() * 4, fast->memory_bytes());
  for (const IpAddress& a : probes_for(routes, 20000, rng)) {
    ASSERT_EQ(small->lookup(a), fast->lookup(a)) << a.to_string();
  }
}

INSTANTIATE_TEST_SUITE_P(Edges, LpmLayoutEdgeV6Test, ::testing::ValuesIn(v6_layout_cases()),
                         [](const auto& test_info) { return test_info.param.name; });

#else  // EGRESS_LPM_EXHAUSTIVE

// Every address of 10.0.0.0/8 against answers painted per /24 block, with /25../32 routes
// painted into the few blocks that hold them. Run with and without 6000 routes in 11.0.0.0/8
// that push the table into the layout for large tables.
class LpmExhaustiveTest : public ::testing::TestWithParam<size_t> {};

TEST_P(LpmExhaustiveTest, EveryAddressOfOneSlash8) {
  constexpr uint32_t kBase = 0x0a000000U;
  constexpr uint32_t kSize = 1U << 24;
  Rng rng(8);
  const Prefix slash8{IpAddress::v4(kBase), 8};

  std::vector<LpmEntry> routes = random_routes(slash8, 3000, rng);
  if (GetParam() > 0) {
    std::vector<LpmEntry> padding =
        random_routes(Prefix{IpAddress::v4(kBase + kSize), 8}, GetParam(), rng);
    routes.insert(routes.end(), padding.begin(), padding.end());
  }
  for (int length = 0; length <= 8; ++length) {
    routes.push_back({Prefix::of(IpAddress::v4(kBase), length), random_value(rng)});
  }
  // Neighbours that must not leak in.
  for (uint32_t outside : {kBase - 1, kBase + kSize}) {
    for (int length : {8, 16, 24, 31, 32}) {
      routes.push_back({Prefix::of(IpAddress::v4(outside), length), random_value(rng)});
    }
  }
  routes.push_back({Prefix{IpAddress::v6(0, 0), 0}, 1});
  routes.push_back({Prefix::host(IpAddress::v6(0, kBase)), 2});
  std::shuffle(routes.begin(), routes.end(), rng);

  // Later duplicates win, then shorter prefixes paint first so longer ones overwrite them.
  std::map<Prefix, uint32_t> unique;
  for (const LpmEntry& route : routes) {
    if (route.prefix.overlaps(slash8)) {
      unique[route.prefix] = route.value;
    }
  }
  std::vector<std::pair<Prefix, uint32_t> > by_length(unique.begin(), unique.end());
  std::stable_sort(by_length.begin(), by_length.end(),
                   [](const auto& a, const auto& b) { return a.first.length < b.first.length; });

  std::vector<uint32_t> per_block(kSize >> 8, LpmTable::kNoMatch);
  std::unordered_map<uint32_t, std::array<uint32_t, 256> > per_address;
  for (const auto& [prefix, value] : by_length) {
    uint32_t first = prefix.length <= 8 ? 0 : prefix.address.v4_bits() - kBase;
    uint64_t size = prefix.length <= 8 ? kSize : prefix.size();
    if (prefix.length <= 24) {
      std::fill_n(per_block.begin() + (first >> 8), size >> 8, value);
      continue;
    }
    auto [it, fresh] = per_address.try_emplace(first >> 8);
    if (fresh) {
      it->second.fill(per_block[first >> 8]);
    }
    std::fill_n(it->second.begin() + (first & 255), size, value);
  }

  auto built = LpmTable::build(routes);
  ASSERT_TRUE(built.ok()) << built.error().message;
  const LpmTable& table = *built;

  std::vector<IpAddress> block(256);
  std::vector<uint32_t> block_v4(256);
  std::vector<uint32_t> got(256);
  std::vector<uint32_t> got_v4(256);
  int failures = 0;
  for (uint32_t b = 0; b < (kSize >> 8) && failures < 10; ++b) {
    for (uint32_t i = 0; i < 256; ++i) {
      block_v4[i] = kBase + (b << 8) + i;
      block[i] = IpAddress::v4(block_v4[i]);
    }
    table.lookup_batch(block, got);
    table.lookup_batch_v4(block_v4, got_v4);
    auto detail = per_address.find(b);
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t want = detail == per_address.end() ? per_block[b] : detail->second[i];
      uint32_t single = table.lookup_v4(block_v4[i]);
      if (got[i] != want || got_v4[i] != want || single != want) {
        ++failures;
        ADD_FAILURE() << block[i].to_string() << ": batch " << got[i] << ", batch_v4 " << got_v4[i]
                      << ", lookup_v4 " << single << ", want " << want;
      }
    }
  }
  // The painted answers are only as good as the painting; spot-check them by linear scan.
  ReferenceLpm reference(routes);
  for (int k = 0; k < 500; ++k) {
    uint32_t offset = static_cast<uint32_t>(rng() % kSize);
    auto detail = per_address.find(offset >> 8);
    uint32_t painted =
        detail == per_address.end() ? per_block[offset >> 8] : detail->second[offset & 255];
    ASSERT_EQ(painted, reference.lookup(IpAddress::v4(kBase + offset)));
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, LpmExhaustiveTest, ::testing::Values(0, 6000),
                         [](const auto& test_info) {
                           return test_info.param == 0 ? std::string("small")
                                                       : std::string("large");
                         });

#endif  // EGRESS_LPM_EXHAUSTIVE

}  // namespace
}  // namespace egress
