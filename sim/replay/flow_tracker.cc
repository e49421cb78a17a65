// The per-flow stage of replay (replay_stages.h): flows found from either direction, their
// paths from the engine, host-name waits and timers. What flows share (ports, the summary)
// is the EgressStage's, reached only through events.
#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "egress/capture/host_name.h"
#include "egress/groups/destination_groups.h"
#include "flow_table.h"
#include "replay_hash.h"
#include "replay_stages.h"
#include "slot_index.h"

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
  uint64_t operator()(const PathKey& k) const noexcept {
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
  bool default_idle = true;
  uint32_t snat = kNoSnat;  // into Impl::snat_points
  ModelSet models;
  int64_t idle_ns = kDefaultIdleNs;
  uint32_t group = 0;                                    // with groups: the group's row
  const std::vector<std::string>* egress_set = nullptr;  // with groups: its egress IPs
  bool by_host = false;   // an application rule may match: TCP flows wait for a host name
  bool has_host = false;  // traced with a host name (Impl::path_hosts holds it)
};

uint64_t endpoint_mix(const IpAddress& ip, uint16_t port) {
  return mix64(ip.hi() * 31 + ip.lo() + (uint64_t{port} << 48));
}

}  // namespace

uint64_t flow_hash(const FlowKey& key) noexcept {
  return FlowTable::hash(key);
}

uint32_t tracker_of(const FlowKey& k, uint32_t trackers) noexcept {
  if (trackers <= 1) {
    return 0;
  }
  // Symmetric in the endpoints, as the flow table's hash, but mixed apart from it so that one
  // tracker's table does not see only a fraction of its own hash space.
  uint64_t a = endpoint_mix(k.src, k.sport);
  uint64_t b = endpoint_mix(k.dst, k.dport);
  uint64_t h = mix64((a ^ b) + 0x5bd1e995ULL * static_cast<uint64_t>(k.proto) + (a & b));
  return static_cast<uint32_t>((h >> 16) % trackers);
}

struct FlowTracker::Impl {
  Impl(const Engine& e, const ReplayOptions& o, TrackerOutput& t)
      : engine(e), options(o), out(&t), timers(flows) {}

  const Engine& engine;
  const ReplayOptions& options;
  TrackerOutput* out;
  FlowTable flows;
  std::vector<Path> paths;
  std::vector<uint32_t> free_paths;
  std::deque<SnatEntry> snat_points;  // a deque: events point into it
  std::map<std::tuple<Via, Index, Index, uint32_t>, uint32_t> snat_index;
  SlotIndex path_index;  // the paths traced without a host name, by their PathKey
  std::unordered_map<HostPathKey, uint32_t, HostPathKeyHash> host_path_index;
  std::unordered_map<uint32_t, std::string> path_hosts;  // paths traced with a host name
  std::unordered_map<uint32_t, PendingFlow> pending;     // by flow index
  FlowTimers timers;  // one per live flow: its idle or linger deadline
  std::map<std::vector<std::string>, int> egress_sets;  // with groups: each set once
  uint64_t unmatched_icmp_errors = 0;
  int64_t now = std::numeric_limits<int64_t>::min();
  EventKey key;  // the cause of the events emitted now; next() numbers them

  // Field by field: `key` was just written a field at a time, and a copy of the whole read it
  // back as 16-byte words, which the store buffer cannot forward (a stall per event).
  EventKey next() { return EventKey{key.at, key.phase, key.order, key.sub++}; }

  void group_path(Path& p, const FlowKey& flow_key, const FlowResult& r) {
    size_t g = options.groups->match(flow_key, r.host);
    p.group = static_cast<uint32_t>(g == kNoGroup ? options.groups->groups().size() : g);
    p.egress_set = &egress_sets.try_emplace(egress_ip_texts(r), 0).first->first;
  }

  uint64_t path_hash(uint32_t index) const noexcept { return PathKeyHash{}(paths[index].key); }

