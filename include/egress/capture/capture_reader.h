// Capture files read through libpcap (pcap in both byte orders, micro- and nanosecond, and
// pcapng with several sections and interfaces), and several of them merged in capture time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "egress/capture/raw_packet.h"

namespace egress {

/// One capture file. Errors: `FILE: what` for a file libpcap refuses, `FILE: packet N
/// (offset B): what` for a record it cannot read. A last record cut short by the end of the
/// file is a warning, not an error.
class CaptureReader final : public PacketSource {
 public:
  static Result<std::unique_ptr<CaptureReader>> open(const std::string& path, uint32_t input = 0);
  ~CaptureReader() override;

  Result<bool> next(RawPacket& out) override;
  const std::vector<Diagnostic>& warnings() const override;
  const std::string& path() const;

 private:
  struct Impl;
  explicit CaptureReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Several sources merged by timestamp (ties: input order), as captures taken on several
/// nodes at once are. A single source passes through.
class MergedSource final : public PacketSource {
 public:
  explicit MergedSource(std::vector<std::unique_ptr<PacketSource>> inputs);
  ~MergedSource() override;

  Result<bool> next(RawPacket& out) override;
  const std::vector<Diagnostic>& warnings() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Opens every path (input indices in argument order) and merges them.
Result<std::unique_ptr<PacketSource>> open_captures(const std::vector<std::string>& paths);

}  // namespace egress
