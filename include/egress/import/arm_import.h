// Importing a network from Azure Resource Manager JSON (`egress-sim import`): what az, the
// REST API, Resource Graph and tools/azure-export.sh print, into a topology YAML
// (../shared/spec/topology.md). docs/azure-behaviour.md section A says how each resource maps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "egress/util/result.h"

namespace egress {

/// The environment variable from which the binary takes ImportOptions::max_file_bytes.
inline constexpr std::string_view kMaxImportBytesVariable = "EGRESS_MAX_IMPORT_BYTES";

struct ImportOptions {
  /// Findings become errors (no YAML).
  bool strict = false;
  /// Each JSON file's size limit (file-too-large beyond it).
  uint64_t max_file_bytes = uint64_t{256} << 20;
  /// The topology's `name:`; empty: the cluster's name, else "imported".
  std::string name;
};

/// What an import produced. `yaml` is empty when there are errors: an import is whole or
/// nothing. Findings say what was read but not used, synthesised, renamed or left out, each
/// with the JSON file (where.file) and the JSON pointer in the message (`at /0/properties`).
struct ImportResult {
  std::string yaml;
  std::vector<Diagnostic> findings;
  std::vector<Diagnostic> errors;
  /// Resources read (items with an ARM `type`), whatever became of them.
  size_t resources = 0;
};

/// ImportOptions::max_file_bytes from the text of kMaxImportBytesVariable: a positive number
/// of bytes with an optional K, M or G suffix (powers of 1024); the error names the variable.
Result<uint64_t> parse_max_import_bytes(std::string_view text);

/// Reads `sources` (files, folders, "-" for standard input) and builds the topology. Same
/// input, same bytes, whatever the order of `sources`: elements are sorted by ARM id.
ImportResult import_azure(std::span<const std::string> sources, const ImportOptions& options);

}  // namespace egress
