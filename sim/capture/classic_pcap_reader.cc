#include "capture/classic_pcap_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>
#include <utility>

#include "egress/capture/raw_packet.h"

namespace egress {
namespace {

// libpcap's magics (sf-pcap.c), read in the file's byte order.
constexpr uint32_t kMicroMagic = 0xa1b2c3d4;
constexpr uint32_t kNanoMagic = 0xa1b23c4d;
constexpr size_t kRecordHeader = 16;
// MAXIMUM_SNAPLEN: libpcap's max_snaplen_for_dlt for every link type taken here.
constexpr uint32_t kMaxSnaplen = 262144;
// A stream is read this much at a time: a read system call per megabyte, not per 4 KiB
// (glibc ignores setvbuf's size when it is not given the buffer).
constexpr size_t kStreamChunk = size_t{1} << 20;

uint32_t load32(const uint8_t* p, bool big_endian) {
  if (big_endian) {
    return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
           static_cast<uint32_t>(p[2]) << 8 | p[3];
  }
  return static_cast<uint32_t>(p[3]) << 24 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[1]) << 8 | p[0];
}
uint16_t load16(const uint8_t* p, bool big_endian) {
  return big_endian ? static_cast<uint16_t>(p[0] << 8 | p[1])
                    : static_cast<uint16_t>(p[1] << 8 | p[0]);
}

// Link types that libpcap hands back as they are in the file: its number is the same as
// the file's (linktype_to_dlt; LINKTYPE_RAW 101 becomes DLT_RAW, which CaptureReader maps
// back), and no pseudo-header is rewritten. Linux cooked v1 and v2 and NFLOG headers are
// byte-swapped by libpcap in files of the other byte order (swap_pseudo_headers), so those
// files stay libpcap's.
bool taken(uint32_t link_type, bool swapped) {
  switch (link_type) {
    case kLinkNull:
    case kLinkEthernet:
    case kLinkRaw:
    case kLinkLoop:
    case kLinkIpv4:
    case kLinkIpv6:
      return true;
    case kLinkLinuxSll:
    case kLinkLinuxSll2:
    case kLinkNflog:
      return !swapped;
    default:
      return false;
  }
}

}  // namespace

std::optional<ClassicPcapHeader> ClassicPcapHeader::parse(std::span<const uint8_t> bytes) {
  if (bytes.size() < kSize) {
    return std::nullopt;
  }
  ClassicPcapHeader h;
  const uint32_t big = load32(bytes.data(), true);
  const uint32_t little = load32(bytes.data(), false);
  bool big_endian = false;
  if (big == kMicroMagic || big == kNanoMagic) {
    big_endian = true;
    h.nanosecond = big == kNanoMagic;
  } else if (little == kMicroMagic || little == kNanoMagic) {
    h.nanosecond = little == kNanoMagic;
  } else {
    return std::nullopt;
  }
  h.swapped = big_endian != (std::endian::native == std::endian::big);
  if (load16(bytes.data() + 4, big_endian) != 2 || load16(bytes.data() + 6, big_endian) != 4) {
    return std::nullopt;
  }
  const uint32_t snaplen = load32(bytes.data() + 16, big_endian);
  const uint32_t link_type = load32(bytes.data() + 20, big_endian);
  if (link_type > 0xFFFF || !taken(link_type, h.swapped)) {
    return std::nullopt;
  }
  h.link_type = static_cast<uint16_t>(link_type);
  h.snapshot = snaplen == 0 || snaplen > uint32_t{INT_MAX} ? kMaxSnaplen : snaplen;
  return h;
}

ClassicPcapReader::ClassicPcapReader(const ClassicPcapHeader& header,
                                     std::span<const uint8_t> bytes)
    : header_(header), data_(bytes.data()), begin_(ClassicPcapHeader::kSize), end_(bytes.size()) {}

