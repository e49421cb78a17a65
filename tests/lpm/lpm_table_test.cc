#include "egress/lpm/lpm_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lpm/lpm_table_internal.h"
#include "lpm/reference_lpm.h"

namespace egress {

// gtest would print the raw bytes otherwise. Outside the anonymous namespace so ADL finds it.
void PrintTo(const IpAddress& a, std::ostream* os) {
  *os << a.to_string();
}

namespace {

constexpr uint32_t kNone = LpmTable::kNoMatch;

IpAddress addr(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << "test setup: cannot parse '" << text << "'";
  return a.value_or(IpAddress{});
}

struct Route {
  std::string_view prefix;
  uint32_t value;
};

struct Probe {
  std::string_view address;
  uint32_t expected;
};

struct LookupCase {
  std::string name;
  std::vector<Route> routes;
  std::vector<Probe> probes;
};

std::vector<LpmEntry> entries_of(const std::vector<Route>& routes) {
  std::vector<LpmEntry> entries;
  for (const Route& r : routes) {
    auto p = Prefix::parse(r.prefix);
    EXPECT_TRUE(p.ok()) << "test setup: " << (p.ok() ? "" : p.error().message);
    if (p.ok()) {
      entries.push_back(LpmEntry{*p, r.value});
    }
  }
  return entries;
}

LpmTable build_or_die(const std::vector<LpmEntry>& entries) {
  auto table = LpmTable::build(entries);
  EXPECT_TRUE(table.ok()) << (table.ok() ? "" : table.error().message);
  return table.ok() ? std::move(table).value() : LpmTable();
}

// The IPv4 probes through lookup_v4 and lookup_batch_v4, which must give the expected answers
// as `lookup` does.
void expect_integer_paths(const LpmTable& table, const std::vector<Probe>& probes) {
  std::vector<uint32_t> v4;
  std::vector<uint32_t> expected;
  for (const Probe& probe : probes) {
    IpAddress a = addr(probe.address);
    if (a.is_v4()) {
      v4.push_back(a.v4_bits());
      expected.push_back(probe.expected);
      EXPECT_EQ(table.lookup_v4(a.v4_bits()), probe.expected) << probe.address;
    }
  }
  std::vector<uint32_t> out(v4.size(), 12345);
  table.lookup_batch_v4(v4, out);
  EXPECT_EQ(out, expected);
}

// The probes through lookup and lookup_batch, then the integer paths.
void expect_every_path(const LpmTable& table, const std::vector<Probe>& probes) {
  std::vector<IpAddress> addresses;
  for (const Probe& probe : probes) {
    addresses.push_back(addr(probe.address));
    EXPECT_EQ(table.lookup(addresses.back()), probe.expected) << probe.address;
  }
  std::vector<uint32_t> out(addresses.size(), 12345);
  table.lookup_batch(addresses, out);
  for (size_t i = 0; i < probes.size(); ++i) {
    EXPECT_EQ(out[i], probes[i].expected) << probes[i].address;
  }
  expect_integer_paths(table, probes);
}

const std::vector<LookupCase>& lookup_cases() {
  static const std::vector<LookupCase> cases = {
      {"empty_table",
       {},
       {{"0.0.0.0", kNone}, {"255.255.255.255", kNone}, {"::", kNone}, {"::1", kNone}}},
      {"v4_default_only",
       {{"0.0.0.0/0", 7}},
       {{"0.0.0.0", 7},
        {"10.1.2.3", 7},
        {"255.255.255.255", 7},
        {"::", kNone},
        {"::ffff:10.1.2.3", kNone},
        {"ffff::", kNone}}},
      {"v6_default_only",
       {{"::/0", 9}},
       {{"::", 9},
        {"2001:db8::1", 9},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 9},
        {"0.0.0.0", kNone},
        {"255.255.255.255", kNone}}},
      {"both_defaults",
       {{"0.0.0.0/0", 1}, {"::/0", 2}},
       {{"0.0.0.0", 1}, {"10.1.2.3", 1}, {"::", 2}, {"::ffff:10.1.2.3", 2}, {"::10.1.2.3", 2}}},
      {"v4_halves_at_slash_1",
       {{"0.0.0.0/1", 1}, {"128.0.0.0/1", 2}},
       {{"0.0.0.0", 1}, {"127.255.255.255", 1}, {"128.0.0.0", 2}, {"255.255.255.255", 2}}},
      {"v4_slash_7_and_8",
       {{"10.0.0.0/7", 1}, {"11.0.0.0/8", 2}},
       {{"9.255.255.255", kNone},
        {"10.0.0.0", 1},
        {"10.255.255.255", 1},
        {"11.0.0.0", 2},
        {"11.255.255.255", 2},
        {"12.0.0.0", kNone}}},
      {"v4_slash_24_and_25",
       {{"10.0.0.0/24", 1}, {"10.0.0.128/25", 2}},
       {{"9.255.255.255", kNone},
        {"10.0.0.0", 1},
        {"10.0.0.127", 1},
        {"10.0.0.128", 2},
        {"10.0.0.255", 2},
        {"10.0.1.0", kNone}}},
      {"v4_slash_31_and_32",
       {{"10.0.0.0/31", 1},
        {"10.0.0.1/32", 2},
        {"10.0.0.2/31", 3},
        {"255.255.255.255/32", 4},
        {"0.0.0.0/32", 5}},
       {{"10.0.0.0", 1},
        {"10.0.0.1", 2},
        {"10.0.0.2", 3},
        {"10.0.0.3", 3},
        {"10.0.0.4", kNone},
        {"9.255.255.255", kNone},
        {"255.255.255.255", 4},
        {"255.255.255.254", kNone},
        {"0.0.0.0", 5},
        {"0.0.0.1", kNone}}},
      {"v4_nested_chain",
       {{"0.0.0.0/0", 0},
        {"10.0.0.0/8", 1},
        {"10.1.0.0/16", 2},
        {"10.1.2.0/24", 3},
        {"10.1.2.0/25", 4},
        {"10.1.2.2/31", 5},
        {"10.1.2.3/32", 6}},
       {{"11.0.0.0", 0},
        {"10.0.0.0", 1},
        {"10.2.0.0", 1},
        {"10.1.255.255", 2},
        {"10.1.3.0", 2},
        {"10.1.2.255", 3},
        {"10.1.2.128", 3},
        {"10.1.2.127", 4},
        {"10.1.2.1", 4},
        {"10.1.2.2", 5},
        {"10.1.2.3", 6},
        {"10.1.2.4", 4}}},
      {"v4_nested_with_gaps",
       {{"10.0.0.0/8", 1}, {"10.1.2.0/24", 3}, {"10.1.2.3/32", 6}},
       {{"10.1.3.0", 1}, {"10.1.2.5", 3}, {"10.1.2.3", 6}, {"10.1.0.0", 1}, {"11.1.2.3", kNone}}},
      {"v4_nested_shortest_last",
       {{"10.1.2.3/32", 6}, {"10.1.2.0/24", 3}, {"10.1.0.0/16", 2}, {"10.0.0.0/8", 1}},
       {{"10.1.2.3", 6}, {"10.1.2.4", 3}, {"10.1.3.0", 2}, {"10.2.0.0", 1}, {"0.0.0.0", kNone}}},
      {"v6_slash_64_127_128",
       {{"fd00::/64", 1}, {"fd00::/127", 2}, {"fd00::1/128", 3}, {"fd00::2/127", 4}},
       {{"fd00::", 2},
        {"fd00::1", 3},
        {"fd00::2", 4},
        {"fd00::3", 4},
        {"fd00::4", 1},
        {"fd00::ffff:ffff:ffff:ffff", 1},
        {"fd00:0:0:1::", kNone},
        {"fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", kNone}}},
      {"v6_across_the_64_bit_boundary",
       {{"2001:db8::/32", 1},
        {"2001:db8::/63", 2},
        {"2001:db8::/65", 3},
        {"2001:db8:0:0:8000::/65", 4},
        {"2001:db8::ffff:ffff:ffff:ffff/128", 5}},
       {{"2001:db8::", 3},
        {"2001:db8::7fff:ffff:ffff:ffff", 3},
        {"2001:db8::8000:0:0:0", 4},
        {"2001:db8::ffff:ffff:ffff:fffe", 4},
        {"2001:db8::ffff:ffff:ffff:ffff", 5},
        {"2001:db8:0:1::", 2},
        {"2001:db8:0:2::", 1},
        {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1},
        {"2001:db9::", kNone}}},
      {"v6_extreme_hosts",
       {{"::/128", 1}, {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 2}, {"8000::/1", 3}},
       {{"::", 1},
        {"::1", kNone},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 2},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 3},
        {"8000::", 3},
        {"7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", kNone}}},
      {"duplicates_later_wins",
       {{"10.0.0.0/8", 1},
        {"0.0.0.0/0", 7},
        {"::/0", 3},
        {"10.0.0.0/8", 2},
        {"0.0.0.0/0", 8},
        {"::/0", 4},
        {"fd00::1/128", 5},
        {"fd00::1/128", 6}},
       {{"10.0.0.0", 2}, {"11.0.0.0", 8}, {"::", 4}, {"fd00::1", 6}, {"fd00::2", 4}}},
      {"duplicate_can_set_value_zero",
       {{"10.0.0.0/8", 5}, {"10.0.0.0/8", 0}},
       {{"10.0.0.1", 0}, {"11.0.0.1", kNone}}},
      {"v6_prefixes_never_match_v4",
       {{"::/96", 1}, {"::1.2.3.4/128", 2}, {"::ffff:0.0.0.0/96", 3}, {"::/0", 4}},
       {{"1.2.3.4", kNone},
        {"0.0.0.0", kNone},
        {"::1.2.3.4", 2},
        {"::ffff:1.2.3.4", 3},
        {"::5", 1},
        {"1::", 4}}},
      {"v4_prefixes_never_match_v6",
       {{"0.0.0.0/0", 1}, {"0.0.0.0/32", 2}, {"1.2.3.4/32", 3}},
       {{"::", kNone}, {"::1.2.3.4", kNone}, {"::ffff:1.2.3.4", kNone}, {"1.2.3.4", 3}}},
      {"extreme_values",
       {{"10.0.0.0/8", LpmTable::kMaxValue}, {"11.0.0.0/8", 0}, {"::/0", LpmTable::kMaxValue}},
       {{"10.0.0.0", LpmTable::kMaxValue}, {"11.0.0.0", 0}, {"::", LpmTable::kMaxValue}}},
      // A node's leaves are stored once per run of equal values; a child slot in the middle of a
      // run must not shift the leaves after it.
      {"leaf_run_interrupted_by_child",
       {{"10.0.0.0/16", 1}, {"10.0.64.0/24", 2}, {"10.0.64.7/32", 3}},
       {{"10.0.0.0", 1},
        {"10.0.63.255", 1},
        {"10.0.64.0", 2},
        {"10.0.64.7", 3},
        {"10.0.64.8", 2},
        {"10.0.65.0", 1},
        {"10.0.255.255", 1},
        {"10.1.0.0", kNone}}},
      // Equal values on neighbouring prefixes merge into one range; the kNoMatch gap after them
      // and the different value after that must not.
      {"adjacent_equal_values",
       {{"10.0.0.0/25", 5}, {"10.0.0.128/25", 5}, {"10.0.2.0/24", 5}, {"10.0.3.0/24", 0}},
       {{"10.0.0.0", 5},
        {"10.0.0.255", 5},
        {"10.0.1.0", kNone},
        {"10.0.2.255", 5},
        {"10.0.3.0", 0},
        {"10.0.4.0", kNone}}},
      // IPv4's last trie level has fewer than 6 bits left; every length down to /32 there.
      {"v4_short_last_stride",
       {{"192.0.2.0/26", 1},
        {"192.0.2.32/27", 2},
        {"192.0.2.48/28", 3},
        {"192.0.2.56/29", 4},
        {"192.0.2.60/30", 5},
        {"192.0.2.62/31", 6},
        {"192.0.2.63/32", 7}},
       {{"192.0.2.0", 1},
        {"192.0.2.31", 1},
        {"192.0.2.32", 2},
        {"192.0.2.47", 2},
        {"192.0.2.48", 3},
        {"192.0.2.55", 3},
        {"192.0.2.56", 4},
        {"192.0.2.59", 4},
        {"192.0.2.60", 5},
        {"192.0.2.61", 5},
        {"192.0.2.62", 6},
        {"192.0.2.63", 7},
        {"192.0.2.64", kNone},
        {"192.0.1.255", kNone}}},
      {"v6_last_bits",
       {{"2001:db8::/124", 1},
        {"2001:db8::8/125", 2},
        {"2001:db8::c/126", 3},
        {"2001:db8::e/127", 4},
        {"2001:db8::f/128", 5}},
       {{"2001:db8::", 1},
        {"2001:db8::7", 1},
        {"2001:db8::8", 2},
        {"2001:db8::b", 2},
        {"2001:db8::c", 3},
        {"2001:db8::d", 3},
        {"2001:db8::e", 4},
        {"2001:db8::f", 5},
        {"2001:db8::10", kNone}}},
      // Lengths either side of every stride boundary of both layouts: direct arrays of 12 and
      // 18 bits, then 6 bits a node.
      {"v4_stride_boundaries",
       {{"10.0.0.0/11", 11},
        {"10.0.0.0/12", 12},
        {"10.0.0.0/13", 13},
        {"10.0.0.0/17", 17},
        {"10.0.0.0/18", 18},
        {"10.0.0.0/19", 19},
        {"10.0.0.0/23", 23},
        {"10.0.0.0/24", 24},
        {"10.0.0.0/25", 25},
        {"10.0.0.0/29", 29},
        {"10.0.0.0/30", 30},
        {"10.0.0.0/31", 31}},
       {{"10.0.0.0", 31},
        {"10.0.0.2", 30},
        {"10.0.0.4", 29},
        {"10.0.0.8", 25},
        {"10.0.0.128", 24},
        {"10.0.1.0", 23},
        {"10.0.2.0", 19},
        {"10.0.32.0", 18},
        {"10.0.64.0", 17},
        {"10.0.128.0", 13},
        {"10.8.0.0", 12},
        {"10.16.0.0", 11},
        {"10.32.0.0", kNone}}},
      {"v6_stride_boundaries",
       {{"2000::/17", 17},
        {"2000::/18", 18},
        {"2000::/19", 19},
        {"2000::/23", 23},
        {"2000::/24", 24},
        {"2000::/25", 25},
        {"2000::/29", 29},
        {"2000::/30", 30},
        {"2000::/31", 31},
        {"2000::/47", 47},
        {"2000::/48", 48},
        {"2000::/49", 49},
        {"2000::/125", 125},
        {"2000::/126", 126},
        {"2000::/127", 127},
        {"2000::/128", 128}},
       {{"2000::", 128},         {"2000::1", 127},        {"2000::2", 126},
        {"2000::4", 125},        {"2000::8", 49},         {"2000:0:0:2000::", 49},
        {"2000:0:0:4000::", 49}, {"2000:0:0:8000::", 48}, {"2000:0:1::", 47},
        {"2000:0:2::", 31},      {"2000:0:8000::", 31},   {"2000:1::", 31},
        {"2000:2::", 30},        {"2000:4::", 29},        {"2000:8::", 25},
        {"2000:40::", 25},       {"2000:80::", 24},       {"2000:100::", 23},
        {"2000:200::", 19},      {"2000:1000::", 19},     {"2000:2000::", 18},
        {"2000:4000::", 17},     {"2000:8000::", kNone}}},
  };
  return cases;
}

