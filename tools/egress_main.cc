// egress-sim, the command line of ../shared/spec/cli.md: parses the arguments, calls egress_core,
// prints, and maps what happened to the exit codes. Everything else lives in the library.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "egress/capture/capture_reader.h"
#include "egress/config/topology.h"
#include "egress/config/topology_checks.h"
#include "egress/config/topology_loader.h"
#include "egress/engine/effective_routes.h"
#include "egress/engine/engine.h"
#include "egress/engine/flow.h"
#include "egress/engine/models.h"
#include "egress/migrate/flow_diff.h"
#include "egress/migrate/migration_plan.h"
#include "egress/migrate/migration_table.h"
#include "egress/net/ip_address.h"
#include "egress/replay/replay.h"
#include "egress/replay/scaled_source.h"
#include "egress/report/diff_report.h"
#include "egress/report/json_report.h"
#include "egress/report/replay_report.h"
#include "egress/report/text_report.h"
#include "egress/synth/synth.h"
#include "egress/util/result.h"
#include "output_files.h"

#ifndef EGRESS_VERSION
#define EGRESS_VERSION "0.1.0"
#endif

namespace egress {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitProblem = 1;   // the command worked and found a problem
constexpr int kExitBadInput = 2;  // bad input or usage

// An ephemeral port as Linux picks them (32768-60999), and the port most egress is for.
constexpr int kDefaultSport = 50000;
constexpr int kDefaultDport = 443;

struct Args {
  std::string topology;
  bool json = false;
  std::string subnet;
  std::string src;
  std::string dst;
  std::string proto = "tcp";
  int sport = kDefaultSport;
  int dport = kDefaultDport;
  uint64_t seed = 0;
  // replay and synth
  std::vector<std::string> captures;
  std::string flows_out;
  std::string summary_out;
  std::string pcap_out;         // replay: past the egress point; synth: the generated capture
  std::string egress_pcap_out;  // synth: past the egress point
  bool quiet = false;
  uint32_t scale = 1;
  std::string speedup = "1";
  // synth
  uint64_t synth_flows = 0;
  std::string mix;
  std::string sources;
  std::string destinations;
  std::string protocols;
  std::optional<double> rate;
  std::optional<double> duration;
  std::optional<double> packets;
  std::optional<double> zipf;
  std::optional<double> rst_share;
  std::optional<uint32_t> payload;
  // diff and migrate
  std::string after;
  std::string to;
  std::string migration_table;
  uint64_t synth_n = 0;
  uint32_t managed_ips = 1;
};

/// What a command produced. Written only once complete, so a failure never leaves half an
/// output behind that looks whole.
struct Outcome {
  int exit_code = kExitOk;
  std::string out;  // stdout: the result
  std::string err;  // stderr: diagnostics
};

Outcome bad_input(std::string message) {
  return Outcome{kExitBadInput, "", "error: " + message + "\n"};
}

/// `outcome` with the error added: bad input, exit 2.
Outcome failed(Outcome outcome, const Diagnostic& error) {
  outcome.exit_code = kExitBadInput;
  outcome.err += format_diagnostic(error, "error") + "\n";
  return outcome;
}

std::string counted(size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string lines(const std::vector<Diagnostic>& diagnostics, const char* severity) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    out += format_diagnostic(d, severity) + "\n";
  }
  return out;
}

// Findings carry the code Azure or AKS itself returns (RouteTableInvalidNextHop, ...), the
// words a user searches for, so it follows the message as compilers name their warnings.
std::string finding_lines(const std::vector<Diagnostic>& findings) {
  std::string out;
  for (const Diagnostic& d : findings) {
    out += format_diagnostic(d, "warning") + " [" + d.code + "]\n";
  }
  return out;
}

bool is_io_error(const std::vector<Diagnostic>& errors) {
  for (const Diagnostic& d : errors) {
    if (d.code == "io") {
      return true;
    }
  }
  return false;
}

