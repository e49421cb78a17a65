// Which outbound type a cluster may move to: the supported-migration tables of the outbound
// types article (../shared/spec/semantics.md 8), kept as data because Azure changes them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "egress/config/topology.h"
#include "egress/util/result.h"

namespace egress {

enum class MigrationCell : uint8_t { kSupported, kNotSupported, kNotApplicable };
const char* to_string(MigrationCell c);  // "Supported", "Not Supported", "N/A"

/// One table: a cell per (from, to) pair that the article lists. A pair it does not list
/// (no row for `from`, the managed table has none for userDefinedRouting) has no cell.
struct MigrationGrid {
  std::string title;  // the heading, e.g. "Supported Migration Paths for BYO VNet"
  std::map<std::pair<OutboundType, OutboundType>, MigrationCell> cells;
  std::map<std::pair<OutboundType, OutboundType>, SourceLocation> where;
};

struct MigrationTable {
  std::string file;
  MigrationGrid managed;
  MigrationGrid byo;
};

/// The table's answer for one move, in words a person can check against the article.
struct MigrationVerdict {
  bool supported = false;
  std::string table;  // the grid's title
  std::string cell;   // "Supported", "Not Supported", "N/A", or "no cell"
  std::string text;   // e.g. `Supported Migration Paths for BYO VNet, row loadBalancer, column
                      // managedNATGateway: Not Supported`
  SourceLocation where;
};

MigrationVerdict check_migration(const MigrationTable& table, VnetMode mode, OutboundType from,
                                 OutboundType to);

/// Reads the tables from markdown (the format is described in the shipped file). Errors say
/// `FILE:LINE:COL: error: ...`; all of them are reported.
struct MigrationTableLoad {
  std::optional<MigrationTable> table;
  std::vector<Diagnostic> errors;
};
MigrationTableLoad parse_migration_table(std::string_view text, const std::string& file);
MigrationTableLoad load_migration_table(const std::string& path);
/// The tables shipped with egress-sim (topologies/migrations/aks-outbound-types.md, built in).
const MigrationTable& default_migration_table();

}  // namespace egress
