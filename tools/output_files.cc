#include "output_files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace egress {
namespace {

// Link-layer headers for a packet moved to another link type: only what readers need to find
// the IP header (ethertype, protocol family), everything else zero.
std::string link_header(uint16_t link_type, uint8_t ip_version) {
  const bool v6 = ip_version == 6;
  const char ether_hi = v6 ? '\x86' : '\x08';
  const char ether_lo = v6 ? '\xdd' : '\x00';
  switch (link_type) {
    case kLinkEthernet:
      return std::string(12, '\0') + ether_hi + ether_lo;
    case kLinkLinuxSll: {
      std::string h(16, '\0');
      h[1] = 4;  // sent by us
      h[14] = ether_hi;
      h[15] = ether_lo;
      return h;
    }
    case kLinkLinuxSll2: {
      std::string h(20, '\0');
      h[0] = ether_hi;
      h[1] = ether_lo;
      h[10] = 4;  // sent by us
      return h;
    }
    case kLinkNull: {
      // Host byte order, as the writer's: AF_INET 2, AF_INET6 as Linux has it (10) is not
      // what BSD readers expect, so the BSD value 24 that every reader accepts.
      uint32_t af = v6 ? 24 : 2;
      std::string h(4, '\0');
      std::memcpy(h.data(), &af, 4);
      return h;
    }
    case kLinkLoop: {
      std::string h(4, '\0');
      h[3] = static_cast<char>(v6 ? 24 : 2);
      return h;
    }
    default:
      return {};
  }
}

}  // namespace

PcapOut::PcapOut(std::FILE* file, std::string name) : file_(file), name_(std::move(name)) {}

PcapOut::~PcapOut() {
  // The dumper is the stream itself, which OutputSet closes: pcap_dump_close() would close it.
  if (dead_ != nullptr) {
    pcap_close(dead_);
  }
}

bool PcapOut::start(uint16_t link_type) {
  link_type_ = link_type;
  // A generous snaplen: packets are written as long as they were captured.
  dead_ = pcap_open_dead_with_tstamp_precision(link_type, 262144, PCAP_TSTAMP_PRECISION_NANO);
  if (dead_ == nullptr) {
    error_ = name_ + ": libpcap cannot write link type " + std::to_string(link_type);
    return false;
  }
  dumper_ = pcap_dump_fopen(dead_, file_);
  if (dumper_ == nullptr) {
    error_ = name_ + ": cannot write: " + pcap_geterr(dead_);
    return false;
  }
  return true;
}

void PcapOut::write(const RawPacket& packet, uint32_t l3_offset, uint8_t ip_version,
                    std::span<const uint8_t> bytes) {
  if (!error_.empty()) {
    return;
  }
  if (dumper_ == nullptr && !start(packet.link_type)) {
    return;
  }
  pcap_pkthdr header{};
  header.ts.tv_sec = static_cast<time_t>(packet.ts_ns / 1'000'000'000);
  // With nanosecond precision libpcap stores tv_usec as nanoseconds.
  header.ts.tv_usec = static_cast<suseconds_t>(packet.ts_ns % 1'000'000'000);
  if (packet.link_type == link_type_) {
    header.caplen = static_cast<uint32_t>(bytes.size());
    header.len = packet.orig_len;
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, bytes.data());
    return;
  }
  ++reframed_;
  frame_ = link_header(link_type_, ip_version);
  frame_.append(reinterpret_cast<const char*>(bytes.data()) + l3_offset, bytes.size() - l3_offset);
  header.caplen = static_cast<uint32_t>(frame_.size());
  header.len = static_cast<uint32_t>(packet.orig_len - l3_offset + frame_.size() -
                                     (bytes.size() - l3_offset));
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &header,
            reinterpret_cast<const u_char*>(frame_.data()));
}

bool PcapOut::finish(std::string& error) {
  if (error_.empty() && dumper_ == nullptr) {
    start(kLinkEthernet);
  }
  if (!error_.empty()) {
    error = error_;
    return false;
  }
  if (pcap_dump_flush(dumper_) != 0) {
    error = name_ + ": cannot write: " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace egress
