// Raw bytes as one HTTP/1.1 request: Beast's parser, then the server's router and handlers
// (sim/server/api.h), buffered or streamed as the route is, without a socket. Invariants: no
// crash or sanitizer report; the answer's status is 1xx-5xx; a problem answer is JSON with
// its code, title and the status it was sent with.
#include <atomic>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "server/api.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using egress::Answer;

void check(unsigned status, const std::string& content_type, const std::string& body) {
  if (status < 100 || status > 599) {
    std::abort();
  }
  if (content_type == "application/problem+json") {
    nlohmann::json j = nlohmann::json::parse(body);
    if (!j.contains("code") || !j.contains("title") || j["status"] != status) {
      std::abort();
    }
  }
}

class MemoryBody final : public egress::BodySource {
 public:
  explicit MemoryBody(std::string body) : body_(std::move(body)) {}
  egress::Result<size_t> read(char* out, size_t n) override {
    const size_t k = std::min(n, body_.size() - at_);
    std::copy_n(body_.data() + at_, k, out);
    at_ += k;
    return k;
  }

 private:
  std::string body_;
  size_t at_ = 0;
};

class Collect final : public egress::ResponseWriter {
 public:
  bool answer(const Answer& a) override {
    check(a.status, a.content_type, a.body);
    return true;
  }
  bool begin(unsigned status, const std::string& type) override {
    check(status, type, "");
    return true;
  }
  bool chunk(std::string_view) override { return true; }
  bool finish() override { return true; }
};

struct World {
  egress::TopologyRegistry registry;
  egress::Metrics metrics;
  egress::ServerOptions options;
  World() {
    options.token = "t";  // so that PUT is reachable
    options.max_body_bytes = 1 << 20;
    auto set = egress::load_topology_set({EGRESS_FUZZ_TOPOLOGY});
    if (!set) {
      std::abort();
    }
    registry.replace(*set);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 << 10);
  parser.body_limit(world.options.max_body_bytes);
  parser.eager(true);
  beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!ec && !parser.is_done()) {
    parser.put_eof(ec);
  }
  if (ec || !parser.is_done()) {
    return 0;
  }
  const auto& req = parser.get();
  egress::ApiContext ctx;
  ctx.registry = &world.registry;
  ctx.metrics = &world.metrics;
  ctx.options = &world.options;
  const auto method = req.method_string();
  const auto target = req.target();
  const auto auth = req[http::field::authorization];
  egress::Dispatch d = egress::dispatch(ctx, std::string_view(method.data(), method.size()),
                                        std::string_view(target.data(), target.size()),
                                        std::string_view(auth.data(), auth.size()));
  static const std::atomic<bool> kNever{false};
  if (d.streamed) {
    MemoryBody body(req.body());
    Collect out;
    egress::stream(ctx, d, body, out, kNever);
  } else {
    Answer a = egress::answer(ctx, d, req.body());
    check(a.status, a.content_type, a.body);
  }
  return 0;
}
