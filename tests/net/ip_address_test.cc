#include "egress/net/ip_address.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace egress {

// gtest would print the raw bytes otherwise. Outside the anonymous namespace so ADL finds it.
void PrintTo(const IpAddress& a, std::ostream* os) {
  *os << a.to_string();
}

namespace {

constexpr uint64_t kAllOnes = ~0ULL;

IpAddress addr(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << "test setup: cannot parse '" << text << "'";
  return a.value_or(IpAddress{});
}

Prefix prefix(std::string_view text) {
  auto p = Prefix::parse(text);
  EXPECT_TRUE(p.ok()) << "test setup: " << (p.ok() ? "" : p.error().message);
  return p.ok() ? *p : Prefix{};
}

// --- IpAddress::parse ---------------------------------------------------------------------

struct V4Case {
  std::string_view text;
  uint32_t bits;
};

TEST(IpAddressParse, AcceptsDottedQuads) {
  const V4Case cases[] = {
      {"0.0.0.0", 0x00000000U}, {"255.255.255.255", 0xffffffffU}, {"10.0.0.1", 0x0a000001U},
      {"1.2.3.4", 0x01020304U}, {"192.168.100.200", 0xc0a864c8U}, {"100.64.0.0", 0x64400000U},
      {"0.0.0.1", 0x00000001U}, {"128.0.0.0", 0x80000000U},       {"9.99.199.250", 0x0963c7faU},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto a = IpAddress::parse(c.text);
    ASSERT_TRUE(a.has_value());
    EXPECT_TRUE(a->is_v4());
    EXPECT_EQ(a->family(), Family::kV4);
    EXPECT_EQ(a->width(), 32);
    EXPECT_EQ(a->v4_bits(), c.bits);
    EXPECT_EQ(*a, IpAddress::v4(c.bits));
    EXPECT_EQ(a->to_string(), c.text);
  }
}

struct V6Case {
  std::string_view text;
  uint64_t hi;
  uint64_t lo;
  // What inet_ntop prints: lowercase, longest zero run compressed, IPv4 tail kept only for the
  // IPv4-compatible and IPv4-mapped forms.
  std::string_view canonical;
};

TEST(IpAddressParse, AcceptsIpv6TextAndPrintsItAsInetNtopDoes) {
  const V6Case cases[] = {
      {"::", 0, 0, "::"},
      {"::1", 0, 1, "::1"},
      {"2001:db8::1", 0x20010db800000000ULL, 1, "2001:db8::1"},
      {"2001:DB8:0:0:1:0:0:1", 0x20010db800000000ULL, 0x0001000000000001ULL, "2001:db8::1:0:0:1"},
      {"2001:0db8:0000:0000:0000:ff00:0042:8329", 0x20010db800000000ULL, 0x0000ff0000428329ULL,
       "2001:db8::ff00:42:8329"},
      {"fe80::", 0xfe80000000000000ULL, 0, "fe80::"},
      {"1:0:0:2:0:0:0:3", 0x0001000000000002ULL, 0x0000000000000003ULL, "1:0:0:2::3"},
      {"1:0:0:2:0:0:3:4", 0x0001000000000002ULL, 0x0000000000030004ULL, "1::2:0:0:3:4"},
      {"1:2:3:4:5:6:7::", 0x0001000200030004ULL, 0x0005000600070000ULL, "1:2:3:4:5:6:7:0"},
      {"::2:3:4:5:6:7:8", 0x0000000200030004ULL, 0x0005000600070008ULL, "0:2:3:4:5:6:7:8"},
      {"::ffff:1.2.3.4", 0, 0x0000ffff01020304ULL, "::ffff:1.2.3.4"},
      {"::1.2.3.4", 0, 0x0000000001020304ULL, "::1.2.3.4"},
      {"64:ff9b::1.2.3.4", 0x0064ff9b00000000ULL, 0x0000000001020304ULL, "64:ff9b::102:304"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", kAllOnes, kAllOnes,
       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", kAllOnes, kAllOnes,
       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto a = IpAddress::parse(c.text);
    ASSERT_TRUE(a.has_value());
    EXPECT_FALSE(a->is_v4());
    EXPECT_EQ(a->family(), Family::kV6);
    EXPECT_EQ(a->width(), 128);
    EXPECT_EQ(a->hi(), c.hi);
    EXPECT_EQ(a->lo(), c.lo);
    EXPECT_EQ(a->to_string(), c.canonical);
    EXPECT_EQ(IpAddress::parse(a->to_string()), a);
  }
}

TEST(IpAddressParse, RejectsMalformedText) {
  using namespace std::string_literals;
  const std::string cases[] = {
      "",
      " 1.2.3.4",
      "1.2.3.4 ",
      "010.0.0.1",
      "1.02.3.4",
      "00.0.0.0",
      "256.1.1.1",
      "1.256.1.1",
      "1.2.3.256",
      "1000.1.1.1",
      "1.2.3",
      "1.2.3.4.5",
      "1.2.3.4.",
      ".1.2.3.4",
      "1..2.3",
      "1.2.3.-4",
      "+1.2.3.4",
      "a.b.c.d",
      "1.2.3.4/32",
      "0x1.2.3.4",
      "1.2.3.4\0"s,
      "16843009",
      ":",
      ":::",
      "1:::2",
      "::1::",
      ":1::",
      "12345::",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7:8::",
      "g::",
      "::ffff:01.2.3.4",
      "::ffff:1.2.3",
      "::ffff:256.1.1.1",
      "1.2.3.4::",
      "fe80::1%eth0",
      "[::1]",
      " ::1",
      "::1 ",
      "::1/128",
      "::1\0"s,
      "::1\0garbage"s,
      "1:2:3:4:5:6:7:8:1:2:3:4:5:6:7:8:1:2:3:4:5:6:7:8",
  };
  for (const auto& text : cases) {
    SCOPED_TRACE(testing::PrintToString(text));
    EXPECT_EQ(IpAddress::parse(text), std::nullopt);
  }
}

// --- bits, masking, offsets, ordering -----------------------------------------------------

TEST(IpAddress, BitCountsFromTheMostSignificantBit) {
  IpAddress v4 = addr("128.0.0.1");
  EXPECT_TRUE(v4.bit(0));
  EXPECT_FALSE(v4.bit(1));
  EXPECT_FALSE(v4.bit(30));
  EXPECT_TRUE(v4.bit(31));

  IpAddress v6 = IpAddress::v6(0x8000000000000001ULL, 0x8000000000000001ULL);
  EXPECT_TRUE(v6.bit(0));
  EXPECT_FALSE(v6.bit(1));
  EXPECT_TRUE(v6.bit(63));
  EXPECT_TRUE(v6.bit(64));
  EXPECT_FALSE(v6.bit(65));
  EXPECT_TRUE(v6.bit(127));
}

struct MaskCase {
  std::string_view address;
  int length;
  std::string_view expected;
};

TEST(IpAddress, MaskedClearsEveryBitAfterLength) {
  const MaskCase cases[] = {
      {"255.255.255.255", 0, "0.0.0.0"},
      {"255.255.255.255", 1, "128.0.0.0"},
      {"255.255.255.255", 7, "254.0.0.0"},
      {"255.255.255.255", 8, "255.0.0.0"},
      {"10.1.2.3", 16, "10.1.0.0"},
      {"10.1.2.3", 24, "10.1.2.0"},
      {"10.1.2.255", 25, "10.1.2.128"},
      {"255.255.255.255", 31, "255.255.255.254"},
      {"255.255.255.255", 32, "255.255.255.255"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, "::"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, "8000::"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 63, "ffff:ffff:ffff:fffe::"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 64, "ffff:ffff:ffff:ffff::"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65, "ffff:ffff:ffff:ffff:8000::"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 127, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"2001:db8:1:2:3:4:5:6", 48, "2001:db8:1::"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.address) + "/" + std::to_string(c.length));
    IpAddress m = addr(c.address).masked(c.length);
    EXPECT_EQ(m, addr(c.expected));
    EXPECT_EQ(m.family(), addr(c.address).family());
  }
}

struct OffsetCase {
  std::string_view address;
  uint64_t n;
  std::optional<std::string_view> expected;
};

TEST(IpAddress, OffsetStopsAtTheEndOfTheAddressSpace) {
  const OffsetCase cases[] = {
      {"0.0.0.0", 0, "0.0.0.0"},
      {"0.0.0.0", 1, "0.0.0.1"},
      {"10.0.0.255", 1, "10.0.1.0"},
      {"0.0.0.0", 0xffffffffULL, "255.255.255.255"},
      {"0.0.0.0", 0x100000000ULL, std::nullopt},
      {"255.255.255.254", 1, "255.255.255.255"},
      {"255.255.255.254", 2, std::nullopt},
      {"255.255.255.255", 0, "255.255.255.255"},
      {"255.255.255.255", 1, std::nullopt},
      {"1.0.0.0", kAllOnes, std::nullopt},
      {"::", 1, "::1"},
      {"::ffff:ffff:ffff:ffff", 1, "0:0:0:1::"},
      {"::", kAllOnes, "::ffff:ffff:ffff:ffff"},
      {"::1", kAllOnes, "0:0:0:1::"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 1, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, std::nullopt},
      {"ffff:ffff:ffff:ffff::1", kAllOnes, std::nullopt},
      {"ffff:ffff:ffff:fffe::1", kAllOnes, "ffff:ffff:ffff:ffff::"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.address) + " + " + std::to_string(c.n));
    auto got = addr(c.address).offset(c.n);
    if (c.expected) {
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(*got, addr(*c.expected));
    } else {
      EXPECT_EQ(got, std::nullopt);
    }
  }
}

