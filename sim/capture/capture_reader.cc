#include "egress/capture/capture_reader.h"

#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>

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

// A stream whose first bytes were read to tell pcap from pcapng, and are given back first.
struct PeekedStream {
  std::FILE* source;
  uint8_t head[4];
  size_t head_size;
  size_t head_read;

  static ssize_t read(void* cookie, char* to, size_t size) {
    auto* self = static_cast<PeekedStream*>(cookie);
    size_t done = 0;
    while (done < size && self->head_read < self->head_size) {
      to[done++] = static_cast<char>(self->head[self->head_read++]);
    }
    if (done == size) {
      return static_cast<ssize_t>(done);
    }
    done += std::fread(to + done, 1, size - done, self->source);
    if (done == 0 && std::ferror(self->source) != 0) {
      return -1;
    }
    return static_cast<ssize_t>(done);
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
  bool from_stream = false;              // open_stream: read once, front to back
  std::unique_ptr<PcapngReader> pcapng;  // set once libpcap has refused the file
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

Result<std::unique_ptr<CaptureReader>> CaptureReader::open(const std::string& path,
                                                           uint32_t input) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->input = input;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  if (path == "-") {
    // Before anything has read stdin, so the buffer can still change.
    std::setvbuf(stdin, nullptr, _IOFBF, kReadBuffer);
    return open_stream(stdin, kStdinName, input);
  }
  // Our own FILE, for a buffer far larger than stdio's 4 KiB: a read system call per few
  // packets was a tenth of replay's time.
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return file_error(path, "capture-open", std::strerror(errno));
  }
  std::setvbuf(file, nullptr, _IOFBF, kReadBuffer);
  struct stat st {};
  if (::fstat(fileno(file), &st) == 0 && S_ISREG(st.st_mode)) {
    impl->size = static_cast<uint64_t>(st.st_size);
  }
  // Nanosecond precision: libpcap scales microsecond files, so ts.tv_usec is always ns.
  impl->pcap = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (impl->pcap == nullptr) {
    std::fclose(file);  // libpcap leaves it open when it fails
  }
  if (impl->pcap == nullptr) {
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
  return std::unique_ptr<CaptureReader>(new CaptureReader(std::move(impl)));
}

Result<std::unique_ptr<CaptureReader>> CaptureReader::open_stream(std::FILE* file,
                                                                  const std::string& name,
                                                                  uint32_t input) {
  auto impl = std::make_unique<Impl>();
  impl->path = name;
  impl->input = input;
  impl->from_stream = true;
  auto* peeked = new PeekedStream{file, {}, 0, 0};
  peeked->head_size = std::fread(peeked->head, 1, sizeof peeked->head, file);
  const uint32_t magic = static_cast<uint32_t>(peeked->head[0]) << 24 |
                         static_cast<uint32_t>(peeked->head[1]) << 16 |
                         static_cast<uint32_t>(peeked->head[2]) << 8 | peeked->head[3];
  FILE* stream =
      fopencookie(peeked, "rb", {&PeekedStream::read, nullptr, nullptr, &PeekedStream::close});
  if (stream == nullptr) {
    delete peeked;
    return file_error(name, "capture-open", std::strerror(errno));
  }
  std::setvbuf(stream, nullptr, _IOFBF, kStreamBuffer);
  if (peeked->head_size == sizeof peeked->head && magic == kPcapngMagic) {
    // libpcap would refuse a file whose interfaces have different link types only after
    // returning packets, and a stream cannot be read again from the start as a file can.
    impl->pcapng = std::make_unique<PcapngReader>(stream, name, impl->warnings);
    return std::unique_ptr<CaptureReader>(new CaptureReader(std::move(impl)));
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
  return std::unique_ptr<CaptureReader>(new CaptureReader(std::move(impl)));
}

Result<std::unique_ptr<CaptureReader>> CaptureReader::open_memory(std::span<const uint8_t> bytes,
                                                                  const std::string& name,
                                                                  uint32_t input) {
  auto impl = std::make_unique<Impl>();
  impl->path = name;
  impl->input = input;
  // fmemopen refuses a zero-sized buffer on some C libraries; one spare byte past the end
  // is never read because the FILE's size is bytes.size().
  impl->memory.reserve(bytes.size() + 1);
  impl->memory.assign(bytes.begin(), bytes.end());
  impl->memory.push_back(0);
  impl->from_memory = true;
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
  return std::unique_ptr<CaptureReader>(new CaptureReader(std::move(impl)));
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
  const long offset = impl.next_offset >= 0 ? impl.next_offset : std::ftell(pcap_file(impl.pcap));
  pcap_pkthdr* header = nullptr;
  const u_char* bytes = nullptr;
  const int status = pcap_next_ex(impl.pcap, &header, &bytes);
  const uint64_t number = impl.number + 1;
  if (status == 1) {
    impl.number = number;
    if (impl.next_offset >= 0) {
      impl.next_offset += 16 + static_cast<long>(header->caplen);
    }
    const int64_t fraction = header->ts.tv_usec;
    if (fraction < 0 || fraction >= kNsPerSecond) {
      if (!impl.warned_timestamp) {
        impl.warned_timestamp = true;
        impl.warn("capture-timestamp",
                  at_packet(number, offset) + "invalid timestamp: fraction " +
                      std::to_string(fraction) +
                      " ns is not below one second; used as given (later ones not reported)");
      }
    }
    if (header->caplen > header->len && !impl.warned_length) {
      impl.warned_length = true;
      impl.warn("capture-length",
                at_packet(number, offset) + "captured length " + std::to_string(header->caplen) +
                    " exceeds the original length " + std::to_string(header->len) +
                    "; both used as given (later ones not reported)");
    }
    const int64_t seconds = header->ts.tv_sec;
    int64_t ts_ns = 0;
    // pcapng timestamps are 64-bit counts of any unit; int64 ns end in the year 2262.
    if (__builtin_mul_overflow(seconds, kNsPerSecond, &ts_ns) ||
        __builtin_add_overflow(ts_ns, fraction, &ts_ns)) {
      ts_ns = seconds < 0 ? INT64_MIN : INT64_MAX;
      if (!impl.warned_timestamp) {
        impl.warned_timestamp = true;
        impl.warn("capture-timestamp", at_packet(number, offset) +
                                           "invalid timestamp: " + std::to_string(seconds) +
                                           " s is past what nanoseconds since 1970 can hold "
                                           "(the year 2262); clamped (later ones not reported)");
      }
    }
    out.ts_ns = ts_ns;
    out.link_type = impl.link_type;
    out.orig_len = header->len;
    out.data = std::span<const uint8_t>(bytes, header->caplen);
    out.input = impl.input;
    out.number = number;
    out.offset = offset < 0 ? 0 : static_cast<uint64_t>(offset);
    impl.position = out.offset;
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
