// What the tests ask of an LpmTable beyond its interface.
#pragma once

#include <cstdint>

#include "egress/lpm/lpm_table.h"

namespace egress {

/// The layout of the table's IPv4 part: lpm_layout::DirectWordLayout's kDirectBitsLarge or
/// kDirectBitsSmall (a Poptrie of 18 or 12 direct bits), or kLayoutChunks (DIR-16-8-8).
uint8_t lpm_v4_layout(const LpmTable& table) noexcept;

/// What lpm_v6_layout says of a table whose IPv6 part is the search tree of small tables
/// (Tree6 in lpm_table.cc).
inline constexpr uint8_t kLpmLayoutTree6 = 64;

/// The layout of the table's IPv6 part: kLpmLayoutTree6, or a Poptrie's direct bits (18 or 12;
/// 0 when the table has no IPv6 routes and so no trie).
uint8_t lpm_v6_layout(const LpmTable& table) noexcept;

}  // namespace egress
