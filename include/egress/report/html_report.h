// The reports of replay, synth, diff and migrate (`--report FILE.html`): one self-contained
// HTML document, inline CSS and inline SVG, nothing fetched and no script, so it opens from a
// mail attachment. markdown_report.h gives the same content for change tickets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "egress/config/topology.h"
#include "egress/migrate/flow_diff.h"
#include "egress/replay/replay.h"
#include "egress/report/diff_report.h"
#include "egress/report/path_diagram.h"

namespace egress {

/// What a replay or synth report shows.
struct ReplayReportData {
  std::string command;  // "replay" or "synth"
  std::string subject;  // the inputs, as a person names them: "x.yaml, nodes.pcap"
  const Topology* topology = nullptr;
  const ReplaySummary* summary = nullptr;
  std::vector<PathKind> paths;  // PathKindCollector::kinds()
  uint64_t other_path_flows = 0;
};

/// What a diff or migrate report shows. `after` is null when migrate refused the move.
struct DiffReportData {
  std::string command;  // "diff" or "migrate"
  std::string subject;
  const Topology* before = nullptr;
  const Topology* after = nullptr;
  const DiffReport* diff = nullptr;
  const MigrationContext* migration = nullptr;  // migrate only
  std::vector<PathChange> changes;              // collect_path_changes
  uint64_t other_changes = 0;
};

/// How many kinds of changed path a diff or migrate report draws (more are counted as other).
inline constexpr size_t kReportPathChanges = 12;

/// A diff or migrate report's data: `diff` with the topologies it compared, and, when flows
/// ran through both engines, its changed flows traced again and grouped by path
/// (collect_path_changes). Engines null: no paths (migrate refused before any flow ran).
DiffReportData diff_report_data(std::string command, std::string subject, const DiffReport& diff,
                                const Topology* before, const Topology* after,
                                const Engine* before_engine, const Engine* after_engine,
                                const MigrationContext* migration, uint64_t seed);

std::string replay_report_html(const ReplayReportData& data);
std::string diff_report_html(const DiffReportData& data);

}  // namespace egress
