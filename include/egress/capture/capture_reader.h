// Capture files (pcap in both byte orders, micro- and nanosecond, read by our own parser where
// it can and libpcap otherwise; pcapng with several sections and interfaces through libpcap,
// and what libpcap refuses through a fallback reader), and several of them merged in capture
// time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "egress/capture/raw_packet.h"

namespace egress {

/// How messages name standard input, given as `-`.
inline constexpr const char* kStdinName = "<stdin>";

/// One capture file. Classic pcap of the usual kinds (version 2.4, the link types replay
/// decodes) is read by our own record parser, memory-mapped when it is a regular file and in
/// large reads from a stream, with libpcap's results and words; everything else by libpcap.
/// Errors: `FILE: what` for a file libpcap refuses, `FILE: packet N
/// (offset B): what` for a record it cannot read. A last record cut short by the end of the
/// file is a warning, not an error. In every Diagnostic, `where.file` is FILE and `message`
/// the rest (`packet N (offset B): what`), so format_diagnostic prints
/// `FILE: error: packet N (offset B): what`. Each packet carries the link type of its
/// interface: pcapng files whose interfaces have different link types, which libpcap 1.10
/// refuses, are read from where libpcap stopped by a strict pcapng reader of our own (per
/// section byte order and interface ids, if_tsresol and if_tsoffset, EPB/SPB/OPB); its
/// errors and warnings take the same form, B being the offset of the offending block (a
/// block cut short before any packet is an error there).
class CaptureReader final : public PacketSource {
 public:
  /// `-` reads standard input through open_stream, named kStdinName in messages.
  static Result<std::unique_ptr<CaptureReader>> open(const std::string& path, uint32_t input = 0);
  /// Reads a capture once, front to back, from `file`'s current position: a pipe, standard
  /// input. `file` stays the caller's and must stay open while the reader lives. pcap goes
  /// through our parser (reads of 1 MiB) or libpcap; pcapng through the strict reader (libpcap
  /// refuses interfaces of different link types only after returning packets, and a stream cannot
  /// be read again), so its errors come with the first packets rather than here and link_type() is
  /// the first packet's. Offsets count from where `file` was.
  static Result<std::unique_ptr<CaptureReader>> open_stream(std::FILE* file,
                                                            const std::string& name,
                                                            uint32_t input = 0);
  /// The same for a capture held in memory (tests, fuzzing); `name` stands for FILE in
  /// messages. The bytes are copied.
  static Result<std::unique_ptr<CaptureReader>> open_memory(std::span<const uint8_t> bytes,
                                                            const std::string& name,
                                                            uint32_t input = 0);
  ~CaptureReader() override;

  Result<bool> next(RawPacket& out) override;
  const std::vector<Diagnostic>& warnings() const override;
  SourcePosition position() const override;
  bool keep_packets() override;
  std::shared_ptr<const void> pinned() override;
  const std::string& path() const;
  /// LinkType of the file's (first) interface: LINKTYPE_ numbers, DLT_RAW mapped to kLinkRaw.
  uint16_t link_type() const;

 private:
  struct Impl;
  friend struct CaptureReaderFactory;  // capture_reader_internal.h's opens
  explicit CaptureReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Several sources merged by timestamp (ties: input order), as captures taken on several
/// nodes at once are. A single source passes through.
class MergedSource final : public PacketSource {
 public:
  explicit MergedSource(std::vector<std::unique_ptr<PacketSource>> inputs);
  ~MergedSource() override;

  Result<bool> next(RawPacket& out) override;
  const std::vector<Diagnostic>& warnings() const override;
  SourcePosition position() const override;
  bool keep_packets() override;
  std::shared_ptr<const void> pinned() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Opens every path (input indices in argument order) and merges them. `-` is standard input,
/// at most once (it can be read only once).
Result<std::unique_ptr<PacketSource>> open_captures(const std::vector<std::string>& paths);

}  // namespace egress
