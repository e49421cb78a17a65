#include "capture/pcapng_reader.h"

#include <cerrno>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <utility>

namespace egress {
namespace {

// Block types (pcapng draft, section 11.1).
constexpr uint32_t kSectionHeader = 0x0A0D0D0A;
constexpr uint32_t kInterfaceDescription = 1;
constexpr uint32_t kObsoletePacket = 2;
constexpr uint32_t kSimplePacket = 3;
constexpr uint32_t kEnhancedPacket = 6;

constexpr uint16_t kOptEndOfOptions = 0;
constexpr uint16_t kOptIfTsresol = 9;
constexpr uint16_t kOptIfTsoffset = 14;

// Header (type, length) plus trailer (length).
constexpr uint32_t kMinBlockLength = 12;
// Fixed parts of each block, header and trailer included.
constexpr uint32_t kMinSectionHeader = 28;
constexpr uint32_t kMinInterfaceDescription = 20;
constexpr uint32_t kMinEnhancedPacket = 32;
constexpr uint32_t kMinObsoletePacket = 32;
constexpr uint32_t kMinSimplePacket = 16;
// Far above any real block (a 262144-byte snaplen plus options), and it bounds what a corrupt
// length field can make us allocate.
constexpr uint32_t kMaxBlockLength = 16 * 1024 * 1024;
constexpr size_t kInitialBuffer = 4096;

// 128 bits hold any 64-bit count of units times 10^9, so conversions need no overflow
// checks until the final range test. A GCC/Clang extension, hence __extension__.
__extension__ typedef __int128 Int128;            // NOLINT(modernize-use-using)
__extension__ typedef unsigned __int128 UInt128;  // NOLINT(modernize-use-using)

constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr uint64_t kDefaultUnitsPerSecond = 1'000'000;  // if_tsresol absent: microseconds
// 10^19 is the largest power of ten a uint64_t holds.
constexpr unsigned kMaxDecimalExponent = 19;
constexpr unsigned kMaxBinaryExponent = 63;

// DLT_RAW is 12 on most systems and 14 on OpenBSD; some writers store those instead of
// LINKTYPE_RAW, and libpcap's path maps them the same way.
constexpr uint16_t kDltRaw = 12;
constexpr uint16_t kDltRawOpenBsd = 14;

uint16_t load16(const uint8_t* p, bool big_endian) {
  return big_endian ? static_cast<uint16_t>((p[0] << 8) | p[1])
                    : static_cast<uint16_t>((p[1] << 8) | p[0]);
}

uint32_t load32(const uint8_t* p, bool big_endian) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v = (v << 8) | p[big_endian ? i : 3 - i];
  }
  return v;
}

uint64_t load64(const uint8_t* p, bool big_endian) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | p[big_endian ? i : 7 - i];
  }
  return v;
}

uint32_t padded(uint32_t length) {
  return (length + 3U) & ~3U;
}

// Walks the options in block[begin, end), calling `on_option(code, value)` for each until
// opt_endofopt or the end. False, with `what` set, for an option that runs past the end or
// when `on_option` refuses one.
template <class OnOption>
bool walk_options(std::span<const uint8_t> block, size_t begin, size_t end, bool big_endian,
                  std::string& what, OnOption&& on_option) {
  size_t at = begin;
  while (at < end) {
    if (end - at < 4) {
      what = "options end inside an option header (" + std::to_string(end - at) + " bytes left)";
      return false;
    }
    const uint16_t code = load16(&block[at], big_endian);
    const uint16_t length = load16(&block[at + 2], big_endian);
    at += 4;
    if (code == kOptEndOfOptions) {
      return true;
    }
    if (padded(length) > end - at) {
      what = "option " + std::to_string(code) + " of length " + std::to_string(length) +
             " runs past the end of the block (" + std::to_string(end - at) + " bytes left)";
      return false;
    }
    if (!on_option(code, block.subspan(at, length))) {
      return false;
    }
    at += padded(length);
  }
  return true;
}

