// The first lookup structure of the project, a plain binary trie, one node per prefix bit. Kept
// as the simple baseline the benchmarks compare LpmTable against; the engine does not use it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "egress/lpm/lpm_table.h"
#include "egress/util/result.h"

namespace egress {

/// Longest-prefix match by walking one address bit per step. Same contract as LpmTable: the
/// later of two equal prefixes wins, values above LpmTable::kMaxValue are refused at build,
/// `lookup` returns LpmTable::kNoMatch on a miss.
class SimpleLpm {
 public:
  SimpleLpm();

  /// Fails like LpmTable::build, with the same codes and messages.
  static Result<SimpleLpm> build(std::span<const LpmEntry> entries);

  uint32_t lookup(const IpAddress& address) const noexcept;
  void lookup_batch(std::span<const IpAddress> addresses, std::span<uint32_t> out) const noexcept;
  /// Bytes held by the two tries.
  size_t memory_bytes() const noexcept;

 private:
  // One binary-trie node: the children for the next address bit being 0 and 1, and the value of
  // the prefix that ends exactly here.
  //
  //   byte  0             4             8             12
  //         +-------------+-------------+-------------+
  //         |  child[0]   |  child[1]   |    value    |
  //         +-------------+-------------+-------------+
  //          uint32 index  uint32 index  uint32
  //
  // Index 0 is always the root and the root is nobody's child, so a child index of 0 means
  // "no node". `value` is kNoMatch when no prefix ends here.
  struct Node {
    uint32_t child[2] = {0, 0};
    uint32_t value = LpmTable::kNoMatch;
  };
  static_assert(sizeof(Node) == 12, "three uint32 words, no padding");

  // Both tries always hold their root, so lookups never test for an empty table.
  std::vector<Node> v4_;
  std::vector<Node> v6_;
};

}  // namespace egress
