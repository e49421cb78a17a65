// Replay: packets in capture time through the engine, a bidirectional flow table, and the SNAT
// port pools (../shared/spec/semantics.md 5, cli.md `replay` and `synth`). The engine decides
// each new flow's path; the replay adds what only time can tell: which port a flow held,
// whether one was left, and how many packets and bytes it carried.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "egress/capture/packet_decoder.h"
#include "egress/capture/raw_packet.h"
#include "egress/engine/engine.h"
#include "egress/engine/flow.h"
#include "egress/util/result.h"

namespace egress {

struct FlowStats {
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;  // on the wire (original lengths), both directions
};

/// One flow as replay reports it: the engine's result with the port it really held.
struct FlowRecord {
  FlowResult result;
  FlowStats stats;
};

class DestinationGroups;

struct ReplayOptions {
  uint64_t seed = 0;
  /// Named destination groups (`--groups`): the summary then has a row per group. Must outlive
  /// the Replayer.
  const DestinationGroups* groups = nullptr;
  /// What the input was scaled by (ScaledSource, replay --scale/--speedup), for the summary.
  uint32_t scale = 1;
  double speedup = 1;
  /// Build the per-flow records (FlowRecord) for ReplaySink::on_flow. Off, only the summary.
  bool records = true;
  /// Rewrite packets past the egress point for ReplaySink::on_egress_packet.
  bool rewrite = false;
  uint64_t progress_every = uint64_t{1} << 18;  // packets between on_progress calls
  /// Workers that track flows (replay(), not Replayer): 1 runs everything on the calling
  /// thread. Any number gives the same results, byte for byte.
  uint32_t threads = 1;
};

struct ReplayProgress {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t flows = 0;
  uint64_t live_flows = 0;
  int64_t now_ns = 0;
};

/// Where results go as they happen, so nothing grows with the capture's length.
class ReplaySink {
 public:
  virtual ~ReplaySink() = default;
  /// A flow ended (FIN, RST, idle timeout, or the end of the input).
  virtual void on_flow(const FlowRecord& record) = 0;
  /// A packet as it leaves (source rewritten) or returns (destination rewritten) past the
  /// egress point. `bytes` (the packet's, rewritten; `decoded` says where its headers are) is
  /// valid during the call only.
  virtual void on_egress_packet(const RawPacket& packet, const DecodedPacket& decoded,
                                std::span<const uint8_t> bytes);
  virtual void on_progress(const ReplayProgress& progress);
};

/// Ports in use over capture time, for the reports' charts: at most kBuckets buckets of equal
/// width from the capture's first packet, each holding the most ports in use at any moment in
/// it. The width starts at 1 ms and doubles (neighbouring buckets merged) whenever the capture
/// outgrows it, so the size is bounded whatever the capture's length and the result depends
/// only on the packets. Every row of one summary has the same start and width. Sampled when a
/// flow takes or gives back a port; a NAT gateway port whose cool-down ends counts until the
/// IP's next take or give-back.
struct PortTimeline {
  static constexpr size_t kBuckets = 64;
  int64_t start_ns = 0;
  int64_t bucket_ns = 0;            // 0: no sample (the row never held a port)
  std::vector<uint32_t> in_use;     // the most ports in use in each bucket
  std::vector<uint32_t> exhausted;  // new flows that found no port, in each bucket
  int64_t first_exhausted_ns = -1;  // capture time of the first such flow; -1: none
};

/// Use of one public IP or one resource during the replay.
struct UsageRow {
  std::string name;  // the IP, or the resource name
  std::string via;   // natGateway, loadBalancer, appliance, instancePublicIp
  std::string resource;
  uint64_t flows = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t peak_ports_in_use = 0;
  uint64_t ports = 0;
  uint64_t snat_exhausted = 0;
  PortTimeline timeline;  // for reports; not in the summary's JSON or table
};

/// The flows to one named destination group (or to none of them).
struct GroupUsage {
  std::string name;  // empty for the flows no group matches
  uint64_t flows = 0;
  std::map<std::string, uint64_t> verdicts;
  /// Every public IP its flows could leave with (what the partner's allow-list must hold),
  /// sorted; as the engine names them (unknown:...).
  std::vector<std::string> egress_ips;
};

struct ReplaySummary {
  uint64_t packets = 0;  // every packet read
  uint64_t bytes = 0;
  uint64_t flows = 0;
  uint64_t peak_live_flows = 0;
  uint64_t egress_packets_written = 0;
  std::map<std::string, uint64_t> unusable;  // packets by kind (to_string(PacketKind), ...)
  std::map<std::string, uint64_t> verdicts;  // flows by verdict
  std::map<std::string, uint64_t> reasons;   // flows by drop or asymmetry reason
  std::vector<UsageRow> egress_ips;          // in order of first use
  std::vector<UsageRow> resources;           // in order of first use
  std::vector<std::string> models;           // the modelled rules the flows relied on, sorted
  bool grouped = false;                      // ReplayOptions::groups was given
  std::vector<GroupUsage> groups;            // one per group, in the file's order
  GroupUsage ungrouped;                      // flows no group matches
  std::vector<Diagnostic> warnings;
  uint64_t seed = 0;
  uint32_t scale = 1;  // as ReplayOptions says
  double speedup = 1;
  int64_t first_ns = 0;
  int64_t last_ns = 0;
};

class Replayer {
 public:
  Replayer(const Engine& engine, ReplayOptions options, ReplaySink& sink);
  ~Replayer();
  Replayer(const Replayer&) = delete;
  Replayer& operator=(const Replayer&) = delete;

  /// One packet, in capture time (a packet older than the last is taken as of the last).
  void push(const RawPacket& packet);
  /// Ends every live flow (reported with the input's end) and completes the summary.
  const ReplaySummary& finish();

  uint64_t live_flows() const;
  /// Bytes the flow table, path cache and port pools hold now.
  size_t memory_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Every packet of `source` through a Replayer; the source's warnings join the summary.
Result<ReplaySummary> replay(const Engine& engine, PacketSource& source,
                             const ReplayOptions& options, ReplaySink& sink);

}  // namespace egress
