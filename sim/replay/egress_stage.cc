// The ordered stage of replay (replay_stages.h): the SNAT port pools, which every flow through
// one resource shares, and everything counted over all flows. It sees the trackers' events in
// a single-threaded replay's order, so its ports, timelines and records are the same whatever
// the number of trackers.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "egress/groups/destination_groups.h"
#include "egress/replay/packet_rewrite.h"
#include "replay_stages.h"
#include "util/prefetch.h"

namespace egress {
namespace {

// One PortTimeline as the replay fills it (see replay.h): buckets from the capture's first
// packet, merged in pairs when time outgrows them.
class TimelineBuilder {
 public:
  static constexpr int64_t kFirstBucketNs = 1'000'000;

  void record(int64_t start, int64_t at, uint32_t value) {
    const size_t b = reach(start, at);
    in_use_[b] = std::max(in_use_[b], value);
    current_ = value;
  }
  void exhausted(int64_t start, int64_t at) {
    ++exhausted_[reach(start, at)];
    if (first_exhausted_ < 0) {
      first_exhausted_ = at;
    }
  }
  int64_t width() const { return width_; }
  /// Widened to `width` (a power-of-two multiple of every builder's) and carried to `end`.
  PortTimeline finish(int64_t start, int64_t end, int64_t width) {
    while (width_ < width) {
      merge();
    }
    reach(start, end);
    PortTimeline t;
    t.start_ns = start;
    t.bucket_ns = width_;
    t.in_use = in_use_;
    t.exhausted = exhausted_;
    t.first_exhausted_ns = first_exhausted_;
    return t;
  }

 private:
  // The bucket of `at`, the ones before it filled with what was in use when they began.
  size_t reach(int64_t start, int64_t at) {
    const int64_t since = std::max<int64_t>(0, at - start);
    while (since / width_ >= static_cast<int64_t>(PortTimeline::kBuckets)) {
      merge();
    }
    const size_t b = static_cast<size_t>(since / width_);
    if (in_use_.size() <= b) {
      in_use_.resize(b + 1, current_);
      exhausted_.resize(b + 1, 0);
    }
    return b;
  }
  void merge() {
    const size_t n = (in_use_.size() + 1) / 2;
    for (size_t i = 0; i < n; ++i) {
      const size_t a = 2 * i;
      const size_t b = std::min(a + 1, in_use_.size() - 1);
      in_use_[i] = std::max(in_use_[a], in_use_[b]);
      exhausted_[i] = exhausted_[a] + (b != a ? exhausted_[b] : 0);
    }
    in_use_.resize(n);
    exhausted_.resize(n);
    width_ *= 2;
  }

  int64_t width_ = kFirstBucketNs;
  std::vector<uint32_t> in_use_;
  std::vector<uint32_t> exhausted_;
  uint32_t current_ = 0;
  int64_t first_exhausted_ = -1;
};

// The models the stage adds per flow, as bits made at compile time: no id lookups per flow.
constexpr ModelSet kSnatSampleModel{model::kSnatSample};
constexpr ModelSet kLbPortChoiceModel{model::kLbPortChoice};
constexpr ModelSet kNatGatewayDestinationModel{model::kNatGatewayDestination};
constexpr ModelSet kAppliancePortsModel{model::kAppliancePorts};
constexpr ModelSet kFlowEndModel{model::kFlowEnd};
constexpr ModelSet kFlowIdleTimeoutModel{model::kFlowIdleTimeout};
constexpr ModelSet kFlowDirectionModel{model::kFlowDirection};
constexpr ModelSet kHostNameWaitModel{model::kHostNameWait};

const char* via_key(Via via) {
  switch (via) {
    case Via::kNatGateway:
      return "natGateway";
    case Via::kLoadBalancer:
      return "loadBalancer";
    case Via::kAppliance:
      return "appliance";
    case Via::kInstancePublicIp:
      return "instancePublicIp";
    case Via::kDefaultOutbound:
      return "defaultOutbound";
    case Via::kServiceEndpoint:
    case Via::kPrivateEndpoint:
    case Via::kNone:
      break;
  }
  return "";
}

// A flow's port, kept by the tracker's slot of the flow: SnatLease's fields with the flags in
// its padding, 8 bytes where a SnatLease and two flags take 12.
struct FlowPort {
  uint32_t ip_slot = 0;
  uint16_t port = 0;
  bool leased = false;
  bool exhausted = false;
  SnatLease lease() const noexcept { return SnatLease{ip_slot, port}; }
};
static_assert(sizeof(FlowPort) == 8);

// The ports of one tracker's slots, in chunks that never move: a vector's doubling would hold
// the old and the new array at once when it falls near the peak.
class SlotPorts {
 public:
  FlowPort& operator[](uint32_t slot) {
    const uint32_t chunk = slot >> kChunkBits;
    while (chunks_.size() <= chunk) {
      chunks_.push_back(std::make_unique<FlowPort[]>(size_t{1} << kChunkBits));
    }
    return chunks_[chunk][slot & ((1U << kChunkBits) - 1)];
  }
  /// The slot's port if its chunk is made yet, else nullptr: for hints, which add nothing.
  const FlowPort* find(uint32_t slot) const noexcept {
    const uint32_t chunk = slot >> kChunkBits;
    return chunk < chunks_.size() ? &chunks_[chunk][slot & ((1U << kChunkBits) - 1)] : nullptr;
  }
  size_t memory_bytes() const {
    return chunks_.size() * (size_t{1} << kChunkBits) * sizeof(FlowPort) +
           chunks_.capacity() * sizeof(chunks_[0]);
  }