void PrintTo(const LookupCase& c, std::ostream* os) {
  *os << c.name;
}

class LpmLookupTest : public ::testing::TestWithParam<LookupCase> {};

TEST_P(LpmLookupTest, FindsTheLongestMatchingPrefix) {
  const LookupCase& c = GetParam();
  std::vector<LpmEntry> entries = entries_of(c.routes);
  LpmTable table = build_or_die(entries);
  ReferenceLpm reference(entries);

  std::vector<IpAddress> addresses;
  for (const Probe& probe : c.probes) {
    SCOPED_TRACE(probe.address);
    IpAddress a = addr(probe.address);
    addresses.push_back(a);
    EXPECT_EQ(table.lookup(a), probe.expected);
    // The reference is only worth trusting elsewhere if it agrees with hand-written answers.
    EXPECT_EQ(reference.lookup(a), probe.expected);
  }
  std::vector<uint32_t> out(addresses.size(), 12345);
  table.lookup_batch(addresses, out);
  for (size_t i = 0; i < c.probes.size(); ++i) {
    EXPECT_EQ(out[i], c.probes[i].expected) << c.probes[i].address;
  }
  expect_integer_paths(table, c.probes);
}

INSTANTIATE_TEST_SUITE_P(Cases, LpmLookupTest, ::testing::ValuesIn(lookup_cases()),
                         [](const auto& test_info) { return test_info.param.name; });

