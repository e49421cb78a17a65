// Packets written as a pcap file (libpcap's savefile writer, nanosecond precision) to a stream
// the caller opens and closes: the command line decides where output goes (a file renamed
// into place when complete, or standard output), this only writes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "egress/capture/raw_packet.h"
#include "egress/util/result.h"

struct pcap;

namespace egress {

/// Writes pcap to a `std::FILE*` it does not own. The file's link type is that of the first
/// packet written, stored as its LINKTYPE_ value whatever libpcap calls it (LINKTYPE_RAW 101,
/// not DLT_RAW). A later packet of another link type is written with a header of the file's
/// link type in place of its own (reframed(): only what readers need to find the IP header,
/// addresses zeroed; tshark reads every combination). A packet that no header of the file's
/// link type can carry (IPv6 in a LINKTYPE_IPV4 file, a packet that is not IP) is left out and
/// counted in skipped().
///
/// Errors (`code` "pcap-write", `where.file` the name given): libpcap refusing the link type,
/// a timestamp pcap cannot hold (before 1970, after 2038-01-19T03:14:07Z), a failed write. After
/// the first error nothing more is written and write() returns false; finish() returns it.
///
/// Records are passed on to the file a megabyte at a time by a thread of the writer's own, so
/// that the caller goes on while the kernel copies (and, on tmpfs, first allocates) the pages.
/// A failed write shows at a later write() or at finish(). Not thread-safe: one caller.
class PcapWriter {
 public:
  /// `name` stands for the file in messages (`o.pcap`, `<stdout>`). Nothing is written until
  /// the first packet or finish().
  PcapWriter(std::FILE* file, std::string name);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  /// Writes `bytes` (the packet's data, rewritten or not) with `packet`'s timestamp, original
  /// length and link type. `l3_offset` and `ip_version` (4 or 6; 0 when not IP) say where its
  /// IP header starts, for reframing. False once there is an error.
  bool write(const RawPacket& packet, std::span<const uint8_t> bytes, uint32_t l3_offset,
             uint8_t ip_version);
  /// The same for the packet's own bytes.
  bool write(const RawPacket& packet, uint32_t l3_offset = 0, uint8_t ip_version = 0) {
    return write(packet, packet.data, l3_offset, ip_version);
  }

  /// Writes the file header if no packet came (link type `empty_link_type`), and flushes
  /// everything into the caller's file (fflush on it too, so write errors show here). The
  /// number of packets written, or the first error. Call once; the file stays open.
  Result<uint64_t> finish(uint16_t empty_link_type = kLinkEthernet);

  uint64_t written() const { return written_; }
  uint64_t reframed() const { return reframed_; }
  uint64_t skipped() const { return skipped_; }
  /// The file's link type; 0 before the first packet.
  uint16_t link_type() const { return link_type_; }
  const std::optional<Diagnostic>& error() const { return error_; }

 private:
  bool start(uint16_t link_type);
  bool fail(std::string message);
  // Hands the buffer to the background thread; false (and error()) once a write failed.
  bool flush_out();
  void append_record(int64_t seconds, int64_t fraction, uint32_t caplen, uint32_t len,
                     const void* data);

  struct Background;

  std::FILE* file_;
  std::string name_;
  std::unique_ptr<Background> background_;  // started by the first full buffer
  pcap* dead_ = nullptr;                    // libpcap's view of the link type, for the file header
  std::vector<char> out_;                   // records not yet passed on to file_
  uint16_t link_type_ = 0;
  bool started_ = false;
  bool finished_ = false;
  uint64_t written_ = 0;
  uint64_t reframed_ = 0;
  uint64_t skipped_ = 0;
  std::string frame_;  // a reframed packet, reused
  std::optional<Diagnostic> error_;
};

}  // namespace egress