/// Loads a topology for a command that simulates it: a file with errors is refused, findings
/// are warnings on stderr.
std::optional<Topology> load_for_simulation(const std::string& path, Outcome& outcome) {
  LoadResult loaded = load_topology_file(path);
  if (!loaded.errors.empty() || !loaded.topology) {
    outcome.exit_code = kExitBadInput;
    outcome.err += lines(loaded.errors, "error");
    if (loaded.errors.empty()) {
      outcome.err += path + ": error: the topology could not be loaded\n";
    }
    return std::nullopt;
  }
  outcome.err += finding_lines(check_topology(*loaded.topology));
  return std::move(loaded.topology);
}

std::string ok_summary(const std::string& path, const Topology& topology) {
  std::string out = path + ": ok (" + counted(topology.vnets.size(), "vnet") + ", " +
                    counted(topology.subnets.size(), "subnet") + ", ";
  if (topology.cluster) {
    out += "cluster " + topology.cluster->name + ": " + to_string(topology.cluster->outbound_type);
  } else {
    out += "no cluster";
  }
  return out + ")\n";
}

// For validate the diagnostics are the result, so they go to stdout; only a file it cannot
// read is bad input.
Outcome run_validate(const Args& args) {
  LoadResult loaded = load_topology_file(args.topology);
  if (is_io_error(loaded.errors)) {
    return Outcome{kExitBadInput, "", lines(loaded.errors, "error")};
  }
  std::vector<Diagnostic> findings;
  if (loaded.errors.empty() && loaded.topology) {
    findings = check_topology(*loaded.topology);
  }
  Outcome outcome;
  bool clean = loaded.errors.empty() && findings.empty();
  outcome.exit_code = clean ? kExitOk : kExitProblem;
  if (args.json) {
    outcome.out = diagnostics_to_json(loaded.errors, findings) + "\n";
  } else if (clean && loaded.topology) {
    outcome.out = ok_summary(args.topology, *loaded.topology);
  } else {
    outcome.out = lines(loaded.errors, "error") + finding_lines(findings) + args.topology + ": " +
                  counted(loaded.errors.size(), "error") + ", " +
                  counted(findings.size(), "finding") + "\n";
  }
  return outcome;
}

Outcome run_routes(const Args& args) {
  Outcome outcome;
  std::optional<Topology> topology = load_for_simulation(args.topology, outcome);
  if (!topology) {
    return outcome;
  }
  Index subnet = topology->find_subnet(args.subnet);
  if (subnet == kNoIndex) {
    std::string known;
    for (const Subnet& s : topology->subnets) {
      known += (known.empty() ? "" : ", ") + s.full_name;
    }
    outcome.exit_code = kExitBadInput;
    outcome.err += "error: no subnet '" + args.subnet + "' in " + args.topology + "; " +
                   (known.empty() ? "it has no subnets" : "subnets: " + known) + "\n";
    return outcome;
  }
  std::vector<EffectiveRoute> routes = compute_effective_routes(*topology, subnet);
  outcome.out = args.json ? routes_to_json(*topology, subnet, routes) + "\n"
                          : format_routes(*topology, subnet, routes);
  return outcome;
}

std::optional<IpAddress> parse_address(const char* option, const std::string& text,
                                       std::string& error) {
  std::optional<IpAddress> address = IpAddress::parse(text);
  if (!address) {
    error = std::string(option) + ": '" + text + "' is not an IPv4 or IPv6 address";
  }
  return address;
}

const char* family_name(const IpAddress& a) {
  return a.is_v4() ? "IPv4" : "IPv6";
}

Outcome run_trace(const Args& args) {
  std::string error;
  std::optional<IpAddress> src = parse_address("--src", args.src, error);
  if (!src) {
    return bad_input(error);
  }
  std::optional<IpAddress> dst = parse_address("--dst", args.dst, error);
  if (!dst) {
    return bad_input(error);
  }
  if (src->family() != dst->family()) {
    return bad_input("--src " + args.src + " is " + family_name(*src) + " but --dst " + args.dst +
                     " is " + family_name(*dst));
  }
  std::optional<Protocol> proto = parse_protocol(args.proto);
  if (!proto) {
    return bad_input("--proto: '" + args.proto + "' is not one of tcp, udp, icmp");
  }

  Outcome outcome;
  std::optional<Topology> topology = load_for_simulation(args.topology, outcome);
  if (!topology) {
    return outcome;
  }
  Result<Engine> engine = Engine::build(std::make_shared<const Topology>(std::move(*topology)));
  if (!engine) {
    return failed(std::move(outcome), engine.error());
  }
  // CLI11 has range-checked the ports.
  FlowKey flow{*proto, *src, static_cast<uint16_t>(args.sport), *dst,
               static_cast<uint16_t>(args.dport)};
  FlowResult result = engine->trace(flow, args.seed);
  // Any verdict is an answer: the command worked.
  outcome.out = args.json ? flow_to_json(result) + "\n" : format_trace(result);
  return outcome;
}

