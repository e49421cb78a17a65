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
  static constexpr uint32_t kNodeBit = 0x80000000U;
  static constexpr uint32_t kPayloadMask = kNodeBit - 1;
  static constexpr uint32_t kEscape = 0xffff;
  static constexpr size_t kHeaderBytes = 16;
  // Direct bits of a large table and of a small one (why: lpm_table.cc, kLargeTableRoutes).
  static constexpr uint8_t kDirectBitsLarge = 18;
  static constexpr uint8_t kDirectBitsSmall = 12;
  // A small table's IPv4 part in the DIR-16-8-8 layout (lpm_table.cc, Chunks4), when it fits.
  static constexpr uint8_t kLayoutChunks = 16;
  static constexpr uint32_t kChunkMask = 0x7fffff00U;
};
}  // namespace lpm_layout

/// One route as the lookup sees it: a prefix and an opaque value (the engine's route index).
struct LpmEntry {
  Prefix prefix;
  uint32_t value = 0;
};

/// What a small table's layout is chosen for. kSpeed: the fastest lookups (IPv4 in DIR-16-8-8,
/// 256 KiB and more). kMemory: the IPv4 part as a Poptrie of 12 direct bits (tens of KiB), for a
/// caller that holds many tables. Large tables and IPv6 are the same either way.
enum class LpmPriority { kSpeed, kMemory };

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
  static Result<LpmTable> build(std::span<const LpmEntry> entries,
                                LpmPriority priority = LpmPriority::kSpeed);

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
  // stay where they are when the table moves. `bits` is 18 or 12, and a uint8_t so that a
  // caller's uint32_t stores cannot alias it: its loop then reads it once.
  // In the DIR-16-8-8 layout of small tables (bits == kLayoutChunks), `top` holds the chunk
  // numbers and `direct` the chunks, and there is no blob.
  struct V4View {
    const uint32_t* direct;
    const uint8_t* blob;
    const int32_t* top;
    uint8_t bits;
  };
  static V4View empty_v4() noexcept;
  // lookup_v4 for a table of kBits direct bits, whose shifts are then constants.
  template <int kBits>
  static uint32_t lookup_v4_in(const V4View& view, const LpmTable& table,
                               uint32_t address) noexcept;
  // The rest of lookup_v4_in once the address's direct word d is read.
  template <int kBits>
  static uint32_t answer_v4(const V4View& view, const LpmTable& table, uint32_t address,
                            uint32_t d) noexcept;
  // lookup_v4 in the DIR-16-8-8 layout: two loads, and a third for routes longer than /24.
  static uint32_t lookup_v4_chunks(const V4View& view, uint32_t address) noexcept;
  void lookup_many_v4_chunks(const uint32_t* addresses, uint32_t* out, size_t n) const noexcept;
  // The batch of lookup_batch_v4 for a table of kBits direct bits.
  template <int kBits>
  void lookup_many_v4(const uint32_t* addresses, uint32_t* out, size_t n) const noexcept;
  // The walk below a direct word that names a trie node (routes longer than /24); rare. Pure,
  // so that a caller's loop keeps the view in registers across it.
  [[gnu::pure]] uint32_t walk_v4(uint32_t address, uint32_t node) const noexcept;

  // Which layout the IPv4 part took (kDirectBitsLarge, kDirectBitsSmall or kLayoutChunks), for
  // the tests (sim/lpm/lpm_table_internal.h).
  friend uint8_t lpm_v4_layout(const LpmTable& table) noexcept;
  friend uint8_t lpm_v6_layout(const LpmTable& table) noexcept;

  struct Impl;
  std::unique_ptr<Impl> impl_;
  V4View v4_;
};

namespace lpm_layout {

// `if (x == y) r = a;` as a conditional move. Which way it goes depends on the address, so a
// branch would mispredict about as often as not, and a mispredicted branch throws away every
// lookup the core has in flight; GCC turns a plain `?:` into that branch, so on x86-64 it is
// written as the instructions themselves.
inline uint32_t move_if_equal(uint32_t r, uint32_t a, uint32_t x, uint32_t y) noexcept {
#if defined(__GNUC__) && defined(__x86_64__)
  asm("cmpl %3, %2\n\tcmove %1, %0" : "+r"(r) : "r"(a), "r"(x), "r"(y) : "cc");
  return r;
#else
  const uint32_t mask = 0U - static_cast<uint32_t>(x == y);
  return (a & mask) | (r & ~mask);
#endif
}

}  // namespace lpm_layout

