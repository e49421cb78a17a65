#include "egress/replay/snat_pools.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dense_set.h"
#include "replay_hash.h"
#include "util/prefetch.h"

namespace egress {
namespace {

constexpr uint32_t kFirstPort = 1024;      // SNAT ports start above the well-known range
constexpr uint32_t kLbPortsPerIp = 64000;  // azure-egress-facts 3a: SNAT ports per frontend IP
constexpr int64_t kNs = 1'000'000'000;
constexpr int kRandomTries = 32;

// azure-egress-facts 3b: the NAT gateway's cool-down before a port is used towards the same
// destination again. Microsoft says these "are subject to change".
int64_t nat_gateway_cooldown_ns(const FlowKey& flow, FlowEnd end) {
  if (flow.proto == Protocol::kUdp) {
    return 65 * kNs;
  }
  switch (end) {
    case FlowEnd::kFin:
      return 65 * kNs;
    case FlowEnd::kRst:
      return 16 * kNs;
    case FlowEnd::kHalfOpen:
      return 30 * kNs;
    case FlowEnd::kIdle:
    case FlowEnd::kEndOfInput:
      return 0;
  }
  return 0;
}

// A port in use towards one destination. The destination is IP and port, except for UDP
// through a load balancer, which is port-restricted cone NAT: the IP alone
// (azure-egress-facts 3a).
struct BusyKey {
  uint32_t slot = 0;
  uint16_t port = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
  IpAddress dst;
  friend bool operator==(const BusyKey&, const BusyKey&) = default;
};

// How many ports of one scope (an LB instance's block on one frontend, a NAT gateway, an
// appliance; by its interned id) are held towards one destination: tells exhaustion without
// scanning.
struct ScopeKey {
  uint32_t scope = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
  IpAddress dst;
};

// The counters, packed as the busy ports are: an entry per scope and destination.
struct HeldV4 {
  uint32_t dst = 0;
  uint32_t scope = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
  uint32_t count = 0;
};
struct HeldV6 {
  uint64_t hi = 0;
  uint64_t lo = 0;
  uint32_t scope = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
  uint32_t count = 0;
};
static_assert(sizeof(HeldV4) == 16 && sizeof(HeldV6) == 32);

struct HeldV4Hash {
  size_t operator()(const HeldV4& e) const noexcept {
    return mix_hash(uint64_t{e.dst} << 32 | e.scope, uint64_t{e.dport} << 8 | e.proto);
  }
};
struct HeldV4Equal {
  bool operator()(const HeldV4& a, const HeldV4& b) const noexcept {
    return a.dst == b.dst && a.scope == b.scope && a.dport == b.dport && a.proto == b.proto;
  }
};
struct HeldV6Hash {
  size_t operator()(const HeldV6& e) const noexcept {
    return mix_hash(e.hi ^ e.scope, e.lo ^ (uint64_t{e.dport} << 8 | e.proto));
  }
};
struct HeldV6Equal {
  bool operator()(const HeldV6& a, const HeldV6& b) const noexcept {
    return a.hi == b.hi && a.lo == b.lo && a.scope == b.scope && a.dport == b.dport &&
           a.proto == b.proto;
  }
};

// A SnatPools hint's step on one DenseSet (SnatPools::prefetch_acquire).
template <class Set, class E>
void prefetch_in(const Set& set, const E& key, SnatPools::Step step) noexcept {
  if (step == SnatPools::Step::kSlots) {
    set.prefetch_slot(key);
  } else {
    set.prefetch_entry(key);
  }
}

class HeldCounts {
 public:
  /// A destination's count for an acquire: read once, then stored back by `put` (zero is
  /// not stored) at the same slot, with no other HeldCounts call between.
  struct Count {
    size_t slot = 0;
    uint32_t before = 0;
    uint32_t now = 0;
  };
  Count get(const ScopeKey& k) {
    if (k.dst.is_v4()) {
      return get(v4_, v4(k));
    }
    return get(v6_, v6(k));
  }
  void put(const ScopeKey& k, const Count& c) {
    if (k.dst.is_v4()) {
      put(v4_, v4(k), c);
    } else {
      put(v6_, v6(k), c);
    }
  }
  /// One port fewer held towards `k`'s destination.
  void decrement(const ScopeKey& k) {
    if (k.dst.is_v4()) {
      decrement(v4_, v4(k));
    } else {
      decrement(v6_, v6(k));
    }
  }
  size_t memory_bytes() const { return v4_.memory_bytes() + v6_.memory_bytes(); }
  void prefetch(const ScopeKey& k, SnatPools::Step step) const noexcept {
    if (k.dst.is_v4()) {
      prefetch_in(v4_, v4(k), step);
    } else {
      prefetch_in(v6_, v6(k), step);
    }
  }

