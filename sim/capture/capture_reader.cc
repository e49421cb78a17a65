#include "egress/capture/capture_reader.h"

#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>

#include "capture/capture_reader_internal.h"
#include "capture/classic_pcap_reader.h"
#include "capture/pcapng_reader.h"

namespace egress {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;
// DLT_RAW is 12 on most systems and 14 on OpenBSD; files store LINKTYPE_RAW (101), which
// libpcap hands back as the local DLT_RAW.
constexpr int kDltRaw = 12;
constexpr int kDltRawOpenBsd = 14;
// How libpcap 1.10 (sf-pcapng.c) refuses an interface whose link type differs from the
// first one's; such files are read by PcapngReader instead.
constexpr std::string_view kMixedLinkTypes = "different from the type of the first interface";

Diagnostic file_error(const std::string& path, const char* code, std::string message) {
  Diagnostic d;
  d.code = code;
  d.message = std::move(message);
  d.where.file = path;
  return d;
}

// The two classic pcap magics in either byte order (micro- and nanosecond), read big-endian.
bool is_classic_pcap_magic(uint32_t m) {
  return m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1;
}
// A pcapng section header block's type, the same in both byte orders.
constexpr uint32_t kPcapngMagic = 0x0A0D0D0A;
constexpr long kPcapFileHeader = 24;
constexpr size_t kStreamBuffer = size_t{256} << 10;

// A stream whose first bytes were read to tell pcap from pcapng (and classic pcap our parser
// takes from the rest), and are given back first.
struct PeekedStream {
  std::FILE* source;
  uint8_t head[ClassicPcapHeader::kSize];
  size_t head_size;
  size_t head_read;
  uint64_t given = 0;  // bytes read through the stream so far

  static ssize_t read(void* cookie, char* to, size_t size) {
    auto* self = static_cast<PeekedStream*>(cookie);
    size_t done = 0;
    while (done < size && self->head_read < self->head_size) {
      to[done++] = static_cast<char>(self->head[self->head_read++]);
    }
    if (done < size) {
      done += std::fread(to + done, 1, size - done, self->source);
      if (done == 0 && std::ferror(self->source) != 0) {
        return -1;
      }
    }
    self->given += done;
    return static_cast<ssize_t>(done);
  }
  // Only telling where the stream is (ftell), which is how CaptureReader follows a record
  // libpcap cut to the snap length; a stream cannot seek.
  static int seek(void* cookie, off64_t* offset, int whence) {
    if (whence != SEEK_CUR || *offset != 0) {
      errno = ESPIPE;
      return -1;
    }
    *offset = static_cast<off64_t>(static_cast<PeekedStream*>(cookie)->given);
    return 0;
  }
  static int close(void* cookie) {
    delete static_cast<PeekedStream*>(cookie);  // the source stays open: it is not ours
    return 0;
  }
};

std::string at_packet(uint64_t number, long offset) {
  return "packet " + std::to_string(number) + " (offset " + std::to_string(offset) + "): ";
}

}  // namespace

constexpr size_t kReadBuffer = size_t{1} << 20;

