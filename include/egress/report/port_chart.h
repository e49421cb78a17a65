// A chart of SNAT ports in use over capture time against the pool's limit (replay's
// PortTimeline), for the HTML report.
#pragma once

#include <cstdint>
#include <string>

#include "egress/replay/replay.h"

namespace egress {

/// The most ports in use at once in the row's timeline (0 without samples).
uint64_t timeline_peak(const PortTimeline& timeline);

/// One <svg class="port-chart"> (inline HTML form): ports in use per time bucket, the limit
/// (row.ports) as a dashed line (written at the top instead when over 4x the peak, which
/// would flatten the use), the peak marked, buckets with refused flows shaded and the
/// first refusal's time marked. Its root carries data-name, data-peak and data-limit for
/// tools. `what` is "egress IP" or "resource".
std::string port_chart_svg(const UsageRow& row, const char* what);

/// Seconds since the capture's first packet, as the charts and tables write them ("12.5 s").
std::string capture_seconds(int64_t ns_since_start);

}  // namespace egress
