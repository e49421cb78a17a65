// Reproducible randomness for the generator. std:: distributions and libm's log/exp may give
// different results on another standard library or CPU, so everything here is built from
// integer operations and IEEE +, -, *, / (the synth sources are compiled with
// -ffp-contract=off so that no FMA changes a rounding).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace egress::internal {

/// xoshiro256** (Blackman and Vigna), seeded through splitmix64 as its authors recommend.
class Rng {
 public:
  explicit Rng(uint64_t seed) noexcept;

  uint64_t next() noexcept {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, 1), 53 random bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// Uniform in [0, n) for n > 0 (Lemire's multiply-shift with rejection: no modulo bias).
  uint64_t below(uint64_t n) noexcept;

  /// Exponential with the given mean.
  double exponential(double mean) noexcept;

 private:
  static uint64_t rotl(uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

/// Natural logarithm of x > 0, to within a few ulp, identical on every IEEE-754 machine.
double det_log(double x) noexcept;
/// e^x for |x| < 700, as det_log.
double det_exp(double x) noexcept;
/// x^y for x > 0.
inline double det_pow(double x, double y) noexcept {
  return det_exp(y * det_log(x));
}

/// Draws an index with probability proportional to its weight: cumulative sums and a binary
/// search, O(log n) per draw.
class WeightedTable {
 public:
  WeightedTable() = default;
  /// `weights` must be non-negative with a positive sum.
  explicit WeightedTable(std::span<const double> weights);

  size_t size() const noexcept { return cdf_.size(); }
  size_t draw(Rng& rng) const noexcept;

 private:
  std::vector<double> cdf_;  // normalised, the last one exactly 1
};

}  // namespace egress::internal
