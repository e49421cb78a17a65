#include "flow_table.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "replay_hash.h"

namespace egress {
namespace {

uint64_t endpoint_hash(const IpAddress& ip, uint16_t port) {
  return mix64(ip.hi() * 31 + ip.lo() + (uint64_t{port} << 48));
}

}  // namespace

uint64_t FlowTable::hash(const FlowKey& k) noexcept {
  uint64_t a = endpoint_hash(k.src, k.sport);
  uint64_t b = endpoint_hash(k.dst, k.dport);
  return mix64((a + b) ^ (a * b) ^ static_cast<uint64_t>(k.proto));
}

uint32_t FlowTable::find(const FlowKey& key, uint64_t h, bool* reverse) const noexcept {
  return index_.find(h, [&](uint32_t flow) {
    const FlowKey k = (*this)[flow].key;
    if (k == key) {
      *reverse = false;
      return true;
    }
    if (k.proto == key.proto && k.src == key.dst && k.dst == key.src && k.sport == key.dport &&
        k.dport == key.sport) {
      *reverse = true;
      return true;
    }
    return false;
  });
}

uint32_t FlowTable::add(const LiveFlow& flow, uint64_t h) {
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
  index_.insert(index, h, [this](uint32_t i) { return hash_of(i); });
  ++count_;
  return index;
}

void FlowTable::clear() {
  chunks_.clear();
  allocated_ = 0;
  free_.clear();
  used_.clear();
  index_ = SlotIndex();
  count_ = 0;
}

void FlowTable::remove(uint32_t index) {
  index_.erase(index, hash_of(index), [this](uint32_t i) { return hash_of(i); });
  used_[index] = false;
  free_.push_back(index);
  --count_;
}

size_t FlowTable::memory_bytes() const {
  return chunks_.size() * (kChunkMask + 1) * sizeof(LiveFlow) +
         chunks_.capacity() * sizeof(chunks_[0]) + index_.memory_bytes() +
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
  replace(i, e);
}

void FlowTimers::erase(uint32_t flow) {
  const uint32_t i = flows_[flow].timer;
  if (i == kNoTimer || all_due_) {
    return;
  }
  flows_[flow].timer = kNoTimer;
  const Entry last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) {
    return;
  }
  replace(i, last);
}

void FlowTimers::replace(size_t i, const Entry& e) noexcept {
  const bool earlier = before(e, heap_[i]);
  place(i, e);
  if (earlier) {
    sift_up(i);
  } else {
    sift_down(i);
  }
}

void FlowTimers::all_due_at(int64_t at) {
  // One pass reads each flow's id; then the sort reads only the entries. The end of input
  // walks them in this order without a heap pop each: with 100k flows open, popping was a
  // sixth of a capture's tail (bench/README.md, "Third round").
  std::vector<Entry> sorted(heap_.size());
  for (size_t i = 0; i < heap_.size(); ++i) {
    const uint32_t flow = heap_[i].flow;
    sorted[i] = keyed(static_cast<int64_t>(flows_[flow].id), flow);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const Entry& a, const Entry& b) { return a.at() < b.at(); });
  for (size_t i = 0; i < sorted.size(); ++i) {
    heap_[i] = sorted[i];
  }
  all_due_ = at;
}

void FlowTimers::clear() noexcept {
  heap_.clear();
}

void FlowTimers::sift_up(size_t i) noexcept {
  const Entry e = heap_[i];
  while (i > 0) {
    const size_t parent = (i - 1) / kArity;
    if (!before(e, heap_[parent])) {
      break;
    }
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
}

void FlowTimers::sift_down(size_t i) noexcept {
  const size_t n = heap_.size();
  if (i >= n) {
    return;
  }
  const Entry e = heap_[i];
  while (true) {
    const size_t first = kArity * i + 1;
    if (first >= n) {
      break;
    }
    size_t child = first;
    const size_t end = std::min(first + kArity, n);
    for (size_t c = first + 1; c < end; ++c) {
      if (before(heap_[c], heap_[child])) {
        child = c;
      }
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
