#include "egress/replay/replay.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <queue>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "egress/capture/host_name.h"
#include "egress/engine/models.h"
#include "egress/groups/destination_groups.h"
#include "egress/replay/packet_rewrite.h"
#include "egress/replay/snat_pools.h"
#include "flow_table.h"
#include "replay_hash.h"

namespace egress {
namespace {

constexpr int64_t kNs = 1'000'000'000;
constexpr int64_t kDefaultIdleNs = 240 * kNs;  // model flow-idle-timeout
constexpr int64_t kLingerNs = 60 * kNs;        // model flow-end: Linux's TIME_WAIT
constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kTcpRst = 0x04;
constexpr uint8_t kTcpAck = 0x10;
constexpr uint32_t kNoSnat = UINT32_MAX;
// A flow waiting for its host name is decided without one after this many packets: a client
// names its host in its first payload, a few packets after the SYN, so this only ends the
// wait of flows whose first payload never comes in order (and bounds what --pcap-out holds).
constexpr uint32_t kMaxPendingPackets = 32;

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

// The models finalize adds per flow, as bits made at compile time: no id lookups per flow.
constexpr ModelSet kSnatSampleModel{model::kSnatSample};
constexpr ModelSet kLbPortChoiceModel{model::kLbPortChoice};
constexpr ModelSet kNatGatewayDestinationModel{model::kNatGatewayDestination};
constexpr ModelSet kAppliancePortsModel{model::kAppliancePorts};
constexpr ModelSet kFlowEndModel{model::kFlowEnd};
constexpr ModelSet kFlowIdleTimeoutModel{model::kFlowIdleTimeout};
constexpr ModelSet kFlowDirectionModel{model::kFlowDirection};
constexpr ModelSet kHostNameWaitModel{model::kHostNameWait};

FlowKey reversed(const FlowKey& k) {
  return FlowKey{k.proto, k.dst, k.dport, k.src, k.sport};
}

// The engine's answer depends on protocol, addresses and destination port; the source port
// only feeds trace's sampled SNAT port, which replay replaces with a real one. So flows that
// differ only in their source port share one traced path.
struct PathKey {
  Protocol proto = Protocol::kTcp;
  uint16_t dport = 0;
  IpAddress src;
  IpAddress dst;
  friend bool operator==(const PathKey&, const PathKey&) = default;
};
struct PathKeyHash {
  size_t operator()(const PathKey& k) const noexcept {
    return mix_hash(k.src.hi() ^ k.src.lo() * 31 ^ static_cast<uint64_t>(k.proto),
                    k.dst.hi() ^ k.dst.lo() * 31 ^ k.dport);
  }
};

struct HostPathKey {
  PathKey path;
  std::string host;
  friend bool operator==(const HostPathKey&, const HostPathKey&) = default;
};
struct HostPathKeyHash {
  size_t operator()(const HostPathKey& k) const noexcept {
    return PathKeyHash{}(k.path) ^ std::hash<std::string>{}(k.host) * 31;
  }
};

// A flow waiting for its host name: the client's first payload bytes in sequence order,
// and with --pcap-out the packets it sent and received so far, written once it is decided.
struct HeldPacket {
  RawPacket packet;
  std::vector<uint8_t> bytes;
  DecodedPacket decoded;
  bool outbound = false;
};
struct PendingFlow {
  std::vector<uint8_t> stream;
  uint32_t next_seq = 0;
  bool have_seq = false;
  uint32_t packets = 0;
  std::vector<HeldPacket> held;
};

uint32_t read_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// What replay keeps of a traced path: enough to count, time out and translate a flow. The
// full result (hops, notes) is traced again when a flow's record is written: trace is pure,
// and keeping it per flow would cost kilobytes for every live flow.
struct Path {
  PathKey key;
  uint32_t users = 0;
  Verdict verdict = Verdict::kDropped;
  Reason reason = Reason::kNone;
  Via via = Via::kNone;
  bool default_idle = true;
  uint32_t snat = kNoSnat;  // into Impl::snat_points
  ModelSet models;
  int64_t idle_ns = kDefaultIdleNs;
  uint32_t group = 0;       // with groups: the group's row, or the ungrouped row's
  uint32_t egress_set = 0;  // with groups: into Impl::egress_sets
  bool by_host = false;     // an application rule may match: TCP flows wait for a host name
  bool has_host = false;    // traced with a host name (Impl::path_hosts holds it)
};

// One place where flows are translated, shared by every path through it.
struct SnatEntry {
  SnatPoint point;
  std::string resource;
};

struct Timer {
  int64_t at;
  uint64_t id;  // the flow's creation order breaks ties, so runs repeat exactly
  uint32_t flow;
  uint32_t generation;
  bool operator>(const Timer& o) const { return at != o.at ? at > o.at : id > o.id; }
};

bool translates(Via via) {
  return via == Via::kNatGateway || via == Via::kLoadBalancer || via == Via::kAppliance ||
         via == Via::kInstancePublicIp;
}

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

}  // namespace

void ReplaySink::on_egress_packet(const RawPacket&, const DecodedPacket&,
                                  std::span<const uint8_t>) {}
void ReplaySink::on_progress(const ReplayProgress&) {}

struct Replayer::Impl {
  Impl(const Engine& e, ReplayOptions o, ReplaySink& s)
      : engine(e), options(o), sink(s), pools(o.seed) {
    summary.seed = o.seed;
    init_groups();
    summary.scale = o.scale;
    summary.speedup = o.speedup;
  }