 private:
  static HeldV4 v4(const ScopeKey& k) { return {k.dst.v4_bits(), k.scope, k.dport, k.proto, 0}; }
  static HeldV6 v6(const ScopeKey& k) {
    return {k.dst.hi(), k.dst.lo(), k.scope, k.dport, k.proto, 0};
  }
  template <class Set, class E>
  static Count get(Set& set, const E& key) {
    const size_t slot = set.slot(key);
    const E* e = set.at(slot);
    const uint32_t count = e == nullptr ? 0 : e->count;
    return {slot, count, count};
  }
  template <class Set, class E>
  static void put(Set& set, E entry, const Count& c) {
    if (c.now == c.before) {
      return;
    }
    if (c.before != 0) {
      set.at(c.slot)->count = c.now;
      return;
    }
    entry.count = c.now;
    set.insert_at(c.slot, entry);
  }
  template <class Set, class E>
  static void decrement(Set& set, const E& key) {
    const size_t slot = set.slot(key);
    E* e = set.at(slot);
    if (e != nullptr && --e->count == 0) {
      set.erase_at(slot, nullptr);
    }
  }

  DenseSet<HeldV4, HeldV4Hash, HeldV4Equal> v4_;
  DenseSet<HeldV6, HeldV6Hash, HeldV6Equal> v6_;
};

// The busy sets' entries: a BusyKey packed, IPv4 destinations in 4 bytes, with the id of the
// scope that holds the port beside it (not part of the key; proto in the low 8 bits).
struct BusyV4 {
  uint32_t dst = 0;
  uint32_t slot = 0;
  uint16_t port = 0;
  uint16_t dport = 0;
  uint32_t proto_scope = 0;
};
struct BusyV6 {
  uint64_t hi = 0;
  uint64_t lo = 0;
  uint32_t slot = 0;
  uint16_t port = 0;
  uint16_t dport = 0;
  uint32_t proto_scope = 0;
};
static_assert(sizeof(BusyV4) == 16 && sizeof(BusyV6) == 32);

struct BusyV4Hash {
  size_t operator()(const BusyV4& e) const noexcept {
    return mix_hash(uint64_t{e.dst} << 32 | e.slot,
                    uint64_t{e.port} << 32 | uint64_t{e.dport} << 8 | (e.proto_scope & 0xff));
  }
};
struct BusyV4Equal {
  bool operator()(const BusyV4& a, const BusyV4& b) const noexcept {
    return a.dst == b.dst && a.slot == b.slot && a.port == b.port && a.dport == b.dport &&
           ((a.proto_scope ^ b.proto_scope) & 0xff) == 0;
  }
};
struct BusyV6Hash {
  size_t operator()(const BusyV6& e) const noexcept {
    return mix_hash(e.hi ^ (uint64_t{e.slot} << 32 | uint64_t{e.port} << 16 | e.dport),
                    e.lo ^ (e.proto_scope & 0xff));
  }
};
struct BusyV6Equal {
  bool operator()(const BusyV6& a, const BusyV6& b) const noexcept {
    return a.hi == b.hi && a.lo == b.lo && a.slot == b.slot && a.port == b.port &&
           a.dport == b.dport && ((a.proto_scope ^ b.proto_scope) & 0xff) == 0;
  }
};

// Every port held towards a destination, by live flows or cooling down: an entry each, so
// 16 bytes and a share of the index for IPv4, where a std::unordered_map node took 80.
class BusyPorts {
 public:
  /// Marks `k` busy, held in scope `scope_id`; false when it already was.
  bool hold(const BusyKey& k, uint32_t scope_id) {
    const uint32_t proto_scope = scope_id << 8 | k.proto;
    if (k.dst.is_v4()) {
      return v4_.insert(BusyV4{k.dst.v4_bits(), k.slot, k.port, k.dport, proto_scope}).second;
    }
    return v6_.insert(BusyV6{k.dst.hi(), k.dst.lo(), k.slot, k.port, k.dport, proto_scope}).second;
  }
  bool contains(const BusyKey& k) {
    const uint32_t proto = k.proto;
    if (k.dst.is_v4()) {
      return v4_.find(BusyV4{k.dst.v4_bits(), k.slot, k.port, k.dport, proto}) != nullptr;
    }
    return v6_.find(BusyV6{k.dst.hi(), k.dst.lo(), k.slot, k.port, k.dport, proto}) != nullptr;
  }
  /// Frees `k`: the scope it was held in, or nullopt when it was not busy.
  std::optional<uint32_t> erase(const BusyKey& k) {
    const uint32_t proto = k.proto;
    if (k.dst.is_v4()) {
      return erase(v4_, BusyV4{k.dst.v4_bits(), k.slot, k.port, k.dport, proto});
    }
    return erase(v6_, BusyV6{k.dst.hi(), k.dst.lo(), k.slot, k.port, k.dport, proto});
  }
  size_t memory_bytes() const { return v4_.memory_bytes() + v6_.memory_bytes(); }
  void prefetch(const BusyKey& k, SnatPools::Step step) const noexcept {
    const uint32_t proto = k.proto;
    if (k.dst.is_v4()) {
      prefetch_in(v4_, BusyV4{k.dst.v4_bits(), k.slot, k.port, k.dport, proto}, step);
    } else {
      prefetch_in(v6_, BusyV6{k.dst.hi(), k.dst.lo(), k.slot, k.port, k.dport, proto}, step);
    }
  }

