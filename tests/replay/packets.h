// Packets built by hand for replay tests: raw IPv4 (link type 101) with TCP, UDP or ICMP and
// correct checksums, and a PacketSource over a list of them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "egress/capture/raw_packet.h"
#include "egress/net/ip_address.h"
#include "egress/replay/packet_rewrite.h"

namespace egress::testing {

inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kAck = 0x10;
inline constexpr int64_t kSecond = 1'000'000'000;
inline constexpr int64_t kT0 = int64_t{1'700'000'000} * kSecond;

struct Built {
  int64_t ts_ns = 0;
  std::vector<uint8_t> bytes;
};

inline void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
inline void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  put16(b, at, static_cast<uint16_t>(v >> 16));
  put16(b, at + 2, static_cast<uint16_t>(v));
}
inline uint16_t get16(const std::vector<uint8_t>& b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

/// Sum of the IPv4 pseudo-header of a transport segment, for its checksum.
inline uint32_t pseudo_sum(const std::vector<uint8_t>& ip, uint8_t proto, size_t l4_len) {
  uint32_t sum = 0;
  for (size_t i = 12; i < 20; i += 2) {
    sum += get16(ip, i);
  }
  return sum + proto + static_cast<uint32_t>(l4_len);
}

/// An IPv4 packet; `l4` is the transport header and payload with its checksum zero, and
/// `checksum_at` where in it the checksum goes (SIZE_MAX: none).
inline std::vector<uint8_t> ipv4(const char* src, const char* dst, uint8_t proto,
                                 std::vector<uint8_t> l4, size_t checksum_at, bool pseudo = true) {
  std::vector<uint8_t> b(20);
  b[0] = 0x45;
  put16(b, 2, static_cast<uint16_t>(20 + l4.size()));
  b[8] = 64;
  b[9] = proto;
  put32(b, 12, IpAddress::parse(src)->v4_bits());
  put32(b, 16, IpAddress::parse(dst)->v4_bits());
  put16(b, 10, internet_checksum(b));
  if (checksum_at != SIZE_MAX) {
    uint32_t initial = pseudo ? pseudo_sum(b, proto, l4.size()) : 0;
    uint16_t sum = internet_checksum(l4, initial);
    if (proto == 17 && sum == 0) {
      sum = 0xffff;
    }
    put16(l4, checksum_at, sum);
  }
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

inline std::vector<uint8_t> tcp(const char* src, uint16_t sport, const char* dst, uint16_t dport,
                                uint8_t flags, size_t payload = 0) {
  std::vector<uint8_t> l4(20 + payload, 0);
  put16(l4, 0, sport);
  put16(l4, 2, dport);
  put32(l4, 4, 1000);
  l4[12] = 0x50;
  l4[13] = flags;
  put16(l4, 14, 65535);
  for (size_t i = 0; i < payload; ++i) {
    l4[20 + i] = static_cast<uint8_t>('a' + i % 26);
  }
  return ipv4(src, dst, 6, std::move(l4), 16);
}

inline std::vector<uint8_t> udp(const char* src, uint16_t sport, const char* dst, uint16_t dport,
                                size_t payload = 8) {
  std::vector<uint8_t> l4(8 + payload, 0x5a);
  put16(l4, 0, sport);
  put16(l4, 2, dport);
  put16(l4, 4, static_cast<uint16_t>(8 + payload));
  put16(l4, 6, 0);
  return ipv4(src, dst, 17, std::move(l4), 6);
}

/// ICMP destination unreachable from `from` to `to`, quoting `quoted` (an IPv4 packet).
inline std::vector<uint8_t> icmp_unreachable(const char* from, const char* to,
                                             const std::vector<uint8_t>& quoted) {
  std::vector<uint8_t> l4(8, 0);
  l4[0] = 3;
  l4[1] = 3;
  size_t n = std::min<size_t>(quoted.size(), 28);
  l4.insert(l4.end(), quoted.begin(), quoted.begin() + static_cast<long>(n));
  return ipv4(from, to, 1, std::move(l4), 2, false);
}

inline std::vector<uint8_t> icmp_echo(const char* src, const char* dst, uint16_t id, bool reply) {
  std::vector<uint8_t> l4(16, 0x11);
  l4[0] = reply ? 0 : 8;
  l4[1] = 0;
  put16(l4, 2, 0);
  put16(l4, 4, id);
  put16(l4, 6, 1);
  return ipv4(src, dst, 1, std::move(l4), 2, false);
}

/// Packets from a list, all raw IPv4, numbered from 1.
class ListSource final : public PacketSource {
 public:
  explicit ListSource(std::vector<Built> packets) : packets_(std::move(packets)) {}
  Result<bool> next(RawPacket& out) override {
    if (next_ == packets_.size()) {
      return false;
    }
    const Built& b = packets_[next_++];
    out.ts_ns = b.ts_ns;
    out.link_type = kLinkRaw;
    out.orig_len = static_cast<uint32_t>(b.bytes.size());
    out.data = b.bytes;
    out.input = 0;
    out.number = next_;
    out.offset = 0;
    return true;
  }
  const std::vector<Diagnostic>& warnings() const override { return warnings_; }

 private:
  std::vector<Built> packets_;
  size_t next_ = 0;
  std::vector<Diagnostic> warnings_;
};

}  // namespace egress::testing
