// The application layer: one request and one answer per command, and the function that runs
// it. The CLI (tools/egress_main.cc) and the server (sim/server) are front ends over these:
// they turn arguments or HTTP into a request and an answer into text, JSON or a status, and
// hold no policy of their own. Which topology problems refuse a command and which only warn,
// how synth's flags override a mix file, the migration context, the --fail-on gates: here.
//
// Nothing here prints or touches an output file: flow records and rewritten packets go to a
// SimulationSink as they happen (never whole in memory), the rest comes back in the answer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "egress/app/cancel_token.h"
#include "egress/capture/raw_packet.h"
#include "egress/check/azure_check.h"
#include "egress/config/topology.h"
#include "egress/config/topology_loader.h"
#include "egress/engine/effective_routes.h"
#include "egress/engine/engine.h"
#include "egress/engine/flow.h"
#include "egress/engine/models.h"
#include "egress/groups/destination_groups.h"
#include "egress/import/arm_import.h"
#include "egress/migrate/flow_diff.h"
#include "egress/migrate/migration_plan.h"
#include "egress/replay/replay.h"
#include "egress/replay/shard.h"
#include "egress/report/diff_report.h"
#include "egress/util/result.h"

namespace egress {

// --- Results ------------------------------------------------------------------------------

/// Why a command gave no answer. A topology or mix file can have many errors, so there is a
/// list (never empty); `findings` are the topology findings known before it failed, which a
/// front end still shows as warnings (the CLI prints them before the errors).
struct Failure {
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> findings;
};

/// Result<T> with a Failure for its error: the answer or every reason there is none.
template <class T>
class [[nodiscard]] AppResult {
 public:
  AppResult(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  AppResult(Failure failure) : v_(std::move(failure)) {}  // NOLINT: implicit by design

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Failure& failure() const& { return std::get<1>(v_); }
  Failure&& failure() && { return std::get<1>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, Failure> v_;
};

// --- Inputs -------------------------------------------------------------------------------

/// What every command runs with besides its request.
struct Context {
  LoadLimits limits;  // of topology text, file or posted
};

/// A topology: a file to load (the CLI), YAML text (a posted one), or one already loaded (a
/// server's, shared between threads and never changed; its engine compiled once).
struct TopologyInput {
  std::string path;                                         // load this file, or
  std::optional<std::string> yaml;                          // parse this text, or
  std::shared_ptr<const Topology> topology;                 // use this one
  std::shared_ptr<const Engine> engine;                     // topology's engine, when compiled
  std::shared_ptr<const std::vector<Diagnostic>> findings;  // topology's, when known
  /// How messages name it: the file (the default for `path`) or a server's topology name.
  std::string name;

  static TopologyInput file(std::string path);
  static TopologyInput text(std::string yaml, std::string name);
  static TopologyInput loaded(std::shared_ptr<const Topology> topology, std::string name,
                              std::shared_ptr<const Engine> engine = nullptr,
                              std::shared_ptr<const std::vector<Diagnostic>> findings = nullptr);
  bool empty() const { return path.empty() && !yaml && !topology; }
  const std::string& display_name() const { return name.empty() ? path : name; }
};

/// A topology that simulation commands accept: no errors; its findings are warnings.
struct LoadedTopology {
  std::shared_ptr<const Topology> topology;
  std::shared_ptr<const Engine> engine;  // compiled by load_for_simulation when asked
  std::vector<Diagnostic> findings;
};

/// The refuse-or-warn policy of every command that simulates: a topology with errors is
/// refused (every error; "NAME: error: the topology could not be loaded" when there are none
/// to give); findings come back to show as warnings. With `compile`, the engine is built too
/// (or taken from the input). A server loads its topologies with this at start.
AppResult<LoadedTopology> load_for_simulation(const TopologyInput& input, const Context& context,
                                              bool compile = true);

/// Named destination groups: a file (--groups FILE), or loaded already. Empty: none.
struct GroupsInput {
  std::string path;
  std::shared_ptr<const DestinationGroups> groups;
  bool empty() const { return path.empty() && !groups; }
};

/// Captures: files (merged in time order, "-" for standard input) or packets already open (a
/// posted body), with the packets -f, --count and --time-range select.
struct CaptureInput {
  std::vector<std::string> paths;
  std::unique_ptr<PacketSource> source;  // instead of paths
  std::string filter;
  uint64_t count = 0;
  std::string time_range;
  bool empty() const { return paths.empty() && !source; }
};

/// Where replay and synth send what grows with the input, as it happens.
class SimulationSink : public ReplaySink {
 public:
  /// Before the first packet: the packets being read (before any scaling), for progress.
  virtual void on_start(const PacketSource& source);
  /// synth: every generated packet, before it is replayed (synth --pcap-out), when asked.
  virtual bool wants_generated() const;
  virtual void on_generated(const RawPacket& packet);
};

/// The CPUs this process may run on (its affinity mask), at least 1: --threads' default.
uint32_t usable_cpus();

/// What replay and synth share.
struct SimulationOptions {
  uint64_t seed = 0;
  uint32_t scale = 1;                // 1..kMaxScale
  std::string speedup = "1";         // parse_speedup's forms
  uint32_t threads = 1;              // flow-tracking workers (ReplayOptions::threads)
  std::vector<std::string> fail_on;  // fail_on_names() only
  GroupsInput groups;
  bool records = false;            // build flow records for sink->on_flow
  bool rewrite = false;            // rewritten packets for sink->on_egress_packet
  uint64_t progress_every = 0;     // packets between sink->on_progress; 0: none
  SimulationSink* sink = nullptr;  // null: nothing streamed, only the summary
  const CancelToken* cancel = nullptr;
  /// replay and synth --shard: keep this shard's flows and write its shard file to
  /// shard_out (named shard_out_name) instead of any other output.
  std::optional<ShardSpec> shard;
  std::FILE* shard_out = nullptr;
  std::string shard_out_name;
  /// --shard-no-packets: false leaves the packets out of the shard file (ShardRun::packets).
  bool shard_packets = true;
};

// --- Commands -----------------------------------------------------------------------------

struct ValidateRequest {
  TopologyInput topology;  // a file or text
};
struct ValidateAnswer {
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> findings;
  std::shared_ptr<const Topology> topology;  // null when there are errors
  bool clean() const { return errors.empty() && findings.empty(); }
};
/// Errors and findings are the answer; fails only when the file cannot be read (io,
/// file-too-large).
AppResult<ValidateAnswer> run_validate(const ValidateRequest& request, const Context& context);

struct RoutesRequest {
  TopologyInput topology;
  std::string subnet;  // VNET/SUBNET
};
struct RoutesAnswer {
  std::vector<Diagnostic> findings;
  std::shared_ptr<const Topology> topology;
  Index subnet = kNoIndex;
  std::vector<EffectiveRoute> routes;
};
AppResult<RoutesAnswer> run_routes(const RoutesRequest& request, const Context& context);

/// A flow as a person or a JSON body gives it, before parsing.
struct FlowFields {
  std::string src;
  std::string dst;
  std::string proto = "tcp";
  int64_t sport = 50000;  // an ephemeral port as Linux picks them (32768-60999)
  int64_t dport = 443;
  std::string host;
};
/// The flow of `fields`; errors name each field with `prefix` before it ("--src" on the
/// command line, "src" in a JSON body): "--src: '1.2.3' is not an IPv4 or IPv6 address".
/// Codes: `bad-address` for the addresses, `bad-value` for the rest.
Result<FlowKey> parse_flow_fields(const FlowFields& fields, std::string_view prefix);

struct TraceRequest {
  TopologyInput topology;
  FlowKey flow;
  std::string host;
  uint64_t seed = 0;
};
struct TraceAnswer {
  std::vector<Diagnostic> findings;
  FlowResult result;
  /// The flow does not get where it was going (dropped or asymmetric): the CLI's exit 1.
  bool problem() const;
};
AppResult<TraceAnswer> run_trace(const TraceRequest& request, const Context& context);

struct ReplayRequest {
  TopologyInput topology;
  CaptureInput captures;
  SimulationOptions options;
};
struct ReplayAnswer {
  std::vector<Diagnostic> findings;
  ReplaySummary summary;
  std::optional<ShardOutcome> shard;  // a --shard run's: what it kept (no summary then)
  /// Each --fail-on reason or verdict that occurred, as "N flows REASON", in --fail-on order.
  std::vector<std::string> failed_gates;
  std::shared_ptr<const Topology> topology;  // the one replayed through, for reports
};
AppResult<ReplayAnswer> run_replay(ReplayRequest request, const Context& context);

/// merge: the shard files of one replay --shard or synth --shard run, into what one run gives.
struct MergeRequest {
  std::vector<std::string> shards;
  SimulationOptions options;  // outputs, fail-on and threads; seed and scale are the shards'
};
struct MergeAnswer {
  ReplayAnswer replay;
  ShardRun run;  // what the shards replayed, for the report's title
};
AppResult<MergeAnswer> run_merge(MergeRequest request, const Context& context);

/// Synthetic flows: a mix file (or its text) with flags over it. A flag left out keeps the
/// mix's value; without a mix, flows and seed are the request's, the rest SynthSpec's defaults.
struct SynthSettings {
  std::string mix_path;
  std::optional<std::string> mix_yaml;  // instead of mix_path; named by mix_path if set
  std::optional<uint64_t> flows;
  std::optional<uint64_t> seed;
  std::string sources;       // parse_source_list
  std::string destinations;  // parse_destination_list
  std::string protocols;     // parse_protocol_mix
  std::optional<double> rate;
  std::optional<double> duration;
  std::optional<double> packets;
  std::optional<double> zipf;
  std::optional<double> rst_share;
  std::optional<uint32_t> payload;
  bool has_mix() const { return !mix_path.empty() || mix_yaml.has_value(); }
};
struct SynthRequest {
  TopologyInput topology;
  SynthSettings settings;
  SimulationOptions options;  // options.seed is replaced by the spec's
};
AppResult<ReplayAnswer> run_synth(SynthRequest request, const Context& context);

/// The flows diff and migrate compare: captures, or synthetic ones drawn from the before
/// topology as synth makes them (synth N, a mix, destinations).
struct ComparisonFlows {
  CaptureInput captures;
  uint64_t synth = 0;
  std::string mix_path;
  std::string destinations;
};
struct DiffRequest {
  TopologyInput before;
  TopologyInput after;
  ComparisonFlows flows;
  GroupsInput groups;
  uint64_t seed = 0;
  bool seed_given = false;  // else a mix file's seed shapes synthetic flows
  const CancelToken* cancel = nullptr;
};
/// The two sides a comparison ran on, for what a report draws (its paths traced again).
struct ComparedSides {
  std::shared_ptr<const Topology> before;
  std::shared_ptr<const Topology> after;  // null when migrate refused the move before building it
  std::shared_ptr<const Engine> before_engine;  // null when no flows were compared
  std::shared_ptr<const Engine> after_engine;
};
struct DiffAnswer {
  std::vector<Diagnostic> findings;  // both topologies', each once
  DiffReport diff;
  ComparedSides sides;
};
AppResult<DiffAnswer> run_diff(DiffRequest request, const Context& context);

struct MigrateRequest {
  TopologyInput topology;
  std::string to;               // an outbound type
  TopologyInput after;          // empty: the after-state AKS builds (plan_migration)
  std::string migration_table;  // a markdown file; empty: the built-in tables
  uint32_t managed_outbound_ips = 1;
  ComparisonFlows flows;
  GroupsInput groups;
  uint64_t seed = 0;
  bool seed_given = false;
  const CancelToken* cancel = nullptr;
};
struct MigrateAnswer {
  std::vector<Diagnostic> findings;     // the before topology's
  std::unique_ptr<MigrationPlan> plan;  // context.plan points here
  MigrationContext context;
  DiffReport diff;  // empty when the move is unsupported or refused
  ComparedSides sides;
  /// Unsupported, refused, or flows change: the CLI's exit 1.
  bool problem() const;
};
AppResult<MigrateAnswer> run_migrate(MigrateRequest request, const Context& context);

struct ImportRequest {
  std::vector<std::string> sources;
  ImportOptions options;
};
/// The import is the answer, errors included (an import is whole or nothing).
ImportResult run_import(const ImportRequest& request);

struct CheckRequest {
  TopologyInput topology;
  std::vector<std::string> answers;  // Azure's JSON: files or folders
  std::string nic;
  std::string subnet;
};
struct CheckAnswer {
  std::vector<Diagnostic> findings;
  CheckResult result;
};
AppResult<CheckAnswer> run_check(const CheckRequest& request, const Context& context);

/// The models: what `models` lists (all_models()).
struct ModelsAnswer {
  std::span<const Model> models;
};
ModelsAnswer run_models();

/// The names --fail-on takes: drop and asymmetry reasons, then verdicts.
std::vector<std::string> fail_on_names();
/// Null when every name is one of fail_on_names(); else the message for the first that is not.
std::optional<std::string> check_fail_on(const std::vector<std::string>& fail_on);

}  // namespace egress
