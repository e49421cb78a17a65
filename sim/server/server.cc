// The network side: N threads, each running its own io_context (as nginx runs a worker per
// core: a connection stays on one thread, no locks or wake-ups between threads per request),
// an acceptor handing connections out in turn, a Beast session per connection for the
// buffered routes, and a worker thread per streamed request (replay,
// synth, diff, migrate) that reads the body as the work consumes it.
#include "egress/server/server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>
#include <utility>

#include "server/api.h"

namespace egress {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct ListenAddress {
  asio::ip::address address;
  uint16_t port = 0;
};

Result<ListenAddress> parse_listen(const std::string& text) {
  auto bad_listen = [&] {
    return Diagnostic{
        "bad-listen", "--listen: '" + text + "' is not HOST:PORT (127.0.0.1:8080, [::1]:8080)", {}};
  };
  std::string host;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad_listen();
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      return bad_listen();
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host == "localhost") {
    host = "127.0.0.1";
  }
  boost::system::error_code ec;
  ListenAddress out;
  out.address = asio::ip::make_address(host, ec);
  if (ec || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535) {
    return bad_listen();
  }
  out.port = static_cast<uint16_t>(std::stoul(port));
  return out;
}

}  // namespace

Result<bool> check_listen(const ServerOptions& options) {
  Result<ListenAddress> listen = parse_listen(options.listen);
  if (!listen) {
    return listen.error();
  }
  if (!listen->address.is_loopback() && options.token.empty() && !options.insecure) {
    return Diagnostic{"exposed",
                      "--listen " + options.listen +
                          " is not a loopback address: give --token TOKEN (clients send "
                          "'Authorization: Bearer TOKEN') or --insecure to serve anyone who "
                          "can reach it",
                      {}};
  }
  return true;
}

Result<StaticAssets> read_static_assets(const std::string& dir) {
  namespace fs = std::filesystem;
  StaticAssets assets;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec);
  if (ec) {
    return Diagnostic{"io", "--web-root: " + ec.message(), {dir, 0, 0}};
  }
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".json", "application/json"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"}};
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      return Diagnostic{"io", "--web-root: " + ec.message(), {dir, 0, 0}};
    }
    if (!it->is_regular_file()) {
      continue;
    }
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!in) {
      return Diagnostic{"io", "cannot read it", {it->path().string(), 0, 0}};
    }
    auto type = kTypes.find(it->path().extension().string());
    StaticAsset asset{type == kTypes.end() ? "application/octet-stream" : type->second,
                      bytes.str()};
    const std::string path = "/" + fs::relative(it->path(), dir).generic_string();
    if (path == "/index.html") {
      assets["/"] = asset;
    }
    assets[path] = std::move(asset);
  }
  return assets;
}

struct Server::Impl {
  ServerOptions options;
  std::vector<std::string> paths;
  TopologyRegistry registry;
  Metrics metrics;
  // The other threads' contexts. Declared first so that they outlive `ioc`: its pending accept
  // holds a socket of one of them, destroyed with `ioc`.
  std::vector<std::unique_ptr<asio::io_context>> more;
  asio::io_context ioc{1};  // the first thread's: the acceptor and the signals live here
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep;
  size_t next = 0;  // the context the next connection goes to
  tcp::acceptor acceptor{ioc};
  std::optional<asio::signal_set> signals;
  std::vector<std::thread> threads;
  uint16_t port = 0;

  std::mutex mutex;  // guards what follows, and serialises log calls and reloads
  std::condition_variable changed;
  bool stopping = false;
  bool stopped = false;
  unsigned workers = 0;   // streamed requests' threads alive: stop() waits for them
  unsigned admitted = 0;  // of those, the ones still held against --max-replays

  // A streamed request's hold on --max-replays ends as its last bytes go out, before its
  // thread closes the connection: a client that sends its next request as soon as it has the
  // answer must find the slot free.
  void release_admission(bool& held) {
    if (!held) {
      return;
    }
    held = false;
    std::lock_guard<std::mutex> lock(mutex);
    --admitted;
  }
  std::atomic<bool> cancel{false};
  std::atomic<bool> accepting{true};

  ApiContext context() {
    ApiContext c;
    c.registry = &registry;
    c.metrics = &metrics;
    c.options = &options;
    return c;
  }

  void log(const std::string& line) {
    if (options.log) {
      options.log(line);
    }
  }

