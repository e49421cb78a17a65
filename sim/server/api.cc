#include "server/api.h"

#include <nlohmann/json.hpp>

namespace egress {

namespace {

const char* status_title(unsigned status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 500 ? "Internal Server Error" : "Error";
  }
}

struct RouteSpec {
  RouteId id;
  const char* method;
  const char* path;  // segments; {name} matches one
  bool streamed;
};

constexpr RouteSpec kRoutes[] = {
    {RouteId::kHealthz, "GET", "/healthz", false},
    {RouteId::kReadyz, "GET", "/readyz", false},
    {RouteId::kMetrics, "GET", "/metrics", false},
    {RouteId::kOpenApi, "GET", "/v1/openapi.json", false},
    {RouteId::kModels, "GET", "/v1/models", false},
    {RouteId::kTopologies, "GET", "/v1/topologies", false},
    {RouteId::kTopology, "GET", "/v1/topologies/{name}", false},
    {RouteId::kPutTopology, "PUT", "/v1/topologies/{name}", false},
    {RouteId::kValidate, "POST", "/v1/validate", false},
    {RouteId::kRoutes, "GET", "/v1/topologies/{name}/routes", false},
    {RouteId::kTrace, "POST", "/v1/topologies/{name}/trace", false},
    {RouteId::kTraceSvg, "GET", "/v1/topologies/{name}/trace.svg", false},
    {RouteId::kTraceDot, "GET", "/v1/topologies/{name}/trace.dot", false},
    {RouteId::kReplay, "POST", "/v1/topologies/{name}/replay", true},
    {RouteId::kSynth, "POST", "/v1/topologies/{name}/synth", true},
    {RouteId::kDiff, "POST", "/v1/diff", true},
    {RouteId::kMigrate, "POST", "/v1/topologies/{name}/migrate", true},
};

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 1;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) {
      j = path.size();
    }
    out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Percent-decoding; false for a bad escape. `plus` turns '+' into a space (queries).
bool decode(std::string_view in, bool plus, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) {
        return false;
      }
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return false;
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (plus && in[i] == '+') {
      out += ' ';
    } else {
      out += in[i];
    }
  }
  return true;
}

bool parse_query(std::string_view q, std::map<std::string, std::string>& out) {
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    size_t eq = pair.find('=');
    std::string key;
    std::string value;
    if (!decode(pair.substr(0, eq), true, key) ||
        !decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true,
                value)) {
      return false;
    }
    out[key] = value;
  }
  return true;
}

// Compares in time independent of where the texts differ.
bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

std::string known_names(const TopologySet& set) {
  std::string known;
  for (const auto& [name, t] : set.by_name) {
    known += (known.empty() ? "" : ", ") + name;
  }
  return known.empty() ? "none are loaded" : "topologies: " + known;
}

Answer text(unsigned status, std::string content_type, std::string body) {
  Answer a;
  a.status = status;
  a.content_type = std::move(content_type);
  a.body = std::move(body);
  return a;
}

}  // namespace