// Tables of a family with thousands of routes switch to a wider direct-pointing array (see
// sim/lpm/README.md). The same cases again, padded with host routes no probe comes near, so
// both layouts answer every case.
std::vector<LpmEntry> with_padding(std::vector<LpmEntry> entries) {
  std::vector<LpmEntry> padded;
  for (uint32_t i = 0; i < 5000; ++i) {
    padded.push_back({Prefix::host(IpAddress::v4(0x64400000U + i * 7)), i});
    padded.push_back({Prefix::host(IpAddress::v6(0x3fffffff00000000ULL, i * 7)), i});
  }
  padded.insert(padded.end(), entries.begin(), entries.end());
  return padded;
}

// The same cases again, padded with host routes in /16s of their own, two 1 KiB chunks each:
// more than a small table's DIR-16-8-8 layout takes, so its IPv4 part is a Poptrie of 12
// direct bits.
std::vector<LpmEntry> with_chunk_overflow(std::vector<LpmEntry> entries) {
  std::vector<LpmEntry> padded;
  for (uint32_t i = 0; i < 600; ++i) {
    padded.push_back({Prefix::host(IpAddress::v4(((0x6500U + i) << 16) | 0x0101U)), i});
  }
  padded.insert(padded.end(), entries.begin(), entries.end());
  return padded;
}

