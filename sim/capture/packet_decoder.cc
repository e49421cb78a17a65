// Decoding is on the replay hot path: a few tens of nanoseconds per packet. Nothing here
// allocates per packet, and every read is checked against the captured length first.
#include "egress/capture/packet_decoder.h"

#include <algorithm>
#include <vector>

namespace egress {
namespace {

constexpr uint16_t kEthertypeIpv4 = 0x0800;
constexpr uint16_t kEthertypeArp = 0x0806;
constexpr uint16_t kEthertypeRarp = 0x8035;
constexpr uint16_t kEthertypeIpv6 = 0x86DD;
constexpr uint16_t kEthertypeVlan = 0x8100;
constexpr uint16_t kEthertypeQinq = 0x88A8;
constexpr uint16_t kEthertypeQinqOld = 0x9100;
// Not an ethertype: what a loopback address family we do not know maps to.
constexpr uint16_t kEthertypeNone = 0;

constexpr uint8_t kProtoHopByHop = 0;
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoRouting = 43;
constexpr uint8_t kProtoFragment = 44;
constexpr uint8_t kProtoAh = 51;
constexpr uint8_t kProtoIcmpv6 = 58;
constexpr uint8_t kProtoDestOptions = 60;

constexpr size_t kTcpHeader = 20;
constexpr size_t kUdpHeader = 8;
constexpr size_t kIcmpHeader = 8;

constexpr uint16_t kNflogPayload = 9;  // NFULA_PAYLOAD
// NFLOG attribute types carry two flag bits (NLA_F_NESTED, NLA_F_NET_BYTEORDER) on top.
constexpr uint16_t kNflogTypeMask = 0x3FFF;

// A key may live in this many consecutive slots; a power of two divides the table.
constexpr size_t kFragmentProbe = 8;
static_assert((kFragmentTableSize & (kFragmentTableSize - 1)) == 0);
static_assert(kFragmentTableSize % kFragmentProbe == 0);

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint64_t be64(const uint8_t* p) {
  return (uint64_t{be32(p)} << 32) | be32(p + 4);
}
uint16_t le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t le32(const uint8_t* p) {
  return (uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
}

// BSD address families as the loopback header holds them: AF_INET6 differs between BSDs
// (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS); 10 is Linux, seen in NFLOG.
uint16_t ethertype_of_family(uint32_t family) {
  switch (family) {
    case 2:
      return kEthertypeIpv4;
    case 10:
    case 24:
    case 28:
    case 30:
      return kEthertypeIpv6;
    default:
      return kEthertypeNone;
  }
}

// An IP header and the extension headers after it, as far as decoding needs them.
// The addresses are kept as words, not IpAddress: copying an IpAddress made a moment before
// reads it back as a 16-byte word over a byte store and an 8-byte one, which the store buffer
// cannot forward (a stall of some 15 cycles, the largest part of decode()'s time).
struct IpInfo {
  bool v6 = false;
  uint64_t src_hi = 0;
  uint64_t src_lo = 0;
  uint64_t dst_hi = 0;
  uint64_t dst_lo = 0;
  IpAddress src() const {
    return v6 ? IpAddress::v6(src_hi, src_lo) : IpAddress::v4(static_cast<uint32_t>(src_lo));
  }
  IpAddress dst() const {
    return v6 ? IpAddress::v6(dst_hi, dst_lo) : IpAddress::v4(static_cast<uint32_t>(dst_lo));
  }
  uint8_t proto = 0;      // upper-layer protocol; for a later fragment, the fragment's
  size_t l4_offset = 0;   // first byte after the IP headers
  size_t stated_end = 0;  // end of the datagram as its length field says
  bool fragment = false;
  bool first_fragment = false;
  uint8_t fragment_proto = 0;  // the protocol the fragment table keys on
  uint32_t fragment_id = 0;
};

// Bytes [0, limit) may be read; a header that needs more is cut short. `cut_by_capture` says
// whether the capture (snaplen) or the packet itself ended there.
struct Bounds {
  size_t limit = 0;
  bool cut_by_capture = false;
  PacketKind short_kind() const {
    return cut_by_capture ? PacketKind::kTruncated : PacketKind::kMalformed;
  }
};

// Parses the IP header at `off`. `quoted` is for the packet inside an ICMP error, whose
// length fields describe the original packet, not the few bytes quoted: it is bounded by
// `outer` only. Returns kIp or why the packet cannot be used. Always inlined: its IpInfo then
// stays in registers, not written to the stack and read back.
[[gnu::always_inline]] inline PacketKind parse_ip(std::span<const uint8_t> data, size_t off,
                                                  uint8_t version, bool quoted, Bounds outer,
                                                  IpInfo& ip, Bounds& bounds) {
  const uint8_t* d = data.data();
  bounds = outer;
  if (version == 4) {
    if (off + 20 > outer.limit) {
      return outer.short_kind();
    }
    const size_t header = size_t{d[off] & 0x0FU} * 4;
    if ((d[off] >> 4) != 4 || header < 20) {
      return PacketKind::kMalformed;
    }
    if (!quoted) {
      const size_t total = be16(d + off + 2);
      if (total != 0 && total < header) {
        return PacketKind::kMalformed;
      }
      // Length 0 is what segmentation offload leaves in captures: the captured bytes stand.
      ip.stated_end = total == 0 ? std::max(off + header, outer.limit) : off + total;
      if (ip.stated_end < outer.limit) {
        bounds = Bounds{ip.stated_end, false};
      }
    } else {
      ip.stated_end = outer.limit;
    }
    if (off + header > bounds.limit) {
      return bounds.short_kind();
    }
    ip.v6 = false;
    ip.src_lo = be32(d + off + 12);
    ip.dst_lo = be32(d + off + 16);
    ip.proto = d[off + 9];
    ip.l4_offset = off + header;
    const uint16_t frag = be16(d + off + 6);
    const bool more = (frag & 0x2000U) != 0;
    const uint16_t frag_offset = frag & 0x1FFFU;
    ip.fragment = more || frag_offset != 0;
    ip.first_fragment = ip.fragment && frag_offset == 0;
    ip.fragment_proto = ip.proto;
    ip.fragment_id = be16(d + off + 4);
    return PacketKind::kIp;
  }

  if (off + 40 > outer.limit) {
    return outer.short_kind();
  }
  if ((d[off] >> 4) != 6) {
    return PacketKind::kMalformed;
  }
  if (!quoted) {
    const size_t payload = be16(d + off + 4);
    // Payload length 0: a jumbogram or segmentation offload; the capture's length stands.
    ip.stated_end = payload == 0 ? std::max<size_t>(off + 40, outer.limit) : off + 40 + payload;
    if (ip.stated_end < outer.limit) {
      bounds = Bounds{ip.stated_end, false};
    }
  } else {
    ip.stated_end = outer.limit;
  }
  ip.v6 = true;
  ip.src_hi = be64(d + off + 8);
  ip.src_lo = be64(d + off + 16);
  ip.dst_hi = be64(d + off + 24);
  ip.dst_lo = be64(d + off + 32);
  uint8_t next = d[off + 6];
  size_t p = off + 40;
  // Each extension header is at least 8 bytes long and must be readable, so this ends.
  for (;;) {
    if (next == kProtoHopByHop || next == kProtoRouting || next == kProtoDestOptions ||
        next == kProtoAh) {
      if (p + 2 > bounds.limit) {
        return bounds.short_kind();
      }
      const size_t length =
          next == kProtoAh ? (size_t{d[p + 1]} + 2) * 4 : (size_t{d[p + 1]} + 1) * 8;
      next = d[p];
      p += length;
      continue;
    }
    if (next == kProtoFragment) {
      if (p + 8 > bounds.limit) {
        return bounds.short_kind();
      }
      const uint16_t frag = be16(d + p + 2);
      const uint16_t frag_offset = frag >> 3;
      const bool more = (frag & 1U) != 0;
      next = d[p];
      p += 8;
      if (more || frag_offset != 0) {
        ip.fragment = true;
        ip.first_fragment = frag_offset == 0;
        ip.fragment_proto = next;
        ip.fragment_id = be32(d + p - 4);
        if (frag_offset != 0) {
          break;  // the headers after this one are in the first fragment
        }
      }
      continue;
    }
    break;
  }
  ip.proto = next;
  ip.l4_offset = p;
  return PacketKind::kIp;
}

bool is_icmp_error(uint8_t version, uint8_t type) {
  if (version == 4) {
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
  }
  return type >= 1 && type <= 4;
}

bool is_icmp_echo(uint8_t version, uint8_t type) {
  return version == 4 ? (type == 0 || type == 8) : (type == 128 || type == 129);
}

// The flow an ICMP error quotes, from the IP header at `off`: kIp and `key`, or the kind.
PacketKind quoted_flow(std::span<const uint8_t> data, size_t off, uint8_t version, Bounds bounds,
                       FlowKey& key) {
  // A quote cut short by the router is normal (RFC 792 quotes 8 bytes); one cut by the
  // capture is a truncated packet.
  const PacketKind short_kind =
      bounds.cut_by_capture ? PacketKind::kTruncated : PacketKind::kIcmpOther;
  if (off >= bounds.limit) {
    return short_kind;
  }
  if ((data[off] >> 4) != version) {
    return PacketKind::kIcmpOther;
  }
  IpInfo ip;
  Bounds inner;
  PacketKind kind = parse_ip(data, off, version, true, bounds, ip, inner);
  if (kind != PacketKind::kIp) {
    return kind == PacketKind::kTruncated ? kind : PacketKind::kIcmpOther;
  }
  if (ip.fragment && !ip.first_fragment) {
    return PacketKind::kIcmpOther;
  }
  const uint8_t* d = data.data();
  const size_t l4 = ip.l4_offset;
  key.src = ip.src();
  key.dst = ip.dst();
  if (ip.proto == kProtoTcp || ip.proto == kProtoUdp) {
    if (l4 + 4 > bounds.limit) {
      return short_kind;
    }
    key.proto = ip.proto == kProtoTcp ? Protocol::kTcp : Protocol::kUdp;
    key.sport = be16(d + l4);
    key.dport = be16(d + l4 + 2);
    return PacketKind::kIp;
  }
  if (ip.proto == (version == 4 ? kProtoIcmp : kProtoIcmpv6)) {
    if (l4 + 6 > bounds.limit) {
      return short_kind;
    }
    if (!is_icmp_echo(version, d[l4])) {
      return PacketKind::kIcmpOther;
    }
    key.proto = Protocol::kIcmp;
    key.sport = key.dport = be16(d + l4 + 4);
    return PacketKind::kIp;
  }
  return PacketKind::kIcmpOther;
}

struct FragmentSlot {
  bool used = false;
  uint8_t proto = 0;
  bool icmp_error = false;
  uint32_t id = 0;
  int64_t ts_ns = 0;
  IpAddress src;
  IpAddress dst;
  FlowKey key;
};

}  // namespace

const char* to_string(PacketKind k) {
  switch (k) {
    case PacketKind::kIp:
      return "ip";
    case PacketKind::kArp:
      return "arp";
    case PacketKind::kOtherEthertype:
      return "other-ethertype";
    case PacketKind::kUnknownLinkType:
      return "unknown-link-type";
    case PacketKind::kOtherProtocol:
      return "other-protocol";
    case PacketKind::kIcmpOther:
      return "icmp-other";
    case PacketKind::kFragmentOrphan:
      return "fragment-orphan";
    case PacketKind::kTruncated:
      return "truncated";
    case PacketKind::kMalformed:
      return "malformed";
  }
  return "?";
}

struct PacketDecoder::Impl {
  // Allocated at the first fragment: most captures have none.
  std::vector<FragmentSlot> slots;
  size_t used = 0;

