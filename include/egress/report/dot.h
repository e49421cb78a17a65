// Graphviz DOT text of one path (`trace --dot`), for people who have Graphviz; nothing of
// ours runs `dot`: the reports' pictures are our own SVG (svg.h).
#pragma once

#include <string>
#include <string_view>

#include "egress/engine/flow.h"

namespace egress {

/// A DOT double-quoted string's content: `"` and `\` escaped, line ends as \n, other control
/// characters as `?`.
std::string dot_escape(std::string_view text);

/// `digraph path { ... }`: one node per hop (place, action, route, rule), then the verdict,
/// joined in order.
std::string trace_to_dot(const FlowResult& result);

}  // namespace egress