// Branch-free but for the rare node walk: every other direct word names a record, the answer
// words too (a one-leaf record per distinct answer, shared), so a lookup is the same two loads
// and about 17 instructions whatever the address. The instructions waiting on the loads are
// what limits how many lookups the out-of-order core holds at once, and that overlap is most
// of a large table's speed.
template <int kBits>
inline uint32_t LpmTable::lookup_v4_in(const V4View& view, const LpmTable& table,
                                       uint32_t address) noexcept {
  return answer_v4<kBits>(view, table, address, view.direct[address >> (32 - kBits)]);
}

template <int kBits>
inline uint32_t LpmTable::answer_v4(const V4View& view, const LpmTable& table, uint32_t address,
                                    uint32_t d) noexcept {
  // Node words are the ones with bit 31 set: a test of the sign.
  if (static_cast<int32_t>(d) < 0) [[unlikely]] {
    return table.walk_v4(address, d & kPayloadMask);
  }
  const uint8_t* r = view.blob + (size_t{d} << 2);
  uint64_t leafvec;
  std::memcpy(&leafvec, r, sizeof leafvec);
  // The slot v is the 6 bits after the direct bits; shifting left by 63 - v keeps leafvec's
  // bits 0..v, whose popcount is the rank (x86 masks the count to 6 bits, so no `& 63`).
  // An answer's record has no leafvec bits: rank 0 reads the header's last two bytes, zero.
  const unsigned keep = (~address >> (26 - kBits)) & 63;
  const auto i = static_cast<size_t>(__builtin_popcountll(leafvec << keep));
  uint16_t e;
  std::memcpy(&e, r + kHeaderBytes - 2 + 2 * i, sizeof e);
  uint32_t base;
  uint32_t escaped;
  std::memcpy(&base, r + 8, sizeof base);
  std::memcpy(&escaped, r + 12, sizeof escaped);
  return lpm_layout::move_if_equal(base + e, escaped, e, kEscape);
}

// The chunk word of the address's /24 is its value unless it is a link to the chunk of its
// /25../32 routes (layout drawn at Chunks4 in sim/lpm/lpm_table.cc). The top word is the chunk's
// offset less the /16's own, so that the word's address, `direct + (address >> 8) + top`, is
// the second load's addressing alone: the two loads follow each other with nothing between
// them, and nothing follows the second, which is what a dependent chain of lookups waits for.
// Computed as integers, since `direct + (address >> 8)` alone may be past the array.
inline uint32_t LpmTable::lookup_v4_chunks(const V4View& view, uint32_t address) noexcept {
  auto at = reinterpret_cast<uintptr_t>(view.direct) + uintptr_t{address >> 8} * 4;
#if defined(__GNUC__)
  // Kept as one register, or GCC adds the top word to the shifted address first and the sum
  // to the base in the load: one more instruction between the loads.
  asm("" : "+r"(at));
#endif
  const intptr_t top = view.top[address >> 16];
  uint32_t word;
  std::memcpy(&word, reinterpret_cast<const void*>(at + static_cast<uintptr_t>(top * 4)),
              sizeof word);
  // Values are at most 2^31 - 1 and kNoMatch is 2^32 - 1: word + 1 is above 2^31 for links only.
  if (word + 1 > kNodeBit) [[unlikely]] {
    word = view.direct[(word & kChunkMask) | (address & 0xff)];
  }
  return word;
}

inline uint32_t LpmTable::lookup_v4(uint32_t address) const noexcept {
  if (v4_.bits == kDirectBitsLarge) [[likely]] {
    return lookup_v4_in<kDirectBitsLarge>(v4_, *this, address);
  }
  if (v4_.bits == kLayoutChunks) {
    return lookup_v4_chunks(v4_, address);
  }
  return lookup_v4_in<kDirectBitsSmall>(v4_, *this, address);
}

}  // namespace egress