TEST(IpAddress, OrdersIpv4BeforeIpv6ThenNumerically) {
  std::vector<IpAddress> sorted = {
      addr("0.0.0.0"),  addr("9.255.255.255"),   addr("10.0.0.0"),
      addr("10.0.0.1"), addr("255.255.255.255"), addr("::"),
      addr("::1"),      addr("::ffff:0.0.0.0"),  addr("0:0:0:1::"),
      addr("1::"),      addr("ffff::"),
  };
  std::vector<IpAddress> shuffled(sorted.rbegin(), sorted.rend());
  std::swap(shuffled[1], shuffled[7]);
  std::sort(shuffled.begin(), shuffled.end());
  EXPECT_EQ(shuffled, sorted);

  // Same 128 bits, different family: still different addresses.
  EXPECT_NE(IpAddress::v4(1), IpAddress::v6(0, 1));
  EXPECT_LT(IpAddress::v4(0xffffffffU), IpAddress::v6(0, 0));
  EXPECT_EQ(IpAddress{}, IpAddress::v4(0));
}

// --- Prefix::parse ------------------------------------------------------------------------

struct PrefixCase {
  std::string_view text;
  std::string_view canonical;
  int length;
  uint64_t size;
};

TEST(PrefixParse, AcceptsEveryEdgeLength) {
  const PrefixCase cases[] = {
      {"0.0.0.0/0", "0.0.0.0/0", 0, 0x100000000ULL},
      {"128.0.0.0/1", "128.0.0.0/1", 1, 0x80000000ULL},
      {"254.0.0.0/7", "254.0.0.0/7", 7, 0x2000000ULL},
      {"10.0.0.0/8", "10.0.0.0/8", 8, 0x1000000ULL},
      {"10.0.0.128/25", "10.0.0.128/25", 25, 128},
      {"10.0.0.2/31", "10.0.0.2/31", 31, 2},
      {"10.0.0.1/32", "10.0.0.1/32", 32, 1},
      {"255.255.255.255/32", "255.255.255.255/32", 32, 1},
      {"::/0", "::/0", 0, kAllOnes},
      {"8000::/1", "8000::/1", 1, kAllOnes},
      {"2001:DB8::/32", "2001:db8::/32", 32, kAllOnes},
      {"fd00::/64", "fd00::/64", 64, kAllOnes},
      {"fd00::/65", "fd00::/65", 65, 0x8000000000000000ULL},
      {"fd00::100/120", "fd00::100/120", 120, 256},
      {"::2/127", "::2/127", 127, 2},
      {"::1/128", "::1/128", 128, 1},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
       128, 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto p = Prefix::parse(c.text);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->length, c.length);
    EXPECT_EQ(p->to_string(), c.canonical);
    EXPECT_EQ(p->size(), c.size);
    EXPECT_EQ(p->address.masked(p->length), p->address);
  }
}

