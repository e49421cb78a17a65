// LpmTable: a Poptrie (Asai and Ohara, SIGCOMM 2015) per address family, compiled from the route
// list. Why this shape, what it costs and what did not pay: sim/lpm/README.md.
#include "egress/lpm/lpm_table.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lpm/lpm_entry_check_internal.h"

// The default x86-64 target has no POPCNT instruction, and without it every trie step pays a
// bit-twiddling popcount of a dozen instructions. Every x86-64 CPU since 2008 has it. The
// pragma comes after the includes so only this file's own functions are compiled for it.
#if defined(__x86_64__) && defined(__clang__)
#pragma clang attribute push(__attribute__((target("popcnt"))), apply_to = function)
#define EGRESS_LPM_POPCNT_PUSHED 1
#elif defined(__x86_64__) && defined(__GNUC__)
#pragma GCC target("popcnt")
#endif

namespace egress {
namespace {

__extension__ using U128 = unsigned __int128;

// Address bits consumed per trie node: 2^6 slots, one bit each in a 64-bit vector.
constexpr int kStride = 6;
// Small tables, like a subnet's few hundred routes, index their direct-pointing array with the
// top 12 bits (16 KiB), so that the engine's many per-subnet tables stay small; 12 + 2 * 6 puts
// the common /24 at a node boundary. Large ones use the family's own width (see Poptrie4/6).
constexpr int kDirectBitsSmall = 12;
constexpr size_t kLargeTableRoutes = 4096;
// Addresses lookup_batch takes through one family's trie together: enough independent misses
// per pass to keep the core's miss queues full, few enough that the lane state stays in L1.
constexpr int kLanes = 64;

// One entry of the direct-pointing array, indexed by the top direct_bits_ of the address. It is
// either the answer, or a trie node, or, inlined, the leafvec of a node that has only leaves
// (most /18s of a real IPv4 table: their /19../24 routes end inside the node). Inlining those
// saves the one dependent load that costs most, the node's, on most lookups.
//
//   byte 0                         8              12
//        +-------------------------+---------------+
//        | leafvec (two uint32)    |     bits      |
//        +-------------------------+---------------+
//
//   leafvec != 0:  leaves only; bits is leaf_base as in Node: the leaf of slot v (the next 6
//                  address bits) is leaves_[bits + popcount(leafvec & ones(0..v))]
//   leafvec == 0:  bits is one of
//
//                  bit 31 30                                            0
//                      +--+---------------------------------------------+
//                      | 0|  value, 0 .. kMaxValue                       |  leaf: the answer
//                      | 1|  index into nodes_, 0 .. 2^31 - 2            |  node: walk the trie
//                      +--+---------------------------------------------+
//                      0xffffffff (kNoMatch) is a leaf too.
//
// A leaf-only node always has leafvec bit 0 set, so 0 is free to mean "not one". kMaxValue is
// 2^31 - 1 precisely so that a value and a node index fit one word: the test is one compare,
// `bits + 1 > 2^31`, which wraps kNoMatch to 0. 12 bytes rather than 16 because the 2^18
// entries of a large IPv4 table then take 3 MiB, not 4, and the table stays under 8 MiB.
struct DirectEntry {
  uint32_t leafvec_lo;
  uint32_t leafvec_hi;
  uint32_t bits;

