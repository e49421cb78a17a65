// A way to stop a long operation (replay, synth, diff, migrate) from another thread, or when
// its time is up: the server cancels the replay of a client that went away, and gives each
// request a deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "egress/capture/raw_packet.h"
#include "egress/util/result.h"

namespace egress {

/// The codes of the errors a stopped operation answers with.
inline constexpr const char* kCancelledCode = "cancelled";
inline constexpr const char* kDeadlineExceededCode = "deadline-exceeded";

class CancelToken {
 public:
  using Clock = std::chrono::steady_clock;

  CancelToken() = default;
  explicit CancelToken(Clock::time_point deadline) : deadline_(deadline) {}
  /// Also stops when `flag` is set: a front end's own signal (the server's, set when its
  /// client is gone or it shuts down), which must outlive the token.
  explicit CancelToken(const std::atomic<bool>& flag) : also_(&flag) {}
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  /// Safe from any thread; the operation stops at its next check.
  void cancel() noexcept { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const noexcept {
    return cancelled_.load(std::memory_order_relaxed) ||
           (also_ != nullptr && also_->load(std::memory_order_relaxed));
  }
  const std::optional<Clock::time_point>& deadline() const noexcept { return deadline_; }

  /// The error to stop with (codes kCancelledCode, kDeadlineExceededCode), if it is time to.
  /// Reads the clock when a deadline is set: callers check every so many items, not each.
  std::optional<Diagnostic> check() const;

 private:
  std::atomic<bool> cancelled_{false};
  const std::atomic<bool>* also_ = nullptr;
  std::optional<Clock::time_point> deadline_;
};

/// `inner`'s packets, failing with the token's error once it says stop; the token is asked
/// every `every` packets (and before the first). Warnings and position are `inner`'s.
std::unique_ptr<PacketSource> make_cancellable_source(PacketSource& inner, const CancelToken& token,
                                                      uint32_t every = 1024);

}  // namespace egress