struct PrefixErrorCase {
  std::string text;
  std::string_view code;
  std::string message;
};

std::string expected_form(std::string_view text) {
  return "expected an IPv4 or IPv6 prefix like 10.0.0.0/16 or fd00::/64, got '" +
         std::string(text) + "'";
}

TEST(PrefixParse, ExplainsEveryRejection) {
  using namespace std::string_literals;
  const PrefixErrorCase cases[] = {
      {"10.0.0.1/16", "host-bits", "'10.0.0.1/16' has host bits set; did you mean 10.0.0.0/16?"},
      {"10.0.0.1/31", "host-bits", "'10.0.0.1/31' has host bits set; did you mean 10.0.0.0/31?"},
      {"1.0.0.0/0", "host-bits", "'1.0.0.0/0' has host bits set; did you mean 0.0.0.0/0?"},
      {"192.168.1.0/7", "host-bits",
       "'192.168.1.0/7' has host bits set; did you mean 192.0.0.0/7?"},
      {"::1/127", "host-bits", "'::1/127' has host bits set; did you mean ::/127?"},
      {"2001:db8::1/64", "host-bits",
       "'2001:db8::1/64' has host bits set; did you mean 2001:db8::/64?"},
      {"8000::/0", "host-bits", "'8000::/0' has host bits set; did you mean ::/0?"},
      {"10.0.0.0/33", "bad-prefix", "prefix length 33 out of range 0..32 in '10.0.0.0/33'"},
      {"10.0.0.0/128", "bad-prefix", "prefix length 128 out of range 0..32 in '10.0.0.0/128'"},
      {"::/129", "bad-prefix", "prefix length 129 out of range 0..128 in '::/129'"},
      {"10.0.0.0/99999999999", "bad-prefix",
       "prefix length 99999999999 out of range 0..32 in '10.0.0.0/99999999999'"},
      {"", "bad-prefix", expected_form("")},
      {"10.0.0.0", "bad-prefix", expected_form("10.0.0.0")},
      {"10.0.0.0/", "bad-prefix", expected_form("10.0.0.0/")},
      {"/8", "bad-prefix", expected_form("/8")},
      {"10.0.0.0/08", "bad-prefix", expected_form("10.0.0.0/08")},
      {"10.0.0.0/00", "bad-prefix", expected_form("10.0.0.0/00")},
      {"10.0.0.0/ 8", "bad-prefix", expected_form("10.0.0.0/ 8")},
      {"10.0.0.0/8 ", "bad-prefix", expected_form("10.0.0.0/8 ")},
      {"10.0.0.0 /8", "bad-prefix", expected_form("10.0.0.0 /8")},
      {"10.0.0.0/+8", "bad-prefix", expected_form("10.0.0.0/+8")},
      {"10.0.0.0/-1", "bad-prefix", expected_form("10.0.0.0/-1")},
      {"0.0.0.0/-0", "bad-prefix", expected_form("0.0.0.0/-0")},
      {"::/-0", "bad-prefix", expected_form("::/-0")},
      {"10.0.0.0/8/8", "bad-prefix", expected_form("10.0.0.0/8/8")},
      {"10.0.0.0/x", "bad-prefix", expected_form("10.0.0.0/x")},
      {"010.0.0.0/8", "bad-prefix", expected_form("010.0.0.0/8")},
      {"10.0.0/8", "bad-prefix", expected_form("10.0.0/8")},
      {"fd00:::/64", "bad-prefix", expected_form("fd00:::/64")},
      {"0.0.0.0/0\0"s, "bad-prefix", expected_form("0.0.0.0/0\0"s)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.text));
    auto p = Prefix::parse(c.text);
    ASSERT_FALSE(p.ok()) << "parsed as " << p->to_string();
    EXPECT_EQ(p.error().code, c.code);
    EXPECT_EQ(p.error().message, c.message);
    // The caller knows the file and line; parse must not invent them.
    EXPECT_EQ(p.error().where, SourceLocation{});
  }
}

