#include "egress/capture/pcap_writer.h"

#include <pcap/pcap.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>

#include "capture/link_types_internal.h"

namespace egress {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;
// libpcap's largest snaplen (MAXIMUM_SNAPLEN): packets are written as long as they were
// captured.
constexpr int kSnaplen = 262144;
// Passed on to the caller's file a megabyte at a time, which glibc passes to write() whole.
constexpr size_t kOutBuffer = size_t{1} << 20;
// Full buffers waiting for the background thread before write() waits for it: enough to ride
// out one slow write, few enough that the writer's memory stays a few megabytes.
constexpr size_t kQueuedBuffers = 2;

// Address families in link headers. NULL and LOOP readers (tcpdump, Wireshark, ours) take the
// BSD AF_INET6 24 wherever the file came from; NFLOG carries Linux's own.
constexpr uint8_t kAfInet = 2;
constexpr uint8_t kAfInet6Bsd = 24;
constexpr uint8_t kAfInet6Linux = 10;
// Linux cooked headers: "sent by us", and ARPHRD_NONE (what tcpdump -i any records for
// interfaces without link addresses, such as tun devices).
constexpr uint8_t kSllOutgoing = 4;
constexpr uint16_t kArphrdNone = 0xFFFE;
// NFLOG: header (family, version, resource id), then TLVs in host byte order.
constexpr uint16_t kNflogPayload = 9;
constexpr size_t kNflogHeader = 4;
constexpr size_t kTlvHeader = 4;

void put16_be(std::string& s, size_t at, uint16_t v) {
  s[at] = static_cast<char>(v >> 8);
  s[at + 1] = static_cast<char>(v & 0xFF);
}

// The link header that stands in front of an IP packet of `ip_length` bytes in a file of
// `link_type`, or nullopt when that link type cannot carry it. NFLOG's TLV counts the packet.
std::optional<std::string> link_header(uint16_t link_type, uint8_t ip_version, size_t ip_length) {
  if (ip_version != 4 && ip_version != 6) {
    return std::nullopt;
  }
  const bool v6 = ip_version == 6;
  const uint16_t ethertype = v6 ? 0x86DD : 0x0800;
  switch (link_type) {
    case kLinkEthernet: {
      std::string h(14, '\0');
      put16_be(h, 12, ethertype);
      return h;
    }
    case kLinkLinuxSll: {
      // pkttype, ARPHRD type, address length, address (8), protocol.
      std::string h(16, '\0');
      put16_be(h, 0, kSllOutgoing);
      put16_be(h, 2, kArphrdNone);
      put16_be(h, 14, ethertype);
      return h;
    }
    case kLinkLinuxSll2: {
      // protocol, reserved, interface index (4), ARPHRD type, pkttype, address length, address.
      std::string h(20, '\0');
      put16_be(h, 0, ethertype);
      put16_be(h, 8, kArphrdNone);
      h[10] = static_cast<char>(kSllOutgoing);
      return h;
    }
    case kLinkNull: {
      // The writer's byte order, which is this machine's: the file header is too.
      const uint32_t family = v6 ? kAfInet6Bsd : kAfInet;
      std::string h(4, '\0');
      std::memcpy(h.data(), &family, 4);
      return h;
    }
    case kLinkLoop: {
      std::string h(4, '\0');
      h[3] = static_cast<char>(v6 ? kAfInet6Bsd : kAfInet);
      return h;
    }
    case kLinkRaw:
      return std::string();
    case kLinkIpv4:
    case kLinkIpv6:
      if ((link_type == kLinkIpv6) != v6) {
        return std::nullopt;
      }
      return std::string();
    case kLinkNflog: {
      const size_t tlv_length = kTlvHeader + ip_length;
      if (tlv_length > 0xFFFF) {
        return std::nullopt;
      }
      std::string h(kNflogHeader + kTlvHeader, '\0');
      h[0] = static_cast<char>(v6 ? kAfInet6Linux : kAfInet);
      const uint16_t length = static_cast<uint16_t>(tlv_length);
      std::memcpy(&h[kNflogHeader], &length, 2);
      std::memcpy(&h[kNflogHeader + 2], &kNflogPayload, 2);
      return h;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

// The thread that passes full buffers on to the file, in the order they were handed over: the
// kernel's copy into the page cache (on tmpfs, its first allocation of those pages too) was
// otherwise the calling thread's, which reads, decodes and runs the stage of a threaded replay
// (bench/README.md, "Third round").
struct PcapWriter::Background {
  explicit Background(std::FILE* to) : file(to), thread([this] { run(); }) {}
  ~Background() {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    changed.notify_all();
    thread.join();
  }

  // Takes `buffer` (leaving it empty, with its capacity) for writing; false once a write failed.
  bool hand_over(std::vector<char>& buffer) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return queue.size() < kQueuedBuffers || error != 0; });
    if (error != 0) {
      return false;
    }
    queue.push_back(std::move(buffer));
    if (!spare.empty()) {
      buffer = std::move(spare.back());
      spare.pop_back();
    } else {
      buffer = std::vector<char>();
      buffer.reserve(kOutBuffer + kSnaplen + 16);
    }
    lock.unlock();
    changed.notify_all();
    return true;
  }
  // Waits for every buffer handed over; the errno of the first failed write, or 0.
  int wait_idle() {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return (queue.empty() && !writing) || error != 0; });
    return error;
  }

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return !queue.empty() || stop; });
      if (queue.empty()) {
        return;
      }
      std::vector<char> buffer = std::move(queue.front());
      queue.pop_front();
      writing = true;
      lock.unlock();
      errno = 0;
      const bool ok = std::fwrite(buffer.data(), 1, buffer.size(), file) == buffer.size();
      const int why = ok ? 0 : (errno != 0 ? errno : EIO);
      buffer.clear();
      lock.lock();
      writing = false;
      if (!ok && error == 0) {
        error = why;
        queue.clear();
      }
      spare.push_back(std::move(buffer));
      changed.notify_all();
    }
  }

  std::FILE* file;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::vector<char>> queue;
  std::vector<std::vector<char>> spare;
  bool writing = false;
  bool stop = false;
  int error = 0;
  std::thread thread;  // last: started once everything it reads is made
};

