// An independent decoder for the generator's frames (Ethernet, IPv4/IPv6, TCP/UDP/ICMP), written
// from the RFCs rather than from sim/synth, so that tests check the bytes, not the generator's
// own idea of them. Checksums are verified by summing over the whole header or segment, which
// gives 0xffff exactly when the stored checksum is right.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "egress/capture/raw_packet.h"
#include "egress/net/ip_address.h"

namespace egress::test {

struct Decoded {
  IpAddress src;
  IpAddress dst;
  uint8_t proto = 0;  // 6, 17, 1 or 58
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t tcp_flags = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t icmp_type = 0;
  uint16_t icmp_id = 0;
  uint16_t icmp_seq = 0;
  uint32_t payload = 0;
  bool ip_checksum_ok = true;
  bool l4_checksum_ok = false;
};

inline uint16_t get16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline uint32_t get32(const uint8_t* p) {
  return uint32_t{get16(p)} << 16 | get16(p + 2);
}

inline uint64_t word_sum(const uint8_t* p, size_t n) {
  uint64_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) {
    sum += get16(p + i);
  }
  if (n % 2 == 1) {
    sum += uint64_t{p[n - 1]} << 8;
  }
  return sum;
}
inline bool sums_to_ffff(uint64_t sum) {
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return sum == 0xffff;
}

inline IpAddress read_v6(const uint8_t* p) {
  return IpAddress::v6(uint64_t{get32(p)} << 32 | get32(p + 4),
                       uint64_t{get32(p + 8)} << 32 | get32(p + 12));
}

/// The frame's headers, or nullopt when any length or version is inconsistent.
inline std::optional<Decoded> decode(std::span<const uint8_t> f) {
  if (f.size() < 14) {
    return std::nullopt;
  }
  Decoded d;
  uint16_t ethertype = get16(f.data() + 12);
  const uint8_t* ip = f.data() + 14;
  size_t ip_avail = f.size() - 14;
  const uint8_t* l4 = nullptr;
  size_t l4_len = 0;
  uint64_t pseudo = 0;
  if (ethertype == 0x0800) {
    if (ip_avail < 20 || ip[0] != 0x45 || get16(ip + 2) != ip_avail) {
      return std::nullopt;
    }
    d.src = IpAddress::v4(get32(ip + 12));
    d.dst = IpAddress::v4(get32(ip + 16));
    d.proto = ip[9];
    d.ip_checksum_ok = sums_to_ffff(word_sum(ip, 20));
    l4 = ip + 20;
    l4_len = ip_avail - 20;
    pseudo = word_sum(ip + 12, 8) + d.proto + l4_len;
  } else if (ethertype == 0x86dd) {
    if (ip_avail < 40 || (ip[0] >> 4) != 6 || get16(ip + 4) != ip_avail - 40) {
      return std::nullopt;
    }
    d.src = read_v6(ip + 8);
    d.dst = read_v6(ip + 24);
    d.proto = ip[6];
    l4 = ip + 40;
    l4_len = ip_avail - 40;
    pseudo = word_sum(ip + 8, 32) + d.proto + l4_len;
  } else {
    return std::nullopt;
  }
  if (d.proto == 6) {
    if (l4_len < 20 || (l4[12] >> 4) != 5) {
      return std::nullopt;
    }
    d.sport = get16(l4);
    d.dport = get16(l4 + 2);
    d.seq = get32(l4 + 4);
    d.ack = get32(l4 + 8);
    d.tcp_flags = l4[13];
    d.payload = static_cast<uint32_t>(l4_len - 20);
    d.l4_checksum_ok = sums_to_ffff(pseudo + word_sum(l4, l4_len));
  } else if (d.proto == 17) {
    if (l4_len < 8 || get16(l4 + 4) != l4_len) {
      return std::nullopt;
    }
    d.sport = get16(l4);
    d.dport = get16(l4 + 2);
    d.payload = static_cast<uint32_t>(l4_len - 8);
    d.l4_checksum_ok = get16(l4 + 6) != 0 && sums_to_ffff(pseudo + word_sum(l4, l4_len));
  } else if (d.proto == 1 || d.proto == 58) {
    if (l4_len < 8) {
      return std::nullopt;
    }
    d.icmp_type = l4[0];
    d.icmp_id = get16(l4 + 4);
    d.icmp_seq = get16(l4 + 6);
    d.payload = static_cast<uint32_t>(l4_len - 8);
    d.l4_checksum_ok = sums_to_ffff((d.proto == 58 ? pseudo : 0) + word_sum(l4, l4_len));
  } else {
    return std::nullopt;
  }
  return d;
}

/// A packet taken out of a source (its bytes copied: RawPacket::data lives one call).
struct Captured {
  int64_t ts_ns = 0;
  uint16_t link_type = 0;
  uint32_t orig_len = 0;
  uint64_t number = 0;
  std::vector<uint8_t> bytes;
};

}  // namespace egress::test