std::optional<ClassicPcapReader> ClassicPcapReader::read_file(const ClassicPcapHeader& header,
                                                              int fd, uint64_t size) {
  if (size < ClassicPcapHeader::kSize) {
    return std::nullopt;
  }
  const int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) {
    return std::nullopt;
  }
  // Each byte is read once, front to back.
  ::posix_fadvise(own, 0, 0, POSIX_FADV_SEQUENTIAL);
  ClassicPcapReader reader;
  reader.header_ = header;
  reader.fd_ = own;
  reader.buffer_.resize(kStreamChunk);
  reader.data_ = reader.buffer_.data();
  reader.base_ = ClassicPcapHeader::kSize;
  return reader;
}

ClassicPcapReader::ClassicPcapReader(const ClassicPcapHeader& header, std::FILE* file)
    : header_(header), file_(file), buffer_(kStreamChunk) {
  data_ = buffer_.data();
  base_ = ClassicPcapHeader::kSize;
}

ClassicPcapReader::ClassicPcapReader(ClassicPcapReader&& other) noexcept
    : header_(other.header_),
      data_(other.data_),
      begin_(other.begin_),
      end_(other.end_),
      base_(other.base_),
      fd_(std::exchange(other.fd_, -1)),
      file_(other.file_),
      buffer_(std::move(other.buffer_)),
      shared_(std::move(other.shared_)),
      retired_(std::move(other.retired_)),
      pool_(std::move(other.pool_)),
      eof_(other.eof_),
      read_errno_(other.read_errno_),
      done_(other.done_),
      error_(std::move(other.error_)) {}

ClassicPcapReader::~ClassicPcapReader() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

// Spare buffers for keep_bytes(), handed back by the last handle on each. Handles may be let
// go on any thread.
struct ClassicPcapReader::BufferPool {
  std::mutex mutex;
  std::vector<std::unique_ptr<std::vector<uint8_t>>> spare;

  static std::shared_ptr<std::vector<uint8_t>> take(const std::shared_ptr<BufferPool>& pool,
                                                    size_t size) {
    std::unique_ptr<std::vector<uint8_t>> b;
    {
      std::lock_guard lock(pool->mutex);
      if (!pool->spare.empty()) {
        b = std::move(pool->spare.back());
        pool->spare.pop_back();
      }
    }
    if (!b) {
      b = std::make_unique<std::vector<uint8_t>>();
    }
    if (b->size() < size) {
      b->resize(size);
    }
    return {b.release(), [pool](std::vector<uint8_t>* v) {
              std::lock_guard lock(pool->mutex);
              pool->spare.emplace_back(v);
            }};
  }
};

bool ClassicPcapReader::keep_bytes() {
  if (file_ == nullptr && fd_ < 0) {
    return false;
  }
  if (!pool_) {
    pool_ = std::make_shared<BufferPool>();
    shared_ = BufferPool::take(pool_, std::max(buffer_.size(), kStreamChunk));
    std::memcpy(shared_->data(), buffer_.data() + begin_, end_ - begin_);
    base_ += begin_;
    end_ -= begin_;
    begin_ = 0;
    data_ = shared_->data();
    buffer_ = {};
  }
  return true;
}

std::shared_ptr<const void> ClassicPcapReader::pin() {
  if (!shared_) {
    return nullptr;
  }
  retired_.push_back(shared_);
  auto held =
      std::make_shared<std::vector<std::shared_ptr<std::vector<uint8_t>>>>(std::move(retired_));
  retired_.clear();
  return held;
}

size_t ClassicPcapReader::available(size_t need) {
  if (end_ - begin_ >= need || (file_ == nullptr && fd_ < 0) || eof_) {
    return std::min(need, end_ - begin_);
  }
  if (shared_) {
    // keep_bytes(): the records read so far stay where they are; the unread tail starts a
    // fresh buffer.
    std::shared_ptr<std::vector<uint8_t>> fresh =
        BufferPool::take(pool_, std::max(need, kStreamChunk));
    std::memcpy(fresh->data(), data_ + begin_, end_ - begin_);
    retired_.push_back(std::exchange(shared_, std::move(fresh)));
    data_ = shared_->data();
  } else {
    // Only now is the previous record's data no longer in use.
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
  }
  base_ += begin_;
  end_ -= begin_;
  begin_ = 0;
  std::vector<uint8_t>& buffer = storage();
  if (buffer.size() < need) {
    buffer.resize(need);
    data_ = buffer.data();
  }
  while (end_ < buffer.size()) {
    const size_t want = buffer.size() - end_;
    const size_t got = fd_ >= 0 ? read_at(want) : std::fread(buffer.data() + end_, 1, want, file_);
    end_ += got;
    if (got < want) {
      if (fd_ < 0 && std::ferror(file_) != 0) {
        read_errno_ = errno != 0 ? errno : EIO;
      }
      eof_ = true;
      break;
    }
  }
  return std::min(need, end_ - begin_);
}