  void accept();
  void wait_signal();
  Result<bool> reload();
  void stop();
};

namespace {

std::chrono::milliseconds seconds(double s) {
  return std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
}

// Blocking I/O on a connection's descriptor for the worker threads. A call tries the socket
// first and waits only when it would block, in slices of 100 ms so that a cancellation is seen
// while waiting (data wakes the wait at once); a stall of the idle timeout ends it.
class RawConnection {
 public:
  RawConnection(int fd, double idle_s, const std::atomic<bool>& cancel)
      : fd_(fd), idle_(seconds(idle_s)), cancel_(cancel) {}

  // Bytes read (0: the client closed), or -1 (error, stall, cancel).
  ssize_t read(char* out, size_t n) {
    while (true) {
      ssize_t got = ::recv(fd_, out, n, MSG_DONTWAIT);
      if (got >= 0) {
        return got;
      }
      if (errno == EINTR) {
        continue;
      }
      if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait(POLLIN)) {
        return -1;
      }
    }
  }

  bool write(std::string_view data) { return write({data}); }

  // The pieces in one system call where the socket takes them (a chunk's size line, its data
  // and its end), so no piece waits behind another for an acknowledgement.
  bool write(std::initializer_list<std::string_view> pieces) {
    std::array<iovec, 4> iov{};
    size_t count = 0;
    for (std::string_view p : pieces) {
      if (!p.empty()) {
        iov[count++] = {const_cast<char*>(p.data()), p.size()};
      }
    }
    iovec* next = iov.data();
    while (count != 0) {
      msghdr msg{};
      msg.msg_iov = next;
      msg.msg_iovlen = count;
      ssize_t sent = ::sendmsg(fd_, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EINTR) {
          continue;
        }
        if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait(POLLOUT)) {
          return false;
        }
        continue;
      }
      auto left = static_cast<size_t>(sent);
      while (count != 0 && left >= next->iov_len) {
        left -= next->iov_len;
        ++next;
        --count;
      }
      if (count != 0) {
        next->iov_base = static_cast<char*>(next->iov_base) + left;
        next->iov_len -= left;
      }
    }
    return true;
  }

 private:
  bool wait(short events) {
    const Clock::time_point end = Clock::now() + idle_;
    while (!cancel_.load()) {
      pollfd p{fd_, events, 0};
      int r = ::poll(&p, 1, 100);
      if (r > 0) {
        return true;
      }
      if (r < 0 && errno != EINTR) {
        return false;
      }
      if (Clock::now() >= end) {
        return false;
      }
    }
    return false;
  }

  int fd_;
  std::chrono::milliseconds idle_;
  const std::atomic<bool>& cancel_;
};

// The request body through Beast's parser, read from the connection as asked for. A body of
// known length, once the parser holds no more of it, bypasses the parser: the connection is
// read 256 KiB at a time (the stdio stream over the body asks for 8 KiB: glibc ignores the size
// given to setvbuf without a buffer), straight into the caller's buffer when that is large.
class ParsedBody final : public BodySource {
 public:
  ParsedBody(http::request_parser<http::buffer_body>& parser, beast::flat_buffer& pending,
             RawConnection& io)
      : parser_(parser), pending_(pending), io_(io) {}

  Result<size_t> read(char* out, size_t n) override {
    if (direct_) {
      return read_direct(out, n);
    }
    while (true) {
      if (parser_.is_done()) {
        return size_t{0};
      }
      auto& body = parser_.get().body();
      body.data = out;
      body.size = n;
      if (pending_.size() != 0) {
        beast::error_code ec;
        const size_t used = parser_.put(pending_.data(), ec);
        pending_.consume(used);
        if (ec == http::error::need_buffer) {
          ec = {};
        }
        if (ec == http::error::body_limit) {
          return Diagnostic{"body-too-large", "the body is larger than --max-body-bytes", {}};
        }
        if (ec && ec != http::error::need_more) {
          return Diagnostic{"body-read", "the body is not valid HTTP: " + ec.message(), {}};
        }
        const size_t got = n - body.size;
        if (got != 0) {
          return got;
        }
        if (used != 0 && ec != http::error::need_more) {
          continue;
        }
      }
      if (parser_.is_done()) {
        return size_t{0};
      }
      if (pending_.size() == 0 && !parser_.chunked() && parser_.content_length_remaining()) {
        // The header was checked against --max-body-bytes; the length bounds what follows.
        direct_ = true;
        remaining_ = *parser_.content_length_remaining();
        return read_direct(out, n);
      }
      auto space = pending_.prepare(kReadSize);
      ssize_t r = io_.read(static_cast<char*>(space.data()), space.size());
      if (r <= 0) {
        return stopped();
      }
      pending_.commit(static_cast<size_t>(r));
    }
  }