// Where replay's results go: flow records to --flows, rewritten packets to --pcap-out, and
// progress on stderr when a person is watching it.
class CliSink final : public ReplaySink {
 public:
  CliSink(AtomicFile* flows, bool csv, PcapOut* pcap, bool progress)
      : flows_(flows), csv_(csv), pcap_(pcap), progress_(progress) {}

  void on_flow(const FlowRecord& record) override {
    if (flows_ != nullptr) {
      flows_->stream() << (csv_ ? flow_record_to_csv(record) : flow_record_to_json(record) + "\n");
    }
  }
  void on_egress_packet(const RawPacket& packet, const DecodedPacket& decoded,
                        std::span<const uint8_t> bytes) override {
    if (pcap_ != nullptr) {
      pcap_->write(packet, decoded.l3_offset, decoded.ip_version, bytes);
    }
  }
  void on_progress(const ReplayProgress& p) override {
    if (progress_) {
      std::fprintf(stderr, "\regress-sim: %llu packets, %llu flows (%llu live)   ",
                   static_cast<unsigned long long>(p.packets),
                   static_cast<unsigned long long>(p.flows),
                   static_cast<unsigned long long>(p.live_flows));
      shown_ = true;
    }
  }
  void clear_progress() {
    if (shown_) {
      std::fprintf(stderr, "\r%60s\r", "");
      shown_ = false;
    }
  }

 private:
  AtomicFile* flows_;
  bool csv_;
  PcapOut* pcap_;
  bool progress_;
  bool shown_ = false;
};

// synth --pcap-out: every generated packet also goes to a capture file on its way to replay.
class TeeSource final : public PacketSource {
 public:
  TeeSource(PacketSource& inner, PcapOut& out) : inner_(inner), out_(out) {}
  Result<bool> next(RawPacket& packet) override {
    Result<bool> more = inner_.next(packet);
    if (more.ok() && *more) {
      out_.write(packet, 0, 0, packet.data);
    }
    return more;
  }
  const std::vector<Diagnostic>& warnings() const override { return inner_.warnings(); }

 private:
  PacketSource& inner_;
  PcapOut& out_;
};

std::optional<Engine> build_engine(Topology topology, Outcome& outcome) {
  Result<Engine> engine = Engine::build(std::make_shared<const Topology>(std::move(topology)));
  if (!engine) {
    outcome.exit_code = kExitBadInput;
    outcome.err += format_diagnostic(engine.error(), "error") + "\n";
    return std::nullopt;
  }
  return std::move(engine).value();
}