  const Engine& engine;
  ReplayOptions options;
  ReplaySink& sink;
  PacketDecoder decoder;
  FlowTable flows;
  SnatPools pools;
  std::vector<Path> paths;
  std::vector<uint32_t> free_paths;
  std::vector<SnatEntry> snat_points;
  std::map<std::tuple<Via, Index, Index, uint32_t>, uint32_t> snat_index;
  std::unordered_map<PathKey, uint32_t, PathKeyHash> path_index;
  std::unordered_map<HostPathKey, uint32_t, HostPathKeyHash> host_path_index;
  std::unordered_map<uint32_t, std::string> path_hosts;  // paths traced with a host name
  std::unordered_map<uint32_t, PendingFlow> pending;     // by flow index
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers;
  ReplaySummary summary;
  std::array<uint64_t, kPacketKindCount> kinds{};
  uint64_t unmatched_icmp_errors = 0;
  int64_t now = std::numeric_limits<int64_t>::min();
  uint64_t next_id = 0;
  std::vector<uint8_t> scratch;
  std::vector<UsageRow> ip_rows;  // by SnatPools slot
  std::map<std::string, size_t> resource_index;
  std::vector<UsageRow> resource_rows;
  ModelSet models;
  bool finished = false;
  // The reports' port timelines: per SnatPools slot, and per resource over its slots' sum.
  std::vector<TimelineBuilder> ip_timelines;
  std::vector<uint32_t> slot_in_use;     // as last sampled
  std::vector<uint32_t> slot_owner;      // into resource_timelines
  std::vector<uint64_t> slot_exhausted;  // SnatIpUse::exhausted as last seen
  std::map<std::string, uint32_t> owner_index;
  std::vector<TimelineBuilder> resource_timelines;
  std::vector<uint32_t> resource_in_use;
  // With groups: the egress IP sets paths have, each once, and which of them each group's
  // egress flows used (the last row is the ungrouped flows').
  std::map<std::vector<std::string>, uint32_t> egress_set_index;
  std::vector<const std::vector<std::string>*> egress_sets;
  std::vector<std::set<uint32_t>> group_sets;
  std::vector<GroupUsage> group_rows;

  void init_groups() {
    if (options.groups == nullptr) {
      return;
    }
    for (const DestinationGroup& g : options.groups->groups()) {
      group_rows.push_back(GroupUsage{g.name, 0, {}, {}});
    }
    group_rows.emplace_back();
    group_sets.resize(group_rows.size());
  }

