#include "flow_table.h"

#include <algorithm>
#include <utility>

#include "replay_hash.h"

namespace egress {
namespace {

constexpr uint32_t kInitialShift = 10;  // 1,024 slots

uint64_t endpoint_hash(const IpAddress& ip, uint16_t port) {
  return mix64(ip.hi() * 31 + ip.lo() + (uint64_t{port} << 48));
}

}  // namespace

FlowTable::FlowTable() : slots_(size_t{1} << kInitialShift, kNoFlow), shift_(kInitialShift) {}

// Symmetric in the two endpoints, so a reply hashes where its flow is.
uint64_t FlowTable::hash(const FlowKey& k) noexcept {
  uint64_t a = endpoint_hash(k.src, k.sport);
  uint64_t b = endpoint_hash(k.dst, k.dport);
  return mix64((a + b) ^ (a * b) ^ static_cast<uint64_t>(k.proto));
}

uint32_t FlowTable::find(const FlowKey& key, bool* reverse) const noexcept {
  uint64_t h = hash(key);
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const uint32_t word = slots_[i];
    if (word == kNoFlow) {
      return kNoFlow;
    }
    if (tag_matches(word, h)) {
      const uint32_t flow = flow_in(word);
      const FlowKey k = (*this)[flow].key;
      if (k == key) {
        *reverse = false;
        return flow;
      }
      if (k.proto == key.proto && k.src == key.dst && k.dst == key.src && k.sport == key.dport &&
          k.dport == key.sport) {
        *reverse = true;
        return flow;
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
    (*this)[index] = flow;
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
  while (slots_[i] != kNoFlow) {
    i = (i + 1) & mask;
  }
  slots_[i] = slot_word(index, h);
  ++count_;
  return index;
}

size_t FlowTable::slot_of(uint32_t index) const noexcept {
  size_t mask = slots_.size() - 1;
  for (size_t i = hash((*this)[index].key) & mask;; i = (i + 1) & mask) {
    if (slots_[i] != kNoFlow && flow_in(slots_[i]) == index) {
      return i;
    }
  }
}

void FlowTable::remove(uint32_t index) {
  // Backward-shift deletion: no tombstones, so probes stay short however many flows come
  // and go.
  size_t mask = slots_.size() - 1;
  size_t hole = slot_of(index);
  slots_[hole] = kNoFlow;
  for (size_t i = (hole + 1) & mask; slots_[i] != kNoFlow; i = (i + 1) & mask) {
    size_t home = hash((*this)[flow_in(slots_[i])].key) & mask;
    bool movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
    if (movable) {
      slots_[hole] = slots_[i];
      slots_[i] = kNoFlow;
      hole = i;
    }
  }
  used_[index] = false;
  free_.push_back(index);
  --count_;
}

void FlowTable::grow() {
  const auto old_mask = static_cast<uint32_t>(slots_.size() - 1);
  std::vector<uint32_t> old =
      std::exchange(slots_, std::vector<uint32_t>(slots_.size() * 2, kNoFlow));
  ++shift_;
  size_t mask = slots_.size() - 1;
  for (const uint32_t word : old) {
    if (word == kNoFlow) {
      continue;
    }
    const uint32_t flow = word & old_mask;
    const uint64_t h = hash((*this)[flow].key);
    size_t i = h & mask;
    while (slots_[i] != kNoFlow) {
      i = (i + 1) & mask;
    }
    slots_[i] = slot_word(flow, h);
  }
}

size_t FlowTable::memory_bytes() const {
  return chunks_.size() * (kChunkMask + 1) * sizeof(LiveFlow) +
         chunks_.capacity() * sizeof(chunks_[0]) + slots_.capacity() * sizeof(uint32_t) +
         free_.capacity() * sizeof(uint32_t) + used_.capacity() / 8;
}

void FlowTimers::set(uint32_t flow, int64_t at) {
  const Entry e = keyed(at, flow);
  uint32_t i = flows_[flow].timer;
  if (i == kNoTimer) {
    heap_.push_back(e);
    place(heap_.size() - 1, e);
    sift_up(heap_.size() - 1);
    return;
  }
  const bool earlier = before(e, heap_[i]);
  place(i, e);
  if (earlier) {
    sift_up(i);
  } else {
    sift_down(i);
  }
}

void FlowTimers::erase(uint32_t flow) {
  const uint32_t i = flows_[flow].timer;
  if (i == kNoTimer) {
    return;
  }
  flows_[flow].timer = kNoTimer;
  const Entry last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) {
    return;
  }
  const bool earlier = before(last, heap_[i]);
  place(i, last);
  if (earlier) {
    sift_up(i);
  } else {
    sift_down(i);
  }
}

void FlowTimers::all_due_at(int64_t at) {
  // One pass reads each flow's id, against one per comparison of a heap whose times are all
  // equal: at the end of a capture with 100k live flows that was 5% of a replay.
  for (size_t i = 0; i < heap_.size(); ++i) {
    const uint32_t flow = heap_[i].flow;
    heap_[i] = keyed(static_cast<int64_t>(flows_[flow].id), flow);
  }
  all_due_ = at;
  for (size_t i = heap_.size() / 2; i-- > 0;) {
    sift_down(i);
  }
}

void FlowTimers::sift_up(size_t i) noexcept {
  const Entry e = heap_[i];
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (!before(e, heap_[parent])) {
      break;
    }
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
}

void FlowTimers::sift_down(size_t i) noexcept {
  const Entry e = heap_[i];
  const size_t n = heap_.size();
  while (true) {
    size_t child = 2 * i + 1;
    if (child >= n) {
      break;
    }
    if (child + 1 < n && before(heap_[child + 1], heap_[child])) {
      ++child;
    }
    if (!before(heap_[child], e)) {
      break;
    }
    place(i, heap_[child]);
    i = child;
  }
  place(i, e);
}

}  // namespace egress