TEST_P(LpmLookupTest, SameAnswersWithTheSmallTrieLayout) {
  const LookupCase& c = GetParam();
  LpmTable table = build_or_die(with_chunk_overflow(entries_of(c.routes)));
  ASSERT_EQ(lpm_v4_layout(table), lpm_layout::DirectWordLayout::kDirectBitsSmall);
  expect_every_path(table, c.probes);
}

TEST_P(LpmLookupTest, SameAnswersWithTheLargeTableLayout) {
  const LookupCase& c = GetParam();
  LpmTable table = build_or_die(with_padding(entries_of(c.routes)));
  expect_every_path(table, c.probes);
}

// A /18 whose routes all end by /24 is stored as a record: its leaves as 16-bit offsets from
// the smallest code, with one escape for the one code that is too far, which can only be the
// smallest or the largest; when the rest still spreads over more than 0xfffe, the trie node
// stays. Each row puts three values into one /18 (10.0.0.0/18 and fd00::/18, expect_spread) and
// the largest again into the next /18 beside "no match", so both sides of every limit are read
// back.
struct SpreadCase {
  std::string name;
  uint32_t low;
  uint32_t mid;
  uint32_t high;
};

void PrintTo(const SpreadCase& c, std::ostream* os) {
  *os << c.name;
}

class LpmRecordSpreadTest : public ::testing::TestWithParam<SpreadCase> {};

// Builds `routes` in all three IPv4 layouts (the small tables' chunks as they are, the small
// Poptrie with chunk_overflow's padding, the large one with with_padding's) and reads every
// probe back through every entry point.
void expect_probes_in_both_layouts(const std::vector<Route>& routes,
                                   const std::vector<Probe>& probes) {
  for (int layout : {0, 1, 2}) {
    SCOPED_TRACE(layout == 0 ? "chunks layout" : layout == 1 ? "small layout" : "large layout");
    std::vector<LpmEntry> entries = entries_of(routes);
    LpmTable table = build_or_die(layout == 0   ? entries
                                  : layout == 1 ? with_chunk_overflow(entries)
                                                : with_padding(entries));
    expect_every_path(table, probes);
  }
}

// The first or the last address of /24 number `unit` counted from the family's /18 under test
// (10.0.0.0/18, fd00::/18); unit 64 starts the next /18.
using UnitAddress = IpAddress (*)(uint32_t unit, bool last);

IpAddress v4_unit(uint32_t unit, bool last) {
  return IpAddress::v4(0x0a000000U + (unit << 8) + (last ? 0xffU : 0U));
}

