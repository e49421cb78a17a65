// The application layer: the answers the CLI and the server both render, and the policy that
// decides between an answer and a refusal.
#include "egress/app/app.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "egress/report/json_report.h"

namespace egress {
namespace {

namespace fs = std::filesystem;

const std::string kTopologies = EGRESS_TOPOLOGIES_DIR;
const std::string kCliData = EGRESS_CLI_DATA_DIR;

std::vector<std::string> topology_files() {
  std::vector<std::string> files;
  for (const fs::directory_entry& e : fs::directory_iterator(kTopologies)) {
    if (e.path().extension() == ".yaml") {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Every subnet's fifth IPv4 address towards a public one: a flow each topology decides.
std::vector<FlowKey> probe_flows(const Topology& topology) {
  std::vector<FlowKey> flows;
  for (const Subnet& s : topology.subnets) {
    for (const Prefix& p : s.address_prefixes) {
      if (p.address.is_v4()) {
        flows.push_back(FlowKey{Protocol::kTcp, IpAddress::v4(p.address.v4_bits() + 4), 50000,
                                *IpAddress::parse("140.82.112.3"), 443});
      }
    }
  }
  return flows;
}

TEST(RunTrace, AnswersWhatTheEngineDoesOnEveryExampleTopology) {
  const std::vector<std::string> files = topology_files();
  ASSERT_GE(files.size(), 5u);
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    LoadResult loaded = load_topology_file(file);
    ASSERT_TRUE(loaded.topology.has_value());
    auto topology = std::make_shared<const Topology>(std::move(*loaded.topology));
    Result<Engine> engine = Engine::build(topology);
    ASSERT_TRUE(engine.ok());
    const std::vector<FlowKey> flows = probe_flows(*topology);
    ASSERT_FALSE(flows.empty());
    for (const FlowKey& flow : flows) {
      AppResult<TraceAnswer> answer =
          run_trace(TraceRequest{TopologyInput::file(file), flow, "", 7}, Context{});
      ASSERT_TRUE(answer.ok());
      EXPECT_EQ(flow_to_json(answer->result), flow_to_json(engine->trace(flow, 7)));
    }
  }
}

TEST(RunTrace, ALoadedTopologyAndItsEngineAreUsedAsGiven) {
  const std::string file = kTopologies + "/aks-udr-firewall.yaml";
  LoadResult loaded = load_topology_file(file);
  ASSERT_TRUE(loaded.topology.has_value());
  auto topology = std::make_shared<const Topology>(std::move(*loaded.topology));
  Result<Engine> built = Engine::build(topology);
  ASSERT_TRUE(built.ok());
  auto engine = std::make_shared<const Engine>(std::move(built).value());
  auto findings = std::make_shared<const std::vector<Diagnostic>>(
      std::vector<Diagnostic>{{"Given", "as given", {}}});
  const FlowKey flow = probe_flows(*topology).front();
  AppResult<TraceAnswer> answer =
      run_trace(TraceRequest{TopologyInput::loaded(topology, "aks-udr-firewall", engine, findings),
                             flow, "", 0},
                Context{});
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->findings.size(), 1u);
  EXPECT_EQ(answer->findings[0].code, "Given");
  EXPECT_EQ(flow_to_json(answer->result), flow_to_json(engine->trace(flow)));
}

TEST(LoadForSimulation, ATopologyWithErrorsIsRefusedWithEveryError) {
  AppResult<LoadedTopology> loaded =
      load_for_simulation(TopologyInput::file(kCliData + "/typo.yaml"), Context{});
  ASSERT_FALSE(loaded.ok());
  ASSERT_EQ(loaded.failure().errors.size(), 1u);
  const Diagnostic& e = loaded.failure().errors[0];
  EXPECT_EQ(e.where.file, kCliData + "/typo.yaml");
  EXPECT_EQ(e.where.line, 39);
  EXPECT_EQ(e.where.column, 9);
  EXPECT_NE(e.message.find("idleTimeoutInMinute"), std::string::npos);
}

TEST(LoadForSimulation, FindingsAreWarningsNotARefusal) {
  AppResult<LoadedTopology> loaded =
      load_for_simulation(TopologyInput::file(kCliData + "/udr-internet.yaml"), Context{});
  ASSERT_TRUE(loaded.ok());
  ASSERT_FALSE(loaded->findings.empty());
  EXPECT_EQ(loaded->findings[0].code, "RouteTableInvalidNextHop");
  EXPECT_NE(loaded->engine, nullptr);
}

TEST(LoadForSimulation, TextIsNamedAsGivenInItsErrors) {
  AppResult<LoadedTopology> loaded =
      load_for_simulation(TopologyInput::text("version: 1\nfrob: 2\n", "posted"), Context{});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.failure().errors.at(0).where.file, "posted");
}

TEST(LoadForSimulation, TheLimitsOfTheContextApply) {
  Context context;
  context.limits.max_bytes = 16;
  AppResult<LoadedTopology> loaded =
      load_for_simulation(TopologyInput::file(kCliData + "/lb.yaml"), context);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.failure().errors.at(0).code, "file-too-large");
}

TEST(RunValidate, ErrorsAndFindingsAreTheAnswerAndOnlyIoFails) {
  AppResult<ValidateAnswer> typo =
      run_validate(ValidateRequest{TopologyInput::file(kCliData + "/typo.yaml")}, Context{});
  ASSERT_TRUE(typo.ok());
  EXPECT_EQ(typo->errors.size(), 1u);
  EXPECT_FALSE(typo->clean());
  EXPECT_EQ(typo->topology, nullptr);
  AppResult<ValidateAnswer> missing =
      run_validate(ValidateRequest{TopologyInput::file(kCliData + "/missing.yaml")}, Context{});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.failure().errors.at(0).code, "io");
  AppResult<ValidateAnswer> clean =
      run_validate(ValidateRequest{TopologyInput::file(kCliData + "/lb.yaml")}, Context{});
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(clean->clean());
  EXPECT_NE(clean->topology, nullptr);
}