// The part replay and synth share: packets through the engine into the output files, which
// appear only if the whole run succeeds.
Outcome simulate(const Args& args, const Engine& engine, PacketSource& source,
                 const std::string& rewritten_out, PcapOut* generated, Outcome outcome) {
  std::string error;
  std::optional<AtomicFile> flows;
  if (!args.flows_out.empty()) {
    flows.emplace(args.flows_out);
    if (!flows->open(error)) {
      return bad_input(error);
    }
  }
  bool csv = args.flows_out.size() >= 4 &&
             args.flows_out.compare(args.flows_out.size() - 4, 4, ".csv") == 0;
  if (flows && csv) {
    flows->stream() << flow_csv_header();
  }
  std::optional<PcapOut> pcap;
  if (!rewritten_out.empty()) {
    pcap.emplace(rewritten_out);
  }
  CliSink sink(flows ? &*flows : nullptr, csv, pcap ? &*pcap : nullptr,
               !args.quiet && ::isatty(STDERR_FILENO) == 1);
  Result<Speedup> speedup = parse_speedup(args.speedup);
  if (!speedup) {
    return failed(std::move(outcome), speedup.error());
  }
  ScaledSource scaled(source, engine.topology(), ScaleOptions{args.scale, *speedup, args.seed});
  ReplayOptions options;
  options.seed = args.seed;
  options.scale = args.scale;
  options.speedup = speedup->value();
  options.records = flows.has_value();
  options.rewrite = pcap.has_value();
  Result<ReplaySummary> summary = replay(engine, scaled, options, sink);
  sink.clear_progress();
  if (!summary) {
    return failed(std::move(outcome), summary.error());
  }
  outcome.err += lines(summary->warnings, "warning");
  std::optional<AtomicFile> summary_file;
  if (!args.summary_out.empty()) {
    summary_file.emplace(args.summary_out);
    if (!summary_file->open(error)) {
      return bad_input(error);
    }
    summary_file->stream() << summary_to_json(*summary) << "\n";
  }
  // Commit only once everything has been produced, so no output claims a run that failed.
  for (AtomicFile* f : {flows ? &*flows : nullptr, summary_file ? &*summary_file : nullptr}) {
    if (f != nullptr && !f->commit(error)) {
      return bad_input(error);
    }
  }
  for (PcapOut* p : {pcap ? &*pcap : nullptr, generated}) {
    if (p == nullptr) {
      continue;
    }
    if (p->reframed() != 0) {
      outcome.err += "warning: " + std::to_string(p->reframed()) +
                     " packets of another link type were written with the first packet's link "
                     "header\n";
    }
    if (!p->commit(error)) {
      return bad_input(error);
    }
  }
  outcome.out = args.json ? summary_to_json(*summary) + "\n" : format_summary(*summary);
  return outcome;
}

Outcome run_replay(const Args& args) {
  Outcome outcome;
  std::optional<Topology> topology = load_for_simulation(args.topology, outcome);
  if (!topology) {
    return outcome;
  }
  std::optional<Engine> engine = build_engine(std::move(*topology), outcome);
  if (!engine) {
    return outcome;
  }
  Result<std::unique_ptr<PacketSource>> source = open_captures(args.captures);
  if (!source) {
    return failed(std::move(outcome), source.error());
  }
  return simulate(args, *engine, **source, args.pcap_out, nullptr, std::move(outcome));
}

Outcome run_synth(const Args& args, const CLI::App& cmd) {
  SynthSpec spec;
  if (!args.mix.empty()) {
    SynthMixLoad mix = load_synth_mix(args.mix);
    if (!mix.spec) {
      return Outcome{kExitBadInput, "", lines(mix.errors, "error")};
    }
    spec = *mix.spec;
  }
  if (cmd.count("--flows") != 0 || args.mix.empty()) {
    spec.flows = args.synth_flows;
  }
  if (cmd.count("--seed") != 0 || args.mix.empty()) {
    spec.seed = args.seed;
  }
  if (!args.sources.empty()) {
    auto parsed = parse_source_list(args.sources);
    if (!parsed) {
      return bad_input("--sources: " + parsed.error().message);
    }
    spec.sources = *parsed;
  }
  if (!args.destinations.empty()) {
    auto parsed = parse_destination_list(args.destinations);
    if (!parsed) {
      return bad_input("--destinations: " + parsed.error().message);
    }
    spec.destinations = *parsed;
  }
  if (!args.protocols.empty()) {
    auto parsed = parse_protocol_mix(args.protocols);
    if (!parsed) {
      return bad_input("--protocols: " + parsed.error().message);
    }
    spec.protocols = *parsed;
  }
  spec.flows_per_second = args.rate.value_or(spec.flows_per_second);
  spec.mean_duration_s = args.duration.value_or(spec.mean_duration_s);
  spec.mean_packets = args.packets.value_or(spec.mean_packets);
  spec.zipf = args.zipf.value_or(spec.zipf);
  spec.rst_share = args.rst_share.value_or(spec.rst_share);
  spec.mean_payload_bytes = args.payload.value_or(spec.mean_payload_bytes);

  Outcome outcome;
  std::optional<Topology> topology = load_for_simulation(args.topology, outcome);
  if (!topology) {
    return outcome;
  }
  Result<std::unique_ptr<PacketSource>> source = make_synth_source(*topology, spec);
  if (!source) {
    return failed(std::move(outcome), source.error());
  }
  std::optional<Engine> engine = build_engine(std::move(*topology), outcome);
  if (!engine) {
    return outcome;
  }
  Args replay_args = args;
  replay_args.seed = spec.seed;
  if (args.pcap_out.empty()) {
    return simulate(replay_args, *engine, **source, args.egress_pcap_out, nullptr,
                    std::move(outcome));
  }
  PcapOut generated(args.pcap_out);
  TeeSource tee(**source, generated);
  return simulate(replay_args, *engine, tee, args.egress_pcap_out, &generated, std::move(outcome));
}