 private:
  static constexpr uint32_t kChunkBits = 12;
  std::vector<std::unique_ptr<FlowPort[]>> chunks_;
};

}  // namespace

struct EgressStage::Impl {
  Impl(const ReplayOptions& o, ReplaySink& s) : options(o), sink(s), pools(o.seed) {
    if (options.groups != nullptr) {
      for (const DestinationGroup& g : options.groups->groups()) {
        group_rows.push_back(GroupUsage{g.name, 0, {}, {}});
      }
      group_rows.emplace_back();
      group_sets.resize(group_rows.size());
      group_ips.resize(group_rows.size());
    }
  }

  const ReplayOptions& options;
  ReplaySink& sink;
  SnatPools pools;
  std::vector<SlotPorts> ports;  // by tracker, by slot
  uint64_t flows = 0;
  uint64_t peak_live = 0;
  uint64_t egress_packets_written = 0;
  int64_t first_ns = 0;  // the capture's first packet: where timelines start
  std::map<std::string, uint64_t> verdicts;
  std::map<std::string, uint64_t> reasons;
  std::vector<uint8_t> scratch;
  std::vector<UsageRow> ip_rows;  // by SnatPools slot
  std::map<std::string, size_t> resource_index;
  std::vector<UsageRow> resource_rows;
  ModelSet models;
  // The reports' port timelines: per SnatPools slot, and per resource over its slots' sum.
  std::vector<TimelineBuilder> ip_timelines;
  std::vector<uint32_t> slot_in_use;     // as last sampled
  std::vector<uint32_t> slot_owner;      // into resource_timelines
  std::vector<uint64_t> slot_exhausted;  // SnatIpUse::exhausted as last seen
  std::map<std::string, uint32_t> owner_index;
  std::vector<TimelineBuilder> resource_timelines;
  std::vector<uint32_t> resource_in_use;
  // With groups: which egress IP sets each group's egress flows used (the last row is the
  // ungrouped flows').
  std::vector<std::set<const std::vector<std::string>*>> group_sets;
  std::vector<std::set<std::string>> group_ips;
  std::vector<GroupUsage> group_rows;

  FlowPort& port(uint32_t tracker, uint32_t flow) {
    if (ports.size() <= tracker) {
      ports.resize(tracker + 1);
    }
    return ports[tracker][flow];
  }

  uint32_t owner_of(const std::string& resource) {
    auto [it, fresh] = owner_index.try_emplace(resource, resource_timelines.size());
    if (fresh) {
      resource_timelines.emplace_back();
      resource_in_use.push_back(0);
    }
    return it->second;
  }

  void track(uint32_t slot) {
    const std::vector<SnatIpUse>& use = pools.ip_use();
    while (ip_timelines.size() <= slot) {
      const size_t s = ip_timelines.size();
      ip_timelines.emplace_back();
      slot_in_use.push_back(0);
      slot_owner.push_back(owner_of(use[s].resource));
      slot_exhausted.push_back(0);
    }
  }