Answer problem(unsigned status, const Diagnostic& d) {
  nlohmann::ordered_json j;
  j["type"] = "https://egress-sim.dev/problems/" + d.code;
  j["title"] = status_title(status);
  j["status"] = status;
  j["detail"] = d.message;
  j["code"] = d.code;
  if (!d.where.file.empty()) {
    j["file"] = d.where.file;
  }
  if (d.where.line != 0) {
    j["line"] = d.where.line;
  }
  if (d.where.column != 0) {
    j["column"] = d.where.column;
  }
  return text(status, "application/problem+json",
              j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

Answer problem(unsigned status, std::string code, std::string detail) {
  return problem(status, Diagnostic{std::move(code), std::move(detail), {}});
}

const std::vector<RouteInfo>& route_table() {
  static const std::vector<RouteInfo> routes = [] {
    std::vector<RouteInfo> out;
    for (const RouteSpec& r : kRoutes) {
      out.push_back({r.method, r.path});
    }
    return out;
  }();
  return routes;
}

void add_common_headers(const ServerOptions& options, Answer& a) {
  if (!options.cors_origin.empty()) {
    a.headers.emplace_back("Access-Control-Allow-Origin", options.cors_origin);
    a.headers.emplace_back("Vary", "Origin");
  }
  a.headers.emplace_back("X-Content-Type-Options", "nosniff");
}

Dispatch dispatch(const ApiContext& ctx, std::string_view method, std::string_view target,
                  std::string_view authorization) {
  Dispatch d;
  const size_t qmark = target.find('?');
  std::string_view raw_path = target.substr(0, qmark);
  if (raw_path.empty() || raw_path.front() != '/' || !decode(raw_path, false, d.path) ||
      (qmark != std::string_view::npos && !parse_query(target.substr(qmark + 1), d.query))) {
    d.label = "other";
    d.early = problem(400, "bad-target", "the request target is not an absolute path");
    return d;
  }
  const bool api = d.path.rfind("/v1/", 0) == 0;
  if (!api && d.path != "/healthz" && d.path != "/readyz" && d.path != "/metrics") {
    d.route = RouteId::kStatic;
    d.label = "static";
    if (method != "GET" && method != "HEAD") {
      d.early = problem(405, "method-not-allowed", "only GET is allowed on " + d.path);
      d.early->headers.emplace_back("Allow", "GET, HEAD");
      return d;
    }
    auto it = ctx.options->assets.find(d.path);
    if (it == ctx.options->assets.end()) {
      d.early = problem(404, "not-found", "nothing at " + d.path);
    } else {
      d.early = text(200, it->second.content_type, it->second.bytes);
    }
    return d;
  }
  // The templates' segments, split once: dispatch runs for every request.
  static const std::vector<std::vector<std::string_view>> kSegments = [] {
    std::vector<std::vector<std::string_view>> out;
    for (const RouteSpec& r : kRoutes) {
      out.push_back(segments(r.path));
    }
    return out;
  }();
  const std::vector<std::string_view> got = segments(d.path);
  std::string allowed;
  const RouteSpec* found = nullptr;
  for (size_t k = 0; k < std::size(kRoutes); ++k) {
    const RouteSpec& r = kRoutes[k];
    const std::vector<std::string_view>& want = kSegments[k];
    if (want.size() != got.size()) {
      continue;
    }
    bool match = true;
    std::string name;
    for (size_t i = 0; i < want.size() && match; ++i) {
      if (want[i] == "{name}") {
        name = std::string(got[i]);
        match = !name.empty();
      } else {
        match = want[i] == got[i];
      }
    }
    if (!match) {
      continue;
    }
    allowed += (allowed.empty() ? "" : ", ") + std::string(r.method);
    if (method == r.method || (method == "HEAD" && std::string_view(r.method) == "GET")) {
      found = &r;
      d.name = name;
    }
  }
  if (found == nullptr) {
    d.label = "other";
    if (allowed.empty()) {
      d.early = problem(404, "not-found", "no route " + d.path + " (see /v1/openapi.json)");
    } else if (method == "OPTIONS" && !ctx.options->cors_origin.empty()) {
      d.route = RouteId::kPreflight;
      d.early = text(204, "", "");
      d.early->headers.emplace_back("Access-Control-Allow-Methods", allowed);
      d.early->headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
      d.early->headers.emplace_back("Access-Control-Max-Age", "600");
    } else {
      d.early =
          problem(405, "method-not-allowed",
                  std::string(method) + " is not allowed on " + d.path + "; allowed: " + allowed);
      d.early->headers.emplace_back("Allow", allowed);
    }
    return d;
  }
  d.route = found->id;
  d.label = found->path;
  d.streamed = found->streamed;
  const bool open = d.route == RouteId::kHealthz || d.route == RouteId::kReadyz;
  const ServerOptions& options = *ctx.options;
  if (d.route == RouteId::kPutTopology && options.token.empty()) {
    d.early =
        problem(403, "forbidden", "replacing a topology needs the server to run with --token");
    return d;
  }
  if (!open && !options.token.empty() && !same_secret(authorization, "Bearer " + options.token)) {
    d.early = problem(401, "unauthorized", "this server needs 'Authorization: Bearer TOKEN'");
    d.early->headers.emplace_back("WWW-Authenticate", "Bearer");
    return d;
  }
  switch (d.route) {
    case RouteId::kHealthz:
      d.early = text(200, "text/plain; charset=utf-8", "ok\n");
      return d;
    case RouteId::kReadyz:
      d.early = ctx.ready && !ctx.registry->current()->by_name.empty()
                    ? text(200, "text/plain; charset=utf-8", "ready\n")
                    : problem(503, "not-ready", "no topologies are loaded");
      return d;
    case RouteId::kMetrics:
      d.early = text(200, "text/plain; version=0.0.4; charset=utf-8", ctx.metrics->render());
      return d;
    case RouteId::kOpenApi:
      d.early = text(200, "application/json", openapi_document());
      return d;
    default:
      break;
  }
  if (!d.name.empty() && d.route != RouteId::kPutTopology) {
    std::shared_ptr<const TopologySet> set = ctx.registry->current();
    if (set->by_name.count(d.name) == 0) {
      d.early =
          problem(404, "unknown-topology", "no topology '" + d.name + "'; " + known_names(*set));
      return d;
    }
  }
  if (auto it = d.query.find("report"); it != d.query.end()) {
    const bool takes_report = d.route == RouteId::kReplay || d.route == RouteId::kSynth ||
                              d.route == RouteId::kDiff || d.route == RouteId::kMigrate;
    if (!takes_report || (it->second != "html" && it->second != "md")) {
      d.early = problem(400, "bad-parameter",
                        takes_report ? "report: '" + it->second + "' is not html or md"
                                     : std::string("report: this route has no report"));
      return d;
    }
  }
  return d;
}

Answer answer(const ApiContext& ctx, const Dispatch& d, std::string_view body) {
  if (d.early) {
    return *d.early;
  }
  std::shared_ptr<const TopologySet> set = ctx.registry->current();
  auto entry = [&]() -> const ServedTopology& { return *set->by_name.at(d.name); };
  auto has = [&] { return set->by_name.count(d.name) != 0; };
  if (!d.name.empty() && d.route != RouteId::kPutTopology && !has()) {
    return problem(404, "unknown-topology", "no topology '" + d.name + "'; " + known_names(*set));
  }
  static const std::atomic<bool> kNever{false};
  switch (d.route) {
    case RouteId::kModels:
      return handle_models();
    case RouteId::kTopologies:
      return handle_topologies(*set);
    case RouteId::kTopology:
      return handle_topology(entry());
    case RouteId::kPutTopology:
      return handle_put_topology(*ctx.registry, d.name, body);
    case RouteId::kValidate:
      return handle_validate(body);
    case RouteId::kRoutes:
      return handle_routes(entry(), d.query);
    case RouteId::kTrace:
      return handle_trace(entry(), body);
    case RouteId::kTraceSvg:
    case RouteId::kTraceDot:
      return handle_trace_picture(entry(), d.query, d.route == RouteId::kTraceSvg);
    case RouteId::kDiff:
      return handle_diff(*set, d, body, kNever);
    case RouteId::kMigrate:
      return handle_migrate(entry(), d, body, kNever);
    default:
      return problem(500, "internal", "route " + d.label + " has no buffered handler");
  }
}

namespace {

// A whole body read from a BodySource (diff, migrate and synth documents are small).
Result<std::string> read_all(BodySource& body, uint64_t limit) {
  std::string out;
  char buffer[16384];
  while (true) {
    Result<size_t> n = body.read(buffer, sizeof buffer);
    if (!n) {
      return n.error();
    }
    if (*n == 0) {
      return out;
    }
    if (out.size() + *n > limit) {
      return Diagnostic{"body-too-large", "the body is larger than --max-body-bytes", {}};
    }
    out.append(buffer, *n);
  }
}

}  // namespace

namespace {

// The in-flight gauge counts a streamed request from its start to its end, body included. It
// drops before the answer's last bytes are written, so a client holding the whole answer never
// sees its own request still counted.
class InFlight final : public ResponseWriter {
 public:
  InFlight(Metrics& m, ResponseWriter& out) : m_(m), out_(out) { m_.replay_started(); }
  ~InFlight() override { end(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

  bool answer(const Answer& a) override {
    end();
    return out_.answer(a);
  }
  bool begin(unsigned status, const std::string& content_type) override {
    return out_.begin(status, content_type);
  }
  bool chunk(std::string_view data) override { return out_.chunk(data); }
  bool finish() override {
    end();
    return out_.finish();
  }

 private:
  void end() {
    if (!ended_) {
      ended_ = true;
      m_.replay_finished();
    }
  }

  Metrics& m_;
  ResponseWriter& out_;
  bool ended_ = false;
};

}  // namespace

void stream(const ApiContext& ctx, const Dispatch& d, BodySource& body, ResponseWriter& client,
            const std::atomic<bool>& cancel) {
  InFlight out(*ctx.metrics, client);
  if (d.early) {
    out.answer(*d.early);
    return;
  }
  std::shared_ptr<const TopologySet> set = ctx.registry->current();
  if (!d.name.empty() && set->by_name.count(d.name) == 0) {
    out.answer(
        problem(404, "unknown-topology", "no topology '" + d.name + "'; " + known_names(*set)));
    return;
  }
  if (d.route == RouteId::kReplay) {
    handle_replay(ctx, *set->by_name.at(d.name), d, body, out, cancel);
    return;
  }
  Result<std::string> text_body = read_all(body, ctx.options->max_body_bytes);
  if (!text_body) {
    out.answer(problem(text_body.error().code == "body-too-large" ? 413 : 400, text_body.error()));
    return;
  }
  switch (d.route) {
    case RouteId::kSynth:
      handle_synth(ctx, *set->by_name.at(d.name), d, *text_body, out, cancel);
      return;
    case RouteId::kDiff:
      out.answer(handle_diff(*set, d, *text_body, cancel));
      return;
    case RouteId::kMigrate:
      out.answer(handle_migrate(*set->by_name.at(d.name), d, *text_body, cancel));
      return;
    default:
      out.answer(answer(ctx, d, *text_body));
  }
}

}  // namespace egress
