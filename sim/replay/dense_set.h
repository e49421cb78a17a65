// A hash set for the replay's per-flow state: the entries packed in one array in no order,
// found through an open-addressing index of 4-byte positions (linear probing, load at most
// 1/2, backward-shift deletion). A std::unordered_map spends a heap node (pointer, malloc
// header, rounding) and a bucket on each entry; this spends the entry and 8 to 16 bytes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "util/prefetch.h"

namespace egress {

/// A vector in chunks of 2^Bits elements that never move: growing neither holds the old and
/// the new array at once nor hands the old one back to the allocator, where it would stay
/// resident. Chunks are kept once made, so its memory follows the largest size it had.
template <class T, unsigned Bits = 12>
class ChunkedVector {
 public:
  T& operator[](size_t i) noexcept { return chunks_[i >> Bits][i & kMask]; }
  const T& operator[](size_t i) const noexcept { return chunks_[i >> Bits][i & kMask]; }
  T& back() noexcept { return (*this)[size_ - 1]; }
  void push_back(const T& value) {
    if (size_ == chunks_.size() << Bits) {
      chunks_.push_back(std::make_unique<T[]>(size_t{1} << Bits));
    }
    (*this)[size_++] = value;
  }
  void pop_back() noexcept { --size_; }
  void clear() noexcept {
    chunks_.clear();
    size_ = 0;
  }
  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  size_t memory_bytes() const noexcept {
    return (chunks_.size() << Bits) * sizeof(T) + chunks_.capacity() * sizeof(std::unique_ptr<T[]>);
  }

 private:
  static constexpr size_t kMask = (size_t{1} << Bits) - 1;
  std::vector<std::unique_ptr<T[]>> chunks_;
  size_t size_ = 0;
};

/// `Hash(const Entry&)` and `Equal(const Entry&, const Entry&)` see only the key part of an
/// entry; the rest is its value. An erased entry's place is reused by the next insert, so
/// entries never move; pointers last until the next insert or erase all the same.
///
/// An index slot holds the entry's position in its low log2(slots) bits (positions stay
/// below half the slots), then, while the index has at most 2^28 slots, 4 bits of distance
/// from the entry's home slot (15: that far or more, read the entry) and as many bits of its
/// hash above the home's as are left: a probe compares entries only when those bits match,
/// and a deletion's backward shift finds the homes of the entries it moves without reading
/// them. Those are the cache misses of a lookup in a set larger than the cache.
template <class Entry, class Hash, class Equal>
class DenseSet {
  static_assert(std::is_trivially_copyable_v<Entry> && sizeof(Entry) >= sizeof(uint32_t));

 public:
  DenseSet() : index_(kInitialSlots, kEmpty) { set_layout(); }

  Entry* find(const Entry& key) noexcept { return at(slot_of(key)); }

  /// Where `key` is or would go, for a find and then an insert or erase without probing
  /// again. Valid until the next insert or erase.
  size_t slot(const Entry& key) const noexcept { return slot_of(key); }
  /// The entry at `slot`, or nullptr when the slot is empty.
  Entry* at(size_t slot) noexcept {
    return index_[slot] == kEmpty ? nullptr : &entries_[position(index_[slot])];
  }

  /// Hints for a find, insert or erase of `key` a little later, in two steps a few calls
  /// apart: its home slot of the index, then (once that is in cache) the entry the slot
  /// names if its tag matches. They change nothing.
  void prefetch_slot(const Entry& key) const noexcept {
    prefetch(&index_[Hash{}(key) & (index_.size() - 1)]);
  }
  void prefetch_entry(const Entry& key) const noexcept {
    const size_t h = Hash{}(key);
    const uint32_t v = index_[h & (index_.size() - 1)];
    if (v != kEmpty && tag(v) == tag_of_hash(h)) {
      prefetch(&entries_[position(v)]);
    }
  }

  /// The entry with `entry`'s key, and whether it was added (false: one was there).
  std::pair<Entry*, bool> insert(const Entry& entry) {
    if ((size_ + 1) * 2 > index_.size()) {
      grow();
    }
    return insert_at(slot_of(entry), entry);
  }
  /// insert() where `slot` is slot(entry).
  std::pair<Entry*, bool> insert_at(size_t slot, const Entry& entry) {
    if ((size_ + 1) * 2 > index_.size()) {
      grow();
      slot = slot_of(entry);
    }
    if (index_[slot] != kEmpty) {
      return {&entries_[position(index_[slot])], false};
    }
    uint32_t at;
    if (free_ == kEmpty) {
      at = static_cast<uint32_t>(entries_.size());
      entries_.push_back(entry);
    } else {
      at = free_;
      std::memcpy(&free_, &entries_[at], sizeof free_);
      entries_[at] = entry;
    }
    ++size_;
    const size_t h = Hash{}(entry);
    index_[slot] = encode(at, distance(h & (index_.size() - 1), slot), h);
    return {&entries_[at], true};
  }

