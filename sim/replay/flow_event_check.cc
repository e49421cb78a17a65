#include "flow_event_check.h"

#include "replay_hash.h"

namespace egress {

uint64_t FlowEventCheck::digest(uint32_t snat, const FlowKey& key) noexcept {
  uint64_t h = mix64(key.src.hi() ^ mix64(key.src.lo() + snat));
  h = mix64(h ^ key.dst.hi());
  h = mix64(h ^ key.dst.lo());
  return mix64(h ^ (uint64_t{key.sport} << 24 | uint64_t{key.dport} << 8 |
                    static_cast<uint64_t>(key.proto)));
}

std::optional<std::string> FlowEventCheck::take(uint32_t tracker, uint32_t slot, Event e,
                                                uint32_t snat, const FlowKey& key) {
  if (tracker >= trackers_.size()) {
    trackers_.resize(tracker + 1);
  }
  std::vector<Slot>& slots = trackers_[tracker];
  if (slot > slots.size()) {
    return "flow slot " + std::to_string(slot) + " before its flow was created";
  }
  if (slot == slots.size()) {
    slots.emplace_back();
  }
  Slot& s = slots[slot];
  // The message is made only for a refusal: merge takes every event of a fleet's run here.
  auto refuse = [slot](const char* why) {
    return std::optional<std::string>("flow slot " + std::to_string(slot) + ": " + why);
  };
  switch (e) {
    case Event::kCreated:
      if (s.state != State::kFree) {
        return refuse("created again before it ended");
      }
      s.state = State::kOpen;
      return std::nullopt;
    case Event::kAcquire:
      if (s.state == State::kLeased || s.state == State::kReleased) {
        return refuse("a second port taken");
      }
      if (s.state != State::kOpen) {
        return refuse("a port taken before its flow was created");
      }
      s.state = State::kLeased;
      s.lease = digest(snat, key);
      return std::nullopt;
    case Event::kRelease:
      if (s.state == State::kReleased) {
        return refuse("a port given back twice");
      }
      if (s.state != State::kLeased) {
        return refuse("a port given back that was never taken");
      }
      if (s.lease != digest(snat, key)) {
        return refuse("a port given back for another flow or SNAT point than it was taken for");
      }
      s.state = State::kReleased;
      return std::nullopt;
    case Event::kPacket:
      if (s.state == State::kFree) {
        return refuse("a packet before its flow was created");
      }
      return std::nullopt;
    case Event::kEnded:
      if (s.state == State::kFree) {
        return refuse("ended before it was created");
      }
      if (s.state == State::kLeased) {
        return refuse("ended holding a port it never gave back");
      }
      s.state = State::kFree;
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<FlowEventCheck::Live> FlowEventCheck::finish() const {
  for (size_t t = 0; t < trackers_.size(); ++t) {
    for (size_t i = 0; i < trackers_[t].size(); ++i) {
      if (trackers_[t][i].state != State::kFree) {
        return Live{static_cast<uint32_t>(t), static_cast<uint32_t>(i)};
      }
    }
  }
  return std::nullopt;
}

}  // namespace egress
