#include "egress/app/app.h"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <utility>

#include "egress/capture/capture_reader.h"
#include "egress/capture/packet_selection.h"
#include "egress/config/fqdn_tags.h"
#include "egress/config/topology_checks.h"
#include "egress/migrate/migration_table.h"
#include "egress/net/ip_address.h"
#include "egress/replay/scaled_source.h"
#include "egress/synth/synth.h"

namespace egress {

namespace {

Failure fail(Diagnostic error, std::vector<Diagnostic> findings = {}) {
  return Failure{{std::move(error)}, std::move(findings)};
}

Failure fail(std::vector<Diagnostic> errors, std::vector<Diagnostic> findings = {}) {
  return Failure{std::move(errors), std::move(findings)};
}

// A usage or value error of the request, without a position: "error: MESSAGE".
Diagnostic bad_value(std::string message) {
  return Diagnostic{"bad-value", std::move(message), {}};
}

LoadResult load(const TopologyInput& input, const Context& context) {
  if (input.yaml) {
    return parse_topology(*input.yaml, input.display_name(), context.limits);
  }
  return load_topology_file(input.path, context.limits);
}

bool is_io_error(const std::vector<Diagnostic>& errors) {
  return std::any_of(errors.begin(), errors.end(), [](const Diagnostic& d) {
    return d.code == "io" || d.code == "file-too-large";
  });
}

Result<std::shared_ptr<const Engine>> engine_of(const LoadedTopology& loaded) {
  if (loaded.engine) {
    return loaded.engine;
  }
  Result<Engine> engine = Engine::build(loaded.topology);
  if (!engine) {
    return engine.error();
  }
  return std::shared_ptr<const Engine>(std::make_shared<Engine>(std::move(engine).value()));
}

AppResult<std::shared_ptr<const DestinationGroups>> load_groups(const GroupsInput& input) {
  if (input.groups || input.path.empty()) {
    return input.groups;
  }
  DestinationGroupsLoad loaded = load_destination_groups(input.path);
  if (!loaded.groups) {
    return fail(std::move(loaded.errors));
  }
  return std::shared_ptr<const DestinationGroups>(
      std::make_shared<DestinationGroups>(std::move(*loaded.groups)));
}

// The captures, with the packets -f, --time-range and --count select. A bad option value is
// an error before any packet is read.
Result<std::unique_ptr<PacketSource>> open_selected_captures(CaptureInput& captures) {
  PacketSelection selection;
  selection.filter = captures.filter;
  selection.count = captures.count;
  selection.input_names = captures.paths;
  for (std::string& name : selection.input_names) {
    name = name == "-" ? kStdinName : name;
  }
  if (!captures.time_range.empty()) {
    Result<TimeRange> range = parse_time_range(captures.time_range);
    if (!range) {
      return Diagnostic{range.error().code, "--time-range: " + range.error().message, {}};
    }
    selection.time_range = *range;
  }
  std::unique_ptr<PacketSource> source = std::move(captures.source);
  if (!source) {
    Result<std::unique_ptr<PacketSource>> opened = open_captures(captures.paths);
    if (!opened) {
      return opened.error();
    }
    source = std::move(opened).value();
  }
  Result<std::unique_ptr<PacketSource>> selected = select_packets(std::move(source), selection);
  if (!selected) {
    return Diagnostic{selected.error().code, "-f: " + selected.error().message, {}};
  }
  return selected;
}

// Every flow or verdict --fail-on names that the run saw, as "N flows REASON".
std::vector<std::string> failed_gates(const ReplaySummary& summary,
                                      const std::vector<std::string>& fail_on) {
  std::vector<std::string> hits;
  for (const std::string& name : fail_on) {
    uint64_t n = 0;
    if (auto it = summary.reasons.find(name); it != summary.reasons.end()) {
      n = it->second;
    } else if (auto v = summary.verdicts.find(name); v != summary.verdicts.end()) {
      n = v->second;
    }
    if (n != 0) {
      hits.push_back(std::to_string(n) + (n == 1 ? " flow " : " flows ") + name);
    }
  }
  return hits;
}

class NullSink final : public SimulationSink {
 public:
  void on_flow(const FlowRecord&) override {}
};

// synth's generated packets to the sink on their way to replay.
class GeneratedTee final : public PacketSource {
 public:
  GeneratedTee(PacketSource& inner, SimulationSink& sink) : inner_(inner), sink_(sink) {}
  Result<bool> next(RawPacket& packet) override {
    Result<bool> more = inner_.next(packet);
    if (more.ok() && *more) {
      sink_.on_generated(packet);
    }
    return more;
  }
  const std::vector<Diagnostic>& warnings() const override { return inner_.warnings(); }
  SourcePosition position() const override { return inner_.position(); }

