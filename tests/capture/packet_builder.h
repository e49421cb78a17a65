// Builds packets and capture files byte by byte for the capture tests, so every malformed
// case is written next to the test that needs it (no binary fixtures to keep in step).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace egress::test {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
inline void put32_le(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}
inline void put16_le(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

inline Bytes ethernet(uint16_t ethertype, std::initializer_list<uint16_t> tags = {}) {
  Bytes b = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
  for (uint16_t tpid : tags) {
    put16(b, tpid);
    put16(b, 0x0064);  // VID 100
  }
  put16(b, ethertype);
  return b;
}

/// IPv4 header for `payload` bytes after it. `frag` is the flags/offset field.
inline Bytes ipv4(uint32_t src, uint32_t dst, uint8_t proto, size_t payload, uint16_t id = 1,
                  uint16_t frag = 0) {
  Bytes b = {0x45, 0};
  put16(b, static_cast<uint16_t>(20 + payload));
  put16(b, id);
  put16(b, frag);
  b.push_back(64);
  b.push_back(proto);
  put16(b, 0);
  put32(b, src);
  put32(b, dst);
  return b;
}

/// IPv6 header; `src` and `dst` are the last 16 bits of 2001:db8:: addresses.
inline Bytes ipv6(uint16_t src, uint16_t dst, uint8_t next, size_t payload) {
  Bytes b = {0x60, 0, 0, 0};
  put16(b, static_cast<uint16_t>(payload));
  b.push_back(next);
  b.push_back(64);
  for (uint16_t last : {src, dst}) {
    put32(b, 0x20010db8);
    put32(b, 0);
    put32(b, 0);
    put32(b, last);
  }
  return b;
}

/// An IPv6 extension header of 8 bytes (hop-by-hop, routing, destination options).
inline Bytes ext8(uint8_t next) {
  return {next, 0, 0, 0, 0, 0, 0, 0};
}
inline Bytes frag6(uint8_t next, uint16_t offset_units, bool more, uint32_t id) {
  Bytes b = {next, 0};
  put16(b, static_cast<uint16_t>((offset_units << 3) | (more ? 1 : 0)));
  put32(b, id);
  return b;
}

inline Bytes tcp(uint16_t sport, uint16_t dport, uint8_t flags = 0x02) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, 1000);
  put32(b, 0);
  b.push_back(0x50);
  b.push_back(flags);
  put16(b, 65535);
  put32(b, 0);
  return b;
}

inline Bytes udp(uint16_t sport, uint16_t dport, size_t payload = 0) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put16(b, static_cast<uint16_t>(8 + payload));
  put16(b, 0);
  return b;
}

/// ICMP or ICMPv6 header: type, code, checksum, then identifier and sequence (echo) or the
/// unused/MTU word (errors).
inline Bytes icmp(uint8_t type, uint16_t id = 0, uint8_t code = 0) {
  Bytes b = {type, code, 0, 0};
  put16(b, id);
  put16(b, 1);
  return b;
}

/// `ip` (an IPv4 or IPv6 packet) behind a header of `link_type` (LINKTYPE_ value) as the
/// capturing systems write it: NULL in little-endian host order, LOOP in network order,
/// NFLOG TLVs little-endian with the payload TLV padded to 4 bytes.
inline Bytes link_frame(uint16_t link_type, const Bytes& ip) {
  const bool v6 = !ip.empty() && (ip[0] >> 4) == 6;
  const uint16_t ethertype = v6 ? 0x86DD : 0x0800;
  Bytes b;
  switch (link_type) {
    case 1:  // Ethernet
      b = ethernet(ethertype);
      break;
    case 113: {  // Linux cooked v1: pkttype, ARPHRD_ETHER, address length 6, address
      b = {0, 0, 0, 1, 0, 6, 0x02, 0, 0, 0, 0, 1, 0, 0};
      put16(b, ethertype);
      break;
    }
    case 276: {  // Linux cooked v2: protocol, reserved, ifindex 3, ARPHRD_ETHER, outgoing
      put16(b, ethertype);
      b.insert(b.end(), {0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 0x02, 0, 0, 0, 0, 1, 0, 0});
      break;
    }
    case 0:  // BSD loopback, host (little-endian) order; AF_INET6 as macOS has it
      put32_le(b, v6 ? 30 : 2);
      break;
    case 108:  // OpenBSD loopback, network order
      put32(b, v6 ? 24 : 2);
      break;
    case 239: {  // NFLOG: family, version, resource id; a prefix TLV; the payload TLV
      b = {static_cast<uint8_t>(v6 ? 10 : 2), 0, 0, 1};
      put16_le(b, 8);
      put16_le(b, 10);  // NFULA_PREFIX
      b.insert(b.end(), {'e', 'g', 0, 0});
      put16_le(b, static_cast<uint16_t>(4 + ip.size()));
      put16_le(b, 9);  // NFULA_PAYLOAD
      b.insert(b.end(), ip.begin(), ip.end());
      b.resize(b.size() + (4 - ip.size() % 4) % 4, 0);
      return b;
    }
    default:  // raw IP: 101, 228, 229
      break;
  }
  b.insert(b.end(), ip.begin(), ip.end());
  return b;
}

struct Record {
  int64_t sec = 0;
  uint32_t frac = 0;  // us or ns, as the file says
  Bytes data;
  uint32_t orig_len = 0;  // 0: data.size()
};

/// A pcap file: `big_endian` writes the header and record headers in network order, `nano`
/// uses the nanosecond magic.
inline Bytes pcap_file(uint32_t linktype, const std::vector<Record>& records,
                       bool big_endian = false, bool nano = false, uint32_t snaplen = 65535) {
  Bytes b;
  auto p32 = [&](uint32_t v) { big_endian ? put32(b, v) : put32_le(b, v); };
  auto p16 = [&](uint16_t v) { big_endian ? put16(b, v) : put16_le(b, v); };
  p32(nano ? 0xa1b23c4d : 0xa1b2c3d4);
  p16(2);
  p16(4);
  p32(0);
  p32(0);
  p32(snaplen);
  p32(linktype);
  for (const Record& r : records) {
    p32(static_cast<uint32_t>(r.sec));
    p32(r.frac);
    p32(static_cast<uint32_t>(r.data.size()));
    p32(r.orig_len == 0 ? static_cast<uint32_t>(r.data.size()) : r.orig_len);
    b.insert(b.end(), r.data.begin(), r.data.end());
  }
  return b;
}

}  // namespace egress::test
