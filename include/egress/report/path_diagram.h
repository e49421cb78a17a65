// Kinds of path and their pictures: flows grouped by the way they went (each hop's place and
// action, and the verdict), one diagram per kind; and the one path of `trace --svg`.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "egress/engine/engine.h"
#include "egress/engine/flow.h"
#include "egress/migrate/flow_diff.h"
#include "egress/replay/replay.h"

namespace egress {

/// Flows that went the same way; `example` is the first of them, as the engine reported it.
struct PathKind {
  std::string key;  // path_kind_key of the flows
  FlowResult example;
  uint64_t flows = 0;
};

/// "pod snat-to-node > aks/nodes forward > ... = egress": each hop's at and action, then the
/// verdict and reason.
std::string path_kind_key(const FlowResult& result);

/// Collects the kinds of path of replay's flows as they end; a ReplaySink that passes every
/// call on to `next` (may be null), so it sits in front of the CLI's sink. At most `max_kinds`
/// kinds are kept, the first met; later kinds' flows are counted in other_flows(). Memory is
/// bounded by max_kinds whatever the capture.
class PathKindCollector final : public ReplaySink {
 public:
  explicit PathKindCollector(ReplaySink* next = nullptr, size_t max_kinds = 24);
  void on_flow(const FlowRecord& record) override;
  void on_egress_packet(const RawPacket& packet, const DecodedPacket& decoded,
                        std::span<const uint8_t> bytes) override;
  void on_progress(const ReplayProgress& progress) override;

  void add(const FlowResult& result);
  /// Most flows first, ties by key: the same for the same flows in the same order.
  std::vector<PathKind> kinds() const;
  uint64_t other_flows() const { return other_; }

 private:
  ReplaySink* next_;
  size_t max_kinds_;
  std::map<std::string, PathKind> kinds_;
  uint64_t other_ = 0;
};

/// One <svg class="path-diagram">: the hops left to right, each with its place, action, route
/// and rule, then the verdict. `flows` (0: not shown) is written as the kind's count and in
/// data-flows.
std::string path_diagram_svg(const FlowResult& result, uint64_t flows, bool standalone = false);

/// A changed flow's path before and after (diff, migrate), grouped like PathKind by the pair
/// of kinds.
struct PathChange {
  FlowResult before;
  FlowResult after;
  uint64_t flows = 0;
};

/// The changed flows of `diff` traced again through both engines, grouped by their pair of
/// path kinds, at most `max_kinds` groups (later ones counted in `other`), most flows first.
std::vector<PathChange> collect_path_changes(const Engine& before, const Engine& after,
                                             const DiffReport& diff, uint64_t seed,
                                             size_t max_kinds, uint64_t* other);

/// "tcp 10.0.0.4:40112 -> 140.82.112.3:443": the flow as one line.
std::string flow_line(const FlowKey& flow);

}  // namespace egress