 private:
  static constexpr size_t kReadSize = size_t{256} << 10;

  Result<size_t> read_direct(char* out, size_t n) {
    if (pending_.size() == 0) {
      if (remaining_ == 0) {
        return size_t{0};
      }
      if (n >= kReadSize / 4) {
        ssize_t r = io_.read(out, static_cast<size_t>(std::min<uint64_t>(n, remaining_)));
        if (r <= 0) {
          return stopped();
        }
        remaining_ -= static_cast<uint64_t>(r);
        return static_cast<size_t>(r);
      }
      auto space = pending_.prepare(static_cast<size_t>(std::min<uint64_t>(kReadSize, remaining_)));
      ssize_t r = io_.read(static_cast<char*>(space.data()), space.size());
      if (r <= 0) {
        return stopped();
      }
      pending_.commit(static_cast<size_t>(r));
      remaining_ -= static_cast<uint64_t>(r);
    }
    const size_t got = std::min(n, pending_.size());
    std::memcpy(out, pending_.data().data(), got);
    pending_.consume(got);
    return got;
  }

  static Diagnostic stopped() {
    return Diagnostic{"body-read", "the client stopped sending the body", {}};
  }

  http::request_parser<http::buffer_body>& parser_;
  beast::flat_buffer& pending_;
  RawConnection& io_;
  bool direct_ = false;
  uint64_t remaining_ = 0;
};

std::string head(unsigned status, const std::string& content_type,
                 const std::vector<std::pair<std::string, std::string>>& headers,
                 std::optional<size_t> length) {
  http::response<http::empty_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "egress-sim");
  if (!content_type.empty()) {
    res.set(http::field::content_type, content_type);
  }
  for (const auto& [k, v] : headers) {
    res.insert(k, v);
  }
  res.set(http::field::connection, "close");
  if (length) {
    res.content_length(*length);
  } else {
    res.set(http::field::transfer_encoding, "chunked");
  }
  std::ostringstream out;
  out << res.base();
  return out.str();
}

// The head of a chunked answer goes out with its first chunk, each chunk in one system call.
class RawWriter final : public ResponseWriter {
 public:
  /// `before_last_write` runs once, just before the answer's last bytes are written.
  RawWriter(RawConnection& io, const ServerOptions& options,
            std::function<void()> before_last_write)
      : io_(io), options_(options), before_last_write_(std::move(before_last_write)) {}
  bool answer(const Answer& a) override {
    status_ = a.status;
    Answer copy = a;
    add_common_headers(options_, copy);
    const std::string h = head(a.status, a.content_type, copy.headers, a.body.size());
    last_write();
    return io_.write({h, a.body});
  }
  bool begin(unsigned status, const std::string& content_type) override {
    status_ = status;
    Answer a;
    add_common_headers(options_, a);
    head_ = head(status, content_type, a.headers, std::nullopt);
    return true;
  }
  bool chunk(std::string_view data) override {
    if (data.empty()) {
      return true;  // an empty chunk would end the answer
    }
    char size[20];
    const int length = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    const bool ok =
        io_.write({head_, std::string_view(size, static_cast<size_t>(length)), data, "\r\n"});
    head_.clear();
    return ok;
  }
  bool finish() override {
    last_write();
    const bool ok = io_.write({head_, "0\r\n\r\n"});
    head_.clear();
    return ok;
  }
  unsigned status() const { return status_; }

 private:
  void last_write() {
    if (before_last_write_) {
      std::exchange(before_last_write_, nullptr)();
    }
  }

