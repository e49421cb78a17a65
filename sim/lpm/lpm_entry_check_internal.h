// The checks every LPM structure applies to its input before building, so the real table and
// the simple one refuse exactly the same entries with exactly the same words.
#pragma once

#include <optional>

#include "egress/lpm/lpm_table.h"
#include "egress/util/result.h"

namespace egress {

/// The error for an entry no table may hold: a length outside 0..width (`bad-prefix`), host bits
/// set (`host-bits`) or a value above LpmTable::kMaxValue (`lpm-value-range`); nullopt if fine.
std::optional<Error> check_lpm_entry(const LpmEntry& entry);

}  // namespace egress
