#include "egress/report/port_chart.h"

#include <algorithm>
#include <string>
#include <vector>

#include "egress/report/svg.h"

namespace egress {

uint64_t timeline_peak(const PortTimeline& timeline) {
  uint64_t peak = 0;
  for (uint32_t v : timeline.in_use) {
    peak = std::max<uint64_t>(peak, v);
  }
  return peak;
}

std::string capture_seconds(int64_t ns) {
  // Milliseconds, rounded, printed as seconds with up to three decimals.
  const int64_t ms = (std::max<int64_t>(ns, 0) + 500'000) / 1'000'000;
  std::string frac = std::to_string(ms % 1000);
  frac = std::string(3 - frac.size(), '0') + frac;
  while (!frac.empty() && frac.back() == '0') {
    frac.pop_back();
  }
  return std::to_string(ms / 1000) + (frac.empty() ? "" : "." + frac) + " s";
}

std::string port_chart_svg(const UsageRow& row, const char* what) {
  constexpr double kWidth = 640;
  constexpr double kHeight = 220;
  constexpr double kLeft = 64;
  constexpr double kRight = 16;
  constexpr double kTop = 36;
  constexpr double kBottom = 36;
  const PortTimeline& t = row.timeline;
  const uint64_t peak = timeline_peak(t);
  // A limit far above the use would flatten it to the axis: then the scale is the use's, and
  // the limit is written at the top instead of drawn.
  const bool limit_drawn = row.ports != 0 && row.ports <= peak * 4;
  const double top_value =
      static_cast<double>(std::max<uint64_t>({limit_drawn ? row.ports : 0, peak, 1})) * 1.1;
  const double plot_w = kWidth - kLeft - kRight;
  const double plot_h = kHeight - kTop - kBottom;
  const size_t buckets = std::max<size_t>(t.in_use.size(), 1);
  const double step = plot_w / static_cast<double>(buckets);
  auto y_of = [&](double v) { return kTop + plot_h - v / top_value * plot_h; };

  Svg svg(kWidth, kHeight, std::string("Ports in use over capture time, ") + what + " " + row.name,
          "port-chart");
  svg.attribute("data-name", row.name);
  svg.attribute("data-peak", std::to_string(peak));
  svg.attribute("data-limit", std::to_string(row.ports));
  svg.text(kLeft, 18,
           std::string(what) + " " + row.name +
               (row.resource.empty() || row.resource == row.name ? "" : " (" + row.resource + ")") +
               (row.via.empty() ? "" : ", " + row.via),
           13, "start", "#222", "bold");
  svg.rect(kLeft, kTop, plot_w, plot_h, "#fafafa", "#ccc");
  // Buckets where new flows found no port.
  for (size_t i = 0; i < t.exhausted.size(); ++i) {
    if (t.exhausted[i] != 0) {
      svg.rect(kLeft + step * static_cast<double>(i), kTop, step, plot_h, "#f8d0d0");
    }
  }
  // The ports in use, as steps: each bucket's most.
  std::vector<double> points;
  for (size_t i = 0; i < t.in_use.size(); ++i) {
    const double y = y_of(t.in_use[i]);
    points.push_back(kLeft + step * static_cast<double>(i));
    points.push_back(y);
    points.push_back(kLeft + step * static_cast<double>(i + 1));
    points.push_back(y);
  }
  if (!points.empty()) {
    svg.polyline(points, "#1f6feb", 2);
  }
  if (limit_drawn) {
    const double y = y_of(static_cast<double>(row.ports));
    svg.line(kLeft, y, kLeft + plot_w, y, "#c62828", 1.5, true);
    svg.text(kLeft + plot_w - 4, y - 4, "limit " + std::to_string(row.ports), 11, "end", "#c62828");
  } else if (row.ports != 0) {
    svg.text(kLeft + plot_w - 4, kTop - 4, "limit " + std::to_string(row.ports) + " (above)", 11,
             "end", "#c62828");
  }
  if (peak != 0) {
    size_t at = 0;
    while (at < t.in_use.size() && t.in_use[at] != peak) {
      ++at;
    }
    const double x = kLeft + step * (static_cast<double>(at) + 0.5);
    const double y = y_of(static_cast<double>(peak));
    svg.rect(x - 3, y - 3, 6, 6, "#1f6feb");
    svg.text(x + 6, y + (y < kTop + 14 ? 12 : -6), "peak " + std::to_string(peak), 11, "start",
             "#1f6feb");
  }
  if (t.first_exhausted_ns >= 0 && t.bucket_ns > 0) {
    const int64_t since = t.first_exhausted_ns - t.start_ns;
    const double x = kLeft + plot_w * static_cast<double>(since) /
                                 (static_cast<double>(t.bucket_ns) * static_cast<double>(buckets));
    svg.line(x, kTop, x, kTop + plot_h, "#c62828", 1.5);
    svg.text(x + 4, kTop + 12, "exhausted from " + capture_seconds(since), 11, "start", "#c62828");
  }
  // Axes: 0 and the top value on y; start and end of the capture on x.
  svg.text(kLeft - 6, kTop + plot_h + 4, "0", 10, "end", "#555");
  svg.text(kLeft - 6, kTop + 8, std::to_string(static_cast<uint64_t>(top_value)), 10, "end",
           "#555");
  svg.text(kLeft, kHeight - 14, "0 s", 10, "start", "#555");
  const int64_t span = t.bucket_ns * static_cast<int64_t>(buckets);
  svg.text(kLeft + plot_w, kHeight - 14, capture_seconds(span), 10, "end", "#555");
  svg.text(kLeft + plot_w / 2, kHeight - 4, "capture time", 10, "middle", "#555");
  svg.text(14, kTop + plot_h / 2, "ports", 10, "middle", "#555");
  return svg.str();
}

}  // namespace egress
