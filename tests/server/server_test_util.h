// A server started in-process on port 0 and a small Beast client for the tests.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <string>
#include <vector>

#include "egress/server/server.h"

namespace egress::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

inline std::string topology_path(const std::string& name) {
  return std::string(EGRESS_TOPOLOGIES_DIR) + "/" + name + ".yaml";
}

inline std::unique_ptr<Server> start_server(ServerOptions options = {},
                                            std::vector<std::string> names = {"aks-udr-firewall",
                                                                              "aks-loadbalancer"}) {
  options.listen = "127.0.0.1:0";
  options.threads = 2;
  options.shutdown_deadline_s = 2;
  std::vector<std::string> paths;
  for (const std::string& n : names) {
    paths.push_back(topology_path(n));
  }
  Result<std::unique_ptr<Server>> server = Server::start(paths, options);
  if (!server) {
    throw std::runtime_error(format_diagnostic(server.error(), "error"));
  }
  return std::move(server).value();
}

struct Reply {
  unsigned status = 0;  // 0: the connection closed without an answer
  std::string content_type;
  std::string body;
  http::response<http::string_body> raw;
};

/// A connection to the server; requests written as raw bytes or as Beast messages.
class Client {
 public:
  explicit Client(uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void send_raw(const std::string& bytes) {
    beast::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
  }
  Reply read() {
    Reply r;
    beast::error_code ec;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 32);
    http::read(socket_, buffer_, parser, ec);
    if (ec) {
      return r;
    }
    r.raw = parser.release();
    r.status = r.raw.result_int();
    r.content_type = std::string(r.raw[http::field::content_type]);
    r.body = r.raw.body();
    return r;
  }
  Reply request(http::verb method, const std::string& target, const std::string& body = {},
                const std::string& token = {}) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!token.empty()) {
      req.set(http::field::authorization, "Bearer " + token);
    }
    if (!body.empty() || method == http::verb::post || method == http::verb::put) {
      req.body() = body;
      req.prepare_payload();
    }
    beast::error_code ec;
    http::write(socket_, req, ec);
    return read();
  }
  /// True once the server has closed the connection (reads end), within `seconds`.
  bool closed_within(double seconds) {
    socket_.non_blocking(false);
    timeval tv{static_cast<time_t>(seconds), 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    ssize_t n = ::recv(socket_.native_handle(), &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }
  tcp::socket& socket() { return socket_; }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

inline Reply get(uint16_t port, const std::string& target, const std::string& token = {}) {
  Client c(port);
  return c.request(http::verb::get, target, {}, token);
}

inline Reply post(uint16_t port, const std::string& target, const std::string& body,
                  const std::string& token = {}) {
  Client c(port);
  return c.request(http::verb::post, target, body, token);
}

}  // namespace egress::testing
