// The handlers: each route's JSON or query into a request of the application layer
// (include/egress/app/), which the command line calls too, and its answer into JSON, JSON
// Lines, a report or a picture (sim/report).
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "egress/app/app.h"
#include "egress/app/cancel_token.h"
#include "egress/capture/capture_reader.h"
#include "egress/config/topology_checks.h"
#include "egress/config/topology_loader.h"
#include "egress/engine/effective_routes.h"
#include "egress/migrate/flow_diff.h"
#include "egress/migrate/migration_plan.h"
#include "egress/migrate/migration_table.h"
#include "egress/replay/replay.h"
#include "egress/report/diff_report.h"
#include "egress/report/dot.h"
#include "egress/report/html_report.h"
#include "egress/report/json_report.h"
#include "egress/report/markdown_report.h"
#include "egress/report/path_diagram.h"
#include "egress/report/replay_report.h"
#include "egress/report/rows.h"
#include "egress/synth/synth.h"
#include "server/api.h"

namespace egress {

namespace {

using Json = nlohmann::json;

// The name a body has in problem details and capture messages: no file of the server's.
constexpr const char* kBodyName = "body";

// The largest synthetic runs one request may ask for; a bigger one is a batch job, not a
// request.
constexpr uint64_t kMaxSynthFlows = 10'000'000;
constexpr uint64_t kMaxCompareFlows = 1'000'000;
constexpr uint64_t kDefaultCompareFlows = 1000;

constexpr int kDefaultSport = 50000;
constexpr int kDefaultDport = 443;

Answer json_answer(std::string body, unsigned status = 200) {
  Answer a;
  a.status = status;
  a.content_type = "application/json";
  a.body = std::move(body);
  return a;
}

// The line and column of a byte offset of `text` (1-based).
SourceLocation place(std::string_view text, size_t offset) {
  SourceLocation at{kBodyName, 1, 1};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++at.line;
      at.column = 1;
    } else {
      ++at.column;
    }
  }
  return at;
}

// The body as JSON, or a `bad-json` diagnostic placed at the byte the parser stopped at.
Result<Json> parse_json(std::string_view text) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..."
    if (size_t colon = what.find(": "); colon != std::string::npos) {
      what = what.substr(colon + 2);
    }
    const size_t at = e.byte == 0 ? 0 : e.byte - 1;
    return Diagnostic{"bad-json", what, place(text, at)};
  }
}

Diagnostic bad(std::string code, std::string message) {
  return Diagnostic{std::move(code), std::move(message), {}};
}

std::string type_name(const Json& j) {
  return j.type_name();
}

// An object's members checked against the names it may have.
Result<bool> check_keys(const Json& j, const std::string& where,
                        std::initializer_list<const char*> known) {
  if (!j.is_object()) {
    return bad("bad-request",
               where + (where.empty() ? "" : ": ") + "expected an object, not " + type_name(j));
  }
  for (const auto& [key, value] : j.items()) {
    bool ok = false;
    std::string list;
    for (const char* k : known) {
      ok = ok || key == k;
      list += (list.empty() ? "" : ", ") + std::string(k);
    }
    if (!ok) {
      return bad("unknown-key",
                 where + (where.empty() ? "" : ".") + key + ": unknown key (known: " + list + ")");
    }
  }
  return true;
}

std::string field(const std::string& where, const char* key) {
  return where.empty() ? key : where + "." + key;
}

Result<std::string> get_string(const Json& j, const std::string& where, const char* key,
                               bool required, std::string fallback = {}) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) {
      return bad("missing-key", field(where, key) + ": required");
    }
    return fallback;
  }
  if (!it->is_string()) {
    return bad("bad-value", field(where, key) + ": expected a string, not " + type_name(*it));
  }
  return it->get<std::string>();
}

Result<uint64_t> get_uint(const Json& j, const std::string& where, const char* key,
                          uint64_t fallback, uint64_t min, uint64_t max, const char* code) {
  auto it = j.find(key);
  if (it == j.end()) {
    return fallback;
  }
  if (!it->is_number_unsigned() || it->get<uint64_t>() < min || it->get<uint64_t>() > max) {
    return bad(code, field(where, key) + ": " + it->dump() + " is not a whole number from " +
                         std::to_string(min) + " to " + std::to_string(max));
  }
  return it->get<uint64_t>();
}