TEST(RunRoutes, AnUnknownSubnetNamesTheKnownOnesAndKeepsTheFindings) {
  AppResult<RoutesAnswer> answer = run_routes(
      RoutesRequest{TopologyInput::file(kCliData + "/udr-internet.yaml"), "nope/nope"}, Context{});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.failure().errors.at(0).message.rfind("no subnet 'nope/nope' in ", 0), 0u);
  EXPECT_FALSE(answer.failure().findings.empty());
}

FlowFields fields(std::string src, std::string dst, std::string proto = "tcp",
                  int64_t sport = 50000, int64_t dport = 443, std::string host = "") {
  return FlowFields{std::move(src), std::move(dst), std::move(proto),
                    sport,          dport,          std::move(host)};
}

struct FlowFieldCase {
  FlowFields fields;
  std::string error;
};

TEST(ParseFlowFields, NamesTheFieldWithThePrefix) {
  const FlowFieldCase cases[] = {
      {fields("1.2.3", "1.1.1.1"), "--src: '1.2.3' is not an IPv4 or IPv6 address"},
      {fields("10.0.0.4", "x"), "--dst: 'x' is not an IPv4 or IPv6 address"},
      {fields("10.0.0.4", "::1"), "--src 10.0.0.4 is IPv4 but --dst ::1 is IPv6"},
      {fields("10.0.0.4", "1.1.1.1", "sctp"), "--proto: 'sctp' is not one of tcp, udp, icmp"},
      {fields("10.0.0.4", "1.1.1.1", "tcp", 65536), "--sport: 65536 is not a port (0 to 65535)"},
      {fields("10.0.0.4", "1.1.1.1", "tcp", 1, -1), "--dport: -1 is not a port (0 to 65535)"},
      {fields("10.0.0.4", "1.1.1.1", "tcp", 1, 2, "a b"),
       "--host: 'a b' is not a host name (labels of letters, digits, '-' and '_', separated by "
       "dots)"},
  };
  for (const FlowFieldCase& c : cases) {
    Result<FlowKey> flow = parse_flow_fields(c.fields, "--");
    ASSERT_FALSE(flow.ok()) << c.error;
    EXPECT_EQ(flow.error().message, c.error);
  }
  Result<FlowKey> body = parse_flow_fields(fields("1.2.3", "1.1.1.1"), "");
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().message, "src: '1.2.3' is not an IPv4 or IPv6 address");
  Result<FlowKey> good = parse_flow_fields(fields("10.0.0.4", "1.1.1.1", "udp", 1, 53), "");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->proto, Protocol::kUdp);
  EXPECT_EQ(good->sport, 1);
  EXPECT_EQ(good->dport, 53);
}

TEST(CheckFailOn, KnowsReasonsAndVerdicts) {
  EXPECT_FALSE(check_fail_on({"snat-exhausted", "dropped"}).has_value());
  std::optional<std::string> e = check_fail_on({"dropped", "frob"});
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->rfind("'frob' is not a reason or verdict (unknown-source, nsg-deny, ", 0), 0u);
}

// Counts what a run streams, and cancels the token at the chosen generated packet.
class Counting final : public SimulationSink {
 public:
  explicit Counting(CancelToken* token = nullptr, uint64_t cancel_at = 0)
      : token_(token), cancel_at_(cancel_at) {}
  void on_flow(const FlowRecord&) override { ++flows; }
  bool wants_generated() const override { return true; }
  void on_generated(const RawPacket&) override {
    if (++generated == cancel_at_ && token_ != nullptr) {
      token_->cancel();
    }
  }
  uint64_t flows = 0;
  uint64_t generated = 0;

 private:
  CancelToken* token_;
  uint64_t cancel_at_;
};

SynthRequest synth_request(uint64_t flows, SimulationSink* sink, const CancelToken* cancel) {
  SynthRequest request;
  request.topology = TopologyInput::file(kTopologies + "/aks-udr-firewall.yaml");
  request.settings.flows = flows;
  request.settings.seed = 3;
  request.options.records = true;
  request.options.sink = sink;
  request.options.cancel = cancel;
  return request;
}