std::string to_string(Int128 v) {
  if (v >= std::numeric_limits<int64_t>::min() && v <= std::numeric_limits<int64_t>::max()) {
    return std::to_string(static_cast<int64_t>(v));
  }
  const bool negative = v < 0;
  UInt128 magnitude = negative ? static_cast<UInt128>(-(v + 1)) + 1 : static_cast<UInt128>(v);
  std::string text;
  while (magnitude != 0) {
    text.push_back(static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  }
  if (negative) {
    text.push_back('-');
  }
  return std::string(text.rbegin(), text.rend());
}

const char* block_name(uint32_t type) {
  switch (type) {
    case kSectionHeader:
      return "section header block";
    case kInterfaceDescription:
      return "interface description block";
    case kObsoletePacket:
      return "packet block";
    case kSimplePacket:
      return "simple packet block";
    case kEnhancedPacket:
      return "enhanced packet block";
    default:
      return "block";
  }
}

}  // namespace

PcapngReader::PcapngReader(std::FILE* file, std::string name, std::vector<Diagnostic>& warnings)
    : file_(file), name_(std::move(name)), warnings_(warnings), buffer_(kInitialBuffer) {
  interfaces_.reserve(4);
}

PcapngReader::~PcapngReader() {
  if (file_ != nullptr) {
    std::fclose(file_);
  }
}

Result<bool> PcapngReader::next(RawPacket& out) {
  if (done_) {
    return false;
  }
  Result<bool> got = read_packet(&out);
  if (!got || !*got) {
    done_ = true;
  }
  return got;
}

Result<bool> PcapngReader::skip(uint64_t count) {
  for (uint64_t i = 0; i < count; ++i) {
    if (done_) {
      return false;
    }
    Result<bool> got = read_packet(nullptr);
    if (!got || !*got) {
      done_ = true;
      return got;
    }
  }
  return true;
}

Diagnostic PcapngReader::error(const std::string& what) const {
  Diagnostic d;
  d.code = "capture-read";
  d.message = "packet " + std::to_string(returned_ + 1) + " (offset " +
              std::to_string(block_offset_) + "): " + what;
  d.where.file = name_;
  return d;
}

uint32_t PcapngReader::u32(size_t at) const {
  return load32(&buffer_[at], big_endian_);
}
uint16_t PcapngReader::u16(size_t at) const {
  return load16(&buffer_[at], big_endian_);
}

// A block the file ends inside: a warning that ends reading once a packet was returned,
// before that an error (a file with nothing readable is not a capture).
Result<bool> PcapngReader::truncated(size_t wanted, size_t got) {
  if (std::ferror(file_) != 0) {
    return error(std::string("read error: ") + std::strerror(errno));
  }
  // libpcap's words (sf-pcapng.c), so both paths report a cut file alike.
  Diagnostic d = error("truncated record: truncated pcapng dump file; tried to read " +
                       std::to_string(wanted) + " bytes, only got " + std::to_string(got));
  if (returned_ == 0) {
    return d;
  }
  d.code = "capture-truncated";
  warnings_.push_back(std::move(d));
  return false;
}

Result<bool> PcapngReader::read_exact(uint8_t* to, size_t count) {
  const size_t got = std::fread(to, 1, count, file_);
  position_ += got;
  return got == count ? Result<bool>(true) : truncated(count, got);
}

Result<bool> PcapngReader::read_block() {
  block_offset_ = position_;
  const size_t first = std::fread(buffer_.data(), 1, 8, file_);
  position_ += first;
  if (first == 0 && std::ferror(file_) == 0) {
    return false;  // the end of the file, between blocks
  }
  if (first < 8) {
    return truncated(8, first);
  }
  size_t have = 8;
  // The section header's type reads the same in both byte orders; its byte-order magic says
  // how to read everything after it, its own length included.
  if (load32(buffer_.data(), false) == kSectionHeader) {
    Result<bool> got = read_exact(&buffer_[8], 4);
    if (!got || !*got) {
      return got;
    }
    have = 12;
    const uint32_t magic = load32(&buffer_[8], true);
    if (magic == 0x1A2B3C4D) {
      big_endian_ = true;
    } else if (magic == 0x4D3C2B1A) {
      big_endian_ = false;
    } else {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%08X", magic);
      return error(std::string("byte-order magic ") + hex + " is not 0x1A2B3C4D in either order");
    }
  } else if (!in_section_) {
    return error("the file does not start with a section header block");
  }
  block_type_ = u32(0);
  block_length_ = u32(4);
  auto length_error = [this](const std::string& what) {
    return error("block total length " + std::to_string(block_length_) + what);
  };
  if (block_length_ % 4 != 0) {
    return length_error(" is not a multiple of 4");
  }
  if (block_length_ < kMinBlockLength) {
    return length_error(" is less than " + std::to_string(kMinBlockLength));
  }
  if (block_length_ > kMaxBlockLength) {
    return length_error(" is more than the " + std::to_string(kMaxBlockLength) +
                        " bytes this reader accepts");
  }
  if (buffer_.size() < block_length_) {
    buffer_.resize(block_length_);
  }
  Result<bool> got = read_exact(&buffer_[have], block_length_ - have);
  if (!got || !*got) {
    return got;
  }
  const uint32_t trailer = u32(block_length_ - 4);
  if (trailer != block_length_) {
    return length_error(" in the header but " + std::to_string(trailer) + " in the trailer");
  }
  return true;
}

