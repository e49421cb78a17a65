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

std::string replay_report_html(const ReplayReportData& data);
std::string diff_report_html(const DiffReportData& data);

}  // namespace egress