IpAddress v6_unit(uint32_t unit, bool last) {
  const uint64_t hi = 0xfd00000000000000ULL + (uint64_t{unit} << 40);
  return last ? IpAddress::v6(hi + (uint64_t{1} << 40) - 1, ~uint64_t{0}) : IpAddress::v6(hi, 0);
}

// The /18 holds low, with mid in its /24 number 1 and high in number 2; the next /18 starts
// with high's /19. Probes read both ends of every piece and the first unrouted address.
void expect_spread(const SpreadCase& c, UnitAddress unit) {
  auto prefix = [&](uint32_t u, int length) {
    return unit(u, false).to_string() + "/" + std::to_string(length);
  };
  const std::string prefixes[] = {prefix(0, 18), prefix(1, 24), prefix(2, 24), prefix(64, 19)};
  const std::vector<Route> routes = {
      {prefixes[0], c.low}, {prefixes[1], c.mid}, {prefixes[2], c.high}, {prefixes[3], c.high}};
  struct At {
    uint32_t unit;
    bool last;
    uint32_t expected;
  };
  const At at[] = {{0, false, c.low},   {0, true, c.low},   {1, false, c.mid}, {1, true, c.mid},
                   {2, false, c.high},  {2, true, c.high},  {3, false, c.low}, {63, true, c.low},
                   {64, false, c.high}, {95, true, c.high}, {96, false, kNone}};
  std::vector<std::string> addresses;
  for (const At& a : at) {
    addresses.push_back(unit(a.unit, a.last).to_string());
  }
  std::vector<Probe> probes;
  for (size_t i = 0; i < addresses.size(); ++i) {
    probes.push_back({addresses[i], at[i].expected});
  }
  expect_probes_in_both_layouts(routes, probes);
}

TEST_P(LpmRecordSpreadTest, AnswersAtEverySpread) {
  expect_spread(GetParam(), v4_unit);
}

// The same in the IPv6 trie, whose /18 records are rarer (a /18 whose routes end by /24).
TEST_P(LpmRecordSpreadTest, AnswersAtEverySpreadInIpv6) {
  expect_spread(GetParam(), v6_unit);
}

constexpr uint32_t kMax = LpmTable::kMaxValue;

INSTANTIATE_TEST_SUITE_P(
    Spreads, LpmRecordSpreadTest,
    ::testing::Values(SpreadCase{"close", 5, 6, 7}, SpreadCase{"zero", 0, 1, 2},
                      SpreadCase{"spread_fffe", 100, 100 + 0x7fff, 100 + 0xfffe},
                      SpreadCase{"spread_ffff_escapes_high", 100, 101, 100 + 0xffff},
                      SpreadCase{"spread_ffff_escapes_low", 100, 100 + 0xfffe, 100 + 0xffff},
                      SpreadCase{"both_sides_too_wide_keep_node", 100, 100 + 0xffff, 100 + 0x1fffe},
                      SpreadCase{"max_escaped", 0, 1, kMax},
                      SpreadCase{"zero_escaped", 0, kMax - 1, kMax},
                      SpreadCase{"zero_mid_max_keep_node", 0, 1U << 30, kMax}),
    [](const auto& test_info) { return test_info.param.name; });

TEST(LpmTable, EscapedRecordsTakeNoMoreBytesThanCloseOnes) {
  // Answers cannot tell a record from the node it falls back to, but bytes can: a record whose
  // one far code is escaped costs what a record of close codes costs, and only a spread that no
  // escape fixes keeps the larger node.
  auto bytes_for = [](uint32_t low, uint32_t mid, uint32_t high) {
    LpmTable table = build_or_die(with_padding(
        entries_of({{"10.0.0.0/18", low}, {"10.0.16.0/24", mid}, {"10.0.32.0/24", high}})));
    EXPECT_EQ(table.lookup_v4(0x0a001001U), mid);
    return table.memory_bytes();
  };
  const size_t close = bytes_for(5, 6, 7);
  EXPECT_EQ(bytes_for(100, 100 + 0xffff, 100 + 0x10000), close) << "only the low code escapes";
  EXPECT_EQ(bytes_for(100, 101, 100 + 0x10000), close) << "only the high code escapes";
  EXPECT_GT(bytes_for(100, 100 + 0xffff, 100 + 0x1fffe), close) << "no escape helps";
}

TEST(LpmTable, MovedFromTableMatchesNothingAndMovedToTableAnswers) {
  LpmTable table = build_or_die(
      with_padding(entries_of({{"10.0.0.0/8", 1}, {"10.1.2.0/24", 2}, {"fd00::/8", 3}})));
  LpmTable moved(std::move(table));
  EXPECT_EQ(moved.lookup_v4(0x0a010203U), 2U);
  EXPECT_EQ(moved.lookup(addr("fd00::1")), 3U);
  // A moved-from object is only to be destroyed or assigned, but lookups on it stay safe.
  EXPECT_EQ(table.lookup_v4(0x0a010203U), kNone);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(table.lookup(addr("10.1.2.3")), kNone);
  LpmTable assigned;
  assigned = std::move(moved);
  EXPECT_EQ(assigned.lookup_v4(0x0a000001U), 1U);
  EXPECT_EQ(moved.lookup_v4(0x0a000001U), kNone);  // NOLINT(bugprone-use-after-move)
  std::vector<uint32_t> addresses = {0x0a000001U, 0x0a010203U};
  std::vector<uint32_t> out(2, 999);
  moved.lookup_batch_v4(addresses, out);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(out, (std::vector<uint32_t>{kNone, kNone}));
  EXPECT_EQ(moved.memory_bytes(), 0U);  // NOLINT(bugprone-use-after-move)
  EXPECT_GT(assigned.memory_bytes(), 0U);
}

