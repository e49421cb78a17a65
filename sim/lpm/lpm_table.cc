// LpmTable: a Poptrie (Asai and Ohara, SIGCOMM 2015) per address family, compiled from the route
// list. Why this shape, what it costs and what did not pay: sim/lpm/README.md.
#include "egress/lpm/lpm_table.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lpm/lpm_entry_check_internal.h"
#include "lpm/lpm_table_internal.h"

namespace egress {
namespace {

__extension__ using U128 = unsigned __int128;

// Address bits consumed per trie node: 2^6 slots, one bit each in a 64-bit vector.
constexpr int kStride = 6;
// Small tables, like a subnet's few hundred routes, index their direct-pointing array with the
// top 12 bits (16 KiB), so that the engine's many per-subnet tables stay small; 12 + 2 * 6 puts
// the common /24 at a node boundary. Large ones use the family's own width (see Poptrie4/6).
constexpr int kDirectBitsSmall = lpm_layout::DirectWordLayout::kDirectBitsSmall;
constexpr size_t kLargeTableRoutes = 4096;
// The most 1 KiB chunks a small table's IPv4 part may take in the DIR-16-8-8 layout (Chunks4)
// before it is built as a Poptrie instead.
constexpr uint32_t kMaxChunks = 1024;
// Addresses lookup_batch takes through one family's trie together: enough independent misses
// per pass to keep the core's miss queues full, few enough that the lane state stays in L1.
constexpr int kLanes = 64;
// How far ahead the first pass over the lanes prefetches their direct words.
constexpr int kLanesAhead = 8;
// Answer records overlap: each one's escape and offset bytes are the next one's leafvec, zero.
constexpr size_t kAnswerStride = 12;
// Record 0 of every blob: the answer record of "no match", which also serves the empty view.
constexpr size_t kNoMatchRecordBytes = 16;
// lookup_many_v4's block: 8 lookups, whose misses overlap with the next block's.
constexpr size_t kBlock = 8;

// One entry of the direct-pointing array, indexed by the top direct_bits_ of the address: a
// uint32 that names a record or a trie node.
//
//   bit 31 30                                                     0
//       +--+--------------------------------------------------------+
//       | 0|  record offset in blob_, in 4-byte units (31 bits)      |  a record: one more load
//       | 1|  index into nodes_                                      |  a trie node: the walk
//       +--+--------------------------------------------------------+
//
// A record holds a leaf-only node (most /18s of a real IPv4 table: their /19../24 routes end
// inside it) in few bytes, so that the whole structure stays in cache, and reads in few
// instructions, since a lookup's dependent instructions are what limits how many lookups the
// core overlaps:
//
//   byte 0                   8            12           16
//        +-------------------+------------+------------+--------------------------------+
//        |      leafvec      |  base - 1  | escape - 1 |  leaf offsets, uint16 each,    |
//        |                   |            |            |  padded to 4 bytes             |
//        +-------------------+------------+------------+--------------------------------+
//
//   leaf of slot v (the next 6 address bits): e = offset[popcount(leafvec & ones(0..v)) - 1],
//   value = e == 0xffff ? escape - 1 : base - 1 + e
//
// A slot the whole of which one route answers (or none) names the *answer record* of that
// value: a header alone, leafvec 0, base - 1 the value, escape 0. Its rank is 0 for every
// slot, and "offset -1" is the escape's top half, 0, so the same arithmetic gives the value.
// One answer record per distinct value, shared by all its slots (26,049 values at most in the
// tier-1 IPv4 table), 12 bytes apart, since a record's escape is the next one's zero leafvec;
// record 0 is the one of "no match". A lookup then never
// asks whether its direct word is the answer, which was a third of the instructions waiting
// on its loads.
//
// Codes rather than values so that "no match" is 0 and the answer is always `code - 1` (0 - 1
// wraps to kNoMatch). Offsets from the record's smallest code because the routes of one /18 are
// usually close in the route list (a table sorted by address, a subnet's routes added
// together); the escape holds the one code that is not, typically a short covering route's,
// whose value shows between the more specific ones. On the tier-1 table every record fits; a
// record whose codes, all but the escape, spread over more than 0xfffe stays a node instead.
struct DirectWord : lpm_layout::DirectWordLayout {
  static uint32_t record(uint32_t offset_words) { return offset_words; }
  static uint32_t node(uint32_t index) { return kNodeBit | index; }
};
static_assert(LpmTable::kMaxValue == (1U << 31) - 1, "codes are value + 1, at most 2^31");
static_assert(std::endian::native == std::endian::little,
              "records are written and read as little-endian words");

// Unaligned little-endian loads from the record blob; x86-64 and AArch64 do them in one
// instruction.
inline uint64_t load64(const uint8_t* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline uint16_t load16(const uint8_t* p) noexcept {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline uint32_t load32(const uint8_t* p) noexcept {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// One internal node of the trie: 6 address bits pick one of 64 slots. A set bit in `vector`
// makes the slot a child node; the others are leaves. Children and leaves of one node are
// stored contiguously, so the slot's rank among the set bits finds them:
//
//   byte 0                    8                    16          20          24
//        +--------------------+--------------------+-----------+-----------+
//        |       vector       |      leafvec       | leaf_base | node_base |
//        +--------------------+--------------------+-----------+-----------+
//
//   child of slot v: nodes_[node_base + popcount(vector  & ones(0..v))]
//   leaf of slot v:  leaves_[leaf_base + popcount(leafvec & ones(0..v))]
//
// `leafvec` marks only the leaf slots whose value differs from the previous leaf slot's, so a
// run of equal leaves, as a short prefix leaves behind, is stored once (Poptrie's leaf
// compression). Both bases are stored one less than the first index, which saves the `- 1`
// on every step; uint32 arithmetic wraps it back.
struct Node {
  uint64_t vector = 0;
  uint64_t leafvec = 0;
  uint32_t leaf_base = 0;
  uint32_t node_base = 0;
};
static_assert(sizeof(Node) == 24, "Poptrie's 24-byte node");

// The rank of slot v in a 64-bit vector, popcount(vector & ones(0..v)), is taken everywhere as
// popcount(vector << (63 - v)): the shift keeps bits 0..v and puts bit v on top, where a node
// step reads whether the slot is a child; 63 - v is v ^ 63.

// Makes the compiler forget what it knows of v, so that arithmetic on it stays arithmetic.
inline void opaque(uint32_t& v) noexcept {
#if defined(__GNUC__)
  asm("" : "+r"(v));
#else
  (void)v;
#endif
}

// A prefetch of base[index] that may name no element: computed as an integer, so that an index
// past the array is not undefined behaviour, and harmless, since a prefetch never faults.
template <class T>
inline void prefetch_at(const T* base, uint32_t index) noexcept {
  __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(base) +
                                                   uintptr_t{index} * sizeof(T)));
}

inline uint32_t rank(uint64_t bits) noexcept {
  return static_cast<uint32_t>(__builtin_popcountll(bits));
}

// The address as lookups see it: left-aligned in the narrowest word that holds it, so that the
// 6 bits at `offset` are always `(key << offset) >> (bits - 6)`. Bits past the address width
// read as zero, which the build knows about (see fill_node).
template <class Key>
inline unsigned slot_of(Key key, int offset) noexcept {
  constexpr int kKeyBits = static_cast<int>(sizeof(Key)) * 8;
  if constexpr (kKeyBits > 64) {
    // Routes rarely go past /64, so the slot is nearly always in the top 64 bits, where a
    // 64-bit shift finds it; a 128-bit variable shift takes several instructions more.
    if (offset <= 64 - kStride) [[likely]] {
      return static_cast<unsigned>((static_cast<uint64_t>(key >> 64) << offset) >> (64 - kStride));
    }
  }
  return static_cast<unsigned>((key << offset) >> (kKeyBits - kStride));
}

// A piece of the address space and the answer for all of it, from `start` up to the next
// range's start. The build works on these, not on prefixes: a trie slot is a leaf exactly when
// no range starts strictly inside it.
struct Range {
  U128 start;
  uint32_t value;
};

U128 all_ones(int width) {
  return width == 128 ? ~U128{0} : (U128{1} << width) - 1;
}

U128 natural(const IpAddress& a) {
  return a.is_v4() ? U128{a.v4_bits()} : (U128{a.hi()} << 64) | a.lo();
}

// Turns the prefixes of one family into the piecewise-constant answer function of the address
// space. Sorting by (start, length) puts every prefix right after the ones containing it, so
// one stack of open prefixes gives the answer at every boundary.
std::vector<Range> ranges_of(std::vector<const LpmEntry*>& entries, int width) {
  struct Sorted {
    U128 start;
    int length;
    uint32_t order;
  };
  std::vector<Sorted> sorted;
  sorted.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    sorted.push_back(
        {natural(entries[i]->prefix.address), entries[i]->prefix.length, static_cast<uint32_t>(i)});
  }
  std::sort(sorted.begin(), sorted.end(), [](const Sorted& a, const Sorted& b) {
    if (a.start != b.start) {
      return a.start < b.start;
    }
    if (a.length != b.length) {
      return a.length < b.length;
    }
    return a.order < b.order;
  });

  std::vector<Range> ranges{{0, LpmTable::kNoMatch}};
  ranges.reserve(entries.size() * 2 + 1);
  auto emit = [&ranges](U128 start, uint32_t value) {
    Range& last = ranges.back();
    if (last.start == start) {
      last.value = value;
      if (ranges.size() >= 2 && ranges[ranges.size() - 2].value == value) {
        ranges.pop_back();
      }
    } else if (last.value != value) {
      ranges.push_back({start, value});
    }
  };
  struct Open {
    U128 last;
    uint32_t value;
  };
  std::vector<Open> open;
  auto close_one = [&]() {
    U128 end = open.back().last;
    open.pop_back();
    if (end != all_ones(width)) {
      emit(end + 1, open.empty() ? LpmTable::kNoMatch : open.back().value);
    }
  };
  for (size_t i = 0; i < sorted.size(); ++i) {
    // Of equal prefixes only the last in input order counts: later entries take precedence.
    if (i + 1 < sorted.size() && sorted[i + 1].start == sorted[i].start &&
        sorted[i + 1].length == sorted[i].length) {
      continue;
    }
    const Sorted& p = sorted[i];
    while (!open.empty() && open.back().last < p.start) {
      close_one();
    }
    uint32_t value = entries[p.order]->value;
    emit(p.start, value);
    // A shift by 128 would be undefined, hence the test for host routes.
    U128 host_bits = p.length == width ? U128{0} : all_ones(width) >> p.length;
    open.push_back({p.start | host_bits, value});
  }
  while (!open.empty()) {
    close_one();
  }
  return ranges;
}

// The range holding `at`, searching forward from `cursor` (which holds an earlier address).
size_t seek(const std::vector<Range>& ranges, size_t cursor, U128 at) {
  while (cursor + 1 < ranges.size() && ranges[cursor + 1].start <= at) {
    ++cursor;
  }
  return cursor;
}

// Whether [at, at + size) lies inside the range `cursor`, which holds `at`. Written as a
// difference because at + size overflows for the last slot of the IPv6 space.
bool uniform(const std::vector<Range>& ranges, size_t cursor, U128 at, U128 size) {
  return cursor + 1 == ranges.size() || ranges[cursor + 1].start - at >= size;
}

// The trie of one address family. Key is uint64_t for IPv4 (address in the high 32 bits) and
// U128 for IPv6.
template <class Key, int kWidth, int kDirectBitsLarge>
class Poptrie {
 public:
  /// False when a node that a direct word names would be past 2^31, or the nodes or leaves
  /// past 2^32 (far beyond any real table).
  bool build(std::vector<const LpmEntry*>& entries) {
    if (entries.empty()) {
      return true;
    }
    direct_bits_ = entries.size() >= kLargeTableRoutes ? kDirectBitsLarge : kDirectBitsSmall;
    std::vector<Range> ranges = ranges_of(entries, kWidth);
    nodes_.reserve(entries.size() / 16);
    leaves_.reserve(entries.size() / 4);
    direct_.resize(size_t{1} << direct_bits_);
    // Record 0 is the answer record of "no match" (see DirectWord).
    blob_.assign(kNoMatchRecordBytes, 0);
    std::memset(blob_.data() + 8, 0xff, sizeof(uint32_t));
    // Slots that one value answers whole, and how many slots each value answers; their
    // direct words are filled in once all records are in the blob (place_answer_records).
    std::vector<std::pair<size_t, uint32_t>> answer_slots;
    std::unordered_map<uint32_t, uint32_t> answer_counts;
    const int sub_bits = kWidth - direct_bits_;
    size_t cursor = 0;
    for (size_t j = 0; j < direct_.size(); ++j) {
      U128 at = U128{j} << sub_bits;
      cursor = seek(ranges, cursor, at);
      if (uniform(ranges, cursor, at, U128{1} << sub_bits)) {
        const uint32_t value = ranges[cursor].value;
        answer_slots.emplace_back(j, value);
        ++answer_counts[value];
        continue;
      }
      uint32_t index = static_cast<uint32_t>(nodes_.size());
      nodes_.emplace_back();
      fill_node(ranges, index, at, direct_bits_, cursor);
      const Node node = nodes_[index];
      const size_t first_leaf = static_cast<uint32_t>(node.leaf_base + 1);
      if (node.vector == 0 &&
          add_record(j, node.leafvec, leaves_.data() + first_leaf, leaves_.size() - first_leaf)) {
        // No children were appended, so the node and its leaves are the last ones and can go.
        leaves_.resize(first_leaf);
        nodes_.pop_back();
        continue;
      }
      if (index > DirectWord::kPayloadMask) {
        return false;
      }
      direct_[j] = DirectWord::node(index);
    }
    place_answer_records(answer_slots, answer_counts);
    blob_.shrink_to_fit();
    nodes_.shrink_to_fit();
    leaves_.shrink_to_fit();
    // node_base and leaf_base are 32-bit, and stored one less than the first index.
    return nodes_.size() < ~0U && leaves_.size() < ~0U;
  }