  static size_t window(const IpInfo& ip) {
    uint64_t h = ip.src_lo * 0x9E3779B97F4A7C15ULL;
    h ^= ip.src_hi + 0x632BE59BD9B4E019ULL + (h << 6) + (h >> 2);
    h ^= ip.dst_lo * 0xC2B2AE3D27D4EB4FULL;
    h ^= ip.dst_hi + (h << 6) + (h >> 2);
    h ^= (uint64_t{ip.fragment_id} << 8 | ip.fragment_proto) * 0x165667B19E3779F9ULL;
    h ^= h >> 29;
    return static_cast<size_t>(h % (kFragmentTableSize / kFragmentProbe)) * kFragmentProbe;
  }

  static bool matches(const FragmentSlot& s, const IpInfo& ip) {
    return s.used && s.id == ip.fragment_id && s.proto == ip.fragment_proto && s.src == ip.src() &&
           s.dst == ip.dst();
  }

  void remember(const IpInfo& ip, int64_t ts_ns, const FlowKey& key, bool icmp_error) {
    if (slots.empty()) {
      slots.resize(kFragmentTableSize);
    }
    const size_t base = window(ip);
    FragmentSlot* target = nullptr;
    for (size_t i = 0; i < kFragmentProbe; ++i) {
      FragmentSlot& s = slots[base + i];
      if (matches(s, ip)) {
        target = &s;
        break;
      }
      if (!s.used) {
        if (target == nullptr || target->used) {
          target = &s;
        }
      } else if (target == nullptr || (target->used && s.ts_ns < target->ts_ns)) {
        target = &s;
      }
    }
    if (!target->used) {
      ++used;
    }
    target->used = true;
    target->proto = ip.fragment_proto;
    target->id = ip.fragment_id;
    target->src = ip.src();
    target->dst = ip.dst();
    target->ts_ns = ts_ns;
    target->key = key;
    target->icmp_error = icmp_error;
  }