struct TraceQuestion {
  FlowKey key;
  std::string host;
  uint64_t seed = 0;
};

// A trace question from its fields as text (the body's members, or the picture's query),
// parsed as the command line parses its flags; `where` prefixes the field names in errors.
Result<TraceQuestion> trace_question(const std::string& where, const std::string& src_text,
                                     const std::string& dst_text, const std::string& proto_text,
                                     uint64_t sport, uint64_t dport, std::string host,
                                     uint64_t seed) {
  FlowFields fields{
      src_text, dst_text, proto_text, static_cast<int64_t>(sport), static_cast<int64_t>(dport),
      host};
  Result<FlowKey> key = parse_flow_fields(fields, where.empty() ? "" : where + ".");
  if (!key) {
    return key.error();
  }
  return TraceQuestion{*key, std::move(host), seed};
}

Result<TraceQuestion> trace_question(const Json& j, const std::string& where) {
  if (Result<bool> ok =
          check_keys(j, where, {"src", "dst", "proto", "sport", "dport", "host", "seed"});
      !ok) {
    return ok.error();
  }
  Result<std::string> src = get_string(j, where, "src", true);
  if (!src) {
    return src.error();
  }
  Result<std::string> dst = get_string(j, where, "dst", true);
  if (!dst) {
    return dst.error();
  }
  Result<std::string> proto = get_string(j, where, "proto", false, "tcp");
  if (!proto) {
    return proto.error();
  }
  Result<uint64_t> sport = get_uint(j, where, "sport", kDefaultSport, 0, 65535, "bad-port");
  if (!sport) {
    return sport.error();
  }
  Result<uint64_t> dport = get_uint(j, where, "dport", kDefaultDport, 0, 65535, "bad-port");
  if (!dport) {
    return dport.error();
  }
  Result<std::string> host = get_string(j, where, "host", false);
  if (!host) {
    return host.error();
  }
  Result<uint64_t> seed = get_uint(j, where, "seed", 0, 0, UINT64_MAX, "bad-value");
  if (!seed) {
    return seed.error();
  }
  return trace_question(where, *src, *dst, *proto, *sport, *dport, *host, *seed);
}

// A server topology as the application layer takes it: shared, compiled, its findings known.
// The findings are not owned: the set the request holds keeps them alive.
TopologyInput input_of(const ServedTopology& t) {
  return TopologyInput::loaded(t.topology, t.name, t.engine,
                               std::shared_ptr<const std::vector<Diagnostic>>(
                                   std::shared_ptr<const ServedTopology>(), &t.findings));
}

// What the app layer refused, as a problem: 503 when the request was stopped, else 422 (the
// request was well formed, its content could not be simulated).
Answer failure_problem(const Failure& f) {
  const Diagnostic d =
      f.errors.empty() ? Diagnostic{"internal", "no answer and no reason", {}} : f.errors.front();
  const bool stopped = d.code == kCancelledCode || d.code == kDeadlineExceededCode;
  return problem(stopped ? 503 : 422, d);
}

enum class ReportForm : uint8_t { kNone, kHtml, kMarkdown };

// ?report=html|md (api.cc has checked the value and the route).
ReportForm report_form(const Dispatch& d) {
  auto it = d.query.find("report");
  if (it == d.query.end()) {
    return ReportForm::kNone;
  }
  return it->second == "md" ? ReportForm::kMarkdown : ReportForm::kHtml;
}

Answer report_answer(ReportForm form, std::string document) {
  Answer a;
  a.content_type =
      form == ReportForm::kMarkdown ? "text/markdown; charset=utf-8" : "text/html; charset=utf-8";
  a.body = std::move(document);
  return a;
}

// Stops at the first packet after the token says so: a client gone mid-body is not read on
// (the app layer checks the token only every so many packets).
class StoppingSource final : public PacketSource {
 public:
  StoppingSource(PacketSource& inner, const CancelToken& token) : inner_(inner), token_(token) {}
  Result<bool> next(RawPacket& packet) override {
    if (token_.cancelled()) {
      return Diagnostic{kCancelledCode, "the request was cancelled", {}};
    }
    return inner_.next(packet);
  }
  const std::vector<Diagnostic>& warnings() const override { return inner_.warnings(); }
  SourcePosition position() const override { return inner_.position(); }

