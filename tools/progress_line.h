// The progress of a long replay or synth on stderr, as a progress bar shows it: how much of
// the input is read, the rate, the time elapsed and left. Only for a person watching: the
// caller shows it when stderr is a terminal and --quiet is not given.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "egress/replay/replay.h"

namespace egress {

class ProgressLine {
 public:
  /// `unit` names what the input position counts: "bytes" (capture files) or "flows".
  explicit ProgressLine(std::string unit);

  /// Redraws the line, at most a few times a second; `input` is how far the input is read.
  void update(const ReplayProgress& progress, const SourcePosition& input);
  /// Erases the line, if one is shown.
  void clear();

  /// The line for `progress` after `elapsed_s` seconds (no redraw; for tests of the wording).
  std::string text(const ReplayProgress& progress, const SourcePosition& input,
                   double elapsed_s) const;

 private:
  std::string unit_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
  size_t shown_width_ = 0;
};

}  // namespace egress
