// How fast the engine answers `trace`: whole flows per second through shipped topologies, from
// pod to verdict, and how long compiling a topology takes. The flows are drawn once, before
// timing, from the topology's own sources and a spread of destinations.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "egress/config/topology_loader.h"
#include "egress/engine/engine.h"

namespace egress {
namespace {

std::shared_ptr<const Topology> load(const std::string& name) {
  LoadResult r = load_topology_file(std::string(EGRESS_TOPOLOGIES_DIR) + "/" + name);
  if (!r.topology) {
    return nullptr;
  }
  return std::make_shared<const Topology>(std::move(*r.topology));
}

// Sources: every node and the first pods of each; destinations: mostly public, some private.
std::vector<FlowKey> draw_flows(const Topology& t, size_t n) {
  std::vector<IpAddress> sources;
  if (t.cluster) {
    for (const NodePool& pool : t.cluster->node_pools) {
      for (const IpAddress& node : pool.addresses) {
        sources.push_back(node);
        if (auto pod = node.offset(1); pod) {
          sources.push_back(*pod);
        }
      }
    }
  }
  for (const Host& h : t.hosts) {
    sources.push_back(h.address);
  }
  std::mt19937_64 rng(42);
  std::vector<FlowKey> flows;
  flows.reserve(n);
  for (size_t i = 0; i < n && !sources.empty(); ++i) {
    FlowKey f;
    f.src = sources[rng() % sources.size()];
    uint32_t dst = static_cast<uint32_t>(rng());
    if (i % 4 == 0) {
      dst = 0x0a000000 | (dst & 0x00ffffff);  // a quarter towards 10/8
    }
    f.dst = IpAddress::v4(dst);
    f.proto = (i % 5 == 0) ? Protocol::kUdp : Protocol::kTcp;
    f.sport = static_cast<uint16_t>(1024 + rng() % 60000);
    f.dport = (i % 3 == 0) ? 80 : 443;
    flows.push_back(f);
  }
  return flows;
}

void BM_Trace(benchmark::State& state, const char* topology) {
  auto t = load(topology);
  if (!t) {
    state.SkipWithError("cannot load topology");
    return;
  }
  auto engine = Engine::build(t);
  if (!engine) {
    state.SkipWithError("cannot build engine");
    return;
  }
  std::vector<FlowKey> flows = draw_flows(*t, 1 << 16);
  if (flows.empty()) {
    state.SkipWithError("topology has no sources");
    return;
  }
  size_t i = 0;
  for (auto _ : state) {
    FlowResult r = engine->trace(flows[i]);
    benchmark::DoNotOptimize(r);
    i = (i + 1) & (flows.size() - 1);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_Trace, udr_firewall, "aks-udr-firewall.yaml");
BENCHMARK_CAPTURE(BM_Trace, hub_spoke_vpn, "hub-spoke-vpn.yaml");
BENCHMARK_CAPTURE(BM_Trace, outbound_precedence, "outbound-precedence.yaml");
BENCHMARK_CAPTURE(BM_Trace, loadbalancer, "aks-loadbalancer.yaml");

void BM_BuildEngine(benchmark::State& state, const char* topology) {
  auto t = load(topology);
  if (!t) {
    state.SkipWithError("cannot load topology");
    return;
  }
  for (auto _ : state) {
    auto engine = Engine::build(t);
    benchmark::DoNotOptimize(engine);
  }
}
BENCHMARK_CAPTURE(BM_BuildEngine, hub_spoke_vpn, "hub-spoke-vpn.yaml");

void BM_LoadTopology(benchmark::State& state, const char* topology) {
  std::string path = std::string(EGRESS_TOPOLOGIES_DIR) + "/" + topology;
  for (auto _ : state) {
    LoadResult r = load_topology_file(path);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK_CAPTURE(BM_LoadTopology, hub_spoke_vpn, "hub-spoke-vpn.yaml");

}  // namespace
}  // namespace egress

BENCHMARK_MAIN();