 private:
  PacketSource& inner_;
  const CancelToken& token_;
};

// JSON Lines to the client in chunks of about 64 KiB; the answer's head goes out with the
// first chunk, so an error before any line can still be a problem answer.
class LineStream {
 public:
  explicit LineStream(ResponseWriter& out) : out_(out) {}
  bool line(const std::string& text) {
    buffer_ += text;
    buffer_ += '\n';
    return buffer_.size() < kChunk || flush();
  }
  bool flush() {
    if (!started_) {
      started_ = true;
      if (!out_.begin(200, "application/x-ndjson")) {
        return ok_ = false;
      }
    }
    if (!buffer_.empty() && ok_) {
      ok_ = out_.chunk(buffer_);
      buffer_.clear();
    }
    return ok_;
  }
  void finish() {
    if (flush()) {
      out_.finish();
    }
  }
  /// An error: a problem answer when nothing was sent, else a last line {"error":{...}}.
  void fail(const Answer& p) {
    if (!started_ && buffer_.empty()) {
      out_.answer(p);
      return;
    }
    std::string body = p.body;
    while (!body.empty() && body.back() == '\n') {
      body.pop_back();
    }
    line("{\"error\":" + body + "}");
    finish();
  }

 private:
  static constexpr size_t kChunk = 64 << 10;
  ResponseWriter& out_;
  std::string buffer_;
  bool started_ = false;
  bool ok_ = true;
};

// Replay's and synth's flows: each record a line to the client, or its path into the report's
// kinds. A client that stopped reading cancels the run.
class StreamSink final : public SimulationSink {
 public:
  StreamSink(LineStream* lines, PathKindCollector* paths, CancelToken& token)
      : lines_(lines), paths_(paths), token_(token) {}
  void on_flow(const FlowRecord& record) override {
    if (paths_ != nullptr) {
      paths_->add(record.result);
    }
    if (lines_ != nullptr && !token_.cancelled() && !lines_->line(flow_record_to_json(record))) {
      token_.cancel();
    }
  }

 private:
  LineStream* lines_;
  PathKindCollector* paths_;
  CancelToken& token_;
};

// Runs a replay or synth through the application layer (`run` given the options) and streams
// its records and summary, or answers its report.
template <class Run>
void stream_simulation(const ServedTopology& t, const char* command, ReportForm form,
                       ResponseWriter& out, const std::atomic<bool>& cancel, Run run) {
  LineStream lines(out);
  CancelToken token(cancel);
  std::optional<PathKindCollector> paths;
  if (form != ReportForm::kNone) {
    paths.emplace();
  }
  StreamSink sink(form == ReportForm::kNone ? &lines : nullptr, paths ? &*paths : nullptr, token);
  SimulationOptions options;
  options.records = true;
  options.sink = &sink;
  options.cancel = &token;
  AppResult<ReplayAnswer> answer = run(options, token);
  if (token.cancelled()) {
    return;  // the client is gone or the server is stopping: no one to tell
  }
  if (!answer) {
    const Failure& f = answer.failure();
    const bool body = !f.errors.empty() && f.errors.front().code == "body-read";
    lines.fail(body ? problem(400, f.errors.front()) : failure_problem(f));
    return;
  }
  if (form != ReportForm::kNone) {
    ReplayReportData data{command,          t.name,         answer->topology.get(),
                          &answer->summary, paths->kinds(), paths->other_flows()};
    out.answer(report_answer(form, form == ReportForm::kMarkdown ? replay_report_markdown(data)
                                                                 : replay_report_html(data)));
    return;
  }
  lines.line("{\"summary\":" + summary_to_json(answer->summary) + "}");
  lines.finish();
}

Result<uint64_t> query_seed(const Dispatch& d) {
  auto it = d.query.find("seed");
  if (it == d.query.end()) {
    return uint64_t{0};
  }
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || errno != 0 || it->second.front() == '-') {
    return bad("bad-parameter", "seed: '" + it->second + "' is not a whole number");
  }
  return static_cast<uint64_t>(v);
}