struct CaptureReader::Impl {
  std::string path;
  uint32_t input = 0;
  pcap_t* pcap = nullptr;
  uint16_t link_type = 0;
  uint64_t number = 0;  // packets returned so far
  bool done = false;
  bool warned_timestamp = false;
  bool warned_length = false;
  std::vector<uint8_t> memory;  // the capture, for open_memory
  bool from_memory = false;
  bool from_stream = false;                  // open_stream: read once, front to back
  std::unique_ptr<PcapngReader> pcapng;      // set once libpcap has refused the file
  std::optional<ClassicPcapReader> classic;  // set when our parser reads the file, not libpcap
  std::vector<Diagnostic> warnings;
  // Classic pcap has 16-byte record headers, so record offsets are counted rather than asked
  // of ftell, which costs a system call per packet (lseek). -1: ask ftell (pcapng, whose
  // blocks vary).
  long next_offset = -1;
  uint64_t size = 0;      // of the file, when it is one (not a pipe): for progress
  uint64_t position = 0;  // offset of the last record returned

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (pcap != nullptr) {
      pcap_close(pcap);  // closes the FILE too
    }
  }

  void warn(const char* code, std::string message) {
    warnings.push_back(file_error(path, code, std::move(message)));
  }

  // Packet `number` at `offset` as libpcap or our parser read it (seconds and nanoseconds as
  // libpcap gives them), with the warnings its header calls for.
  void deliver(RawPacket& out, uint64_t packet, long offset, int64_t seconds, int64_t fraction,
               uint32_t caplen, uint32_t len, const uint8_t* bytes) {
    number = packet;
    if (fraction < 0 || fraction >= kNsPerSecond) {
      if (!warned_timestamp) {
        warned_timestamp = true;
        warn("capture-timestamp",
             at_packet(packet, offset) + "invalid timestamp: fraction " + std::to_string(fraction) +
                 " ns is not below one second; used as given (later ones not reported)");
      }
    }
    if (caplen > len && !warned_length) {
      warned_length = true;
      warn("capture-length", at_packet(packet, offset) + "captured length " +
                                 std::to_string(caplen) + " exceeds the original length " +
                                 std::to_string(len) +
                                 "; both used as given (later ones not reported)");
    }
    int64_t ts_ns = 0;
    // pcapng timestamps are 64-bit counts of any unit; int64 ns end in the year 2262.
    if (__builtin_mul_overflow(seconds, kNsPerSecond, &ts_ns) ||
        __builtin_add_overflow(ts_ns, fraction, &ts_ns)) {
      ts_ns = seconds < 0 ? INT64_MIN : INT64_MAX;
      if (!warned_timestamp) {
        warned_timestamp = true;
        warn("capture-timestamp", at_packet(packet, offset) +
                                      "invalid timestamp: " + std::to_string(seconds) +
                                      " s is past what nanoseconds since 1970 can hold "
                                      "(the year 2262); clamped (later ones not reported)");
      }
    }
    out.ts_ns = ts_ns;
    out.link_type = link_type;
    out.orig_len = len;
    out.data = std::span<const uint8_t>(bytes, caplen);
    out.input = input;
    out.number = packet;
    out.offset = offset < 0 ? 0 : static_cast<uint64_t>(offset);
    position = out.offset;
  }

  // The next packet from our parser, its end or its error, in the words libpcap's give.
  Result<bool> next_classic(RawPacket& out) {
    const long offset = static_cast<long>(classic->offset());
    ClassicPcapRecord record;
    const ClassicPcapReader::Status status = classic->next(record);
    const uint64_t next_number = number + 1;
    switch (status) {
      case ClassicPcapReader::Status::kPacket:
        deliver(out, next_number, offset, record.seconds, record.fraction, record.caplen,
                record.len, record.data.data());
        return true;
      case ClassicPcapReader::Status::kEnd:
        done = true;
        return false;
      case ClassicPcapReader::Status::kTruncated:
        done = true;
        warn("capture-truncated",
             at_packet(next_number, offset) + "truncated record: " + classic->error());
        return false;
      case ClassicPcapReader::Status::kError:
        break;
    }
    done = true;
    return file_error(path, "capture-read", at_packet(next_number, offset) + classic->error());
  }

  // Checks what libpcap accepted but we do not, and fixes the link type.
  Result<bool> finish_open() {
    const int dlt = pcap_datalink(pcap);
    // The link-type field's upper bits hold the FCS length (libpcap strips those) and bits
    // that must be zero; a value that does not fit 16 bits means the header is corrupt.
    if (dlt < 0 || dlt > 0xFFFF) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%08X", static_cast<unsigned>(dlt));
      return file_error(path, "capture-header",
                        std::string("corrupt header: link type ") + hex + " has reserved bits set");
    }
    link_type =
        (dlt == kDltRaw || dlt == kDltRawOpenBsd) ? uint16_t{kLinkRaw} : static_cast<uint16_t>(dlt);
    if (classic_pcap_magic()) {
      next_offset = std::ftell(pcap_file(pcap));
    }
    return true;
  }

  // True for the two classic pcap magics in either byte order (micro- and nanosecond); not
  // for pcapng nor the rare variants whose record headers are longer.
  bool classic_pcap_magic() const {
    uint8_t magic[4] = {};
    if (from_memory) {
      if (memory.size() < 5) {
        return false;
      }
      std::memcpy(magic, memory.data(), 4);
    } else if (::pread(::fileno(pcap_file(pcap)), magic, 4, 0) != 4) {
      return false;
    }
    return is_classic_pcap_magic(static_cast<uint32_t>(magic[0]) << 24 |
                                 static_cast<uint32_t>(magic[1]) << 16 |
                                 static_cast<uint32_t>(magic[2]) << 8 | magic[3]);
  }

  // Reads the file again from the start with PcapngReader, past the `number` packets libpcap
  // already returned (they are the same blocks, so numbers and offsets carry on). The error
  // names the packet libpcap stopped at.
  Result<bool> switch_to_pcapng(uint64_t stopped_at, long offset) {
    if (from_stream) {
      return file_error(path, "capture-read",
                        at_packet(stopped_at, offset) +
                            "interfaces of different link types, which libpcap cannot read "
                            "from a stream");
    }
    FILE* file = from_memory ? fmemopen(memory.data(), memory.size() - 1, "rb")
                             : std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
      return file_error(
          path, "capture-read",
          at_packet(stopped_at, offset) +
              "cannot open the file again to read it without libpcap: " + std::strerror(errno));
    }
    pcap_close(pcap);
    pcap = nullptr;
    pcapng = std::make_unique<PcapngReader>(file, path, warnings);
    Result<bool> skipped = pcapng->skip(number);
    if (!skipped) {
      return skipped.error();
    }
    return true;
  }
};

