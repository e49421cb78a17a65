// Fuzz target for the LPM table: the bytes become a route table and probe addresses, and every
// entry point (lookup, lookup_v4, both batches) must give the linear scan's answer. The
// structure reads packed records with unaligned 8-byte loads, so ASan runs are the point.
#include <cstdint>
#include <cstring>
#include <vector>

#include "../lpm/reference_lpm.h"
#include "egress/lpm/lpm_table.h"
#include "fuzz_checks.h"

using egress::fuzz::check;

namespace {

// Reads the input front to back; past the end it yields zeros.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      v = (v << 8) | u8();
    }
    return v;
  }
  uint64_t u64() { return (uint64_t{u32()} << 32) | u32(); }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace

// Byte 0: bit 0 pads the table with 4,096 IPv4 host routes far from the rest and bit 2 with as
// many IPv6 ones (the family's large layout, 18 direct bits), bit 1 takes whole 32-bit values
// instead of small ones (small ones make records, large ones nodes and the kMaxValue
// edge). Then routes
// of 6 or 18 bytes: a byte whose bit 7 picks IPv6 and whose rest, modulo the width + 1, is the
// length; the address; a value. A zero byte ends the routes; the rest are probe addresses.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using egress::IpAddress;
  using egress::LpmEntry;
  using egress::LpmTable;
  using egress::Prefix;
  Bytes in(data, size);
  const uint8_t mode = in.u8();
  const bool wide_values = (mode & 2) != 0;
  std::vector<LpmEntry> routes;
  for (uint32_t i = 0; (mode & 1) != 0 && i < 4096; ++i) {
    routes.push_back({Prefix::host(IpAddress::v4(0xdf000000U + i * 37)), i});
  }
  for (uint32_t i = 0; (mode & 4) != 0 && i < 4096; ++i) {
    routes.push_back({Prefix::host(IpAddress::v6(0x3fff000000000000ULL, i * 37)), i});
  }
  const size_t padding = routes.size();
  while (!in.done() && routes.size() < padding + 512) {
    const uint8_t head = in.u8();
    if (head == 0) {
      break;
    }
    const bool v6 = (head & 0x80) != 0;
    IpAddress a = v6 ? IpAddress::v6(in.u64(), in.u64()) : IpAddress::v4(in.u32());
    const int length = (head & 0x7f) % (a.width() + 1);
    uint32_t value = wide_values ? in.u32() : (uint32_t{in.u8()} << 8 | in.u8());
    if (!wide_values) {
      value += 1000;  // Near the padding's values, so records mix both.
    }
    routes.push_back({Prefix::of(a, length), value});
  }
  auto built = LpmTable::build(routes);
  bool any_too_large = false;
  for (const LpmEntry& e : routes) {
    any_too_large = any_too_large || e.value > LpmTable::kMaxValue;
  }
  if (!built.ok()) {
    check(any_too_large && built.error().code == "lpm-value-range",
          "only out-of-range values fail the build");
    return 0;
  }
  check(!any_too_large, "an out-of-range value was accepted");
  const LpmTable& table = *built;
  const egress::ReferenceLpm reference(routes);

  std::vector<IpAddress> probes;
  std::vector<uint32_t> probes_v4;
  // Every route's first and last address, then the input's own probes.
  for (size_t i = padding; i < routes.size() && probes.size() < 96; ++i) {
    const Prefix& p = routes[i].prefix;
    probes.push_back(p.address);
    IpAddress ones = p.address.is_v4() ? IpAddress::v4(~0U) : IpAddress::v6(~0ULL, ~0ULL);
    IpAddress host = ones.masked(p.length);
    probes.push_back(p.address.is_v4()
                         ? IpAddress::v4(p.address.v4_bits() | ~host.v4_bits())
                         : IpAddress::v6(p.address.hi() | ~host.hi(), p.address.lo() | ~host.lo()));
  }
  while (!in.done() && probes.size() < 160) {
    const uint8_t kind = in.u8();
    probes.push_back((kind & 1) != 0 ? IpAddress::v6(in.u64(), in.u64()) : IpAddress::v4(in.u32()));
  }
  for (const IpAddress& a : probes) {
    if (a.is_v4()) {
      probes_v4.push_back(a.v4_bits());
    }
  }
  std::vector<uint32_t> batch(probes.size());
  table.lookup_batch(probes, batch);
  std::vector<uint32_t> batch_v4(probes_v4.size());
  table.lookup_batch_v4(probes_v4, batch_v4);
  size_t k = 0;
  for (size_t i = 0; i < probes.size(); ++i) {
    const uint32_t want = reference.lookup(probes[i]);
    check(table.lookup(probes[i]) == want, "lookup agrees with the linear scan");
    check(batch[i] == want, "lookup_batch agrees with the linear scan");
    if (probes[i].is_v4()) {
      check(table.lookup_v4(probes[i].v4_bits()) == want, "lookup_v4 agrees with the linear scan");
      check(batch_v4[k++] == want, "lookup_batch_v4 agrees with the linear scan");
    }
  }
  return 0;
}
