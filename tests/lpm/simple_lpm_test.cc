#include "egress/lpm/simple_lpm.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "egress/lpm/lpm_table.h"

namespace egress {
namespace {

constexpr uint32_t kNone = LpmTable::kNoMatch;

LpmEntry route(std::string_view prefix, uint32_t value) {
  auto p = Prefix::parse(prefix);
  EXPECT_TRUE(p.ok()) << "test setup: " << prefix;
  return {p.ok() ? *p : Prefix{}, value};
}

IpAddress addr(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << "test setup: " << text;
  return a.value_or(IpAddress{});
}

struct Probe {
  std::string_view address;
  uint32_t expected;
};

// The benchmarks' baseline must answer like LpmTable; the differential tests compare the two
// on random tables, these pin the cases that matter by hand.
TEST(SimpleLpm, FindsTheLongestMatchingPrefix) {
  std::vector<LpmEntry> entries = {route("0.0.0.0/0", 1),   route("10.0.0.0/8", 2),
                                   route("10.1.2.3/32", 3), route("10.0.0.0/8", 4),
                                   route("::/0", 5),        route("fd00::/8", 6),
                                   route("fd00::1/128", 7)};
  auto table = SimpleLpm::build(entries);
  ASSERT_TRUE(table.ok());
  const Probe probes[] = {{"11.0.0.0", 1}, {"10.9.9.9", 4}, {"10.1.2.3", 3}, {"10.1.2.4", 4},
                          {"1::", 5},      {"fd00::2", 6},  {"fd00::1", 7}};
  std::vector<IpAddress> addresses;
  for (const Probe& p : probes) {
    addresses.push_back(addr(p.address));
    EXPECT_EQ(table->lookup(addresses.back()), p.expected) << p.address;
  }
  std::vector<uint32_t> out(addresses.size(), 0);
  table->lookup_batch(addresses, out);
  for (size_t i = 0; i < addresses.size(); ++i) {
    EXPECT_EQ(out[i], probes[i].expected) << probes[i].address;
  }
}

TEST(SimpleLpm, EmptyTableMatchesNothing) {
  SimpleLpm empty;
  EXPECT_EQ(empty.lookup(addr("10.0.0.1")), kNone);
  EXPECT_EQ(empty.lookup(addr("::1")), kNone);
}

TEST(SimpleLpm, RefusesWhatLpmTableRefusesWithTheSameWords) {
  const std::vector<LpmEntry> bad[] = {
      {{Prefix{addr("10.0.0.0"), 33}, 1}},
      {{Prefix{addr("10.0.0.1"), 8}, 1}},
      {route("10.0.0.0/8", LpmTable::kMaxValue + 1)},
  };
  for (const auto& entries : bad) {
    auto simple = SimpleLpm::build(entries);
    auto table = LpmTable::build(entries);
    ASSERT_FALSE(simple.ok());
    ASSERT_FALSE(table.ok());
    EXPECT_EQ(simple.error().code, table.error().code);
    EXPECT_EQ(simple.error().message, table.error().message);
  }
}

}  // namespace
}  // namespace egress
