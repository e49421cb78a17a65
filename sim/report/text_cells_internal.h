// Cells of results as text, shared by the table, CSV and TSV forms of sim/report/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "egress/engine/flow.h"

namespace egress {

/// The items with `sep` between them.
std::string joined(const std::vector<std::string>& items, const char* sep);
/// A hop on one line: where, the route (table/name prefix next-hop type), rule, action, IP.
std::string hop_text(const Hop& hop);
/// Seconds with up to six decimals and no trailing zeros: "1700000003.5".
std::string seconds_text(int64_t ns);

}  // namespace egress
