// egress-sim, the command line of ../shared/spec/cli.md: parses the arguments, calls egress_core,
// prints, and maps what happened to the exit codes. Everything else lives in the library.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <exception>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "egress/config/topology.h"
#include "egress/config/topology_checks.h"
#include "egress/config/topology_loader.h"
#include "egress/engine/effective_routes.h"
#include "egress/engine/engine.h"
#include "egress/engine/flow.h"
#include "egress/engine/models.h"
#include "egress/net/ip_address.h"
#include "egress/report/json_report.h"
#include "egress/report/text_report.h"
#include "egress/util/result.h"

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
    outcome.exit_code = kExitBadInput;
    outcome.err += format_diagnostic(engine.error(), "error") + "\n";
    return outcome;
  }
  // CLI11 has range-checked the ports.
  FlowKey flow{*proto, *src, static_cast<uint16_t>(args.sport), *dst,
               static_cast<uint16_t>(args.dport)};
  FlowResult result = engine->trace(flow, args.seed);
  // Any verdict is an answer: the command worked.
  outcome.out = args.json ? flow_to_json(result) + "\n" : format_trace(result);
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
      "Exit codes: 0 success; 1 the command worked and found a problem (validate); 2 bad input "
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
    std::cerr << "error: a command is required: validate, routes, trace or models\n"
                 "Run with --help for more information.\n";
    return kExitBadInput;
  }
  if (validate->parsed()) {
    return emit(run_validate(args));
  }
  if (routes->parsed()) {
    return emit(run_routes(args));
  }
  if (trace->parsed()) {
    return emit(run_trace(args));
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
