// Loading a topology from a yaml-cpp node tree built in memory rather than parsed from text:
// the ARM importer builds the tree of the YAML it writes and loads it without parsing that text
// again. Nodes built in memory have no marks, so every position in the errors is {0, 0}; a
// caller that needs positions parses the text (parse_topology). Private to sim/.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

#include "egress/config/topology_loader.h"

namespace egress::internal {

/// What parse_topology(text) gives when yaml-cpp parses `text` into `root`, positions aside:
/// the text's size and characters are checked as parse_topology checks them, then `root` is
/// read.
LoadResult load_topology_tree(const YAML::Node& root, std::string_view text,
                              const std::string& file, const LoadLimits& limits = {});

}  // namespace egress::internal
