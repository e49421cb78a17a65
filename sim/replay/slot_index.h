// An index of small integer ids whose keys live elsewhere (in the caller's own array): one
// 4-byte slot per id, so that a table of paths or flows is found by one hash probe without a
// second copy of its keys. Open addressing, linear probing, backward-shift deletion (no
// tombstones), at most half full, never shrinking.
//
// A slot's 32 bits:
//
//   31 ...................... log2(slots)  log2(slots)-1 ........ 0
//   +-------------------------------------+------------------------+
//   | the hash's top bits (a tag)          | the id                 |
//   +-------------------------------------+------------------------+
//
// An id is below the table's size: ids are dense (reused when freed) and at most half of the
// slots hold one, so the all-ones word (kEmpty) is never an id with its tag. The tag skips
// most comparisons of keys, each a load from the caller's array.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "util/prefetch.h"

namespace egress {

class SlotIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  SlotIndex() : slots_(size_t{1} << kInitialShift, kEmpty), shift_(kInitialShift) {}

  /// The first id of hash `h` for which `match(id)` holds, or kNone.
  template <class Match>
  uint32_t find(uint64_t h, Match&& match) const noexcept {
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const uint32_t word = slots_[i];
      if (word == kEmpty) {
        return kNone;
      }
      if (tag_matches(word, h) && match(id_in(word))) {
        return id_in(word);
      }
    }
  }

  /// Asks for the cache line of hash `h`'s first slot, for a find() a few packets later.
  void prefetch(uint64_t h) const noexcept { egress::prefetch(&slots_[h & (slots_.size() - 1)]); }
  /// The id in hash `h`'s first slot if its tag matches (most likely the one find() returns:
  /// worth prefetching its key), or kNone.
  uint32_t first(uint64_t h) const noexcept {
    const uint32_t word = slots_[h & (slots_.size() - 1)];
    return word != kEmpty && tag_matches(word, h) ? id_in(word) : kNone;
  }
  /// Adds `id` (not in the index) with hash `h`; `hash_of(id)` gives any id's hash when the
  /// table grows. Ids should be dense: the table grows to twice the largest.
  template <class HashOf>
  void insert(uint32_t id, uint64_t h, HashOf&& hash_of) {
    while ((count_ + 1) * 2 > slots_.size() || id >= slots_.size() / 2) {
      grow(hash_of);
    }
    place(id, h);
    ++count_;
  }

  /// Removes `id`, whose hash is `h`.
  template <class HashOf>
  void erase(uint32_t id, uint64_t h, HashOf&& hash_of) noexcept {
    const size_t mask = slots_.size() - 1;
    size_t hole = h & mask;
    while (slots_[hole] == kEmpty || id_in(slots_[hole]) != id) {
      hole = (hole + 1) & mask;
    }
    slots_[hole] = kEmpty;
    for (size_t i = (hole + 1) & mask; slots_[i] != kEmpty; i = (i + 1) & mask) {
      const size_t home = hash_of(id_in(slots_[i])) & mask;
      const bool movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
      if (movable) {
        slots_[hole] = slots_[i];
        slots_[i] = kEmpty;
        hole = i;
      }
    }
    --count_;
  }

  size_t size() const noexcept { return count_; }
  size_t memory_bytes() const noexcept { return slots_.capacity() * sizeof(uint32_t); }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  static constexpr uint32_t kInitialShift = 6;

  uint32_t id_in(uint32_t word) const noexcept {
    return word & static_cast<uint32_t>(slots_.size() - 1);
  }
  uint32_t tag_of(uint64_t h) const noexcept {
    return shift_ >= 32 ? 0 : static_cast<uint32_t>((h >> 32) << shift_);
  }
  bool tag_matches(uint32_t word, uint64_t h) const noexcept {
    return ((word ^ tag_of(h)) & ~static_cast<uint32_t>(slots_.size() - 1)) == 0;
  }
  void place(uint32_t id, uint64_t h) noexcept {
    const size_t mask = slots_.size() - 1;
    size_t i = h & mask;
    while (slots_[i] != kEmpty) {
      i = (i + 1) & mask;
    }
    slots_[i] = id | tag_of(h);
  }
  template <class HashOf>
  void grow(HashOf&& hash_of) {
    std::vector<uint32_t> old(slots_.size() * 2, kEmpty);
    old.swap(slots_);
    const auto old_mask = static_cast<uint32_t>(old.size() - 1);
    ++shift_;
    for (const uint32_t word : old) {
      if (word != kEmpty) {
        const uint32_t id = word & old_mask;
        place(id, hash_of(id));
      }
    }
  }

  std::vector<uint32_t> slots_;
  uint32_t shift_;  // log2 of the slots
  size_t count_ = 0;
};

}  // namespace egress