// A capture read from the request body through a stdio stream, so the capture reader (and
// libpcap under it) reads it as it would a pipe: in chunks, never the whole body at once.
struct BodyCookie {
  BodySource* body;
  std::optional<Diagnostic> error;
};

ssize_t read_body(void* cookie, char* buffer, size_t size) {
  auto* c = static_cast<BodyCookie*>(cookie);
  Result<size_t> n = c->body->read(buffer, size);
  if (!n) {
    c->error = n.error();
    errno = EIO;
    return -1;
  }
  return static_cast<ssize_t>(*n);
}

}  // namespace

Answer handle_models() {
  return json_answer(models_to_json() + "\n");
}

Answer handle_topologies(const TopologySet& set) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& [name, t] : set.by_name) {
    nlohmann::ordered_json item;
    item["name"] = name;
    if (t->topology->cluster) {
      item["outboundType"] = to_string(t->topology->cluster->outbound_type);
    } else {
      item["outboundType"] = nullptr;
    }
    item["vnets"] = t->topology->vnets.size();
    nlohmann::ordered_json subnets = nlohmann::ordered_json::array();
    for (const Subnet& s : t->topology->subnets) {
      subnets.push_back(s.full_name);
    }
    item["subnets"] = std::move(subnets);
    item["findings"] = t->findings.size();
    list.push_back(std::move(item));
  }
  nlohmann::ordered_json j;
  j["topologies"] = std::move(list);
  return json_answer(j.dump() + "\n");
}

Answer handle_topology(const ServedTopology& t) {
  return json_answer(diagnostics_to_json({}, t.findings) + "\n");
}

Answer handle_validate(std::string_view yaml) {
  LoadResult loaded = parse_topology(yaml, kBodyName);
  std::vector<Diagnostic> findings;
  if (loaded.errors.empty() && loaded.topology) {
    findings = check_topology(*loaded.topology);
  }
  return json_answer(diagnostics_to_json(loaded.errors, findings) + "\n",
                     loaded.errors.empty() ? 200 : 422);
}

Answer handle_put_topology(TopologyRegistry& registry, const std::string& name,
                           std::string_view yaml) {
  if (!valid_topology_name(name)) {
    return problem(400, "bad-name",
                   "'" + name + "' is not a topology name (letters, digits, '.', '_', '-')");
  }
  CompiledTopology compiled = compile_topology(name, yaml, name + ".yaml");
  if (!compiled.loaded) {
    Diagnostic first = compiled.errors.empty()
                           ? Diagnostic{"load", "the topology could not be loaded", {}}
                           : compiled.errors.front();
    Answer a = problem(422, first);
    // Every error, as validate gives them, beside the first as the problem's own fields.
    Json j = Json::parse(a.body);
    j["errors"] = Json::parse(diagnostics_to_json(compiled.errors, {}))["errors"];
    a.body = j.dump() + "\n";
    return a;
  }
  std::string body = diagnostics_to_json({}, compiled.loaded->findings) + "\n";
  registry.put(std::move(compiled.loaded));
  return json_answer(std::move(body));
}

Answer handle_routes(const ServedTopology& t, const std::map<std::string, std::string>& query) {
  auto it = query.find("subnet");
  if (it == query.end() || it->second.empty()) {
    return problem(400, "missing-parameter", "subnet: required (VNET/SUBNET)");
  }
  const Topology& topology = *t.topology;
  Index subnet = topology.find_subnet(it->second);
  if (subnet == kNoIndex) {
    std::string known;
    for (const Subnet& s : topology.subnets) {
      known += (known.empty() ? "" : ", ") + s.full_name;
    }
    return problem(404, "unknown-subnet",
                   "no subnet '" + it->second + "' in " + t.name + "; " +
                       (known.empty() ? "it has no subnets" : "subnets: " + known));
  }
  return json_answer(routes_to_json(topology, subnet, compute_effective_routes(topology, subnet)) +
                     "\n");
}

namespace {

// One flow through the application layer, as `trace` asks it.
Result<FlowResult> trace_one(const ServedTopology& t, const TraceQuestion& q) {
  AppResult<TraceAnswer> answer =
      run_trace(TraceRequest{input_of(t), q.key, q.host, q.seed}, Context{});
  if (!answer) {
    return answer.failure().errors.empty() ? Diagnostic{"internal", "no answer", {}}
                                           : answer.failure().errors.front();
  }
  return std::move(answer->result);
}

}  // namespace

