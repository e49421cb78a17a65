// Hashing for the replay's tables: fast, well mixed, and the same on every platform so that
// iteration-independent results stay reproducible.
#pragma once

#include <cstddef>
#include <cstdint>

#include "egress/net/ip_address.h"

namespace egress {

inline uint64_t mix64(uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

inline size_t mix_hash(uint64_t a, uint64_t b) noexcept {
  return static_cast<size_t>(mix64(a * 0x9e3779b97f4a7c15ULL ^ mix64(b)));
}

struct IpHash {
  size_t operator()(const IpAddress& ip) const noexcept {
    return mix_hash(ip.hi() ^ static_cast<uint64_t>(ip.family()), ip.lo());
  }
};

}  // namespace egress
