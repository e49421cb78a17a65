#include "egress/lpm/lpm_table.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace egress {
namespace {

// One binary-trie node: the children for the next address bit being 0 and 1, and the value of
// the prefix that ends exactly here.
//
//   byte  0             4             8             12
//         +-------------+-------------+-------------+
//         |  child[0]   |  child[1]   |    value    |
//         +-------------+-------------+-------------+
//          uint32 index  uint32 index  uint32
//
// A child index of kNoChild means "no node": index 0 is always the root, and the root is
// nobody's child, so 0 is free to mean absent. `value` is kNoMatch when no prefix ends here;
// real values are at most kMaxValue, so the two can never be confused.
struct Node {
  uint32_t child[2] = {0, 0};
  uint32_t value = LpmTable::kNoMatch;
};
static_assert(sizeof(Node) == 12, "three uint32 words, no padding");

constexpr uint32_t kNoChild = 0;

using Trie = std::vector<Node>;

// Walks the `count` most significant bits of `bits` from node `node`, updating `best` with
// every value passed. Returns false when the path ends early, so the caller stops.
inline bool walk(const Node* nodes, uint64_t bits, int count, uint32_t& node,
                 uint32_t& best) noexcept {
  for (int i = 0; i < count; ++i) {
    uint32_t next = nodes[node].child[(bits >> 63) & 1U];
    if (next == kNoChild) {
      return false;
    }
    node = next;
    bits <<= 1;
    if (nodes[node].value != LpmTable::kNoMatch) {
      best = nodes[node].value;
    }
  }
  return true;
}

void insert(Trie& trie, const Prefix& prefix, uint32_t value) {
  uint32_t node = 0;
  for (int i = 0; i < prefix.length; ++i) {
    int b = prefix.address.bit(i) ? 1 : 0;
    uint32_t next = trie[node].child[b];
    if (next == kNoChild) {
      next = static_cast<uint32_t>(trie.size());
      // Index, not reference: push_back may move the nodes.
      trie.push_back(Node{});
      trie[node].child[b] = next;
    }
    node = next;
  }
  // Entries arrive in increasing precedence, so overwriting makes the later duplicate win.
  trie[node].value = value;
}

// The trie walks exactly `length` bits, so a prefix with host bits set would silently match a
// wider range than the caller wrote, and a length past the width would read past the address.
std::optional<Error> check_entry(const LpmEntry& entry) {
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

}  // namespace

struct LpmTable::Impl {
  // Both tries always hold their root, so lookups never test for an empty table.
  Trie v4{Node{}};
  Trie v6{Node{}};
};

LpmTable::LpmTable() : impl_(std::make_unique<Impl>()) {}
LpmTable::~LpmTable() = default;
LpmTable::LpmTable(LpmTable&&) noexcept = default;
LpmTable& LpmTable::operator=(LpmTable&&) noexcept = default;

Result<LpmTable> LpmTable::build(std::span<const LpmEntry> entries) {
  for (const LpmEntry& entry : entries) {
    if (auto error = check_entry(entry)) {
      return *std::move(error);
    }
  }
  LpmTable table;
  Impl& impl = *table.impl_;
  for (const LpmEntry& entry : entries) {
    insert(entry.prefix.address.is_v4() ? impl.v4 : impl.v6, entry.prefix, entry.value);
  }
  // Growth by doubling leaves up to half the capacity unused, and the table lives long.
  impl.v4.shrink_to_fit();
  impl.v6.shrink_to_fit();
  return table;
}

uint32_t LpmTable::lookup(const IpAddress& address) const noexcept {
  if (!impl_) {
    // Only a moved-from table gets here; it behaves as an empty one.
    return kNoMatch;
  }
  uint32_t node = 0;
  if (address.is_v4()) {
    const Node* nodes = impl_->v4.data();
    uint32_t best = nodes[0].value;
    walk(nodes, static_cast<uint64_t>(address.v4_bits()) << 32, 32, node, best);
    return best;
  }
  const Node* nodes = impl_->v6.data();
  uint32_t best = nodes[0].value;
  if (walk(nodes, address.hi(), 64, node, best)) {
    walk(nodes, address.lo(), 64, node, best);
  }
  return best;
}

void LpmTable::lookup_batch(std::span<const IpAddress> addresses,
                            std::span<uint32_t> out) const noexcept {
  assert(out.size() >= addresses.size());
  // Never write past `out`, even when a release build lets a short one through.
  size_t n = std::min(addresses.size(), out.size());
  for (size_t i = 0; i < n; ++i) {
    out[i] = lookup(addresses[i]);
  }
}

size_t LpmTable::memory_bytes() const noexcept {
  if (!impl_) {
    return 0;
  }
  return (impl_->v4.capacity() + impl_->v6.capacity()) * sizeof(Node);
}

}  // namespace egress
