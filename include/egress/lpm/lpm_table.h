// The forwarding lookup: compiled once from a route table (the RIB, which stays the source of
// truth) and then only read. The interface is deliberately narrow, build from (prefix, value)
// pairs and look up an address, so a faster structure can replace this one without the engine
// noticing.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "egress/net/ip_address.h"
#include "egress/util/result.h"

namespace egress {

namespace lpm_layout {
/// The direct word and record layout that the inline lookup_v4 reads, in one place for it and
/// for the build (drawn at DirectWord in sim/lpm/lpm_table.cc). Not an interface: it changes
/// with the structure.
struct DirectWordLayout {
  static constexpr uint32_t kTagBit = 0x80000000U;
  static constexpr int kKindShift = 30;
  static constexpr uint32_t kNodeTag = 3;
  static constexpr uint32_t kPayloadMask = (1U << kKindShift) - 1;
  static constexpr uint32_t kEscape = 0xffff;
  static constexpr size_t kHeaderBytes = 16;
};
}  // namespace lpm_layout

/// One route as the lookup sees it: a prefix and an opaque value (the engine's route index).
struct LpmEntry {
  Prefix prefix;
  uint32_t value = 0;
};

/// Longest-prefix match over IPv4 and IPv6 prefixes, /0 to /32 and /128: a Poptrie per family
/// behind a direct-pointing array (design, bit layout and costs: sim/lpm/README.md).
///
/// Immutable after build, so one table can be shared by any number of threads.
class LpmTable : private lpm_layout::DirectWordLayout {
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

  /// `lookup` and `lookup_batch` for IPv4 addresses given as host-order integers, the form
  /// packet processors and DPDK's rte_lpm take: a quarter of the probe bytes of an IpAddress.
  /// lookup_v4 is inline, so that a caller's loop keeps the table's pointers in registers and
  /// the core sees many lookups at once. The batch prefetches ahead and is the faster of the
  /// two for many addresses.
  uint32_t lookup_v4(uint32_t address) const noexcept;
  void lookup_batch_v4(std::span<const uint32_t> addresses, std::span<uint32_t> out) const noexcept;

  /// Bytes held by the lookup structure (not counting this object).
  size_t memory_bytes() const noexcept;

 private:
  // The top of the IPv4 trie as lookup_v4 reads it: 2^bits direct words and the record blob
  // (layout drawn at DirectWord in sim/lpm/lpm_table.cc). It points into impl_, whose buffers
  // stay where they are when the table moves.
  struct V4View {
    const uint32_t* direct;
    const uint8_t* blob;
    uint32_t bits;
  };
  static V4View empty_v4() noexcept;
  // The walk below a direct word that names a trie node (routes longer than /24); rare. Pure,
  // so that a caller's loop keeps the view in registers across it.
  [[gnu::pure]] uint32_t walk_v4(uint32_t address, uint32_t node) const noexcept;

  struct Impl;
  std::unique_ptr<Impl> impl_;
  V4View v4_;
};

// Branch-free but for the rare node walk: whether the direct word is the answer or a record
// depends on the address as much as the answer does, and a mispredicted branch throws away the
// other lookups the core had in flight. An answer word reads record 0, a dummy that stays in
// L1, and discards what it read.
inline uint32_t LpmTable::lookup_v4(uint32_t address) const noexcept {
  const uint32_t d = v4_.direct[address >> (32 - v4_.bits)];
  if ((d >> kKindShift) == kNodeTag) [[unlikely]] {
    return walk_v4(address, d & kPayloadMask);
  }
  // All ones for a record, else zero; hidden from the optimiser, which would otherwise turn
  // the selects below back into the branch this is meant to avoid.
  uint32_t record = 0U - (d >> 31);
#if defined(__GNUC__)
  asm("" : "+r"(record));
#endif
  const uint8_t* r = v4_.blob + size_t{d & kPayloadMask & record} * 4;
  const unsigned slot = (address << v4_.bits) >> 26;
  uint64_t leafvec;
  std::memcpy(&leafvec, r, sizeof leafvec);
  const auto i = static_cast<size_t>(__builtin_popcountll(leafvec & ((uint64_t{2} << slot) - 1)));
  uint16_t e;
  std::memcpy(&e, r + kHeaderBytes - 2 + 2 * i, sizeof e);
  uint32_t base;
  uint32_t escaped;
  std::memcpy(&base, r + 8, sizeof base);
  std::memcpy(&escaped, r + 12, sizeof escaped);
  // The escape too is a mask, not a branch: whether a leaf is escaped is as unpredictable.
  uint32_t escape = 0U - static_cast<uint32_t>(e == kEscape);
#if defined(__GNUC__)
  asm("" : "+r"(escape));
#endif
  const uint32_t leaf = (escaped & escape) | ((base + e) & ~escape);
  return (leaf & record) | ((d - 1) & ~record);
}

}  // namespace egress