TEST(LpmTable, MaxValueOverManySlotsSharesOneRecord) {
  // A default route covers all 2^18 direct slots of the large layout; they all name one answer
  // record rather than 2^18 copies, and kMaxValue costs what any other value costs.
  auto size_with = [](uint32_t value) {
    LpmTable table = build_or_die(with_padding(entries_of({{"0.0.0.0/0", value}})));
    EXPECT_EQ(table.lookup_v4(0x01020304U), value);
    return table.memory_bytes();
  };
  EXPECT_LE(size_with(LpmTable::kMaxValue), size_with(LpmTable::kMaxValue - 1) + 64);
}

// In the small tables' layout (DIR-16-8-8), /16s that one route answers whole share that
// value's chunk, one 1 KiB chunk per value, not one per /16, beside the 2^16 top words.
TEST(LpmTable, WholeSlash16sShareOneChunkPerValue) {
  LpmTable one_value = build_or_die(entries_of({{"0.0.0.0/0", 7}}));
  std::vector<LpmEntry> per_eight;
  for (uint32_t i = 0; i < 256; ++i) {
    per_eight.push_back({Prefix::of(IpAddress::v4(i << 24), 8), 1000 + i});
  }
  LpmTable many_values = build_or_die(per_eight);
  ASSERT_EQ(lpm_v4_layout(one_value), lpm_layout::DirectWordLayout::kLayoutChunks);
  ASSERT_EQ(lpm_v4_layout(many_values), lpm_layout::DirectWordLayout::kLayoutChunks);
  constexpr size_t kTopBytes = (size_t{1} << 16) * sizeof(int32_t);
  constexpr size_t kChunkBytes = 256 * sizeof(uint32_t);
  EXPECT_EQ(one_value.memory_bytes(), kTopBytes + kChunkBytes);
  EXPECT_EQ(many_values.memory_bytes(), kTopBytes + 256 * kChunkBytes);
  EXPECT_EQ(one_value.lookup_v4(0xfedcba98U), 7U);
  for (uint32_t i = 0; i < 256; ++i) {
    EXPECT_EQ(many_values.lookup_v4((i << 24) | 0x00abcdefU), 1000 + i) << i;
  }
}

// lookup_batch_v4 goes in blocks of 8 once it has two, and one by one for the rest.
TEST(LpmTable, IntegerBatchOfEveryLengthAroundItsBlocks) {
  LpmTable table = build_or_die(with_padding(
      entries_of({{"10.0.0.0/8", 1}, {"10.1.0.0/16", 2}, {"10.1.1.128/25", 3}, {"0.0.0.0/0", 4}})));
  for (size_t n : {0U, 1U, 7U, 8U, 9U, 15U, 16U, 17U, 23U, 24U, 25U, 31U, 32U, 33U, 100U}) {
    std::vector<uint32_t> addresses;
    for (size_t i = 0; i < n; ++i) {
      addresses.push_back(0x0a000000U + static_cast<uint32_t>(i) * 0x00010081U);
    }
    std::vector<uint32_t> out(n + 1, 999);
    table.lookup_batch_v4(addresses, {out.data(), n});
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(out[i], table.lookup(IpAddress::v4(addresses[i]))) << n << " " << i;
    }
    EXPECT_EQ(out[n], 999U) << "wrote past the batch of " << n;
  }
}

// lookup_batch takes IPv6 addresses 64 at a time, all into the lanes while many direct words
// name nodes and on the spot while few do, and switches between the two at block boundaries;
// IPv4 addresses on the way are looked up where they stand. Every phase, and every switch, must
// give lookup's answers.
TEST(LpmTable, BatchSwitchesBetweenGatheringAllAndOnTheSpot) {
  LpmTable table = build_or_die(entries_of(
      {{"::/0", 1}, {"2001:db8::/32", 2}, {"2001:db8:0:100::/56", 3}, {"10.0.0.0/8", 4}}));
  // 2001:db8::/32 shares its direct slot with a longer route, so it is a node; 3000::/12 is
  // answered by ::/0 alone, so its direct word names a record.
  auto node_word = [](uint64_t i) { return IpAddress::v6(0x20010db800000000ULL | (i << 8), i); };
  auto record_word = [](uint64_t i) { return IpAddress::v6(0x3000000000000000ULL | i, i); };
  std::vector<IpAddress> addresses;
  uint64_t i = 0;
  for (bool nodes : {true, false, false, true, false, true}) {
    for (int k = 0; k < 64; ++k, ++i) {
      addresses.push_back(nodes ? node_word(i) : record_word(i));
      if (k % 5 == 0) {
        addresses.push_back(IpAddress::v4(0x0a000000U + static_cast<uint32_t>(i)));
      }
    }
  }
  for (int k = 0; k < 40; ++k, ++i) {
    addresses.push_back(k % 2 == 0 ? node_word(i) : record_word(i));
  }
  std::vector<uint32_t> out(addresses.size() + 1, 999);
  table.lookup_batch(addresses, {out.data(), addresses.size()});
  for (size_t k = 0; k < addresses.size(); ++k) {
    EXPECT_EQ(out[k], table.lookup(addresses[k])) << addresses[k].to_string();
  }
  EXPECT_EQ(out.back(), 999U);
  EXPECT_EQ(table.lookup(node_word(1)), 3U);
  EXPECT_EQ(table.lookup(node_word(0)), 2U);
  EXPECT_EQ(table.lookup(record_word(7)), 1U);
}

