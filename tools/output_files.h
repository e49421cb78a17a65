// Output files of the command line that appear only when complete: each is written beside
// its final name and renamed into place by commit(); one never committed is removed, so a
// failed run leaves nothing that looks like a finished result.
#pragma once

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <span>
#include <string>

#include "egress/capture/packet_decoder.h"
#include "egress/capture/pcap_writer.h"
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

/// A pcap file (egress/capture/pcap_writer.h) written aside and renamed into place by
/// commit(). Its link type is the first packet's; reframed() and skipped() are the writer's.
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
  uint64_t reframed() const { return writer_ ? writer_->reframed() : 0; }
  uint64_t skipped() const { return writer_ ? writer_->skipped() : 0; }
  const std::string& error() const { return error_; }

 private:
  bool open();
  std::string path_;
  std::string temp_;
  std::FILE* file_ = nullptr;
  std::optional<PcapWriter> writer_;
  std::string error_;
  bool committed_ = false;
};

}  // namespace egress
