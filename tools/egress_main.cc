// egress-sim, the command line of ../shared/spec/cli.md: parses the arguments, calls egress_core,
// prints, and maps what happened to the exit codes. Everything else lives in the library.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
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
#include "egress/report/diff_report.h"
#include "egress/report/json_report.h"
#include "egress/report/replay_report.h"
#include "egress/report/rows.h"
#include "egress/report/text_report.h"
#include "egress/synth/synth.h"
#include "egress/util/result.h"
#include "output_files.h"
#include "output_set.h"
#include "progress_line.h"

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
  bool json = false;   // --json, a synonym of -o json
  std::string output;  // -o
  OutputFormat format = OutputFormat::kTable;
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
  std::string flows_option = "--flows";  // synth calls it --flows-out
  std::string summary_out;
  std::string rewritten_out;  // past the egress point: replay --pcap-out, synth --egress-pcap-out
  std::string rewritten_option = "--pcap-out";
  std::string generated_out;  // synth --pcap-out: the generated capture
  std::vector<std::string> fail_on;
  bool quiet = false;
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
  if (args.format == OutputFormat::kJson) {
    outcome.out = diagnostics_to_json(loaded.errors, findings) + "\n";
  } else if (args.format == OutputFormat::kJsonl) {
    outcome.out = diagnostics_to_jsonl(loaded.errors, findings);
  } else if (args.format != OutputFormat::kTable) {
    outcome.out = render_delimited(diagnostics_rows(loaded.errors, findings), args.format);
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
  switch (args.format) {
    case OutputFormat::kTable:
      outcome.out = format_routes(*topology, subnet, routes);
      break;
    case OutputFormat::kJson:
      outcome.out = routes_to_json(*topology, subnet, routes) + "\n";
      break;
    case OutputFormat::kJsonl:
      outcome.out = routes_to_jsonl(*topology, subnet, routes);
      break;
    case OutputFormat::kCsv:
    case OutputFormat::kTsv:
      outcome.out = render_delimited(routes_rows(*topology, subnet, routes), args.format);
      break;
  }
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
  switch (args.format) {
    case OutputFormat::kTable:
      outcome.out = format_trace(result);
      break;
    case OutputFormat::kJson:
    case OutputFormat::kJsonl:
      outcome.out = flow_to_json(result) + "\n";
      break;
    case OutputFormat::kCsv:
    case OutputFormat::kTsv:
      outcome.out = render_delimited(Rows{flow_columns(), {flow_cells(result)}}, args.format);
      break;
  }
  // A script gates on the exit code: 1 when the flow does not get where it was going.
  if (result.verdict == Verdict::kDropped || result.verdict == Verdict::kAsymmetric) {
    outcome.exit_code = kExitProblem;
  }
  return outcome;
}

// Where replay's results go: flow records to --flows, rewritten packets to --pcap-out, and
// progress on stderr when a person is watching it.
class CliSink final : public ReplaySink {
 public:
  /// Flow records go to each stream in its format (jsonl, csv or tsv).
  struct RecordStream {
    std::FILE* file;
    OutputFormat format;
  };
  CliSink(std::vector<RecordStream> records, PcapOut* pcap, ProgressLine* progress)
      : records_(std::move(records)), pcap_(pcap), progress_(progress) {}

  void on_flow(const FlowRecord& record) override {
    for (const RecordStream& stream : records_) {
      const std::string line = stream.format == OutputFormat::kJsonl
                                   ? flow_record_to_json(record) + "\n"
                                   : delimited_line(flow_record_cells(record), stream.format);
      std::fwrite(line.data(), 1, line.size(), stream.file);
    }
  }
  void on_egress_packet(const RawPacket& packet, const DecodedPacket& decoded,
                        std::span<const uint8_t> bytes) override {
    if (pcap_ != nullptr) {
      pcap_->write(packet, decoded.l3_offset, decoded.ip_version, bytes);
    }
  }
  void on_progress(const ReplayProgress& p) override {
    if (progress_ != nullptr) {
      progress_->update(p);
    }
  }

