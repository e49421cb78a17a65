#include "egress/net/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace egress {
namespace {

std::optional<uint32_t> parse_v4(std::string_view text) {
  uint32_t bits = 0;
  int octets = 0;
  size_t i = 0;
  while (octets < 4) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      ++i;
    }
    size_t digits = i - start;
    // Leading zeros are refused: some parsers read them as octal, and "010" is a typo anyway.
    if (digits == 0 || digits > 3 || (digits > 1 && text[start] == '0')) {
      return std::nullopt;
    }
    unsigned value = 0;
    std::from_chars(text.data() + start, text.data() + i, value);
    if (value > 255) {
      return std::nullopt;
    }
    bits = (bits << 8) | value;
    ++octets;
    if (octets < 4) {
      if (i >= text.size() || text[i] != '.') {
        return std::nullopt;
      }
      ++i;
    }
  }
  if (i != text.size()) {
    return std::nullopt;
  }
  return bits;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.find(':') == std::string_view::npos) {
    auto bits = parse_v4(text);
    if (!bits) {
      return std::nullopt;
    }
    return IpAddress::v4(*bits);
  }
  // inet_pton reads a C string, so an embedded NUL would end the text early and let the
  // garbage after it through.
  if (text.size() > INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::array<char, INET6_ADDRSTRLEN + 1> buf{};
  std::memcpy(buf.data(), text.data(), text.size());
  std::array<unsigned char, 16> raw{};
  if (inet_pton(AF_INET6, buf.data(), raw.data()) != 1) {
    return std::nullopt;
  }
  uint64_t hi = 0;
  uint64_t lo = 0;
  for (int k = 0; k < 8; ++k) {
    hi = (hi << 8) | raw[k];
    lo = (lo << 8) | raw[k + 8];
  }
  return IpAddress::v6(hi, lo);
}

IpAddress IpAddress::masked(int length) const noexcept {
  if (is_v4()) {
    uint32_t mask = length <= 0 ? 0 : (length >= 32 ? ~0U : ~0U << (32 - length));
    return IpAddress::v4(v4_bits() & mask);
  }
  uint64_t hmask = length <= 0 ? 0 : (length >= 64 ? ~0ULL : ~0ULL << (64 - length));
  uint64_t lmask = length <= 64 ? 0 : (length >= 128 ? ~0ULL : ~0ULL << (128 - length));
  return IpAddress::v6(hi_ & hmask, lo_ & lmask);
}

std::optional<IpAddress> IpAddress::offset(uint64_t n) const noexcept {
  if (is_v4()) {
    // Compared against the room left, not summed first: the sum wraps for n near 2^64.
    if (n > 0xffffffffULL - v4_bits()) {
      return std::nullopt;
    }
    return IpAddress::v4(static_cast<uint32_t>(v4_bits() + n));
  }
  uint64_t lo = lo_ + n;
  uint64_t carry = lo < lo_ ? 1 : 0;
  if (carry != 0 && hi_ == ~0ULL) {
    return std::nullopt;
  }
  return IpAddress::v6(hi_ + carry, lo);
}

std::string IpAddress::to_string() const {
  if (is_v4()) {
    uint32_t b = v4_bits();
    return std::to_string(b >> 24) + "." + std::to_string((b >> 16) & 255) + "." +
           std::to_string((b >> 8) & 255) + "." + std::to_string(b & 255);
  }
  std::array<unsigned char, 16> raw{};
  for (int k = 0; k < 8; ++k) {
    raw[k] = static_cast<unsigned char>(hi_ >> (56 - 8 * k));
    raw[k + 8] = static_cast<unsigned char>(lo_ >> (56 - 8 * k));
  }
  std::array<char, INET6_ADDRSTRLEN> buf{};
  inet_ntop(AF_INET6, raw.data(), buf.data(), buf.size());
  return std::string(buf.data());
}

Result<Prefix> Prefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto expected = [&] {
    return Error{"bad-prefix",
                 "expected an IPv4 or IPv6 prefix like 10.0.0.0/16 or fd00::/64, got '" +
                     std::string(text) + "'",
                 {}};
  };
  if (slash == std::string_view::npos) {
    return expected();
  }
  auto address = IpAddress::parse(text.substr(0, slash));
  std::string_view len_text = text.substr(slash + 1);
  // Digits only: from_chars alone would take a sign, and "-0" would pass as /0.
  bool digits_only = !len_text.empty() && std::all_of(len_text.begin(), len_text.end(),
                                                      [](char c) { return c >= '0' && c <= '9'; });
  if (!address || !digits_only || (len_text.size() > 1 && len_text[0] == '0')) {
    return expected();
  }
  int length = -1;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), length);
  if (ec != std::errc() || length > address->width()) {
    return Error{"bad-prefix",
                 "prefix length " + std::string(len_text) + " out of range 0.." +
                     std::to_string(address->width()) + " in '" + std::string(text) + "'",
                 {}};
  }
  Prefix p{address->masked(length), length};
  if (p.address != *address) {
    // Azure refuses host bits rather than masking them; so do we, with the likely intent.
    return Error{"host-bits",
                 std::string("'") + std::string(text) + "' has host bits set; did you mean " +
                     p.to_string() + "?",
                 {}};
  }
  return p;
}

uint64_t Prefix::size() const noexcept {
  int host_bits = address.width() - length;
  return host_bits >= 64 ? ~0ULL : (1ULL << host_bits);
}

std::string Prefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

}  // namespace egress
