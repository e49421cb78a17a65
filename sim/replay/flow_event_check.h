// merge's check of every flow slot's events against the order a tracker writes them in. The
// stage trusts that order: a port taken once per flow and given back once, with the key it was
// taken for; a slot reused only after its flow ended. A shard file that breaks it (damaged, or
// made by hand) would otherwise leak ports or give one back twice and print a wrong summary
// without a word.
//
// A slot's life, as FlowTracker writes it (flow_tracker.cc):
//
//   free --created--> open --port taken--> leased --port given back--> released
//     ^                 |                                                   |
//     +----ended--------+-------------------------ended---------------------+
//
// Packets come only between created and ended. A flow whose path holds no port goes from open
// to ended; one that took a port ends only after giving it back.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "egress/engine/flow.h"

namespace egress {

class FlowEventCheck {
 public:
  enum class Event : uint8_t { kCreated, kAcquire, kRelease, kPacket, kEnded };

  /// Event `e` of slot `slot` of tracker `tracker` (the stage's numbering). For kAcquire and
  /// kRelease, `snat` is the SNAT point's id in its shard and `key` the flow's key, which must
  /// be the same at both. The reason, when a tracker cannot have written this event here
  /// ("flow slot 3: a port given back twice"); nullopt otherwise. Slots of a tracker come into
  /// use in order: `slot` is at most one past the highest seen.
  std::optional<std::string> take(uint32_t tracker, uint32_t slot, Event e, uint32_t snat = 0,
                                  const FlowKey& key = {});
  /// A flow that has not ended: its tracker and slot.
  struct Live {
    uint32_t tracker = 0;
    uint32_t slot = 0;
  };
  /// After the last event: the first flow that never ended (a shard cut short), if any.
  std::optional<Live> finish() const;

 private:
  enum class State : uint8_t { kFree, kOpen, kLeased, kReleased };
  struct Slot {
    State state = State::kFree;
    uint64_t lease = 0;  // digest of the SNAT point and key its port was taken for
  };
  static uint64_t digest(uint32_t snat, const FlowKey& key) noexcept;

  std::vector<std::vector<Slot>> trackers_;
};

}  // namespace egress