// A table with IPv6 routes only reads an all-zero direct array for IPv4 (the empty view), in
// both layouts and through every IPv4 entry point.
TEST(LpmTable, TableWithoutIpv4RoutesMatchesNoIpv4Address) {
  const std::vector<LpmEntry> small = entries_of({{"::/0", 1}, {"2001:db8::/32", 2}});
  std::vector<LpmEntry> large = small;
  for (uint32_t i = 0; i < 5000; ++i) {
    large.push_back({Prefix::host(IpAddress::v6(0x3fffffff00000000ULL, i * 7)), i});
  }
  for (const std::vector<LpmEntry>& entries : {small, large}) {
    LpmTable table = build_or_die(entries);
    std::vector<uint32_t> addresses;
    for (uint32_t i = 0; i < 40; ++i) {
      addresses.push_back(i * 0x06b1c0a1U);
    }
    std::vector<uint32_t> out(addresses.size(), 999);
    table.lookup_batch_v4(addresses, out);
    for (size_t i = 0; i < addresses.size(); ++i) {
      EXPECT_EQ(table.lookup_v4(addresses[i]), kNone) << addresses[i];
      EXPECT_EQ(out[i], kNone) << addresses[i];
      EXPECT_EQ(table.lookup(IpAddress::v4(addresses[i])), kNone) << addresses[i];
    }
    EXPECT_EQ(table.lookup(addr("2001:db8::1")), 2U);
  }
}

TEST(LpmTable, EverySlotOfANodeIsAChild) {
  // 64 neighbouring /24s, each split below, fill all 64 slots of one trie node with children
  // (the node at /18 in both layouts), so every bit of its vector is set.
  for (bool large : {false, true}) {
    SCOPED_TRACE(large ? "large layout" : "small layout");
    std::vector<LpmEntry> entries;
    for (uint32_t i = 0; i < 64; ++i) {
      uint32_t base = 0x0a000000U | (i << 8);
      entries.push_back({Prefix::of(IpAddress::v4(base), 25), 2 * i});
      entries.push_back({Prefix::of(IpAddress::v4(base | 0x80U), 26), 2 * i + 1});
    }
    if (large) {
      entries = with_padding(entries);
    }
    LpmTable table = build_or_die(entries);
    ReferenceLpm reference(entries);
    for (uint32_t i = 0; i < 64; ++i) {
      for (uint32_t host : {0U, 127U, 128U, 191U, 192U, 255U}) {
        IpAddress a = IpAddress::v4(0x0a000000U | (i << 8) | host);
        EXPECT_EQ(table.lookup(a), reference.lookup(a)) << a.to_string();
      }
    }
  }
}

TEST(LpmTable, BatchOfEveryLengthAndMixOfFamilies) {
  // Batches gather each family into groups of 16 lanes; lengths around that and families mixed
  // in every pattern must all come back in order.
  LpmTable table = build_or_die(
      entries_of({{"10.0.0.0/8", 1}, {"10.1.0.0/16", 2}, {"fd00::/8", 3}, {"fd00:1::/32", 4}}));
  for (size_t n : {0U, 1U, 15U, 16U, 17U, 31U, 32U, 33U, 100U}) {
    for (int pattern = 0; pattern < 4; ++pattern) {
      std::vector<IpAddress> addresses;
      for (size_t i = 0; i < n; ++i) {
        bool v6 = pattern == 1 || (pattern == 2 && i % 2 == 1) || (pattern == 3 && i % 5 == 0);
        uint32_t k = static_cast<uint32_t>(i);
        addresses.push_back(v6 ? IpAddress::v6(0xfd00000000000000ULL | (uint64_t{k % 3} << 32), k)
                               : IpAddress::v4(0x0a000000U + k * 0x00008001U));
      }
      std::vector<uint32_t> out(n, 999);
      table.lookup_batch(addresses, out);
      for (size_t i = 0; i < n; ++i) {
        EXPECT_EQ(out[i], table.lookup(addresses[i])) << n << " " << pattern << " " << i;
      }
    }
  }
}

TEST(LpmTable, DefaultConstructedTableMatchesNothing) {
  LpmTable table;
  EXPECT_EQ(table.lookup(addr("10.0.0.1")), kNone);
  EXPECT_EQ(table.lookup(addr("::1")), kNone);
  EXPECT_EQ(table.lookup_v4(0), kNone);
  EXPECT_EQ(table.lookup_v4(0xffffffffU), kNone);
}

struct RangeCase {
  std::string_view prefix;
  uint32_t value;
  std::string message;
};