  RawConnection& io_;
  const ServerOptions& options_;
  std::function<void()> before_last_write_;
  unsigned status_ = 0;
  std::string head_;  // begun, not yet sent
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& server) : stream_(std::move(socket)), server_(server) {}

  void start() { wait_request(); }

 private:
  // A keep-alive connection waits for a request's first byte under the idle timeout; the
  // request itself must then arrive within the request timeout (a slow sender is cut off).
  void wait_request() {
    if (buffer_.size() != 0) {
      read_header();
      return;
    }
    stream_.expires_after(seconds(server_.options.idle_timeout_s));
    auto space = buffer_.prepare(4096);
    stream_.async_read_some(space, [self = shared_from_this()](beast::error_code ec, size_t n) {
      if (ec) {
        self->close();
        return;
      }
      self->buffer_.commit(n);
      self->read_header();
    });
  }

  // What is already buffered is parsed here, not by an asynchronous read: a keep-alive request
  // usually arrives whole in one segment, and each read operation costs a trip through the
  // scheduler and the timer queue.
  void read_header() {
    started_ = Clock::now();
    header_.emplace();
    header_->header_limit(server_.options.max_header_bytes);
    header_->body_limit(server_.options.max_body_bytes);
    if (beast::error_code ec; parse_buffered(*header_, ec)) {
      on_header(ec);
      return;
    }
    stream_.expires_after(seconds(server_.options.request_timeout_s));
    http::async_read_header(
        stream_, buffer_, *header_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::header_limit) {
      respond(problem(431, "header-too-large",
                      "the request's header is larger than --max-header-bytes (" +
                          std::to_string(server_.options.max_header_bytes) + ")"),
              "other", false);
      return;
    }
    if (ec == http::error::body_limit) {
      respond(problem(413, "body-too-large",
                      "the body is larger than --max-body-bytes (" +
                          std::to_string(server_.options.max_body_bytes) + ")"),
              "other", false);
      return;
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::eof ||
        ec == asio::error::connection_reset) {
      close();
      return;
    }
    if (ec) {
      respond(problem(400, "bad-http", "the request is not valid HTTP/1.1: " + ec.message()),
              "other", false);
      return;
    }
    auto& req = header_->get();
    const std::string method(req.method_string());
    const auto target = req.target();
    const auto authorization = req[http::field::authorization];
    dispatch_ = dispatch(server_.context(), method, std::string_view(target.data(), target.size()),
                         std::string_view(authorization.data(), authorization.size()));
    const bool has_body =
        header_->chunked() || (header_->content_length() && *header_->content_length() != 0);
    if (dispatch_.early) {
      // A body the answer does not need is not read: the connection closes after it.
      respond(*dispatch_.early, dispatch_.label, req.keep_alive() && !has_body);
      return;
    }
    if (header_->content_length() && *header_->content_length() > server_.options.max_body_bytes) {
      respond(problem(413, "body-too-large",
                      "the body is larger than --max-body-bytes (" +
                          std::to_string(server_.options.max_body_bytes) + ")"),
              dispatch_.label, false);
      return;
    }
    if (dispatch_.streamed) {
      start_worker();
      return;
    }
    const bool expect = beast::iequals(req[http::field::expect], "100-continue");
    body_.emplace(std::move(*header_));
    body_->body_limit(server_.options.max_body_bytes);
    if (expect) {
      auto text = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      asio::async_write(stream_, asio::buffer(*text),
                        [self = shared_from_this(), text](beast::error_code e, size_t) {
                          if (e) {
                            self->close();
                          } else {
                            self->read_body();
                          }
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    if (beast::error_code ec; parse_buffered(*body_, ec)) {
      on_body(ec);
      return;
    }
    http::async_read(
        stream_, buffer_, *body_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      respond(problem(413, "body-too-large",
                      "the body is larger than --max-body-bytes (" +
                          std::to_string(server_.options.max_body_bytes) + ")"),
              dispatch_.label, false);
      return;
    }
    if (ec) {
      close();
      return;
    }
    Answer a = answer(server_.context(), dispatch_, body_->get().body());
    respond(std::move(a), dispatch_.label, body_->get().keep_alive());
  }

  // Until the parser needs more bytes than are buffered: true when it got to the end of what
  // it parses (or failed, in `ec`), false when a read must bring the rest.
  template <class Parser>
  bool parse_buffered(Parser& parser, beast::error_code& ec) {
    while (buffer_.size() != 0 && !parser.is_done() &&
           !(parser.is_header_done() && std::is_same_v<Parser, HeaderParser>)) {
      const size_t used = parser.put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) {
        ec = {};
        return false;
      }
      if (ec) {
        return true;
      }
      if (used == 0) {
        return false;
      }
    }
    return parser.is_done() || (parser.is_header_done() && std::is_same_v<Parser, HeaderParser>);
  }

  // The answer's head is written here, not by Beast's serializer: the same fields, one string
  // kept by the session, and head and body go out in one write.
  void respond(Answer a, const std::string& label, bool keep_alive) {
    keep_alive = keep_alive && server_.accepting.load();
    add_common_headers(server_.options, a);
    const unsigned status = a.status;
    out_head_.clear();
    out_head_ += "HTTP/1.1 ";
    out_head_ += std::to_string(status);
    out_head_ += ' ';
    const auto reason = http::obsolete_reason(static_cast<http::status>(status));
    out_head_.append(reason.data(), reason.size());
    out_head_ += "\r\nServer: egress-sim\r\n";
    if (!a.content_type.empty()) {
      out_head_ += "Content-Type: ";
      out_head_ += a.content_type;
      out_head_ += "\r\n";
    }
    for (const auto& [k, v] : a.headers) {
      out_head_ += k;
      out_head_ += ": ";
      out_head_ += v;
      out_head_ += "\r\n";
    }
    if (!keep_alive) {
      out_head_ += "Connection: close\r\n";
    }
    // As Beast's prepare_payload: no length on an answer that cannot have a body.
    if (status >= 200 && status != 204 && status != 304) {
      out_head_ += "Content-Length: ";
      out_head_ += std::to_string(a.body.size());
      out_head_ += "\r\n";
    }
    out_head_ += "\r\n";
    out_body_ = std::move(a.body);
    out_label_ = label;
    stream_.expires_after(seconds(server_.options.request_timeout_s));
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(out_head_),
                                                    asio::buffer(out_body_)};
    asio::async_write(
        stream_, buffers,
        [self = shared_from_this(), status, keep_alive](beast::error_code ec, size_t) {
          self->server_.metrics.record(
              self->out_label_, status,
              std::chrono::duration<double>(Clock::now() - self->started_).count());
          if (ec || !keep_alive) {
            self->close();
            return;
          }
          self->wait_request();
        });
  }

  void start_worker() {
    Server::Impl& server = server_;
    {
      std::lock_guard<std::mutex> lock(server.mutex);
      if (server.stopping) {
        respond(problem(503, "stopping", "the server is shutting down"), dispatch_.label, false);
        return;
      }
      if (server.admitted >= server.options.max_replays) {
        respond(problem(429, "too-many-replays",
                        "already " + std::to_string(server.admitted) +
                            " replays, syntheses, diffs or migrations running (--max-replays); "
                            "try again later"),
                dispatch_.label, false);
        return;
      }
      ++server.workers;
      ++server.admitted;
    }
    stream_.expires_never();
    std::thread([self = shared_from_this(), &server]() mutable {
      bool held = true;
      self->run_worker(held);
      server.release_admission(held);  // no answer went out (the client left, say)
      // The session (its socket and timer belong to an io_context) goes before the count that
      // lets stop() destroy the contexts.
      self.reset();
      std::lock_guard<std::mutex> lock(server.mutex);
      --server.workers;
      server.changed.notify_all();
    }).detach();
  }

  /// `held`: the request's hold on --max-replays, given up as its answer's last bytes go out.
  void run_worker(bool& held) {
    Server::Impl& server = server_;
    {
      const bool expect = beast::iequals(header_->get()[http::field::expect], "100-continue");
      http::request_parser<http::buffer_body> parser(std::move(*header_));
      parser.body_limit(server.options.max_body_bytes);
      parser.eager(true);
      RawConnection io(stream_.socket().native_handle(), server.options.idle_timeout_s,
                       server.cancel);
      if (expect) {
        io.write("HTTP/1.1 100 Continue\r\n\r\n");
      }
      ParsedBody body(parser, buffer_, io);
      RawWriter writer(io, server.options, [&server, &held] { server.release_admission(held); });
      stream(server.context(), dispatch_, body, writer, server.cancel);
      server.metrics.record(dispatch_.label, writer.status() == 0 ? 499 : writer.status(),
                            std::chrono::duration<double>(Clock::now() - started_).count());
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.socket().close(ec);
    }
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  using HeaderParser = http::request_parser<http::empty_body>;
  std::optional<HeaderParser> header_;
  std::optional<http::request_parser<http::string_body>> body_;
  Dispatch dispatch_;
  Clock::time_point started_ = Clock::now();
  std::string out_head_;  // the answer being written
  std::string out_body_;
  std::string out_label_;
};

}  // namespace

