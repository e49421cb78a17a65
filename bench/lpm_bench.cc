// LpmTable build time, memory and lookup throughput on an Azure-sized route table and on a
// full Internet table. See README.md for how to run it and read the numbers.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "egress/lpm/lpm_table.h"
#include "egress/net/ip_address.h"

#ifdef EGRESS_HAVE_ZLIB
#include <zlib.h>
#endif

namespace egress {
namespace {

// 16 Mi probes of 24 bytes each: 384 MiB, far beyond L2 and L3, so the probe stream itself
// never sits in cache and the numbers reflect a table being hit by traffic, not a warm loop.
constexpr size_t kProbeCount = size_t{1} << 24;
// Lookups per benchmark iteration, so the loop's own overhead stays out of the per-lookup time.
constexpr size_t kChunk = 1024;

constexpr std::string_view kTier1Path = EGRESS_SHARED_DIR "/data/lpm/tier1-prefixes.txt.gz";

enum class TableKind { kAzure, kTier1 };
enum class Draw { kRandom, kFromTable };

using Rng = std::mt19937_64;

struct LoadedTable {
  std::vector<LpmEntry> entries;
  LpmTable table;
  double build_seconds = 0;
  std::string error;
};

IpAddress random_address(Family family, Rng& rng) {
  if (family == Family::kV4) {
    return IpAddress::v4(static_cast<uint32_t>(rng()));
  }
  // Uniform over the global unicast 2000::/3; anything else is routed by nobody.
  uint64_t hi = (rng() >> 3) | 0x2000000000000000ULL;
  return IpAddress::v6(hi, rng());
}

IpAddress random_inside(const Prefix& p, Rng& rng) {
  IpAddress source = random_address(p.family(), rng);
  IpAddress network = source.masked(p.length);
  uint64_t host_hi = source.hi() ^ network.hi();
  uint64_t host_lo = source.lo() ^ network.lo();
  if (p.address.is_v4()) {
    return IpAddress::v4(p.address.v4_bits() | static_cast<uint32_t>(host_lo));
  }
  return IpAddress::v6(p.address.hi() | host_hi, p.address.lo() | host_lo);
}

Prefix must_parse(std::string_view text) {
  auto p = Prefix::parse(text);
  return p.ok() ? *p : Prefix{};
}

// The effective routes of one AKS node's subnet: Azure's system routes (VNet, peerings,
// gateway-learned on-premises prefixes, service endpoints, the default and the reserved private
// ranges) followed by a full 400-route user table (kubenet pod CIDRs, forced tunnelling, a few
// host routes), which wins over system routes of the same prefix because it comes later.
std::vector<LpmEntry> azure_routes() {
  Rng rng(400);
  std::vector<Prefix> prefixes;
  for (const char* text :
       {"0.0.0.0/0", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
        "10.224.0.0/12", "10.0.0.0/16", "::/0", "fd00:db8:1::/48", "fd00:db8:2::/48"}) {
    prefixes.push_back(must_parse(text));
  }
  for (uint32_t peer = 1; peer <= 20; ++peer) {
    prefixes.push_back(Prefix::of(IpAddress::v4(0x0a000000U | (peer << 16)), 16));
  }
  for (int i = 0; i < 200; ++i) {
    uint32_t base = i % 2 == 0 ? 0xac100000U : 0xc0a80000U;
    int length = 16 + static_cast<int>(rng() % 9);
    prefixes.push_back(
        Prefix::of(IpAddress::v4(base | static_cast<uint32_t>(rng() & 0xfffff)), length));
  }
  for (int i = 0; i < 100; ++i) {
    int length = 14 + static_cast<int>(rng() % 11);
    prefixes.push_back(Prefix::of(
        IpAddress::v4(0x14000000U + static_cast<uint32_t>(rng() % 0x30000000U)), length));
  }
  prefixes.push_back(must_parse("0.0.0.0/0"));
  for (uint32_t node = 0; node < 350; ++node) {
    prefixes.push_back(Prefix::of(IpAddress::v4(0x0af40000U + (node << 8)), 24));
  }
  for (int i = 0; i < 49; ++i) {
    prefixes.push_back(
        Prefix::host(IpAddress::v4(0x0a000000U | static_cast<uint32_t>(rng() & 0xffff))));
  }
  std::vector<LpmEntry> entries;
  for (const Prefix& p : prefixes) {
    entries.push_back({p, static_cast<uint32_t>(entries.size())});
  }
  return entries;
}

// One CIDR prefix per line; CRLF endings, blank lines and '#' comments are tolerated.
void add_tier1_line(std::string_view line, std::vector<LpmEntry>& entries, size_t& bad_lines) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) {
    line.remove_suffix(1);
  }
  if (line.empty() || line.front() == '#') {
    return;
  }
  auto p = Prefix::parse(line);
  if (!p.ok()) {
    ++bad_lines;
    return;
  }
  entries.push_back({*p, static_cast<uint32_t>(entries.size())});
}

