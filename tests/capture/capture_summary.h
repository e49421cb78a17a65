// Reads a whole capture and counts what the tests compare: packets, distinct flows and
// packets per kind, the way replay's summary will count them.
#pragma once

#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "egress/capture/capture_reader.h"
#include "egress/capture/packet_decoder.h"

namespace egress::test {

struct CaptureSummary {
  std::string error;  // message of the error that ended reading, if any
  uint64_t packets = 0;
  // Distinct bidirectional flows: the 5-tuple with its two ends sorted, so both directions
  // count once (ICMP echo by identifier; ICMP errors count as the flow they quote).
  int tcp_flows = 0;
  int udp_flows = 0;
  int icmp_flows = 0;
  std::string kinds;     // "ip=12 arp=2", kinds with no packet left out
  std::string warnings;  // warning messages joined with " | "
};

inline CaptureSummary summarize(PacketSource& source) {
  CaptureSummary s;
  PacketDecoder decoder;
  RawPacket packet;
  int counts[kPacketKindCount] = {};
  std::set<std::tuple<int, IpAddress, int, IpAddress, int>> flows;
  for (;;) {
    Result<bool> got = source.next(packet);
    if (!got) {
      s.error = got.error().message;
      break;
    }
    if (!*got) {
      break;
    }
    ++s.packets;
    const DecodedPacket d = decoder.decode(packet);
    ++counts[static_cast<int>(d.kind)];
    if (d.kind != PacketKind::kIp) {
      continue;
    }
    auto a = std::make_pair(d.key.src, int{d.key.sport});
    auto b = std::make_pair(d.key.dst, int{d.key.dport});
    if (b < a) {
      std::swap(a, b);
    }
    flows.emplace(static_cast<int>(d.key.proto), a.first, a.second, b.first, b.second);
  }
  for (const auto& f : flows) {
    switch (static_cast<Protocol>(std::get<0>(f))) {
      case Protocol::kTcp:
        ++s.tcp_flows;
        break;
      case Protocol::kUdp:
        ++s.udp_flows;
        break;
      case Protocol::kIcmp:
        ++s.icmp_flows;
        break;
    }
  }
  for (int k = 0; k < kPacketKindCount; ++k) {
    if (counts[k] > 0) {
      s.kinds += (s.kinds.empty() ? "" : " ") + std::string(to_string(static_cast<PacketKind>(k))) +
                 "=" + std::to_string(counts[k]);
    }
  }
  for (const Diagnostic& w : source.warnings()) {
    s.warnings += (s.warnings.empty() ? "" : " | ") + w.message;
  }
  return s;
}

}  // namespace egress::test
