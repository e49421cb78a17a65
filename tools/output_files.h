// Output files of the command line that appear only when complete: each is written beside
// its final name and renamed into place by commit(); one never committed is removed, so a
// failed run leaves nothing that looks like a finished result.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <fstream>
#include <span>
#include <string>

#include "egress/capture/packet_decoder.h"
#include "egress/capture/raw_packet.h"

namespace egress {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// False with `error` set when the file cannot be created.
  bool open(std::string& error);
  std::ostream& stream() { return out_; }
  /// Flushes, closes and renames into place; false with `error` set when that fails.
  bool commit(std::string& error);
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

 private:
  std::string path_;
  std::string temp_;
  std::ofstream out_;
  bool committed_ = false;
};

/// A pcap file written through libpcap. Its link type is the first packet's; a later packet
/// of another link type gets that link type's header in place of its own (addresses of the
/// link layer zeroed), counted in reframed().
class PcapOut {
 public:
  explicit PcapOut(std::string path);
  ~PcapOut();
  PcapOut(const PcapOut&) = delete;
  PcapOut& operator=(const PcapOut&) = delete;

  void write(const RawPacket& packet, uint32_t l3_offset, uint8_t ip_version,
             std::span<const uint8_t> bytes);
  /// Closes and renames into place (a file with no packets gets Ethernet as link type).
  bool commit(std::string& error);
  uint64_t reframed() const { return reframed_; }
  const std::string& error() const { return error_; }

 private:
  bool start(uint16_t link_type);
  std::string path_;
  std::string temp_;
  pcap_t* dead_ = nullptr;
  pcap_dumper_t* dumper_ = nullptr;
  uint16_t link_type_ = 0;
  uint64_t reframed_ = 0;
  std::string error_;
  std::string frame_;
  bool committed_ = false;
};

}  // namespace egress