// --- Prefix helpers -----------------------------------------------------------------------

TEST(Prefix, OfClearsHostBitsAndHostIsFullLength) {
  EXPECT_EQ(Prefix::of(addr("10.1.2.3"), 8), prefix("10.0.0.0/8"));
  EXPECT_EQ(Prefix::of(addr("10.1.2.3"), 0), prefix("0.0.0.0/0"));
  EXPECT_EQ(Prefix::of(addr("2001:db8::1"), 32), prefix("2001:db8::/32"));
  EXPECT_EQ(Prefix::host(addr("10.1.2.3")), prefix("10.1.2.3/32"));
  EXPECT_EQ(Prefix::host(addr("::1")), prefix("::1/128"));
  EXPECT_EQ(prefix("10.0.0.0/8").family(), Family::kV4);
  EXPECT_EQ(prefix("::/0").family(), Family::kV6);
}

struct ContainsCase {
  std::string_view prefix;
  std::string_view address;
  bool contains;
};

TEST(Prefix, ContainsAddress) {
  const ContainsCase cases[] = {
      {"0.0.0.0/0", "0.0.0.0", true},
      {"0.0.0.0/0", "255.255.255.255", true},
      {"0.0.0.0/0", "::", false},
      {"::/0", "0.0.0.0", false},
      {"::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},
      {"::ffff:0.0.0.0/96", "1.2.3.4", false},
      {"10.0.0.0/8", "10.255.255.255", true},
      {"10.0.0.0/8", "11.0.0.0", false},
      {"10.0.0.0/8", "9.255.255.255", false},
      {"128.0.0.0/1", "127.255.255.255", false},
      {"128.0.0.0/1", "128.0.0.0", true},
      {"10.0.0.2/31", "10.0.0.3", true},
      {"10.0.0.2/31", "10.0.0.4", false},
      {"10.0.0.1/32", "10.0.0.1", true},
      {"10.0.0.1/32", "10.0.0.0", false},
      {"fd00::/64", "fd00::ffff:ffff:ffff:ffff", true},
      {"fd00::/64", "fd00:0:0:1::", false},
      {"::2/127", "::3", true},
      {"::2/127", "::4", false},
      {"::1/128", "::1", true},
      {"::1/128", "::", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.prefix) + " ∋ " + std::string(c.address));
    EXPECT_EQ(prefix(c.prefix).contains(addr(c.address)), c.contains);
  }
}