 private:
  template <class Set, class E>
  static std::optional<uint32_t> erase(Set& set, const E& key) {
    E gone;
    if (!set.erase_at(set.slot(key), &gone)) {
      return std::nullopt;
    }
    return gone.proto_scope >> 8;
  }

  DenseSet<BusyV4, BusyV4Hash, BusyV4Equal> v4_;
  DenseSet<BusyV6, BusyV6Hash, BusyV6Equal> v6_;
};

struct Cooling {
  int64_t free_at;
  uint64_t order;  // ties in arrival order, so the same input frees in the same order
  BusyKey key;
  bool operator>(const Cooling& o) const {
    return free_at != o.free_at ? free_at > o.free_at : order > o.order;
  }
};

// splitmix64: small, fast, and the same on every platform, unlike std:: distributions.
struct Rng {
  uint64_t state;
  uint64_t next() noexcept {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) noexcept { return static_cast<uint32_t>(next() % n); }
  /// What below(n) will give after `skip` more draws, without drawing.
  uint32_t below_after(uint64_t skip, uint32_t n) const noexcept {
    Rng ahead{state + skip * 0x9e3779b97f4a7c15ULL};
    return ahead.below(n);
  }
};

}  // namespace

// The slots of a point's IPs of one family and the random stream of the resource that owns
// them, looked up once per point, not per flow.
struct PointIps {
  std::vector<uint32_t> slots;
  Rng* rng = nullptr;
};

struct SnatPools::Impl {
  uint64_t seed = 0;
  // One stream per resource, so that a resource's ports depend only on its own flows'
  // acquisitions and releases (replay --shard keeps a resource's flows together, not all).
  // Node-based: PointIps keeps pointers.
  std::unordered_map<std::string, Rng> rngs;
  std::unordered_map<IpAddress, uint32_t, IpHash> slots;
  std::vector<SnatIpUse> use;
  std::vector<std::vector<uint32_t>> port_refs;  // per slot, per port: holders of any destination
  BusyPorts busy;
  // The scopes ports are held in, by the id BusyPorts keeps (24 bits: scopes are the
  // topology's, a few per LB instance and frontend, NAT gateway or appliance).
  std::unordered_map<uint64_t, uint32_t> scope_ids;
  HeldCounts held;
  std::priority_queue<Cooling, std::vector<Cooling>, std::greater<>> cooling;
  uint64_t cooling_order = 0;
  std::unordered_map<uint64_t, PointIps> slot_lists;
  bool last_exhausted = false;