  /// Removes the entry with `key`'s key; false when there is none.
  bool erase(const Entry& key) { return erase_at(slot_of(key), nullptr); }
  /// Removes the entry at `slot` (from slot()), copied to `out` when not null; false when the
  /// slot is empty.
  bool erase_at(size_t hole, Entry* out) {
    if (index_[hole] == kEmpty) {
      return false;
    }
    const uint32_t at = position(index_[hole]);
    if (out != nullptr) {
      *out = entries_[at];
    }
    remove_slot(hole);
    std::memcpy(static_cast<void*>(&entries_[at]), &free_, sizeof free_);
    free_ = at;
    --size_;
    return true;
  }

  size_t size() const noexcept { return size_; }
  size_t memory_bytes() const noexcept {
    return entries_.memory_bytes() + index_.capacity() * sizeof(uint32_t);
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  static constexpr size_t kInitialSlots = 64;
  static constexpr unsigned kDistanceBits = 4;
  static constexpr uint32_t kFar = (1U << kDistanceBits) - 1;
  static constexpr unsigned kMaxTaggedBits = 32 - kDistanceBits;

  void set_layout() noexcept {
    bits_ = 0;
    while ((size_t{1} << bits_) < index_.size()) {
      ++bits_;
    }
    tagged_ = bits_ <= kMaxTaggedBits;
    tag_mask_ = tagged_ ? static_cast<uint32_t>((uint64_t{1} << (kMaxTaggedBits - bits_)) - 1) : 0;
  }

  uint32_t position(uint32_t v) const noexcept {
    return static_cast<uint32_t>(v & ((uint64_t{1} << bits_) - 1));
  }
  uint32_t tag_of_hash(size_t h) const noexcept {
    return static_cast<uint32_t>(static_cast<uint64_t>(h) >> bits_) & tag_mask_;
  }
  uint32_t tag(uint32_t v) const noexcept {
    return static_cast<uint32_t>(uint64_t{v} >> (bits_ + kDistanceBits)) & tag_mask_;
  }
  size_t distance(size_t home, size_t slot) const noexcept {
    return (slot - home) & (index_.size() - 1);
  }
  uint32_t with_distance(uint32_t v, size_t d) const noexcept {
    if (!tagged_) {
      return v;
    }
    const uint32_t field = kFar << bits_;
    return (v & ~field) | static_cast<uint32_t>(std::min<size_t>(d, kFar)) << bits_;
  }
  uint32_t encode(uint32_t at, size_t d, size_t h) const noexcept {
    if (!tagged_) {
      return at;
    }
    const uint64_t tag = uint64_t{tag_of_hash(h)} << (bits_ + kDistanceBits);
    return with_distance(at | static_cast<uint32_t>(tag), d);
  }
  // The home slot of the entry in slot i.
  size_t home_of(size_t i) const noexcept {
    const uint32_t v = index_[i];
    const uint32_t d = tagged_ ? (v >> bits_) & kFar : kFar;
    if (d != kFar) {
      return (i - d) & (index_.size() - 1);
    }
    return Hash{}(entries_[position(v)]) & (index_.size() - 1);
  }

  // The slot holding `key`, or the empty slot where it would go.
  size_t slot_of(const Entry& key) const noexcept {
    const size_t mask = index_.size() - 1;
    const size_t h = Hash{}(key);
    const uint32_t t = tag_of_hash(h);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const uint32_t v = index_[i];
      if (v == kEmpty || (tag(v) == t && Equal{}(entries_[position(v)], key))) {
        return i;
      }
    }
  }

  void remove_slot(size_t hole) noexcept {
    const size_t mask = index_.size() - 1;
    index_[hole] = kEmpty;
    for (size_t i = (hole + 1) & mask; index_[i] != kEmpty; i = (i + 1) & mask) {
      const size_t home = home_of(i);
      const bool movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
      if (movable) {
        index_[hole] = with_distance(index_[i], distance(home, hole));
        index_[i] = kEmpty;
        hole = i;
      }
    }
  }

  void grow() {
    std::vector<uint32_t> old(index_.size() * 2, kEmpty);
    old.swap(index_);
    const unsigned old_bits = bits_;
    set_layout();
    const size_t mask = index_.size() - 1;
    for (const uint32_t v : old) {
      if (v == kEmpty) {
        continue;
      }
      const auto at = static_cast<uint32_t>(v & ((uint64_t{1} << old_bits) - 1));
      const size_t h = Hash{}(entries_[at]);
      size_t i = h & mask;
      while (index_[i] != kEmpty) {
        i = (i + 1) & mask;
      }
      index_[i] = encode(at, distance(h & mask, i), h);
    }
  }

  ChunkedVector<Entry> entries_;
  // The last erased entry's place, which holds the one erased before it (kEmpty: none): the
  // next inserts' places, at no memory beyond the entries'.
  uint32_t free_ = kEmpty;
  std::vector<uint32_t> index_;
  size_t size_ = 0;
  unsigned bits_ = 0;
  bool tagged_ = true;
  uint32_t tag_mask_ = 0;
};

}  // namespace egress