  void group_path(Path& p, const FlowKey& key, const FlowResult& r) {
    size_t g = options.groups->match(key, r.host);
    p.group = static_cast<uint32_t>(g == kNoGroup ? group_rows.size() - 1 : g);
    auto [it, fresh] =
        egress_set_index.try_emplace(egress_ip_texts(r), static_cast<uint32_t>(egress_sets.size()));
    if (fresh) {
      egress_sets.push_back(&it->first);
    }
    p.egress_set = it->second;
  }

  uint32_t path_for(const FlowKey& key) {
    PathKey pk{key.proto, key.dport, key.src, key.dst};
    auto it = path_index.find(pk);
    if (it != path_index.end()) {
      ++paths[it->second].users;
      return it->second;
    }
    uint32_t index = new_path(key, {});
    paths[index].by_host = engine.decides_by_host(key);
    path_index.emplace(pk, index);
    return index;
  }

  // The path of a flow decided by its host name; shared by the flows to one host.
  uint32_t host_path_for(const FlowKey& key, const std::string& host) {
    HostPathKey hk{PathKey{key.proto, key.dport, key.src, key.dst}, host};
    auto it = host_path_index.find(hk);
    if (it != host_path_index.end()) {
      ++paths[it->second].users;
      return it->second;
    }
    uint32_t index = new_path(key, host);
    paths[index].has_host = true;
    path_hosts[index] = host;
    host_path_index.emplace(std::move(hk), index);
    return index;
  }

  std::string_view host_of(const Path& p, uint32_t index) const {
    return p.has_host ? std::string_view(path_hosts.at(index)) : std::string_view();
  }

  uint32_t new_path(const FlowKey& key, std::string_view host) {
    PathKey pk{key.proto, key.dport, key.src, key.dst};
    uint32_t index;
    if (!free_paths.empty()) {
      index = free_paths.back();
      free_paths.pop_back();
    } else {
      index = static_cast<uint32_t>(paths.size());
      paths.emplace_back();
    }
    Path& p = paths[index];
    FlowResult r = engine.trace(key, options.seed, host);
    p.by_host = false;
    p.has_host = false;
    p.key = pk;
    p.users = 1;
    p.verdict = r.verdict;
    p.reason = r.reason;
    p.via = r.via;
    p.default_idle = r.snat.idle_timeout_s == 0 || r.snat.via == Via::kAppliance ||
                     r.snat.via == Via::kInstancePublicIp;
    p.idle_ns = r.snat.idle_timeout_s != 0 ? r.snat.idle_timeout_s * kNs : kDefaultIdleNs;
    p.snat = kNoSnat;
    if (r.verdict == Verdict::kEgress && translates(r.snat.via)) {
      auto [it2, fresh] = snat_index.try_emplace(
          std::make_tuple(r.snat.via, r.snat.resource, r.snat.rule, r.snat.instance),
          static_cast<uint32_t>(snat_points.size()));
      if (fresh) {
        snat_points.push_back(SnatEntry{r.snat, r.resource});
      }
      p.snat = it2->second;
    }
    p.models = r.models;
    if (options.groups != nullptr) {
      group_path(p, key, r);
    }
    return index;
  }

  void drop_path(uint32_t index) {
    Path& p = paths[index];
    if (--p.users == 0) {
      if (p.has_host) {
        auto host = path_hosts.find(index);
        host_path_index.erase(HostPathKey{p.key, std::move(host->second)});
        path_hosts.erase(host);
      } else {
        path_index.erase(p.key);
      }
      free_paths.push_back(index);
    }
  }

  uint32_t create(const FlowKey& key, bool may_flip, bool* reverse) {
    FlowKey oriented = key;
    bool flipped = false;
    uint32_t path = path_for(key);
    if (may_flip && paths[path].reason == Reason::kUnknownSource) {
      // model flow-direction: the capture may have begun mid-flow, with a reply.
      FlowKey back = reversed(key);
      uint32_t other = path_for(back);
      if (paths[other].reason != Reason::kUnknownSource) {
        drop_path(path);
        path = other;
        oriented = back;
        flipped = true;
      } else {
        drop_path(other);
      }
    }
    *reverse = flipped;
    LiveFlow f;
    f.key = oriented;
    f.id = next_id++;
    f.path = path;
    f.stats.first_ns = now;
    f.flipped = flipped;
    // azure-behaviour B, "Host names of flows": a TCP flow an application rule may match is
    // decided at its first client payload; until then it holds no port.
    f.pending = paths[path].by_host && oriented.proto == Protocol::kTcp;
    f.waited = f.pending;
    if (!f.pending) {
      acquire(f, now);
    }
    uint32_t index = flows.add(f);
    if (f.pending) {
      pending[index] = PendingFlow{};
    }
    timers.push(Timer{now + paths[path].idle_ns, flows[index].id, index, flows[index].generation});
    ++summary.flows;
    summary.peak_live_flows = std::max<uint64_t>(summary.peak_live_flows, flows.size());
    return index;
  }