Result<bool> PcapngReader::read_packet(RawPacket* out) {
  for (;;) {
    Result<bool> got = read_block();
    if (!got || !*got) {
      return got;
    }
    switch (block_type_) {
      case kSectionHeader:
        got = section_header();
        break;
      case kInterfaceDescription:
        got = interface_description();
        break;
      case kEnhancedPacket:
      case kSimplePacket:
      case kObsoletePacket:
        return packet_block(out);
      default:
        // Name resolution, interface statistics, custom and unknown blocks: nothing replay
        // needs, and their lengths were checked like every block's.
        break;
    }
    if (!got) {
      return got;
    }
  }
}

Result<bool> PcapngReader::section_header() {
  if (block_length_ < kMinSectionHeader) {
    return error(std::string(block_name(block_type_)) + " length " + std::to_string(block_length_) +
                 " is less than " + std::to_string(kMinSectionHeader));
  }
  const uint16_t major = u16(12);
  const uint16_t minor = u16(14);
  // libpcap reads 1.2 as 1.0: the only difference is in blocks no one writes.
  if (major != 1 || (minor != 0 && minor != 2)) {
    return error("unsupported pcapng version " + std::to_string(major) + "." +
                 std::to_string(minor));
  }
  std::string what;
  if (!walk_options(buffer_, 24, block_length_ - 4, big_endian_, what,
                    [](uint16_t, std::span<const uint8_t>) { return true; })) {
    return error(what);
  }
  interfaces_.clear();
  in_section_ = true;
  return true;
}

Result<bool> PcapngReader::interface_description() {
  if (block_length_ < kMinInterfaceDescription) {
    return error(std::string(block_name(block_type_)) + " length " + std::to_string(block_length_) +
                 " is less than " + std::to_string(kMinInterfaceDescription));
  }
  Interface iface;
  iface.link_type = u16(8);
  if (iface.link_type == kDltRaw || iface.link_type == kDltRawOpenBsd) {
    iface.link_type = kLinkRaw;
  }
  iface.snaplen = u32(12);
  iface.units_per_second = kDefaultUnitsPerSecond;
  std::string what;
  const bool big_endian = big_endian_;
  auto on_option = [&](uint16_t code, std::span<const uint8_t> value) {
    if (code == kOptIfTsresol) {
      if (value.size() != 1) {
        what = "if_tsresol has length " + std::to_string(value.size()) + ", not 1";
        return false;
      }
      const unsigned exponent = value[0] & 0x7FU;
      if ((value[0] & 0x80U) != 0) {
        if (exponent > kMaxBinaryExponent) {
          what = "if_tsresol 2^-" + std::to_string(exponent) + " is finer than 2^-63";
          return false;
        }
        iface.units_per_second = uint64_t{1} << exponent;
      } else {
        if (exponent > kMaxDecimalExponent) {
          what = "if_tsresol 10^-" + std::to_string(exponent) + " is finer than 10^-19";
          return false;
        }
        iface.units_per_second = 1;
        for (unsigned i = 0; i < exponent; ++i) {
          iface.units_per_second *= 10;
        }
      }
    } else if (code == kOptIfTsoffset) {
      if (value.size() != 8) {
        what = "if_tsoffset has length " + std::to_string(value.size()) + ", not 8";
        return false;
      }
      iface.offset_seconds = static_cast<int64_t>(load64(value.data(), big_endian));
    }
    return true;
  };
  if (!walk_options(buffer_, 16, block_length_ - 4, big_endian_, what, on_option)) {
    return error(what);
  }
  interfaces_.push_back(iface);
  return true;
}