Answer handle_trace(const ServedTopology& t, std::string_view body) {
  Result<Json> j = parse_json(body);
  if (!j) {
    return problem(400, j.error());
  }
  if (!j->is_array()) {
    Result<TraceQuestion> q = trace_question(*j, "");
    if (!q) {
      return problem(400, q.error());
    }
    Result<FlowResult> result = trace_one(t, *q);
    if (!result) {
      return problem(422, result.error());
    }
    return json_answer(flow_to_json(*result) + "\n");
  }
  std::vector<TraceQuestion> questions;
  for (size_t i = 0; i < j->size(); ++i) {
    Result<TraceQuestion> q = trace_question((*j)[i], "[" + std::to_string(i) + "]");
    if (!q) {
      return problem(400, q.error());
    }
    questions.push_back(std::move(*q));
  }
  Answer a;
  a.content_type = "application/x-ndjson";
  for (const TraceQuestion& q : questions) {
    Result<FlowResult> result = trace_one(t, q);
    if (!result) {
      return problem(422, result.error());
    }
    a.body += flow_to_json(*result) + "\n";
  }
  return a;
}

Answer handle_trace_picture(const ServedTopology& t, const std::map<std::string, std::string>& q,
                            bool svg) {
  auto get = [&](const char* key, std::string fallback) {
    auto it = q.find(key);
    return it == q.end() ? fallback : it->second;
  };
  auto port = [&](const char* key, uint64_t fallback) -> Result<uint64_t> {
    auto it = q.find(key);
    if (it == q.end()) {
      return fallback;
    }
    char* end = nullptr;
    const unsigned long v = std::strtoul(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || v > 65535 || it->second.front() == '-') {
      return bad("bad-port",
                 std::string(key) + ": '" + it->second + "' is not a whole number from 0 to 65535");
    }
    return uint64_t{v};
  };
  if (q.count("src") == 0 || q.count("dst") == 0) {
    return problem(400, "missing-parameter",
                   q.count("src") == 0 ? "src: required" : "dst: required");
  }
  Result<uint64_t> sport = port("sport", kDefaultSport);
  if (!sport) {
    return problem(400, sport.error());
  }
  Result<uint64_t> dport = port("dport", kDefaultDport);
  if (!dport) {
    return problem(400, dport.error());
  }
  Result<TraceQuestion> question = trace_question(
      "", get("src", ""), get("dst", ""), get("proto", "tcp"), *sport, *dport, get("host", ""), 0);
  if (!question) {
    return problem(400, question.error());
  }
  Result<FlowResult> result = trace_one(t, *question);
  if (!result) {
    return problem(422, result.error());
  }
  Answer a;
  if (svg) {
    a.content_type = "image/svg+xml";
    a.body = path_diagram_svg(*result, 0, true);
  } else {
    a.content_type = "text/vnd.graphviz; charset=utf-8";
    a.body = trace_to_dot(*result);
  }
  return a;
}

void handle_replay(const ApiContext& ctx, const ServedTopology& t, const Dispatch& d,
                   BodySource& body, ResponseWriter& out, const std::atomic<bool>& cancel) {
  Result<uint64_t> seed = query_seed(d);
  if (!seed) {
    out.answer(problem(400, seed.error()));
    return;
  }
  BodyCookie cookie{&body, std::nullopt};
  cookie_io_functions_t io{};
  io.read = read_body;
  std::FILE* file = fopencookie(&cookie, "r", io);
  if (file == nullptr) {
    out.answer(problem(500, "internal", "could not open the body as a stream"));
    return;
  }
  std::setvbuf(file, nullptr, _IOFBF, 64 << 10);
  {
    Result<std::unique_ptr<CaptureReader>> reader = CaptureReader::open_stream(file, kBodyName);
    if (!reader) {
      if (cookie.error) {
        out.answer(problem(400, *cookie.error));
      } else {
        out.answer(problem(422, reader.error()));
      }
    } else {
      uint64_t packets = 0;
      stream_simulation(
          t, "replay", report_form(d), out, cancel,
          [&](SimulationOptions options, const CancelToken& token) {
            options.seed = *seed;
            ReplayRequest request{input_of(t), {}, std::move(options)};
            request.captures.source = std::make_unique<StoppingSource>(**reader, token);
            AppResult<ReplayAnswer> answer = run_replay(std::move(request), Context{});
            if (answer) {
              packets = answer->summary.packets;
            }
            return answer;
          });
      ctx.metrics->add_packets(packets);
    }
  }
  std::fclose(file);
}

