// The live flows of a replay, found from either direction by one hash probe. Memory follows
// the number of live flows: ended flows leave the table and their slots are reused.
#pragma once

#include <cstdint>
#include <vector>

#include "egress/engine/flow.h"
#include "egress/replay/replay.h"
#include "egress/replay/snat_pools.h"

namespace egress {

inline constexpr uint32_t kNoFlow = UINT32_MAX;

struct LiveFlow {
  FlowKey key;  // as its first packet travelled, or reversed when that was a reply
  FlowStats stats;
  uint64_t id = 0;          // order of creation: ties and the end-of-input order
  uint32_t path = 0;        // into the replay's path cache
  uint32_t generation = 0;  // bumped on reuse of the slot, so stale timers are ignored
  SnatLease lease;
  bool leased = false;
  bool exhausted = false;
  bool replied = false;      // a packet came back: for TCP, no longer half-open
  uint8_t fins = 0;          // bit 0: FIN from the initiator, bit 1: from the responder
  bool ended = false;        // FIN both ways or RST: lingering for its last packets
  bool flipped : 1 = false;  // its first packet was a reply (model flow-direction)
  /// Its verdict waits for its host name (azure-behaviour B, "Host names of flows"): no port
  /// yet, its state in the replay's side table of pending flows.
  bool pending : 1 = false;
  bool waited : 1 = false;  // it was pending once (model host-name-wait)
  FlowEnd end = FlowEnd::kIdle;
};
// Every live flow has one: issue 17 wants it smaller, so nothing may make it larger.
static_assert(sizeof(LiveFlow) <= 136);

class FlowTable {
 public:
  FlowTable();

  /// The flow `key` belongs to, in either direction (`*reverse` says which), or kNoFlow.
  uint32_t find(const FlowKey& key, bool* reverse) const noexcept;
  uint32_t add(const LiveFlow& flow);
  void remove(uint32_t index);

  LiveFlow& operator[](uint32_t index) { return flows_[index]; }
  const LiveFlow& operator[](uint32_t index) const { return flows_[index]; }
  size_t size() const { return count_; }
  /// Indices of every live flow, in creation order.
  std::vector<uint32_t> live_in_order() const;
  size_t memory_bytes() const;

 private:
  struct Slot {
    uint32_t flow = kNoFlow;
    uint32_t tag = 0;  // high bits of the hash, to skip most key comparisons
  };
  static uint64_t hash(const FlowKey& key) noexcept;
  size_t slot_of(uint32_t index) const noexcept;
  void grow();

  std::vector<LiveFlow> flows_;
  std::vector<uint32_t> free_;
  std::vector<bool> used_;
  std::vector<Slot> slots_;  // open addressing, linear probing, power-of-two size
  size_t count_ = 0;
};

}  // namespace egress
