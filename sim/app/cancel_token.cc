#include "egress/app/cancel_token.h"

namespace egress {

std::optional<Diagnostic> CancelToken::check() const {
  if (cancelled()) {
    return Diagnostic{kCancelledCode, "the operation was cancelled", {}};
  }
  if (deadline_ && Clock::now() >= *deadline_) {
    return Diagnostic{kDeadlineExceededCode, "the operation ran past its deadline", {}};
  }
  return std::nullopt;
}

namespace {

class CancellableSource final : public PacketSource {
 public:
  CancellableSource(PacketSource& inner, const CancelToken& token, uint32_t every)
      : inner_(inner), token_(token), every_(every == 0 ? 1 : every) {}

  Result<bool> next(RawPacket& out) override {
    if (countdown_ == 0) {
      countdown_ = every_;
      if (std::optional<Diagnostic> stop = token_.check()) {
        return *stop;
      }
    }
    --countdown_;
    return inner_.next(out);
  }
  const std::vector<Diagnostic>& warnings() const override { return inner_.warnings(); }
  SourcePosition position() const override { return inner_.position(); }

 private:
  PacketSource& inner_;
  const CancelToken& token_;
  uint32_t every_;
  uint32_t countdown_ = 0;
};

}  // namespace

std::unique_ptr<PacketSource> make_cancellable_source(PacketSource& inner, const CancelToken& token,
                                                      uint32_t every) {
  return std::make_unique<CancellableSource>(inner, token, every);
}

}  // namespace egress