PcapWriter::PcapWriter(std::FILE* file, std::string name) : file_(file), name_(std::move(name)) {}

PcapWriter::~PcapWriter() {
  background_.reset();  // writes what was handed over, so the caller's file is whole
  if (dead_ != nullptr) {
    pcap_close(dead_);
  }
}

bool PcapWriter::fail(std::string message) {
  if (!error_) {
    error_ = Diagnostic{"pcap-write", std::move(message), SourceLocation{name_, 0, 0}};
  }
  return false;
}

bool PcapWriter::flush_out() {
  if (out_.empty()) {
    return true;
  }
  if (!background_) {
    background_ = std::make_unique<Background>(file_);
  }
  if (!background_->hand_over(out_)) {
    return fail(std::string("cannot write: ") + std::strerror(background_->wait_idle()));
  }
  return true;
}

void PcapWriter::append_record(int64_t seconds, int64_t fraction, uint32_t caplen, uint32_t len,
                               const void* data) {
  // libpcap's record header (sf-pcap.c, pcap_sf_pkthdr), in this machine's byte order as it
  // writes it: signed 32-bit seconds, the fraction (nanoseconds, with the magic that says so),
  // captured and original lengths.
  struct {
    int32_t seconds;
    int32_t fraction;
    uint32_t caplen;
    uint32_t len;
  } header{static_cast<int32_t>(seconds), static_cast<int32_t>(fraction), caplen, len};
  static_assert(sizeof header == 16);
  const auto* h = reinterpret_cast<const char*>(&header);
  out_.insert(out_.end(), h, h + sizeof header);
  const auto* d = static_cast<const char*>(data);
  out_.insert(out_.end(), d, d + caplen);
}

