// The outputs of replay and synth (../shared/spec/cli.md): flow records as CSV, and the
// summary as JSON (`--summary FILE`) and as the short table printed on stdout.
#pragma once

#include <string>

#include "egress/replay/replay.h"

namespace egress {

/// The CSV header line (with newline): the JSON keys of a flow record, in the same order.
std::string flow_csv_header();
/// One CSV line (with newline): `hops` as one `>`-joined column, `egressIps` and `models`
/// `;`-joined, quoted as RFC 4180 says where needed.
std::string flow_record_to_csv(const FlowRecord& record);

/// 1234567 -> "1,234,567": the counts a person compares at a glance.
std::string grouped(uint64_t n);
/// Bytes in binary units with one decimal: "398.1 KiB".
std::string human_bytes(uint64_t n);

/// The summary as one JSON document (no trailing newline). With groups (`summary.grouped`) it
/// also has `groups`: [{name, flows, verdicts: {verdict: n}, egressIps: [...]}] in the file's
/// order, and `ungrouped`: the same without `name`, for the flows no group matches.
std::string summary_to_json(const ReplaySummary& summary);
/// The summary as a person reads it in a terminal; with groups, a table of them after the
/// resources (group, flows, verdicts, egress IPs; last the row `(no group)`).
std::string format_summary(const ReplaySummary& summary);

}  // namespace egress