// The flows diff and migrate compare: the captures, or --synth N flows drawn from `sources`.
Result<std::unique_ptr<PacketSource>> comparison_flows(const Args& args, const Topology& sources) {
  if (!args.captures.empty()) {
    return open_captures(args.captures);
  }
  SynthSpec spec;
  spec.flows = args.synth_n;
  spec.seed = args.seed;
  return make_synth_source(sources, spec);
}

std::optional<std::string> flows_usage_error(const Args& args) {
  if (args.captures.empty() == (args.synth_n == 0)) {
    return std::string("give the flows to compare: capture files or --synth N, not both");
  }
  return std::nullopt;
}

Outcome run_diff(const Args& args) {
  if (auto e = flows_usage_error(args)) {
    return bad_input(*e);
  }
  Outcome outcome;
  std::optional<Topology> before = load_for_simulation(args.topology, outcome);
  if (!before) {
    return outcome;
  }
  std::optional<Topology> after = load_for_simulation(args.after, outcome);
  if (!after) {
    return outcome;
  }
  Result<std::unique_ptr<PacketSource>> flows = comparison_flows(args, *before);
  if (!flows) {
    return failed(std::move(outcome), flows.error());
  }
  Topology after_copy = *after;
  std::optional<Engine> before_engine = build_engine(std::move(*before), outcome);
  std::optional<Engine> after_engine = build_engine(std::move(*after), outcome);
  if (!before_engine || !after_engine) {
    return outcome;
  }
  Result<DiffReport> diff = diff_flows(*before_engine, *after_engine, **flows, args.seed);
  if (!diff) {
    return failed(std::move(outcome), diff.error());
  }
  diff->warnings = migration_warnings(after_copy, *diff);
  outcome.out = args.json ? diff_to_json(*diff, nullptr) + "\n" : format_diff(*diff, nullptr);
  outcome.exit_code = diff->changed == 0 ? kExitOk : kExitProblem;
  return outcome;
}

