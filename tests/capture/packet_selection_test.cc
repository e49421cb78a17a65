#include "egress/capture/packet_selection.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "capture/packet_builder.h"
#include "egress/capture/capture_reader.h"

namespace egress {
namespace {

using test::Bytes;

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kT0 = 1700000000 * kS;

// Packets from memory, with a count of the calls that asked for one.
class VectorSource final : public PacketSource {
 public:
  struct Item {
    int64_t ts_ns;
    uint16_t link_type;
    Bytes data;
  };
  explicit VectorSource(std::vector<Item> items, int* calls = nullptr)
      : items_(std::move(items)), calls_(calls) {}
  Result<bool> next(RawPacket& out) override {
    if (calls_ != nullptr) {
      ++*calls_;
    }
    if (at_ == items_.size()) {
      return false;
    }
    const Item& item = items_[at_++];
    out = RawPacket{};
    out.ts_ns = item.ts_ns;
    out.link_type = item.link_type;
    out.data = item.data;
    out.orig_len = static_cast<uint32_t>(item.data.size());
    out.number = at_;
    return true;
  }
  const std::vector<Diagnostic>& warnings() const override { return warnings_; }

 private:
  std::vector<Item> items_;
  int* calls_;
  size_t at_ = 0;
  std::vector<Diagnostic> warnings_;
};

Bytes tcp4(uint16_t sport, uint16_t dport) {
  return test::cat({test::ipv4(0x0A000001, 0x08080808, 6, 20), test::tcp(sport, dport)});
}
Bytes udp4(uint16_t sport, uint16_t dport) {
  return test::cat({test::ipv4(0x0A000001, 0x08080808, 17, 8), test::udp(sport, dport)});
}
Bytes tcp6(uint16_t sport, uint16_t dport) {
  return test::cat({test::ipv6(1, 2, 6, 20), test::tcp(sport, dport)});
}

// The source port of every packet the source gives, read from its IP packet.
std::vector<int> sports(PacketSource& source, std::string* error = nullptr) {
  std::vector<int> out;
  RawPacket p;
  for (;;) {
    Result<bool> got = source.next(p);
    if (!got) {
      if (error != nullptr) {
        *error = format_diagnostic(got.error(), "error");
      }
      return out;
    }
    if (!*got) {
      return out;
    }
    // The transport header ends every packet: 20 bytes of TCP or 8 of UDP behind an IPv4
    // header of 20 (the tests' only UDP).
    const size_t size = p.data.size();
    const bool udp = size >= 28 && p.data[size - 28] == 0x45 && p.data[size - 28 + 9] == 17;
    const size_t l4 = size - (udp ? 8 : 20);
    out.push_back((p.data[l4] << 8) | p.data[l4 + 1]);
  }
}

struct GoodRange {
  const char* text;
  TimeRange range;
};

TimePoint rel(int64_t ns) {
  return TimePoint{ns, true};
}
TimePoint abs(int64_t ns) {
  return TimePoint{ns, false};
}

// clang-format off
const GoodRange kGoodRanges[] = {
    {"+10..+20", {rel(10 * kS), rel(20 * kS)}},
    {"+1.5..", {rel(1500000000), std::nullopt}},
    {"+0.000000001..", {rel(1), std::nullopt}},
    {"..1700000000.5", {std::nullopt, abs(kT0 + 500000000)}},
    {"1700000000..1700000001", {abs(kT0), abs(kT0 + kS)}},
    {"..", {std::nullopt, std::nullopt}},
    {"2023-11-14T22:13:20Z..2023-11-14T23:13:20.25+01:00", {abs(kT0), abs(kT0 + 250000000)}},
    {"2023-11-14t22:13:20z..", {abs(kT0), std::nullopt}},
    {"2023-11-14 22:13:20.000000001Z..", {abs(kT0 + 1), std::nullopt}},
    {"2023-11-14T17:13:20-05:00..", {abs(kT0), std::nullopt}},
    {"1970-01-01T00:00:00Z..+5", {abs(0), rel(5 * kS)}},
    {"2024-02-29T00:00:00Z..", {abs(1709164800 * kS), std::nullopt}},
    {"2016-12-31T23:59:60Z..", {abs(1483228800 * kS), std::nullopt}},
    {"1969-12-31T23:59:59Z..", {abs(-kS), std::nullopt}},
};
// clang-format on

void PrintTo(const GoodRange& c, std::ostream* os) {
  *os << c.text;
}

class GoodRanges : public testing::TestWithParam<GoodRange> {};

TEST_P(GoodRanges, Parse) {
  Result<TimeRange> got = parse_time_range(GetParam().text);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, GetParam().range);
}

INSTANTIATE_TEST_SUITE_P(TimeRange, GoodRanges, testing::ValuesIn(kGoodRanges));

struct BadRange {
  const char* text;
  const char* message;
};

// clang-format off
const BadRange kBadRanges[] = {
    {"5", "'5' has no '..': expected FROM..TO, either end left out when open"},
    {"x..", "'x' is not a time: expected +SECONDS (after the first packet), SECONDS since 1970 or an RFC 3339 time such as 2023-11-14T22:13:20Z"},
    {"..1e9", "'1e9' is not a time: expected +SECONDS (after the first packet), SECONDS since 1970 or an RFC 3339 time such as 2023-11-14T22:13:20Z"},
    {"99999999999..", "'99999999999' is not a time: expected +SECONDS (after the first packet), SECONDS since 1970 or an RFC 3339 time such as 2023-11-14T22:13:20Z (too large)"},
    {"+..", "'+' is not +SECONDS after the first packet"},
    {"+1.x..", "'+1.x' is not +SECONDS after the first packet"},
    {"+1...", "'.' is not a time: expected +SECONDS (after the first packet), SECONDS since 1970 or an RFC 3339 time such as 2023-11-14T22:13:20Z"},
    {"+-1..", "'+-1' is not +SECONDS after the first packet"},
    {"+1.2345678901..", "'+1.2345678901' is not +SECONDS after the first packet: more than 9 decimals (nanoseconds)"},
    {"-5..", "'-5' is not a time: expected YYYY-MM-DDTHH:MM:SS, then Z or an offset"},
    {"2023-11-14..", "'2023-11-14' is not a time: expected YYYY-MM-DDTHH:MM:SS, then Z or an offset"},
    {"2023-13-01T00:00:00Z..", "'2023-13-01T00:00:00Z' is not a time: month 13"},
    {"2023-02-29T00:00:00Z..", "'2023-02-29T00:00:00Z' is not a time: day 29 of month 2"},
    {"2023-11-14T24:00:00Z..", "'2023-11-14T24:00:00Z' is not a time: time of day 24:00:00"},
    {"2023-11-14T22:13:20..", "'2023-11-14T22:13:20' is not a time: no time zone: end it with Z (UTC) or an offset such as +01:00"},
    {"2023-11-14T22:13:20+1:00..", "'2023-11-14T22:13:20+1:00' is not a time: the offset must be +HH:MM or -HH:MM"},
    {"2023-11-14T22:13:20.Z..", "'2023-11-14T22:13:20.Z' is not a time: the fraction of a second needs 1 to 9 digits"},
    {"2023-11-14T22:13:20Zjunk..", "'2023-11-14T22:13:20Zjunk' is not a time: unexpected 'junk' at the end"},
    {"3000-01-01T00:00:00Z..", "'3000-01-01T00:00:00Z' is not a time: outside the years 1678 to 2261 that nanoseconds since 1970 hold"},
    {"+20..+10", "'+20..+10' is empty: FROM must come before TO (the range is FROM <= t < TO)"},
    {"1700000001..1700000001", "'1700000001..1700000001' is empty: FROM must come before TO (the range is FROM <= t < TO)"},
};
// clang-format on

void PrintTo(const BadRange& c, std::ostream* os) {
  *os << c.text;
}

class BadRanges : public testing::TestWithParam<BadRange> {};

TEST_P(BadRanges, SayWhatIsWrong) {
  Result<TimeRange> got = parse_time_range(GetParam().text);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().message, GetParam().message);
  EXPECT_EQ(got.error().code, "time-range");
}

