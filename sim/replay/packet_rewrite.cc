#include "egress/replay/packet_rewrite.h"

#include <array>

namespace egress {
namespace {

uint16_t load16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
void store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').
uint16_t adjusted(uint16_t checksum, uint16_t old_word, uint16_t new_word) {
  uint32_t sum = static_cast<uint16_t>(~checksum) + static_cast<uint16_t>(~old_word) + new_word;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// The checksum fields one replacement must keep right: offsets into the packet (none when
// outside the captured bytes), and whether zero means "no checksum" (UDP over IPv4).
// A checksum may lie inside what another covers (a quoted header's checksums inside the ICMP
// message): then its own change is carried into that one (`inside`, -1 for none).
struct Checksums {
  std::array<uint32_t, 3> at{};
  std::array<bool, 3> zero_is_none{};
  std::array<int, 3> inside{-1, -1, -1};
  int count = 0;
  int add(uint32_t offset, size_t size, bool zero_none, int within = -1) {
    if (offset + 2 > size || count == 3) {
      return -1;
    }
    at[count] = offset;
    zero_is_none[count] = zero_none;
    inside[count] = within;
    return count++;
  }
};

void adjust_field(std::span<uint8_t> bytes, const Checksums& sums, int c, uint16_t old_word,
                  uint16_t new_word) {
  uint8_t* q = bytes.data() + sums.at[c];
  uint16_t cur = load16(q);
  if (sums.zero_is_none[c] && cur == 0) {
    return;
  }
  uint16_t next = adjusted(cur, old_word, new_word);
  if (sums.zero_is_none[c] && next == 0) {
    next = 0xffff;  // RFC 768: a computed zero is sent as all ones
  }
  store16(q, next);
  if (sums.inside[c] >= 0) {
    adjust_field(bytes, sums, sums.inside[c], cur, next);
  }
}

// Replaces the bytes at `offset` with `value` word by word, adjusting each checksum.
void replace(std::span<uint8_t> bytes, uint32_t offset, std::span<const uint8_t> value,
             const Checksums& sums) {
  if (offset + value.size() > bytes.size()) {
    return;
  }
  for (size_t i = 0; i + 1 < value.size(); i += 2) {
    uint8_t* p = bytes.data() + offset + i;
    uint16_t old_word = load16(p);
    uint16_t new_word = static_cast<uint16_t>(value[i] << 8 | value[i + 1]);
    for (int c = 0; c < sums.count; ++c) {
      adjust_field(bytes, sums, c, old_word, new_word);
    }
    store16(p, new_word);
  }
}

// An address in network byte order, without allocating: this runs for every packet.
struct AddressBytes {
  std::array<uint8_t, 16> bytes{};
  size_t size = 0;
  std::span<const uint8_t> view() const { return {bytes.data(), size}; }
};

AddressBytes address_bytes(const IpAddress& ip) {
  AddressBytes out;
  if (ip.is_v4()) {
    uint32_t v = ip.v4_bits();
    for (int s = 24; s >= 0; s -= 8) {
      out.bytes[out.size++] = static_cast<uint8_t>(v >> s);
    }
  } else {
    for (uint64_t half : {ip.hi(), ip.lo()}) {
      for (int s = 56; s >= 0; s -= 8) {
        out.bytes[out.size++] = static_cast<uint8_t>(half >> s);
      }
    }
  }
  return out;
}

// Where the transport checksum of a header at `l4` sits, for protocol `proto`.
void add_transport_checksum(Checksums& sums, const DecodedPacket& d, uint32_t l4, size_t size,
                            bool icmp_covers_addresses) {
  switch (d.key.proto) {
    case Protocol::kTcp:
      sums.add(l4 + 16, size, false);
      break;
    case Protocol::kUdp:
      sums.add(l4 + 6, size, d.ip_version == 4);
      break;
    case Protocol::kIcmp:
      // ICMPv6 sums a pseudo-header with the addresses; ICMPv4 does not.
      if (icmp_covers_addresses) {
        sums.add(l4 + 2, size, false);
      }
      break;
  }
}

bool rewrite(std::span<uint8_t> bytes, const DecodedPacket& d, const IpAddress& ip,
             std::optional<uint16_t> port, bool source) {
  if (d.kind != PacketKind::kIp || (ip.is_v4() ? 4 : 6) != d.ip_version) {
    return false;
  }
  const size_t size = bytes.size();
  const bool v4 = d.ip_version == 4;
  const uint32_t l3 = d.l3_offset;
  const uint32_t address_at = l3 + (v4 ? (source ? 12 : 16) : (source ? 8 : 24));
  const AddressBytes address = address_bytes(ip);
  const bool transport = d.l4_offset != 0 && !(d.fragment && !d.first_fragment);

  // The ICMP error's quoted packet travelled the other way: its source is our destination.
  const bool quoted = d.icmp_error && !source && transport && d.inner_l3_offset != 0;

  Checksums outer;
  if (v4) {
    outer.add(l3 + 10, size, false);
  }
  if (transport && d.icmp_error) {
    if (!v4) {
      outer.add(d.l4_offset + 2, size, false);  // ICMPv6 sums the outer addresses too
    }
  } else if (transport) {
    add_transport_checksum(outer, d, d.l4_offset, size, !v4);
  }
  replace(bytes, address_at, address.view(), outer);

  if (port && transport && d.key.proto != Protocol::kIcmp && !d.icmp_error) {
    Checksums sums;
    add_transport_checksum(sums, d, d.l4_offset, size, !v4);
    std::array<uint8_t, 2> p{static_cast<uint8_t>(*port >> 8), static_cast<uint8_t>(*port)};
    replace(bytes, d.l4_offset + (source ? 0 : 2), p, sums);
  }

  if (quoted) {
    // The quoted header: its source address and port; the ICMP checksum covers all of it,
    // the quoted IPv4 header checksum its header, and the quoted transport checksum (when
    // quoted at all) its pseudo-header and ports.
    const uint32_t in3 = d.inner_l3_offset;
    const uint32_t icmp_sum = d.l4_offset + 2;
    const uint32_t in_address = in3 + (v4 ? 12 : 8);
    const uint32_t in_header = v4 && in3 < size ? (bytes[in3] & 0x0fU) * 4U : 40U;
    const uint32_t in4 = in3 + in_header;
    Checksums sums;
    int icmp = sums.add(icmp_sum, size, false);
    if (v4) {
      sums.add(in3 + 10, size, false, icmp);
    }
    if (d.key.proto == Protocol::kTcp) {
      sums.add(in4 + 16, size, false, icmp);
    } else if (d.key.proto == Protocol::kUdp) {
      sums.add(in4 + 6, size, v4, icmp);
    }
    replace(bytes, in_address, address.view(), sums);
    if (port && d.key.proto != Protocol::kIcmp) {
      Checksums port_sums;
      int outer_icmp = port_sums.add(icmp_sum, size, false);
      if (d.key.proto == Protocol::kTcp) {
        port_sums.add(in4 + 16, size, false, outer_icmp);
      } else {
        port_sums.add(in4 + 6, size, v4, outer_icmp);
      }
      std::array<uint8_t, 2> p{static_cast<uint8_t>(*port >> 8), static_cast<uint8_t>(*port)};
      replace(bytes, in4, p, port_sums);
    }
  }
  return true;
}

}  // namespace

bool rewrite_source(std::span<uint8_t> bytes, const DecodedPacket& packet, const IpAddress& ip,
                    std::optional<uint16_t> port) {
  return rewrite(bytes, packet, ip, port, true);
}

bool rewrite_destination(std::span<uint8_t> bytes, const DecodedPacket& packet, const IpAddress& ip,
                         std::optional<uint16_t> port) {
  return rewrite(bytes, packet, ip, port, false);
}

bool rewrite_ipv4_id(std::span<uint8_t> bytes, const DecodedPacket& packet, uint16_t id) {
  if (packet.kind != PacketKind::kIp || packet.ip_version != 4 ||
      packet.l3_offset + 12 > bytes.size()) {
    return false;
  }
  Checksums sums;
  sums.add(packet.l3_offset + 10, bytes.size(), false);
  std::array<uint8_t, 2> value{static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id)};
  replace(bytes, packet.l3_offset + 4, value, sums);
  return true;
}

bool rewrite_echo_id(std::span<uint8_t> bytes, const DecodedPacket& packet, uint16_t id) {
  const bool transport = packet.l4_offset != 0 && !(packet.fragment && !packet.first_fragment);
  if (packet.kind != PacketKind::kIp || packet.key.proto != Protocol::kIcmp || packet.icmp_error ||
      !transport || packet.l4_offset + 6 > bytes.size()) {
    return false;
  }
  // The ICMP checksum covers the identifier in both versions (ICMPv6 the addresses too).
  Checksums sums;
  sums.add(packet.l4_offset + 2, bytes.size(), false);
  std::array<uint8_t, 2> value{static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id)};
  replace(bytes, packet.l4_offset + 4, value, sums);
  return true;
}

uint16_t internet_checksum(std::span<const uint8_t> bytes, uint32_t initial) {
  uint64_t sum = initial;
  size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) {
    sum += load16(bytes.data() + i);
  }
  if (i < bytes.size()) {
    sum += static_cast<uint32_t>(bytes[i]) << 8;
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum);
}

}  // namespace egress
