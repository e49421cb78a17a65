// The slowest longest-prefix match there is, kept that way on purpose: the tests trust it
// because there is nothing in it to get wrong.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "egress/lpm/lpm_table.h"
#include "egress/net/ip_address.h"

namespace egress {

class ReferenceLpm {
 public:
  explicit ReferenceLpm(std::span<const LpmEntry> entries)
      : entries_(entries.begin(), entries.end()) {}

  /// Scans every entry: the longest containing prefix wins, and of equal ones the later wins
  /// (two containing prefixes of one length are the same prefix, so `>=` picks the later).
  uint32_t lookup(const IpAddress& address) const {
    uint32_t best = LpmTable::kNoMatch;
    int best_length = -1;
    for (const LpmEntry& entry : entries_) {
      if (entry.prefix.contains(address) && entry.prefix.length >= best_length) {
        best = entry.value;
        best_length = entry.prefix.length;
      }
    }
    return best;
  }

 private:
  std::vector<LpmEntry> entries_;
};

}  // namespace egress