  // Branch-free but for the rare node walk: every other direct word names a record.
  uint32_t lookup(Key key) const noexcept {
    if (direct_.empty()) {
      return LpmTable::kNoMatch;
    }
    const uint32_t d = direct_[static_cast<size_t>(key >> (kKeyBits - direct_bits_))];
    if (d >= DirectWord::kNodeBit) [[unlikely]] {
      return walk(key, d & DirectWord::kPayloadMask);
    }
    return record_leaf(d, slot_of(key, direct_bits_));
  }

  // Looks up n <= kLanes keys level by level: one pass over all lanes reads their direct
  // words, then one pass per trie level for the lanes still walking, then one pass for the
  // leaves; returns how many lanes walked. Within a pass the loads are independent, so the core
  // keeps many misses in flight at once, the way DPDK's bulk lookups do; lanes move between passes
  // through branch-free compaction, since whether a lane is done is as unpredictable as the
  // address.
  int lookup_lanes(const Key* keys, uint32_t* const* out, int n) const noexcept {
    if (direct_.empty()) {
      for (int i = 0; i < n; ++i) {
        *out[i] = LpmTable::kNoMatch;
      }
      return 0;
    }
    uint32_t result[kLanes];
    int walking[kLanes];
    uint32_t node_at[kLanes];
    int leafing[kLanes];
    uint32_t leaf_at[kLanes];
    int walkers = 0;
    int leafers = 0;
    const Node* nodes = nodes_.data();
    const uint32_t* leaves = leaves_.data();
    const int direct_shift = kKeyBits - direct_bits_;
    for (int i = 0; i < std::min(n, kLanesAhead); ++i) {
      __builtin_prefetch(direct_.data() + static_cast<size_t>(keys[i] >> direct_shift));
    }
    for (int i = 0; i < n; ++i) {
      if (i + kLanesAhead < n) {
        __builtin_prefetch(direct_.data() +
                           static_cast<size_t>(keys[i + kLanesAhead] >> direct_shift));
      }
      const uint32_t d = direct_[static_cast<size_t>(keys[i] >> direct_shift)];
      const bool node = d >= DirectWord::kNodeBit;
      // Most IPv6 direct words that table-drawn addresses read are nodes, and a node lane
      // skipping the record costs less than the mispredictions: reading the no-match record
      // instead made table-drawn batches a quarter slower. (A pass of its own for the record
      // lanes, their records prefetched by this one, made random batches 15% slower.)
      if (!node) {
        result[i] = record_leaf(d, slot_of(keys[i], direct_bits_));
      }
      walking[walkers] = i;
      node_at[walkers] = d & DirectWord::kPayloadMask;
      prefetch_at(nodes, node_at[walkers]);
      walkers += node ? 1 : 0;
    }
    const int node_lanes = walkers;
    // Each pass prefetches what the next one reads, the node or leaf a lane goes to, so that
    // the next pass, a whole pass later, finds it in L1: a pass then costs instructions, not
    // misses. A lane that does not go on prefetches an index that is not its own, which is
    // harmless (prefetch_at never faults).
    for (int offset = direct_bits_; walkers > 0; offset += kStride) {
      int still = 0;
      for (int w = 0; w < walkers; ++w) {
        const int i = walking[w];
        const Node& node = nodes[node_at[w]];
        // Shifted left by 63 - v, a vector keeps its bits 0..v, and bit v on top.
        const unsigned keep = slot_of(keys[i], offset) ^ 63U;
        const uint64_t vector = node.vector << keep;
        const uint32_t child = static_cast<uint32_t>(vector >> 63);
        leafing[leafers] = i;
        leaf_at[leafers] = node.leaf_base + rank(node.leafvec << keep);
        prefetch_at(leaves, leaf_at[leafers]);
        leafers += static_cast<int>(child ^ 1U);
        walking[still] = i;
        node_at[still] = node.node_base + rank(vector);
        prefetch_at(nodes, node_at[still]);
        still += static_cast<int>(child);
      }
      walkers = still;
    }
    for (int l = 0; l < leafers; ++l) {
      result[leafing[l]] = leaves[leaf_at[l]];
    }
    for (int i = 0; i < n; ++i) {
      *out[i] = result[i];
    }
    return node_lanes;
  }

