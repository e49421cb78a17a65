// The cancellation token and the source that stops on it.
#include "egress/app/cancel_token.h"

#include <gtest/gtest.h>

#include <vector>

namespace egress {
namespace {

// Endless packets, counted.
class Endless final : public PacketSource {
 public:
  Result<bool> next(RawPacket& out) override {
    out.number = ++read;
    return true;
  }
  const std::vector<Diagnostic>& warnings() const override { return warnings_; }
  uint64_t read = 0;

 private:
  std::vector<Diagnostic> warnings_;
};

TEST(CancelToken, SaysNothingUntilCancelled) {
  CancelToken token;
  EXPECT_FALSE(token.check().has_value());
  token.cancel();
  ASSERT_TRUE(token.check().has_value());
  EXPECT_EQ(token.check()->code, "cancelled");
  EXPECT_EQ(token.check()->message, "the operation was cancelled");
}

TEST(CancelToken, APassedDeadlineIsItsOwnError) {
  CancelToken token(CancelToken::Clock::now() - std::chrono::seconds(1));
  ASSERT_TRUE(token.check().has_value());
  EXPECT_EQ(token.check()->code, "deadline-exceeded");
  EXPECT_EQ(token.check()->message, "the operation ran past its deadline");
}

TEST(CancelToken, AFrontEndsFlagCancelsToo) {
  std::atomic<bool> gone{false};
  CancelToken token(gone);
  EXPECT_FALSE(token.check().has_value());
  gone = true;
  ASSERT_TRUE(token.check().has_value());
  EXPECT_EQ(token.check()->code, "cancelled");
}

TEST(CancelToken, CancelledWinsOverAPassedDeadline) {
  CancelToken token(CancelToken::Clock::now() - std::chrono::seconds(1));
  token.cancel();
  EXPECT_EQ(token.check()->code, "cancelled");
}

TEST(CancellableSource, StopsAtTheFirstCheckAfterTheCancel) {
  Endless inner;
  CancelToken token;
  std::unique_ptr<PacketSource> source = make_cancellable_source(inner, token, 4);
  RawPacket packet;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(source->next(packet).ok());
  }
  token.cancel();
  // Checked before packets 1, 5, 9: packets 7 and 8 still come.
  EXPECT_TRUE(source->next(packet).ok());
  EXPECT_TRUE(source->next(packet).ok());
  Result<bool> stopped = source->next(packet);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().code, "cancelled");
  EXPECT_EQ(inner.read, 8u);
}

TEST(CancellableSource, ChecksBeforeTheFirstPacket) {
  Endless inner;
  CancelToken token;
  token.cancel();
  std::unique_ptr<PacketSource> source = make_cancellable_source(inner, token);
  RawPacket packet;
  EXPECT_FALSE(source->next(packet).ok());
  EXPECT_EQ(inner.read, 0u);
}

}  // namespace
}  // namespace egress