 private:
  std::vector<RecordStream> records_;
  PcapOut* pcap_;
  ProgressLine* progress_;
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
  SourcePosition position() const override { return inner_.position(); }

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

bool ends_with(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// --flows FILE: CSV or TSV by the file's extension, JSON Lines otherwise.
OutputFormat records_format(const std::string& path) {
  if (ends_with(path, ".csv")) {
    return OutputFormat::kCsv;
  }
  return ends_with(path, ".tsv") ? OutputFormat::kTsv : OutputFormat::kJsonl;
}

// replay and synth -o jsonl, csv, tsv: the flow records are the result, on stdout.
bool prints_records(OutputFormat format) {
  return format == OutputFormat::kJsonl || format == OutputFormat::kCsv ||
         format == OutputFormat::kTsv;
}

// The files replay and synth write, registered and checked before any work.
struct SimulationOutputs {
  OutputSet set;
  int flows = -1;
  int summary = -1;
  int rewritten = -1;  // replay --pcap-out, synth --egress-pcap-out
  int generated = -1;  // synth --pcap-out
};

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

// The part replay and synth share: packets through the engine into the output files, which
// all appear together only if the whole run succeeds.
Outcome simulate(const Args& args, const Engine& engine, PacketSource& source,
                 SimulationOutputs& files, PcapOut* generated, Outcome outcome) {
  OutputSet& set = files.set;
  std::vector<CliSink::RecordStream> records;
  if (std::FILE* f = set.file(files.flows)) {
    records.push_back({f, records_format(set.path(files.flows))});
  }
  const bool records_on_stdout = prints_records(args.format);
  if (records_on_stdout) {
    records.push_back({stdout, args.format});
  }
  for (const CliSink::RecordStream& stream : records) {
    if (stream.format != OutputFormat::kJsonl) {
      const std::string header = delimited_line(flow_record_columns(), stream.format);
      std::fwrite(header.data(), 1, header.size(), stream.file);
    }
  }
  std::optional<PcapOut> pcap;
  if (std::FILE* f = set.file(files.rewritten)) {
    pcap.emplace(f, set.path(files.rewritten));
  }
  std::optional<ProgressLine> progress;
  if (!args.quiet && ::isatty(STDERR_FILENO) == 1) {
    progress.emplace(args.captures.empty() ? "flows" : "bytes");
  }
  CliSink sink(records, pcap ? &*pcap : nullptr, progress ? &*progress : nullptr);
  ReplayOptions options;
  options.seed = args.seed;
  options.records = !records.empty();
  if (progress) {
    options.progress_every = uint64_t{1} << 16;
  }
  options.rewrite = pcap.has_value();
  Result<ReplaySummary> summary = replay(engine, source, options, sink);
  if (progress) {
    progress->clear();
  }
  if (!summary) {
    return failed(std::move(outcome), summary.error());
  }
  outcome.err += lines(summary->warnings, "warning");
  if (std::FILE* f = set.file(files.summary)) {
    const std::string json = summary_to_json(*summary) + "\n";
    std::fwrite(json.data(), 1, json.size(), f);
  }
  std::string error;
  for (PcapOut* p : {pcap ? &*pcap : nullptr, generated}) {
    if (p == nullptr) {
      continue;
    }
    if (p->reframed() != 0) {
      outcome.err += "warning: " + std::to_string(p->reframed()) +
                     " packets of another link type were written with the first packet's link "
                     "header\n";
    }
    if (!p->finish(error)) {
      return bad_input(error);
    }
  }
  // Published only once everything has been produced, so no output claims a run that failed.
  if (!set.commit(error)) {
    return bad_input(error);
  }
  outcome.out = args.format == OutputFormat::kJson ? summary_to_json(*summary) + "\n"
                                                   : format_summary(*summary);
  std::vector<std::string> gates = failed_gates(*summary, args.fail_on);
  if (!gates.empty()) {
    outcome.exit_code = kExitProblem;
    std::string joined;
    for (const std::string& g : gates) {
      joined += (joined.empty() ? "" : ", ") + g;
    }
    outcome.err += "fail-on: " + joined + "\n";
  }
  if (set.takes_stdout() || records_on_stdout) {
    // Standard output carries an output file or the records: the result goes beside the
    // diagnostics.
    outcome.err += outcome.out;
    outcome.out.clear();
  }
  return outcome;
}

// Registers replay's and synth's outputs and refuses, before any work, one that would replace
// an input or another output.
bool open_outputs(const Args& args, std::vector<InputFile> inputs, SimulationOutputs& files,
                  std::string& error) {
  files.flows = files.set.add(args.flows_option, args.flows_out);
  files.summary = files.set.add("--summary", args.summary_out);
  files.rewritten = files.set.add(args.rewritten_option, args.rewritten_out);
  files.generated = files.set.add("--pcap-out", args.generated_out);
  inputs.insert(inputs.begin(), InputFile{"topology", args.topology});
  if (prints_records(args.format)) {
    for (const std::string* path :
         {&args.flows_out, &args.summary_out, &args.rewritten_out, &args.generated_out}) {
      if (*path == "-") {
        error = "-o " + args.output +
                " prints the flow records on standard output; an output named '-' cannot go "
                "there too";
        return false;
      }
    }
  }
  return files.set.open(inputs, error);
}

Outcome run_replay(const Args& args) {
  std::vector<InputFile> inputs;
  for (const std::string& c : args.captures) {
    inputs.push_back({"capture", c});
  }
  SimulationOutputs files;
  std::string error;
  if (!open_outputs(args, inputs, files, error)) {
    return bad_input(error);
  }
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
  return simulate(args, *engine, **source, files, nullptr, std::move(outcome));
}

Outcome run_synth(const Args& args, const CLI::App& cmd) {
  SimulationOutputs files;
  std::string error;
  std::vector<InputFile> inputs;
  if (!args.mix.empty()) {
    inputs.push_back({"mix", args.mix});
  }
  if (!open_outputs(args, inputs, files, error)) {
    return bad_input(error);
  }
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
  if (files.generated < 0 || files.set.file(files.generated) == nullptr) {
    return simulate(replay_args, *engine, **source, files, nullptr, std::move(outcome));
  }
  PcapOut generated(files.set.file(files.generated), args.generated_out);
  TeeSource tee(**source, generated);
  return simulate(replay_args, *engine, tee, files, &generated, std::move(outcome));
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

std::string render_diff(OutputFormat format, const DiffReport& diff,
                        const MigrationContext* context) {
  switch (format) {
    case OutputFormat::kTable:
      return format_diff(diff, context);
    case OutputFormat::kJson:
      return diff_to_json(diff, context) + "\n";
    case OutputFormat::kJsonl:
      return diff_to_jsonl(diff);
    case OutputFormat::kCsv:
    case OutputFormat::kTsv:
      return render_delimited(diff_rows(diff), format);
  }
  return {};
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
  outcome.out = render_diff(args.format, *diff, nullptr);
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
    outcome.out = render_diff(args.format, empty, &context);
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
  outcome.out = render_diff(args.format, *diff, &context);
  outcome.exit_code = refused || diff->changed != 0 ? kExitProblem : kExitOk;
  return outcome;
}

Outcome run_models(const Args& args) {
  Outcome outcome;
  switch (args.format) {
    case OutputFormat::kTable:
      outcome.out = format_models();
      break;
    case OutputFormat::kJson:
      outcome.out = models_to_json() + "\n";
      break;
    case OutputFormat::kJsonl:
      outcome.out = models_to_jsonl();
      break;
    case OutputFormat::kCsv:
    case OutputFormat::kTsv:
      outcome.out = render_delimited(models_rows(), args.format);
      break;
  }
  return outcome;
}

// -o on every command, and --json, its synonym for `-o json` (what --json printed before).
void add_format(CLI::App& cmd, Args& args, const std::string& json_help) {
  cmd.add_option("-o,--output", args.output,
                 "Output format: table (default), json, jsonl, csv or tsv (one item per line)")
      ->check(CLI::IsMember({"table", "json", "jsonl", "csv", "tsv"}));
  cmd.add_flag("--json", args.json, json_help + " (the same as -o json)");
}

// --fail-on takes what the summary counts: drop and asymmetry reasons, and verdicts.
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

void add_fail_on(CLI::App& cmd, Args& args) {
  cmd.add_option("--fail-on", args.fail_on,
                 "REASON,...  exit 1 when any flow is dropped or asymmetric for one of these "
                 "reasons, or has one of these verdicts (e.g. snat-exhausted,nsg-deny)")
      ->delimiter(',');
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
      "Exit codes: 0 success; 1 the command worked and found a problem (validate: findings; trace: "
      "the flow is dropped or asymmetric; replay and synth: a --fail-on reason occurred; diff and "
      "migrate: changes, or an unsupported move); 2 bad input or usage.\nRun 'egress-sim COMMAND "
      "--help' for a command's options.");
  Args args;

  CLI::App* validate = app.add_subcommand(
      "validate", "Check a topology file; exit 1 on errors or on findings (what Azure rejects)");
  validate->add_option("TOPOLOGY", args.topology, "Topology YAML file")->required();
  add_format(*validate, args, R"(Print {"errors":[...],"findings":[...]})");

  CLI::App* routes = app.add_subcommand("routes", "Print a subnet's effective routes");
  routes->add_option("TOPOLOGY", args.topology, "Topology YAML file")->required();
  routes->add_option("--subnet", args.subnet, "The subnet, as VNET/SUBNET")->required();
  add_format(*routes, args, "Print one JSON document");

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
  add_format(*trace, args, "Print the flow result as one JSON line");

  CLI::App* replay_cmd = app.add_subcommand(
      "replay", "Push every packet of pcap/pcapng captures through the topology, in capture time");
  replay_cmd->add_option("TOPOLOGY", args.topology, "Topology YAML file")->required();
  replay_cmd->add_option("CAPTURE", args.captures, "Capture files (merged in time order)")
      ->required();
  replay_cmd->add_option("--flows", args.flows_out,
                         "Write a record per flow: CSV if FILE ends in .csv, else JSON Lines");
  replay_cmd->add_option("--summary", args.summary_out, "Write the summary as JSON");
  replay_cmd->add_option("--pcap-out", args.rewritten_out,
                         "Write the packets as they appear past the egress point (SNAT applied)");
  replay_cmd->add_option("--seed", args.seed, "Seed for Azure's random choices of IP and port")
      ->capture_default_str();
  add_format(*replay_cmd, args, "Print the summary as one JSON document");
  replay_cmd->add_flag("--quiet", args.quiet, "No progress on stderr");
  add_fail_on(*replay_cmd, args);

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
  synth->add_option("--pcap-out", args.generated_out,
                    "Write the generated packets as a capture (as taken on the nodes)");
  synth->add_option("--egress-pcap-out", args.rewritten_out,
                    "Write the packets as they appear past the egress point");
  add_format(*synth, args, "Print the summary as one JSON document");
  synth->add_flag("--quiet", args.quiet, "No progress on stderr");
  add_fail_on(*synth, args);

  CLI::App* diff = app.add_subcommand(
      "diff", "The same flows through two topologies: what changes; exit 1 when anything does");
  diff->add_option("BEFORE", args.topology, "Topology before the change")->required();
  diff->add_option("AFTER", args.after, "Topology after the change")->required();
  diff->add_option("CAPTURE", args.captures, "Capture files whose flows to compare");
  diff->add_option("--synth", args.synth_n, "Compare N synthetic flows instead of captures")
      ->check(CLI::Range(1, 10000000));
  diff->add_option("--seed", args.seed, "Seed for synthetic flows and Azure's random choices")
      ->capture_default_str();
  add_format(*diff, args, "Print one JSON document");

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
  add_format(*migrate, args, "Print one JSON document");

  CLI::App* models = app.add_subcommand(
      "models", "List the behaviours Azure does not document and egress-sim models");
  add_format(*models, args, "Print one JSON document");

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
  if (!args.output.empty()) {
    args.format = *parse_output_format(args.output);  // CLI11 has checked it
    if (args.json && args.format != OutputFormat::kJson) {
      std::cerr << "error: --json and -o " << args.output << " disagree; give one of them\n";
      return kExitBadInput;
    }
  } else if (args.json) {
    args.format = OutputFormat::kJson;
  }
  if (synth->parsed()) {
    args.flows_option = "--flows-out";
    args.rewritten_option = "--egress-pcap-out";
  }
  if (std::optional<std::string> e = check_fail_on(args.fail_on)) {
    std::cerr << "error: --fail-on: " << *e << "\n";
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
