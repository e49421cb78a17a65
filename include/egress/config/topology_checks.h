// Findings: what a loadable topology shows that Azure would reject or that will misbehave
// (../shared/spec/cli.md, "errors versus findings"), including the AKS preflight rules of the
// cluster's outbound type with the codes AKS itself returns.
#pragma once

#include <vector>

#include "egress/config/topology.h"
#include "egress/util/result.h"

namespace egress {

/// Every finding, sorted by position. Empty for a topology Azure would accept as is.
std::vector<Diagnostic> check_topology(const Topology& topology);

}  // namespace egress