Outcome run_migrate(const Args& args) {
  std::optional<OutboundType> to = parse_outbound_type(args.to);
  if (!to) {
    return bad_input("--to: '" + args.to +
                     "' is not an outbound type (loadBalancer, managedNATGateway, "
                     "userAssignedNATGateway, userDefinedRouting, none, block)");
  }
  if (auto e = flows_usage_error(args)) {
    return bad_input(*e);
  }
  Outcome outcome;
  std::optional<Topology> before = load_for_simulation(args.topology, outcome);
  if (!before) {
    return outcome;
  }
  if (!before->cluster) {
    outcome.exit_code = kExitBadInput;
    outcome.err += args.topology + ": error: the topology has no cluster to migrate\n";
    return outcome;
  }
  std::optional<MigrationTable> loaded_table;
  if (!args.migration_table.empty()) {
    MigrationTableLoad load = load_migration_table(args.migration_table);
    if (!load.table) {
      outcome.exit_code = kExitBadInput;
      outcome.err += lines(load.errors, "error");
      return outcome;
    }
    loaded_table = std::move(load.table);
  }
  const MigrationTable& table = loaded_table ? *loaded_table : default_migration_table();

  MigrationContext context;
  context.from = to_string(before->cluster->outbound_type);
  context.to = to_string(*to);
  context.verdict =
      check_migration(table, before->cluster->vnet_mode, before->cluster->outbound_type, *to);
  if (!context.verdict.supported) {
    DiffReport empty;
    outcome.out = args.json ? diff_to_json(empty, &context) + "\n" : format_diff(empty, &context);
    outcome.exit_code = kExitProblem;
    return outcome;
  }

  std::optional<MigrationPlan> plan;
  Topology after;
  bool refused = false;
  if (!args.after.empty()) {
    std::optional<Topology> user_after = load_for_simulation(args.after, outcome);
    if (!user_after) {
      return outcome;
    }
    after = std::move(*user_after);
    context.after_findings = new_findings(*before, after, &refused);
  } else {
    MigrationOptions options;
    options.to = *to;
    options.managed_outbound_ips = args.managed_ips;
    Result<MigrationPlan> built = plan_migration(*before, options);
    if (!built) {
      return failed(std::move(outcome), built.error());
    }
    plan = std::move(*built);
    after = plan->after;
    refused = plan->refused;
    context.after_findings = plan->findings;
    context.plan = &*plan;
  }

  Result<std::unique_ptr<PacketSource>> flows = comparison_flows(args, *before);
  if (!flows) {
    return failed(std::move(outcome), flows.error());
  }
  context.refused = refused;
  Topology after_copy = after;
  std::optional<Engine> before_engine = build_engine(std::move(*before), outcome);
  std::optional<Engine> after_engine = build_engine(std::move(after), outcome);
  if (!before_engine || !after_engine) {
    return outcome;
  }
  static const std::map<IpAddress, std::string> kNoRename;
  Result<DiffReport> diff = diff_flows(*before_engine, *after_engine, **flows, args.seed,
                                       plan ? plan->unknown : kNoRename);
  if (!diff) {
    return failed(std::move(outcome), diff.error());
  }
  diff->warnings = migration_warnings(after_copy, *diff);
  outcome.out = args.json ? diff_to_json(*diff, &context) + "\n" : format_diff(*diff, &context);
  outcome.exit_code = refused || diff->changed != 0 ? kExitProblem : kExitOk;
  return outcome;
}

Outcome run_models(const Args& args) {
  Outcome outcome;
  if (args.json) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const Model& m : all_models()) {
      list.push_back({{"id", m.id}, {"text", m.text}});
    }
    nlohmann::ordered_json doc = {{"models", std::move(list)}};
    outcome.out = doc.dump() + "\n";
    return outcome;
  }
  for (const Model& m : all_models()) {
    outcome.out += std::string(m.id) + "\n    " + std::string(m.text) + "\n";
  }
  return outcome;
}

int emit(const Outcome& outcome) {
  std::cerr << outcome.err << std::flush;
  std::cout << outcome.out << std::flush;
  if (!std::cout) {
    std::cerr << "error: cannot write to stdout\n";
    return kExitBadInput;
  }
  return outcome.exit_code;
}

// replay and synth: load scaling (ScaledSource).
void add_scale_options(CLI::App& cmd, Args& args) {
  cmd.add_option("--scale", args.scale,
                 "Replay as if K times as many clients: each flow and K-1 clones (new port; a "
                 "pod's clones other pods of its node)")
      ->check(CLI::Range(uint32_t{1}, kMaxScale))
      ->capture_default_str();
  cmd.add_option("--speedup", args.speedup,
                 "Compress capture time S times: a packet at t is replayed at "
                 "first + (t - first) / S")
      ->capture_default_str();
}