INSTANTIATE_TEST_SUITE_P(TimeRange, BadRanges, testing::ValuesIn(kBadRanges));

std::unique_ptr<PacketSource> seconds_apart(int count, int* calls = nullptr) {
  std::vector<VectorSource::Item> items;
  for (int i = 0; i < count; ++i) {
    items.push_back({kT0 + i * kS, kLinkRaw, tcp4(static_cast<uint16_t>(1000 + i), 443)});
  }
  return std::make_unique<VectorSource>(std::move(items), calls);
}

struct RangeCase {
  const char* text;
  std::vector<int> sports;
};

// Packets at T0 + 0, 1, 2, 3, 4 s; the range is half-open.
const RangeCase kRangeCases[] = {
    {"+1..+3", {1001, 1002}},
    {"+3..", {1003, 1004}},
    {"..+1", {1000}},
    {"+0.5..+1.000000001", {1001}},
    {"1700000001..1700000003", {1001, 1002}},
    {"2023-11-14T22:13:22Z..", {1002, 1003, 1004}},
    {"+5..", {}},
};

void PrintTo(const RangeCase& c, std::ostream* os) {
  *os << c.text;
}

class TimeRanges : public testing::TestWithParam<RangeCase> {};

TEST_P(TimeRanges, PassThePacketsInside) {
  Result<TimeRange> range = parse_time_range(GetParam().text);
  ASSERT_TRUE(range.ok()) << range.error().message;
  auto source = packets_in_time_range(seconds_apart(5), *range);
  EXPECT_EQ(sports(*source), GetParam().sports);
}

