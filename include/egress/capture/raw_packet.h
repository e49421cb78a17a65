// A packet as a capture holds it, before any decoding, and the sources that produce them in
// capture time: capture files (capture_reader.h), several merged (capture_merge.h), or the
// synthetic generator (egress/synth/synth.h). Replay consumes any of them alike.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "egress/util/result.h"

namespace egress {

/// Link-layer header types, by their LINKTYPE_ numbers (tcpdump.org/linktypes.html), which
/// is what pcap and pcapng files store.
enum LinkType : uint16_t {
  kLinkNull = 0,        // BSD loopback: 4-byte AF_ value in the writer's byte order
  kLinkEthernet = 1,    // with 802.1Q / 802.1ad tags
  kLinkRaw = 101,       // raw IPv4 or IPv6 (DLT_RAW is 12 or 14 on some systems)
  kLinkLinuxSll = 113,  // Linux cooked v1 (`tcpdump -i any`)
  kLinkLoop = 108,      // OpenBSD loopback: AF_ value in network byte order
  kLinkIpv4 = 228,
  kLinkIpv6 = 229,
  kLinkNflog = 239,      // Linux netfilter log: TLVs, the IP packet in NFULA_PAYLOAD
  kLinkLinuxSll2 = 276,  // Linux cooked v2
};

struct RawPacket {
  int64_t ts_ns = 0;              // capture time, nanoseconds since the Unix epoch
  uint16_t link_type = 0;         // LinkType value of the interface the packet came from
  uint32_t orig_len = 0;          // length on the wire; data may hold less (snaplen)
  std::span<const uint8_t> data;  // valid until the source's next call to next()
  uint32_t input = 0;             // index of the input it came from (capture files: argument order)
  uint64_t number = 0;            // 1-based packet number within that input
  uint64_t offset = 0;            // byte offset of its record in that input's file (0: unknown)
};

/// How far a source has read, for progress: `done` of `total` in the source's unit (bytes of
/// the capture files, or flows of generated traffic). `total` is 0 when unknown (a pipe).
struct SourcePosition {
  uint64_t done = 0;
  uint64_t total = 0;
};

/// Something that yields packets in capture time.
class PacketSource {
 public:
  virtual ~PacketSource() = default;

  /// Fills `out` and returns true, returns false at the end, or an error. Errors name the
  /// input and, for captures, the packet: `FILE: packet N (offset B): what`.
  virtual Result<bool> next(RawPacket& out) = 0;

  /// Problems that did not stop reading (a truncated last record, ...), in order found.
  virtual const std::vector<Diagnostic>& warnings() const = 0;

  /// How far reading has got; unknown by default.
  virtual SourcePosition position() const { return {}; }

  /// Asks the source to keep the bytes of the packets it hands out readable past its later
  /// calls, for pinned() to hand out: a threaded replay's batches then point into them instead
  /// of copying every packet. False (the default) when it cannot; a packet's bytes then live
  /// only until the next call. Call before the first next().
  virtual bool keep_packets() { return false; }
  /// After keep_packets() said true: the bytes of every packet handed out since the last call
  /// (or the start) stay readable while the handle lives.
  virtual std::shared_ptr<const void> pinned() { return nullptr; }
};

/// Calls `f` on every packet of `source` in order; false at the end, or the source's error.
template <class F>
Result<bool> for_each_packet(PacketSource& source, F&& f) {
  RawPacket packet;
  for (;;) {
    Result<bool> more = source.next(packet);
    if (!more.ok() || !*more) {
      return more;
    }
    f(packet);
  }
}

}  // namespace egress
