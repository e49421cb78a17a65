// Reading a topology file (../shared/spec/topology.md) into a Topology.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egress/config/topology.h"
#include "egress/util/result.h"

namespace egress {

/// What loading produced: a topology when the file can be simulated, and every error found
/// (sorted by position; empty when `topology` is set). Errors are what make a file unusable:
/// YAML syntax, unknown or duplicate keys, missing fields, bad values, malformed addresses,
/// dangling or duplicate names. What Azure would reject but can still be simulated is a
/// finding (topology_checks.h), not an error.
struct LoadResult {
  std::optional<Topology> topology;
  std::vector<Diagnostic> errors;
};

/// The environment variable from which the egress-sim binary takes LoadLimits::max_bytes; the
/// messages of the limits name it, as the way to raise them.
inline constexpr std::string_view kMaxTopologyBytesVariable = "EGRESS_MAX_TOPOLOGY_BYTES";

/// What one file may cost. yaml-cpp's nodes take about 40 times the text, so both limits are
/// checked before any node is built: a file over them costs time and memory in proportion to
/// the limit, not to the file. Real topologies are kilobytes.
struct LoadLimits {
  static constexpr uint64_t kDefaultMaxBytes = uint64_t{16} << 20;
  /// Map keys and list items allowed per byte of max_bytes, so that raising the one limit
  /// raises both: 1,048,576 by default.
  static constexpr uint64_t kBytesPerItem = 16;

  /// The size of the text: file-too-large, without a position, beyond it.
  uint64_t max_bytes = kDefaultMaxBytes;

  /// Map keys and list items the file may write (and visit, counting each use of an alias):
  /// too-large, at the one past the limit, beyond it.
  uint64_t max_items() const { return max_bytes < kBytesPerItem ? 1 : max_bytes / kBytesPerItem; }
};

/// LoadLimits from the text of kMaxTopologyBytesVariable: a positive number of bytes, with an
/// optional K, M or G suffix (powers of 1024). The error names the variable.
Result<LoadLimits> parse_load_limits(std::string_view max_bytes_text);

/// Parses YAML text. `file` names it in diagnostics and is kept in Topology::file.
LoadResult parse_topology(std::string_view yaml_text, const std::string& file,
                          const LoadLimits& limits = {});

/// Reads and parses a file. A file that cannot be read is one error with code `io`; one larger
/// than `limits.max_bytes` is one error with code `file-too-large`, found before it is read.
LoadResult load_topology_file(const std::string& path, const LoadLimits& limits = {});

}  // namespace egress