CaptureReader::CaptureReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CaptureReader::~CaptureReader() = default;

// Builds readers for the opens of capture_reader_internal.h, which the class befriends.
struct CaptureReaderFactory {
  static std::unique_ptr<CaptureReader> make(std::unique_ptr<CaptureReader::Impl> impl) {
    return std::unique_ptr<CaptureReader>(new CaptureReader(std::move(impl)));
  }
  static bool reads_itself(const CaptureReader& reader) {
    return reader.impl_->classic.has_value();
  }
  static Result<std::unique_ptr<CaptureReader>> open_file(const std::string& path, uint32_t input,
                                                          ClassicPcapBy by);
  static Result<std::unique_ptr<CaptureReader>> open_stream(std::FILE* file,
                                                            const std::string& name, uint32_t input,
                                                            ClassicPcapBy by);
  static Result<std::unique_ptr<CaptureReader>> open_memory(std::span<const uint8_t> bytes,
                                                            const std::string& name, uint32_t input,
                                                            ClassicPcapBy by);
};

Result<std::unique_ptr<CaptureReader>> CaptureReaderFactory::open_file(const std::string& path,
                                                                       uint32_t input,
                                                                       ClassicPcapBy by) {
  if (path == "-") {
    // Before anything has read stdin, so the buffer can still change.
    std::setvbuf(stdin, nullptr, _IOFBF, kReadBuffer);
    return open_stream(stdin, kStdinName, input, by);
  }
  auto impl = std::make_unique<CaptureReader::Impl>();
  impl->path = path;
  impl->input = input;
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return file_error(path, "capture-open", std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fileno(file), &st) == 0 && S_ISREG(st.st_mode)) {
    impl->size = static_cast<uint64_t>(st.st_size);
  }
  uint8_t head[ClassicPcapHeader::kSize];
  const auto header =
      by == ClassicPcapBy::kOwnReader && impl->size >= sizeof head &&
              ::pread(fileno(file), head, sizeof head, 0) == static_cast<ssize_t>(sizeof head)
          ? ClassicPcapHeader::parse(head)
          : std::nullopt;
  if (header) {
    std::optional<ClassicPcapReader> own =
        ClassicPcapReader::read_file(*header, fileno(file), impl->size);
    if (own) {
      impl->classic.emplace(std::move(*own));
      std::fclose(file);  // the reader has a descriptor of its own
      impl->link_type = header->link_type;
      return CaptureReaderFactory::make(std::move(impl));
    }
  }
  // Our own FILE, for a buffer larger than stdio's 4 KiB (so far as the C library honours it).
  std::setvbuf(file, nullptr, _IOFBF, kReadBuffer);
  // Nanosecond precision: libpcap scales microsecond files, so ts.tv_usec is always ns.
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  impl->pcap = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (impl->pcap == nullptr) {
    std::fclose(file);  // libpcap leaves it open when it fails
    // libpcap starts some messages with the path ("F: No such file or directory"), which
    // the Diagnostic already carries.
    std::string_view what(errbuf);
    if (what.starts_with(path) && what.substr(path.size()).starts_with(": ")) {
      what.remove_prefix(path.size() + 2);
    }
    return file_error(path, "capture-open", std::string(what));
  }
  Result<bool> checked = impl->finish_open();
  if (!checked) {
    return checked.error();
  }
  return CaptureReaderFactory::make(std::move(impl));
}