  void acquire(LiveFlow& f, int64_t at) {
    if (paths[f.path].snat == kNoSnat) {
      return;
    }
    const SnatEntry& e = snat_points[paths[f.path].snat];
    if (auto lease = pools.acquire(e.point, e.resource, f.key, at)) {
      f.lease = *lease;
      f.leased = true;
      sample(lease->ip_slot, at);
    } else {
      f.exhausted = pools.exhausted();
      if (f.exhausted) {
        note_exhausted(e.resource, at);
      }
    }
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
    ip_timelines[slot].record(summary.first_ns, at, v);
    resource_timelines[owner].record(summary.first_ns, at, resource_in_use[owner]);
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
        ip_timelines[slot].exhausted(summary.first_ns, at);
      }
    }
    resource_timelines[owner_of(resource)].exhausted(summary.first_ns, at);
  }

  // The flow's verdict, now that its host name is known (or known to be missing): the path
  // traced with it, and the SNAT port taken at this moment of capture time.
  // Out of line, as feed(): rare next to push() and expire(), which stay small and inlined.
  [[gnu::noinline]] void decide(uint32_t index, const std::string& host, int64_t at) {
    LiveFlow& f = flows[index];
    auto it = pending.find(index);
    std::vector<HeldPacket> held = std::move(it->second.held);
    pending.erase(it);
    f.pending = false;
    if (!host.empty()) {
      uint32_t path = host_path_for(f.key, host);
      drop_path(f.path);
      f.path = path;
    }
    acquire(f, at);
    for (HeldPacket& h : held) {
      h.packet.data = h.bytes;
      emit(h.packet, h.decoded, f, h.outbound);
    }
  }

  // One packet of a pending flow: its client payload, in sequence order, until a host name
  // is found or cannot be.
  [[gnu::noinline]] void feed(uint32_t index, const RawPacket& packet, const DecodedPacket& d,
                              bool reverse) {
    PendingFlow& p = pending.at(index);
    ++p.packets;
    bool done = false;
    std::string host;
    if (!reverse && d.payload_length != 0 && !d.fragment) {
      const uint32_t seq = read_be32(packet.data.data() + d.l4_offset + 4);
      if (!p.have_seq) {
        p.have_seq = true;
        p.next_seq = seq;
      }
      const uint32_t ahead = seq - p.next_seq;
      if (ahead == 0) {
        const size_t room = kHostNameWindow - p.stream.size();
        auto payload =
            packet.data.subspan(d.payload_offset, std::min<size_t>(d.payload_length, room));
        p.stream.insert(p.stream.end(), payload.begin(), payload.end());
        // The segment as the IP header states it: the capture may have kept less.
        const uint32_t segment = d.l4_length - (d.payload_offset - d.l4_offset);
        p.next_seq += segment;
        HostName h = extract_host_name(p.stream);
        if (h.status == HostNameStatus::kFound) {
          host = std::move(h.name);
          done = true;
        } else {
          done = h.status == HostNameStatus::kNone || segment != d.payload_length ||
                 p.stream.size() >= kHostNameWindow;
        }
      } else if (ahead < (1U << 31)) {
        done = true;  // bytes before this segment are missing from the capture
      }
      // else: a retransmission of bytes already read.
    }
    if (done || p.packets >= kMaxPendingPackets) {
      decide(index, host, now);  // this packet is written by push(), after the held ones
      return;
    }
    if (options.rewrite) {
      HeldPacket& h = p.held.emplace_back();
      h.packet = packet;
      h.bytes.assign(packet.data.begin(), packet.data.end());
      h.decoded = d;
      h.outbound = !reverse;
    }
  }

  void end_flow(uint32_t index, FlowEnd end, int64_t at) {
    LiveFlow& f = flows[index];
    f.ended = true;
    f.end = end;
    if (f.leased) {
      pools.release(f.lease, snat_points[paths[f.path].snat].point, f.key, end, at);
      sample(f.lease.ip_slot, at);
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

  void finalize(uint32_t index) {
    LiveFlow& f = flows[index];
    const Path& path = paths[f.path];
    const SnatEntry* snat = path.snat == kNoSnat ? nullptr : &snat_points[path.snat];
    Verdict verdict = f.exhausted ? Verdict::kDropped : path.verdict;
    Reason reason = f.exhausted ? Reason::kSnatExhausted : path.reason;
    ++summary.verdicts[to_string(verdict)];
    if (reason != Reason::kNone) {
      ++summary.reasons[to_string(reason)];
    }
    if (options.groups != nullptr) {
      GroupUsage& g = group_rows[path.group];
      ++g.flows;
      ++g.verdicts[to_string(verdict)];
      if (verdict == Verdict::kEgress) {
        group_sets[path.group].insert(path.egress_set);
      }
    }
    if (snat != nullptr) {
      UsageRow& row = resource_row(*snat);
      ++row.flows;
      row.packets += f.stats.packets;
      row.bytes += f.stats.bytes;
      row.snat_exhausted += f.exhausted ? 1 : 0;
    }
    if (f.leased) {
      if (ip_rows.size() <= f.lease.ip_slot) {
        ip_rows.resize(f.lease.ip_slot + 1);
      }
      UsageRow& row = ip_rows[f.lease.ip_slot];
      row.via = via_key(snat->point.via);
      row.resource = snat->resource;
      ++row.flows;
      row.packets += f.stats.packets;
      row.bytes += f.stats.bytes;
    }

    ModelSet used = path.models;
    if (f.leased) {
      used -= kSnatSampleModel;
    }
    if (snat != nullptr && (f.leased || f.exhausted)) {
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
    if (f.end == FlowEnd::kIdle && path.default_idle) {
      used |= kFlowIdleTimeoutModel;
    }
    if (f.flipped) {
      used |= kFlowDirectionModel;
    }
    if (f.waited) {
      used |= kHostNameWaitModel;
    }
    models |= used;

    if (options.records) {
      FlowRecord rec;
      rec.result = engine.trace(f.key, options.seed, host_of(path, f.path));
      rec.result.models = used;
      if (f.leased) {
        rec.result.snat_ip = pools.ip(f.lease.ip_slot);
        rec.result.snat_port =
            f.key.proto == Protocol::kIcmp ? std::nullopt : std::optional<uint16_t>(f.lease.port);
        for (Hop& hop : rec.result.hops) {
          if (hop.action == HopAction::kSnat) {
            hop.ip = rec.result.snat_ip;
          }
        }
      }
      if (f.exhausted) {
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
    drop_path(f.path);
    flows.remove(index);
  }

  void expire(int64_t until) {
    while (!timers.empty() && timers.top().at <= until) {
      Timer t = timers.top();
      timers.pop();
      LiveFlow& f = flows[t.flow];
      if (f.generation != t.generation) {
        continue;  // the flow ended and its slot moved on
      }
      if (f.ended) {
        finalize(t.flow);
        continue;
      }
      int64_t deadline = f.stats.last_ns + paths[f.path].idle_ns;
      if (deadline > t.at) {
        timers.push(Timer{deadline, f.id, t.flow, t.generation});
        continue;
      }
      if (f.pending) [[unlikely]] {
        decide(t.flow, {}, deadline);
      }
      bool half_open = f.key.proto == Protocol::kTcp && !f.replied;
      end_flow(t.flow, half_open ? FlowEnd::kHalfOpen : FlowEnd::kIdle, deadline);
      finalize(t.flow);
    }
    pools.advance(until);
  }

  void emit(const RawPacket& packet, const DecodedPacket& d, const LiveFlow& f, bool outbound) {
    if (!options.rewrite || !f.leased) {
      return;
    }
    scratch.assign(packet.data.begin(), packet.data.end());
    std::optional<uint16_t> port;
    if (f.key.proto != Protocol::kIcmp) {
      port = f.lease.port;
    }
    const IpAddress& ip = pools.ip(f.lease.ip_slot);
    bool done =
        outbound ? rewrite_source(scratch, d, ip, port) : rewrite_destination(scratch, d, ip, port);
    if (done) {
      ++summary.egress_packets_written;
      sink.on_egress_packet(packet, d, scratch);
    }
  }

  void push(const RawPacket& packet) {
    if (summary.packets == 0) {
      summary.first_ns = packet.ts_ns;
    }
    ++summary.packets;
    summary.bytes += packet.orig_len;
    now = std::max(now, packet.ts_ns);
    summary.last_ns = now;
    expire(now);
    if (options.progress_every != 0 && summary.packets % options.progress_every == 0) {
      sink.on_progress(
          ReplayProgress{summary.packets, summary.bytes, summary.flows, flows.size(), now});
    }

    DecodedPacket d = decoder.decode(packet);
    if (d.kind != PacketKind::kIp) {
      ++kinds[static_cast<size_t>(d.kind)];
      return;
    }
    bool reverse = false;
    uint32_t index = flows.find(d.key, &reverse);
    if (d.icmp_error) {
      // The error travels against the packet it quotes.
      if (index == kNoFlow) {
        ++unmatched_icmp_errors;
        return;
      }
      account(index, packet, !reverse);
      emit(packet, d, flows[index], reverse);
      return;
    }
    if (index != kNoFlow && flows[index].ended && !reverse &&
        (d.tcp_flags & (kTcpSyn | kTcpAck)) == kTcpSyn) {
      finalize(index);  // model flow-end: a new connection on the same ports
      index = kNoFlow;
    }
    if (index == kNoFlow) {
      // A SYN names its initiator; any other first packet may be a reply (model
      // flow-direction).
      bool syn = (d.tcp_flags & (kTcpSyn | kTcpAck)) == kTcpSyn;
      index = create(d.key, !(d.key.proto == Protocol::kTcp && syn), &reverse);
    }
    account(index, packet, reverse);
    if (flows[index].pending) [[unlikely]] {
      feed(index, packet, d, reverse);
    }
    // Still pending: feed() held it for --pcap-out, and decide() writes it.
    const bool held = flows[index].pending;
    LiveFlow& f = flows[index];
    if (f.key.proto == Protocol::kTcp && !f.ended) {
      if ((d.tcp_flags & kTcpRst) != 0) {
        if (f.pending) {
          decide(index, {}, now);
        }
        end_flow(index, FlowEnd::kRst, now);
        linger(index);
      } else if ((d.tcp_flags & kTcpFin) != 0) {
        f.fins |= reverse ? 2 : 1;
        if (f.fins == 3) {
          if (f.pending) {
            decide(index, {}, now);
          }
          end_flow(index, FlowEnd::kFin, now);
          linger(index);
        }
      }
    }
    if (!held) {
      emit(packet, d, f, !reverse);
    }
  }

  // model flow-end: a closed TCP flow takes its last packets for 60 s. Its idle timer would
  // end it sooner if it fell due first, so it is made stale: the linger timer alone ends it.
  void linger(uint32_t index) {
    LiveFlow& f = flows[index];
    ++f.generation;
    timers.push(Timer{now + kLingerNs, f.id, index, f.generation});
  }

  void account(uint32_t index, const RawPacket& packet, bool reverse) {
    LiveFlow& f = flows[index];
    ++f.stats.packets;
    f.stats.bytes += packet.orig_len;
    f.stats.last_ns = now;
    f.replied = f.replied || reverse;
  }

  void attach_timelines() {
    if (!pools.ip_use().empty()) {
      track(static_cast<uint32_t>(pools.ip_use().size() - 1));
    }
    const int64_t start = summary.first_ns;
    const int64_t end = std::max(start, summary.last_ns);
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

  const ReplaySummary& finish() {
    if (finished) {
      return summary;
    }
    finished = true;
    for (uint32_t index : flows.live_in_order()) {
      if (flows[index].pending) {
        decide(index, {}, now);
      }
      if (!flows[index].ended) {
        end_flow(index, FlowEnd::kEndOfInput, now);
      }
      finalize(index);
    }
    for (int k = 0; k < kPacketKindCount; ++k) {
      if (kinds[k] != 0) {
        summary.unusable[to_string(static_cast<PacketKind>(k))] = kinds[k];
      }
    }
    if (unmatched_icmp_errors != 0) {
      summary.unusable["icmp-error-unmatched"] = unmatched_icmp_errors;
    }
    const std::vector<SnatIpUse>& use = pools.ip_use();
    ip_rows.resize(use.size());
    for (size_t slot = 0; slot < use.size(); ++slot) {
      UsageRow& row = ip_rows[slot];
      row.name = use[slot].ip.to_string();
      row.resource = use[slot].resource;
      row.ports = use[slot].ports;
      row.peak_ports_in_use = use[slot].peak_in_use;
      row.snat_exhausted = use[slot].exhausted;
      auto it = resource_index.find(use[slot].resource);
      if (it != resource_index.end()) {
        UsageRow& res = resource_rows[it->second];
        res.ports += use[slot].ports;
        res.peak_ports_in_use += use[slot].peak_in_use;
        if (row.via.empty()) {
          row.via = res.via;
        }
      }
    }
    attach_timelines();
    summary.egress_ips = ip_rows;
    summary.resources = resource_rows;
    if (options.groups != nullptr) {
      for (size_t g = 0; g < group_rows.size(); ++g) {
        std::set<std::string> ips;
        for (uint32_t set : group_sets[g]) {
          ips.insert(egress_sets[set]->begin(), egress_sets[set]->end());
        }
        group_rows[g].egress_ips.assign(ips.begin(), ips.end());
      }
      summary.grouped = true;
      summary.ungrouped = group_rows.back();
      summary.groups.assign(group_rows.begin(), group_rows.end() - 1);
    }
    summary.models = models.id_strings();
    return summary;
  }
};

Replayer::Replayer(const Engine& engine, ReplayOptions options, ReplaySink& sink)
    : impl_(std::make_unique<Impl>(engine, options, sink)) {}
Replayer::~Replayer() = default;

void Replayer::push(const RawPacket& packet) {
  impl_->push(packet);
}
const ReplaySummary& Replayer::finish() {
  return impl_->finish();
}
uint64_t Replayer::live_flows() const {
  return impl_->flows.size();
}

size_t Replayer::memory_bytes() const {
  const Impl& m = *impl_;
  size_t paths = m.paths.capacity() * sizeof(Path) + m.free_paths.capacity() * sizeof(uint32_t) +
                 m.path_index.size() * (sizeof(PathKey) + sizeof(uint32_t) + 3 * sizeof(void*)) +
                 m.path_index.bucket_count() * sizeof(void*) +
                 m.snat_points.size() * sizeof(SnatEntry);
  size_t pending = m.pending.size() * (sizeof(PendingFlow) + sizeof(uint32_t) + 3 * sizeof(void*));
  for (const auto& [index, p] : m.pending) {
    pending += p.stream.capacity() + p.held.capacity() * sizeof(HeldPacket);
    for (const HeldPacket& h : p.held) {
      pending += h.bytes.capacity();
    }
  }
  return m.flows.memory_bytes() + m.pools.memory_bytes() + paths + pending +
         m.timers.size() * sizeof(Timer);
}

Result<ReplaySummary> replay(const Engine& engine, PacketSource& source,
                             const ReplayOptions& options, ReplaySink& sink) {
  Replayer replayer(engine, options, sink);
  Result<bool> read = for_each_packet(source, [&](const RawPacket& p) { replayer.push(p); });
  if (!read.ok()) {
    return read.error();
  }
  ReplaySummary summary = replayer.finish();
  summary.warnings = source.warnings();
  return summary;
}

}  // namespace egress
