// `egress-sim serve`: the HTTP/1.1 API of docs/openapi.json on Boost.Asio and Boost.Beast,
// over a set of topologies loaded at start and replaced whole (SIGHUP, PUT).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "egress/util/result.h"

namespace egress {

/// A file served for GET on a path outside /v1/ (the web page): content type and bytes.
struct StaticAsset {
  std::string content_type;
  std::string bytes;
};
/// By request path (`/`, `/app.js`).
using StaticAssets = std::map<std::string, StaticAsset>;

/// The assets built into the library (the web page, when the build embeds one); empty
/// otherwise.
StaticAssets embedded_static_assets();

/// Every file under `dir` as an asset at `/` + its relative path (`index.html` also at `/`),
/// read once: requests never name a file of the server's disk. Errors: `io`.
Result<StaticAssets> read_static_assets(const std::string& dir);

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT, [V6]:PORT; port 0 picks one
  unsigned threads = 0;                   // 0: one per core the process may use
  std::string token;                      // bearer token for /v1/ and /metrics; empty: none
  bool insecure = false;                  // allow a non-loopback address without a token
  uint64_t max_body_bytes = uint64_t{64} << 20;
  uint32_t max_header_bytes = 16 << 10;
  double request_timeout_s = 30;  // to receive a request's header and buffered body
  double idle_timeout_s = 60;     // a keep-alive connection with no request; a stalled body
  unsigned max_replays = 4;       // replay, synth, diff, migrate at once; 429 beyond
  double shutdown_deadline_s = 10;
  std::string cors_origin;  // empty: no CORS headers
  StaticAssets assets;
  bool handle_signals = false;  // SIGHUP reloads, SIGTERM and SIGINT stop
  /// Where the server says what it did (reloads, their errors); never called concurrently.
  std::function<void(const std::string&)> log;
};

/// Refuses a non-loopback `listen` without a token or `insecure` (the message says which flag
/// to give), and an address that is not HOST:PORT. Errors: `bad-listen`, `exposed`.
Result<bool> check_listen(const ServerOptions& options);

/// One route of the API: method and path template (`/v1/topologies/{name}`).
struct RouteInfo {
  std::string method;
  std::string path;
};
/// Every route the server answers, as docs/openapi.json must list them.
const std::vector<RouteInfo>& route_table();

/// The OpenAPI 3 document served at /v1/openapi.json (docs/openapi.json, built in).
const std::string& openapi_document();

class Server {
 public:
  /// Loads the topologies (named by file stem), binds and starts the threads. Errors: every
  /// topology's load errors (the first returned, the rest in its message), `bad-listen`,
  /// `exposed`, `bind`.
  static Result<std::unique_ptr<Server>> start(std::vector<std::string> topology_paths,
                                               ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// The bound port (the one picked when asked for 0).
  uint16_t port() const;
  /// Reloads the topologies from their files and swaps the set in; on an error the old set
  /// stays. What SIGHUP does.
  Result<bool> reload();
  /// Stops accepting, lets in-flight requests finish until the deadline, cancels the rest,
  /// and joins the threads. Idempotent.
  void stop();
  /// Blocks until stop() has run (from a signal or another thread).
  void wait();
  /// Replays, syntheses, diffs and migrations running now.
  uint64_t in_flight_replays() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace egress