int run(int argc, char** argv) {
  CLI::App app{
      "Simulates how packets leave an Azure VNet or AKS cluster: routes, NSGs, "
      "appliances and SNAT.",
      "egress-sim"};
  app.set_version_flag("--version", std::string("egress-sim ") + EGRESS_VERSION);
  // At most one: a missing command is reported below, so that an unknown one is named as such
  // instead of as a missing command.
  app.require_subcommand(0, 1);
  app.footer(
      "Exit codes: 0 success; 1 the command worked and found a problem (validate: findings; diff "
      "and migrate: changes, or an unsupported move); 2 bad input "
      "or usage.\nRun 'egress-sim COMMAND --help' for a command's options.");
  Args args;

  CLI::App* validate = app.add_subcommand(
      "validate", "Check a topology file; exit 1 on errors or on findings (what Azure rejects)");
  validate->add_option("TOPOLOGY", args.topology, "Topology YAML file")->required();
  validate->add_flag("--json", args.json, R"(Print {"errors":[...],"findings":[...]})");

  CLI::App* routes = app.add_subcommand("routes", "Print a subnet's effective routes");
  routes->add_option("TOPOLOGY", args.topology, "Topology YAML file")->required();
  routes->add_option("--subnet", args.subnet, "The subnet, as VNET/SUBNET")->required();
  routes->add_flag("--json", args.json, "Print one JSON document");

  CLI::App* trace = app.add_subcommand("trace", "Follow one flow hop by hop to its verdict");
  trace->add_option("TOPOLOGY", args.topology, "Topology YAML file")->required();
  trace->add_option("--src", args.src, "Source address (IPv4 or IPv6)")->required();
  trace->add_option("--dst", args.dst, "Destination address, of the same family")->required();
  trace->add_option("--proto", args.proto, "Protocol")
      ->check(CLI::IsMember({"tcp", "udp", "icmp"}))
      ->capture_default_str();
  trace->add_option("--sport", args.sport, "Source port (an ephemeral port by default)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  trace->add_option("--dport", args.dport, "Destination port")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  trace
      ->add_option("--seed", args.seed,
                   "Seed for the choices Azure makes at random (NAT gateway and firewall "
                   "public IP and port)")
      ->capture_default_str();
  trace->add_flag("--json", args.json, "Print the flow result as one JSON line");

  CLI::App* replay_cmd = app.add_subcommand(
      "replay", "Push every packet of pcap/pcapng captures through the topology, in capture time");
  replay_cmd->add_option("TOPOLOGY", args.topology, "Topology YAML file")->required();
  replay_cmd->add_option("CAPTURE", args.captures, "Capture files (merged in time order)")
      ->required();
  replay_cmd->add_option("--flows", args.flows_out,
                         "Write a record per flow: CSV if FILE ends in .csv, else JSON Lines");
  replay_cmd->add_option("--summary", args.summary_out, "Write the summary as JSON");
  replay_cmd->add_option("--pcap-out", args.pcap_out,
                         "Write the packets as they appear past the egress point (SNAT applied)");
  replay_cmd->add_option("--seed", args.seed, "Seed for Azure's random choices of IP and port")
      ->capture_default_str();
  replay_cmd->add_flag("--json", args.json, "Print the summary as one JSON document");
  replay_cmd->add_flag("--quiet", args.quiet, "No progress on stderr");
  add_scale_options(*replay_cmd, args);

  CLI::App* synth = app.add_subcommand(
      "synth", "Generate flows from a described mix and push them through the topology");
  synth->add_option("TOPOLOGY", args.topology, "Topology YAML file")->required();
  synth->add_option("--flows", args.synth_flows, "Number of flows")
      ->check(CLI::Range(1, 100000000));
  synth->add_option("--seed", args.seed, "Seed: the same seed gives the same traffic and ports")
      ->capture_default_str();
  synth->add_option("--mix", args.mix, "A mix file (YAML); flags given here override it");
  synth->add_option("--sources", args.sources,
                    "KIND[:NAME][*WEIGHT],...  KIND nodePool, pods or host");
  synth->add_option("--destinations", args.destinations,
                    "DEST[:PORTS][*WEIGHT],...  an address or CIDR; PORTS 443 or 80+8000-8080");
  synth->add_option("--protocols", args.protocols, "PROTO=SHARE,...  e.g. tcp=0.8,udp=0.2");
  synth->add_option("--rate", args.rate, "New flows per second (Poisson)");
  synth->add_option("--duration", args.duration, "Mean flow duration in seconds");
  synth->add_option("--packets", args.packets, "Mean packets per flow, both directions");
  synth->add_option("--zipf", args.zipf, "Zipf skew over the destinations (0: as weighted)");
  synth->add_option("--rst-share", args.rst_share, "Share of TCP flows ending with RST");
  synth->add_option("--payload", args.payload, "Mean payload bytes of a data packet")
      ->check(CLI::Range(1, 1400));
  synth->add_option("--flows-out", args.flows_out,
                    "Write a record per flow: CSV if FILE ends in .csv, else JSON Lines");
  synth->add_option("--summary", args.summary_out, "Write the summary as JSON");
  synth->add_option("--pcap-out", args.pcap_out,
                    "Write the generated packets as a capture (as taken on the nodes)");
  synth->add_option("--egress-pcap-out", args.egress_pcap_out,
                    "Write the packets as they appear past the egress point");
  synth->add_flag("--json", args.json, "Print the summary as one JSON document");
  synth->add_flag("--quiet", args.quiet, "No progress on stderr");
  add_scale_options(*synth, args);

  CLI::App* diff = app.add_subcommand(
      "diff", "The same flows through two topologies: what changes; exit 1 when anything does");
  diff->add_option("BEFORE", args.topology, "Topology before the change")->required();
  diff->add_option("AFTER", args.after, "Topology after the change")->required();
  diff->add_option("CAPTURE", args.captures, "Capture files whose flows to compare");
  diff->add_option("--synth", args.synth_n, "Compare N synthetic flows instead of captures")
      ->check(CLI::Range(1, 10000000));
  diff->add_option("--seed", args.seed, "Seed for synthetic flows and Azure's random choices")
      ->capture_default_str();
  diff->add_flag("--json", args.json, "Print one JSON document");

  CLI::App* migrate = app.add_subcommand(
      "migrate",
      "Check a change of outbound type against Azure's tables, build the after-state, and "
      "report what changes");
  migrate->add_option("TOPOLOGY", args.topology, "Topology before the change")->required();
  migrate->add_option("--to", args.to, "The outbound type to move to")->required();
  migrate->add_option("CAPTURE", args.captures, "Capture files whose flows to compare");
  migrate->add_option("--synth", args.synth_n, "Compare N synthetic flows instead of captures")
      ->check(CLI::Range(1, 10000000));
  migrate->add_option("--after", args.after, "Your own after-state topology, instead of AKS's");
  migrate->add_option("--migration-table", args.migration_table,
                      "Supported-migration tables (markdown) instead of the built-in ones");
  migrate
      ->add_option("--managed-outbound-ips", args.managed_ips,
                   "Public IPs AKS allocates for a managed NAT gateway or LB outbound rule")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  migrate->add_option("--seed", args.seed, "Seed for synthetic flows and Azure's random choices")
      ->capture_default_str();
  migrate->add_flag("--json", args.json, "Print one JSON document");

  CLI::App* models = app.add_subcommand(
      "models", "List the behaviours Azure does not document and egress-sim models");
  models->add_flag("--json", args.json, "Print one JSON document");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive as "errors" with exit code 0; CLI11 prints them on stdout.
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }

  if (app.get_subcommands().empty()) {
    std::cerr << "error: a command is required: validate, routes, trace, replay, synth, diff, "
                 "migrate or models\n"
                 "Run with --help for more information.\n";
    return kExitBadInput;
  }
  if (synth->parsed() && synth->count("--flows") == 0 && args.mix.empty()) {
    std::cerr << "error: synth needs --flows N (or a --mix file)\n";
    return kExitBadInput;
  }
  const std::pair<CLI::App*, std::function<Outcome()>> commands[] = {
      {validate, [&] { return run_validate(args); }},
      {routes, [&] { return run_routes(args); }},
      {trace, [&] { return run_trace(args); }},
      {diff, [&] { return run_diff(args); }},
      {migrate, [&] { return run_migrate(args); }},
      {replay_cmd, [&] { return run_replay(args); }},
      {synth, [&] { return run_synth(args, *synth); }},
  };
  for (const auto& [command, run_command] : commands) {
    if (command->parsed()) {
      return emit(run_command());
    }
  }
  return emit(run_models(args));
}

}  // namespace
}  // namespace egress

int main(int argc, char** argv) {
  try {
    return egress::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "egress-sim: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "egress-sim: internal error: unknown exception\n";
  }
  return 2;
}