  // The direct word of `key`, which a non-empty trie always has, and a prefetch of it.
  uint32_t direct_word(Key key) const noexcept {
    return direct_[static_cast<size_t>(key >> (kKeyBits - direct_bits_))];
  }
  void prefetch_direct(Key key) const noexcept {
    __builtin_prefetch(direct_.data() + static_cast<size_t>(key >> (kKeyBits - direct_bits_)));
  }
  // The answer of `key` when its direct word d names a record (d < kNodeBit).
  uint32_t record_answer(uint32_t d, Key key) const noexcept {
    return record_leaf(d, slot_of(key, direct_bits_));
  }

  const uint32_t* direct_data() const noexcept { return direct_.data(); }
  const uint8_t* blob_data() const noexcept { return blob_.data(); }
  int direct_bits() const noexcept { return direct_bits_; }
  bool empty() const noexcept { return direct_.empty(); }

  // The walk down the nodes below a direct word, rare enough in IPv4 (/25 and longer) to be
  // kept out of the inlined lookup, and the whole path of IPv6. Its callers, LpmTable::walk_v4
  // and lookup_v6, are out of line themselves, so it is inlined into them: one call, not two
  // (8% on IPv6 table-drawn single lookups).
  uint32_t walk(Key key, uint32_t index) const noexcept {
    const Node* nodes = nodes_.data();
    int offset = direct_bits_;
    for (;;) {
      const Node& n = nodes[index];
      // Shifted left by 63 - v, a vector keeps its bits 0..v, and bit v on top.
      const unsigned keep = slot_of(key, offset) ^ 63U;
      const uint64_t vector = n.vector << keep;
      if ((vector >> 63) == 0) {
        return leaves_[n.leaf_base + rank(n.leafvec << keep)];
      }
      index = n.node_base + rank(vector);
      offset += kStride;
    }
  }

