// The live flows of a replay, found from either direction by one hash probe. Memory follows
// the number of live flows: ended flows leave the table and their slots are reused.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dense_set.h"
#include "egress/engine/flow.h"
#include "egress/replay/replay.h"
#include "egress/replay/snat_pools.h"
#include "slot_index.h"
#include "util/prefetch.h"

namespace egress {

inline constexpr uint32_t kNoFlow = SlotIndex::kNone;
inline constexpr uint32_t kNoTimer = UINT32_MAX;

/// A FlowKey in 16 bytes instead of 72: an IPv4 flow's two addresses in one word, or, when
/// either address is IPv6, a pointer to both on the heap, so that IPv4 pays nothing for them.
class PackedFlowKey {
 public:
  PackedFlowKey() = default;
  PackedFlowKey(const FlowKey& k)  // NOLINT: implicit
      : sport_(k.sport),
        dport_(k.dport),
        proto_(k.proto),
        on_heap_(!k.src.is_v4() || !k.dst.is_v4()) {
    if (on_heap_) {
      word_ = reinterpret_cast<uintptr_t>(new Addresses{k.src, k.dst});
    } else {
      word_ = uint64_t{k.src.v4_bits()} << 32 | k.dst.v4_bits();
    }
  }
  PackedFlowKey(const PackedFlowKey& o) : PackedFlowKey(FlowKey(o)) {}
  PackedFlowKey(PackedFlowKey&& o) noexcept
      : word_(std::exchange(o.word_, 0)),
        sport_(o.sport_),
        dport_(o.dport_),
        proto_(o.proto_),
        on_heap_(std::exchange(o.on_heap_, false)) {}
  PackedFlowKey& operator=(const PackedFlowKey& o) {
    if (this != &o) {
      PackedFlowKey copy(o);
      swap(copy);
    }
    return *this;
  }
  PackedFlowKey& operator=(PackedFlowKey&& o) noexcept {
    swap(o);
    return *this;
  }
  ~PackedFlowKey() {
    if (on_heap_) {
      delete addresses();
    }
  }

  operator FlowKey() const noexcept {  // NOLINT: implicit, used as the FlowKey it is
    if (on_heap_) {
      return FlowKey{proto_, addresses()->src, sport_, addresses()->dst, dport_};
    }
    return FlowKey{proto_, IpAddress::v4(static_cast<uint32_t>(word_ >> 32)), sport_,
                   IpAddress::v4(static_cast<uint32_t>(word_)), dport_};
  }
  Protocol proto() const noexcept { return proto_; }
  friend bool operator==(const PackedFlowKey& a, const PackedFlowKey& b) noexcept {
    if (a.on_heap_ || b.on_heap_) {
      return FlowKey(a) == FlowKey(b);
    }
    return a.word_ == b.word_ && a.sport_ == b.sport_ && a.dport_ == b.dport_ &&
           a.proto_ == b.proto_;
  }
  friend bool operator==(const PackedFlowKey& a, const FlowKey& b) noexcept {
    return FlowKey(a) == b;
  }

 private:
  struct Addresses {
    IpAddress src;
    IpAddress dst;
  };
  Addresses* addresses() const noexcept { return reinterpret_cast<Addresses*>(word_); }
  void swap(PackedFlowKey& o) noexcept {
    std::swap(word_, o.word_);
    std::swap(sport_, o.sport_);
    std::swap(dport_, o.dport_);
    std::swap(proto_, o.proto_);
    std::swap(on_heap_, o.on_heap_);
  }