INSTANTIATE_TEST_SUITE_P(Selection, TimeRanges, testing::ValuesIn(kRangeCases));

TEST(Count, StopsWithoutReadingFurther) {
  int calls = 0;
  auto source = first_packets(seconds_apart(10, &calls), 3);
  EXPECT_EQ(sports(*source), (std::vector<int>{1000, 1001, 1002}));
  EXPECT_EQ(calls, 3);
  RawPacket p;
  Result<bool> again = source->next(p);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(calls, 3);
}

TEST(Count, MoreThanThereAreIsAll) {
  auto source = first_packets(seconds_apart(2), 5);
  EXPECT_EQ(sports(*source), (std::vector<int>{1000, 1001}));
}

// One packet of each link type replay reads (IPv6 where only IPv6 fits), every one TCP to
// port 443 but the second of each pair, to port 80, and a UDP one.
std::unique_ptr<PacketSource> every_link_type() {
  std::vector<VectorSource::Item> items;
  int64_t ts = kT0;
  uint16_t sport = 1000;
  for (uint16_t link : {kLinkEthernet, kLinkLinuxSll, kLinkLinuxSll2, kLinkRaw, kLinkIpv4,
                        kLinkIpv6, kLinkNull, kLinkLoop, kLinkNflog}) {
    const bool v6 = link == kLinkIpv6;
    items.push_back({ts++, link, test::link_frame(link, v6 ? tcp6(sport, 443) : tcp4(sport, 443))});
    items.push_back(
        {ts++, link, test::link_frame(link, v6 ? tcp6(sport + 1, 80) : tcp4(sport + 1, 80))});
    if (!v6) {
      items.push_back({ts++, link, test::link_frame(link, udp4(sport + 2, 443))});
    }
    sport += 10;
  }
  return std::make_unique<VectorSource>(std::move(items));
}

struct FilterCase {
  const char* expression;
  std::vector<int> sports;
};

const FilterCase kFilterCases[] = {
    {"tcp port 443", {1000, 1010, 1020, 1030, 1040, 1050, 1060, 1070, 1080}},
    {"udp", {1002, 1012, 1022, 1032, 1042, 1062, 1072, 1082}},
    {"ip6", {1050, 1051}},
    {"tcp dst port 80 and ip", {1001, 1011, 1021, 1031, 1041, 1061, 1071, 1081}},
    {"port 9", {}},
};