TEST(LpmTable, RefusesValuesAboveMaxWithoutTruncating) {
  const RangeCase cases[] = {
      {"10.0.0.0/8", 2147483648U,
       "route value 2147483648 out of range 0..2147483647 for 10.0.0.0/8"},
      {"0.0.0.0/0", 4294967295U, "route value 4294967295 out of range 0..2147483647 for 0.0.0.0/0"},
      {"fd00::/64", 3000000000U, "route value 3000000000 out of range 0..2147483647 for fd00::/64"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    // A valid entry first: the bad one must fail the build wherever it sits.
    std::vector<LpmEntry> entries = entries_of({{"192.168.0.0/16", 1}, {c.prefix, 0}});
    entries[1].value = c.value;
    auto table = LpmTable::build(entries);
    ASSERT_FALSE(table.ok());
    EXPECT_EQ(table.error().code, "lpm-value-range");
    EXPECT_EQ(table.error().message, c.message);
  }
}

TEST(LpmTable, AcceptsMaxValue) {
  // kMaxValue is 2^31 as a code, one past what 31 bits hold; answer records keep values whole,
  // so a /8 of it reads like any other, in both layouts.
  for (bool large : {false, true}) {
    std::vector<LpmEntry> entries = entries_of({{"10.0.0.0/8", LpmTable::kMaxValue}});
    LpmTable table = build_or_die(large ? with_padding(entries) : entries);
    EXPECT_EQ(table.lookup(addr("10.0.0.0")), LpmTable::kMaxValue) << large;
    EXPECT_EQ(table.lookup_v4(0x0affffffU), LpmTable::kMaxValue) << large;
    EXPECT_EQ(table.lookup_v4(0x0b000000U), kNone) << large;
  }
}

TEST(LpmTable, RefusesMalformedPrefixes) {
  // Prefix::parse never makes these, but a Prefix is a plain struct anyone can fill in.
  std::vector<LpmEntry> too_long = {{Prefix{addr("10.0.0.0"), 33}, 1}};
  auto a = LpmTable::build(too_long);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, "bad-prefix");
  EXPECT_EQ(a.error().message, "prefix length 33 out of range 0..32 for 10.0.0.0");

  std::vector<LpmEntry> negative = {{Prefix{addr("::"), -1}, 1}};
  auto b = LpmTable::build(negative);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, "bad-prefix");
  EXPECT_EQ(b.error().message, "prefix length -1 out of range 0..128 for ::");

  std::vector<LpmEntry> host_bits = {{Prefix{addr("10.0.0.1"), 8}, 1}};
  auto c = LpmTable::build(host_bits);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "host-bits");
  EXPECT_EQ(c.error().message, "'10.0.0.1/8' has host bits set; did you mean 10.0.0.0/8?");
}

TEST(LpmTable, BatchLookupEqualsSingleLookups) {
  std::vector<LpmEntry> entries = entries_of({{"0.0.0.0/0", 1},
                                              {"10.0.0.0/8", 2},
                                              {"10.1.0.0/16", 3},
                                              {"::/0", 4},
                                              {"fd00::/8", 5},
                                              {"fd00::1/128", 6}});
  LpmTable table = build_or_die(entries);
  std::vector<IpAddress> addresses;
  for (uint32_t i = 0; i < 300; ++i) {
    addresses.push_back(IpAddress::v4(0x0a000000U + i * 0x00010101U));
    addresses.push_back(IpAddress::v6(0xfd00000000000000ULL >> (i % 9), i % 3));
  }
  // One slot more than needed: batch lookups must leave it alone.
  std::vector<uint32_t> out(addresses.size() + 1, 777);
  table.lookup_batch(addresses, out);
  for (size_t i = 0; i < addresses.size(); ++i) {
    EXPECT_EQ(out[i], table.lookup(addresses[i])) << addresses[i].to_string();
  }
  EXPECT_EQ(out.back(), 777U);

  table.lookup_batch({}, out);
  EXPECT_EQ(out.back(), 777U);
}

TEST(LpmTable, MovedTableKeepsItsRoutes) {
  LpmTable table = build_or_die(entries_of({{"10.0.0.0/8", 2}, {"::/0", 4}}));
  LpmTable moved(std::move(table));
  EXPECT_EQ(moved.lookup(addr("10.0.0.1")), 2U);
  LpmTable assigned;
  assigned = std::move(moved);
  EXPECT_EQ(assigned.lookup(addr("10.0.0.1")), 2U);
  EXPECT_EQ(assigned.lookup(addr("::1")), 4U);
}

TEST(LpmTable, MemoryGrowsWithRoutes) {
  LpmTable empty;
  LpmTable one = build_or_die(entries_of({{"10.1.2.3/32", 1}}));
  LpmTable many = build_or_die(entries_of(
      {{"10.1.2.3/32", 1}, {"10.1.2.4/32", 2}, {"192.168.1.1/32", 3}, {"fd00::1/128", 4}}));
  EXPECT_LT(empty.memory_bytes(), one.memory_bytes());
  EXPECT_LT(one.memory_bytes(), many.memory_bytes());
  // Even a compact trie needs a few bytes per bit of a host route.
  EXPECT_GE(one.memory_bytes(), 32U);
}

}  // namespace
}  // namespace egress