  size_t memory_bytes() const noexcept {
    return direct_.capacity() * sizeof(uint32_t) + blob_.capacity() +
           nodes_.capacity() * sizeof(Node) + leaves_.capacity() * sizeof(uint32_t);
  }

 private:
  static constexpr int kKeyBits = static_cast<int>(sizeof(Key)) * 8;

  // The leaf of slot v in the record `words` 4-byte words into the blob (layout at DirectWord).
  uint32_t record_leaf(uint32_t words, unsigned v) const noexcept {
    const uint8_t* r = blob_.data() + size_t{words} * 4;
    const uint32_t i = rank(load64(r) << (v ^ 63U));
    const uint32_t e = load16(r + DirectWord::kHeaderBytes - 2 + 2 * i);
    uint32_t escape = 0U - static_cast<uint32_t>(e == DirectWord::kEscape);
    opaque(escape);
    return (load32(r + 12) & escape) | ((load32(r + 8) + e) & ~escape);
  }

  // Appends the record of direct slot j: the leaf-only node with this leafvec and these n leaf
  // values. False, writing nothing, when their codes but one spread over more than 0xfffe; the
  // caller keeps the node then. The escape can only help as the smallest or the largest code.
  // The blob cannot outgrow a direct word's offset: at most one record per direct slot, each
  // at most 16 + 64 * 2 bytes (see kMaxBlobBytes).
  bool add_record(size_t j, uint64_t leafvec, const uint32_t* values, size_t n) {
    uint32_t lo = ~0U;
    uint32_t hi = 0;
    for (size_t i = 0; i < n; ++i) {
      lo = std::min(lo, values[i] + 1);
      hi = std::max(hi, values[i] + 1);
    }
    uint32_t escape = hi;
    if (hi - lo >= DirectWord::kEscape) {
      // Without the smallest code, or without the largest: the narrower rest wins.
      uint32_t above_lo = ~0U;
      uint32_t below_hi = 0;
      for (size_t i = 0; i < n; ++i) {
        const uint32_t code = values[i] + 1;
        above_lo = code != lo ? std::min(above_lo, code) : above_lo;
        below_hi = code != hi ? std::max(below_hi, code) : below_hi;
      }
      if (hi - above_lo <= below_hi - lo) {
        escape = lo;
        lo = above_lo;
      } else {
        hi = below_hi;
      }
      if (hi - lo >= DirectWord::kEscape) {
        return false;
      }
    }
    const size_t offset = blob_.size();
    const size_t bytes = (DirectWord::kHeaderBytes + 2 * n + 3) / 4 * 4;
    blob_.resize(offset + bytes, 0);
    uint8_t* r = blob_.data() + offset;
    const uint32_t base = lo - 1;
    const uint32_t escaped = escape - 1;
    std::memcpy(r, &leafvec, sizeof leafvec);
    std::memcpy(r + 8, &base, sizeof base);
    std::memcpy(r + 12, &escaped, sizeof escaped);
    for (size_t i = 0; i < n; ++i) {
      const uint32_t code = values[i] + 1;
      const uint16_t e = static_cast<uint16_t>(code == escape ? DirectWord::kEscape : code - lo);
      std::memcpy(r + DirectWord::kHeaderBytes + 2 * i, &e, sizeof e);
    }
    direct_[j] = DirectWord::record(static_cast<uint32_t>(offset / 4));
    return true;
  }

  // Appends one answer record per value (layout at DirectWord) and points the slots at them.
  // The values that answer the most slots come first, so that what uniform traffic mostly reads,
  // the records of the short routes and of "no match" (record 0), shares a few cache lines:
  // ordered by first use instead, a random IPv4 lookup as a dependent chain took 3 ns more.
  void place_answer_records(const std::vector<std::pair<size_t, uint32_t>>& slots,
                            const std::unordered_map<uint32_t, uint32_t>& counts) {
    std::vector<std::pair<uint32_t, uint32_t>> by_count(counts.begin(), counts.end());
    std::sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::unordered_map<uint32_t, uint32_t> words{{LpmTable::kNoMatch, DirectWord::record(0)}};
    for (const auto& [value, count] : by_count) {
      if (value == LpmTable::kNoMatch) {
        continue;
      }
      words[value] = DirectWord::record(static_cast<uint32_t>(blob_.size() / 4));
      uint8_t header[kAnswerStride] = {};
      std::memcpy(header + 8, &value, sizeof value);
      blob_.insert(blob_.end(), std::begin(header), std::end(header));
    }
    // The last record's escape and offset, which the others take from the next one's leafvec.
    blob_.resize(blob_.size() + DirectWord::kHeaderBytes - kAnswerStride, 0);
    for (const auto& [slot, value] : slots) {
      direct_[slot] = words[value];
    }
  }

  // Fills node `index`, which covers the 2^(kWidth - depth) addresses from `base`; `cursor` is
  // the range holding `base`. When fewer than 6 address bits remain (IPv4 below /26 or /28),
  // lookups read zeros for the missing bits, so only every 2^(6 - bits)-th slot is ever used
  // and the slots between are left as leaves repeating the previous one, which costs nothing.
  void fill_node(const std::vector<Range>& ranges, uint32_t index, U128 base, int depth,
                 size_t cursor) {
    const int bits = std::min(kStride, kWidth - depth);
    const int spread = kStride - bits;
    const U128 sub = U128{1} << (kWidth - depth - bits);
    uint64_t vector = 0;
    uint64_t leafvec = 0;
    size_t child_cursor[64];
    int children = 0;
    const uint32_t first_leaf = static_cast<uint32_t>(leaves_.size());
    for (int j = 0; j < (1 << bits); ++j) {
      U128 at = base + sub * static_cast<unsigned>(j);
      cursor = seek(ranges, cursor, at);
      uint64_t bit = uint64_t{1} << (j << spread);
      if (!uniform(ranges, cursor, at, sub)) {
        vector |= bit;
        child_cursor[children++] = cursor;
        continue;
      }
      uint32_t value = ranges[cursor].value;
      if (leaves_.size() == first_leaf || leaves_.back() != value) {
        leafvec |= bit;
        leaves_.push_back(value);
      }
    }
    const uint32_t first_child = static_cast<uint32_t>(nodes_.size());
    nodes_.resize(nodes_.size() + static_cast<size_t>(children));
    // Index, not reference: the resize above and the recursion below move the nodes.
    nodes_[index] = Node{vector, leafvec, first_leaf - 1, first_child - 1};
    int child = 0;
    for (int j = 0; j < (1 << bits); ++j) {
      if ((vector >> (j << spread)) & 1U) {
        U128 at = base + sub * static_cast<unsigned>(j);
        fill_node(ranges, first_child + static_cast<uint32_t>(child), at, depth + kStride,
                  child_cursor[child]);
        ++child;
      }
    }
  }

