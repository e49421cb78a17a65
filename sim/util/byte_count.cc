#include "egress/util/byte_count.h"

#include <algorithm>

namespace egress {

std::optional<uint64_t> parse_byte_count(std::string_view text) {
  std::string_view digits = text;
  int shift = 0;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'K':
      case 'k':
        shift = 10;
        break;
      case 'M':
      case 'm':
        shift = 20;
        break;
      case 'G':
      case 'g':
        shift = 30;
        break;
      default:
        break;
    }
    if (shift != 0) {
      digits.remove_suffix(1);
    }
  }
  if (digits.empty() || digits.size() > 12 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (char c : digits) {
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  // The shift must not overflow either.
  if (value == 0 || value > (uint64_t{1} << (40 - shift))) {
    return std::nullopt;
  }
  return value << shift;
}

Result<uint64_t> parse_byte_limit(std::string_view text, std::string_view variable,
                                  uint64_t example) {
  if (std::optional<uint64_t> bytes = parse_byte_count(text)) {
    return *bytes;
  }
  return Error{"bad-value",
               std::string(variable) + ": expected a number of bytes like " +
                   std::to_string(example) + " or " + std::to_string(example >> 20) +
                   "M (K, M, G: powers of 1024), got '" + std::string(text) + "'",
               {}};
}

std::string byte_count_text(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 20) && bytes % (uint64_t{1} << 20) == 0) {
    return std::to_string(bytes >> 20) + " MiB";
  }
  if (bytes >= 1024 && bytes % 1024 == 0) {
    return std::to_string(bytes >> 10) + " KiB";
  }
  return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

}  // namespace egress