void handle_synth(const ApiContext& ctx, const ServedTopology& t, const Dispatch& d,
                  std::string_view body, ResponseWriter& out, const std::atomic<bool>& cancel) {
  Result<Json> j = parse_json(body.empty() ? std::string_view("{}") : body);
  if (!j) {
    out.answer(problem(400, j.error()));
    return;
  }
  if (Result<bool> ok = check_keys(*j, "", {"flows", "seed", "mix"}); !ok) {
    out.answer(problem(400, ok.error()));
    return;
  }
  Result<uint64_t> flows = get_uint(*j, "", "flows", 1000, 1, kMaxSynthFlows, "bad-value");
  if (!flows) {
    out.answer(problem(400, flows.error()));
    return;
  }
  Result<uint64_t> seed = get_uint(*j, "", "seed", 0, 0, UINT64_MAX, "bad-value");
  if (!seed) {
    out.answer(problem(400, seed.error()));
    return;
  }
  // A mix file's text (synth --mix FILE), named `mix` in its errors; flows and seed given
  // beside it override its own, as synth's flags do.
  Result<std::string> mix = get_string(*j, "", "mix", false);
  if (!mix) {
    out.answer(problem(400, mix.error()));
    return;
  }
  const bool has_mix = j->contains("mix");
  if (has_mix) {
    SynthMixLoad parsed = parse_synth_mix(*mix, "mix");
    if (!parsed.spec) {
      out.answer(problem(422, parsed.errors.empty()
                                  ? Diagnostic{"bad-mix", "the mix could not be read", {}}
                                  : parsed.errors.front()));
      return;
    }
    if (!j->contains("flows") && parsed.spec->flows > kMaxSynthFlows) {
      out.answer(problem(422, "too-many-flows",
                         "mix: flows " + std::to_string(parsed.spec->flows) +
                             " is over the limit of " + std::to_string(kMaxSynthFlows) +
                             " for one request (give flows beside it)"));
      return;
    }
  }
  uint64_t packets = 0;
  stream_simulation(t, "synth", report_form(d), out, cancel,
                    [&](SimulationOptions options, const CancelToken&) {
                      SynthRequest request;
                      request.topology = input_of(t);
                      if (has_mix) {
                        request.settings.mix_path = "mix";
                        request.settings.mix_yaml = *mix;
                      }
                      if (!has_mix || j->contains("flows")) {
                        request.settings.flows = *flows;
                      }
                      if (!has_mix || j->contains("seed")) {
                        request.settings.seed = *seed;
                      }
                      request.options = std::move(options);
                      AppResult<ReplayAnswer> answer = run_synth(std::move(request), Context{});
                      if (answer) {
                        packets = answer->summary.packets;
                      }
                      return answer;
                    });
  ctx.metrics->add_packets(packets);
}

namespace {

// The synthetic flows and seed of a diff or migrate body into `request`, which stops when
// `token` says so.
template <class Request>
Result<bool> take_comparison(const Json& j, Request& request, const CancelToken& token) {
  Result<uint64_t> n =
      get_uint(j, "", "synth", kDefaultCompareFlows, 1, kMaxCompareFlows, "bad-value");
  if (!n) {
    return n.error();
  }
  Result<uint64_t> seed = get_uint(j, "", "seed", 0, 0, UINT64_MAX, "bad-value");
  if (!seed) {
    return seed.error();
  }
  request.flows.synth = *n;
  request.seed = *seed;
  request.seed_given = true;
  request.cancel = &token;
  return true;
}

// diff and migrate answer JSON, or their report.
Answer comparison_answer(ReportForm form, const char* command, const std::string& subject,
                         const DiffReport& diff, const ComparedSides& sides,
                         const MigrationContext* context, uint64_t seed) {
  if (form == ReportForm::kNone) {
    return json_answer(diff_to_json(diff, context) + "\n");
  }
  DiffReportData data =
      diff_report_data(command, subject, diff, sides.before.get(), sides.after.get(),
                       sides.before_engine.get(), sides.after_engine.get(), context, seed);
  return report_answer(
      form, form == ReportForm::kMarkdown ? diff_report_markdown(data) : diff_report_html(data));
}

}  // namespace