size_t ClassicPcapReader::read_at(size_t want) {
  size_t got = 0;
  while (got < want) {
    const ssize_t n = ::pread(fd_, storage().data() + end_ + got, want - got,
                              static_cast<off_t>(base_ + end_ + got));
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      read_errno_ = errno;
      break;
    }
  }
  return got;
}

ClassicPcapReader::Status ClassicPcapReader::stop(Status status, std::string error) {
  done_ = true;
  if (read_errno_ != 0) {
    // libpcap's pcap_fmt_errmsg_for_errno: what it was doing, then strerror.
    status = Status::kError;
    error = std::string("error reading dump file: ") + std::strerror(read_errno_);
  }
  error_ = std::move(error);
  return status;
}

ClassicPcapReader::Status ClassicPcapReader::next(ClassicPcapRecord& out) {
  if (done_) {
    return Status::kEnd;
  }
  const uint64_t offset = base_ + begin_;
  const size_t header_bytes = available(kRecordHeader);
  if (header_bytes < kRecordHeader) {
    if (header_bytes == 0 && read_errno_ == 0) {
      done_ = true;
      return Status::kEnd;
    }
    return stop(Status::kTruncated,
                "truncated dump file; tried to read 16 header bytes, only got " +
                    std::to_string(header_bytes));
  }
  const bool big_endian = header_.swapped != (std::endian::native == std::endian::big);
  const uint8_t* h = data_ + begin_;
  const uint32_t caplen = load32(h + 8, big_endian);
  const uint32_t len = load32(h + 12, big_endian);
  // libpcap reads the fields as signed 32 bits, but through SWAPLONG, which is unsigned, in
  // files of the other byte order: a time before 1970 there is far in the future.
  const uint32_t raw_seconds = load32(h, big_endian);
  const uint32_t raw_fraction = load32(h + 4, big_endian);
  const int64_t seconds =
      header_.swapped ? int64_t{raw_seconds} : static_cast<int32_t>(raw_seconds);
  int64_t fraction = header_.swapped ? int64_t{raw_fraction} : static_cast<int32_t>(raw_fraction);
  if (!header_.nanosecond) {
    fraction *= 1000;
  }
  if (caplen > kMaxSnaplen) {
    if (caplen > header_.snapshot) {
      return stop(Status::kError, "invalid packet capture length " + std::to_string(caplen) +
                                      ", bigger than snaplen of " +
                                      std::to_string(header_.snapshot));
    }
    return stop(Status::kError, "invalid packet capture length " + std::to_string(caplen) +
                                    ", bigger than maximum of " + std::to_string(kMaxSnaplen));
  }
  // libpcap keeps the first snapshot bytes of a longer record and skips the rest.
  const uint32_t kept = std::min(caplen, header_.snapshot);
  const size_t got = available(kRecordHeader + caplen) - kRecordHeader;
  if (got < kept) {
    return stop(Status::kTruncated, "truncated dump file; tried to read " + std::to_string(kept) +
                                        " captured bytes, only got " + std::to_string(got));
  }
  if (got < caplen) {
    return stop(Status::kTruncated, "truncated dump file; tried to read " + std::to_string(caplen) +
                                        " captured bytes, only got " + std::to_string(got));
  }
  const uint8_t* record = data_ + begin_;
  out.seconds = seconds;
  out.fraction = fraction;
  out.caplen = kept;
  out.len = len;
  out.data = std::span<const uint8_t>(record + kRecordHeader, kept);
  out.offset = offset;
  begin_ += kRecordHeader + caplen;
  return Status::kPacket;
}

}  // namespace egress
