// A small, strict pcapng reader for the one kind of file libpcap 1.10 refuses that we must
// read: interfaces of different link types (several sections and byte orders included).
// CaptureReader falls back to it only then, so libpcap stays the reader for everything else.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "egress/capture/raw_packet.h"

namespace egress {

/// Streams a pcapng file block by block through one reused buffer: nothing is allocated per
/// packet once the buffer has grown to the largest block. Reads SHB, IDB (if_tsresol in both
/// forms, if_tsoffset), EPB, SPB and the obsolete PB, and skips every other block by its
/// length. Packets carry the LinkType of their interface (interface ids restart at each
/// section header) and ns since the Unix epoch.
///
/// Errors are `Diagnostic{code "capture-read", where.file NAME, message "packet N (offset B):
/// what"}`: N is the packet that would come next, B the byte offset of the offending block.
/// A block cut short by the end of the file after at least one packet is a warning
/// (`truncated record: ...`) and ends reading; before any packet it is an error.
class PcapngReader {
 public:
  /// Reads `file` from its current position, which must be the start of the pcapng data, and
  /// closes it. `name` stands for FILE in messages; warnings are appended to `warnings`,
  /// which must outlive the reader.
  PcapngReader(std::FILE* file, std::string name, std::vector<Diagnostic>& warnings);
  ~PcapngReader();
  PcapngReader(const PcapngReader&) = delete;
  PcapngReader& operator=(const PcapngReader&) = delete;

  /// Fills every field of `out` but `input` and returns true, returns false at the end, or
  /// an error. After the end or an error it keeps returning false. `out.data` stays valid
  /// until the next call.
  Result<bool> next(RawPacket& out);

  /// Reads past `count` packets without converting their timestamps or warning, to take over
  /// from libpcap after the packets it already returned. True when all `count` were there.
  Result<bool> skip(uint64_t count);

 private:
  struct Interface {
    uint16_t link_type = 0;
    uint32_t snaplen = 0;           // 0: no limit
    uint64_t units_per_second = 0;  // if_tsresol: 10^n or 2^n
    int64_t offset_seconds = 0;     // if_tsoffset
  };

  Result<bool> read_packet(RawPacket* out);
  Result<bool> read_block();  // one block into buffer_; false at a clean end of file
  Result<bool> read_exact(uint8_t* to, size_t count);  // false: cut by the end of the file
  Result<bool> truncated(size_t wanted, size_t got);
  Result<bool> section_header();
  Result<bool> interface_description();
  Result<bool> packet_block(RawPacket* out);

  Diagnostic error(const std::string& what) const;
  uint32_t u32(size_t at) const;  // from buffer_, in the section's byte order
  uint16_t u16(size_t at) const;
  int64_t to_ns(const Interface& iface, uint64_t units, bool& clamped) const;

  std::FILE* file_;
  std::string name_;
  std::vector<Diagnostic>& warnings_;
  std::vector<uint8_t> buffer_;        // grows to the largest block, never shrinks
  std::vector<Interface> interfaces_;  // of the current section
  uint64_t position_ = 0;              // bytes consumed from the file
  uint64_t block_offset_ = 0;          // where the current block starts
  uint32_t block_type_ = 0;
  uint32_t block_length_ = 0;  // total length, header and trailer included
  uint64_t returned_ = 0;      // packets returned or skipped so far
  int64_t last_ts_ns_ = 0;     // for simple packet blocks, which carry no timestamp
  bool big_endian_ = false;    // of the current section
  bool in_section_ = false;
  bool done_ = false;
  bool warned_timestamp_ = false;
  bool warned_length_ = false;
};

}  // namespace egress
