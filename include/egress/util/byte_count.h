// Sizes as people write them in the EGRESS_MAX_* environment variables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "egress/util/result.h"

namespace egress {

/// A positive number of bytes with an optional K, M or G suffix (powers of 1024, either case),
/// at most 1 TiB (more is a typo); nullopt for anything else.
std::optional<uint64_t> parse_byte_count(std::string_view text);

/// parse_byte_count for the environment variable `variable`, whose default is `example`:
/// the error (bad-value) names the variable and shows the forms it takes.
Result<uint64_t> parse_byte_limit(std::string_view text, std::string_view variable,
                                  uint64_t example);

/// A limit as people write it: "16 MiB", "512 KiB", "1000 bytes".
std::string byte_count_text(uint64_t bytes);

}  // namespace egress
