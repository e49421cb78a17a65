// The flat forms of results (-o csv, -o tsv, -o jsonl): one row per item, every cell one value,
// so spreadsheets, pandas and jq read them without post-processing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egress/config/topology.h"
#include "egress/engine/effective_routes.h"
#include "egress/migrate/flow_diff.h"
#include "egress/replay/replay.h"
#include "egress/util/result.h"

namespace egress {

/// What `-o` asks for: `table` (the text a person reads), one `json` document, or one item per
/// line as `jsonl`, `csv` or `tsv`.
enum class OutputFormat : uint8_t { kTable, kJson, kJsonl, kCsv, kTsv };

std::optional<OutputFormat> parse_output_format(std::string_view text);

/// Column names and rows of strings; an absent value is an empty cell.
struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

/// One line (with newline) of CSV (RFC 4180: quoted where a cell holds a comma, quote or line
/// break) or of TSV (tab, line feed, carriage return and backslash written as \t \n \r \\, as
/// PostgreSQL's text format does, since TSV has no quoting).
std::string delimited_line(const std::vector<std::string>& cells, OutputFormat format);
/// The header line, then every row.
std::string render_delimited(const Rows& rows, OutputFormat format);

/// A flow result's columns: the keys of `trace --json` up to `hops`, then `models`; `hops` is
/// one ` > `-joined cell, `egressIps` and `models` `;`-joined. `with_host` adds the `host`
/// column after `dport` (empty cell: not known), where JSON has it when known; commands that
/// can know host names pass true, so the columns of the others stay as they were.
std::vector<std::string> flow_columns(bool with_host = false);
std::vector<std::string> flow_cells(const FlowResult& result, bool with_host = false);
/// A flow record's columns: the flow's, with `first`, `last`, `packets`, `bytes` before
/// `models` (the order of `--flows` JSON Lines).
std::vector<std::string> flow_record_columns(bool with_host = false);
std::vector<std::string> flow_record_cells(const FlowRecord& record, bool with_host = false);

/// validate: `severity` (error or warning), code, message, file, line, column.
Rows diagnostics_rows(const std::vector<Diagnostic>& errors,
                      const std::vector<Diagnostic>& findings);

/// routes: subnet, then the keys of a `routes --json` route.
Rows routes_rows(const Topology& topology, Index subnet, const std::vector<EffectiveRoute>& routes);

/// diff and migrate: one row per changed flow, its five-tuple and each side's verdict, reason,
/// via, resource and egress IPs (`;`-joined), the sides' columns prefixed `before`/`after`.
Rows diff_rows(const DiffReport& diff);

/// models: id, text.
Rows models_rows();
std::string models_to_json();
std::string models_to_jsonl();
/// The list `egress-sim models` prints.
std::string format_models();

}  // namespace egress