int64_t PcapngReader::to_ns(const Interface& iface, uint64_t units, bool& clamped) const {
  const uint64_t per_second = iface.units_per_second;
  const Int128 seconds = static_cast<Int128>(units / per_second) + iface.offset_seconds;
  // Below 2^64 * 10^9, so the product cannot overflow 128 bits.
  const auto fraction_ns =
      static_cast<Int128>(static_cast<UInt128>(units % per_second) * kNsPerSecond / per_second);
  const Int128 ns = seconds * kNsPerSecond + fraction_ns;
  clamped = true;
  if (ns > std::numeric_limits<int64_t>::max()) {
    return std::numeric_limits<int64_t>::max();
  }
  if (ns < std::numeric_limits<int64_t>::min()) {
    return std::numeric_limits<int64_t>::min();
  }
  clamped = false;
  return static_cast<int64_t>(ns);
}

Result<bool> PcapngReader::packet_block(RawPacket* out) {
  const bool simple = block_type_ == kSimplePacket;
  const uint32_t min_length = simple                           ? kMinSimplePacket
                              : block_type_ == kObsoletePacket ? kMinObsoletePacket
                                                               : kMinEnhancedPacket;
  if (block_length_ < min_length) {
    return error(std::string(block_name(block_type_)) + " length " + std::to_string(block_length_) +
                 " is less than " + std::to_string(min_length));
  }
  // Simple packet blocks belong to the section's first interface.
  uint32_t interface_id = 0;
  if (block_type_ == kEnhancedPacket) {
    interface_id = u32(8);
  } else if (block_type_ == kObsoletePacket) {
    interface_id = u16(8);
  }
  if (interface_id >= interfaces_.size()) {
    return error("interface id " + std::to_string(interface_id) + " is not below the section's " +
                 std::to_string(interfaces_.size()) + " interfaces");
  }
  const Interface& iface = interfaces_[interface_id];
  const uint32_t data_at = simple ? 12 : 28;
  const uint32_t room = block_length_ - min_length;
  uint32_t orig_len = 0;
  uint32_t caplen = 0;
  if (simple) {
    orig_len = u32(8);
    caplen = iface.snaplen != 0 && iface.snaplen < orig_len ? iface.snaplen : orig_len;
  } else {
    caplen = u32(20);
    orig_len = u32(24);
  }
  if (caplen > room) {
    return error("captured length " + std::to_string(caplen) + " exceeds the " +
                 std::to_string(room) + " bytes the block holds");
  }
  if (iface.snaplen != 0 && caplen > iface.snaplen) {
    return error("captured length " + std::to_string(caplen) +
                 " exceeds the interface's snapshot length " + std::to_string(iface.snaplen));
  }
  if (!simple) {
    std::string what;
    if (!walk_options(buffer_, data_at + padded(caplen), block_length_ - 4, big_endian_, what,
                      [](uint16_t, std::span<const uint8_t>) { return true; })) {
      return error(what);
    }
  }
  const uint64_t number = returned_ + 1;
  int64_t ts_ns = last_ts_ns_;
  if (!simple) {
    const uint64_t units = (uint64_t{u32(12)} << 32) | u32(16);
    bool clamped = false;
    ts_ns = to_ns(iface, units, clamped);
    if (clamped && out != nullptr && !warned_timestamp_) {
      warned_timestamp_ = true;
      const Int128 seconds =
          static_cast<Int128>(units / iface.units_per_second) + iface.offset_seconds;
      Diagnostic d = error("invalid timestamp: " + to_string(seconds) +
                           " s is past what nanoseconds since 1970 can hold (the year 2262); "
                           "clamped (later ones not reported)");
      d.code = "capture-timestamp";
      warnings_.push_back(std::move(d));
    }
  }
  if (caplen > orig_len && out != nullptr && !warned_length_) {
    warned_length_ = true;
    Diagnostic d =
        error("captured length " + std::to_string(caplen) + " exceeds the original length " +
              std::to_string(orig_len) + "; both used as given (later ones not reported)");
    d.code = "capture-length";
    warnings_.push_back(std::move(d));
  }
  returned_ = number;
  last_ts_ns_ = ts_ns;
  if (out != nullptr) {
    out->ts_ns = ts_ns;
    out->link_type = iface.link_type;
    out->orig_len = orig_len;
    out->data = std::span<const uint8_t>(&buffer_[data_at], caplen);
    out->number = number;
    out->offset = block_offset_;
  }
  return true;
}

}  // namespace egress
