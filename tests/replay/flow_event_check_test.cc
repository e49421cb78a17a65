// FlowEventCheck: every order a tracker writes is taken, and each order it cannot write is
// refused at the event that breaks it, with its message.
#include "replay/flow_event_check.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace egress {
namespace {

using Event = FlowEventCheck::Event;

const FlowKey kA{Protocol::kTcp, IpAddress::v4(0x0A000001), 40000, IpAddress::v4(0x08080808), 443};
const FlowKey kB{Protocol::kTcp, IpAddress::v4(0x0A000001), 40001, IpAddress::v4(0x08080808), 443};

struct Step {
  uint32_t tracker;
  uint32_t slot;
  Event event;
  uint32_t snat = 0;
  FlowKey key = kA;
};

struct Case {
  const char* name;
  std::vector<Step> steps;
  // The refusal of the last step, or nullopt when every step is taken.
  std::optional<std::string> refused;
  // Without a refusal: the slot finish() names, if a flow is left live.
  std::optional<uint32_t> live_slot = std::nullopt;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"no port", {{0, 0, Event::kCreated}, {0, 0, Event::kPacket}, {0, 0, Event::kEnded}}, {}},
      {"port taken and given back, packets between",
       {{0, 0, Event::kCreated},
        {0, 0, Event::kAcquire, 2},
        {0, 0, Event::kPacket},
        {0, 0, Event::kRelease, 2},
        {0, 0, Event::kPacket},
        {0, 0, Event::kEnded}},
       {}},
      {"a slot reused after its flow ended",
       {{0, 0, Event::kCreated},
        {0, 0, Event::kEnded},
        {0, 0, Event::kCreated},
        {0, 0, Event::kAcquire, 1, kB},
        {0, 0, Event::kRelease, 1, kB},
        {0, 0, Event::kEnded}},
       {}},
      {"trackers apart: the same slot number twice",
       {{0, 0, Event::kCreated},
        {1, 0, Event::kCreated},
        {1, 0, Event::kEnded},
        {0, 0, Event::kEnded}},
       {}},
      {"a slot past the next",
       {{0, 0, Event::kCreated}, {0, 2, Event::kCreated}},
       "flow slot 2 before its flow was created"},
      {"created twice",
       {{0, 0, Event::kCreated}, {0, 0, Event::kCreated}},
       "flow slot 0: created again before it ended"},
      {"a second port",
       {{0, 0, Event::kCreated}, {0, 0, Event::kAcquire}, {0, 0, Event::kAcquire}},
       "flow slot 0: a second port taken"},
      {"a port after giving one back",
       {{0, 0, Event::kCreated},
        {0, 0, Event::kAcquire},
        {0, 0, Event::kRelease},
        {0, 0, Event::kAcquire}},
       "flow slot 0: a second port taken"},
      {"a port for an ended flow",
       {{0, 0, Event::kCreated}, {0, 0, Event::kEnded}, {0, 0, Event::kAcquire}},
       "flow slot 0: a port taken before its flow was created"},
      {"given back twice",
       {{0, 0, Event::kCreated},
        {0, 0, Event::kAcquire},
        {0, 0, Event::kRelease},
        {0, 0, Event::kRelease}},
       "flow slot 0: a port given back twice"},
      {"given back, never taken",
       {{0, 0, Event::kCreated}, {0, 0, Event::kRelease}},
       "flow slot 0: a port given back that was never taken"},
      {"given back for another key",
       {{0, 0, Event::kCreated}, {0, 0, Event::kAcquire, 0, kA}, {0, 0, Event::kRelease, 0, kB}},
       "flow slot 0: a port given back for another flow or SNAT point than it was taken for"},
      {"given back to another SNAT point",
       {{0, 0, Event::kCreated}, {0, 0, Event::kAcquire, 0}, {0, 0, Event::kRelease, 1}},
       "flow slot 0: a port given back for another flow or SNAT point than it was taken for"},
      {"a packet of an ended flow",
       {{0, 0, Event::kCreated}, {0, 0, Event::kEnded}, {0, 0, Event::kPacket}},
       "flow slot 0: a packet before its flow was created"},
      {"ended twice",
       {{0, 0, Event::kCreated}, {0, 0, Event::kEnded}, {0, 0, Event::kEnded}},
       "flow slot 0: ended before it was created"},
      {"ended holding its port",
       {{0, 0, Event::kCreated}, {0, 0, Event::kAcquire}, {0, 0, Event::kEnded}},
       "flow slot 0: ended holding a port it never gave back"},
      {"cut short",
       {{0, 0, Event::kCreated}, {0, 1, Event::kCreated}, {0, 0, Event::kEnded}},
       std::nullopt,
       1},
  };
  return all;
}

TEST(FlowEventCheck, TakesATrackersOrdersAndRefusesTheRest) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    FlowEventCheck check;
    for (size_t i = 0; i < c.steps.size(); ++i) {
      const Step& s = c.steps[i];
      std::optional<std::string> why = check.take(s.tracker, s.slot, s.event, s.snat, s.key);
      if (i + 1 < c.steps.size() || !c.refused) {
        ASSERT_EQ(why, std::nullopt) << "step " << i;
      } else {
        EXPECT_EQ(why, c.refused);
      }
    }
    if (!c.refused) {
      std::optional<FlowEventCheck::Live> live = check.finish();
      ASSERT_EQ(live.has_value(), c.live_slot.has_value());
      if (live) {
        EXPECT_EQ(live->slot, *c.live_slot);
        EXPECT_EQ(live->tracker, 0U);
      }
    }
  }
}

}  // namespace
}  // namespace egress
