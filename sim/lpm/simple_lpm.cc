#include "egress/lpm/simple_lpm.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "lpm/lpm_entry_check_internal.h"

namespace egress {
namespace {

constexpr uint32_t kNoChild = 0;

// Walks the `count` most significant bits of `bits` from node `node`, updating `best` with
// every value passed. Returns false when the path ends early, so the caller stops.
template <class Node>
bool walk(const Node* nodes, uint64_t bits, int count, uint32_t& node, uint32_t& best) noexcept {
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

template <class Node>
void insert(std::vector<Node>& trie, const Prefix& prefix, uint32_t value) {
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

}  // namespace

SimpleLpm::SimpleLpm() : v4_(1), v6_(1) {}

Result<SimpleLpm> SimpleLpm::build(std::span<const LpmEntry> entries) {
  for (const LpmEntry& entry : entries) {
    if (auto error = check_lpm_entry(entry)) {
      return *std::move(error);
    }
  }
  SimpleLpm table;
  for (const LpmEntry& entry : entries) {
    insert(entry.prefix.address.is_v4() ? table.v4_ : table.v6_, entry.prefix, entry.value);
  }
  // Growth by doubling leaves up to half the capacity unused, and the table lives long.
  table.v4_.shrink_to_fit();
  table.v6_.shrink_to_fit();
  return table;
}

uint32_t SimpleLpm::lookup(const IpAddress& address) const noexcept {
  uint32_t node = 0;
  if (address.is_v4()) {
    if (v4_.empty()) {
      // Only a moved-from table gets here; it behaves as an empty one.
      return LpmTable::kNoMatch;
    }
    const Node* nodes = v4_.data();
    uint32_t best = nodes[0].value;
    walk(nodes, static_cast<uint64_t>(address.v4_bits()) << 32, 32, node, best);
    return best;
  }
  if (v6_.empty()) {
    return LpmTable::kNoMatch;
  }
  const Node* nodes = v6_.data();
  uint32_t best = nodes[0].value;
  if (walk(nodes, address.hi(), 64, node, best)) {
    walk(nodes, address.lo(), 64, node, best);
  }
  return best;
}

void SimpleLpm::lookup_batch(std::span<const IpAddress> addresses,
                             std::span<uint32_t> out) const noexcept {
  assert(out.size() >= addresses.size());
  size_t n = std::min(addresses.size(), out.size());
  for (size_t i = 0; i < n; ++i) {
    out[i] = lookup(addresses[i]);
  }
}

size_t SimpleLpm::memory_bytes() const noexcept {
  return (v4_.capacity() + v6_.capacity()) * sizeof(Node);
}

}  // namespace egress
