// JSON forms of results, with the field names of ../shared/spec/cli.md. They are the contract
// with users and scripts: keys and their order stay the same from release to release.
#pragma once

#include <string>
#include <vector>

#include "egress/config/topology.h"
#include "egress/engine/effective_routes.h"
#include "egress/engine/flow.h"
#include "egress/replay/replay.h"
#include "egress/util/result.h"

namespace egress {

/// One flow result as one line of JSON (no trailing newline): `trace --json`, a JSONL record.
std::string flow_to_json(const FlowResult& result);

/// One line of `replay --flows` JSONL: the flow result with first, last, packets and bytes.
std::string flow_record_to_json(const FlowRecord& record);
/// The same line appended to `out`, for writers of many records: no allocation of its own
/// once `out` has grown to a record's size.
void append_flow_record_json(const FlowRecord& record, std::string& out);

/// `routes --json`: {"subnet":"VNET/SUBNET","routes":[...]}.
std::string routes_to_json(const Topology& topology, Index subnet,
                           const std::vector<EffectiveRoute>& routes);

/// `validate --json`: {"errors":[...],"findings":[...]}, each
/// {"code","message","file","line","column"}.
std::string diagnostics_to_json(const std::vector<Diagnostic>& errors,
                                const std::vector<Diagnostic>& findings);

/// `routes -o jsonl`: one route per line, with `subnet` first and then the keys of
/// `routes --json`'s routes.
std::string routes_to_jsonl(const Topology& topology, Index subnet,
                            const std::vector<EffectiveRoute>& routes);

/// `validate -o jsonl`: one diagnostic per line, `severity` (error or warning) first.
std::string diagnostics_to_jsonl(const std::vector<Diagnostic>& errors,
                                 const std::vector<Diagnostic>& findings);

}  // namespace egress
