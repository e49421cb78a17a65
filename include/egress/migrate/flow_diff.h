// The same flows through two topologies, compared flow by flow (`diff`, and `migrate` after it
// has built the after-state): verdicts and egress IP sets, what an allow-list must add and may
// drop, and the flows that newly drop (../shared/spec/cli.md, "The diff").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "egress/capture/raw_packet.h"
#include "egress/engine/engine.h"
#include "egress/replay/replay.h"
#include "egress/util/result.h"

namespace egress {

/// One side of a flow: what it became in one topology.
struct DiffSide {
  Verdict verdict = Verdict::kDropped;
  Reason reason = Reason::kNone;
  Via via = Via::kNone;
  std::string resource;
  std::vector<std::string> egress_ips;  // sorted; unknown addresses as unknown:<resource>#<n>
};

struct FlowChange {
  FlowKey flow;
  DiffSide before;
  DiffSide after;
};

/// Flows whose egress IP set moved the same way, for the allow-list view.
struct IpTransition {
  std::vector<std::string> before;
  std::vector<std::string> after;
  uint64_t flows = 0;
  uint64_t destinations = 0;          // distinct destination IP:port
  std::vector<std::string> examples;  // the first few destinations, `IP:port/proto`
};

struct DiffWarning {
  std::string code;
  std::string text;
};

/// The flows to one named destination group (`--groups`): what that partner sees change.
struct GroupDiff {
  std::string name;
  uint64_t flows = 0;
  uint64_t changed = 0;
  std::vector<std::string> before_ips;  // every IP its flows could leave with
  std::vector<std::string> after_ips;
  std::vector<std::string> add;                   // after but not before: its allow-list adds
  std::vector<std::string> remove;                // before but not after: it may drop them
  std::map<std::string, uint64_t> newly_dropped;  // reason -> flows that egressed before
};

struct DiffReport {
  uint64_t flows = 0;
  uint64_t changed = 0;
  std::vector<std::string> before_ips;  // every egress IP any flow used, before and after
  std::vector<std::string> after_ips;
  std::vector<std::string> new_ips;               // after but not before: allow-lists must add them
  std::vector<std::string> gone_ips;              // before but not after: allow-lists may drop them
  std::vector<IpTransition> transitions;          // changed flows no group matches
  bool grouped = false;                           // groups were given
  std::vector<GroupDiff> groups;                  // one per group, in the file's order
  std::map<std::string, uint64_t> newly_dropped;  // reason -> flows that egressed before
  std::vector<FlowChange> changes;
  std::vector<DiffWarning> warnings;
};

class DestinationGroups;

/// Replays `source` through both engines at once, packet by packet, and compares the flows.
/// `rename` maps addresses of the after-state that Azure has yet to allocate to their
/// `unknown:<resource>#<n>` names. With `groups`, flows are also compared per group (a flow in
/// the first group that matches its destination), and `transitions` hold only the flows no
/// group matches.
Result<DiffReport> diff_flows(const Engine& before, const Engine& after, PacketSource& source,
                              uint64_t seed, const std::map<IpAddress, std::string>& rename = {},
                              const DestinationGroups* groups = nullptr);

}  // namespace egress