void Server::Impl::accept() {
  asio::io_context& to = next == 0 ? ioc : *more[next - 1];
  next = (next + 1) % (more.size() + 1);
  acceptor.async_accept(to, [this](beast::error_code ec, tcp::socket socket) {
    if (!accepting.load()) {
      return;
    }
    if (!ec) {
      beast::error_code ignored;
      // An answer is one write: nothing to gain from holding it back, a round trip to lose.
      socket.set_option(tcp::no_delay(true), ignored);
      // The session starts on its own thread; this one goes back to accepting.
      asio::post(socket.get_executor(),
                 [this, s = std::make_shared<Session>(std::move(socket), *this)] { s->start(); });
    }
    accept();
  });
}

void Server::Impl::wait_signal() {
  signals->async_wait([this](beast::error_code ec, int signal) {
    if (ec) {
      return;
    }
    if (signal == SIGHUP) {
      Result<bool> done = reload();
      std::lock_guard<std::mutex> lock(mutex);
      log(done ? "reloaded " + std::to_string(paths.size()) + " topologies"
               : "reload failed, keeping the topologies loaded: " +
                     format_diagnostic(done.error(), "error"));
      wait_signal();
      return;
    }
    std::lock_guard<std::mutex> lock(mutex);
    log("stopping (signal " + std::to_string(signal) + ")");
    std::thread([this] { stop(); }).detach();
  });
}