  uint32_t path_for(const FlowKey& k) {
    PathKey pk{k.proto, k.dport, k.src, k.dst};
    const uint64_t h = PathKeyHash{}(pk);
    const uint32_t found =
        path_index.find(h, [&](uint32_t index) { return paths[index].key == pk; });
    if (found != SlotIndex::kNone) {
      ++paths[found].users;
      return found;
    }
    uint32_t index = new_path(k, {});
    path_index.insert(index, h, [&](uint32_t i) { return path_hash(i); });
    return index;
  }

  // The path of a flow decided by its host name; shared by the flows to one host.
  uint32_t host_path_for(const FlowKey& k, const std::string& host) {
    HostPathKey hk{PathKey{k.proto, k.dport, k.src, k.dst}, host};
    auto it = host_path_index.find(hk);
    if (it != host_path_index.end()) {
      ++paths[it->second].users;
      return it->second;
    }
    uint32_t index = new_path(k, host);
    paths[index].has_host = true;
    path_hosts[index] = host;
    host_path_index.emplace(std::move(hk), index);
    return index;
  }

  std::string_view host_of(const Path& p, uint32_t index) const {
    return p.has_host ? std::string_view(path_hosts.at(index)) : std::string_view();
  }

  uint32_t new_path(const FlowKey& k, std::string_view host) {
    PathKey pk{k.proto, k.dport, k.src, k.dst};
    uint32_t index;
    if (!free_paths.empty()) {
      index = free_paths.back();
      free_paths.pop_back();
    } else {
      index = static_cast<uint32_t>(paths.size());
      paths.emplace_back();
    }
    Path& p = paths[index];
    FlowResult r = engine.trace(k, options.seed, host);
    // Traced without a host, the answer says whether a host name could change it: what
    // Engine::decides_by_host() tells by a second trace, for any seed. That second trace was
    // a fifth of a replay's instructions (bench/README.md, "Fourth round").
    p.by_host = host.empty() && r.host_dependent;
    p.has_host = false;
    p.key = pk;
    p.users = 1;
    p.verdict = r.verdict;
    p.reason = r.reason;
    p.default_idle = r.snat.idle_timeout_s == 0 || r.snat.via == Via::kAppliance ||
                     r.snat.via == Via::kInstancePublicIp;
    p.idle_ns = r.snat.idle_timeout_s != 0 ? r.snat.idle_timeout_s * kNs : kDefaultIdleNs;
    p.snat = kNoSnat;
    if (holds_port(r)) {
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
      group_path(p, k, r);
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
        path_index.erase(index, path_hash(index), [&](uint32_t i) { return path_hash(i); });
      }
      free_paths.push_back(index);
    }
  }

  // `h`: the flow's hash (flow_hash()), the same for `k` and its reverse.
  uint32_t create(const FlowKey& k, uint64_t h, bool may_flip, bool* reverse, uint64_t id) {
    FlowKey oriented = k;
    bool flipped = false;
    uint32_t path = path_for(k);
    if (may_flip && paths[path].reason == Reason::kUnknownSource) {
      // model flow-direction: the capture may have begun mid-flow, with a reply.
      FlowKey back = reversed(k);
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
    f.id = id;
    f.path = path;
    f.translated = paths[path].snat != kNoSnat;
    f.first_ns = now;
    f.flipped = flipped;
    // azure-behaviour B, "Host names of flows": a TCP flow an application rule may match is
    // decided at its first client payload; until then it holds no port.
    f.pending = paths[path].by_host && oriented.proto == Protocol::kTcp;
    f.waited = f.pending;
    uint32_t index = flows.add(f, h);
    out->on_created(next(), index);
    if (f.pending) {
      pending[index] = PendingFlow{};
    } else {
      acquire(index, now);
    }
    timers.set(index, now + paths[path].idle_ns);
    return index;
  }

  void acquire(uint32_t index, int64_t at) {
    const LiveFlow& f = flows[index];
    if (paths[f.path].snat != kNoSnat) {
      out->on_acquire(next(), index, snat_points[paths[f.path].snat], f.key, at);
    }
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
      f.translated = paths[path].snat != kNoSnat;
    }
    acquire(index, at);
    for (HeldPacket& h : held) {
      h.packet.data = h.bytes;
      emit(index, h.packet, h.decoded, h.outbound);
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
    if (paths[f.path].snat != kNoSnat) {
      out->on_release(next(), index, snat_points[paths[f.path].snat], f.key, end, at);
    }
  }

  // `forget`: take the flow out of the tables. The end of input does not: it forgets all of
  // them at once after the last (finish()).
  void finalize(uint32_t index, bool forget = true) {
    LiveFlow& f = flows[index];
    const Path& path = paths[f.path];
    EndedFlow e;
    e.key = f.key;
    e.stats = f.stats();
    e.end = f.end;
    e.flipped = f.flipped;
    e.waited = f.waited;
    e.default_idle = path.default_idle;
    e.verdict = path.verdict;
    e.reason = path.reason;
    e.models = path.models;
    e.snat = path.snat == kNoSnat ? nullptr : &snat_points[path.snat];
    e.group = path.group;
    e.egress_set = path.egress_set;
    e.host = host_of(path, f.path);
    if (options.records) {
      e.result =
          std::make_unique<FlowResult>(engine.trace(f.key, options.seed, host_of(path, f.path)));
    }
    out->on_ended(next(), index, std::move(e));
    if (!forget) {
      return;
    }
    drop_path(f.path);
    timers.erase(index);
    flows.remove(index);
  }

  void expire(int64_t until) {
    while (!timers.empty() && timers.next_at() <= until) {
      const uint32_t index = timers.next_flow();
      const int64_t at = timers.next_at();
      LiveFlow& f = flows[index];
      key = EventKey{at, EventKey::kTimers, f.id, 0};
      if (f.ended) {
        finalize(index);
        continue;
      }
      int64_t deadline = f.last_ns + paths[f.path].idle_ns;
      if (deadline > at) {
        timers.set(index, deadline);
        continue;
      }
      if (f.pending) [[unlikely]] {
        decide(index, {}, deadline);
      }
      bool half_open = f.key.proto() == Protocol::kTcp && !f.replied;
      end_flow(index, half_open ? FlowEnd::kHalfOpen : FlowEnd::kIdle, deadline);
      finalize(index);
    }
  }

  void emit(uint32_t index, const RawPacket& packet, const DecodedPacket& d, bool outbound) {
    if (options.rewrite && flows[index].translated) {
      out->on_packet(next(), index, packet, d, outbound);
    }
  }

  void push(const TrackedPacket& tp) {
    const RawPacket& packet = *tp.packet;
    const DecodedPacket& d = *tp.decoded;
    now = tp.now;
    expire(now);
    key = EventKey{now, EventKey::kPacket, tp.index, 0};
    bool reverse = false;
    uint32_t index = flows.find(d.key, tp.flow_hash, &reverse);
    if (d.icmp_error) {
      // The error travels against the packet it quotes.
      if (index == kNoFlow) {
        ++unmatched_icmp_errors;
        return;
      }
      account(index, packet, !reverse);
      emit(index, packet, d, reverse);
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
      index =
          create(d.key, tp.flow_hash, !(d.key.proto == Protocol::kTcp && syn), &reverse, tp.index);
    }
    account(index, packet, reverse);
    if (flows[index].pending) [[unlikely]] {
      feed(index, packet, d, reverse);
    }
    // Still pending: feed() held it for --pcap-out, and decide() writes it.
    const bool held = flows[index].pending;
    LiveFlow& f = flows[index];
    if (f.key.proto() == Protocol::kTcp && !f.ended) {
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
      emit(index, packet, d, !reverse);
    }
  }

  // model flow-end: a closed TCP flow takes its last packets for 60 s. Its idle timer would
  // end it sooner if it fell due first, so the linger deadline replaces it.
  void linger(uint32_t index) { timers.set(index, now + kLingerNs); }

  void account(uint32_t index, const RawPacket& packet, bool reverse) {
    LiveFlow& f = flows[index];
    f.count(packet.orig_len, now);
    f.replied = f.replied || reverse;
  }

  // Ends the live flows whose id is below `below`, in creation order: every timer moved to
  // the end of input, where only the flows' ids order them; all_due_at() sorts the timers so
  // (through a passing copy, 12 bytes a live flow). Called with rising bounds, so that a
  // worker's events of the end come a share at a time. The flows stay in the tables until the
  // last has ended, then all go at once: taking each out (its path, its timer, its slot) was
  // half of a capture's tail, for tables about to be dropped (bench/README.md, "Third round").
  void finish(int64_t at, uint64_t below) {
    if (!finishing) {
      finishing = true;
      now = std::max(now, at);
      expire(now);
      // Every live flow has a timer (set at its creation, moved, never dropped while it lives).
      timers.all_due_at(kEndOfInputNs);
    }
    for (; ending < timers.size() && timers.due_id(ending) < below; ++ending) {
      const uint32_t index = timers.due_flow(ending);
      key = EventKey{kEndOfInputNs, EventKey::kTimers, flows[index].id, 0};
      if (flows[index].pending) {
        decide(index, {}, now);
      }
      if (!flows[index].ended) {
        end_flow(index, FlowEnd::kEndOfInput, now);
      }
      finalize(index, false);
    }
    if (ending == timers.size() && flows.size() != 0) {
      // snat_points and egress_sets stay: the events point into them.
      timers.clear();
      flows.clear();
      paths = {};
      free_paths = {};
      path_index = SlotIndex();
      host_path_index = {};
      path_hosts = {};
      pending = {};
      ending = 0;
    }
  }
  bool finishing = false;
  size_t ending = 0;  // finish(): the timers (in id order) of the flows ended so far
};

