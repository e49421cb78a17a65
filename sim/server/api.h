// The request-to-answer path without the network: routing, authentication, the handlers of
// docs/openapi.json, problem details. The server feeds it parsed requests; the fuzz target
// (tests/fuzz/fuzz_http_request.cc) feeds it whatever bytes parse.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "egress/server/server.h"
#include "egress/util/result.h"
#include "server/metrics.h"
#include "server/topology_set.h"

namespace egress {

/// A whole answer.
struct Answer {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond type and length
};

/// RFC 9457 problem details: `application/problem+json` with the CLI's code and position.
Answer problem(unsigned status, const Diagnostic& d);
Answer problem(unsigned status, std::string code, std::string detail);

/// Where a streamed answer goes. Every call returns false once the client is gone.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  /// The whole answer, when nothing was begun.
  virtual bool answer(const Answer& answer) = 0;
  /// Status line and headers of a chunked answer; the body follows in chunk().
  virtual bool begin(unsigned status, const std::string& content_type) = 0;
  virtual bool chunk(std::string_view data) = 0;
  virtual bool finish() = 0;
};

/// A request body read as it arrives. read() returns bytes (0 at its end) or an error:
/// `body-read` (the client went away or stalled), `body-too-large`.
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual Result<size_t> read(char* out, size_t n) = 0;
};

enum class RouteId {
  kHealthz,
  kReadyz,
  kMetrics,
  kOpenApi,
  kModels,
  kTopologies,
  kTopology,
  kPutTopology,
  kValidate,
  kRoutes,
  kTrace,
  kTraceSvg,
  kTraceDot,
  kReplay,
  kSynth,
  kDiff,
  kMigrate,
  kStatic,
  kPreflight,
};

/// What the header alone decides.
struct Dispatch {
  RouteId route = RouteId::kStatic;
  std::string label;                         // the route template, for metrics
  bool streamed = false;                     // runs on a worker, its body read as it arrives
  std::optional<Answer> early;               // refused or answered without a body
  std::string name;                          // {name}
  std::map<std::string, std::string> query;  // decoded
  std::string path;                          // decoded, without the query
};

struct ApiContext {
  TopologyRegistry* registry = nullptr;
  Metrics* metrics = nullptr;
  const ServerOptions* options = nullptr;
  bool ready = true;
};

/// `method` as Beast names it (GET, PUT, ...), `target` the request target, `authorization`
/// the header's value (empty when absent).
Dispatch dispatch(const ApiContext& ctx, std::string_view method, std::string_view target,
                  std::string_view authorization);

/// A route that is not streamed, with its whole body.
Answer answer(const ApiContext& ctx, const Dispatch& d, std::string_view body);

/// A streamed route: reads `body` as it goes, writes to `out`; stops early when `cancel`
/// is set (shutdown past its deadline, the client gone).
void stream(const ApiContext& ctx, const Dispatch& d, BodySource& body, ResponseWriter& out,
            const std::atomic<bool>& cancel);

/// CORS and the like, added to every answer.
void add_common_headers(const ServerOptions& options, Answer& a);

// The handlers (api_handlers.cc): the library's calls, one per route.
Answer handle_models();
Answer handle_topologies(const TopologySet& set);
Answer handle_topology(const ServedTopology& t);
Answer handle_put_topology(TopologyRegistry& registry, const std::string& name,
                           std::string_view yaml);
Answer handle_validate(std::string_view yaml);
Answer handle_routes(const ServedTopology& t, const std::map<std::string, std::string>& query);
Answer handle_trace(const ServedTopology& t, std::string_view body);
Answer handle_trace_picture(const ServedTopology& t, const std::map<std::string, std::string>& q,
                            bool svg);
void handle_replay(const ApiContext& ctx, const ServedTopology& t, const Dispatch& d,
                   BodySource& body, ResponseWriter& out, const std::atomic<bool>& cancel);
void handle_synth(const ApiContext& ctx, const ServedTopology& t, const Dispatch& d,
                  std::string_view body, ResponseWriter& out, const std::atomic<bool>& cancel);
Answer handle_diff(const TopologySet& set, const Dispatch& d, std::string_view body,
                   const std::atomic<bool>& cancel);
Answer handle_migrate(const ServedTopology& t, const Dispatch& d, std::string_view body,
                      const std::atomic<bool>& cancel);

}  // namespace egress