bool PcapWriter::start(uint16_t link_type) {
  started_ = true;
  link_type_ = link_type;
  dead_ = pcap_open_dead_with_tstamp_precision(dlt_of_link_type(link_type), kSnaplen,
                                               PCAP_TSTAMP_PRECISION_NANO);
  if (dead_ == nullptr) {
    return fail("libpcap cannot write link type " + std::to_string(link_type));
  }
  // libpcap writes the file header (its magic for nanoseconds, snaplen, and the link type as
  // it maps it) into memory; the records after it are ours, appended to a buffer passed on a
  // megabyte at a time: libpcap's pcap_dump() took two locked fwrite()s per packet, 5% of a
  // two-thread replay with --pcap-out (bench/README.md, "Second round").
  char* header = nullptr;
  size_t header_size = 0;
  FILE* memory = open_memstream(&header, &header_size);
  if (memory == nullptr) {
    return fail(std::string("cannot write: ") + std::strerror(errno));
  }
  pcap_dumper* dumper = pcap_dump_fopen(dead_, memory);
  if (dumper == nullptr) {
    // libpcap has closed `memory` when the header could not be written, not when it refused
    // the link type.
    std::string why = pcap_geterr(dead_);
    if (why.starts_with("stream: ")) {
      why.erase(0, 8);
    }
    if (std::string_view(why).find("isn't supported in savefiles") != std::string_view::npos) {
      std::fclose(memory);
      std::free(header);
      return fail("libpcap cannot write link type " + std::to_string(link_type) + " (" + why + ")");
    }
    std::free(header);
    return fail("cannot write: " + why);
  }
  pcap_dump_close(dumper);  // closes `memory`, which leaves the header in `header`
  out_.reserve(kOutBuffer + kSnaplen + 16);
  out_.assign(header, header + header_size);
  std::free(header);
  return true;
}

bool PcapWriter::write(const RawPacket& packet, std::span<const uint8_t> bytes, uint32_t l3_offset,
                       uint8_t ip_version) {
  if (error_ || finished_) {
    return false;
  }
  if (!started_ && !start(packet.link_type)) {
    return false;
  }
  // Floor division: a fraction is never negative.
  int64_t seconds = packet.ts_ns / kNsPerSecond;
  int64_t fraction = packet.ts_ns % kNsPerSecond;
  if (fraction < 0) {
    fraction += kNsPerSecond;
    --seconds;
  }
  // libpcap reads the seconds back as a signed 32-bit number (and writes them so).
  if (seconds < 0 || seconds > int64_t{INT32_MAX}) {
    return fail("packet " + std::to_string(packet.number) + ": timestamp " +
                std::to_string(seconds) +
                " s is outside what pcap's 32-bit seconds hold (1970 to 2038-01-19T03:14:07Z)");
  }
  if (packet.link_type == link_type_) {
    append_record(seconds, fraction, static_cast<uint32_t>(bytes.size()), packet.orig_len,
                  bytes.data());
  } else {
    const size_t captured_ip = l3_offset <= bytes.size() ? bytes.size() - l3_offset : 0;
    const size_t wire_ip = packet.orig_len > l3_offset ? packet.orig_len - l3_offset : captured_ip;
    std::optional<std::string> link =
        l3_offset <= bytes.size() ? link_header(link_type_, ip_version, wire_ip) : std::nullopt;
    if (!link) {
      ++skipped_;
      return true;
    }
    frame_ = std::move(*link);
    const size_t link_length = frame_.size();
    frame_.append(reinterpret_cast<const char*>(bytes.data()) + l3_offset, captured_ip);
    // NFLOG's TLVs are padded to 4 bytes; the padding is there only if the packet is.
    size_t padding = 0;
    if (link_type_ == kLinkNflog) {
      padding = (4 - wire_ip % 4) % 4;
      if (captured_ip == wire_ip) {
        frame_.append(padding, '\0');
      }
    }
    append_record(seconds, fraction, static_cast<uint32_t>(frame_.size()),
                  static_cast<uint32_t>(link_length + wire_ip + padding), frame_.data());
    ++reframed_;
  }
  ++written_;
  return out_.size() < kOutBuffer || flush_out();
}

Result<uint64_t> PcapWriter::finish(uint16_t empty_link_type) {
  if (!error_ && !finished_) {
    finished_ = true;
    if ((started_ || start(empty_link_type)) && flush_out()) {
      if (const int why = background_ ? background_->wait_idle() : 0; why != 0) {
        fail(std::string("cannot write: ") + std::strerror(why));
      } else if (std::fflush(file_) != 0) {
        fail(std::string("cannot write: ") + std::strerror(errno));
      }
    }
  }
  if (error_) {
    return *error_;
  }
  return written_;
}

}  // namespace egress
