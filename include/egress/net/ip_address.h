// IPv4 and IPv6 addresses and prefixes. Dual-stack clusters exist, so every address in the
// topology and in a flow is one of these, never a bare uint32_t.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "egress/util/result.h"

namespace egress {

enum class Family : uint8_t { kV4 = 4, kV6 = 6 };

/// An IPv4 or IPv6 address held as 128 bits (IPv4 in the low 32 bits of `lo`). Ordering is
/// by family first, then numerically, so sorted lists keep IPv4 before IPv6.
class IpAddress {
 public:
  constexpr IpAddress() = default;
  static constexpr IpAddress v4(uint32_t bits) noexcept { return IpAddress(Family::kV4, 0, bits); }
  static constexpr IpAddress v6(uint64_t hi, uint64_t lo) noexcept {
    return IpAddress(Family::kV6, hi, lo);
  }

  /// Strict text form: dotted quad without leading zeros, or any RFC 4291 IPv6 text.
  static std::optional<IpAddress> parse(std::string_view text);

  constexpr Family family() const noexcept { return family_; }
  constexpr bool is_v4() const noexcept { return family_ == Family::kV4; }
  constexpr int width() const noexcept { return is_v4() ? 32 : 128; }
  constexpr uint32_t v4_bits() const noexcept { return static_cast<uint32_t>(lo_); }
  constexpr uint64_t hi() const noexcept { return hi_; }
  constexpr uint64_t lo() const noexcept { return lo_; }

  /// Bit `i` counted from the most significant bit of the address (0 .. width()-1).
  constexpr bool bit(int i) const noexcept {
    if (is_v4()) {
      return ((v4_bits() >> (31 - i)) & 1U) != 0;
    }
    return i < 64 ? ((hi_ >> (63 - i)) & 1U) != 0 : ((lo_ >> (127 - i)) & 1U) != 0;
  }

  /// The address with every bit after the first `length` cleared.
  IpAddress masked(int length) const noexcept;
  /// The address `n` further on, or nullopt when that leaves the address space.
  std::optional<IpAddress> offset(uint64_t n) const noexcept;

  std::string to_string() const;

  friend constexpr auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend constexpr bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  constexpr IpAddress(Family f, uint64_t hi, uint64_t lo) noexcept : family_(f), hi_(hi), lo_(lo) {}

  Family family_ = Family::kV4;
  uint64_t hi_ = 0;
  uint64_t lo_ = 0;
};

/// A CIDR prefix. Host bits are always clear: `parse` rejects them, as Azure does.
struct Prefix {
  IpAddress address;
  int length = 0;

  /// Parses `A.B.C.D/N` or `X::/N`. Errors say what was expected, and for host bits set,
  /// which prefix was probably meant. The error's location is left for the caller to fill.
  static Result<Prefix> parse(std::string_view text);
  /// The prefix of `length` bits that holds `address` (host bits cleared).
  static Prefix of(IpAddress address, int length) noexcept {
    return Prefix{address.masked(length), length};
  }
  static Prefix host(IpAddress address) noexcept { return Prefix{address, address.width()}; }

  Family family() const noexcept { return address.family(); }
  bool contains(const IpAddress& a) const noexcept {
    return a.family() == address.family() && a.masked(length) == address;
  }
  bool contains(const Prefix& p) const noexcept {
    return p.length >= length && contains(p.address);
  }
  bool overlaps(const Prefix& p) const noexcept { return contains(p) || p.contains(*this); }
  /// Number of addresses, saturated at 2^64.
  uint64_t size() const noexcept;

  std::string to_string() const;

  friend auto operator<=>(const Prefix&, const Prefix&) = default;
  friend bool operator==(const Prefix&, const Prefix&) = default;
};

}  // namespace egress