std::string read_tier1(std::vector<LpmEntry>& entries) {
  std::string path(kTier1Path);
  if (!std::filesystem::exists(path)) {
    return "tier-1 table not found at " + path + " (optional; see bench/README.md)";
  }
  size_t bad_lines = 0;
  char line[256];
#ifdef EGRESS_HAVE_ZLIB
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    return "cannot open " + path;
  }
  while (gzgets(file, line, sizeof line) != nullptr) {
    add_tier1_line(line, entries, bad_lines);
  }
  gzclose(file);
#else
  std::string command = "gzip -dc '" + path + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return "cannot run " + command;
  }
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    add_tier1_line(line, entries, bad_lines);
  }
  if (pclose(pipe) != 0) {
    return command + " failed";
  }
#endif
  if (bad_lines != 0) {
    return std::to_string(bad_lines) + " unparsable lines in " + path;
  }
  if (entries.empty()) {
    return "no prefixes in " + path;
  }
  return "";
}

// Built once per process: the tier-1 table takes a while and every lookup benchmark shares it.
const LoadedTable& table_of(TableKind kind) {
  static std::map<TableKind, LoadedTable> cache;
  auto [it, fresh] = cache.try_emplace(kind);
  LoadedTable& loaded = it->second;
  if (!fresh) {
    return loaded;
  }
  if (kind == TableKind::kAzure) {
    loaded.entries = azure_routes();
  } else {
    loaded.error = read_tier1(loaded.entries);
    if (!loaded.error.empty()) {
      return loaded;
    }
  }
  auto start = std::chrono::steady_clock::now();
  auto built = LpmTable::build(loaded.entries);
  loaded.build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!built.ok()) {
    loaded.error = built.error().message;
    return loaded;
  }
  loaded.table = std::move(built).value();
  return loaded;
}

// 384 MiB per probe set, so only the one in use is kept; benchmarks are registered grouped by
// probe set, so each set is drawn once.
const std::vector<IpAddress>& probes_of(TableKind kind, Family family, Draw draw) {
  static std::tuple<TableKind, Family, Draw> key{};
  static std::vector<IpAddress> probes;
  if (!probes.empty() && key == std::tuple{kind, family, draw}) {
    return probes;
  }
  key = {kind, family, draw};
  probes.clear();
  probes.reserve(kProbeCount);
  Rng rng(static_cast<uint64_t>(kind) * 31 + static_cast<uint64_t>(family) * 7 +
          static_cast<uint64_t>(draw));
  std::vector<Prefix> pool;
  for (const LpmEntry& e : table_of(kind).entries) {
    if (e.prefix.family() == family) {
      pool.push_back(e.prefix);
    }
  }
  for (size_t i = 0; i < kProbeCount; ++i) {
    if (draw == Draw::kRandom || pool.empty()) {
      probes.push_back(random_address(family, rng));
    } else {
      probes.push_back(random_inside(pool[rng() % pool.size()], rng));
    }
  }
  return probes;
}

void add_table_counters(benchmark::State& state, const LoadedTable& loaded) {
  state.counters["routes"] = static_cast<double>(loaded.entries.size());
  state.counters["build_ms"] = loaded.build_seconds * 1e3;
  state.counters["memory_bytes"] =
      benchmark::Counter(static_cast<double>(loaded.table.memory_bytes()),
                         benchmark::Counter::kDefaults, benchmark::Counter::OneK::kIs1024);
}

