// Text helpers shared by the diagrams (private to sim/report).
#pragma once

#include <string>
#include <string_view>

#include "egress/engine/flow.h"

namespace egress {

/// At most `max` characters (UTF-8 code points), with "..." when cut; never splits a
/// character.
std::string clipped(std::string_view text, size_t max);
/// "table/name 0.0.0.0/0 -> VirtualAppliance 10.0.1.4": a hop's route on one line.
std::string route_line(const RouteRef& route);
/// Its two halves: "table/name" (or the route's source) and "0.0.0.0/0 -> VirtualAppliance ...".
std::string route_label(const RouteRef& route);
std::string route_target(const RouteRef& route);
/// The end of a path as a person says it: "egress", "dropped: nsg-deny".
std::string verdict_line(const FlowResult& result);
/// Fill and stroke colours of a verdict.
const char* verdict_fill(Verdict v);
const char* verdict_stroke(Verdict v);

}  // namespace egress
