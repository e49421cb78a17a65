// The host name a client names at the start of a TCP connection: the server_name of a TLS
// ClientHello (RFC 6066 section 3) or the Host of an HTTP/1.x request (RFC 9112 section 3.2).
// This is what Azure Firewall's application rules match FQDNs against when it does not
// terminate TLS (docs/azure-behaviour.md, "Host names of flows").
//
// Not covered, each giving "no host": QUIC (its Initial packets are encrypted, RFC 9001 5.2),
// Encrypted Client Hello (the outer ClientHello's server_name is a front, not the name),
// HTTP/2 without TLS (prior knowledge, RFC 9113 3.3: :authority sits in HPACK), and any
// protocol where the server speaks first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace egress {

/// How many bytes of a client's first payload are looked at, at most: one whole TLS record
/// (5-byte header, 2^14 bytes of plaintext, RFC 8446 5.1), which holds any ClientHello a
/// browser or TLS library sends today (post-quantum key shares make them ~1.8 KB, two TCP
/// segments). A request or ClientHello that names no host within this many bytes has none.
inline constexpr size_t kHostNameWindow = 5 + 16384;

/// Longest name accepted (RFC 1035 2.3.4: 255 octets in wire form, 253 written out).
inline constexpr size_t kMaxHostName = 253;

enum class HostNameStatus : uint8_t {
  kFound,     // `name` holds the host
  kNeedMore,  // a ClientHello or request so far: more bytes of the stream may name it
  kNone,      // not TLS or HTTP/1.x, malformed, or none named
};

enum class HostNameSource : uint8_t { kNone, kTlsSni, kHttpHost };

struct HostName {
  HostNameStatus status = HostNameStatus::kNone;
  HostNameSource source = HostNameSource::kNone;
  std::string name;  // lower case, no trailing dot, no port; empty unless kFound
};

/// The host named by `stream`, the first bytes a client sent on a connection, in order. Reads
/// only inside `stream` and at most kHostNameWindow bytes of it; never fails: what cannot be
/// read is kNone. Given more of the same stream, a kNeedMore answer may turn into either other.
HostName extract_host_name(std::span<const uint8_t> stream);

const char* to_string(HostNameSource source);  // "", "tls-sni", "http-host"

}  // namespace egress
