#include "egress/capture/packet_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "capture/packet_builder.h"

namespace egress {
namespace {

using test::Bytes;
using test::cat;
using test::ethernet;
using test::icmp;
using test::ipv4;
using test::ipv6;
using test::tcp;
using test::udp;

constexpr uint32_t kA = 0x0A000001;  // 10.0.0.1
constexpr uint32_t kB = 0x0A000002;  // 10.0.0.2
constexpr uint32_t kC = 0x0A000009;  // 10.0.0.9

RawPacket raw(uint16_t link_type, const Bytes& bytes, uint32_t orig_len = 0, int64_t ts_ns = 0) {
  RawPacket p;
  p.link_type = link_type;
  p.data = std::span<const uint8_t>(bytes.data(), bytes.size());
  p.orig_len = orig_len == 0 ? static_cast<uint32_t>(bytes.size()) : orig_len;
  p.ts_ns = ts_ns;
  return p;
}

// "tcp 10.0.0.1:1234 > 10.0.0.2:80", the form the tables below expect.
std::string describe(const FlowKey& k) {
  const char* proto = k.proto == Protocol::kTcp   ? "tcp"
                      : k.proto == Protocol::kUdp ? "udp"
                                                  : "icmp";
  return std::string(proto) + " " + k.src.to_string() + ":" + std::to_string(k.sport) + " > " +
         k.dst.to_string() + ":" + std::to_string(k.dport);
}

Bytes v4_tcp() {
  return cat({ipv4(kA, kB, 6, 20), tcp(1234, 80)});
}
Bytes v6_udp() {
  return cat({ipv6(1, 2, 17, 8), udp(5000, 53)});
}
Bytes sll1(uint16_t protocol) {
  Bytes b = {0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0};
  test::put16(b, protocol);
  return b;
}
Bytes sll2(uint16_t protocol) {
  Bytes b;
  test::put16(b, protocol);
  return cat({b, {0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0}});
}
Bytes family_le(uint32_t af) {
  Bytes b;
  test::put32_le(b, af);
  return b;
}
Bytes family_be(uint32_t af) {
  Bytes b;
  test::put32(b, af);
  return b;
}
Bytes nflog(const Bytes& payload) {
  Bytes b = {2, 0, 0, 1};  // AF_INET, version 0, resource id 1
  test::put16_le(b, 8);    // NFULA_PACKET_HDR, 4 bytes of value
  test::put16_le(b, 1);
  b.insert(b.end(), {0x08, 0x00, 3, 0});
  test::put16_le(b, static_cast<uint16_t>(4 + payload.size()));
  test::put16_le(b, 9);  // NFULA_PAYLOAD
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

struct Case {
  const char* name;
  uint16_t link_type;
  Bytes bytes;
  PacketKind kind;
  std::string flow;  // describe(key), for kIp
  uint32_t l3_offset = 0;
  uint32_t l4_offset = 0;
  bool icmp_error = false;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class DecodeTable : public testing::TestWithParam<Case> {};

TEST_P(DecodeTable, GivesKindKeyAndOffsets) {
  const Case& c = GetParam();
  PacketDecoder decoder;
  DecodedPacket d = decoder.decode(raw(c.link_type, c.bytes));
  EXPECT_STREQ(to_string(d.kind), to_string(c.kind));
  if (c.kind == PacketKind::kIp) {
    EXPECT_EQ(describe(d.key), c.flow);
    EXPECT_EQ(d.l3_offset, c.l3_offset);
    EXPECT_EQ(d.l4_offset, c.l4_offset);
    EXPECT_EQ(d.icmp_error, c.icmp_error);
  } else {
    EXPECT_EQ(d.key, FlowKey{});
  }
}

const char* const kTcpFlow = "tcp 10.0.0.1:1234 > 10.0.0.2:80";
const char* const kUdp6Flow = "udp 2001:db8::1:5000 > 2001:db8::2:53";

// clang-format off
INSTANTIATE_TEST_SUITE_P(LinkTypes, DecodeTable, testing::Values(
    Case{"ethernet", kLinkEthernet, cat({ethernet(0x0800), v4_tcp()}), PacketKind::kIp, kTcpFlow, 14, 34},
    Case{"vlan", kLinkEthernet, cat({ethernet(0x0800, {0x8100}), v4_tcp()}), PacketKind::kIp, kTcpFlow, 18, 38},
    Case{"qinq_88a8", kLinkEthernet, cat({ethernet(0x0800, {0x88a8, 0x8100}), v4_tcp()}), PacketKind::kIp, kTcpFlow, 22, 42},
    Case{"qinq_9100", kLinkEthernet, cat({ethernet(0x0800, {0x9100, 0x8100}), v4_tcp()}), PacketKind::kIp, kTcpFlow, 22, 42},
    Case{"ethernet_v6", kLinkEthernet, cat({ethernet(0x86DD), v6_udp()}), PacketKind::kIp, kUdp6Flow, 14, 54},
    Case{"arp", kLinkEthernet, cat({ethernet(0x0806), Bytes(28)}), PacketKind::kArp, ""},
    Case{"rarp_in_vlan", kLinkEthernet, cat({ethernet(0x8035, {0x8100}), Bytes(28)}), PacketKind::kArp, ""},
    Case{"lldp", kLinkEthernet, cat({ethernet(0x88CC), Bytes(30)}), PacketKind::kOtherEthertype, ""},
    Case{"ieee_802_3_length", kLinkEthernet, cat({ethernet(0x0040), Bytes(64)}), PacketKind::kOtherEthertype, ""},
    Case{"sll1", kLinkLinuxSll, cat({sll1(0x0800), v4_tcp()}), PacketKind::kIp, kTcpFlow, 16, 36},
    Case{"sll1_vlan", kLinkLinuxSll, cat({sll1(0x8100), Bytes{0, 100, 0x08, 0x00}, v4_tcp()}), PacketKind::kIp, kTcpFlow, 20, 40},
    Case{"sll2", kLinkLinuxSll2, cat({sll2(0x86DD), v6_udp()}), PacketKind::kIp, kUdp6Flow, 20, 60},
    Case{"sll2_arp", kLinkLinuxSll2, cat({sll2(0x0806), Bytes(28)}), PacketKind::kArp, ""},
    Case{"null_little_endian", kLinkNull, cat({family_le(2), v4_tcp()}), PacketKind::kIp, kTcpFlow, 4, 24},
    Case{"null_big_endian", kLinkNull, cat({family_be(2), v4_tcp()}), PacketKind::kIp, kTcpFlow, 4, 24},
    Case{"null_inet6_24", kLinkNull, cat({family_le(24), v6_udp()}), PacketKind::kIp, kUdp6Flow, 4, 44},
    Case{"null_inet6_28", kLinkNull, cat({family_be(28), v6_udp()}), PacketKind::kIp, kUdp6Flow, 4, 44},
    Case{"null_inet6_30", kLinkNull, cat({family_le(30), v6_udp()}), PacketKind::kIp, kUdp6Flow, 4, 44},
    Case{"null_unknown_family", kLinkNull, cat({family_le(7), v4_tcp()}), PacketKind::kOtherEthertype, ""},
    Case{"loop", kLinkLoop, cat({family_be(2), v4_tcp()}), PacketKind::kIp, kTcpFlow, 4, 24},
    Case{"loop_inet6", kLinkLoop, cat({family_be(24), v6_udp()}), PacketKind::kIp, kUdp6Flow, 4, 44},
    Case{"raw_v4", kLinkRaw, v4_tcp(), PacketKind::kIp, kTcpFlow, 0, 20},
    Case{"raw_v6", kLinkRaw, v6_udp(), PacketKind::kIp, kUdp6Flow, 0, 40},
    Case{"raw_bad_version", kLinkRaw, cat({Bytes{0x50}, Bytes(39)}), PacketKind::kMalformed, ""},
    Case{"ipv4_link", kLinkIpv4, v4_tcp(), PacketKind::kIp, kTcpFlow, 0, 20},
    Case{"ipv4_link_holding_v6", kLinkIpv4, v6_udp(), PacketKind::kMalformed, ""},
    Case{"ipv6_link", kLinkIpv6, v6_udp(), PacketKind::kIp, kUdp6Flow, 0, 40},
    Case{"ipv6_link_holding_v4", kLinkIpv6, v4_tcp(), PacketKind::kMalformed, ""},
    Case{"nflog", kLinkNflog, nflog(v4_tcp()), PacketKind::kIp, kTcpFlow, 16, 36},
    Case{"nflog_without_payload", kLinkNflog, Bytes{2, 0, 0, 1, 8, 0, 1, 0, 8, 0, 3, 0}, PacketKind::kMalformed, ""},
    Case{"unknown_link_type", 160, cat({ethernet(0x0800), v4_tcp()}), PacketKind::kUnknownLinkType, ""}
), [](const testing::TestParamInfo<Case>& p) { return std::string(p.param.name); });

INSTANTIATE_TEST_SUITE_P(Ip, DecodeTable, testing::Values(
    Case{"v6_extension_headers", kLinkRaw,
         cat({ipv6(1, 2, 0, 8 + 8 + 8 + 12 + 20), test::ext8(43), test::ext8(60), test::ext8(51),
              Bytes{6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, tcp(1234, 80)}),
         PacketKind::kIp, "tcp 2001:db8::1:1234 > 2001:db8::2:80", 0, 76},
    Case{"v6_esp", kLinkRaw, cat({ipv6(1, 2, 0, 8 + 16), test::ext8(50), Bytes(16)}), PacketKind::kOtherProtocol, ""},
    Case{"v6_no_next_header", kLinkRaw, cat({ipv6(1, 2, 60, 8), test::ext8(59)}), PacketKind::kOtherProtocol, ""},
    Case{"v6_atomic_fragment", kLinkRaw, cat({ipv6(1, 2, 44, 16), test::frag6(17, 0, false, 5), udp(5000, 53)}),
         PacketKind::kIp, kUdp6Flow, 0, 48},
    Case{"gre", kLinkRaw, cat({ipv4(kA, kB, 47, 8), Bytes(8)}), PacketKind::kOtherProtocol, ""},
    Case{"icmp_in_v6_header", kLinkRaw, cat({ipv6(1, 2, 1, 8), icmp(8, 7)}), PacketKind::kOtherProtocol, ""},
    Case{"ihl_below_5", kLinkRaw, cat({Bytes{0x44}, Bytes(39)}), PacketKind::kMalformed, ""},
    Case{"total_length_below_header", kLinkRaw, [] { Bytes b = v4_tcp(); b[3] = 10; return b; }(), PacketKind::kMalformed, ""},
    Case{"tcp_past_total_length", kLinkRaw, [] { Bytes b = v4_tcp(); b[3] = 30; return b; }(), PacketKind::kMalformed, ""},
    Case{"v6_ethertype_with_v4_header", kLinkEthernet, cat({ethernet(0x86DD), v4_tcp(), Bytes(20)}), PacketKind::kMalformed, ""},
    Case{"ethernet_padding", kLinkEthernet, cat({ethernet(0x0800), ipv4(kA, kB, 17, 8), udp(1, 2), Bytes(18)}),
         PacketKind::kIp, "udp 10.0.0.1:1 > 10.0.0.2:2", 14, 34}
), [](const testing::TestParamInfo<Case>& p) { return std::string(p.param.name); });

INSTANTIATE_TEST_SUITE_P(Icmp, DecodeTable, testing::Values(
    Case{"echo_request", kLinkRaw, cat({ipv4(kA, kB, 1, 8), icmp(8, 0x1234)}), PacketKind::kIp, "icmp 10.0.0.1:4660 > 10.0.0.2:4660", 0, 20},
    Case{"echo_reply", kLinkRaw, cat({ipv4(kB, kA, 1, 8), icmp(0, 0x1234)}), PacketKind::kIp, "icmp 10.0.0.2:4660 > 10.0.0.1:4660", 0, 20},
    Case{"echo6_request", kLinkRaw, cat({ipv6(1, 2, 58, 8), icmp(128, 9)}), PacketKind::kIp, "icmp 2001:db8::1:9 > 2001:db8::2:9", 0, 40},
    Case{"echo6_reply", kLinkRaw, cat({ipv6(2, 1, 58, 8), icmp(129, 9)}), PacketKind::kIp, "icmp 2001:db8::2:9 > 2001:db8::1:9", 0, 40},
    Case{"timestamp_request", kLinkRaw, cat({ipv4(kA, kB, 1, 20), icmp(13), Bytes(12)}), PacketKind::kIcmpOther, ""},
    Case{"neighbor_solicitation", kLinkRaw, cat({ipv6(1, 2, 58, 24), icmp(135), Bytes(16)}), PacketKind::kIcmpOther, ""},
    Case{"unreachable_quoting_udp", kLinkRaw,
         cat({ipv4(kC, kB, 1, 8 + 28), icmp(3, 0, 3), ipv4(kB, kC, 17, 8), udp(5353, 53)}),
         PacketKind::kIp, "udp 10.0.0.2:5353 > 10.0.0.9:53", 0, 20, true},
    Case{"time_exceeded_quoting_echo", kLinkRaw,
         cat({ipv4(kC, kA, 1, 8 + 28), icmp(11), ipv4(kA, kB, 1, 8), icmp(8, 77)}),
         PacketKind::kIp, "icmp 10.0.0.1:77 > 10.0.0.2:77", 0, 20, true},
    Case{"parameter_problem_quoting_four_tcp_bytes", kLinkRaw,
         cat({ipv4(kC, kA, 1, 8 + 24), icmp(12), ipv4(kA, kB, 6, 20), Bytes{0x04, 0xD2, 0, 80}}),
         PacketKind::kIp, kTcpFlow, 0, 20, true},
    Case{"source_quench", kLinkRaw, cat({ipv4(kC, kA, 1, 8 + 28), icmp(4), ipv4(kA, kB, 17, 8), udp(1, 2)}),
         PacketKind::kIp, "udp 10.0.0.1:1 > 10.0.0.2:2", 0, 20, true},
    Case{"redirect", kLinkRaw, cat({ipv4(kC, kA, 1, 8 + 28), icmp(5), ipv4(kA, kB, 17, 8), udp(1, 2)}),
         PacketKind::kIp, "udp 10.0.0.1:1 > 10.0.0.2:2", 0, 20, true},
    Case{"unreachable_short_quote", kLinkRaw, cat({ipv4(kC, kA, 1, 8 + 12), icmp(3), Bytes(12)}), PacketKind::kIcmpOther, ""},
    Case{"unreachable_quoting_gre", kLinkRaw, cat({ipv4(kC, kA, 1, 8 + 28), icmp(3), ipv4(kA, kB, 47, 8), Bytes(8)}),
         PacketKind::kIcmpOther, ""},
    Case{"unreachable_quoting_later_fragment", kLinkRaw,
         cat({ipv4(kC, kA, 1, 8 + 28), icmp(3), ipv4(kA, kB, 17, 8, 1, 0x0010), Bytes(8)}), PacketKind::kIcmpOther, ""},
    Case{"unreachable_quoting_v6", kLinkRaw, cat({ipv4(kC, kA, 1, 8 + 48), icmp(3), v6_udp()}), PacketKind::kIcmpOther, ""},
    Case{"too_big_quoting_v6_tcp", kLinkRaw,
         cat({ipv6(9, 1, 58, 8 + 60), icmp(2), ipv6(1, 2, 6, 20), tcp(40000, 443)}),
         PacketKind::kIp, "tcp 2001:db8::1:40000 > 2001:db8::2:443", 0, 40, true},
    Case{"v6_unreachable_quoting_ext_headers", kLinkRaw,
         cat({ipv6(9, 1, 58, 8 + 56), icmp(1), ipv6(1, 2, 60, 16), test::ext8(17), udp(5000, 53)}),
         PacketKind::kIp, kUdp6Flow, 0, 40, true},
    Case{"v6_time_exceeded_quoting_echo", kLinkRaw,
         cat({ipv6(9, 1, 58, 8 + 48), icmp(3), ipv6(1, 2, 58, 8), icmp(128, 5)}),
         PacketKind::kIp, "icmp 2001:db8::1:5 > 2001:db8::2:5", 0, 40, true},
    Case{"v6_parameter_problem_quoting_ndp", kLinkRaw,
         cat({ipv6(9, 1, 58, 8 + 48), icmp(4), ipv6(1, 2, 58, 8), icmp(135)}), PacketKind::kIcmpOther, ""}
), [](const testing::TestParamInfo<Case>& p) { return std::string(p.param.name); });
// clang-format on

TEST(PacketDecoder, KeepsTcpFlagsAndLengths) {
  PacketDecoder decoder;
  Bytes b = cat({ethernet(0x0800), ipv4(kA, kB, 6, 20 + 100), tcp(1234, 80, 0x12), Bytes(100)});
  DecodedPacket d = decoder.decode(raw(kLinkEthernet, b));
  EXPECT_EQ(d.tcp_flags, 0x12);
  EXPECT_EQ(d.ip_version, 4);
  EXPECT_EQ(d.l4_length, 120U);
  EXPECT_FALSE(d.fragment);
}

// Cuts a packet at every length short of its last needed header: truncated when the capture
// dropped the rest (orig_len is the whole packet), malformed when the packet really ended.
void expect_cut_everywhere(uint16_t link_type, const Bytes& whole, size_t needed) {
  PacketDecoder decoder;
  ASSERT_EQ(decoder.decode(raw(link_type, whole)).kind, PacketKind::kIp);
  for (size_t cut = 0; cut < needed; ++cut) {
    Bytes part(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
    DecodedPacket d = decoder.decode(raw(link_type, part, static_cast<uint32_t>(whole.size())));
    EXPECT_EQ(d.kind, PacketKind::kTruncated) << "cut at " << cut;
    if (cut > 0) {
      d = decoder.decode(raw(link_type, part));
      EXPECT_NE(d.kind, PacketKind::kIp) << "packet ending at " << cut;
    }
  }
}

TEST(PacketDecoder, TruncationAtEveryHeaderBoundary) {
  expect_cut_everywhere(kLinkEthernet, cat({ethernet(0x0800, {0x88a8, 0x8100}), v4_tcp()}), 62);
  expect_cut_everywhere(kLinkLinuxSll, cat({sll1(0x0800), ipv4(kA, kB, 17, 8), udp(1, 2)}), 44);
  expect_cut_everywhere(kLinkLinuxSll2, cat({sll2(0x0800), ipv4(kA, kB, 1, 8), icmp(8, 1)}), 48);
  expect_cut_everywhere(kLinkNull, cat({family_le(30), v6_udp()}), 52);
  expect_cut_everywhere(kLinkLoop, cat({family_be(2), v4_tcp()}), 44);
  expect_cut_everywhere(kLinkRaw,
                        cat({ipv6(1, 2, 0, 8 + 8 + 8 + 8), test::ext8(43), test::ext8(44),
                             test::frag6(17, 0, true, 3), udp(5000, 53)}),
                        72);
  expect_cut_everywhere(
      kLinkRaw, cat({ipv4(kC, kB, 1, 8 + 28), icmp(3), ipv4(kB, kC, 17, 8), udp(1, 2)}), 52);
}

// Fragments: a decoder sees a sequence, so these tests run one decoder over several packets.
Bytes v4_fragment(uint16_t id, uint16_t offset_units, bool more, bool with_udp) {
  const uint16_t frag = static_cast<uint16_t>(offset_units | (more ? 0x2000 : 0));
  if (with_udp) {
    return cat({ipv4(kA, kB, 17, 16, id, frag), udp(5000, 53, 100), Bytes(8)});
  }
  return cat({ipv4(kA, kB, 17, 16, id, frag), Bytes(16)});
}

constexpr int64_t kSecond = 1'000'000'000;

TEST(PacketDecoder, LaterFragmentsFollowTheFirst) {
  PacketDecoder decoder;
  Bytes first = v4_fragment(7, 0, true, true);
  Bytes later = v4_fragment(7, 3, true, false);
  Bytes last = v4_fragment(7, 5, false, false);
  DecodedPacket d = decoder.decode(raw(kLinkRaw, first));
  ASSERT_EQ(d.kind, PacketKind::kIp);
  EXPECT_TRUE(d.fragment);
  EXPECT_TRUE(d.first_fragment);
  EXPECT_EQ(describe(d.key), "udp 10.0.0.1:5000 > 10.0.0.2:53");
  for (const Bytes* b : {&later, &last}) {
    d = decoder.decode(raw(kLinkRaw, *b, 0, kSecond));
    ASSERT_EQ(d.kind, PacketKind::kIp);
    EXPECT_TRUE(d.fragment);
    EXPECT_FALSE(d.first_fragment);
    EXPECT_EQ(d.l4_offset, 0U);
    EXPECT_EQ(d.l4_length, 16U);
    EXPECT_EQ(describe(d.key), "udp 10.0.0.1:5000 > 10.0.0.2:53");
  }
  EXPECT_EQ(decoder.fragment_entries(), 1U);
}

TEST(PacketDecoder, OrphanOutOfOrderAndTimeout) {
  PacketDecoder decoder;
  // A later fragment of a datagram whose first was never seen.
  EXPECT_EQ(decoder.decode(raw(kLinkRaw, v4_fragment(8, 3, true, false))).kind,
            PacketKind::kFragmentOrphan);
  // Out of order: the later fragment comes first and stays an orphan; the ones after the
  // first fragment join.
  EXPECT_EQ(decoder.decode(raw(kLinkRaw, v4_fragment(9, 5, false, false))).kind,
            PacketKind::kFragmentOrphan);
  EXPECT_EQ(decoder.decode(raw(kLinkRaw, v4_fragment(9, 0, true, true))).kind, PacketKind::kIp);
  EXPECT_EQ(decoder.decode(raw(kLinkRaw, v4_fragment(9, 3, true, false))).kind, PacketKind::kIp);
  // Timeout in capture time, counted from the first fragment.
  EXPECT_EQ(decoder.decode(raw(kLinkRaw, v4_fragment(10, 0, true, true), 0, 100 * kSecond)).kind,
            PacketKind::kIp);
  EXPECT_EQ(decoder.decode(raw(kLinkRaw, v4_fragment(10, 3, true, false), 0, 129 * kSecond)).kind,
            PacketKind::kIp);
  EXPECT_EQ(decoder.decode(raw(kLinkRaw, v4_fragment(10, 5, false, false), 0, 131 * kSecond)).kind,
            PacketKind::kFragmentOrphan);
  // Same id, other protocol: not the same datagram.
  Bytes tcp_later = cat({ipv4(kA, kB, 6, 16, 9, 3), Bytes(16)});
  EXPECT_EQ(decoder.decode(raw(kLinkRaw, tcp_later)).kind, PacketKind::kFragmentOrphan);
  // Later fragments of a protocol we do not use are that, not orphans.
  Bytes gre_later = cat({ipv4(kA, kB, 47, 16, 11, 3), Bytes(16)});
  EXPECT_EQ(decoder.decode(raw(kLinkRaw, gre_later)).kind, PacketKind::kOtherProtocol);
}

TEST(PacketDecoder, Ipv6Fragments) {
  PacketDecoder decoder;
  Bytes first = cat({ipv6(1, 2, 0, 8 + 8 + 8 + 8), test::ext8(44), test::frag6(17, 0, true, 77),
                     udp(5000, 53, 500), Bytes(8)});
  Bytes later = cat({ipv6(1, 2, 44, 8 + 16), test::frag6(17, 2, false, 77), Bytes(16)});
  Bytes orphan = cat({ipv6(1, 2, 44, 8 + 16), test::frag6(17, 2, false, 78), Bytes(16)});
  DecodedPacket d = decoder.decode(raw(kLinkRaw, first));
  ASSERT_EQ(d.kind, PacketKind::kIp);
  EXPECT_TRUE(d.first_fragment);
  EXPECT_EQ(d.l4_offset, 56U);
  d = decoder.decode(raw(kLinkRaw, later));
  ASSERT_EQ(d.kind, PacketKind::kIp);
  EXPECT_EQ(describe(d.key), kUdp6Flow);
  EXPECT_EQ(d.ip_version, 6);
  EXPECT_EQ(decoder.decode(raw(kLinkRaw, orphan)).kind, PacketKind::kFragmentOrphan);
}

TEST(PacketDecoder, IcmpErrorFragmentsKeepTheQuotedFlow) {
  PacketDecoder decoder;
  Bytes first = cat({ipv4(kC, kB, 1, 8 + 28 + 4, 5, 0x2000), icmp(3), ipv4(kB, kC, 17, 8),
                     udp(5353, 53), Bytes(4)});
  Bytes later = cat({ipv4(kC, kB, 1, 16, 5, 5), Bytes(16)});
  ASSERT_EQ(decoder.decode(raw(kLinkRaw, first)).kind, PacketKind::kIp);
  DecodedPacket d = decoder.decode(raw(kLinkRaw, later));
  ASSERT_EQ(d.kind, PacketKind::kIp);
  EXPECT_TRUE(d.icmp_error);
  EXPECT_EQ(describe(d.key), "udp 10.0.0.2:5353 > 10.0.0.9:53");
}

TEST(PacketDecoder, FragmentTableIsBounded) {
  PacketDecoder decoder;
  const size_t count = kFragmentTableSize * 4;
  for (size_t i = 0; i < count; ++i) {
    Bytes first = v4_fragment(static_cast<uint16_t>(i), 0, true, true);
    ASSERT_EQ(decoder.decode(raw(kLinkRaw, first, 0, static_cast<int64_t>(i))).kind,
              PacketKind::kIp);
  }
  EXPECT_LE(decoder.fragment_entries(), kFragmentTableSize);
  EXPECT_GT(decoder.fragment_entries(), kFragmentTableSize / 2);
  // The newest entry always survives: the oldest of its slots is the one replaced.
  Bytes later = v4_fragment(static_cast<uint16_t>(count - 1), 3, true, false);
  EXPECT_EQ(decoder.decode(raw(kLinkRaw, later, 0, static_cast<int64_t>(count))).kind,
            PacketKind::kIp);
}

TEST(PacketDecoder, UnfragmentedPacketsLeaveTheTableAlone) {
  PacketDecoder decoder;
  for (int i = 0; i < 100; ++i) {
    (void)decoder.decode(raw(kLinkRaw, v4_tcp()));
  }
  EXPECT_EQ(decoder.fragment_entries(), 0U);
}

// A threaded replay decodes some packets on a decoder that saw only some of the others, and
// keeps its result unless it says fragment (replay.cc, Batch): that is only sound if nothing
// but a fragment's decoding depends on the packets before it.
TEST(PacketDecoder, OnlyFragmentsDependOnThePacketsBefore) {
  const std::vector<Bytes> packets = {
      v4_fragment(7, 0, true, true),
      v4_tcp(),
      v4_fragment(7, 3, true, false),
      v6_udp(),
      cat({ipv6(1, 2, 0, 8 + 8 + 8 + 8), test::ext8(44), test::frag6(17, 0, true, 77),
           udp(5000, 53, 500), Bytes(8)}),
      cat({ipv4(kC, kB, 1, 8 + 28 + 4, 5, 0x2000), icmp(3), ipv4(kB, kC, 17, 8), udp(5353, 53),
           Bytes(4)}),
      cat({ipv4(kC, kB, 1, 8 + 28), icmp(3), ipv4(kB, kC, 17, 8), udp(5353, 53)}),
      cat({ipv6(1, 2, 44, 8 + 16), test::frag6(17, 2, false, 77), Bytes(16)}),
      v4_fragment(7, 5, false, false),
      cat({ipv4(kC, kB, 1, 16, 5, 5), Bytes(16)}),
      cat({ipv4(kA, kB, 47, 16, 11, 3), Bytes(16)}),
      v4_fragment(9, 3, true, false),
      cat({ipv4(kA, kB, 6, 20), Bytes(4)}),
  };
  PacketDecoder in_order;
  int fragments = 0;
  int joined = 0;
  for (size_t i = 0; i < packets.size(); ++i) {
    SCOPED_TRACE("packet " + std::to_string(i));
    const RawPacket p = raw(kLinkRaw, packets[i], 0, static_cast<int64_t>(i));
    const DecodedPacket seen = in_order.decode(p);
    PacketDecoder fresh;
    const DecodedPacket alone = fresh.decode(p);
    ASSERT_EQ(seen.fragment, alone.fragment);
    if (seen.fragment) {
      ++fragments;
      joined += seen.kind == PacketKind::kIp && alone.kind != PacketKind::kIp;
      continue;
    }
    EXPECT_EQ(seen.kind, alone.kind);
    EXPECT_EQ(seen.key, alone.key);
    EXPECT_EQ(seen.icmp_error, alone.icmp_error);
    EXPECT_EQ(seen.ip_version, alone.ip_version);
    EXPECT_EQ(seen.tcp_flags, alone.tcp_flags);
    EXPECT_EQ(seen.l3_offset, alone.l3_offset);
    EXPECT_EQ(seen.l4_offset, alone.l4_offset);
    EXPECT_EQ(seen.l4_length, alone.l4_length);
    EXPECT_EQ(seen.inner_l3_offset, alone.inner_l3_offset);
    EXPECT_EQ(seen.payload_offset, alone.payload_offset);
    EXPECT_EQ(seen.payload_length, alone.payload_length);
  }
  // The sequence does test something: later fragments that join only after their first.
  EXPECT_EQ(fragments, 9);
  EXPECT_EQ(joined, 4);
}

TEST(PacketDecoder, KindNames) {
  const char* const names[kPacketKindCount] = {"ip",
                                               "arp",
                                               "other-ethertype",
                                               "unknown-link-type",
                                               "other-protocol",
                                               "icmp-other",
                                               "fragment-orphan",
                                               "truncated",
                                               "malformed"};
  for (int k = 0; k < kPacketKindCount; ++k) {
    EXPECT_STREQ(to_string(static_cast<PacketKind>(k)), names[k]);
  }
}

}  // namespace
}  // namespace egress