  void sample(uint32_t slot, int64_t at) {
    track(slot);
    const uint32_t v = pools.ip_use()[slot].in_use;
    const uint32_t owner = slot_owner[slot];
    resource_in_use[owner] = resource_in_use[owner] - slot_in_use[slot] + v;
    slot_in_use[slot] = v;
    ip_timelines[slot].record(first_ns, at, v);
    resource_timelines[owner].record(first_ns, at, resource_in_use[owner]);
  }

  // The pools count a refused flow on one IP; find it by its counter.
  void note_exhausted(const std::string& resource, int64_t at) {
    const std::vector<SnatIpUse>& use = pools.ip_use();
    if (!use.empty()) {
      track(static_cast<uint32_t>(use.size() - 1));
    }
    for (size_t slot = 0; slot < use.size(); ++slot) {
      if (use[slot].exhausted != slot_exhausted[slot]) {
        slot_exhausted[slot] = use[slot].exhausted;
        ip_timelines[slot].exhausted(first_ns, at);
      }
    }
    resource_timelines[owner_of(resource)].exhausted(first_ns, at);
  }

  void acquire(FlowPort& fp, const SnatEntry& e, const FlowKey& key, int64_t at) {
    fp = FlowPort{};
    if (auto lease = pools.acquire(e.point, e.resource, key, at)) {
      fp.ip_slot = lease->ip_slot;
      fp.port = lease->port;
      fp.leased = true;
      sample(lease->ip_slot, at);
    } else {
      fp.exhausted = pools.exhausted();
      if (fp.exhausted) {
        note_exhausted(e.resource, at);
      }
    }
  }

  void release(const FlowPort& fp, const SnatEntry& e, const FlowKey& key, FlowEnd end,
               int64_t at) {
    if (!fp.leased) {
      return;
    }
    // Cool-downs over by the release's own time end first, so a port's count at a give-back
    // does not depend on when packets happened to arrive (replay_stages.h).
    pools.advance(at);
    pools.release(fp.lease(), e.point, key, end, at);
    sample(fp.ip_slot, at);
  }

  void packet(const FlowPort& fp, const RawPacket& packet, const DecodedPacket& d,
              const FlowKey& key, bool outbound) {
    if (!fp.leased) {
      return;
    }
    scratch.assign(packet.data.begin(), packet.data.end());
    std::optional<uint16_t> port;
    if (key.proto != Protocol::kIcmp) {
      port = fp.port;
    }
    const IpAddress& ip = pools.ip(fp.ip_slot);
    bool done =
        outbound ? rewrite_source(scratch, d, ip, port) : rewrite_destination(scratch, d, ip, port);
    if (done) {
      ++egress_packets_written;
      sink.on_egress_packet(packet, d, scratch);
    }
  }

  UsageRow& resource_row(const SnatEntry& e) {
    auto [it, fresh] = resource_index.try_emplace(e.resource, resource_rows.size());
    if (fresh) {
      UsageRow row;
      row.name = e.resource;
      row.via = via_key(e.point.via);
      row.resource = e.resource;
      resource_rows.push_back(row);
    }
    return resource_rows[it->second];
  }