 private:
  PacketSource& inner_;
  SimulationSink& sink_;
};

// The part replay and synth share: packets through the engine, results to the sink.
AppResult<ReplayAnswer> simulate(const Engine& engine, PacketSource& source,
                                 const SimulationOptions& options, std::vector<Diagnostic> findings,
                                 const ShardRun* shard_run = nullptr) {
  AppResult<std::shared_ptr<const DestinationGroups>> groups = load_groups(options.groups);
  if (!groups) {
    return fail(groups.failure().errors, std::move(findings));
  }
  NullSink null_sink;
  SimulationSink& sink = options.sink != nullptr ? *options.sink : null_sink;
  std::unique_ptr<GeneratedTee> tee;
  PacketSource* input = &source;
  if (sink.wants_generated()) {
    tee = std::make_unique<GeneratedTee>(source, sink);
    input = tee.get();
  }
  sink.on_start(*input);
  Result<Speedup> speedup = parse_speedup(options.speedup);
  if (!speedup) {
    return fail(speedup.error(), std::move(findings));
  }
  // Unscaled, the packets go straight from the source: no wrapper to pay for on each one.
  std::optional<ScaledSource> scaled;
  if (options.scale != 1 || !speedup->identity()) {
    scaled.emplace(*input, engine.topology(), ScaleOptions{options.scale, *speedup, options.seed});
    input = &*scaled;
  }
  std::unique_ptr<PacketSource> cancellable;
  if (options.cancel != nullptr) {
    cancellable = make_cancellable_source(*input, *options.cancel);
    input = cancellable.get();
  }
  ReplayOptions replay_options;
  replay_options.seed = options.seed;
  replay_options.scale = options.scale;
  replay_options.speedup = speedup->value();
  replay_options.records = options.records;
  replay_options.groups = groups->get();
  if (options.progress_every != 0) {
    replay_options.progress_every = options.progress_every;
  }
  replay_options.rewrite = options.rewrite;
  replay_options.threads = std::max(1u, options.threads);
  if (options.shard) {
    if (groups->get() != nullptr) {
      return fail(
          bad_value("--groups: not with --shard yet (a shard file keeps no destination groups)"),
          std::move(findings));
    }
    Result<ShardOutcome> kept =
        replay_shard(engine, *input, replay_options, *options.shard, *shard_run, options.shard_out,
                     options.shard_out_name, sink);
    if (!kept) {
      return fail(kept.error(), std::move(findings));
    }
    ReplayAnswer answer;
    answer.findings = std::move(findings);
    answer.shard = *kept;
    answer.summary.warnings = input->warnings();
    return answer;
  }
  Result<ReplaySummary> summary = replay(engine, *input, replay_options, sink);
  if (!summary) {
    return fail(summary.error(), std::move(findings));
  }
  ReplayAnswer answer;
  answer.findings = std::move(findings);
  answer.failed_gates = failed_gates(*summary, options.fail_on);
  answer.summary = std::move(summary).value();
  return answer;
}

// The flows diff and migrate compare, from the before topology `sources` for synthetic ones.
Result<std::unique_ptr<PacketSource>> comparison_flows(ComparisonFlows& flows, uint64_t seed,
                                                       bool seed_given, const Topology& sources,
                                                       std::vector<Diagnostic>& errors) {
  if (!flows.captures.empty()) {
    return open_selected_captures(flows.captures);
  }
  SynthSpec spec;
  if (!flows.mix_path.empty()) {
    SynthMixLoad mix = load_synth_mix(flows.mix_path);
    if (!mix.spec) {
      errors = std::move(mix.errors);
      return Diagnostic{};
    }
    spec = *mix.spec;
  }
  if (flows.synth != 0 || flows.mix_path.empty()) {
    spec.flows = flows.synth;
  }
  if (seed_given || flows.mix_path.empty()) {
    spec.seed = seed;
  }
  if (!flows.destinations.empty()) {
    auto parsed = parse_destination_list(flows.destinations);
    if (!parsed) {
      return bad_value("--destinations: " + parsed.error().message);
    }
    spec.destinations = *parsed;
  }
  return make_synth_source(sources, spec);
}

std::optional<std::string> flows_usage_error(const ComparisonFlows& flows) {
  if (flows.captures.empty() == (flows.synth == 0 && flows.mix_path.empty())) {
    return std::string(
        "give the flows to compare: capture files or --synth N (or --mix FILE), not both");
  }
  if (!flows.captures.empty() && !flows.destinations.empty()) {
    return std::string(
        "--destinations shapes synthetic flows (--synth N, --mix FILE); captures have their own");
  }
  return std::nullopt;
}

// Each finding once: diff may be given one file twice.
void add_findings(std::vector<Diagnostic>& to, const std::vector<Diagnostic>& from) {
  for (const Diagnostic& d : from) {
    bool seen = std::any_of(to.begin(), to.end(), [&](const Diagnostic& t) {
      return t.code == d.code && t.message == d.message && t.where == d.where;
    });
    if (!seen) {
      to.push_back(d);
    }
  }
}

// Compares `flows` through both topologies; failures carry `findings`.
AppResult<DiffReport> compare(const LoadedTopology& before, const LoadedTopology& after,
                              ComparisonFlows& flows, const GroupsInput& groups_input,
                              uint64_t seed, bool seed_given, const CancelToken* cancel,
                              const std::map<IpAddress, std::string>& rename,
                              const std::vector<Diagnostic>& findings, ComparedSides& sides) {
  AppResult<std::shared_ptr<const DestinationGroups>> groups = load_groups(groups_input);
  if (!groups) {
    return fail(groups.failure().errors, findings);
  }
  std::vector<Diagnostic> errors;
  Result<std::unique_ptr<PacketSource>> made =
      comparison_flows(flows, seed, seed_given, *before.topology, errors);
  if (!errors.empty()) {
    return fail(std::move(errors), findings);
  }
  if (!made) {
    return fail(made.error(), findings);
  }
  Result<std::shared_ptr<const Engine>> before_engine = engine_of(before);
  Result<std::shared_ptr<const Engine>> after_engine = engine_of(after);
  if (!before_engine || !after_engine) {
    std::vector<Diagnostic> failed;
    for (const auto* e : {&before_engine, &after_engine}) {
      if (!*e) {
        failed.push_back(e->error());
      }
    }
    return fail(std::move(failed), findings);
  }
  sides.before_engine = *before_engine;
  sides.after_engine = *after_engine;
  PacketSource* input = made->get();
  std::unique_ptr<PacketSource> cancellable;
  if (cancel != nullptr) {
    cancellable = make_cancellable_source(*input, *cancel);
    input = cancellable.get();
  }
  Result<DiffReport> diff =
      diff_flows(**before_engine, **after_engine, *input, seed, rename, groups->get());
  if (!diff) {
    return fail(diff.error(), findings);
  }
  diff->warnings = migration_warnings(*after.topology, *diff);
  return std::move(diff).value();
}

}  // namespace

TopologyInput TopologyInput::file(std::string path) {
  TopologyInput input;
  input.path = std::move(path);
  return input;
}

TopologyInput TopologyInput::text(std::string yaml, std::string name) {
  TopologyInput input;
  input.yaml = std::move(yaml);
  input.name = std::move(name);
  return input;
}

TopologyInput TopologyInput::loaded(std::shared_ptr<const Topology> topology, std::string name,
                                    std::shared_ptr<const Engine> engine,
                                    std::shared_ptr<const std::vector<Diagnostic>> findings) {
  TopologyInput input;
  input.topology = std::move(topology);
  input.name = std::move(name);
  input.engine = std::move(engine);
  input.findings = std::move(findings);
  return input;
}

AppResult<LoadedTopology> load_for_simulation(const TopologyInput& input, const Context& context,
                                              bool compile) {
  LoadedTopology loaded;
  if (input.topology) {
    loaded.topology = input.topology;
    loaded.engine = input.engine;
    loaded.findings = input.findings ? *input.findings : check_topology(*input.topology);
  } else {
    LoadResult result = load(input, context);
    if (!result.errors.empty() || !result.topology) {
      if (result.errors.empty()) {
        result.errors.push_back(Diagnostic{"load", "the topology could not be loaded",
                                           SourceLocation{input.display_name()}});
      }
      return fail(std::move(result.errors));
    }
    loaded.findings = check_topology(*result.topology);
    loaded.topology = std::make_shared<const Topology>(std::move(*result.topology));
  }
  if (compile && !loaded.engine) {
    Result<std::shared_ptr<const Engine>> engine = engine_of(loaded);
    if (!engine) {
      return fail(engine.error(), std::move(loaded.findings));
    }
    loaded.engine = std::move(engine).value();
  }
  return loaded;
}

void SimulationSink::on_start(const PacketSource&) {}
bool SimulationSink::wants_generated() const {
  return false;
}
void SimulationSink::on_generated(const RawPacket&) {}

AppResult<ValidateAnswer> run_validate(const ValidateRequest& request, const Context& context) {
  ValidateAnswer answer;
  if (request.topology.topology) {
    answer.topology = request.topology.topology;
    answer.findings =
        request.topology.findings ? *request.topology.findings : check_topology(*answer.topology);
    return answer;
  }
  LoadResult loaded = load(request.topology, context);
  if (is_io_error(loaded.errors)) {
    return fail(std::move(loaded.errors));
  }
  answer.errors = std::move(loaded.errors);
  if (answer.errors.empty() && loaded.topology) {
    answer.findings = check_topology(*loaded.topology);
    answer.topology = std::make_shared<const Topology>(std::move(*loaded.topology));
  }
  return answer;
}

AppResult<RoutesAnswer> run_routes(const RoutesRequest& request, const Context& context) {
  AppResult<LoadedTopology> loaded = load_for_simulation(request.topology, context, false);
  if (!loaded) {
    return std::move(loaded).failure();
  }
  const Topology& topology = *loaded->topology;
  Index subnet = topology.find_subnet(request.subnet);
  if (subnet == kNoIndex) {
    std::string known;
    for (const Subnet& s : topology.subnets) {
      known += (known.empty() ? "" : ", ") + s.full_name;
    }
    return fail(
        Diagnostic{"unknown-subnet",
                   "no subnet '" + request.subnet + "' in " + request.topology.display_name() +
                       "; " + (known.empty() ? "it has no subnets" : "subnets: " + known),
                   {}},
        std::move(loaded->findings));
  }
  RoutesAnswer answer;
  answer.routes =
      loaded->engine ? loaded->engine->routes(subnet) : compute_effective_routes(topology, subnet);
  answer.findings = std::move(loaded->findings);
  answer.topology = loaded->topology;
  answer.subnet = subnet;
  return answer;
}

Result<FlowKey> parse_flow_fields(const FlowFields& fields, std::string_view prefix) {
  const std::string p(prefix);
  auto bad_address = [](std::string message) {
    return Diagnostic{"bad-address", std::move(message), {}};
  };
  std::optional<IpAddress> src = IpAddress::parse(fields.src);
  if (!src) {
    return bad_address(p + "src: '" + fields.src + "' is not an IPv4 or IPv6 address");
  }
  std::optional<IpAddress> dst = IpAddress::parse(fields.dst);
  if (!dst) {
    return bad_address(p + "dst: '" + fields.dst + "' is not an IPv4 or IPv6 address");
  }
  auto family = [](const IpAddress& a) { return a.is_v4() ? "IPv4" : "IPv6"; };
  if (src->family() != dst->family()) {
    return bad_address(p + "src " + fields.src + " is " + family(*src) + " but " + p + "dst " +
                       fields.dst + " is " + family(*dst));
  }
  std::optional<Protocol> proto = parse_protocol(fields.proto);
  if (!proto) {
    return bad_value(p + "proto: '" + fields.proto + "' is not one of tcp, udp, icmp");
  }
  for (const auto& [name, port] : {std::pair{"sport", fields.sport}, {"dport", fields.dport}}) {
    if (port < 0 || port > 65535) {
      return bad_value(p + name + ": " + std::to_string(port) + " is not a port (0 to 65535)");
    }
  }
  if (!fields.host.empty() && !valid_host_name(fields.host)) {
    return bad_value(p + "host: '" + fields.host +
                     "' is not a host name (labels of letters, digits, "
                     "'-' and '_', separated by dots)");
  }
  return FlowKey{*proto, *src, static_cast<uint16_t>(fields.sport), *dst,
                 static_cast<uint16_t>(fields.dport)};
}

bool TraceAnswer::problem() const {
  return result.verdict == Verdict::kDropped || result.verdict == Verdict::kAsymmetric;
}

AppResult<TraceAnswer> run_trace(const TraceRequest& request, const Context& context) {
  AppResult<LoadedTopology> loaded = load_for_simulation(request.topology, context);
  if (!loaded) {
    return std::move(loaded).failure();
  }
  TraceAnswer answer;
  answer.result = loaded->engine->trace(request.flow, request.seed, request.host);
  answer.findings = std::move(loaded->findings);
  return answer;
}

// What a shard file says of its run: the topology's text (merge loads it from there) and names.
Result<ShardRun> shard_run_of(const TopologyInput& topology, std::string command,
                              std::vector<std::string> captures) {
  ShardRun run;
  run.command = std::move(command);
  run.captures = std::move(captures);
  run.topology_name = topology.name.empty() ? topology.path : topology.name;
  if (topology.yaml) {
    run.topology_text = *topology.yaml;
    return run;
  }
  std::ifstream in(topology.path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    return Error{"io", topology.path + ": cannot read the topology for the shard file", {}};
  }
  run.topology_text = text.str();
  return run;
}

uint32_t usable_cpus() {
  uint32_t cpus = std::max(1u, std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    cpus = static_cast<uint32_t>(std::max(1, CPU_COUNT(&set)));
  }
  // A container's CPU limit (a Kubernetes pod's `limits.cpu`) is a cgroup v2 quota, not an
  // affinity mask: "QUOTA PERIOD" in microseconds, or "max".
  std::ifstream limit("/sys/fs/cgroup/cpu.max");
  std::string quota;
  uint64_t period = 0;
  if (limit >> quota >> period && quota != "max" && period != 0) {
    uint64_t q = std::strtoull(quota.c_str(), nullptr, 10);
    if (q != 0) {
      cpus = std::min<uint32_t>(
          cpus, static_cast<uint32_t>(std::max<uint64_t>(1, (q + period - 1) / period)));
    }
  }
  return cpus;
}

AppResult<ReplayAnswer> run_replay(ReplayRequest request, const Context& context) {
  if (std::optional<std::string> e = check_fail_on(request.options.fail_on)) {
    return fail(bad_value("--fail-on: " + *e));
  }
  AppResult<LoadedTopology> loaded = load_for_simulation(request.topology, context);
  if (!loaded) {
    return std::move(loaded).failure();
  }
  ShardRun shard_run;
  if (request.options.shard) {
    Result<ShardRun> run = shard_run_of(request.topology, "replay", request.captures.paths);
    if (!run) {
      return fail(run.error(), std::move(loaded->findings));
    }
    shard_run = std::move(run).value();
    shard_run.packets = request.options.shard_packets;
  }
  Result<std::unique_ptr<PacketSource>> source = open_selected_captures(request.captures);
  if (!source) {
    return fail(source.error(), std::move(loaded->findings));
  }
  AppResult<ReplayAnswer> answer =
      simulate(*loaded->engine, **source, request.options, std::move(loaded->findings), &shard_run);
  if (answer) {
    answer->topology = loaded->topology;
  }
  return answer;
}

AppResult<MergeAnswer> run_merge(MergeRequest request, const Context& context) {
  if (std::optional<std::string> e = check_fail_on(request.options.fail_on)) {
    return fail(bad_value("--fail-on: " + *e));
  }
  Result<ShardSet> shards = ShardSet::open(request.shards);
  if (!shards) {
    return fail(shards.error());
  }
  MergeAnswer answer;
  answer.run = shards->run();
  AppResult<LoadedTopology> loaded = load_for_simulation(
      TopologyInput::text(answer.run.topology_text, answer.run.topology_name), context);
  if (!loaded) {
    return std::move(loaded).failure();
  }
  const SimulationOptions& o = request.options;
  ReplayOptions options;
  options.records = o.records;
  options.rewrite = o.rewrite;
  NullSink null_sink;
  Result<ReplaySummary> summary =
      shards->merge(*loaded->engine, options, o.sink != nullptr ? *o.sink : null_sink);
  if (!summary) {
    return fail(summary.error(), std::move(loaded->findings));
  }
  answer.replay.findings = std::move(loaded->findings);
  answer.replay.failed_gates = failed_gates(*summary, o.fail_on);
  answer.replay.summary = std::move(summary).value();
  answer.replay.topology = loaded->topology;
  return answer;
}

AppResult<ReplayAnswer> run_synth(SynthRequest request, const Context& context) {
  if (std::optional<std::string> e = check_fail_on(request.options.fail_on)) {
    return fail(bad_value("--fail-on: " + *e));
  }
  const SynthSettings& s = request.settings;
  SynthSpec spec;
  if (s.has_mix()) {
    SynthMixLoad mix =
        s.mix_yaml ? parse_synth_mix(*s.mix_yaml, s.mix_path) : load_synth_mix(s.mix_path);
    if (!mix.spec) {
      return fail(std::move(mix.errors));
    }
    spec = *mix.spec;
  }
  if (s.flows || !s.has_mix()) {
    spec.flows = s.flows.value_or(0);
  }
  if (s.seed || !s.has_mix()) {
    spec.seed = s.seed.value_or(0);
  }
  if (!s.sources.empty()) {
    auto parsed = parse_source_list(s.sources);
    if (!parsed) {
      return fail(bad_value("--sources: " + parsed.error().message));
    }
    spec.sources = *parsed;
  }
  if (!s.destinations.empty()) {
    auto parsed = parse_destination_list(s.destinations);
    if (!parsed) {
      return fail(bad_value("--destinations: " + parsed.error().message));
    }
    spec.destinations = *parsed;
  }
  if (!s.protocols.empty()) {
    auto parsed = parse_protocol_mix(s.protocols);
    if (!parsed) {
      return fail(bad_value("--protocols: " + parsed.error().message));
    }
    spec.protocols = *parsed;
  }
  spec.flows_per_second = s.rate.value_or(spec.flows_per_second);
  spec.mean_duration_s = s.duration.value_or(spec.mean_duration_s);
  spec.mean_packets = s.packets.value_or(spec.mean_packets);
  spec.zipf = s.zipf.value_or(spec.zipf);
  spec.rst_share = s.rst_share.value_or(spec.rst_share);
  spec.mean_payload_bytes = s.payload.value_or(spec.mean_payload_bytes);

  AppResult<LoadedTopology> loaded = load_for_simulation(request.topology, context, false);
  if (!loaded) {
    return std::move(loaded).failure();
  }
  Result<std::unique_ptr<PacketSource>> source = make_synth_source(*loaded->topology, spec);
  if (!source) {
    return fail(source.error(), std::move(loaded->findings));
  }
  Result<std::shared_ptr<const Engine>> engine = engine_of(*loaded);
  if (!engine) {
    return fail(engine.error(), std::move(loaded->findings));
  }
  request.options.seed = spec.seed;
  ShardRun shard_run;
  if (request.options.shard) {
    Result<ShardRun> run = shard_run_of(request.topology, "synth", {});
    if (!run) {
      return fail(run.error(), std::move(loaded->findings));
    }
    shard_run = std::move(run).value();
    shard_run.packets = request.options.shard_packets;
  }
  AppResult<ReplayAnswer> answer =
      simulate(**engine, **source, request.options, std::move(loaded->findings), &shard_run);
  if (answer) {
    answer->topology = loaded->topology;
  }
  return answer;
}

AppResult<DiffAnswer> run_diff(DiffRequest request, const Context& context) {
  if (std::optional<std::string> e = flows_usage_error(request.flows)) {
    return fail(bad_value(*e));
  }
  AppResult<LoadedTopology> before = load_for_simulation(request.before, context, false);
  if (!before) {
    return std::move(before).failure();
  }
  std::vector<Diagnostic> findings = before->findings;
  AppResult<LoadedTopology> after = load_for_simulation(request.after, context, false);
  if (!after) {
    Failure failure = std::move(after).failure();
    return fail(std::move(failure.errors), std::move(findings));
  }
  add_findings(findings, after->findings);
  ComparedSides sides{before->topology, after->topology, nullptr, nullptr};
  AppResult<DiffReport> diff = compare(*before, *after, request.flows, request.groups, request.seed,
                                       request.seed_given, request.cancel, {}, findings, sides);
  if (!diff) {
    return std::move(diff).failure();
  }
  return DiffAnswer{std::move(findings), std::move(diff).value(), std::move(sides)};
}

bool MigrateAnswer::problem() const {
  return !context.verdict.supported || context.refused || diff.changed != 0;
}

AppResult<MigrateAnswer> run_migrate(MigrateRequest request, const Context& context) {
  std::optional<OutboundType> to = parse_outbound_type(request.to);
  if (!to) {
    return fail(bad_value("--to: '" + request.to +
                          "' is not an outbound type (loadBalancer, managedNATGateway, "
                          "userAssignedNATGateway, userDefinedRouting, none, block)"));
  }
  if (std::optional<std::string> e = flows_usage_error(request.flows)) {
    return fail(bad_value(*e));
  }
  AppResult<LoadedTopology> before = load_for_simulation(request.topology, context, false);
  if (!before) {
    return std::move(before).failure();
  }
  MigrateAnswer answer;
  answer.findings = before->findings;
  answer.sides.before = before->topology;
  const Topology& before_topology = *before->topology;
  if (!before_topology.cluster) {
    return fail(Diagnostic{"no-cluster", "the topology has no cluster to migrate",
                           SourceLocation{request.topology.display_name()}},
                std::move(answer.findings));
  }
  std::optional<MigrationTable> loaded_table;
  if (!request.migration_table.empty()) {
    MigrationTableLoad load = load_migration_table(request.migration_table);
    if (!load.table) {
      return fail(std::move(load.errors), std::move(answer.findings));
    }
    loaded_table = std::move(load.table);
  }
  const MigrationTable& table = loaded_table ? *loaded_table : default_migration_table();

  MigrationContext& migration = answer.context;
  migration.from = to_string(before_topology.cluster->outbound_type);
  migration.to = to_string(*to);
  migration.verdict = check_migration(table, before_topology.cluster->vnet_mode,
                                      before_topology.cluster->outbound_type, *to);
  if (!migration.verdict.supported) {
    return answer;
  }

  LoadedTopology after;
  bool refused = false;
  if (!request.after.empty()) {
    // Its findings are in the report (after-state), not also among the warnings.
    AppResult<LoadedTopology> user_after = load_for_simulation(request.after, context, false);
    if (!user_after) {
      Failure failure = std::move(user_after).failure();
      return fail(std::move(failure.errors), std::move(answer.findings));
    }
    after = std::move(user_after).value();
    migration.after_findings = new_findings(before_topology, *after.topology, &refused);
  } else {
    MigrationOptions options;
    options.to = *to;
    options.managed_outbound_ips = request.managed_outbound_ips;
    Result<MigrationPlan> built = plan_migration(before_topology, options);
    if (!built) {
      return fail(built.error(), std::move(answer.findings));
    }
    answer.plan = std::make_unique<MigrationPlan>(std::move(built).value());
    after.topology = std::make_shared<const Topology>(answer.plan->after);
    refused = answer.plan->refused;
    migration.after_findings = answer.plan->findings;
    migration.plan = answer.plan.get();
  }
  migration.refused = refused;
  answer.sides.after = after.topology;
  if (refused) {
    // The tables allow it but AKS would not: a diff would describe a state that never exists.
    return answer;
  }
  static const std::map<IpAddress, std::string> kNoRename;
  AppResult<DiffReport> diff =
      compare(*before, after, request.flows, request.groups, request.seed, request.seed_given,
              request.cancel, answer.plan ? answer.plan->unknown : kNoRename, answer.findings,
              answer.sides);
  if (!diff) {
    return std::move(diff).failure();
  }
  answer.diff = std::move(diff).value();
  return answer;
}

ImportResult run_import(const ImportRequest& request) {
  return import_azure(request.sources, request.options);
}

AppResult<CheckAnswer> run_check(const CheckRequest& request, const Context& context) {
  AppResult<LoadedTopology> loaded = load_for_simulation(request.topology, context, false);
  if (!loaded) {
    return std::move(loaded).failure();
  }
  AnswersLoad load = read_azure_answers(request.answers);
  if (!load.errors.empty()) {
    return fail(std::move(load.errors), std::move(loaded->findings));
  }
  CheckResult result = check_against_azure(*loaded->topology, load.answers,
                                           CheckOptions{request.nic, request.subnet});
  if (!result.errors.empty()) {
    return fail(std::move(result.errors), std::move(loaded->findings));
  }
  return CheckAnswer{std::move(loaded->findings), std::move(result)};
}

ModelsAnswer run_models() {
  return ModelsAnswer{all_models()};
}

std::vector<std::string> fail_on_names() {
  std::vector<std::string> names;
  for (int r = static_cast<int>(Reason::kNone) + 1;
       r <= static_cast<int>(Reason::kForwardedTrafficNotAllowed); ++r) {
    names.emplace_back(to_string(static_cast<Reason>(r)));
  }
  for (Verdict v : {Verdict::kDropped, Verdict::kAsymmetric, Verdict::kEgress, Verdict::kInternal,
                    Verdict::kOnprem, Verdict::kIngress}) {
    names.emplace_back(to_string(v));
  }
  return names;
}

std::optional<std::string> check_fail_on(const std::vector<std::string>& fail_on) {
  const std::vector<std::string> names = fail_on_names();
  for (const std::string& name : fail_on) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string known;
      for (const std::string& n : names) {
        known += (known.empty() ? "" : ", ") + n;
      }
      return "'" + name + "' is not a reason or verdict (" + known + ")";
    }
  }
  return std::nullopt;
}

}  // namespace egress
