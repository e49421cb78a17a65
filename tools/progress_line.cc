#include "progress_line.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "egress/report/replay_report.h"

namespace egress {
namespace {

constexpr auto kRedrawEvery = std::chrono::milliseconds(200);

// 75 -> "1:15", 3725 -> "1:02:05".
std::string clock_text(double seconds) {
  const auto s = static_cast<uint64_t>(std::max(0.0, seconds) + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60),
                  static_cast<unsigned long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llu:%02llu", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  }
  return buf;
}

}  // namespace

ProgressLine::ProgressLine(std::string unit)
    : unit_(std::move(unit)), start_(std::chrono::steady_clock::now()) {}

std::string ProgressLine::text(const ReplayProgress& p, const SourcePosition& in,
                               double elapsed_s) const {
  std::string line = "egress-sim: ";
  double fraction = -1;
  if (in.total != 0) {
    fraction = std::min(1.0, static_cast<double>(in.done) / static_cast<double>(in.total));
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3.0f%%", std::floor(fraction * 100));
    line += pct;
    line += " of " + (unit_ == "bytes" ? human_bytes(in.total) : grouped(in.total) + " " + unit_);
    line += ", ";
  }
  line += grouped(p.packets) + " packets";
  if (elapsed_s > 0) {
    line +=
        " (" + grouped(static_cast<uint64_t>(static_cast<double>(p.packets) / elapsed_s)) + "/s)";
  }
  line += ", " + grouped(p.flows) + " flows (" + grouped(p.live_flows) + " live), " +
          clock_text(elapsed_s) + " elapsed";
  if (fraction > 0.001) {
    line += ", " + clock_text(elapsed_s * (1 - fraction) / fraction) + " left";
  }
  return line;
}

void ProgressLine::update(const ReplayProgress& progress, const SourcePosition& input) {
  const auto now = std::chrono::steady_clock::now();
  if (shown_width_ != 0 && now - last_draw_ < kRedrawEvery) {
    return;
  }
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  std::string line = text(progress, input, elapsed);
  // Longer than the terminal, the line would wrap and \r would redraw only its last row.
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1 &&
      line.size() >= size.ws_col) {
    line.resize(size.ws_col - 1U);
  }
  // Pad over a longer previous line instead of clearing it: no flicker.
  const size_t width = line.size();
  if (width < shown_width_) {
    line.append(shown_width_ - width, ' ');
  }
  std::fprintf(stderr, "\r%s", line.c_str());
  std::fflush(stderr);
  shown_width_ = width;
}

void ProgressLine::clear() {
  if (shown_width_ != 0) {
    std::fprintf(stderr, "\r%*s\r", static_cast<int>(shown_width_), "");
    std::fflush(stderr);
    shown_width_ = 0;
  }
}

}  // namespace egress