  int direct_bits_ = 0;
  std::vector<uint32_t> direct_;
  std::vector<uint8_t> blob_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> leaves_;
};

// The IPv4 part of a small table (under kLargeTableRoutes routes): DIR-16-8-8, direct arrays
// of 16, 8 and 8 bits, every lookup two loads into a structure that stays in L1 and L2. A small
// table's lookups are bound by instructions and branches, not by memory (sim/lpm/README.md),
// so the Poptrie's rank arithmetic and node walk are what this layout saves: below a /16, a
// plain index; no rank, no record, no branch but for /25 and longer.
//
//   top_[2^16]    int32, indexed by the address's top 16 bits: 256 * c - (address >> 16 << 8)
//                 for the chunk c of the /16, so that the word of an address in it is
//                 chunks_[(address >> 8) + top_[address >> 16]], bits 8-15 of the address
//                 indexing the chunk (lookup_v4_chunks in lpm_table.h)
//   chunks_[]     chunks of 256 uint32 words:
//
//   bit 31 30                          8 7          0
//       +--+-----------------------------+------------+
//       | 0|  value, 0 .. 2^31 - 1                    |  the answer (a /24 or shorter);
//       |    or 0xffffffff: no match                  |
//       | 1|  chunk number c >= 1          |  0         |  a /24 with longer routes: its
//       +--+-----------------------------+------------+  answer is chunks_[256 * c + bits 0-7]
//
// A chunk word is a link when word + 1 is above 2^31: values are at most 2^31 - 1, no match
// wraps to 0, and chunk 0 is always a /16's chunk, so no link is 2^31 itself. A /16 that one
// route answers whole (or none) names the chunk of that value, 256 copies of it, shared by every
// such /16 (a default route's chunk serves most of them); any other /16 has a chunk of its own.
// The chunks are counted as they are made, and a table that needs more than kMaxChunks is built
// as a Poptrie instead, so no table of this layout takes more than 256 KiB + kMaxChunks KiB.
class Chunks4 {
 public:
  static constexpr int kChunkBits = 8;
  static constexpr uint32_t kChunkWords = 1U << kChunkBits;
  static constexpr uint32_t kLink = DirectWord::kNodeBit;

  /// False, keeping nothing, when the table needs more than kMaxChunks chunks.
  bool build(const std::vector<Range>& ranges) {
    top_.assign(size_t{1} << 16, 0);
    chunks_.clear();
    std::unordered_map<uint32_t, uint32_t> whole;
    size_t cursor = 0;
    for (uint32_t j = 0; j < (1U << 16); ++j) {
      const U128 at = U128{j} << 16;
      cursor = seek(ranges, cursor, at);
      if (uniform(ranges, cursor, at, U128{1} << 16)) {
        const uint32_t value = ranges[cursor].value;
        auto [it, added] = whole.try_emplace(value, chunk_count());
        if (added && !add_chunk(value)) {
          return fail();
        }
        top_[j] = bias(it->second, j);
        continue;
      }
      const uint32_t chunk = chunk_count();
      if (!add_chunk(0)) {
        return fail();
      }
      top_[j] = bias(chunk, j);
      for (uint32_t k = 0; k < kChunkWords; ++k) {
        const U128 at24 = at + (U128{k} << 8);
        cursor = seek(ranges, cursor, at24);
        uint32_t word = ranges[cursor].value;
        if (!uniform(ranges, cursor, at24, kChunkWords)) {
          const uint32_t deep = chunk_count();
          if (!add_chunk(0)) {
            return fail();
          }
          for (uint32_t m = 0; m < kChunkWords; ++m) {
            cursor = seek(ranges, cursor, at24 + m);
            chunks_[deep * kChunkWords + m] = ranges[cursor].value;
          }
          word = kLink | (deep << kChunkBits);
        }
        chunks_[chunk * kChunkWords + k] = word;
      }
    }
    top_.shrink_to_fit();
    chunks_.shrink_to_fit();
    return true;
  }

  const int32_t* top_data() const noexcept { return top_.data(); }
  const uint32_t* chunk_data() const noexcept { return chunks_.data(); }
  size_t memory_bytes() const noexcept {
    return top_.capacity() * sizeof(int32_t) + chunks_.capacity() * sizeof(uint32_t);
  }

 private:
  // The top word of /16 number j, whose chunk is `chunk` (see the drawing above).
  static int32_t bias(uint32_t chunk, uint32_t j) noexcept {
    return static_cast<int32_t>(chunk * kChunkWords) - static_cast<int32_t>(j * kChunkWords);
  }
  uint32_t chunk_count() const noexcept {
    return static_cast<uint32_t>(chunks_.size() / kChunkWords);
  }
  bool add_chunk(uint32_t fill) {
    if (chunk_count() >= kMaxChunks) {
      return false;
    }
    chunks_.resize(chunks_.size() + kChunkWords, fill);
    return true;
  }
  bool fail() {
    top_ = {};
    chunks_ = {};
    return false;
  }

  std::vector<int32_t> top_;
  std::vector<uint32_t> chunks_;
};

// The IPv6 part of a small table (under kLargeTableRoutes routes) whose prefixes are all /64 or
// shorter, as a subnet's effective routes are (Azure's: /48 to /64, and the default): a direct
// array on the top 8 bits, and below it a static search tree over the starts of the answer
// ranges, on the top 64 bits of the address. A /64 in the Poptrie of 12 direct bits was nine
// dependent node steps; here a lookup is one load for a /8 that one range answers whole (most
// of the address space, e.g. all of 2000::/3 under a default route) and otherwise one per tree
// level, each a count of eight keys, plus the value: three loads for up to 64 ranges, all in
// L1, with no branch but the first.
//
//   top_[256]      uint32, indexed by the address's top 8 bits:
//
//   bit 31 30                                     0
//       +--+---------------------------------------+
//       | 0|  value, 0 .. 2^31 - 1                  |  the answer for the whole /8;
//       |    or 0xffffffff: no match                |
//       | 1|  0                                     |  search the tree (kSearch)
//       +--+---------------------------------------+
//
//   keys_[]        uint64, the starts of ranges 1 .. m (range 0 starts at 0) on the top 64
//                  address bits, each less one, so that "start <= x" is "key < x" and the
//                  padding, 2^64 - 1, is below no x. Level by level (S-tree), the root first:
//
//                  level h-1 (leaves): the m keys in order, padded to whole nodes of 8
//                  level l < h-1:      key j is key 8 * (j + 1) of level l + 1, i.e. the first
//                                      key of each node of the level below but the first;
//                                      level 0 has at most 8 keys, one node
//
//                  i = 0; for each level l: i = 8 * i + #{keys of node i of level l below x}
//                  answer: values_[i], the value of range i (i = how many starts are <= x)
//   values_[m + 1] uint32
//
// Why: node i of level l + 1 holds exactly the keys between the i-th and (i + 1)-th key of
// level l, so counting in it continues the count of level l. The eight compares of a node are
// independent, unlike a binary search's, and a node is one 64-byte line. A table with more than
// kMaxTreeKeys range starts (over four levels) or with a prefix past /64 keeps the Poptrie.
class Tree6 {
 public:
  static constexpr uint32_t kSearch = 0x80000000U;