  uint64_t word_ = 0;  // IPv4: source << 32 | destination; else an Addresses*
  uint16_t sport_ = 0;
  uint16_t dport_ = 0;
  Protocol proto_ = Protocol::kTcp;
  bool on_heap_ = false;
};
static_assert(sizeof(PackedFlowKey) == 16);

struct LiveFlow {
  PackedFlowKey key;  // as its first packet travelled, or reversed when that was a reply
  // FlowStats, packed: the packet count in 48 bits (2^48 packets would take 4 PiB of pcap
  // record headers alone), so that the flags share its last 8 bytes.
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  uint64_t bytes = 0;         // on the wire (original lengths), both directions
  uint64_t id = 0;            // order of creation: ties and the end-of-input order
  uint32_t path = 0;          // into the replay's path cache
  uint32_t timer = kNoTimer;  // its place in the tracker's timer heap (FlowTimers)
  uint32_t packets_lo = 0;
  uint16_t packets_hi = 0;
  bool replied : 1 = false;  // a packet came back: for TCP, no longer half-open
  uint8_t fins : 2 = 0;      // bit 0: FIN from the initiator, bit 1: from the responder
  bool ended : 1 = false;    // FIN both ways or RST: lingering for its last packets
  bool flipped : 1 = false;  // its first packet was a reply (model flow-direction)
  /// Its verdict waits for its host name (azure-behaviour B, "Host names of flows"): no port
  /// yet, its state in the replay's side table of pending flows.
  bool pending : 1 = false;
  bool waited : 1 = false;  // it was pending once (model host-name-wait)
  FlowEnd end : 3 = FlowEnd::kIdle;
  /// Whether its path translates (holds a SNAT port), which --pcap-out asks of every packet:
  /// kept here, since reading the path costs a cache miss when each flow has a path of its own.
  bool translated : 1 = false;

  /// One more packet of `length` bytes at `now`.
  void count(uint32_t length, int64_t now) noexcept {
    if (++packets_lo == 0) {
      ++packets_hi;
    }
    bytes += length;
    last_ns = now;
  }
  FlowStats stats() const noexcept {
    return FlowStats{first_ns, last_ns, uint64_t{packets_hi} << 32 | packets_lo, bytes};
  }
};
// Every live flow has one: issue 17 wants it smaller, so nothing may make it larger.
static_assert(sizeof(LiveFlow) <= 64);

class FlowTable {
 public:
  FlowTable() = default;

  /// The flow's hash, symmetric in the endpoints, so a reply hashes where its flow is.
  static uint64_t hash(const FlowKey& key) noexcept;
  /// The flow `key` belongs to, in either direction (`*reverse` says which), or kNoFlow. `h`
  /// is hash(key).
  uint32_t find(const FlowKey& key, uint64_t h, bool* reverse) const noexcept;
  uint32_t find(const FlowKey& key, bool* reverse) const noexcept {
    return find(key, hash(key), reverse);
  }
  /// For a find(hash `h`) a few packets later: its index slot, then (once that is in cache)
  /// the flow the slot names. A threaded replay's worker has the hashes of a whole batch.
  void prefetch_slot(uint64_t h) const noexcept { index_.prefetch(h); }
  void prefetch_flow(uint64_t h) const noexcept {
    if (const uint32_t id = index_.first(h); id != SlotIndex::kNone) {
      prefetch(&(*this)[id]);
    }
  }
  /// Adds `flow`, whose key's hash(), the same both ways, is `h`.
  uint32_t add(const LiveFlow& flow, uint64_t h);
  uint32_t add(const LiveFlow& flow) { return add(flow, hash(flow.key)); }
  void remove(uint32_t index);
  /// Forgets every flow at once: the end of input, after the last one ended.
  void clear();

  LiveFlow& operator[](uint32_t index) { return chunks_[index >> kChunkBits][index & kChunkMask]; }
  const LiveFlow& operator[](uint32_t index) const {
    return chunks_[index >> kChunkBits][index & kChunkMask];
  }
  size_t size() const { return count_; }
  /// Calls `f(index)` for every live flow, in no particular order.
  template <class F>
  void for_each_live(F&& f) const {
    for (uint32_t i = 0; i < allocated_; ++i) {
      if (used_[i]) {
        f(i);
      }
    }
  }
  size_t memory_bytes() const;

 private:
  // The flow's index by its hash: 4 bytes a slot (SlotIndex).
  uint64_t hash_of(uint32_t index) const noexcept { return hash((*this)[index].key); }