  void ended(const FlowPort& fp, EndedFlow& f) {
    const SnatEntry* snat = f.snat;
    Verdict verdict = fp.exhausted ? Verdict::kDropped : f.verdict;
    Reason reason = fp.exhausted ? Reason::kSnatExhausted : f.reason;
    ++verdicts[to_string(verdict)];
    if (reason != Reason::kNone) {
      ++reasons[to_string(reason)];
    }
    if (options.groups != nullptr) {
      GroupUsage& g = group_rows[f.group];
      ++g.flows;
      ++g.verdicts[to_string(verdict)];
      // The set's strings are copied the first time a group meets it: the trackers that own
      // the sets are gone by finish().
      if (verdict == Verdict::kEgress && group_sets[f.group].insert(f.egress_set).second) {
        group_ips[f.group].insert(f.egress_set->begin(), f.egress_set->end());
      }
    }
    if (snat != nullptr) {
      UsageRow& row = resource_row(*snat);
      ++row.flows;
      row.packets += f.stats.packets;
      row.bytes += f.stats.bytes;
      row.snat_exhausted += fp.exhausted ? 1 : 0;
    }
    if (fp.leased) {
      if (ip_rows.size() <= fp.ip_slot) {
        ip_rows.resize(fp.ip_slot + 1);
      }
      UsageRow& row = ip_rows[fp.ip_slot];
      row.via = via_key(snat->point.via);
      row.resource = snat->resource;
      ++row.flows;
      row.packets += f.stats.packets;
      row.bytes += f.stats.bytes;
    }

    ModelSet used = f.models;
    if (fp.leased) {
      used -= kSnatSampleModel;
    }
    if (snat != nullptr && (fp.leased || fp.exhausted)) {
      switch (snat->point.via) {
        case Via::kLoadBalancer:
          used |= kLbPortChoiceModel;
          break;
        case Via::kNatGateway:
          used |= kNatGatewayDestinationModel;
          break;
        case Via::kAppliance:
          used |= kAppliancePortsModel;
          break;
        default:
          break;
      }
    }
    if (f.key.proto == Protocol::kTcp &&
        (f.end == FlowEnd::kFin || f.end == FlowEnd::kRst || f.end == FlowEnd::kHalfOpen)) {
      used |= kFlowEndModel;
    }
    if (f.end == FlowEnd::kIdle && f.default_idle) {
      used |= kFlowIdleTimeoutModel;
    }
    if (f.flipped) {
      used |= kFlowDirectionModel;
    }
    if (f.waited) {
      used |= kHostNameWaitModel;
    }
    models |= used;

    if (!f.result) {
      return;
    }
    FlowRecord rec;
    rec.result = std::move(*f.result);
    rec.result.models = used;
    if (fp.leased) {
      rec.result.snat_ip = pools.ip(fp.ip_slot);
      rec.result.snat_port =
          f.key.proto == Protocol::kIcmp ? std::nullopt : std::optional<uint16_t>(fp.port);
      for (Hop& hop : rec.result.hops) {
        if (hop.action == HopAction::kSnat) {
          hop.ip = rec.result.snat_ip;
        }
      }
    }
    if (fp.exhausted) {
      rec.result.verdict = Verdict::kDropped;
      rec.result.reason = Reason::kSnatExhausted;
      rec.result.snat_ip = {};
      rec.result.snat_port.reset();
      rec.result.egress_ips.clear();
      for (Hop& hop : rec.result.hops) {
        if (hop.action == HopAction::kSnat) {
          hop.action = HopAction::kDrop;
          hop.ip = {};
          hop.note = "no free SNAT port towards " + f.key.dst.to_string() + " port " +
                     std::to_string(f.key.dport);
        }
      }
    }
    rec.stats = f.stats;
    sink.on_flow(rec);
  }