void BM_LpmBuild(benchmark::State& state, TableKind kind) {
  const LoadedTable& loaded = table_of(kind);
  if (!loaded.error.empty()) {
    state.SkipWithError(loaded.error.c_str());
    return;
  }
  size_t memory = 0;
  for (auto _ : state) {
    auto built = LpmTable::build(loaded.entries);
    memory = built.ok() ? built->memory_bytes() : 0;
    benchmark::DoNotOptimize(memory);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * loaded.entries.size()));
  state.counters["routes"] = static_cast<double>(loaded.entries.size());
  state.counters["memory_bytes"] =
      benchmark::Counter(static_cast<double>(memory), benchmark::Counter::kDefaults,
                         benchmark::Counter::OneK::kIs1024);
}

void BM_LpmLookup(benchmark::State& state, TableKind kind, Family family, Draw draw) {
  const LoadedTable& loaded = table_of(kind);
  if (!loaded.error.empty()) {
    state.SkipWithError(loaded.error.c_str());
    return;
  }
  const std::vector<IpAddress>& probes = probes_of(kind, family, draw);
  size_t pos = 0;
  size_t matched = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < kChunk; ++i) {
      matched += loaded.table.lookup(probes[pos + i]) != LpmTable::kNoMatch ? 1 : 0;
    }
    benchmark::DoNotOptimize(matched);
    pos = (pos + kChunk) & (kProbeCount - 1);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kChunk));
  add_table_counters(state, loaded);
  state.counters["match_ratio"] =
      static_cast<double>(matched) / static_cast<double>(state.iterations() * kChunk);
}

void BM_LpmLookupBatch(benchmark::State& state, TableKind kind, Family family, Draw draw) {
  const LoadedTable& loaded = table_of(kind);
  if (!loaded.error.empty()) {
    state.SkipWithError(loaded.error.c_str());
    return;
  }
  std::span<const IpAddress> probes = probes_of(kind, family, draw);
  std::vector<uint32_t> out(kChunk);
  size_t pos = 0;
  for (auto _ : state) {
    loaded.table.lookup_batch(probes.subspan(pos, kChunk), out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    pos = (pos + kChunk) & (kProbeCount - 1);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kChunk));
  add_table_counters(state, loaded);
}

BENCHMARK_CAPTURE(BM_LpmBuild, azure, TableKind::kAzure)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LpmBuild, tier1, TableKind::kTier1)->Unit(benchmark::kMillisecond);

// Single and batch share a probe set, so they are registered next to each other.
#define EGRESS_LPM_LOOKUPS(table, family, draw, name)         \
  BENCHMARK_CAPTURE(BM_LpmLookup, name, table, family, draw); \
  BENCHMARK_CAPTURE(BM_LpmLookupBatch, name, table, family, draw)

EGRESS_LPM_LOOKUPS(TableKind::kAzure, Family::kV4, Draw::kRandom, azure_v4_random);
EGRESS_LPM_LOOKUPS(TableKind::kAzure, Family::kV4, Draw::kFromTable, azure_v4_table);
EGRESS_LPM_LOOKUPS(TableKind::kAzure, Family::kV6, Draw::kRandom, azure_v6_random);
EGRESS_LPM_LOOKUPS(TableKind::kAzure, Family::kV6, Draw::kFromTable, azure_v6_table);
EGRESS_LPM_LOOKUPS(TableKind::kTier1, Family::kV4, Draw::kRandom, tier1_v4_random);
EGRESS_LPM_LOOKUPS(TableKind::kTier1, Family::kV4, Draw::kFromTable, tier1_v4_table);
EGRESS_LPM_LOOKUPS(TableKind::kTier1, Family::kV6, Draw::kRandom, tier1_v6_random);
EGRESS_LPM_LOOKUPS(TableKind::kTier1, Family::kV6, Draw::kFromTable, tier1_v6_table);

}  // namespace
}  // namespace egress

BENCHMARK_MAIN();