Result<std::unique_ptr<CaptureReader>> CaptureReaderFactory::open_stream(std::FILE* file,
                                                                         const std::string& name,
                                                                         uint32_t input,
                                                                         ClassicPcapBy by) {
  auto impl = std::make_unique<CaptureReader::Impl>();
  impl->path = name;
  impl->input = input;
  impl->from_stream = true;
  auto* peeked = new PeekedStream{file, {}, 0, 0};
  peeked->head_size = std::fread(peeked->head, 1, sizeof peeked->head, file);
  const uint32_t magic = static_cast<uint32_t>(peeked->head[0]) << 24 |
                         static_cast<uint32_t>(peeked->head[1]) << 16 |
                         static_cast<uint32_t>(peeked->head[2]) << 8 | peeked->head[3];
  const auto header =
      by == ClassicPcapBy::kOwnReader
          ? ClassicPcapHeader::parse(std::span<const uint8_t>(peeked->head, peeked->head_size))
          : std::nullopt;
  if (header) {
    delete peeked;
    impl->classic.emplace(*header, file);
    impl->link_type = header->link_type;
    return CaptureReaderFactory::make(std::move(impl));
  }
  FILE* stream = fopencookie(
      peeked, "rb", {&PeekedStream::read, nullptr, &PeekedStream::seek, &PeekedStream::close});
  if (stream == nullptr) {
    delete peeked;
    return file_error(name, "capture-open", std::strerror(errno));
  }
  std::setvbuf(stream, nullptr, _IOFBF, kStreamBuffer);
  if (peeked->head_size >= 4 && magic == kPcapngMagic) {
    // libpcap would refuse a file whose interfaces have different link types only after
    // returning packets, and a stream cannot be read again from the start as a file can.
    impl->pcapng = std::make_unique<PcapngReader>(stream, name, impl->warnings);
    return CaptureReaderFactory::make(std::move(impl));
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  impl->pcap = pcap_fopen_offline_with_tstamp_precision(stream, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (impl->pcap == nullptr) {
    std::fclose(stream);  // libpcap leaves it open when it fails
    return file_error(name, "capture-open", errbuf);
  }
  Result<bool> checked = impl->finish_open();
  if (!checked) {
    return checked.error();
  }
  if (is_classic_pcap_magic(magic)) {
    impl->next_offset = kPcapFileHeader;
  }
  return CaptureReaderFactory::make(std::move(impl));
}

Result<std::unique_ptr<CaptureReader>> CaptureReaderFactory::open_memory(
    std::span<const uint8_t> bytes, const std::string& name, uint32_t input, ClassicPcapBy by) {
  auto impl = std::make_unique<CaptureReader::Impl>();
  impl->path = name;
  impl->input = input;
  // fmemopen refuses a zero-sized buffer on some C libraries; one spare byte past the end
  // is never read because the FILE's size is bytes.size().
  impl->memory.reserve(bytes.size() + 1);
  impl->memory.assign(bytes.begin(), bytes.end());
  impl->memory.push_back(0);
  impl->from_memory = true;
  const std::span<const uint8_t> held(impl->memory.data(), bytes.size());
  const auto header =
      by == ClassicPcapBy::kOwnReader ? ClassicPcapHeader::parse(held) : std::nullopt;
  if (header) {
    impl->classic.emplace(*header, held);
    impl->link_type = header->link_type;
    return CaptureReaderFactory::make(std::move(impl));
  }
  FILE* file = fmemopen(impl->memory.data(), bytes.size(), "rb");
  if (file == nullptr && bytes.empty()) {
    return file_error(name, "capture-open", "empty file");
  }
  if (file == nullptr) {
    return file_error(name, "capture-open", std::strerror(errno));
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  impl->pcap = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (impl->pcap == nullptr) {
    std::fclose(file);  // libpcap leaves it open when it fails
    return file_error(name, "capture-open", errbuf);
  }
  Result<bool> checked = impl->finish_open();
  if (!checked) {
    return checked.error();
  }
  return CaptureReaderFactory::make(std::move(impl));
}

Result<std::unique_ptr<CaptureReader>> open_capture(const std::string& path, uint32_t input,
                                                    ClassicPcapBy by) {
  return CaptureReaderFactory::open_file(path, input, by);
}

Result<std::unique_ptr<CaptureReader>> open_capture_stream(std::FILE* file, const std::string& name,
                                                           uint32_t input, ClassicPcapBy by) {
  return CaptureReaderFactory::open_stream(file, name, input, by);
}

Result<std::unique_ptr<CaptureReader>> open_capture_memory(std::span<const uint8_t> bytes,
                                                           const std::string& name, uint32_t input,
                                                           ClassicPcapBy by) {
  return CaptureReaderFactory::open_memory(bytes, name, input, by);
}

bool reads_classic_pcap_itself(const CaptureReader& reader) {
  return CaptureReaderFactory::reads_itself(reader);
}

Result<std::unique_ptr<CaptureReader>> CaptureReader::open(const std::string& path,
                                                           uint32_t input) {
  return open_capture(path, input, ClassicPcapBy::kOwnReader);
}

Result<std::unique_ptr<CaptureReader>> CaptureReader::open_stream(std::FILE* file,
                                                                  const std::string& name,
                                                                  uint32_t input) {
  return open_capture_stream(file, name, input, ClassicPcapBy::kOwnReader);
}

Result<std::unique_ptr<CaptureReader>> CaptureReader::open_memory(std::span<const uint8_t> bytes,
                                                                  const std::string& name,
                                                                  uint32_t input) {
  return open_capture_memory(bytes, name, input, ClassicPcapBy::kOwnReader);
}

Result<bool> CaptureReader::next(RawPacket& out) {
  Impl& impl = *impl_;
  if (impl.pcapng) {
    Result<bool> got = impl.pcapng->next(out);
    if (got && *got) {
      out.input = impl.input;
      impl.number = out.number;
      if (impl.link_type == 0 && impl.number == 1) {
        impl.link_type = out.link_type;
      }
    }
    return got;
  }
  if (impl.done) {
    return false;
  }
  if (impl.classic) {
    return impl.next_classic(out);
  }
  const long offset = impl.next_offset >= 0 ? impl.next_offset : std::ftell(pcap_file(impl.pcap));
  pcap_pkthdr* header = nullptr;
  const u_char* bytes = nullptr;
  const int status = pcap_next_ex(impl.pcap, &header, &bytes);
  const uint64_t number = impl.number + 1;
  if (status == 1) {
    if (impl.next_offset >= 0) {
      impl.next_offset += 16 + static_cast<long>(header->caplen);
      // libpcap cuts a record longer than the snap length to it and skips the rest, which
      // only the stream's position tells.
      if (header->caplen == static_cast<bpf_u_int32>(pcap_snapshot(impl.pcap))) {
        const long at = std::ftell(pcap_file(impl.pcap));
        if (at >= 0) {
          impl.next_offset = at;
        }
      }
    }
    impl.deliver(out, number, offset, header->ts.tv_sec, header->ts.tv_usec, header->caplen,
                 header->len, bytes);
    return true;
  }
  impl.done = true;
  if (status == PCAP_ERROR_BREAK) {
    return false;
  }
  std::string what = pcap_geterr(impl.pcap);
  // libpcap's words for a file that ends inside a record (sf-pcap.c, sf-pcapng.c).
  if (std::string_view(what).starts_with("truncated")) {
    impl.warn("capture-truncated", at_packet(number, offset) + "truncated record: " + what);
    return false;
  }
  if (what.find(kMixedLinkTypes) != std::string::npos) {
    Result<bool> switched = impl.switch_to_pcapng(number, offset);
    if (!switched) {
      return switched.error();
    }
    return next(out);
  }
  return file_error(impl.path, "capture-read", at_packet(number, offset) + what);
}

SourcePosition CaptureReader::position() const {
  return SourcePosition{impl_->done ? impl_->size : impl_->position, impl_->size};
}

// Only a classic pcap that our parser reads from a file or stream: libpcap's and the pcapng
// reader's buffers are theirs to reuse.
bool CaptureReader::keep_packets() {
  return impl_->classic && impl_->classic->keep_bytes();
}

std::shared_ptr<const void> CaptureReader::pinned() {
  return impl_->classic ? impl_->classic->pin() : nullptr;
}

const std::vector<Diagnostic>& CaptureReader::warnings() const {
  return impl_->warnings;
}
const std::string& CaptureReader::path() const {
  return impl_->path;
}
uint16_t CaptureReader::link_type() const {
  return impl_->link_type;
}

}  // namespace egress