  static constexpr uint32_t kNodeFlag = 0x80000000U;
  uint64_t leafvec() const noexcept { return (uint64_t{leafvec_hi} << 32) | leafvec_lo; }
  bool is_node() const noexcept { return bits + 1 > kNodeFlag; }
  uint32_t node() const noexcept { return bits & ~kNodeFlag; }
};
static_assert(sizeof(DirectEntry) == 12, "three words per direct entry");
static_assert(LpmTable::kMaxValue < DirectEntry::kNodeFlag, "values must not look like nodes");

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

inline uint64_t ones_through(unsigned v) noexcept {
  // For v == 63 the shift gives 0 and the subtraction all ones, which is what is wanted.
  return (uint64_t{2} << v) - 1;
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

// The trie of one address family. Key is uint64_t for IPv4 (address in the high 32 bits) and
// U128 for IPv6.
template <class Key, int kWidth, int kDirectBitsLarge>
class Poptrie {
 public:
  /// False when the trie would need more than 2^31 - 1 nodes (far beyond any real table).
  bool build(std::vector<const LpmEntry*>& entries) {
    if (entries.empty()) {
      return true;
    }
    direct_bits_ = entries.size() >= kLargeTableRoutes ? kDirectBitsLarge : kDirectBitsSmall;
    std::vector<Range> ranges = ranges_of(entries, kWidth);
    // Real tables need about one node per prefix and a leaf or two per node.
    nodes_.reserve(entries.size() / 2);
    leaves_.reserve(entries.size());
    direct_.resize(size_t{1} << direct_bits_);
    const int sub_bits = kWidth - direct_bits_;
    size_t cursor = 0;
    for (size_t j = 0; j < direct_.size(); ++j) {
      U128 at = U128{j} << sub_bits;
      cursor = seek(ranges, cursor, at);
      if (uniform(ranges, cursor, at, U128{1} << sub_bits)) {
        direct_[j] = {0, 0, ranges[cursor].value};
        continue;
      }
      uint32_t index = static_cast<uint32_t>(nodes_.size());
      nodes_.emplace_back();
      fill_node(ranges, index, at, direct_bits_, cursor);
      const Node& node = nodes_[index];
      if (node.vector != 0) {
        direct_[j] = {0, 0, DirectEntry::kNodeFlag | index};
        continue;
      }
      // No children were appended, so the node is the last one and can go.
      direct_[j] = {static_cast<uint32_t>(node.leafvec), static_cast<uint32_t>(node.leafvec >> 32),
                    node.leaf_base};
      nodes_.pop_back();
    }
    nodes_.shrink_to_fit();
    leaves_.shrink_to_fit();
    return nodes_.size() < DirectEntry::kNodeFlag - 1 && leaves_.size() < DirectEntry::kNodeFlag;
  }

  uint32_t lookup(Key key) const noexcept {
    if (direct_.empty()) {
      return LpmTable::kNoMatch;
    }
    const DirectEntry& e = direct_[static_cast<size_t>(key >> (kKeyBits - direct_bits_))];
    if (uint64_t leafvec = e.leafvec(); leafvec != 0) {
      return leaves_[e.bits + rank(leafvec & ones_through(slot_of(key, direct_bits_)))];
    }
    if (!e.is_node()) {
      return e.bits;
    }
    const Node* nodes = nodes_.data();
    uint32_t index = e.node();
    int offset = direct_bits_;
    for (;;) {
      const Node& n = nodes[index];
      unsigned v = slot_of(key, offset);
      uint64_t below = ones_through(v);
      if (((n.vector >> v) & 1U) == 0) {
        return leaves_[n.leaf_base + rank(n.leafvec & below)];
      }
      index = n.node_base + rank(n.vector & below);
      offset += kStride;
    }
  }

  // Looks up n <= kLanes keys level by level: one pass over all lanes reads their direct
  // entries, then one pass per trie level for the lanes still walking, then one pass for the
  // leaves. Within a pass the loads are independent, so the core keeps many misses in flight
  // at once, the way DPDK's bulk lookups do; lanes move between passes through branch-free
  // compaction, since whether a lane is done is as unpredictable as the address.
  void lookup_lanes(const Key* keys, uint32_t* const* out, int n) const noexcept {
    if (direct_.empty()) {
      for (int i = 0; i < n; ++i) {
        *out[i] = LpmTable::kNoMatch;
      }
      return;
    }
    uint32_t result[kLanes];
    int walking[kLanes];
    uint32_t node_at[kLanes];
    int leafing[kLanes];
    uint32_t leaf_at[kLanes];
    int walkers = 0;
    int leafers = 0;
    for (int i = 0; i < n; ++i) {
      const DirectEntry& e = direct_[static_cast<size_t>(keys[i] >> (kKeyBits - direct_bits_))];
      const uint64_t leafvec = e.leafvec();
      result[i] = e.bits;
      leafing[leafers] = i;
      leaf_at[leafers] = e.bits + rank(leafvec & ones_through(slot_of(keys[i], direct_bits_)));
      leafers += leafvec != 0 ? 1 : 0;
      walking[walkers] = i;
      node_at[walkers] = e.node();
      walkers += leafvec == 0 && e.is_node() ? 1 : 0;
    }
    const Node* nodes = nodes_.data();
    for (int offset = direct_bits_; walkers > 0; offset += kStride) {
      int still = 0;
      for (int w = 0; w < walkers; ++w) {
        const int i = walking[w];
        const Node& node = nodes[node_at[w]];
        const unsigned v = slot_of(keys[i], offset);
        const uint64_t below = ones_through(v);
        const bool child = ((node.vector >> v) & 1U) != 0;
        leafing[leafers] = i;
        leaf_at[leafers] = node.leaf_base + rank(node.leafvec & below);
        leafers += child ? 0 : 1;
        walking[still] = i;
        node_at[still] = node.node_base + rank(node.vector & below);
        still += child ? 1 : 0;
      }
      walkers = still;
    }
    const uint32_t* leaves = leaves_.data();
    for (int l = 0; l < leafers; ++l) {
      result[leafing[l]] = leaves[leaf_at[l]];
    }
    for (int i = 0; i < n; ++i) {
      *out[i] = result[i];
    }
  }

  size_t memory_bytes() const noexcept {
    return direct_.capacity() * sizeof(DirectEntry) + nodes_.capacity() * sizeof(Node) +
           leaves_.capacity() * sizeof(uint32_t);
  }

 private:
  static constexpr int kKeyBits = static_cast<int>(sizeof(Key)) * 8;

  // The range holding `at`, searching forward from `cursor` (which holds an earlier address).
  static size_t seek(const std::vector<Range>& ranges, size_t cursor, U128 at) {
    while (cursor + 1 < ranges.size() && ranges[cursor + 1].start <= at) {
      ++cursor;
    }
    return cursor;
  }

  // Whether [at, at + size) lies inside the range `cursor`, which holds `at`. Written as a
  // difference because at + size overflows for the last slot of the IPv6 space.
  static bool uniform(const std::vector<Range>& ranges, size_t cursor, U128 at, U128 size) {
    return cursor + 1 == ranges.size() || ranges[cursor + 1].start - at >= size;
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
  std::vector<DirectEntry> direct_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> leaves_;
};

// 18 bits for both families of a large table: 2^18 12-byte entries are 3 MiB. For IPv4, 18 + 6
// ends the first node level at /24, where most routes are, so most lookups read one direct
// entry and one leaf. For IPv6, 18 + 5 * 6 = 48 likewise lines the last level up with /48.
using Poptrie4 = Poptrie<uint64_t, 32, 18>;
using Poptrie6 = Poptrie<U128, 128, 18>;

inline uint64_t key4(const IpAddress& a) noexcept {
  return uint64_t{a.v4_bits()} << 32;
}
inline U128 key6(const IpAddress& a) noexcept {
  return (U128{a.hi()} << 64) | a.lo();
}

}  // namespace

struct LpmTable::Impl {
  Poptrie4 v4;
  Poptrie6 v6;
};

LpmTable::LpmTable() : impl_(std::make_unique<Impl>()) {}
LpmTable::~LpmTable() = default;
LpmTable::LpmTable(LpmTable&&) noexcept = default;
LpmTable& LpmTable::operator=(LpmTable&&) noexcept = default;

Result<LpmTable> LpmTable::build(std::span<const LpmEntry> entries) {
  std::vector<const LpmEntry*> v4;
  std::vector<const LpmEntry*> v6;
  for (const LpmEntry& entry : entries) {
    if (auto error = check_lpm_entry(entry)) {
      return *std::move(error);
    }
    (entry.prefix.address.is_v4() ? v4 : v6).push_back(&entry);
  }
  LpmTable table;
  if (!table.impl_->v4.build(v4) || !table.impl_->v6.build(v6)) {
    return Error{"lpm-too-large",
                 "route table of " + std::to_string(entries.size()) +
                     " entries needs more than 2^31 trie nodes",
                 {}};
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
    return impl_->v4.lookup(key4(address));
  }
  return lookup_v6(impl_->v6, address);
}

void LpmTable::lookup_batch(std::span<const IpAddress> addresses,
                            std::span<uint32_t> out) const noexcept {
  assert(out.size() >= addresses.size());
  // Never write past `out`, even when a release build lets a short one through.
  const size_t n = std::min(addresses.size(), out.size());
  if (!impl_) {
    std::fill_n(out.begin(), n, kNoMatch);
    return;
  }
  // IPv6 addresses are gathered kLanes at a time and walk their trie level by level: their
  // paths are five or six loads long, and overlapping them pays. An IPv4 lookup is one or two
  // loads, which the out-of-order core already overlaps across a plain loop, and the passes'
  // bookkeeping made it slower (sim/lpm/README.md).
  U128 keys6[kLanes];
  uint32_t* out6[kLanes];
  int n6 = 0;
  const Poptrie4& v4 = impl_->v4;
  for (size_t i = 0; i < n; ++i) {
    const IpAddress& a = addresses[i];
    if (a.is_v4()) {
      out[i] = v4.lookup(key4(a));
      continue;
    }
    keys6[n6] = key6(a);
    out6[n6++] = &out[i];
    if (n6 == kLanes) {
      impl_->v6.lookup_lanes(keys6, out6, n6);
      n6 = 0;
    }
  }
  impl_->v6.lookup_lanes(keys6, out6, n6);
}

size_t LpmTable::memory_bytes() const noexcept {
  if (!impl_) {
    return 0;
  }
  return impl_->v4.memory_bytes() + impl_->v6.memory_bytes();
}

}  // namespace egress

#if defined(EGRESS_LPM_POPCNT_PUSHED)
#pragma clang attribute pop
#endif