  const FragmentSlot* find(const IpInfo& ip, int64_t ts_ns) const {
    if (slots.empty()) {
      return nullptr;
    }
    const size_t base = window(ip);
    for (size_t i = 0; i < kFragmentProbe; ++i) {
      const FragmentSlot& s = slots[base + i];
      if (matches(s, ip)) {
        return ts_ns - s.ts_ns > kFragmentTimeoutNs ? nullptr : &s;
      }
    }
    return nullptr;
  }
};

PacketDecoder::PacketDecoder() : impl_(std::make_unique<Impl>()) {}
PacketDecoder::~PacketDecoder() = default;
PacketDecoder::PacketDecoder(PacketDecoder&&) noexcept = default;
PacketDecoder& PacketDecoder::operator=(PacketDecoder&&) noexcept = default;

size_t PacketDecoder::fragment_entries() const {
  return impl_->used;
}

DecodedPacket PacketDecoder::decode(const RawPacket& packet) {
  DecodedPacket out;
  const std::span<const uint8_t> data = packet.data;
  const uint8_t* d = data.data();
  const size_t size = data.size();
  // Running out of captured bytes is truncation when the capture kept less than the wire
  // carried, and a malformed packet when the packet itself was that short.
  const Bounds whole{size, size < packet.orig_len};
  // Every return names `out`, so that it is built in the caller's place (NRVO): a copy out
  // of a local read it back as 16-byte words over the byte stores that had just made it, a
  // store-forwarding stall each.
  auto short_packet = [&]() { out.kind = whole.short_kind(); };

  uint16_t ethertype = kEthertypeNone;
  size_t off = 0;
  switch (packet.link_type) {
    case kLinkEthernet:
      if (size < 14) {
        short_packet();
        return out;
      }
      ethertype = be16(d + 12);
      off = 14;
      break;
    case kLinkLinuxSll:
      if (size < 16) {
        short_packet();
        return out;
      }
      ethertype = be16(d + 14);
      off = 16;
      break;
    case kLinkLinuxSll2:
      if (size < 20) {
        short_packet();
        return out;
      }
      ethertype = be16(d);
      off = 20;
      break;
    case kLinkNull: {
      if (size < 4) {
        short_packet();
        return out;
      }
      // Written in the host byte order of the capturing machine: families are small
      // numbers, so a value above 0xFFFF is the other byte order.
      uint32_t family = le32(d);
      if (family > 0xFFFF) {
        family = be32(d);
      }
      ethertype = ethertype_of_family(family);
      off = 4;
      break;
    }
    case kLinkLoop:
      if (size < 4) {
        short_packet();
        return out;
      }
      ethertype = ethertype_of_family(be32(d));
      off = 4;
      break;
    case kLinkRaw:
    case kLinkIpv4:
    case kLinkIpv6: {
      if (size < 1) {
        short_packet();
        return out;
      }
      const uint8_t version = d[0] >> 4;
      if ((version != 4 && version != 6) || (packet.link_type == kLinkIpv4 && version != 4) ||
          (packet.link_type == kLinkIpv6 && version != 6)) {
        out.kind = PacketKind::kMalformed;
        return out;
      }
      ethertype = version == 4 ? kEthertypeIpv4 : kEthertypeIpv6;
      break;
    }
    case kLinkNflog: {
      // Header: family (u8), version (u8), resource id (u16 BE). Then TLVs whose length
      // (which counts the 4-byte TLV header) and type are in host byte order, padded to 4.
      if (size < 4) {
        short_packet();
        return out;
      }
      size_t p = 4;
      bool found = false;
      while (p + 4 <= size) {
        const size_t length = le16(d + p);
        const uint16_t type = le16(d + p + 2) & kNflogTypeMask;
        if (length < 4) {
          out.kind = PacketKind::kMalformed;
          return out;
        }
        if (type == kNflogPayload) {
          off = p + 4;
          found = true;
          break;
        }
        p += (length + 3) & ~size_t{3};
      }
      if (!found || off >= size) {
        short_packet();
        return out;
      }
      const uint8_t version = d[off] >> 4;
      ethertype = version == 4 ? kEthertypeIpv4 : version == 6 ? kEthertypeIpv6 : kEthertypeNone;
      if (ethertype == kEthertypeNone) {
        out.kind = PacketKind::kMalformed;
        return out;
      }
      break;
    }
    default:
      out.kind = PacketKind::kUnknownLinkType;
      return out;
  }

  if (packet.link_type == kLinkEthernet || packet.link_type == kLinkLinuxSll ||
      packet.link_type == kLinkLinuxSll2) {
    // 802.1Q, 802.1ad and the pre-standard 0x9100: each tag is 2 bytes of TCI and the next
    // ethertype. The loop ends because every tag consumes 4 readable bytes.
    while (ethertype == kEthertypeVlan || ethertype == kEthertypeQinq ||
           ethertype == kEthertypeQinqOld) {
      if (off + 4 > size) {
        short_packet();
        return out;
      }
      ethertype = be16(d + off + 2);
      off += 4;
    }
  }

  uint8_t version = 0;
  switch (ethertype) {
    case kEthertypeIpv4:
      version = 4;
      break;
    case kEthertypeIpv6:
      version = 6;
      break;
    case kEthertypeArp:
    case kEthertypeRarp:
      out.kind = PacketKind::kArp;
      return out;
    default:
      out.kind = PacketKind::kOtherEthertype;
      return out;
  }

  IpInfo ip;
  Bounds bounds;
  out.kind = parse_ip(data, off, version, false, whole, ip, bounds);
  if (out.kind != PacketKind::kIp) {
    return out;
  }
  out.ip_version = version;
  out.l3_offset = static_cast<uint32_t>(off);
  out.fragment = ip.fragment;
  out.first_fragment = ip.first_fragment;
  if (ip.l4_offset > ip.stated_end) {
    out.kind = PacketKind::kMalformed;
    return out;
  }
  const uint32_t l4_length = static_cast<uint32_t>(ip.stated_end - ip.l4_offset);
  const uint8_t icmp_proto = version == 4 ? kProtoIcmp : kProtoIcmpv6;

  if (ip.fragment && !ip.first_fragment) {
    if (ip.proto != kProtoTcp && ip.proto != kProtoUdp && ip.proto != icmp_proto && version == 4) {
      out.kind = PacketKind::kOtherProtocol;
      return out;
    }
    const FragmentSlot* first = impl_->find(ip, packet.ts_ns);
    if (first == nullptr) {
      out.kind = PacketKind::kFragmentOrphan;
      return out;
    }
    out.key = first->key;
    out.icmp_error = first->icmp_error;
    out.l4_length = l4_length;
    return out;
  }

  const size_t l4 = ip.l4_offset;
  // Written in place, for the same reason as `out`; a packet that turns out unusable leaves
  // out.key empty.
  FlowKey& key = out.key;
  auto unusable = [&](PacketKind kind) {
    out.kind = kind;
    key = FlowKey{};
  };
  key.src = ip.src();
  key.dst = ip.dst();
  if (ip.proto == kProtoTcp) {
    if (l4 + kTcpHeader > bounds.limit) {
      unusable(bounds.short_kind());
      return out;
    }
    key.proto = Protocol::kTcp;
    key.sport = be16(d + l4);
    key.dport = be16(d + l4 + 2);
    out.tcp_flags = d[l4 + 13];
    const size_t data_offset = static_cast<size_t>(d[l4 + 12] >> 4) * 4;
    if (data_offset >= kTcpHeader && l4 + data_offset <= bounds.limit) {
      out.payload_offset = static_cast<uint32_t>(l4 + data_offset);
      out.payload_length = static_cast<uint32_t>(bounds.limit - l4 - data_offset);
    }
  } else if (ip.proto == kProtoUdp) {
    if (l4 + kUdpHeader > bounds.limit) {
      unusable(bounds.short_kind());
      return out;
    }
    key.proto = Protocol::kUdp;
    key.sport = be16(d + l4);
    key.dport = be16(d + l4 + 2);
    out.payload_offset = static_cast<uint32_t>(l4 + kUdpHeader);
    out.payload_length = static_cast<uint32_t>(bounds.limit - l4 - kUdpHeader);
  } else if (ip.proto == icmp_proto) {
    if (l4 + kIcmpHeader > bounds.limit) {
      unusable(bounds.short_kind());
      return out;
    }
    const uint8_t type = d[l4];
    key.proto = Protocol::kIcmp;
    if (is_icmp_echo(version, type)) {
      key.sport = key.dport = be16(d + l4 + 4);
    } else if (is_icmp_error(version, type)) {
      const PacketKind quoted = quoted_flow(data, l4 + kIcmpHeader, version, bounds, key);
      if (quoted != PacketKind::kIp) {
        unusable(quoted);
        return out;
      }
      out.icmp_error = true;
      out.inner_l3_offset = static_cast<uint32_t>(l4 + kIcmpHeader);
    } else {
      unusable(PacketKind::kIcmpOther);
      return out;
    }
  } else {
    unusable(PacketKind::kOtherProtocol);
    return out;
  }
  out.l4_offset = static_cast<uint32_t>(l4);
  out.l4_length = l4_length;
  if (ip.first_fragment) {
    impl_->remember(ip, packet.ts_ns, out.key, out.icmp_error);
  }
  return out;
}

}  // namespace egress