struct OverlapCase {
  std::string_view outer;
  std::string_view inner;
  bool outer_contains_inner;
  bool overlaps;
};

TEST(Prefix, ContainsAndOverlapsPrefixes) {
  const OverlapCase cases[] = {
      {"0.0.0.0/0", "10.0.0.0/8", true, true},
      {"10.0.0.0/8", "10.0.0.0/8", true, true},
      {"10.0.0.0/8", "10.1.0.0/16", true, true},
      {"10.1.0.0/16", "10.0.0.0/8", false, true},
      {"10.0.0.0/8", "11.0.0.0/8", false, false},
      {"10.0.0.0/9", "10.128.0.0/9", false, false},
      {"10.0.0.0/31", "10.0.0.1/32", true, true},
      {"10.0.0.0/31", "10.0.0.2/32", false, false},
      {"0.0.0.0/0", "::/0", false, false},
      {"::/0", "0.0.0.0/0", false, false},
      {"::/0", "fd00::/8", true, true},
      {"fd00::/64", "fd00::/127", true, true},
      {"fd00::/127", "fd00::2/127", false, false},
      {"fd00::/127", "fd00::1/128", true, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.outer) + " vs " + std::string(c.inner));
    Prefix outer = prefix(c.outer);
    Prefix inner = prefix(c.inner);
    EXPECT_EQ(outer.contains(inner), c.outer_contains_inner);
    EXPECT_EQ(outer.overlaps(inner), c.overlaps);
    EXPECT_EQ(inner.overlaps(outer), c.overlaps);
  }
}

TEST(Prefix, OrdersByAddressThenLength) {
  EXPECT_LT(prefix("10.0.0.0/8"), prefix("10.0.0.0/16"));
  EXPECT_LT(prefix("10.0.0.0/16"), prefix("11.0.0.0/8"));
  EXPECT_LT(prefix("255.255.255.255/32"), prefix("::/0"));
}

}  // namespace
}  // namespace egress