Result<bool> Server::Impl::reload() {
  Result<std::shared_ptr<const TopologySet>> set = load_topology_set(paths);
  if (!set) {
    return set.error();
  }
  registry.replace(*set);
  return true;
}

void Server::Impl::stop() {
  std::unique_lock<std::mutex> lock(mutex);
  if (stopping) {
    changed.wait(lock, [&] { return stopped; });
    return;
  }
  stopping = true;
  accepting.store(false);
  asio::post(ioc, [this] {
    beast::error_code ec;
    acceptor.close(ec);
    if (signals) {
      signals->cancel(ec);
    }
  });
  // In-flight work may finish until the deadline; then it is cancelled.
  if (!changed.wait_for(lock, seconds(options.shutdown_deadline_s), [&] { return workers == 0; })) {
    cancel.store(true);
    changed.wait(lock, [&] { return workers == 0; });
  }
  lock.unlock();
  ioc.stop();
  for (auto& c : more) {
    c->stop();
  }
  for (std::thread& t : threads) {
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) {
      t.join();
    }
  }
  lock.lock();
  stopped = true;
  changed.notify_all();
}

Result<std::unique_ptr<Server>> Server::start(std::vector<std::string> topology_paths,
                                              ServerOptions options) {
  if (Result<bool> ok = check_listen(options); !ok) {
    return ok.error();
  }
  Result<ListenAddress> listen = parse_listen(options.listen);
  Result<std::shared_ptr<const TopologySet>> set = load_topology_set(topology_paths);
  if (!set) {
    return set.error();
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->paths = std::move(topology_paths);
  impl->registry.replace(*set);
  beast::error_code ec;
  tcp::endpoint endpoint(listen->address, listen->port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    impl->acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Diagnostic{"bind", "--listen " + impl->options.listen + ": " + ec.message(), {}};
  }
  impl->port = impl->acceptor.local_endpoint().port();
  if (impl->options.handle_signals) {
    impl->signals.emplace(impl->ioc, SIGHUP, SIGTERM, SIGINT);
    impl->wait_signal();
  }
  unsigned n = impl->options.threads;
  if (n == 0) {
    n = std::max(1u, std::thread::hardware_concurrency());
  }
  for (unsigned i = 1; i < n; ++i) {
    impl->more.push_back(std::make_unique<asio::io_context>(1));
    impl->keep.push_back(asio::make_work_guard(*impl->more.back()));
  }
  impl->accept();
  impl->threads.emplace_back([ioc = &impl->ioc] { ioc->run(); });
  for (auto& c : impl->more) {
    impl->threads.emplace_back([ioc = c.get()] { ioc->run(); });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  stop();
}

uint16_t Server::port() const {
  return impl_->port;
}

Result<bool> Server::reload() {
  return impl_->reload();
}

void Server::stop() {
  impl_->stop();
}

void Server::wait() {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  impl_->changed.wait(lock, [&] { return impl_->stopped; });
}

uint64_t Server::in_flight_replays() const {
  return impl_->metrics.replays_in_flight();
}

}  // namespace egress
