// The forwarding lookup: compiled once from a route table (the RIB, which stays the source of
// truth) and then only read. The interface is deliberately narrow, build from (prefix, value)
// pairs and look up an address, so a faster structure can replace this one without the engine
// noticing.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "egress/net/ip_address.h"
#include "egress/util/result.h"

namespace egress {

/// One route as the lookup sees it: a prefix and an opaque value (the engine's route index).
struct LpmEntry {
  Prefix prefix;
  uint32_t value = 0;
};

/// Longest-prefix match over IPv4 and IPv6 prefixes, /0 to /32 and /128: a Poptrie per family
/// behind a direct-pointing array (design, bit layout and costs: sim/lpm/README.md).
///
/// Immutable after build, so one table can be shared by any number of threads.
class LpmTable {
 public:
  /// Largest value an entry may carry; larger ones are refused at build time, never truncated.
  static constexpr uint32_t kMaxValue = (1U << 31) - 1;
  /// What `lookup` returns when no prefix covers the address.
  static constexpr uint32_t kNoMatch = 0xffffffffU;

  LpmTable();
  ~LpmTable();
  LpmTable(LpmTable&&) noexcept;
  LpmTable& operator=(LpmTable&&) noexcept;

  /// Builds the table. When two entries have the same prefix the later one wins, so a caller
  /// that wants precedence passes entries in increasing precedence. Fails (code
  /// `lpm-value-range`) when a value exceeds kMaxValue.
  static Result<LpmTable> build(std::span<const LpmEntry> entries);

  /// The value of the longest prefix that contains `address`, or kNoMatch.
  /// Never allocates, never throws.
  uint32_t lookup(const IpAddress& address) const noexcept;

  /// Looks up `addresses[i]` into `out[i]` for every i (out.size() >= addresses.size()), with
  /// the same answers as `lookup`. Many addresses at once go through the table level by
  /// level, so their cache misses overlap. Never allocates, never throws.
  void lookup_batch(std::span<const IpAddress> addresses, std::span<uint32_t> out) const noexcept;

  /// Bytes held by the lookup structure (not counting this object).
  size_t memory_bytes() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace egress
