// What the tests ask of an LpmTable beyond its interface.
#pragma once

#include <cstdint>

#include "egress/lpm/lpm_table.h"

namespace egress {

/// The layout of the table's IPv4 part: lpm_layout::DirectWordLayout's kDirectBitsLarge or
/// kDirectBitsSmall (a Poptrie of 18 or 12 direct bits), or kLayoutChunks (DIR-16-8-8).
uint8_t lpm_v4_layout(const LpmTable& table) noexcept;

}  // namespace egress
