// Replay in two stages, so that the per-flow work can run on every core while what flows share
// happens once, in capture order.
//
//   FlowTracker (one per worker, flows split by a symmetric hash of their addresses and ports):
//     the flow table, directions, host-name waits, timers and the engine's paths. It never
//     touches what flows share, and says what happened as events, each with an EventKey.
//   EgressStage (one per replay): the SNAT port pools, the summary, the port timelines, the
//     records and the rewritten packets, fed the events of every tracker in EventKey order.
//
// With one tracker the events go straight to the stage. With several, each tracker's events
// for a batch of packets are logged, and the logs merged by key: every tracker emits its events
// in key order, the key is the same whichever tracker emits it, and a batch ends with every
// tracker's timers run up to the batch's last packet, so the merged order is the one a single
// tracker gives, and so are the pools' choices, byte for byte.
#pragma once

#include <compare>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "egress/capture/packet_decoder.h"
#include "egress/capture/raw_packet.h"
#include "egress/engine/engine.h"
#include "egress/engine/flow.h"
#include "egress/engine/models.h"
#include "egress/replay/replay.h"
#include "egress/replay/snat_pools.h"

namespace egress {

/// Where an event falls in a single-threaded replay's order. A packet's events come after the
/// timers due by its time: (time, kTimers, flow id) for a timer (the flow's id is the index of
/// the packet that created it), (now, kPacket, packet index) for a packet, and (max, kTimers,
/// flow id) for the flows still live at the end of the input. `sub` orders one cause's events.
struct EventKey {
  static constexpr uint8_t kTimers = 0;
  static constexpr uint8_t kPacket = 1;
  int64_t at = 0;
  uint8_t phase = kTimers;
  uint64_t order = 0;
  uint32_t sub = 0;
  friend auto operator<=>(const EventKey&, const EventKey&) = default;
};
inline constexpr int64_t kEndOfInputNs = std::numeric_limits<int64_t>::max();

/// One place where flows are translated, shared by every path through it. Kept by the tracker
/// that traced it, at a stable address: events point to it.
struct SnatEntry {
  SnatPoint point;
  std::string resource;
};

/// What the stage needs of a flow that ended: its path's answer and its own history.
struct EndedFlow {
  FlowKey key;
  FlowStats stats;
  FlowEnd end = FlowEnd::kIdle;
  bool flipped = false;
  bool waited = false;
  bool default_idle = true;
  Verdict verdict = Verdict::kDropped;
  Reason reason = Reason::kNone;
  ModelSet models;
  const SnatEntry* snat = nullptr;
  uint32_t group = 0;                                    // with groups: the group's row
  const std::vector<std::string>* egress_set = nullptr;  // with groups: the path's egress IPs
  std::string host;  // the host name its path was traced with, if any (for a record's trace)
  std::unique_ptr<FlowResult> result;  // with records: the engine's answer, traced by the tracker
};

/// The events a tracker emits. `flow` is the tracker's slot for the flow: a slot is reused only
/// after its flow's on_ended, so the stage may keep per-slot state.
class TrackerOutput {
 public:
  virtual ~TrackerOutput() = default;
  virtual void on_created(const EventKey& key, uint32_t flow) = 0;
  virtual void on_acquire(const EventKey& key, uint32_t flow, const SnatEntry& snat,
                          const FlowKey& flow_key, int64_t at) = 0;
  virtual void on_release(const EventKey& key, uint32_t flow, const SnatEntry& snat,
                          const FlowKey& flow_key, FlowEnd end, int64_t at) = 0;
  /// A packet of a flow with a SNAT point, for --pcap-out (only when rewriting).
  virtual void on_packet(const EventKey& key, uint32_t flow, const RawPacket& packet,
                         const DecodedPacket& decoded, bool outbound) = 0;
  virtual void on_ended(const EventKey& key, uint32_t flow, EndedFlow&& ended) = 0;
};

/// One packet as the reader hands it to a tracker: decoded once, in capture order (the decoder
/// remembers fragments), with its index in the whole input and the replay's clock then.
struct TrackedPacket {
  const RawPacket* packet = nullptr;
  const DecodedPacket* decoded = nullptr;
  uint64_t index = 0;
  int64_t now = 0;
  uint64_t flow_hash = 0;  // flow_hash(decoded->key)
};

/// Whether the engine's answer `r` leaves through a SNAT point that holds ports (a NAT gateway,
/// load balancer, appliance or instance public IP): the flows whose ports the stage takes, and
/// whose resource picks a --shard.
inline bool holds_port(const FlowResult& r) {
  const Via via = r.snat.via;
  return r.verdict == Verdict::kEgress && (via == Via::kNatGateway || via == Via::kLoadBalancer ||
                                           via == Via::kAppliance || via == Via::kInstancePublicIp);
}

/// The share a flow belongs to among `trackers`, the same for both directions: --shard's
/// choice for a flow without an egress resource (shard files depend on it; a threaded run picks
/// its workers by flow_hash()).
uint32_t tracker_of(const FlowKey& key, uint32_t trackers) noexcept;
/// The hash a tracker finds a packet's flow by, the same in both directions.
uint64_t flow_hash(const FlowKey& key) noexcept;

class FlowTracker {
 public:
  FlowTracker(const Engine& engine, const ReplayOptions& options, TrackerOutput& out);
  ~FlowTracker();
  FlowTracker(const FlowTracker&) = delete;
  FlowTracker& operator=(const FlowTracker&) = delete;

