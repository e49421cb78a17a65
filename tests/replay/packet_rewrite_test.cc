// Incremental checksum updates (RFC 1624) against checksums computed from scratch, for every
// header the rewrite touches.
#include "egress/replay/packet_rewrite.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "egress/capture/packet_decoder.h"
#include "replay/packets.h"

namespace egress {
namespace {

using testing::get16;
using testing::put16;

DecodedPacket decode(const std::vector<uint8_t>& bytes) {
  PacketDecoder decoder;
  RawPacket raw;
  raw.link_type = kLinkRaw;
  raw.data = bytes;
  raw.orig_len = static_cast<uint32_t>(bytes.size());
  return decoder.decode(raw);
}

// IPv6 with the transport checksum computed over its pseudo-header.
std::vector<uint8_t> ipv6(const char* src, const char* dst, uint8_t next, std::vector<uint8_t> l4,
                          size_t checksum_at) {
  std::vector<uint8_t> b(40, 0);
  b[0] = 0x60;
  put16(b, 4, static_cast<uint16_t>(l4.size()));
  b[6] = next;
  b[7] = 64;
  IpAddress s = *IpAddress::parse(src);
  IpAddress d = *IpAddress::parse(dst);
  for (int i = 0; i < 8; ++i) {
    b[8 + i] = static_cast<uint8_t>(s.hi() >> (56 - 8 * i));
    b[16 + i] = static_cast<uint8_t>(s.lo() >> (56 - 8 * i));
    b[24 + i] = static_cast<uint8_t>(d.hi() >> (56 - 8 * i));
    b[32 + i] = static_cast<uint8_t>(d.lo() >> (56 - 8 * i));
  }
  b.insert(b.end(), l4.begin(), l4.end());
  put16(b, 40 + checksum_at, 0);
  uint32_t sum = 0;
  for (size_t i = 8; i < 40; i += 2) {
    sum += get16(b, i);
  }
  sum += static_cast<uint32_t>(l4.size()) + next;
  uint16_t c = internet_checksum(std::span(b).subspan(40), sum);
  put16(b, 40 + checksum_at, c == 0 && next == 17 ? 0xffff : c);
  return b;
}

// Whether every checksum of an IPv4 or IPv6 TCP/UDP/ICMPv6 packet holds.
bool checksums_hold(const std::vector<uint8_t>& b) {
  if ((b[0] >> 4) == 4) {
    if (internet_checksum(std::span(b).subspan(0, 20)) != 0) {
      return false;
    }
    uint8_t proto = b[9];
    std::vector<uint8_t> l4(b.begin() + 20, b.end());
    if (proto == 17 && get16(l4, 6) == 0) {
      return true;
    }
    uint32_t initial = proto == 1 ? 0 : testing::pseudo_sum(b, proto, l4.size());
    return internet_checksum(l4, initial) == 0;
  }
  uint32_t sum = 0;
  for (size_t i = 8; i < 40; i += 2) {
    sum += get16(b, i);
  }
  sum += static_cast<uint32_t>(b.size() - 40) + b[6];
  return internet_checksum(std::span(b).subspan(40), sum) == 0;
}

struct Case {
  std::string name;
  std::vector<uint8_t> packet;
  const char* snat;
  bool source;
};

std::vector<uint8_t> tcp6() {
  std::vector<uint8_t> l4(28, 0x33);
  put16(l4, 0, 40000);
  put16(l4, 2, 443);
  l4[12] = 0x50;
  l4[13] = testing::kSyn;
  return ipv6("fd00::4", "2001:db8::1", 6, l4, 16);
}
std::vector<uint8_t> udp6() {
  std::vector<uint8_t> l4(13, 0x44);
  put16(l4, 0, 5353);
  put16(l4, 2, 53);
  put16(l4, 4, 13);
  return ipv6("fd00::4", "2001:db8::1", 17, l4, 6);
}
std::vector<uint8_t> echo6() {
  std::vector<uint8_t> l4(16, 0x55);
  l4[0] = 128;
  l4[1] = 0;
  put16(l4, 4, 77);
  return ipv6("fd00::4", "2001:db8::1", 58, l4, 2);
}
std::vector<uint8_t> udp4_no_checksum() {
  std::vector<uint8_t> b = testing::udp("10.0.0.4", 5000, "8.8.8.8", 53, 11);
  put16(b, 26, 0);
  return b;
}

class RewriteKeepsChecksums : public ::testing::TestWithParam<Case> {};

TEST_P(RewriteKeepsChecksums, AndPutsTheAddressAndPortInPlace) {
  Case c = GetParam();
  ASSERT_TRUE(checksums_hold(c.packet)) << "the test packet itself";
  DecodedPacket d = decode(c.packet);
  ASSERT_EQ(d.kind, PacketKind::kIp);
  IpAddress ip = *IpAddress::parse(c.snat);
  std::vector<uint8_t> b = c.packet;
  bool icmp = d.key.proto == Protocol::kIcmp;
  std::optional<uint16_t> port;
  if (!icmp) {
    port = 61234;
  }
  ASSERT_TRUE(c.source ? rewrite_source(b, d, ip, port) : rewrite_destination(b, d, ip, port));
  EXPECT_TRUE(checksums_hold(b));
  DecodedPacket after = decode(b);
  EXPECT_EQ(c.source ? after.key.src : after.key.dst, ip);
  if (!icmp) {
    EXPECT_EQ(c.source ? after.key.sport : after.key.dport, 61234);
  }
  EXPECT_EQ(c.source ? after.key.dst : after.key.src, c.source ? d.key.dst : d.key.src);
  if (c.name == "udp4_no_checksum") {
    EXPECT_EQ(get16(b, 26), 0) << "zero stays zero: UDP over IPv4 without a checksum";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Headers, RewriteKeepsChecksums,
    ::testing::Values(
        Case{"tcp4_out", testing::tcp("10.0.0.4", 40000, "1.2.3.4", 443, testing::kSyn, 33),
             "20.0.0.1", true},
        Case{"tcp4_back", testing::tcp("1.2.3.4", 443, "10.0.0.4", 40000, testing::kAck, 7),
             "20.0.0.1", false},
        Case{"udp4_out", testing::udp("10.0.0.4", 5000, "8.8.8.8", 53, 17), "255.255.255.254",
             true},
        Case{"udp4_no_checksum", udp4_no_checksum(), "20.0.0.1", true},
        Case{"icmp4_echo", testing::icmp_echo("10.0.0.4", "1.1.1.1", 9, false), "20.0.0.1", true},
        Case{"tcp6_out", tcp6(), "2001:db8:ffff::1", true},
        Case{"udp6_out", udp6(), "2001:db8:ffff::1", true},
        Case{"icmp6_echo", echo6(), "2001:db8:ffff::1", true}),
    [](const auto& row) { return row.param.name; });

TEST(Rewrite, RefusesAnotherFamilyAndChangesNothing) {
  std::vector<uint8_t> b = testing::tcp("10.0.0.4", 40000, "1.2.3.4", 443, testing::kSyn);
  std::vector<uint8_t> before = b;
  DecodedPacket d = decode(b);
  EXPECT_FALSE(rewrite_source(b, d, *IpAddress::parse("2001:db8::1"), 1));
  EXPECT_EQ(b, before);
}

TEST(Rewrite, TruncatedPacketRewritesWhatIsThereAndNoMore) {
  std::vector<uint8_t> full = testing::tcp("10.0.0.4", 40000, "1.2.3.4", 443, testing::kSyn);
  for (size_t cut = 20; cut <= full.size(); ++cut) {
    std::vector<uint8_t> b(full.begin(), full.begin() + static_cast<long>(cut));
    DecodedPacket d = decode(full);  // offsets of the whole packet, bytes of a part
    rewrite_source(b, d, *IpAddress::parse("20.0.0.1"), 1);
    EXPECT_EQ(b.size(), cut);
    EXPECT_EQ(internet_checksum(std::span(b).subspan(0, 20)), 0) << cut;
  }
}

TEST(Rewrite, Ipv4IdentificationKeepsTheHeaderChecksum) {
  std::vector<uint8_t> b = testing::udp("10.0.0.4", 5000, "8.8.8.8", 53, 11);
  DecodedPacket d = decode(b);
  ASSERT_TRUE(rewrite_ipv4_id(b, d, 0xbeef));
  EXPECT_EQ(get16(b, 4), 0xbeef);
  EXPECT_TRUE(checksums_hold(b));
  std::vector<uint8_t> v6 = udp6();
  std::vector<uint8_t> before = v6;
  EXPECT_FALSE(rewrite_ipv4_id(v6, decode(v6), 1));
  EXPECT_EQ(v6, before);
}

TEST(Rewrite, EchoIdentifierKeepsTheIcmpChecksum) {
  for (std::vector<uint8_t> b : {testing::icmp_echo("10.0.0.4", "8.8.8.8", 77, false),
                                 testing::icmp_echo("8.8.8.8", "10.0.0.4", 77, true), echo6()}) {
    DecodedPacket d = decode(b);
    ASSERT_TRUE(rewrite_echo_id(b, d, 4321));
    EXPECT_EQ(decode(b).key.sport, 4321);
    EXPECT_EQ(decode(b).key.dport, 4321);
    EXPECT_TRUE(checksums_hold(b));
  }
  std::vector<uint8_t> tcp = testing::tcp("10.0.0.4", 40000, "1.2.3.4", 443, testing::kSyn);
  std::vector<uint8_t> before = tcp;
  EXPECT_FALSE(rewrite_echo_id(tcp, decode(tcp), 1));
  EXPECT_EQ(tcp, before);
}

TEST(Rewrite, InternetChecksumOfKnownBytes) {
  // RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is its complement.
  std::vector<uint8_t> b = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(internet_checksum(b), static_cast<uint16_t>(~0xddf2));
  std::vector<uint8_t> odd = {0xff};
  EXPECT_EQ(internet_checksum(odd), static_cast<uint16_t>(~0xff00));
}

}  // namespace
}  // namespace egress
