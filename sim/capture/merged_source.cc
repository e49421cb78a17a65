// K-way merge of packet sources by capture time. Each input holds at most one packet, copied
// out of its source (whose bytes live only until its next call), so memory stays flat
// whatever the number and length of the captures.
#include <algorithm>

#include "egress/capture/capture_reader.h"

namespace egress {

struct MergedSource::Impl {
  struct Input {
    std::unique_ptr<PacketSource> source;
    RawPacket head;
    std::vector<uint8_t> bytes;  // head.data points here; reused, so it stops growing
  };

  std::vector<Input> inputs;
  std::vector<uint32_t> heap;  // indices of inputs holding a packet, earliest on top
  bool primed = false;
  bool refill_pending = false;
  uint32_t refill = 0;  // the input whose packet was handed out last
  mutable std::vector<Diagnostic> warnings;

  // Later means lower priority: std::*_heap keep the greatest on top.
  bool later(uint32_t a, uint32_t b) const {
    const RawPacket& pa = inputs[a].head;
    const RawPacket& pb = inputs[b].head;
    if (pa.ts_ns != pb.ts_ns) {
      return pa.ts_ns > pb.ts_ns;
    }
    return a > b;
  }

  // Fetches the next packet of input `i` into its buffer and onto the heap.
  Result<bool> fill(uint32_t i) {
    Input& in = inputs[i];
    Result<bool> got = in.source->next(in.head);
    if (!got) {
      return got.error();
    }
    if (!*got) {
      return false;
    }
    in.bytes.assign(in.head.data.begin(), in.head.data.end());
    in.head.data = std::span<const uint8_t>(in.bytes.data(), in.bytes.size());
    heap.push_back(i);
    std::push_heap(heap.begin(), heap.end(),
                   [this](uint32_t a, uint32_t b) { return later(a, b); });
    return true;
  }
};

MergedSource::MergedSource(std::vector<std::unique_ptr<PacketSource>> inputs)
    : impl_(std::make_unique<Impl>()) {
  impl_->inputs.reserve(inputs.size());
  for (auto& source : inputs) {
    impl_->inputs.push_back(Impl::Input{std::move(source), RawPacket{}, {}});
  }
  impl_->heap.reserve(impl_->inputs.size());
}

MergedSource::~MergedSource() = default;

Result<bool> MergedSource::next(RawPacket& out) {
  Impl& impl = *impl_;
  // One input needs no ordering and no copy.
  if (impl.inputs.size() == 1) {
    return impl.inputs[0].source->next(out);
  }
  if (!impl.primed) {
    impl.primed = true;
    for (uint32_t i = 0; i < impl.inputs.size(); ++i) {
      Result<bool> got = impl.fill(i);
      if (!got) {
        return got.error();
      }
    }
  }
  if (impl.refill_pending) {
    // Only now, since the caller was still using the packet's bytes until this call.
    impl.refill_pending = false;
    Result<bool> got = impl.fill(impl.refill);
    if (!got) {
      return got.error();
    }
  }
  if (impl.heap.empty()) {
    return false;
  }
  std::pop_heap(impl.heap.begin(), impl.heap.end(),
                [&impl](uint32_t a, uint32_t b) { return impl.later(a, b); });
  const uint32_t i = impl.heap.back();
  impl.heap.pop_back();
  out = impl.inputs[i].head;
  impl.refill = i;
  impl.refill_pending = true;
  return true;
}

// One input hands its packets out as they are; several are copied (each holds one packet).
bool MergedSource::keep_packets() {
  return impl_->inputs.size() == 1 && impl_->inputs[0].source->keep_packets();
}

std::shared_ptr<const void> MergedSource::pinned() {
  return impl_->inputs.size() == 1 ? impl_->inputs[0].source->pinned() : nullptr;
}

SourcePosition MergedSource::position() const {
  SourcePosition sum;
  for (const auto& in : impl_->inputs) {
    SourcePosition p = in.source->position();
    sum.done += p.done;
    sum.total += p.total;
  }
  return sum;
}

const std::vector<Diagnostic>& MergedSource::warnings() const {
  impl_->warnings.clear();
  for (const auto& in : impl_->inputs) {
    const auto& w = in.source->warnings();
    impl_->warnings.insert(impl_->warnings.end(), w.begin(), w.end());
  }
  return impl_->warnings;
}

Result<std::unique_ptr<PacketSource>> open_captures(const std::vector<std::string>& paths) {
  if (paths.empty()) {
    return Diagnostic{"capture-open", "no capture file given", {}};
  }
  if (std::count(paths.begin(), paths.end(), "-") > 1) {
    return Diagnostic{"capture-open",
                      "'-' is given more than once: standard input can be read only once",
                      SourceLocation{kStdinName, 0, 0}};
  }
  std::vector<std::unique_ptr<PacketSource>> inputs;
  inputs.reserve(paths.size());
  for (uint32_t i = 0; i < paths.size(); ++i) {
    auto reader = CaptureReader::open(paths[i], i);
    if (!reader) {
      return reader.error();
    }
    inputs.push_back(std::move(*reader));
  }
  return std::unique_ptr<PacketSource>(std::make_unique<MergedSource>(std::move(inputs)));
}

}  // namespace egress