  /// One IP packet (decoded kind kIp) of this tracker's flows.
  void push(const TrackedPacket& p);
  /// Readies the memory of a push() a few packets later of a flow with hash `flow_hash`: its
  /// place in the flow table (some 8 packets ahead), then its flow (some 4 ahead).
  void prefetch_slot(uint64_t flow_hash) const noexcept;
  void prefetch_flow(uint64_t flow_hash) const noexcept;
  /// Runs the timers due by `now` (the last packet's clock): a batch's end.
  void expire(int64_t now);
  /// Ends the live flows created before packet `below_id` (all by default), as at the end of
  /// the input at `now`; later calls with higher bounds end the rest. No packet may follow.
  void finish(int64_t now, uint64_t below_id = UINT64_MAX);
  uint64_t live_flows() const;
  uint64_t unmatched_icmp_errors() const;
  size_t memory_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Where the trackers' events go in key order: the EgressStage, or a shard file.
class OrderedOutput : public TrackerOutput {
 public:
  /// Which tracker's events follow (their `flow` slots are that tracker's).
  void set_tracker(uint32_t tracker) { tracker_ = tracker; }
  /// The capture's first packet, where the port timelines start: before the first event.
  virtual void set_first_ns(int64_t first_ns) = 0;
  /// Flows created so far, and live now (for progress).
  virtual uint64_t flows() const = 0;
  virtual uint64_t live_flows() const = 0;

  /// Hints from a caller that sees the events coming (a threaded replay's merge): ready the
  /// memory of tracker `tracker`'s event for slot `flow` some events later. They change
  /// nothing; a wrong guess costs a wasted load. The slot's own state first, then, for a
  /// port's acquire (`ahead`: acquisitions before it) or release, the pools' memory in two
  /// steps (SnatPools::Step).
  virtual void prefetch_flow(uint32_t /*tracker*/, uint32_t /*flow*/) const noexcept {}
  virtual void prefetch_acquire(const SnatEntry& /*snat*/, const FlowKey& /*flow_key*/,
                                uint32_t /*ahead*/, SnatPools::Step /*step*/) const noexcept {}
  virtual void prefetch_release(uint32_t /*tracker*/, uint32_t /*flow*/, const SnatEntry& /*snat*/,
                                const FlowKey& /*flow_key*/, FlowEnd /*end*/,
                                SnatPools::Step /*step*/) const noexcept {}

 protected:
  uint32_t tracker_ = 0;
};

/// Which packets' flows one run keeps (replay --shard): all when null.
class PacketFilter {
 public:
  virtual ~PacketFilter() = default;
  virtual bool keep(const FlowKey& key) = 0;
};

/// What the reader counted of every packet: the summary's counts before the flows'.
struct ReaderCounts {
  ReplaySummary counts;    // packets, bytes, first and last, unusable kinds, seed, scale
  uint64_t digest = 0;     // of every packet's time and lengths: tells captures apart
  uint64_t unmatched = 0;  // ICMP errors no flow claimed, over every tracker
};

/// Packets of `source` through trackers on options.threads threads into `out` (those
/// `filter` keeps); the reader's counts. Progress goes to `progress`.
Result<ReaderCounts> run_trackers(const Engine& engine, PacketSource& source,
                                  const ReplayOptions& options, OrderedOutput& out,
                                  PacketFilter* filter, ReplaySink& progress);

/// The summary's counts with the ICMP errors no tracker matched.
ReplaySummary with_unmatched(ReplaySummary counts, uint64_t unmatched);

class EgressStage final : public OrderedOutput {
 public:
  EgressStage(const ReplayOptions& options, ReplaySink& sink);
  ~EgressStage() override;

  void set_first_ns(int64_t first_ns) override;
  uint64_t flows() const override;
  uint64_t live_flows() const override { return live_; }

  void on_created(const EventKey& key, uint32_t flow) override;
  void on_acquire(const EventKey& key, uint32_t flow, const SnatEntry& snat,
                  const FlowKey& flow_key, int64_t at) override;
  void on_release(const EventKey& key, uint32_t flow, const SnatEntry& snat,
                  const FlowKey& flow_key, FlowEnd end, int64_t at) override;
  void on_packet(const EventKey& key, uint32_t flow, const RawPacket& packet,
                 const DecodedPacket& decoded, bool outbound) override;
  void on_ended(const EventKey& key, uint32_t flow, EndedFlow&& ended) override;

  void prefetch_flow(uint32_t tracker, uint32_t flow) const noexcept override;
  void prefetch_acquire(const SnatEntry& snat, const FlowKey& flow_key, uint32_t ahead,
                        SnatPools::Step step) const noexcept override;
  void prefetch_release(uint32_t tracker, uint32_t flow, const SnatEntry& snat,
                        const FlowKey& flow_key, FlowEnd end,
                        SnatPools::Step step) const noexcept override;

  size_t memory_bytes() const;
  /// The summary, from the reader's counts and the trackers'.
  ReplaySummary finish(ReplaySummary counts);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t live_ = 0;
};

}  // namespace egress
