// Load scaling of a capture (`replay --scale K --speedup S`, ../shared/spec/cli.md): the same
// traffic as if K times as many clients had sent it, S times faster, so "will the SNAT ports
// last at 10x this load" is one replay.
//
// What a clone changes, and nothing else (every other byte, the capture time, the link header,
// the packet's number and offset in its input stay the original's):
// - the client's address, only where the topology gives the client's sender more than one
//   address: a pod becomes another pod of the same node (its pod range: the maxPods
//   addresses after the node with Azure CNI, the node's /24 of podCidr with kubenet and
//   overlay). A node, a host (with or without an instance public IP), an appliance and a
//   client outside the topology keep their address: no other address is the same sender (another
//   node has its own load balancer port block, another host its own public IP), and a clone
//   must take the same routes, NSG rules and outbound path as its original, so that only its
//   SNAT use adds up;
// - the client's port (the echo identifier for ICMP echo), chosen from the seed, the flow and
//   the clone's number among ports below 32768 (under the Linux and Windows ephemeral ranges,
//   where the capture's own clients are unlikely to be) so the 5-tuple is unique among the
//   flows live at the time;
// - for IPv4 fragments, the identification (+ j * 0x9e37 for clone j), so that a clone's later
//   fragments join the clone's first fragment, not the original's;
// - the IPv4 header, TCP, UDP and ICMP checksums those changes touch, incrementally (RFC 1624):
//   a right checksum stays right, a wrong one stays wrong.
// Packets towards the client (replies, and ICMP errors quoting the client's packets, quoted
// header included) are rewritten the same way on the destination side. Packets that are not
// usable IP (ARP, ...) are repeated unchanged K times, so their counts scale too.
//
// Clone j of a packet comes right after the original and the clones before it, at the same
// capture time: K packets out per packet in, in time order, nothing read ahead. Memory follows
// the flows of the last few minutes of capture time, not the capture's length.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "egress/capture/raw_packet.h"
#include "egress/config/topology.h"
#include "egress/util/result.h"

namespace egress {

/// Capture time compression S = num / den, kept as a fraction so that times are exact.
struct Speedup {
  uint64_t num = 1;
  uint64_t den = 1;
  double value() const { return static_cast<double>(num) / static_cast<double>(den); }
  bool identity() const { return num == den; }
};

/// A positive decimal number (`10`, `2.5`, `0.25`; at most 9 decimals, at most 1e9). Errors
/// (code `bad-speedup`) name the text.
Result<Speedup> parse_speedup(std::string_view text);

/// The largest `--scale`.
inline constexpr uint32_t kMaxScale = 1000;

struct ScaleOptions {
  uint32_t scale = 1;  // K: flows out per flow in, the original included (1..kMaxScale)
  Speedup speedup;     // S: a packet at t leaves at first + floor((t - first) / S), in ns
  uint64_t seed = 0;   // the clones' ports
};

/// The packets of `inner`, each followed by its K - 1 clones, at compressed times. `inner` and
/// `topology` must outlive it. Clones (5-tuples) are unique among themselves and among the
/// capture's flows live when they start; a flow of the capture that starts later on a tuple
/// a clone holds is counted and reported as a warning (`scale-collision`) at the end.
class ScaledSource final : public PacketSource {
 public:
  ScaledSource(PacketSource& inner, const Topology& topology, ScaleOptions options);
  ~ScaledSource() override;
  ScaledSource(const ScaledSource&) = delete;
  ScaledSource& operator=(const ScaledSource&) = delete;

  Result<bool> next(RawPacket& out) override;
  /// The inner source's warnings, then this one's (complete at the end of the input).
  const std::vector<Diagnostic>& warnings() const override;
  /// The inner source's.
  SourcePosition position() const override;

  /// Flows remembered now (each with its clones' tuples).
  size_t live_flows() const;
  /// Flows of the capture that started on a tuple a live clone held.
  uint64_t collisions() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace egress