FlowTracker::FlowTracker(const Engine& engine, const ReplayOptions& options, TrackerOutput& out)
    : impl_(std::make_unique<Impl>(engine, options, out)) {}
FlowTracker::~FlowTracker() = default;

void FlowTracker::prefetch_slot(uint64_t flow_hash) const noexcept {
  impl_->flows.prefetch_slot(flow_hash);
}
void FlowTracker::prefetch_flow(uint64_t flow_hash) const noexcept {
  impl_->flows.prefetch_flow(flow_hash);
}
void FlowTracker::push(const TrackedPacket& p) {
  impl_->push(p);
}
void FlowTracker::expire(int64_t now) {
  impl_->now = std::max(impl_->now, now);
  impl_->expire(now);
}
void FlowTracker::finish(int64_t now, uint64_t below_id) {
  impl_->finish(now, below_id);
}
uint64_t FlowTracker::live_flows() const {
  return impl_->flows.size();
}
uint64_t FlowTracker::unmatched_icmp_errors() const {
  return impl_->unmatched_icmp_errors;
}

size_t FlowTracker::memory_bytes() const {
  const Impl& m = *impl_;
  size_t paths = m.paths.capacity() * sizeof(Path) + m.free_paths.capacity() * sizeof(uint32_t) +
                 m.path_index.memory_bytes() + m.snat_points.size() * sizeof(SnatEntry);
  size_t pending = m.pending.size() * (sizeof(PendingFlow) + sizeof(uint32_t) + 3 * sizeof(void*));
  for (const auto& [index, p] : m.pending) {
    pending += p.stream.capacity() + p.held.capacity() * sizeof(HeldPacket);
    for (const HeldPacket& h : p.held) {
      pending += h.bytes.capacity();
    }
  }
  return m.flows.memory_bytes() + paths + pending + m.timers.memory_bytes();
}

}  // namespace egress