  bool build(const std::vector<Range>& ranges) {
    std::vector<uint64_t> level;
    level.reserve(ranges.size());
    for (size_t i = 1; i < ranges.size(); ++i) {
      // A start inside a /64 means a prefix past /64.
      if (static_cast<uint64_t>(ranges[i].start) != 0) {
        return false;
      }
      level.push_back(static_cast<uint64_t>(ranges[i].start >> 64) - 1);
    }
    if (level.size() > kMaxTreeKeys) {
      return false;
    }
    // Bottom-up: each level is the first keys of the nodes of the one below but the first.
    std::vector<std::vector<uint64_t>> levels;
    for (;;) {
      std::vector<uint64_t> above;
      for (size_t j = kNodeKeys; j < level.size(); j += kNodeKeys) {
        above.push_back(level[j]);
      }
      level.resize((level.size() + kNodeKeys - 1) / kNodeKeys * kNodeKeys, kPad);
      levels.push_back(std::move(level));
      if (levels.back().size() <= kNodeKeys) {
        break;
      }
      level = std::move(above);
    }
    levels_ = static_cast<int>(levels.size());
    keys_.clear();
    for (int l = levels_ - 1; l >= 0; --l) {
      level_begin_[levels_ - 1 - l] = static_cast<uint32_t>(keys_.size());
      keys_.insert(keys_.end(), levels[static_cast<size_t>(l)].begin(),
                   levels[static_cast<size_t>(l)].end());
    }
    values_.clear();
    for (const Range& r : ranges) {
      values_.push_back(r.value);
    }
    top_.assign(kTopWords, kSearch);
    size_t cursor = 0;
    for (size_t j = 0; j < kTopWords; ++j) {
      const U128 at = U128{j} << (128 - kTopBits);
      cursor = seek(ranges, cursor, at);
      if (uniform(ranges, cursor, at, U128{1} << (128 - kTopBits))) {
        top_[j] = ranges[cursor].value;
      }
    }
    keys_.shrink_to_fit();
    values_.shrink_to_fit();
    return true;
  }

  bool active() const noexcept { return !top_.empty(); }

  // `hi`: the top 64 bits of the address.
  uint32_t lookup(uint64_t hi) const noexcept {
    uint32_t word = top_[hi >> (64 - kTopBits)];
    // Values are at most 2^31 - 1 and no match is 2^32 - 1, so word + 1 is above 2^31 for
    // kSearch only.
    if (word + 1 > kSearch) {
      size_t i = 0;
      for (int l = 0; l < levels_; ++l) {
        i = kNodeKeys * i + count_below(keys_.data() + level_begin_[l] + kNodeKeys * i, hi);
      }
      word = values_[i];
    }
    return word;
  }

  size_t memory_bytes() const noexcept {
    return top_.capacity() * sizeof(uint32_t) + keys_.capacity() * sizeof(uint64_t) +
           values_.capacity() * sizeof(uint32_t);
  }

 private:
  static constexpr int kTopBits = 8;
  static constexpr size_t kTopWords = size_t{1} << kTopBits;
  static constexpr size_t kNodeKeys = 8;
  static constexpr int kMaxLevels = 4;
  static constexpr size_t kMaxTreeKeys = 4096;  // 8^kMaxLevels
  static constexpr uint64_t kPad = ~uint64_t{0};

  // How many of the node's eight keys are below x; summed as a tree so that the compares do
  // not wait for one another's carries.
  static size_t count_below(const uint64_t* node, uint64_t x) noexcept {
    const size_t a = size_t{node[0] < x} + size_t{node[1] < x};
    const size_t b = size_t{node[2] < x} + size_t{node[3] < x};
    const size_t c = size_t{node[4] < x} + size_t{node[5] < x};
    const size_t d = size_t{node[6] < x} + size_t{node[7] < x};
    return (a + b) + (c + d);
  }

