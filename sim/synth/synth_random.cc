#include <algorithm>
#include <cmath>

#include "synth/synth_random_internal.h"

namespace egress::internal {
namespace {

constexpr double kLn2 = 0.6931471805599453094;
constexpr double kSqrtHalf = 0.7071067811865475244;
// ln 2 split as fdlibm does: the high part has trailing zero bits, so k * kLn2Hi is exact for
// the k that occur and the reduction loses no precision.
constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;

// GCC and Clang extension (x86-64, aarch64); __extension__ keeps -Wpedantic quiet.
__extension__ using Uint128 = unsigned __int128;

uint64_t splitmix64(uint64_t& state) noexcept {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Rng::Rng(uint64_t seed) noexcept {
  uint64_t state = seed;
  for (uint64_t& word : s_) {
    word = splitmix64(state);
  }
}

uint64_t Rng::below(uint64_t n) noexcept {
  Uint128 m = static_cast<Uint128>(next()) * n;
  auto low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<Uint128>(next()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

double Rng::exponential(double mean) noexcept {
  // 1 - u is in (0, 1], so the log is finite.
  return -mean * det_log(1.0 - uniform());
}

double det_log(double x) noexcept {
  // frexp and ldexp are exact, so only the series below rounds. x = m * 2^e with m in
  // [sqrt(1/2), sqrt(2)); ln m = 2 atanh(t), t = (m - 1) / (m + 1), |t| < 0.172.
  int e = 0;
  double m = std::frexp(x, &e);
  if (m < kSqrtHalf) {
    m *= 2;
    --e;
  }
  const double t = (m - 1) / (m + 1);
  const double t2 = t * t;
  double sum = 0;
  // Horner over 1/(2k+1) for k = 11..0: the next term is below 1e-18.
  for (int k = 11; k >= 0; --k) {
    sum = sum * t2 + 1.0 / (2 * k + 1);
  }
  return 2 * t * sum + e * kLn2;
}

double det_exp(double x) noexcept {
  // x = k ln2 + r with |r| <= ln2 / 2; e^r by its Taylor series (terms fall below 1e-19).
  const double k = std::nearbyint(x / kLn2);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  double sum = 1;
  for (int n = 22; n >= 1; --n) {
    sum = 1 + sum * r / n;
  }
  return std::ldexp(sum, static_cast<int>(k));
}

WeightedTable::WeightedTable(std::span<const double> weights) {
  cdf_.reserve(weights.size());
  double total = 0;
  for (double w : weights) {
    total += w;
    cdf_.push_back(total);
  }
  for (double& c : cdf_) {
    c /= total;
  }
  if (!cdf_.empty()) {
    cdf_.back() = 1;
  }
}

size_t WeightedTable::draw(Rng& rng) const noexcept {
  const double u = rng.uniform();
  // The first entry whose cumulative share exceeds u; zero-weight entries are never chosen.
  auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
  if (it == cdf_.end()) {
    --it;
  }
  return static_cast<size_t>(it - cdf_.begin());
}

}  // namespace egress::internal
