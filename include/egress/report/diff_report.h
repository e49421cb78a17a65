// The outputs of `diff` and `migrate` (../shared/spec/cli.md, "The diff"): one JSON document,
// or a report a person reads in a terminal.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "egress/migrate/flow_diff.h"
#include "egress/migrate/migration_plan.h"
#include "egress/migrate/migration_table.h"

namespace egress {

/// What migrate adds to a diff: the table's answer and the plan (absent for `diff`).
struct MigrationContext {
  std::string from;
  std::string to;
  MigrationVerdict verdict;
  const MigrationPlan* plan = nullptr;  // null when the move is unsupported or --after is given
  std::vector<Diagnostic> after_findings;
  bool refused = false;  // an after-state finding is an AKS preflight failure
};

/// The JSON of cli.md "The diff". Beside it: `unchangedBecause` ([{code, text}], the
/// nat-gateway-precedence warnings when no flow changes); for migrate, `migration.refusedBy`
/// (the preflight codes that refuse the after-state). A refused or unsupported move compares
/// no flows.
std::string diff_to_json(const DiffReport& diff, const MigrationContext* migration);
std::string format_diff(const DiffReport& diff, const MigrationContext* migration);
/// `-o jsonl`: one item of the JSON's `changes` per line.
std::string diff_to_jsonl(const DiffReport& diff);

}  // namespace egress