  std::vector<uint32_t> top_;
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> values_;
  uint32_t level_begin_[kMaxLevels] = {};
  int levels_ = 0;
};

// 18 bits for both families of a large table: 2^18 4-byte words are 1 MiB. For IPv4, 18 + 6
// ends the first node level at /24, where most routes are, so most lookups read one direct
// word and one record. For IPv6, 18 + 5 * 6 = 48 likewise lines the last level up with /48.
using Poptrie4 = Poptrie<uint64_t, 32, DirectWord::kDirectBitsLarge>;
using Poptrie6 = Poptrie<U128, 128, DirectWord::kDirectBitsLarge>;
constexpr size_t kMaxBlobBytes =
    kNoMatchRecordBytes + (size_t{1} << 18) * (DirectWord::kHeaderBytes + 64 * 2);
static_assert(kMaxBlobBytes / 4 <= DirectWord::kPayloadMask,
              "every record offset fits a direct word");

inline U128 key6(const IpAddress& a) noexcept {
  return (U128{a.hi()} << 64) | a.lo();
}

}  // namespace

struct LpmTable::Impl {
  // A table's IPv4 routes are in one of the two: v4_chunks when they are few enough.
  Chunks4 v4_chunks;
  Poptrie4 v4;
  // And its IPv6 routes: v6_tree when they are few and none is past /64.
  Tree6 v6_tree;
  Poptrie6 v6;
};

LpmTable::LpmTable() : impl_(std::make_unique<Impl>()), v4_(empty_v4()) {}
LpmTable::~LpmTable() = default;
LpmTable::LpmTable(LpmTable&& other) noexcept
    : impl_(std::move(other.impl_)), v4_(std::exchange(other.v4_, empty_v4())) {}
LpmTable& LpmTable::operator=(LpmTable&& other) noexcept {
  impl_ = std::move(other.impl_);
  v4_ = std::exchange(other.v4_, empty_v4());
  return *this;
}

// The view of a table without IPv4 routes: 2^12 direct words that all name record 0, and a
// blob that is only that record, the answer record of "no match".
LpmTable::V4View LpmTable::empty_v4() noexcept {
  static const uint32_t kDirect[size_t{1} << kDirectBitsSmall] = {};
  static const uint8_t kBlob[kNoMatchRecordBytes] = {0, 0, 0,    0,    0,    0,
                                                     0, 0, 0xff, 0xff, 0xff, 0xff};
  return {kDirect, kBlob, nullptr, kDirectBitsSmall};
}

uint32_t LpmTable::walk_v4(uint32_t address, uint32_t node) const noexcept {
  return impl_->v4.walk(uint64_t{address} << 32, node);
}

Result<LpmTable> LpmTable::build(std::span<const LpmEntry> entries, LpmPriority priority) {
  std::vector<const LpmEntry*> v4;
  std::vector<const LpmEntry*> v6;
  for (const LpmEntry& entry : entries) {
    if (auto error = check_lpm_entry(entry)) {
      return *std::move(error);
    }
    (entry.prefix.address.is_v4() ? v4 : v6).push_back(&entry);
  }
  LpmTable table;
  Impl& impl = *table.impl_;
  if (!v4.empty() && v4.size() < kLargeTableRoutes && priority == LpmPriority::kSpeed &&
      impl.v4_chunks.build(ranges_of(v4, 32))) {
    table.v4_ = {impl.v4_chunks.chunk_data(), nullptr, impl.v4_chunks.top_data(), kLayoutChunks};
    v4.clear();
  }
  if (!v6.empty() && v6.size() < kLargeTableRoutes && impl.v6_tree.build(ranges_of(v6, 128))) {
    v6.clear();
  }
  if (!impl.v4.build(v4) || !impl.v6.build(v6)) {
    return Error{"lpm-too-large",
                 "route table of " + std::to_string(entries.size()) +
                     " entries needs more trie nodes than a direct word can name (2^31) or a "
                     "32-bit index can count",
                 {}};
  }
  const Poptrie4& trie = table.impl_->v4;
  if (!trie.empty()) {
    table.v4_ = {trie.direct_data(), trie.blob_data(), nullptr,
                 static_cast<uint8_t>(trie.direct_bits())};
  }
  return table;
}

namespace {

// Out of line so that the IPv4 path of LpmTable::lookup needs few registers and no stack frame:
// the shorter a lookup's instruction stream, the more of them the out-of-order core keeps in
// flight, and on a large table that overlap is most of the speed.
[[gnu::noinline]] uint32_t lookup_v6(const Poptrie6& trie, const IpAddress& address) noexcept {
  return trie.lookup(key6(address));
}

}  // namespace

uint32_t LpmTable::lookup(const IpAddress& address) const noexcept {
  if (!impl_) {
    // Only a moved-from table gets here; it behaves as an empty one.
    return kNoMatch;
  }
  if (address.is_v4()) {
    return lookup_v4(address.v4_bits());
  }
  // Inline, not behind lookup_v6's call: a small table's lookup is a few loads from L1, and the
  // call was a third of its latency.
  if (impl_->v6_tree.active()) {
    return impl_->v6_tree.lookup(address.hi());
  }
  return lookup_v6(impl_->v6, address);
}

namespace {

// How many answers a batch of `count` addresses writes: never past `out`, even when a release
// build lets a short one through. A table without its Impl (moved from) answers kNoMatch to
// all of them here and leaves the caller nothing to do (0).
size_t batch_length(size_t count, std::span<uint32_t> out, bool answerable) noexcept {
  assert(out.size() >= count);
  const size_t n = std::min(count, out.size());
  if (!answerable) {
    std::fill_n(out.begin(), n, LpmTable::kNoMatch);
    return 0;
  }
  return n;
}

}  // namespace

namespace {

// Where lookup_batch is in its batch, and how it takes the next IPv6 addresses.
struct BatchCursor {
  size_t next = 0;
  bool on_the_spot = false;
};

// The IPv6 addresses a block hands to lookup_lanes, and where their answers go.
struct Lanes6 {
  U128 keys[kLanes];
  uint32_t* out[kLanes];
  int n = 0;

