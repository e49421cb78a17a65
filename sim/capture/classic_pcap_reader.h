// Classic pcap (a 24-byte file header, then records behind 16-byte headers) parsed by us
// rather than by libpcap, so that a capture is read with large sequential I/O: mapped whole
// when it is a file (released behind the reader, so memory does not grow with the file), or
// read from a stream in large chunks. Only files whose every record libpcap 1.10 would hand
// back unchanged are taken (ClassicPcapHeader::parse); the rest stay libpcap's. Within those,
// records, lengths, timestamps and every error's words are libpcap's (sf-pcap.c,
// pcap_next_packet, at libpcap-1.10.3), so CaptureReader reports them alike either way.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace egress {

struct ClassicPcapHeader {
  static constexpr size_t kSize = 24;

  bool swapped = false;     // written in the other byte order than this machine's
  bool nanosecond = false;  // fractions in nanoseconds, not microseconds
  uint16_t link_type = 0;   // LINKTYPE_, which for the link types taken is also libpcap's DLT
  uint32_t snapshot = 0;    // the snap length as libpcap adjusts it (0 and above INT_MAX: 262144)

  /// The header of `bytes` (at least kSize of them), or nullopt when libpcap must read the
  /// file: not classic pcap, a version other than 2.4 (older ones may swap lengths), bits
  /// above the 16 of the link type (FCS lengths, reserved ones), or a link type that libpcap
  /// maps to another number or whose pseudo-header it rewrites in files of the other byte order.
  static std::optional<ClassicPcapHeader> parse(std::span<const uint8_t> bytes);
};

struct ClassicPcapRecord {
  // As libpcap reads them: 32 bits, signed unless the file is of the other byte order.
  int64_t seconds = 0;
  int64_t fraction = 0;  // nanoseconds (microseconds x1000)
  uint32_t caplen = 0;   // data.size()
  uint32_t len = 0;
  std::span<const uint8_t> data;  // valid until the next call to next()
  uint64_t offset = 0;            // of the record header, from the start of the capture
};

class ClassicPcapReader {
 public:
  enum class Status { kPacket, kEnd, kTruncated, kError };

  /// Over the whole capture in memory, header included; `bytes` must outlive the reader.
  ClassicPcapReader(const ClassicPcapHeader& header, std::span<const uint8_t> bytes);
  /// Reads the regular file `fd` of `size` bytes by large pread()s into a buffer of its own,
  /// through a descriptor of its own (`fd` stays the caller's). nullopt when it cannot be.
  /// Not a mapping: on the virtual machines measured, a page fault on a mapped capture cost
  /// more than copying its bytes (bench/README.md, "Second round").
  static std::optional<ClassicPcapReader> read_file(const ClassicPcapHeader& header, int fd,
                                                    uint64_t size);
  /// From `file`, whose first kSize bytes were read already: large fread()s into a buffer of
  /// its own. `file` stays the caller's and must stay open while the reader lives.
  ClassicPcapReader(const ClassicPcapHeader& header, std::FILE* file);

  ~ClassicPcapReader();
  ClassicPcapReader(ClassicPcapReader&& other) noexcept;
  ClassicPcapReader& operator=(ClassicPcapReader&&) = delete;
  ClassicPcapReader(const ClassicPcapReader&) = delete;
  ClassicPcapReader& operator=(const ClassicPcapReader&) = delete;

  /// kPacket fills `out`. kTruncated (the capture ends inside a record) and kError (a record
  /// libpcap refuses, a read error) leave libpcap's words in error(); every later call is kEnd.
  Status next(ClassicPcapRecord& out);
  const std::string& error() const { return error_; }
  /// Offset of the next record.
  uint64_t offset() const { return base_ + begin_; }

  /// From now on the records' bytes stay where they were read until pin()'s handles let go:
  /// each refill goes to a fresh buffer (from a pool of the reader's) instead of moving the
  /// unread tail to the front of the one buffer. Only for a file or stream, before the first
  /// next(); false otherwise (a capture in memory is the caller's already).
  bool keep_bytes();
  /// After keep_bytes(): a handle on the buffers of every record read since the last call.
  std::shared_ptr<const void> pin();

 private:
  ClassicPcapReader() = default;
  // Makes up to `need` bytes past the cursor readable and returns how many are.
  size_t available(size_t need);
  Status stop(Status status, std::string error);
  // pread()s up to `want` bytes to the buffer's end; fewer at the file's end or an error.
  size_t read_at(size_t want);

  struct BufferPool;
  // The buffer reads go to: buffer_, or with keep_bytes() the shared one.
  std::vector<uint8_t>& storage() { return shared_ ? *shared_ : buffer_; }

  ClassicPcapHeader header_;
  const uint8_t* data_ = nullptr;  // the window: data_[begin_, end_) is readable
  size_t begin_ = 0;
  size_t end_ = 0;
  uint64_t base_ = 0;          // offset of data_[0] in the capture
  int fd_ = -1;                // a regular file's descriptor, our own; else
  std::FILE* file_ = nullptr;  // a stream (both read into buffer_)
  std::vector<uint8_t> buffer_;
  // keep_bytes(): the buffer being read, those left since the last pin(), and where spare ones
  // come from (shared with the handles, which give theirs back).
  std::shared_ptr<std::vector<uint8_t>> shared_;
  std::vector<std::shared_ptr<std::vector<uint8_t>>> retired_;
  std::shared_ptr<BufferPool> pool_;
  bool eof_ = false;
  int read_errno_ = 0;
  bool done_ = false;
  std::string error_;
};

}  // namespace egress
