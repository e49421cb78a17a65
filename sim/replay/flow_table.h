// The live flows of a replay, found from either direction by one hash probe. Memory follows
// the number of live flows: ended flows leave the table and their slots are reused.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "egress/engine/flow.h"
#include "egress/replay/replay.h"
#include "egress/replay/snat_pools.h"

namespace egress {

inline constexpr uint32_t kNoFlow = UINT32_MAX;
inline constexpr uint32_t kNoTimer = UINT32_MAX;

/// An address in 8 bytes: an IPv4 address in place, an IPv6 one on the heap. Live flows hold
/// two each, and most are IPv4; IpAddress takes 24 for either.
class PackedIp {
 public:
  PackedIp() = default;
  PackedIp(const IpAddress& ip) {  // NOLINT: implicit
    if (ip.is_v4()) {
      word_ = uint64_t{ip.v4_bits()} << 1 | 1;
    } else {
      // A tagged pointer (the low bit clear: new[] aligns to 8), so that IPv4 pays nothing.
      word_ = reinterpret_cast<uintptr_t>(new uint64_t[2]{ip.hi(), ip.lo()});
    }
  }
  PackedIp(const PackedIp& o) : PackedIp(IpAddress(o)) {}
  PackedIp(PackedIp&& o) noexcept : word_(std::exchange(o.word_, 1)) {}
  PackedIp& operator=(const PackedIp& o) {
    if (this != &o) {
      PackedIp copy(o);
      std::swap(word_, copy.word_);
    }
    return *this;
  }
  PackedIp& operator=(PackedIp&& o) noexcept {
    std::swap(word_, o.word_);
    return *this;
  }
  ~PackedIp() {
    if (!is_v4()) {
      delete[] v6();
    }
  }

  operator IpAddress() const noexcept {  // NOLINT: implicit, used as the IpAddress it is
    return is_v4() ? IpAddress::v4(static_cast<uint32_t>(word_ >> 1))
                   : IpAddress::v6(v6()[0], v6()[1]);
  }
  bool is_v4() const noexcept { return (word_ & 1) != 0; }
  Family family() const noexcept { return is_v4() ? Family::kV4 : Family::kV6; }
  std::string to_string() const { return IpAddress(*this).to_string(); }
  friend bool operator==(const PackedIp& a, const PackedIp& b) noexcept {
    return a.is_v4() ? a.word_ == b.word_ : IpAddress(a) == IpAddress(b);
  }

 private:
  uint64_t* v6() const noexcept { return reinterpret_cast<uint64_t*>(word_); }
  uint64_t word_ = 1;  // 0.0.0.0
};

/// A FlowKey in 24 bytes instead of 72, converted to and from one where a FlowKey is wanted.
struct PackedFlowKey {
  PackedIp src;
  PackedIp dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
  Protocol proto = Protocol::kTcp;

  PackedFlowKey() = default;
  PackedFlowKey(const FlowKey& k)  // NOLINT: implicit
      : src(k.src), dst(k.dst), sport(k.sport), dport(k.dport), proto(k.proto) {}
  operator FlowKey() const noexcept {  // NOLINT: implicit
    return FlowKey{proto, src, sport, dst, dport};
  }
  friend bool operator==(const PackedFlowKey&, const PackedFlowKey&) = default;
  friend bool operator==(const PackedFlowKey& a, const FlowKey& b) noexcept {
    return FlowKey(a) == b;
  }
};
static_assert(sizeof(PackedFlowKey) == 24);

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
static_assert(sizeof(LiveFlow) <= 72);

class FlowTable {
 public:
  FlowTable();

  /// The flow `key` belongs to, in either direction (`*reverse` says which), or kNoFlow.
  uint32_t find(const FlowKey& key, bool* reverse) const noexcept;
  uint32_t add(const LiveFlow& flow);
  void remove(uint32_t index);

  LiveFlow& operator[](uint32_t index) { return chunks_[index >> kChunkBits][index & kChunkMask]; }
  const LiveFlow& operator[](uint32_t index) const {
    return chunks_[index >> kChunkBits][index & kChunkMask];
  }
  size_t size() const { return count_; }
  /// Indices of every live flow, in creation order.
  std::vector<uint32_t> live_in_order() const;
  size_t memory_bytes() const;

 private:
  // A slot is 4 bytes: the flow's index in the low bits, which its table's size bounds (at
  // most half of the slots hold a flow, so an index never fills them: kNoFlow is free), and
  // above it as many bits of the hash as are left, to skip most key comparisons.
  static uint64_t hash(const FlowKey& key) noexcept;
  uint32_t slot_word(uint32_t index, uint64_t h) const noexcept {
    return index | static_cast<uint32_t>((h >> 32) << shift_);
  }
  uint32_t flow_in(uint32_t word) const noexcept {
    return word & static_cast<uint32_t>(slots_.size() - 1);
  }
  bool tag_matches(uint32_t word, uint64_t h) const noexcept {
    return ((word ^ slot_word(0, h)) & ~static_cast<uint32_t>(slots_.size() - 1)) == 0;
  }
  size_t slot_of(uint32_t index) const noexcept;
  void grow();

  // Flows in chunks of 4,096, never moved: a vector's doubling would hold the old and the new
  // array at once, 1.5 to 2 times the flows at the moment of the peak.
  static constexpr uint32_t kChunkBits = 12;
  static constexpr uint32_t kChunkMask = (1U << kChunkBits) - 1;
  std::vector<std::unique_ptr<LiveFlow[]>> chunks_;
  uint32_t allocated_ = 0;  // flows ever made (live or free)
  std::vector<uint32_t> free_;
  std::vector<bool> used_;
  std::vector<uint32_t> slots_;  // open addressing, linear probing, power-of-two size
  uint32_t shift_ = 0;           // log2 of the slots
  size_t count_ = 0;
};

/// One timer per live flow, in a binary heap ordered by time and then by the flow's id (its
/// creation order), so runs repeat exactly. Each flow knows its place (LiveFlow::timer), so a
/// flow's timer moves in place: no stale entries pile up behind flows that were rescheduled,
/// lingered or ended. 12 bytes a flow.
class FlowTimers {
 public:
  explicit FlowTimers(FlowTable& flows) : flows_(flows) {}

  bool empty() const noexcept { return heap_.empty(); }
  /// The flow whose timer falls first, and when.
  uint32_t next_flow() const noexcept { return heap_.front().flow; }
  int64_t next_at() const noexcept { return heap_.front().at(); }
  /// Sets `flow`'s timer to `at`, adding it or moving it.
  void set(uint32_t flow, int64_t at);
  /// Removes `flow`'s timer, if it has one.
  void erase(uint32_t flow);
  size_t size() const noexcept { return heap_.size(); }
  size_t memory_bytes() const noexcept { return heap_.capacity() * sizeof(Entry); }

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
  void place(size_t i, const Entry& e) noexcept {
    heap_[i] = e;
    flows_[e.flow].timer = static_cast<uint32_t>(i);
  }
  void sift_up(size_t i) noexcept;
  void sift_down(size_t i) noexcept;

  FlowTable& flows_;
  std::vector<Entry> heap_;
};

}  // namespace egress
