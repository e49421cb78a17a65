// From link-layer bytes to what the flow table needs: the 5-tuple, TCP flags, where the IP and
// transport headers sit (so replay can rewrite them), or why the packet cannot be used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "egress/capture/raw_packet.h"
#include "egress/engine/flow.h"

namespace egress {

/// What a packet is, for the summary's counts of packets that cannot be used. Only kIp
/// packets reach the flow table. The text forms (to_string) are the summary's keys.
enum class PacketKind : uint8_t {
  kIp,               // usable IPv4/IPv6 TCP, UDP, ICMP or ICMPv6
  kArp,              // arp (and RARP)
  kOtherEthertype,   // other-ethertype: LLDP, MPLS, ...
  kUnknownLinkType,  // unknown-link-type
  kOtherProtocol,    // other-protocol: GRE, ESP, SCTP, ... over IP
  kIcmpOther,        // icmp-other: ICMP that is neither echo nor an error quoting a flow
  kFragmentOrphan,   // fragment-orphan: a later fragment whose first fragment was not seen
  kTruncated,        // truncated: cut by the snaplen before the headers we need
  kMalformed,        // malformed: headers that contradict themselves (bad IHL, version, ...)
};
const char* to_string(PacketKind k);
inline constexpr int kPacketKindCount = 9;

struct DecodedPacket {
  PacketKind kind = PacketKind::kMalformed;
  /// The flow the packet belongs to, in the direction it travels. ICMP and ICMPv6 echo:
  /// sport = dport = identifier, proto kIcmp. For an ICMP error, the key of the packet it
  /// quotes (as that packet travelled) and icmp_error is set. Empty unless kind is kIp.
  FlowKey key;
  bool icmp_error = false;
  uint8_t ip_version = 0;       // 4 or 6
  uint8_t tcp_flags = 0;        // FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10 as in the TCP header
  bool fragment = false;        // part of a fragmented datagram
  bool first_fragment = false;  // offset 0 (the one that holds the ports)
  uint32_t l3_offset = 0;       // IP header, from the start of data
  uint32_t l4_offset = 0;       // TCP/UDP/ICMP header; 0 for a later fragment (no transport header)
  /// Transport header plus payload as the IP header states it (a later fragment: its part of
  /// the payload). A length field of 0 (segmentation offload) counts the captured bytes.
  uint32_t l4_length = 0;
  /// For an ICMP error: where the quoted IP header starts (its transport header follows).
  uint32_t inner_l3_offset = 0;
  /// TCP and UDP: the payload after the transport header, as far as it was captured and lies
  /// inside the datagram (Ethernet padding excluded); a first fragment's share of it. Length 0
  /// otherwise (ICMP, later fragments, a TCP data offset past the captured bytes).
  uint32_t payload_offset = 0;
  uint32_t payload_length = 0;
};

/// How long a first fragment's flow is remembered, in capture time (RFC 791 suggests 15 s
/// reassembly timers, Linux uses 30 s), and how many are remembered at most.
inline constexpr int64_t kFragmentTimeoutNs = 30'000'000'000;
inline constexpr size_t kFragmentTableSize = 1024;

/// Decodes packets one by one. It remembers the ports of first fragments (keyed by source,
/// destination, protocol and IP identification) for a bounded time so later fragments join
/// their flow; that state is all it keeps. When the table is full, the oldest entry of the
/// few slots a key may use is replaced. Not thread-safe; one per replay.
class PacketDecoder {
 public:
  PacketDecoder();
  ~PacketDecoder();
  PacketDecoder(PacketDecoder&&) noexcept;
  PacketDecoder& operator=(PacketDecoder&&) noexcept;

  /// Never fails: what cannot be used is a kind other than kIp.
  DecodedPacket decode(const RawPacket& packet);

  /// First fragments remembered now, expired ones included until they are replaced.
  size_t fragment_entries() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace egress
