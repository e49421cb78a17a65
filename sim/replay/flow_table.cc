#include "flow_table.h"

#include <algorithm>
#include <utility>

#include "replay_hash.h"

namespace egress {
namespace {

constexpr size_t kInitialSlots = 1024;

uint64_t endpoint_hash(const IpAddress& ip, uint16_t port) {
  return mix64(ip.hi() * 31 + ip.lo() + (uint64_t{port} << 48));
}

}  // namespace

FlowTable::FlowTable() : slots_(kInitialSlots) {}

// Symmetric in the two endpoints, so a reply hashes where its flow is.
uint64_t FlowTable::hash(const FlowKey& k) noexcept {
  uint64_t a = endpoint_hash(k.src, k.sport);
  uint64_t b = endpoint_hash(k.dst, k.dport);
  return mix64((a + b) ^ (a * b) ^ static_cast<uint64_t>(k.proto));
}

uint32_t FlowTable::find(const FlowKey& key, bool* reverse) const noexcept {
  uint64_t h = hash(key);
  auto tag = static_cast<uint32_t>(h >> 32);
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.flow == kNoFlow) {
      return kNoFlow;
    }
    if (s.tag == tag) {
      const FlowKey k = (*this)[s.flow].key;
      if (k == key) {
        *reverse = false;
        return s.flow;
      }
      if (k.proto == key.proto && k.src == key.dst && k.dst == key.src && k.sport == key.dport &&
          k.dport == key.sport) {
        *reverse = true;
        return s.flow;
      }
    }
  }
}

uint32_t FlowTable::add(const LiveFlow& flow) {
  if ((count_ + 1) * 2 > slots_.size()) {
    grow();
  }
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
    uint32_t generation = (*this)[index].generation + 1;
    (*this)[index] = flow;
    (*this)[index].generation = generation;
    used_[index] = true;
  } else {
    index = allocated_++;
    if ((index & kChunkMask) == 0) {
      chunks_.push_back(std::make_unique<LiveFlow[]>(kChunkMask + 1));
    }
    (*this)[index] = flow;
    used_.push_back(true);
  }
  uint64_t h = hash(flow.key);
  size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  while (slots_[i].flow != kNoFlow) {
    i = (i + 1) & mask;
  }
  slots_[i] = Slot{index, static_cast<uint32_t>(h >> 32)};
  ++count_;
  return index;
}

size_t FlowTable::slot_of(uint32_t index) const noexcept {
  size_t mask = slots_.size() - 1;
  for (size_t i = hash((*this)[index].key) & mask;; i = (i + 1) & mask) {
    if (slots_[i].flow == index) {
      return i;
    }
  }
}

void FlowTable::remove(uint32_t index) {
  // Backward-shift deletion: no tombstones, so probes stay short however many flows come
  // and go.
  size_t mask = slots_.size() - 1;
  size_t hole = slot_of(index);
  slots_[hole] = Slot{};
  for (size_t i = (hole + 1) & mask; slots_[i].flow != kNoFlow; i = (i + 1) & mask) {
    size_t home = hash((*this)[slots_[i].flow].key) & mask;
    bool movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
    if (movable) {
      slots_[hole] = slots_[i];
      slots_[i] = Slot{};
      hole = i;
    }
  }
  used_[index] = false;
  ++(*this)[index].generation;
  free_.push_back(index);
  --count_;
}

void FlowTable::grow() {
  std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(slots_.size() * 2));
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.flow == kNoFlow) {
      continue;
    }
    size_t i = hash((*this)[s.flow].key) & mask;
    while (slots_[i].flow != kNoFlow) {
      i = (i + 1) & mask;
    }
    slots_[i] = s;
  }
}

std::vector<uint32_t> FlowTable::live_in_order() const {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < allocated_; ++i) {
    if (used_[i]) {
      out.push_back(i);
    }
  }
  std::sort(out.begin(), out.end(),
            [&](uint32_t a, uint32_t b) { return (*this)[a].id < (*this)[b].id; });
  return out;
}

size_t FlowTable::memory_bytes() const {
  return chunks_.size() * (kChunkMask + 1) * sizeof(LiveFlow) +
         chunks_.capacity() * sizeof(chunks_[0]) + slots_.capacity() * sizeof(Slot) +
         free_.capacity() * sizeof(uint32_t) + used_.capacity() / 8;
}

}  // namespace egress
