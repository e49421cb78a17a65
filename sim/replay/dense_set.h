// A hash set for the replay's per-flow state: the entries packed in one array in no order,
// found through an open-addressing index of 4-byte positions (linear probing, load at most
// 1/2, backward-shift deletion). A std::unordered_map spends a heap node (pointer, malloc
// header, rounding) and a bucket on each entry; this spends the entry and 8 to 16 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

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
/// entry; the rest is its value. Insertion and erasure move entries: pointers last until the
/// next insert or erase.
template <class Entry, class Hash, class Equal>
class DenseSet {
 public:
  DenseSet() : index_(kInitialSlots, kEmpty) {}

  Entry* find(const Entry& key) noexcept { return at(slot_of(key)); }

  /// Where `key` is or would go, for a find and then an insert or erase without probing
  /// again. Valid until the next insert or erase.
  size_t slot(const Entry& key) const noexcept { return slot_of(key); }
  /// The entry at `slot`, or nullptr when the slot is empty.
  Entry* at(size_t slot) noexcept {
    return index_[slot] == kEmpty ? nullptr : &entries_[index_[slot]];
  }

  /// The entry with `entry`'s key, and whether it was added (false: one was there).
  std::pair<Entry*, bool> insert(const Entry& entry) {
    if ((entries_.size() + 1) * 2 > index_.size()) {
      grow();
    }
    return insert_at(slot_of(entry), entry);
  }
  /// insert() where `slot` is slot(entry).
  std::pair<Entry*, bool> insert_at(size_t slot, const Entry& entry) {
    if ((entries_.size() + 1) * 2 > index_.size()) {
      grow();
      slot = slot_of(entry);
    }
    if (index_[slot] != kEmpty) {
      return {&entries_[index_[slot]], false};
    }
    index_[slot] = static_cast<uint32_t>(entries_.size());
    entries_.push_back(entry);
    return {&entries_.back(), true};
  }

  /// Removes the entry with `key`'s key; false when there is none.
  bool erase(const Entry& key) noexcept { return erase_at(slot_of(key), nullptr); }
  /// Removes the entry at `slot` (from slot()), copied to `out` when not null; false when the
  /// slot is empty.
  bool erase_at(size_t hole, Entry* out) noexcept {
    if (index_[hole] == kEmpty) {
      return false;
    }
    const uint32_t position = index_[hole];
    if (out != nullptr) {
      *out = entries_[position];
    }
    remove_slot(hole);
    // The last entry fills the gap, and its slot follows it: found by its position, so that
    // the probe reads the index only.
    const auto last = static_cast<uint32_t>(entries_.size() - 1);
    if (position != last) {
      const size_t mask = index_.size() - 1;
      size_t i = Hash{}(entries_[last]) & mask;
      while (index_[i] != last) {
        i = (i + 1) & mask;
      }
      index_[i] = position;
      entries_[position] = entries_[last];
    }
    entries_.pop_back();
    return true;
  }

  size_t size() const noexcept { return entries_.size(); }
  size_t memory_bytes() const noexcept {
    return entries_.memory_bytes() + index_.capacity() * sizeof(uint32_t);
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  static constexpr size_t kInitialSlots = 64;

  // The slot holding `key`, or the empty slot where it would go.
  size_t slot_of(const Entry& key) const noexcept {
    const size_t mask = index_.size() - 1;
    for (size_t i = Hash{}(key)&mask;; i = (i + 1) & mask) {
      if (index_[i] == kEmpty || Equal{}(entries_[index_[i]], key)) {
        return i;
      }
    }
  }

  void remove_slot(size_t hole) noexcept {
    const size_t mask = index_.size() - 1;
    index_[hole] = kEmpty;
    for (size_t i = (hole + 1) & mask; index_[i] != kEmpty; i = (i + 1) & mask) {
      const size_t home = Hash{}(entries_[index_[i]]) & mask;
      const bool movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
      if (movable) {
        index_[hole] = index_[i];
        index_[i] = kEmpty;
        hole = i;
      }
    }
  }

  void grow() {
    index_.assign(index_.size() * 2, kEmpty);
    const size_t mask = index_.size() - 1;
    for (uint32_t e = 0; e < entries_.size(); ++e) {
      size_t i = Hash{}(entries_[e]) & mask;
      while (index_[i] != kEmpty) {
        i = (i + 1) & mask;
      }
      index_[i] = e;
    }
  }

  ChunkedVector<Entry> entries_;
  std::vector<uint32_t> index_;
};

}  // namespace egress