  uint32_t slot_of(const IpAddress& ip, const std::string& resource, uint32_t ports) {
    auto [it, fresh] = slots.try_emplace(ip, static_cast<uint32_t>(use.size()));
    if (fresh) {
      use.push_back(SnatIpUse{ip, resource, ports, 0, 0, 0});
      port_refs.emplace_back(65536, 0);
    }
    return it->second;
  }

  static uint64_t base_scope(const SnatPoint& p) {
    return uint64_t{static_cast<uint8_t>(p.via)} << 56 | uint64_t{p.resource & 0xffffffU} << 32 |
           uint64_t{p.rule & 0xffffU} << 16;
  }
  static BusyKey busy_key(uint32_t slot, uint16_t port, const SnatPoint& p, const FlowKey& f) {
    bool cone = p.via == Via::kLoadBalancer && f.proto == Protocol::kUdp;
    return BusyKey{slot, port, cone ? uint16_t{0} : f.dport, static_cast<uint8_t>(f.proto), f.dst};
  }
  static ScopeKey scope_key(uint32_t scope, const SnatPoint& p, const FlowKey& f) {
    bool cone = p.via == Via::kLoadBalancer && f.proto == Protocol::kUdp;
    return ScopeKey{scope, cone ? uint16_t{0} : f.dport, static_cast<uint8_t>(f.proto), f.dst};
  }

  uint32_t scope_id(uint64_t scope) {
    return scope_ids.try_emplace(scope, static_cast<uint32_t>(scope_ids.size())).first->second;
  }

  // Takes port k.port on k.slot towards k's destination if it is free: one hash probe.
  bool try_hold(const BusyKey& k, uint32_t scope, uint32_t& count) {
    if (!busy.hold(k, scope)) {
      return false;
    }
    ++count;
    if (port_refs[k.slot][k.port]++ == 0) {
      SnatIpUse& u = use[k.slot];
      u.peak_in_use = std::max(u.peak_in_use, ++u.in_use);
    }
    return true;
  }

  void unhold(const BusyKey& k) {
    std::optional<uint32_t> scope = busy.erase(k);
    if (!scope) {
      return;
    }
    held.decrement(ScopeKey{*scope, k.dport, k.proto, k.dst});
    if (--port_refs[k.slot][k.port] == 0) {
      --use[k.slot].in_use;
    }
  }

  // A free port among `ports` consecutive ones from `first` on `slot`, taken: random tries
  // first, as Azure picks at random, then a scan so a nearly full pool still finds its last
  // ports.
  std::optional<uint16_t> take_port(Rng& rng, uint32_t slot, uint32_t first, uint32_t ports,
                                    const SnatPoint& p, const FlowKey& f, uint32_t scope,
                                    uint32_t& count) {
    for (int i = 0; i < kRandomTries; ++i) {
      auto port = static_cast<uint16_t>(first + rng.below(ports));
      if (try_hold(busy_key(slot, port, p, f), scope, count)) {
        return port;
      }
    }
    uint32_t start = rng.below(ports);
    for (uint32_t i = 0; i < ports; ++i) {
      auto port = static_cast<uint16_t>(first + (start + i) % ports);
      if (try_hold(busy_key(slot, port, p, f), scope, count)) {
        return port;
      }
    }
    return std::nullopt;
  }

