// The pcap writer of the command line's --pcap-out outputs, over a stream OutputSet opened.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

#include "egress/capture/packet_decoder.h"
#include "egress/capture/raw_packet.h"

namespace egress {

/// A pcap file written through libpcap. Its link type is the first packet's; a later packet
/// of another link type gets that link type's header in place of its own (addresses of the
/// link layer zeroed), counted in reframed().
class PcapOut {
 public:
  /// Writes to `file`, which it does not own; `name` says which output in messages.
  PcapOut(std::FILE* file, std::string name);
  ~PcapOut();
  PcapOut(const PcapOut&) = delete;
  PcapOut& operator=(const PcapOut&) = delete;

  void write(const RawPacket& packet, uint32_t l3_offset, uint8_t ip_version,
             std::span<const uint8_t> bytes);
  /// Writes the file header if no packet came (Ethernet then) and flushes.
  bool finish(std::string& error);
  uint64_t reframed() const { return reframed_; }
  const std::string& error() const { return error_; }

 private:
  bool start(uint16_t link_type);
  std::FILE* file_;
  std::string name_;
  pcap_t* dead_ = nullptr;
  pcap_dumper_t* dumper_ = nullptr;
  uint16_t link_type_ = 0;
  uint64_t reframed_ = 0;
  std::string error_;
  std::string frame_;
};

}  // namespace egress
