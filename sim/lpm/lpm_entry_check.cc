#include <string>

#include "lpm/lpm_entry_check_internal.h"

namespace egress {

// A trie walks exactly `length` bits, so a prefix with host bits set would silently match a
// wider range than the caller wrote, and a length past the width would read past the address.
std::optional<Error> check_lpm_entry(const LpmEntry& entry) {
  const Prefix& p = entry.prefix;
  if (p.length < 0 || p.length > p.address.width()) {
    return Error{"bad-prefix",
                 "prefix length " + std::to_string(p.length) + " out of range 0.." +
                     std::to_string(p.address.width()) + " for " + p.address.to_string(),
                 {}};
  }
  if (p.address.masked(p.length) != p.address) {
    return Error{"host-bits",
                 std::string("'") + p.to_string() + "' has host bits set; did you mean " +
                     Prefix::of(p.address, p.length).to_string() + "?",
                 {}};
  }
  if (entry.value > LpmTable::kMaxValue) {
    return Error{"lpm-value-range",
                 "route value " + std::to_string(entry.value) + " out of range 0.." +
                     std::to_string(LpmTable::kMaxValue) + " for " + p.to_string(),
                 {}};
  }
  return std::nullopt;
}

}  // namespace egress