  // Flows in chunks of 4,096, never moved: a vector's doubling would hold the old and the new
  // array at once, 1.5 to 2 times the flows at the moment of the peak.
  static constexpr uint32_t kChunkBits = 12;
  static constexpr uint32_t kChunkMask = (1U << kChunkBits) - 1;
  std::vector<std::unique_ptr<LiveFlow[]>> chunks_;
  uint32_t allocated_ = 0;  // flows ever made (live or free)
  std::vector<uint32_t> free_;
  std::vector<bool> used_;
  SlotIndex index_;
  size_t count_ = 0;
};

/// One timer per live flow, in a 4-ary heap ordered by time and then by the flow's id (its
/// creation order), so runs repeat exactly. Four children a node, not two: half the levels,
/// and each level's move writes the moved flow's LiveFlow::timer, a cache miss of its own at
/// 100k flows (bench/README.md, "Third round"). Each flow knows its place (LiveFlow::timer), so a
/// flow's timer moves in place: no stale entries pile up behind flows that were rescheduled,
/// lingered or ended. 12 bytes a flow.
class FlowTimers {
 public:
  explicit FlowTimers(FlowTable& flows) : flows_(flows) {}

  bool empty() const noexcept { return heap_.empty(); }
  /// The flow whose timer falls first, and when.
  uint32_t next_flow() const noexcept { return heap_[0].flow; }
  int64_t next_at() const noexcept { return all_due_ ? *all_due_ : heap_[0].at(); }
  /// Sets `flow`'s timer to `at`, adding it or moving it.
  void set(uint32_t flow, int64_t at);
  /// Removes `flow`'s timer, if it has one.
  void erase(uint32_t flow);
  /// The end of input: every live flow's timer falls due at `at`, and the timers are sorted
  /// by their flows' ids (creation order; ids are unique), to be read in that order by
  /// due_flow() and due_id(). Each entry is keyed by its flow's id from then on, so that
  /// sorting reads no flow. A sorted array is a heap too, so the getters still hold; set() may
  /// not follow, and erase() does nothing (the flows' places are not kept).
  void all_due_at(int64_t at);
  /// After all_due_at(): the `i`-th flow by id, and its id.
  uint32_t due_flow(size_t i) const noexcept { return heap_[i].flow; }
  uint64_t due_id(size_t i) const noexcept { return static_cast<uint64_t>(heap_[i].at()); }
  /// Drops every timer (the flows are gone too, or going).
  void clear() noexcept;
  size_t size() const noexcept { return heap_.size(); }
  size_t memory_bytes() const noexcept { return heap_.memory_bytes(); }

 private:
  // The time split in two words, so that an entry takes 12 bytes, not 16.
  struct Entry {
    uint32_t at_lo;
    uint32_t at_hi;
    uint32_t flow;
    int64_t at() const noexcept { return static_cast<int64_t>(uint64_t{at_hi} << 32 | at_lo); }
  };
  static_assert(sizeof(Entry) == 12);

  bool before(const Entry& a, const Entry& b) const noexcept {
    const int64_t x = a.at();
    const int64_t y = b.at();
    return x != y ? x < y : flows_[a.flow].id < flows_[b.flow].id;
  }
  static Entry keyed(int64_t key, uint32_t flow) noexcept {
    const auto bits = static_cast<uint64_t>(key);
    return Entry{static_cast<uint32_t>(bits), static_cast<uint32_t>(bits >> 32), flow};
  }
  void place(size_t i, const Entry& e) noexcept {
    heap_[i] = e;
    flows_[e.flow].timer = static_cast<uint32_t>(i);
  }
  // Puts `e` in place of the entry at `i`, then up or down to where it belongs.
  void replace(size_t i, const Entry& e) noexcept;
  void sift_up(size_t i) noexcept;
  void sift_down(size_t i) noexcept;

  static constexpr size_t kArity = 4;

  FlowTable& flows_;
  ChunkedVector<Entry> heap_;
  std::optional<int64_t> all_due_;  // set by all_due_at(): entries hold ids, this the time
};

}  // namespace egress