  void attach_timelines(int64_t last_ns) {
    if (!pools.ip_use().empty()) {
      track(static_cast<uint32_t>(pools.ip_use().size() - 1));
    }
    const int64_t start = first_ns;
    const int64_t end = std::max(start, last_ns);
    int64_t width = TimelineBuilder::kFirstBucketNs;
    while ((end - start) / width >= static_cast<int64_t>(PortTimeline::kBuckets)) {
      width *= 2;
    }
    for (const auto* builders : {&ip_timelines, &resource_timelines}) {
      for (const TimelineBuilder& b : *builders) {
        width = std::max(width, b.width());
      }
    }
    for (size_t slot = 0; slot < ip_timelines.size() && slot < ip_rows.size(); ++slot) {
      ip_rows[slot].timeline = ip_timelines[slot].finish(start, end, width);
    }
    for (const auto& [name, owner] : owner_index) {
      if (auto it = resource_index.find(name); it != resource_index.end()) {
        resource_rows[it->second].timeline = resource_timelines[owner].finish(start, end, width);
      }
    }
  }
};

EgressStage::EgressStage(const ReplayOptions& options, ReplaySink& sink)
    : impl_(std::make_unique<Impl>(options, sink)) {}
EgressStage::~EgressStage() = default;

void EgressStage::set_first_ns(int64_t first_ns) {
  impl_->first_ns = first_ns;
}

void EgressStage::on_created(const EventKey&, uint32_t flow) {
  impl_->port(tracker_, flow) = FlowPort{};
  ++impl_->flows;
  ++live_;
  impl_->peak_live = std::max(impl_->peak_live, live_);
}

void EgressStage::on_acquire(const EventKey&, uint32_t flow, const SnatEntry& snat,
                             const FlowKey& flow_key, int64_t at) {
  impl_->acquire(impl_->port(tracker_, flow), snat, flow_key, at);
}

void EgressStage::on_release(const EventKey&, uint32_t flow, const SnatEntry& snat,
                             const FlowKey& flow_key, FlowEnd end, int64_t at) {
  impl_->release(impl_->port(tracker_, flow), snat, flow_key, end, at);
}

void EgressStage::on_packet(const EventKey&, uint32_t flow, const RawPacket& packet,
                            const DecodedPacket& decoded, bool outbound) {
  // The flow's key as the packet names it is enough to tell ICMP, which keeps its identifier.
  impl_->packet(impl_->port(tracker_, flow), packet, decoded, decoded.key, outbound);
}

void EgressStage::on_ended(const EventKey&, uint32_t flow, EndedFlow&& ended) {
  impl_->ended(impl_->port(tracker_, flow), ended);
  --live_;
}

void EgressStage::prefetch_flow(uint32_t tracker, uint32_t flow) const noexcept {
  if (tracker < impl_->ports.size()) {
    if (const FlowPort* fp = impl_->ports[tracker].find(flow)) {
      prefetch_for_write(fp);
    }
  }
}

void EgressStage::prefetch_acquire(const SnatEntry& snat, const FlowKey& flow_key, uint32_t ahead,
                                   SnatPools::Step step) const noexcept {
  impl_->pools.prefetch_acquire(snat.point, flow_key, ahead, step);
}

void EgressStage::prefetch_release(uint32_t tracker, uint32_t flow, const SnatEntry& snat,
                                   const FlowKey& flow_key, FlowEnd end,
                                   SnatPools::Step step) const noexcept {
  if (tracker >= impl_->ports.size()) {
    return;
  }
  // Read some events early, so its acquire may not have filled it yet: then the hint is wrong.
  const FlowPort* fp = impl_->ports[tracker].find(flow);
  if (fp != nullptr && fp->leased) {
    impl_->pools.prefetch_release(fp->lease(), snat.point, flow_key, end, step);
  }
}

uint64_t EgressStage::flows() const {
  return impl_->flows;
}

size_t EgressStage::memory_bytes() const {
  size_t ports = 0;
  for (const SlotPorts& p : impl_->ports) {
    ports += p.memory_bytes();
  }
  return impl_->pools.memory_bytes() + ports;
}

ReplaySummary EgressStage::finish(ReplaySummary s) {
  Impl& m = *impl_;
  s.flows = m.flows;
  s.peak_live_flows = m.peak_live;
  s.egress_packets_written = m.egress_packets_written;
  s.verdicts = m.verdicts;
  s.reasons = m.reasons;
  const std::vector<SnatIpUse>& use = m.pools.ip_use();
  m.ip_rows.resize(use.size());
  for (size_t slot = 0; slot < use.size(); ++slot) {
    UsageRow& row = m.ip_rows[slot];
    row.name = use[slot].ip.to_string();
    row.resource = use[slot].resource;
    row.ports = use[slot].ports;
    row.peak_ports_in_use = use[slot].peak_in_use;
    row.snat_exhausted = use[slot].exhausted;
    auto it = m.resource_index.find(use[slot].resource);
    if (it != m.resource_index.end()) {
      UsageRow& res = m.resource_rows[it->second];
      res.ports += use[slot].ports;
      res.peak_ports_in_use += use[slot].peak_in_use;
      if (row.via.empty()) {
        row.via = res.via;
      }
    }
  }
  m.attach_timelines(s.last_ns);
  s.egress_ips = m.ip_rows;
  s.resources = m.resource_rows;
  if (m.options.groups != nullptr) {
    for (size_t g = 0; g < m.group_rows.size(); ++g) {
      m.group_rows[g].egress_ips.assign(m.group_ips[g].begin(), m.group_ips[g].end());
    }
    s.grouped = true;
    s.ungrouped = m.group_rows.back();
    s.groups.assign(m.group_rows.begin(), m.group_rows.end() - 1);
  }
  s.models = m.models.id_strings();
  return s;
}

}  // namespace egress