  const PointIps& slots_of(const SnatPoint& p, const std::string& resource, Family family,
                           uint64_t base_scope) {
    auto [it, fresh] = slot_lists.try_emplace(base_scope | (family == Family::kV6 ? 1 : 0));
    if (fresh) {
      auto [r, new_stream] = rngs.try_emplace(resource);
      if (new_stream) {
        r->second.state = seed ^ 0x5eed5eed5eed5eedULL ^ mix64(stable_hash(resource));
      }
      it->second.rng = &r->second;
      for (const IpAddress& ip : p.ips) {
        if (ip.family() == family) {
          uint32_t ports = p.via == Via::kLoadBalancer       ? kLbPortsPerIp
                           : p.via == Via::kInstancePublicIp ? 65536 - kFirstPort
                                                             : p.ports;
          it->second.slots.push_back(slot_of(ip, resource, ports));
        }
      }
    }
    return it->second;
  }
};

SnatPools::SnatPools(uint64_t seed) : impl_(std::make_unique<Impl>()) {
  impl_->seed = seed;
}
SnatPools::~SnatPools() = default;
SnatPools::SnatPools(SnatPools&&) noexcept = default;
SnatPools& SnatPools::operator=(SnatPools&&) noexcept = default;

bool SnatPools::exhausted() const {
  return impl_->last_exhausted;
}

std::optional<SnatLease> SnatPools::acquire(const SnatPoint& p, const std::string& resource,
                                            const FlowKey& f, int64_t now_ns) {
  Impl& m = *impl_;
  m.last_exhausted = false;
  advance(now_ns);
  if (p.via == Via::kNone || p.via == Via::kDefaultOutbound) {
    return std::nullopt;
  }
  const uint64_t base_scope = Impl::base_scope(p);
  const PointIps& point_ips = m.slots_of(p, resource, f.src.family(), base_scope);
  const std::vector<uint32_t>& slots = point_ips.slots;
  Rng& rng = *point_ips.rng;
  if (slots.empty()) {
    return std::nullopt;
  }
  if (f.proto == Protocol::kIcmp) {
    // Only an appliance or an instance public IP passes ICMP (the LB and NAT gateway
    // translate TCP and UDP only, facts 3a, 3b): the address changes, the identifier stays.
    uint32_t slot = slots[rng.below(static_cast<uint32_t>(slots.size()))];
    return SnatLease{slot, f.sport};
  }

  switch (p.via) {
    case Via::kInstancePublicIp: {
      // azure-egress-facts 2: a 1:1 NAT; the port is the flow's own.
      const uint32_t scope = m.scope_id(base_scope);
      const ScopeKey sk = Impl::scope_key(scope, p, f);
      HeldCounts::Count count = m.held.get(sk);
      m.try_hold(Impl::busy_key(slots[0], f.sport, p, f), scope, count.now);
      m.held.put(sk, count);
      return SnatLease{slots[0], f.sport};
    }
    case Via::kLoadBalancer: {
      // azure-egress-facts 3a: the instance owns a block of `ports` on every frontend, and
      // uses the frontends in order, the next only when its block on this one is full
      // towards the destination.
      uint32_t span = 65536 - kFirstPort;
      uint32_t first =
          kFirstPort + static_cast<uint32_t>((static_cast<uint64_t>(p.instance) * p.ports) % span);
      uint32_t ports = std::min(p.ports, 65536 - first);
      // One scope per instance and frontend address: via, 16 bits of load balancer, 10 of
      // rule, 14 of instance (AKS: 5,000 nodes), 16 of address, since a prefix frontend
      // (azure-behaviour D7) makes more than the 16 addresses 4 bits held.
      const uint64_t lb_scope =
          (base_scope & (uint64_t{0xff} << 56)) | uint64_t{p.resource & 0xffffU} << 40 |
          uint64_t{p.rule & 0x3ffU} << 30 | uint64_t{p.instance & 0x3fffU} << 16;
      for (size_t i = 0; i < slots.size(); ++i) {
        uint64_t scope = lb_scope | (i & 0xffff);
        const uint32_t id = m.scope_id(scope);
        const ScopeKey sk = Impl::scope_key(id, p, f);
        HeldCounts::Count count = m.held.get(sk);
        std::optional<uint16_t> port;
        if (count.now < ports) {
          port = m.take_port(rng, slots[i], first, ports, p, f, id, count.now);
        }
        m.held.put(sk, count);
        if (port) {
          return SnatLease{slots[i], *port};
        }
      }
      break;
    }
    case Via::kNatGateway:
    case Via::kAppliance: {
      // azure-egress-facts 3b, 3c: one pool over every IP; IP and port picked at random.
      const uint32_t scope = m.scope_id(base_scope);
      const ScopeKey sk = Impl::scope_key(scope, p, f);
      HeldCounts::Count count = m.held.get(sk);
      std::optional<SnatLease> lease;
      if (count.now < slots.size() * static_cast<uint64_t>(p.ports)) {
        for (int i = 0; i < kRandomTries && !lease; ++i) {
          uint32_t slot = slots[rng.below(static_cast<uint32_t>(slots.size()))];
          auto port = static_cast<uint16_t>(kFirstPort + rng.below(p.ports));
          if (m.try_hold(Impl::busy_key(slot, port, p, f), scope, count.now)) {
            lease = SnatLease{slot, port};
          }
        }
        uint32_t start = lease ? 0 : rng.below(static_cast<uint32_t>(slots.size()));
        for (size_t i = 0; i < slots.size() && !lease; ++i) {
          uint32_t slot = slots[(start + i) % slots.size()];
          if (auto port = m.take_port(rng, slot, kFirstPort, p.ports, p, f, scope, count.now)) {
            lease = SnatLease{slot, *port};
          }
        }
      }
      m.held.put(sk, count);
      if (lease) {
        return lease;
      }
      break;
    }
    case Via::kNone:
    case Via::kDefaultOutbound:
    case Via::kServiceEndpoint:
    case Via::kPrivateEndpoint:
      return std::nullopt;
  }
  m.last_exhausted = true;
  // Every IP of the point is full towards the destination, but the flow counts once, on the IP
  // it would have left with, so that the IPs' counts add up to their resource's: the LB
  // instance's first frontend, where its flows start; for a NAT gateway or an appliance, which
  // pick at random, an IP drawn from the flow (not from the seeded stream, which stays as it
  // was).
  uint32_t charged = slots[0];
  if (p.via != Via::kLoadBalancer) {
    size_t h = mix_hash(f.src.hi() ^ f.src.lo() ^ (uint64_t{f.sport} << 16 | f.dport),
                        f.dst.hi() ^ f.dst.lo() ^ static_cast<uint64_t>(f.proto));
    charged = slots[h % slots.size()];
  }
  ++m.use[charged].exhausted;
  return std::nullopt;
}

void SnatPools::release(const SnatLease& lease, const SnatPoint& p, const FlowKey& f, FlowEnd end,
                        int64_t now_ns) {
  Impl& m = *impl_;
  if (f.proto == Protocol::kIcmp) {
    return;
  }
  BusyKey k = Impl::busy_key(lease.ip_slot, lease.port, p, f);
  int64_t cooldown = p.via == Via::kNatGateway ? nat_gateway_cooldown_ns(f, end) : 0;
  if (cooldown == 0) {
    m.unhold(k);
    return;
  }
  // A NAT gateway's lease is always a port held, and given back once: it is busy still, so no
  // probe (a cache miss in a large set) checks it.
  assert(m.busy.contains(k));
  m.cooling.push(Cooling{now_ns + cooldown, m.cooling_order++, k});
}

void SnatPools::advance(int64_t now_ns) {
  Impl& m = *impl_;
  while (!m.cooling.empty() && m.cooling.top().free_at <= now_ns) {
    BusyKey k = m.cooling.top().key;
    m.cooling.pop();
    m.unhold(k);
  }
}

// The hints follow acquire() and release() without changing anything: finds, not inserts.
void SnatPools::prefetch_acquire(const SnatPoint& p, const FlowKey& f, uint32_t ahead,
                                 Step step) const noexcept {
  const Impl& m = *impl_;
  if ((p.via != Via::kNatGateway && p.via != Via::kAppliance) || f.proto == Protocol::kIcmp) {
    return;
  }
  const uint64_t base_scope = Impl::base_scope(p);
  const auto scope = m.scope_ids.find(base_scope);
  if (scope == m.scope_ids.end()) {
    return;
  }
  m.held.prefetch(Impl::scope_key(scope->second, p, f), step);
  if (step == Step::kEntries) {
    return;  // a new port's busy entry is made, not read: the IPs are not looked up
  }
  const auto point_ips = m.slot_lists.find(base_scope | (f.src.family() == Family::kV6 ? 1 : 0));
  if (point_ips == m.slot_lists.end() || point_ips->second.slots.empty()) {
    return;
  }
  // acquire()'s first try: an IP, then a port, two draws an acquisition.
  const std::vector<uint32_t>& slots = point_ips->second.slots;
  const Rng& rng = *point_ips->second.rng;
  const uint32_t slot =
      slots[rng.below_after(2 * uint64_t{ahead}, static_cast<uint32_t>(slots.size()))];
  const auto port =
      static_cast<uint16_t>(kFirstPort + rng.below_after(2 * uint64_t{ahead} + 1, p.ports));
  m.busy.prefetch(Impl::busy_key(slot, port, p, f), step);
  prefetch_for_write(&m.port_refs[slot][port]);
}

void SnatPools::prefetch_release(const SnatLease& lease, const SnatPoint& p, const FlowKey& f,
                                 FlowEnd end, Step step) const noexcept {
  const Impl& m = *impl_;
  // Only a port given back at once is looked up now; a cooling one is queued.
  if (f.proto == Protocol::kIcmp ||
      (p.via == Via::kNatGateway && nat_gateway_cooldown_ns(f, end) != 0) ||
      lease.ip_slot >= m.port_refs.size()) {
    return;
  }
  m.busy.prefetch(Impl::busy_key(lease.ip_slot, lease.port, p, f), step);
  if (p.via != Via::kLoadBalancer) {
    // A load balancer's flows hold ports in a scope per frontend, which only the busy entry
    // says.
    if (const auto scope = m.scope_ids.find(Impl::base_scope(p)); scope != m.scope_ids.end()) {
      m.held.prefetch(Impl::scope_key(scope->second, p, f), step);
    }
  }
  if (step == Step::kSlots) {
    prefetch_for_write(&m.port_refs[lease.ip_slot][lease.port]);
  }
}

const IpAddress& SnatPools::ip(uint32_t slot) const {
  return impl_->use[slot].ip;
}
const std::vector<SnatIpUse>& SnatPools::ip_use() const {
  return impl_->use;
}

size_t SnatPools::memory_bytes() const {
  const Impl& m = *impl_;
  return m.busy.memory_bytes() + m.held.memory_bytes() + m.cooling.size() * sizeof(Cooling) +
         m.port_refs.size() * 65536 * sizeof(uint32_t);
}

}  // namespace egress
