// Reading a topology file (../shared/spec/topology.md) into a Topology.
#pragma once

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

/// Parses YAML text. `file` names it in diagnostics and is kept in Topology::file.
LoadResult parse_topology(std::string_view yaml_text, const std::string& file);

/// Reads and parses a file. A file that cannot be read is one error with code `io`.
LoadResult load_topology_file(const std::string& path);

}  // namespace egress