void PrintTo(const FilterCase& c, std::ostream* os) {
  *os << c.expression;
}

class Filters : public testing::TestWithParam<FilterCase> {};

// libpcap compiles the filter for each link type as packets of it come.
TEST_P(Filters, ApplyToEveryLinkType) {
  Result<std::unique_ptr<PacketSource>> source =
      filter_packets(every_link_type(), GetParam().expression);
  ASSERT_TRUE(source.ok()) << source.error().message;
  std::string error;
  EXPECT_EQ(sports(**source, &error), GetParam().sports);
  EXPECT_EQ(error, "");
}

INSTANTIATE_TEST_SUITE_P(Selection, Filters, testing::ValuesIn(kFilterCases));

TEST(Filter, LibpcapRefusesItBeforeAnyPacket) {
  int calls = 0;
  Result<std::unique_ptr<PacketSource>> source =
      filter_packets(seconds_apart(3, &calls), "tcp port");
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().code, "capture-filter");
  EXPECT_EQ(source.error().message, "can't parse filter expression: syntax error");
  EXPECT_EQ(calls, 0);
}

TEST(Filter, ALinkTypeItCannotApplyToIsAnErrorAtItsFirstPacket) {
  // On Ethernet, then a raw IP capture: `ether` means nothing there.
  const Bytes ethernet = test::pcap_file(1, {{1, 0, test::link_frame(kLinkEthernet, tcp4(1, 2))}});
  const Bytes raw = test::pcap_file(101, {{2, 0, tcp4(3, 4)}});
  std::vector<std::unique_ptr<PacketSource>> inputs;
  for (auto [bytes, name] : {std::pair{&ethernet, "eth.pcap"}, std::pair{&raw, "raw.pcap"}}) {
    auto reader = CaptureReader::open_memory(*bytes, name, static_cast<uint32_t>(inputs.size()));
    ASSERT_TRUE(reader.ok());
    inputs.push_back(std::move(*reader));
  }
  Result<std::unique_ptr<PacketSource>> source =
      filter_packets(std::make_unique<MergedSource>(std::move(inputs)),
                     "ether src 02:00:00:00:00:02", {"eth.pcap", "raw.pcap"});
  ASSERT_TRUE(source.ok()) << source.error().message;
  std::string error;
  EXPECT_EQ(sports(**source, &error), (std::vector<int>{1}));
  EXPECT_EQ(error,
            "raw.pcap: error: packet 1 (offset 24): the filter cannot be applied to link type "
            "RAW: ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM "
            "LANE/Fibre Channel");
}

// The time range counts from the first packet read, the filter comes next, the count last.
TEST(SelectPackets, RangeThenFilterThenCount) {
  std::vector<VectorSource::Item> items = {
      {kT0, kLinkRaw, udp4(1, 53)},           {kT0 + kS, kLinkRaw, tcp4(2, 443)},
      {kT0 + 2 * kS, kLinkRaw, udp4(3, 53)},  {kT0 + 3 * kS, kLinkRaw, tcp4(4, 443)},
      {kT0 + 4 * kS, kLinkRaw, tcp4(5, 443)}, {kT0 + 5 * kS, kLinkRaw, tcp4(6, 443)},
  };
  PacketSelection selection;
  selection.filter = "tcp";
  selection.time_range = *parse_time_range("+2..");
  selection.count = 2;
  Result<std::unique_ptr<PacketSource>> source =
      select_packets(std::make_unique<VectorSource>(std::move(items)), selection);
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(sports(**source), (std::vector<int>{4, 5}));
}

TEST(SelectPackets, NothingAskedIsEveryPacket) {
  Result<std::unique_ptr<PacketSource>> source = select_packets(seconds_apart(3), {});
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(sports(**source), (std::vector<int>{1000, 1001, 1002}));
}

}  // namespace
}  // namespace egress
