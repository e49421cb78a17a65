// Hashing for the replay's tables: fast, well mixed, and the same on every platform so that
// iteration-independent results stay reproducible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

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

/// FNV-1a over the bytes of `text`: unlike std::hash, the same on every platform, so a value
/// seeded from a name (a resource's random stream) repeats everywhere.
inline uint64_t stable_hash(std::string_view text) noexcept {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) {
    h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  }
  return h;
}

struct IpHash {
  size_t operator()(const IpAddress& ip) const noexcept {
    return mix_hash(ip.hi() ^ static_cast<uint64_t>(ip.family()), ip.lo());
  }
};

}  // namespace egress