Answer handle_diff(const TopologySet& set, const Dispatch& d, std::string_view body,
                   const std::atomic<bool>& cancel) {
  Result<Json> j = parse_json(body);
  if (!j) {
    return problem(400, j.error());
  }
  if (Result<bool> ok = check_keys(*j, "", {"before", "after", "afterYaml", "synth", "seed"});
      !ok) {
    return problem(400, ok.error());
  }
  Result<std::string> before_name = get_string(*j, "", "before", true);
  if (!before_name) {
    return problem(400, before_name.error());
  }
  auto find = [&](const std::string& name) -> std::shared_ptr<const ServedTopology> {
    auto it = set.by_name.find(name);
    return it == set.by_name.end() ? nullptr : it->second;
  };
  std::shared_ptr<const ServedTopology> before = find(*before_name);
  if (!before) {
    return problem(404, "unknown-topology", "before: no topology '" + *before_name + "'");
  }
  const bool has_after = j->contains("after");
  if (has_after == j->contains("afterYaml")) {
    return problem(400, "bad-request", "give after (a topology's name) or afterYaml, not both");
  }
  DiffRequest request;
  request.before = input_of(*before);
  std::shared_ptr<const ServedTopology> after;
  std::string after_name = "afterYaml";
  if (has_after) {
    Result<std::string> name = get_string(*j, "", "after", true);
    if (!name) {
      return problem(400, name.error());
    }
    after = find(*name);
    if (!after) {
      return problem(404, "unknown-topology", "after: no topology '" + *name + "'");
    }
    after_name = *name;
    request.after = input_of(*after);
  } else {
    Result<std::string> yaml = get_string(*j, "", "afterYaml", true);
    if (!yaml) {
      return problem(400, yaml.error());
    }
    request.after = TopologyInput::text(*yaml, "afterYaml");
  }
  CancelToken token(cancel);
  if (Result<bool> ok = take_comparison(*j, request, token); !ok) {
    return problem(400, ok.error());
  }
  const uint64_t seed = request.seed;
  AppResult<DiffAnswer> answer = run_diff(std::move(request), Context{});
  if (!answer) {
    return failure_problem(answer.failure());
  }
  return comparison_answer(report_form(d), "diff", before->name + " -> " + after_name, answer->diff,
                           answer->sides, nullptr, seed);
}

Answer handle_migrate(const ServedTopology& t, const Dispatch& d, std::string_view body,
                      const std::atomic<bool>& cancel) {
  Result<Json> j = parse_json(body);
  if (!j) {
    return problem(400, j.error());
  }
  if (Result<bool> ok = check_keys(*j, "", {"to", "synth", "seed"}); !ok) {
    return problem(400, ok.error());
  }
  Result<std::string> to_text = get_string(*j, "", "to", true);
  if (!to_text) {
    return problem(400, to_text.error());
  }
  if (!parse_outbound_type(*to_text)) {
    return problem(400, "bad-value",
                   "to: '" + *to_text +
                       "' is not an outbound type (loadBalancer, managedNATGateway, "
                       "userAssignedNATGateway, userDefinedRouting, none, block)");
  }
  if (!t.topology->cluster) {
    return problem(422, "no-cluster", t.name + ": the topology has no cluster to migrate");
  }
  MigrateRequest request;
  request.topology = input_of(t);
  request.to = *to_text;
  CancelToken token(cancel);
  if (Result<bool> ok = take_comparison(*j, request, token); !ok) {
    return problem(400, ok.error());
  }
  const uint64_t seed = request.seed;
  AppResult<MigrateAnswer> answer = run_migrate(std::move(request), Context{});
  if (!answer) {
    return failure_problem(answer.failure());
  }
  return comparison_answer(report_form(d), "migrate", t.name + " --to " + *to_text, answer->diff,
                           answer->sides, &answer->context, seed);
}

}  // namespace egress