TEST(RunSynth, StreamsEveryFlowAndCountsTheGates) {
  Counting sink;
  SynthRequest request = synth_request(200, &sink, nullptr);
  request.options.fail_on = {"egress", "appliance-deny"};
  AppResult<ReplayAnswer> answer = run_synth(std::move(request), Context{});
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->summary.flows, 200u);
  EXPECT_EQ(sink.flows, 200u);
  EXPECT_EQ(answer->summary.seed, 3u);
  EXPECT_EQ(sink.generated, answer->summary.packets);
  ASSERT_EQ(answer->failed_gates.size(), 1u);
  // Its firewall has no rule for the default mix's destinations.
  EXPECT_EQ(answer->failed_gates[0], "200 flows appliance-deny");
}

TEST(RunSynth, ACancelledTokenStopsTheReplayWithCancelled) {
  CancelToken token;
  Counting sink(&token, 10);
  AppResult<ReplayAnswer> answer = run_synth(synth_request(100000, &sink, &token), Context{});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.failure().errors.at(0).code, "cancelled");
  // Stopped at the next check (every 1024 packets), long before the 100000 flows' packets.
  EXPECT_LE(sink.generated, 10u + 1024u);
}

TEST(RunSynth, APassedDeadlineStopsItBeforeTheFirstPacket) {
  CancelToken token(CancelToken::Clock::now() - std::chrono::milliseconds(1));
  Counting sink;
  AppResult<ReplayAnswer> answer = run_synth(synth_request(1000, &sink, &token), Context{});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.failure().errors.at(0).code, "deadline-exceeded");
  EXPECT_EQ(sink.generated, 0u);
}

TEST(RunReplay, AnUnknownFailOnIsRefusedBeforeAnyWork) {
  ReplayRequest request;
  request.topology = TopologyInput::file(kCliData + "/missing.yaml");
  request.options.fail_on = {"frob"};
  AppResult<ReplayAnswer> answer = run_replay(std::move(request), Context{});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.failure().errors.at(0).message.rfind("--fail-on: 'frob' is not", 0), 0u);
}

TEST(RunReplay, CountSelectsThePacketsOfTheCapture) {
  ReplayRequest request;
  request.topology = TopologyInput::file(kTopologies + "/aks-udr-firewall.yaml");
  request.captures.paths = {kTopologies + "/captures/aks-udr-firewall-nodes.pcap"};
  request.captures.count = 100;
  AppResult<ReplayAnswer> answer = run_replay(std::move(request), Context{});
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->summary.packets, 100u);
}

TEST(RunDiff, NeedsEitherCapturesOrSyntheticFlows) {
  DiffRequest request;
  request.before = TopologyInput::file(kCliData + "/lb.yaml");
  request.after = TopologyInput::file(kCliData + "/lb.yaml");
  AppResult<DiffAnswer> answer = run_diff(std::move(request), Context{});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.failure().errors.at(0).message,
            "give the flows to compare: capture files or --synth N (or --mix FILE), not both");
}

TEST(RunDiff, OneFileTwiceChangesNothingAndWarnsOnce) {
  DiffRequest request;
  request.before = TopologyInput::file(kCliData + "/udr-internet.yaml");
  request.after = TopologyInput::file(kCliData + "/udr-internet.yaml");
  request.flows.synth = 50;
  AppResult<DiffAnswer> answer = run_diff(std::move(request), Context{});
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->diff.flows, 50u);
  EXPECT_EQ(answer->diff.changed, 0u);
  AppResult<LoadedTopology> once =
      load_for_simulation(TopologyInput::file(kCliData + "/udr-internet.yaml"), Context{});
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(answer->findings.size(), once->findings.size());
}

TEST(RunMigrate, ThePlanOutlivesTheMoveOfTheAnswer) {
  MigrateRequest request;
  request.topology = TopologyInput::file(kTopologies + "/aks-loadbalancer.yaml");
  request.to = "managedNATGateway";
  request.flows.synth = 20;
  AppResult<MigrateAnswer> answer = run_migrate(std::move(request), Context{});
  ASSERT_TRUE(answer.ok());
  MigrateAnswer moved = std::move(answer).value();
  ASSERT_NE(moved.plan, nullptr);
  EXPECT_EQ(moved.context.plan, moved.plan.get());
  EXPECT_EQ(moved.context.from, "loadBalancer");
  EXPECT_EQ(moved.context.to, "managedNATGateway");
  EXPECT_TRUE(moved.context.verdict.supported);
  EXPECT_EQ(moved.diff.flows, 20u);
}

TEST(RunMigrate, AnUnknownOutboundTypeIsRefused) {
  MigrateRequest request;
  request.topology = TopologyInput::file(kTopologies + "/aks-loadbalancer.yaml");
  request.to = "frob";
  request.flows.synth = 20;
  AppResult<MigrateAnswer> answer = run_migrate(std::move(request), Context{});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.failure().errors.at(0).message.rfind("--to: 'frob' is not an outbound type", 0),
            0u);
}

TEST(RunModels, ListsEveryModel) {
  EXPECT_EQ(run_models().models.size(), all_models().size());
}

}  // namespace
}  // namespace egress