  void add(U128 key, uint32_t* answer) noexcept {
    keys[n] = key;
    out[n++] = answer;
  }
};

// The loop of one block of lookup_batch: from address `i` on, IPv4 addresses take lookup_v4
// where they stand and IPv6 ones go to take_v6(i, key), which says when the block is full.
// Returns where the next block starts. A template, not a shared loop with a flag, so that each
// way of taking IPv6 addresses gets a loop of its own: one loop holding both made table-drawn
// batches 10-16% slower (sim/lpm/README.md).
template <class TakeV6>
size_t block_loop(const LpmTable& table, std::span<const IpAddress> addresses, uint32_t* out,
                  size_t i, TakeV6&& take_v6) noexcept {
  while (i < addresses.size()) {
    const IpAddress& a = addresses[i];
    if (a.is_v4()) {
      out[i] = table.lookup_v4(a.v4_bits());
    } else if (take_v6(i, key6(a))) {
      return i + 1;
    }
    ++i;
  }
  return i;
}

// A block that gathers the next kLanes IPv6 addresses, all of them, into the lanes, where
// lookup_lanes reads their direct words in a pass of its own. Next time on the spot when under
// a quarter of the lanes walked.
[[gnu::noinline]] void gather_block(const LpmTable& table, const Poptrie6& v6,
                                    std::span<const IpAddress> addresses, uint32_t* out,
                                    BatchCursor& at) noexcept {
  Lanes6 lanes;
  at.next = block_loop(table, addresses, out, at.next, [&](size_t i, U128 key) {
    lanes.add(key, &out[i]);
    return lanes.n == kLanes;
  });
  at.on_the_spot = 4 * v6.lookup_lanes(lanes.keys, lanes.out, lanes.n) < lanes.n;
}

// A block that looks at the next kLanes IPv6 addresses one by one: one whose direct word names
// a record is answered on the spot, like a single lookup, and only those whose word names a
// node go into the lanes. Next time gathered when a quarter or more did.
[[gnu::noinline]] void spot_block(const LpmTable& table, const Poptrie6& v6,
                                  std::span<const IpAddress> addresses, uint32_t* out,
                                  BatchCursor& at) noexcept {
  Lanes6 lanes;
  int seen = 0;
  at.next = block_loop(table, addresses, out, at.next, [&](size_t i, U128 key) {
    if (i + kLanesAhead < addresses.size() && !addresses[i + kLanesAhead].is_v4()) {
      v6.prefetch_direct(key6(addresses[i + kLanesAhead]));
    }
    ++seen;
    const uint32_t d = v6.direct_word(key);
    if (d < DirectWord::kNodeBit) {
      out[i] = v6.record_answer(d, key);
    } else {
      lanes.add(key, &out[i]);
    }
    return seen == kLanes;
  });
  // lookup_lanes reads the node words again, from L1 by now.
  v6.lookup_lanes(lanes.keys, lanes.out, lanes.n);
  at.on_the_spot = 4 * lanes.n < seen;
}

}  // namespace

void LpmTable::lookup_batch(std::span<const IpAddress> addresses,
                            std::span<uint32_t> out) const noexcept {
  const size_t n = batch_length(addresses.size(), out, impl_ != nullptr);
  if (n == 0) {
    return;
  }
  // IPv6 addresses walk their trie kLanes at a time, level by level: their paths are four to
  // six loads long, and overlapping them pays. Two ways to gather them, chosen block by block
  // by how many of the last block's direct words named nodes:
  // - many (routed, table-drawn traffic): every address goes into the lanes (gather_block);
  // - under a quarter (random addresses, misses): an address whose direct word names a record
  //   is answered on the spot and only the node words are gathered (spot_block).
  // Gathering every address made random batches a third slower than single lookups, gathering
  // only node words made table-drawn ones 5-10% slower, and one loop holding both ways was
  // slower than either (sim/lpm/README.md). An IPv4 lookup is one or two loads, which the
  // out-of-order core already overlaps across a plain loop, and the passes' bookkeeping made it
  // slower.
  if (impl_->v6_tree.active()) {
    // Everything in L1, and no misses to overlap: the single lookups in a plain loop.
    const Tree6& tree = impl_->v6_tree;
    for (size_t i = 0; i < n; ++i) {
      const IpAddress& a = addresses[i];
      out[i] = a.is_v4() ? lookup_v4(a.v4_bits()) : tree.lookup(a.hi());
    }
    return;
  }
  const Poptrie6& v6 = impl_->v6;
  const std::span<const IpAddress> batch = addresses.first(n);
  BatchCursor at;
  while (at.next < n) {
    if (at.on_the_spot && !v6.empty()) {
      spot_block(*this, v6, batch, out.data(), at);
    } else {
      gather_block(*this, v6, batch, out.data(), at);
    }
  }
}

// Looks up n IPv4 addresses in blocks of kBlock, three blocks in flight: while one block is
// answered, the next one's direct words are read (prefetched a block earlier, so in L1) and
// their records prefetched, and the one after that has its direct words prefetched. A lookup
// then finds both its loads in L1, and the misses of two blocks are in flight at once without
// the core having to hold their dependent instructions (which is what limits single lookups).
// Each stage is a loop of kBlock independent steps with a constant count, unrolled whole:
// no loop bookkeeping, and the direct word is read once, not once per stage. A moved-from
// table never gets here, and a table without IPv4 routes reads the empty view's zeros.
template <int kBits>
void LpmTable::lookup_many_v4(const uint32_t* addresses, uint32_t* out, size_t n) const noexcept {
  const V4View view = v4_;
  constexpr int kShift = 32 - kBits;
  const size_t blocks = n / kBlock;
  // The direct words of the block being answered and of the next one.
  uint32_t words[2][kBlock];
  auto prefetch_direct = [&](const uint32_t* a) {
#pragma GCC unroll 8
    for (size_t k = 0; k < kBlock; ++k) {
      __builtin_prefetch(view.direct + (a[k] >> kShift));
    }
  };
  // A node word's payload is no blob offset, and the address may then be outside the blob:
  // harmless to a prefetch, which never faults, and computed as an integer, not a pointer, so
  // that it is not undefined either. Telling nodes apart costs more than it saves.
  auto read_direct = [&](const uint32_t* a, uint32_t* w) {
#pragma GCC unroll 8
    for (size_t k = 0; k < kBlock; ++k) {
      const uint32_t d = view.direct[a[k] >> kShift];
      w[k] = d;
      __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(view.blob) +
                                                       uintptr_t{d << 2}));
    }
  };
  if (blocks >= 2) {
    prefetch_direct(addresses);
    prefetch_direct(addresses + kBlock);
    read_direct(addresses, words[0]);
    for (size_t b = 0; b < blocks; ++b) {
      const uint32_t* a = addresses + b * kBlock;
      if (b + 2 < blocks) {
        prefetch_direct(a + 2 * kBlock);
      }
      if (b + 1 < blocks) {
        read_direct(a + kBlock, words[(b + 1) & 1]);
      }
      const uint32_t* w = words[b & 1];
      uint32_t* o = out + b * kBlock;
#pragma GCC unroll 8
      for (size_t k = 0; k < kBlock; ++k) {
        o[k] = answer_v4<kBits>(view, *this, a[k], w[k]);
      }
    }
  }
  // The tail, and batches too short for the pipeline to fill, go one by one.
  for (size_t i = (blocks >= 2 ? blocks : 0) * kBlock; i < n; ++i) {
    out[i] = lookup_v4_in<kBits>(view, *this, addresses[i]);
  }
}

// A small table stays in L1 and L2, so its batch is the single lookup in a plain loop, which
// the out-of-order core overlaps.
void LpmTable::lookup_many_v4_chunks(const uint32_t* addresses, uint32_t* out,
                                     size_t n) const noexcept {
  const V4View view = v4_;
  for (size_t i = 0; i < n; ++i) {
    out[i] = lookup_v4_chunks(view, addresses[i]);
  }
}

void LpmTable::lookup_batch_v4(std::span<const uint32_t> addresses,
                               std::span<uint32_t> out) const noexcept {
  const size_t n = batch_length(addresses.size(), out, impl_ != nullptr);
  if (n == 0) {
    return;
  }
  if (v4_.bits == kDirectBitsLarge) {
    lookup_many_v4<kDirectBitsLarge>(addresses.data(), out.data(), n);
  } else if (v4_.bits == kLayoutChunks) {
    lookup_many_v4_chunks(addresses.data(), out.data(), n);
  } else {
    lookup_many_v4<kDirectBitsSmall>(addresses.data(), out.data(), n);
  }
}

uint8_t lpm_v4_layout(const LpmTable& table) noexcept {
  return table.v4_.bits;
}

uint8_t lpm_v6_layout(const LpmTable& table) noexcept {
  if (table.impl_->v6_tree.active()) {
    return kLpmLayoutTree6;
  }
  return static_cast<uint8_t>(table.impl_->v6.direct_bits());
}

size_t LpmTable::memory_bytes() const noexcept {
  if (!impl_) {
    return 0;
  }
  return impl_->v4_chunks.memory_bytes() + impl_->v4.memory_bytes() +
         impl_->v6_tree.memory_bytes() + impl_->v6.memory_bytes();
}

}  // namespace egress
