// NAT on packet bytes: what `--pcap-out` writes past the egress point. Addresses and ports are
// replaced in place and every checksum that covers them is updated incrementally (RFC 1624),
// so a packet whose checksums were right stays right and one that was wrong stays wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "egress/capture/packet_decoder.h"
#include "egress/net/ip_address.h"

namespace egress {

/// An outbound packet: source address (and, when given, source port) become the SNAT ones.
/// Returns false, changing nothing, when the address family differs from the packet's.
bool rewrite_source(std::span<uint8_t> bytes, const DecodedPacket& packet, const IpAddress& ip,
                    std::optional<uint16_t> port);

/// A reply: destination address (and port) become the SNAT ones. For an ICMP error, the
/// packet it quotes is rewritten too (its source), as a NAT does.
bool rewrite_destination(std::span<uint8_t> bytes, const DecodedPacket& packet, const IpAddress& ip,
                         std::optional<uint16_t> port);

/// The IPv4 identification field becomes `id` (a clone's fragments must not join the
/// original's datagram: replay --scale). Returns false, changing nothing, for IPv6.
bool rewrite_ipv4_id(std::span<uint8_t> bytes, const DecodedPacket& packet, uint16_t id);

/// An ICMP or ICMPv6 echo request or reply: its identifier (the flow's port) becomes `id`.
/// Returns false, changing nothing, for anything else or an echo cut before its identifier.
bool rewrite_echo_id(std::span<uint8_t> bytes, const DecodedPacket& packet, uint16_t id);

/// The Internet checksum of `bytes` (for tests and for building packets).
uint16_t internet_checksum(std::span<const uint8_t> bytes, uint32_t initial = 0);

}  // namespace egress
