// LpmTable against DPDK's rte_lpm, rte_fib, rte_lpm6 and rte_fib6 and the simple binary trie,
// in one process, on the same probe arrays: build time, memory, and lookups per second for
// random, table-drawn and missing addresses, single, batch and as a dependent chain (latency).
// See README.md for how to run it and read the numbers.
#include <benchmark/benchmark.h>
#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "egress/lpm/lpm_table.h"
#include "egress/lpm/simple_lpm.h"
#include "egress/net/ip_address.h"

#ifdef EGRESS_HAVE_ZLIB
#include <zlib.h>
#endif

#ifdef EGRESS_HAVE_DPDK
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>
#endif

namespace egress {
namespace {

__extension__ using U128 = unsigned __int128;

// 16 Mi probes: 384 MiB as IpAddress, 64 MiB as DPDK's uint32 and 256 MiB as its byte arrays,
// all far beyond L2 and L3, so probes stream from memory the way packets would.
constexpr size_t kProbeCount = size_t{1} << 24;
// Lookups per benchmark iteration, so the loop's own overhead stays out of the per-lookup time.
constexpr size_t kChunk = 1024;
// rte_lpm stores 24-bit next hops and rte_lpm6 21-bit ones; every implementation gets the same
// ids (the route's index within its family, wrapped to these) so the tables are alike.
constexpr uint32_t kV4IdLimit = 1U << 24;
constexpr uint32_t kV6IdLimit = 1U << 21;

constexpr std::string_view kTier1Path = EGRESS_SHARED_DIR "/data/lpm/tier1-prefixes.txt.gz";

using Rng = std::mt19937_64;

enum class Draw { kRandom, kTable, kMiss };
enum class Mode { kSingle, kBatch, kX4, kLatency };

constexpr std::string_view name_of(Draw d) {
  return d == Draw::kRandom ? "random" : d == Draw::kTable ? "table" : "miss";
}
constexpr std::string_view name_of(Mode m) {
  switch (m) {
    case Mode::kSingle:
      return "single";
    case Mode::kBatch:
      return "batch";
    case Mode::kX4:
      return "x4";
    case Mode::kLatency:
      return "latency";
  }
  return "";
}

struct V6Bytes {
  uint8_t b[16];
};

// The routes of one table, one family at a time, as every implementation receives them.
struct Table {
  std::string name;
  std::vector<LpmEntry> family[2];  // [0] IPv4, [1] IPv6
  std::string error;
};

int family_index(Family f) {
  return f == Family::kV4 ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// Tables: the synthetic Azure one, the tier-1 file, or the user's file.

void add_route(Table& t, const Prefix& p) {
  std::vector<LpmEntry>& routes = t.family[family_index(p.family())];
  uint32_t limit = p.family() == Family::kV4 ? kV4IdLimit : kV6IdLimit;
  routes.push_back({p, static_cast<uint32_t>(routes.size() % limit)});
}

Prefix must_parse(std::string_view text) {
  auto p = Prefix::parse(text);
  return p.ok() ? *p : Prefix{};
}

// The effective routes of one AKS node's subnet: Azure's system routes (VNet, peerings,
// gateway-learned on-premises prefixes, service endpoints, the default and the reserved private
// ranges) followed by a full 400-route user table (kubenet pod CIDRs, forced tunnelling, a few
// host routes).
Table azure_table() {
  Table t{"azure", {}, ""};
  Rng rng(400);
  for (const char* text :
       {"0.0.0.0/0", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
        "10.224.0.0/12", "10.0.0.0/16", "::/0", "fd00:db8:1::/48", "fd00:db8:2::/48"}) {
    add_route(t, must_parse(text));
  }
  for (uint32_t peer = 1; peer <= 20; ++peer) {
    add_route(t, Prefix::of(IpAddress::v4(0x0a000000U | (peer << 16)), 16));
  }
  for (int i = 0; i < 200; ++i) {
    uint32_t base = i % 2 == 0 ? 0xac100000U : 0xc0a80000U;
    int length = 16 + static_cast<int>(rng() % 9);
    add_route(t, Prefix::of(IpAddress::v4(base | static_cast<uint32_t>(rng() & 0xfffff)), length));
  }
  for (int i = 0; i < 100; ++i) {
    int length = 14 + static_cast<int>(rng() % 11);
    add_route(t, Prefix::of(IpAddress::v4(0x14000000U + static_cast<uint32_t>(rng() % 0x30000000U)),
                            length));
  }
  add_route(t, must_parse("0.0.0.0/0"));
  for (uint32_t node = 0; node < 350; ++node) {
    add_route(t, Prefix::of(IpAddress::v4(0x0af40000U + (node << 8)), 24));
  }
  for (int i = 0; i < 49; ++i) {
    add_route(t, Prefix::host(IpAddress::v4(0x0a000000U | static_cast<uint32_t>(rng() & 0xffff))));
  }
  for (int i = 0; i < 20; ++i) {
    add_route(t,
              Prefix::of(IpAddress::v6(0xfd000db800030000ULL + static_cast<uint64_t>(i), 0), 64));
  }
  return t;
}

U128 natural(const IpAddress& a) {
  return a.is_v4() ? U128{a.v4_bits()} : (U128{a.hi()} << 64) | a.lo();
}

IpAddress from_natural(Family f, U128 v) {
  if (f == Family::kV4) {
    return IpAddress::v4(static_cast<uint32_t>(v));
  }
  return IpAddress::v6(static_cast<uint64_t>(v >> 64), static_cast<uint64_t>(v));
}

// The fewest CIDR prefixes covering first..last, as ip-location-db's ranges need.
void add_range(Table& t, const IpAddress& first, const IpAddress& last) {
  const Family f = first.family();
  const int width = first.width();
  U128 lo = natural(first);
  const U128 hi = natural(last);
  for (;;) {
    int size_bits = 0;
    while (size_bits < width && ((lo >> size_bits) & 1U) == 0) {
      ++size_bits;
    }
    while (size_bits > 0 && (size_bits == 128 || ((U128{1} << size_bits) - 1) > hi - lo)) {
      --size_bits;
    }
    add_route(t, Prefix{from_natural(f, lo), width - size_bits});
    if (size_bits == width) {
      return;
    }
    U128 next = lo + (U128{1} << size_bits);
    if (next - 1 >= hi || (width == 32 && next > 0xffffffffU) || next == 0) {
      return;
    }
    lo = next;
  }
}

std::string_view trimmed(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) {
    line.remove_suffix(1);
  }
  return line;
}

// One CIDR prefix per line, or ip-location-db's `first,last,...` CSV; blank lines and '#'
// comments are skipped. A line that is neither stops the load with its number.
bool add_line(Table& t, std::string_view line, size_t line_number, const std::string& path) {
  line = trimmed(line);
  if (line.empty() || line.front() == '#') {
    return true;
  }
  auto fail = [&](const std::string& why) {
    t.error = path + ":" + std::to_string(line_number) + ": " + why;
    return false;
  };
  size_t comma = line.find(',');
  if (comma == std::string_view::npos) {
    auto p = Prefix::parse(line);
    if (!p.ok()) {
      return fail(p.error().message);
    }
    add_route(t, *p);
    return true;
  }
  size_t second = line.find(',', comma + 1);
  auto first = IpAddress::parse(line.substr(0, comma));
  auto last = IpAddress::parse(line.substr(comma + 1, second - comma - 1));
  if (!first || !last || first->family() != last->family() || *last < *first) {
    return fail("expected 'first,last,...' with two addresses of one family, first <= last");
  }
  add_range(t, *first, *last);
  return true;
}

Table file_table(const std::string& path) {
  Table t{std::filesystem::path(path).filename().string(), {}, ""};
  if (!std::filesystem::exists(path)) {
    t.error = path + ": no such file";
    return t;
  }
  char line[512];
  size_t number = 0;
  bool gz = path.size() > 3 && path.ends_with(".gz");
#ifdef EGRESS_HAVE_ZLIB
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    t.error = path + ": cannot open";
    return t;
  }
  while (gzgets(file, line, sizeof line) != nullptr && add_line(t, line, ++number, path)) {
  }
  gzclose(file);
#else
  std::string command = (gz ? "gzip -dc '" : "cat '") + path + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    t.error = "cannot run " + command;
    return t;
  }
  while (std::fgets(line, sizeof line, pipe) != nullptr && add_line(t, line, ++number, path)) {
  }
  pclose(pipe);
#endif
  (void)gz;
  if (t.error.empty() && t.family[0].empty() && t.family[1].empty()) {
    t.error = path + ": no prefixes";
  }
  return t;
}

std::vector<Table>& tables() {
  static std::vector<Table> all;
  return all;
}

// ---------------------------------------------------------------------------------------------
// Probe arrays. Only the set in use is kept (up to 700 MiB); benchmarks are registered grouped
// by probe set, so each set is drawn once.

struct ProbeSet {
  std::vector<IpAddress> addresses;
  std::vector<uint32_t> v4;  // host byte order, as rte_lpm and rte_fib take them
  std::vector<V6Bytes> v6;   // network byte order, as rte_lpm6 and rte_fib6 take them
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

const LpmTable& reference_table(size_t table, Family family);

const ProbeSet& probes_of(size_t table, Family family, Draw draw) {
  static std::tuple<size_t, Family, Draw> key{};
  static ProbeSet set;
  if (!set.addresses.empty() && key == std::tuple{table, family, draw}) {
    return set;
  }
  key = {table, family, draw};
  set = ProbeSet{};
  set.addresses.reserve(kProbeCount);
  Rng rng(table * 31 + static_cast<uint64_t>(family) * 7 + static_cast<uint64_t>(draw));
  const std::vector<LpmEntry>& routes = tables()[table].family[family_index(family)];
  const LpmTable& ours = reference_table(table, family);
  if (draw == Draw::kMiss && std::any_of(routes.begin(), routes.end(),
                                         [](const LpmEntry& e) { return e.prefix.length == 0; })) {
    set.error = "no addresses outside this table (it has a default route)";
    return set;
  }
  size_t attempts = 0;
  while (set.addresses.size() < kProbeCount) {
    IpAddress a = draw == Draw::kTable ? random_inside(routes[rng() % routes.size()].prefix, rng)
                                       : random_address(family, rng);
    if (draw == Draw::kMiss && ours.lookup(a) != LpmTable::kNoMatch) {
      if (++attempts > 16 * kProbeCount) {
        set.error = "fewer than 1 in 16 addresses miss this table";
        return set;
      }
      continue;
    }
    set.addresses.push_back(a);
  }
  if (family == Family::kV4) {
    set.v4.reserve(kProbeCount);
    for (const IpAddress& a : set.addresses) {
      set.v4.push_back(a.v4_bits());
    }
  } else {
    set.v6.resize(kProbeCount);
    for (size_t i = 0; i < kProbeCount; ++i) {
      for (int k = 0; k < 8; ++k) {
        set.v6[i].b[k] = static_cast<uint8_t>(set.addresses[i].hi() >> (56 - 8 * k));
        set.v6[i].b[8 + k] = static_cast<uint8_t>(set.addresses[i].lo() >> (56 - 8 * k));
      }
    }
  }
  return set;
}

// ---------------------------------------------------------------------------------------------
// The implementations, each behind the same small adapter: build from routes, single lookup
// (LpmTable::kNoMatch on a miss), batch lookup, memory. Only `lookup` and `lookup_batch` run in
// the timed loops, and they are called on the concrete type, never through a virtual.

struct Built {
  double build_seconds = 0;
  size_t memory = 0;
  std::string error;
};

// Our two structures behind one adapter: the same interface, so the same benchmark code. IPv6
// probes are IpAddress; IPv4 ones are host-order uint32 for LpmTable, as for rte_lpm and
// rte_fib, so both sides stream the same probe bytes.
template <class Table, const char* kTableName>
class EgressAdapter {
 public:
  static constexpr std::string_view kName = kTableName;
  using Probe = IpAddress;
  static const std::vector<Probe>& probes(const ProbeSet& s) { return s.addresses; }

  Built build(std::span<const LpmEntry> routes, Family) {
    auto built = Table::build(routes);
    if (!built.ok()) {
      return {0, 0, built.error().message};
    }
    table_ = std::move(built).value();
    return {0, table_.memory_bytes(), ""};
  }
  uint32_t lookup(const Probe& a) const noexcept { return table_.lookup(a); }
  void lookup_batch(const Probe* a, uint32_t* out, size_t n) const noexcept {
    table_.lookup_batch({a, n}, {out, n});
  }
  // Into both halves of an IPv6 address: a lookup of a /48 never reads the low 64 bits, so a
  // chain through them alone would not make it wait for the previous lookup.
  static Probe chained(const Probe& a, uint32_t zero) {
    return a.is_v4() ? IpAddress::v4(a.v4_bits() ^ zero)
                     : IpAddress::v6(a.hi() ^ zero, a.lo() ^ zero);
  }
  static Probe from(const IpAddress& a) { return a; }
  const Table& table() const { return table_; }

 protected:
  Table table_;
};

inline constexpr char kOursName[] = "egress";
inline constexpr char kSimpleName[] = "simple";
using Ours = EgressAdapter<LpmTable, kOursName>;
using Simple = EgressAdapter<SimpleLpm, kSimpleName>;

// LpmTable on IPv4 through its integer entry points; registered under the same name as Ours,
// which serves IPv6.
class Ours4 : public Ours {
 public:
  using Probe = uint32_t;
  static const std::vector<Probe>& probes(const ProbeSet& s) { return s.v4; }
  uint32_t lookup(Probe a) const noexcept { return table_.lookup_v4(a); }
  void lookup_batch(const Probe* a, uint32_t* out, size_t n) const noexcept {
    table_.lookup_batch_v4({a, n}, {out, n});
  }
  static Probe chained(Probe a, uint32_t zero) { return a ^ zero; }
  static Probe from(const IpAddress& a) { return a.v4_bits(); }
};

#ifdef EGRESS_HAVE_DPDK

bool& eal_ready() {
  static bool ready = false;
  return ready;
}

// DPDK allocates from its own heap, so its memory is what that heap grew by during the build.
size_t dpdk_heap_bytes() {
  rte_malloc_socket_stats stats{};
  rte_malloc_get_socket_stats(0, &stats);
  return stats.heap_allocsz_bytes;
}

uint32_t v4_host(const Prefix& p) {
  return p.address.v4_bits();
}

V6Bytes v6_bytes(const IpAddress& a) {
  V6Bytes b;
  for (int k = 0; k < 8; ++k) {
    b.b[k] = static_cast<uint8_t>(a.hi() >> (56 - 8 * k));
    b.b[8 + k] = static_cast<uint8_t>(a.lo() >> (56 - 8 * k));
  }
  return b;
}

// tbl8 groups a DIR-24-8 table needs: one per distinct /24 holding a longer prefix.
uint32_t v4_tbl8_groups(std::span<const LpmEntry> routes) {
  std::vector<uint32_t> blocks;
  for (const LpmEntry& e : routes) {
    if (e.prefix.length > 24) {
      blocks.push_back(e.prefix.address.v4_bits() >> 8);
    }
  }
  std::sort(blocks.begin(), blocks.end());
  return static_cast<uint32_t>(std::unique(blocks.begin(), blocks.end()) - blocks.begin());
}

// tbl8 groups rte_lpm6 needs: one per distinct byte-aligned prefix of length 24..120 that has
// a longer prefix below it.
uint32_t v6_tbl8_groups(std::span<const LpmEntry> routes) {
  std::vector<std::pair<U128, int> > nodes;
  for (const LpmEntry& e : routes) {
    for (int bits = 24; bits < e.prefix.length; bits += 8) {
      nodes.push_back({natural(e.prefix.address.masked(bits)), bits});
    }
  }
  std::sort(nodes.begin(), nodes.end());
  return static_cast<uint32_t>(std::unique(nodes.begin(), nodes.end()) - nodes.begin());
}

// tbl8 groups rte_fib6 reserves: its add refuses a route unless the tbl8s between the route
// and its closest covering route are free, whether or not they are shared later.
uint32_t v6_tbl8_reserved(std::span<const LpmEntry> routes) {
  std::vector<std::pair<U128, int> > sorted;
  for (const LpmEntry& e : routes) {
    sorted.push_back({natural(e.prefix.address), e.prefix.length});
  }
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  auto last_of = [](const std::pair<U128, int>& p) {
    return p.second == 0 ? ~U128{0} : p.first | (~U128{0} >> p.second);
  };
  auto ceil8 = [](int bits) { return (bits + 7) / 8 * 8; };
  std::vector<std::pair<U128, int> > open;
  uint64_t total = 0;
  for (const auto& p : sorted) {
    while (!open.empty() && last_of(open.back()) < p.first) {
      open.pop_back();
    }
    int parent = open.empty() ? 0 : open.back().second;
    if (p.second > 24) {
      total += static_cast<uint64_t>(std::max(0, ceil8(p.second) - ceil8(parent)) / 8);
    }
    open.push_back(p);
  }
  return static_cast<uint32_t>(std::min<uint64_t>(total, 1U << 30));
}

std::string dpdk_name(std::string_view kind) {
  static int serial = 0;
  return std::string(kind) + std::to_string(++serial);
}

class RteLpm {
 public:
  static constexpr std::string_view kName = "rte_lpm";
  using Probe = uint32_t;
  static const std::vector<Probe>& probes(const ProbeSet& s) { return s.v4; }

  ~RteLpm() { rte_lpm_free(lpm_); }
  Built build(std::span<const LpmEntry> routes, Family) {
    rte_lpm_config config{};
    config.max_rules = static_cast<uint32_t>(routes.size()) + 1;
    config.number_tbl8s = v4_tbl8_groups(routes) + 16;
    size_t before = dpdk_heap_bytes();
    lpm_ = rte_lpm_create(dpdk_name("lpm").c_str(), SOCKET_ID_ANY, &config);
    if (lpm_ == nullptr) {
      return {0, 0, std::string("rte_lpm_create: ") + rte_strerror(rte_errno)};
    }
    for (const LpmEntry& e : routes) {
      // rte_lpm refuses /0, so a default route becomes the value returned on a miss.
      if (e.prefix.length == 0) {
        miss_ = e.value;
      } else if (rte_lpm_add(lpm_, v4_host(e.prefix), static_cast<uint8_t>(e.prefix.length),
                             e.value) != 0) {
        return {0, 0, "rte_lpm_add failed for " + e.prefix.to_string()};
      }
    }
    return {0, dpdk_heap_bytes() - before, ""};
  }
  uint32_t lookup(Probe a) const noexcept {
    uint32_t hop = 0;
    return rte_lpm_lookup(lpm_, a, &hop) == 0 ? hop : miss_;
  }
  void lookup_batch(const Probe* a, uint32_t* out, size_t n) const noexcept {
    rte_lpm_lookup_bulk(lpm_, a, out, static_cast<unsigned>(n));
  }
  void lookup_x4(const Probe* a, uint32_t* out, size_t n) const noexcept {
    for (size_t i = 0; i < n; i += 4) {
      xmm_t ip = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i));
      rte_lpm_lookupx4(lpm_, ip, out + i, miss_);
    }
  }
  static Probe chained(Probe a, uint32_t zero) { return a ^ zero; }
  static Probe from(const IpAddress& a) { return a.v4_bits(); }

 private:
  rte_lpm* lpm_ = nullptr;
  uint32_t miss_ = LpmTable::kNoMatch;
};

class RteFib {
 public:
  static constexpr std::string_view kName = "rte_fib";
  using Probe = uint32_t;
  static const std::vector<Probe>& probes(const ProbeSet& s) { return s.v4; }
  // Largest next hop of a 4-byte DIR-24-8 entry; returned for a miss.
  static constexpr uint64_t kMiss = 0x7fffffff;

  ~RteFib() { rte_fib_free(fib_); }
  Built build(std::span<const LpmEntry> routes, Family) {
    rte_fib_conf conf{};
    conf.type = RTE_FIB_DIR24_8;
    conf.default_nh = kMiss;
    conf.max_routes = static_cast<int>(routes.size()) + 1;
    conf.dir24_8.nh_sz = RTE_FIB_DIR24_8_4B;
    conf.dir24_8.num_tbl8 = v4_tbl8_groups(routes) + 16;
    size_t before = dpdk_heap_bytes();
    fib_ = rte_fib_create(dpdk_name("fib").c_str(), SOCKET_ID_ANY, &conf);
    if (fib_ == nullptr) {
      return {0, 0, std::string("rte_fib_create: ") + rte_strerror(rte_errno)};
    }
    for (const LpmEntry& e : routes) {
      if (rte_fib_add(fib_, v4_host(e.prefix), static_cast<uint8_t>(e.prefix.length), e.value) !=
          0) {
        return {0, 0, "rte_fib_add failed for " + e.prefix.to_string()};
      }
    }
    return {0, dpdk_heap_bytes() - before, ""};
  }
  uint32_t lookup(Probe a) const noexcept {
    uint64_t hop = 0;
    rte_fib_lookup_bulk(fib_, &a, &hop, 1);
    return hop == kMiss ? LpmTable::kNoMatch : static_cast<uint32_t>(hop);
  }
  void lookup_batch(const Probe* a, uint32_t*, size_t n) const noexcept {
    // rte_fib writes 64-bit next hops.
    rte_fib_lookup_bulk(fib_, const_cast<Probe*>(a), hops_, static_cast<int>(n));
  }
  static Probe chained(Probe a, uint32_t zero) { return a ^ zero; }
  static Probe from(const IpAddress& a) { return a.v4_bits(); }

 private:
  rte_fib* fib_ = nullptr;
  mutable uint64_t hops_[kChunk];
};

class RteLpm6 {
 public:
  static constexpr std::string_view kName = "rte_lpm6";
  using Probe = V6Bytes;
  static const std::vector<Probe>& probes(const ProbeSet& s) { return s.v6; }

  ~RteLpm6() { rte_lpm6_free(lpm_); }
  Built build(std::span<const LpmEntry> routes, Family) {
    rte_lpm6_config config{};
    config.max_rules = static_cast<uint32_t>(routes.size()) + 1;
    config.number_tbl8s = v6_tbl8_groups(routes) + 16;
    size_t before = dpdk_heap_bytes();
    lpm_ = rte_lpm6_create(dpdk_name("lpm6").c_str(), SOCKET_ID_ANY, &config);
    if (lpm_ == nullptr) {
      return {0, 0, std::string("rte_lpm6_create: ") + rte_strerror(rte_errno)};
    }
    for (const LpmEntry& e : routes) {
      V6Bytes ip = v6_bytes(e.prefix.address);
      if (e.prefix.length == 0) {
        miss_ = e.value;
      } else if (rte_lpm6_add(lpm_, ip.b, static_cast<uint8_t>(e.prefix.length), e.value) != 0) {
        return {0, 0, "rte_lpm6_add failed for " + e.prefix.to_string()};
      }
    }
    return {0, dpdk_heap_bytes() - before, ""};
  }
  uint32_t lookup(const Probe& a) const noexcept {
    uint32_t hop = 0;
    return rte_lpm6_lookup(lpm_, a.b, &hop) == 0 ? hop : miss_;
  }
  void lookup_batch(const Probe* a, uint32_t* out, size_t n) const noexcept {
    rte_lpm6_lookup_bulk_func(lpm_, const_cast<uint8_t(*)[16]>(&a->b),
                              reinterpret_cast<int32_t*>(out), static_cast<unsigned>(n));
  }
  // Into every byte, as whole words: DPDK reads the address a byte at a time from the first,
  // and a chain through the last byte alone lets the lookups of any prefix up to /120 overlap,
  // so that the latency rows measure throughput. Byte loads from 8-byte stores still forward.
  static Probe chained(const Probe& a, uint32_t zero) {
    uint64_t half[2];
    std::memcpy(half, a.b, sizeof half);
    half[0] ^= zero;
    half[1] ^= zero;
    Probe p;
    std::memcpy(p.b, half, sizeof half);
    return p;
  }
  static Probe from(const IpAddress& a) { return v6_bytes(a); }

 private:
  rte_lpm6* lpm_ = nullptr;
  uint32_t miss_ = LpmTable::kNoMatch;
};

class RteFib6 {
 public:
  static constexpr std::string_view kName = "rte_fib6";
  using Probe = V6Bytes;
  static const std::vector<Probe>& probes(const ProbeSet& s) { return s.v6; }
  static constexpr uint64_t kMiss = 0x7fffffff;

  ~RteFib6() { rte_fib6_free(fib_); }
  Built build(std::span<const LpmEntry> routes, Family) {
    // rte_fib6 reserves tbl8s against the closest covering route present at insertion, so
    // parents go first (a stable sort keeps later duplicates later, so they still win).
    std::vector<LpmEntry> ordered(routes.begin(), routes.end());
    std::stable_sort(ordered.begin(), ordered.end(), [](const LpmEntry& a, const LpmEntry& b) {
      return a.prefix.length < b.prefix.length;
    });
    // Its reservation is more generous than the estimate, and a pool too large does not fit
    // EAL's memory: grow the pool by half on "no space" and try again.
    uint64_t tbl8 = v6_tbl8_reserved(routes) + 1024;
    std::string error;
    for (int attempt = 0; attempt < 5; ++attempt, tbl8 += tbl8 / 2) {
      rte_fib6_free(fib_);
      fib_ = nullptr;
      rte_fib6_conf conf{};
      conf.type = RTE_FIB6_TRIE;
      conf.default_nh = kMiss;
      conf.max_routes = static_cast<int>(routes.size()) + 1;
      conf.trie.nh_sz = RTE_FIB6_TRIE_4B;
      conf.trie.num_tbl8 = static_cast<uint32_t>(tbl8);
      size_t before = dpdk_heap_bytes();
      fib_ = rte_fib6_create(dpdk_name("fib6").c_str(), SOCKET_ID_ANY, &conf);
      if (fib_ == nullptr) {
        return {0, 0, std::string("rte_fib6_create: ") + rte_strerror(rte_errno)};
      }
      int rc = 0;
      for (const LpmEntry& e : ordered) {
        V6Bytes ip = v6_bytes(e.prefix.address);
        rc = rte_fib6_add(fib_, ip.b, static_cast<uint8_t>(e.prefix.length), e.value);
        if (rc != 0) {
          error = "rte_fib6_add failed for " + e.prefix.to_string() + ": " + rte_strerror(-rc);
          break;
        }
      }
      if (rc == 0) {
        return {0, dpdk_heap_bytes() - before, ""};
      }
      if (rc != -ENOSPC) {
        break;
      }
    }
    return {0, 0, error};
  }
  uint32_t lookup(const Probe& a) const noexcept {
    uint64_t hop = 0;
    rte_fib6_lookup_bulk(fib_, const_cast<uint8_t(*)[16]>(&a.b), &hop, 1);
    return hop == kMiss ? LpmTable::kNoMatch : static_cast<uint32_t>(hop);
  }
  void lookup_batch(const Probe* a, uint32_t*, size_t n) const noexcept {
    rte_fib6_lookup_bulk(fib_, const_cast<uint8_t(*)[16]>(&a->b), hops_, static_cast<int>(n));
  }
  static Probe chained(const Probe& a, uint32_t zero) { return RteLpm6::chained(a, zero); }
  static Probe from(const IpAddress& a) { return v6_bytes(a); }

 private:
  rte_fib6* fib_ = nullptr;
  mutable uint64_t hops_[kChunk];
};

#endif  // EGRESS_HAVE_DPDK

// ---------------------------------------------------------------------------------------------
// One built instance per (implementation, table, family), made on first use and kept.

template <class Impl>
struct Instance {
  std::unique_ptr<Impl> impl;
  Built built;
};

// DPDK's heap and our vectors are mapped lazily, so the first lookup to reach each 4 KiB page
// takes a page fault. Touching every page once before timing keeps that out of the numbers: the
// first address of every /24 (all of tbl24) and of every route.
template <class Impl>
void warm_up(const Impl& impl, std::span<const LpmEntry> routes, Family family) {
  uint32_t sink = 0;
  if (family == Family::kV4) {
    for (uint32_t block = 0; block < (1U << 24); ++block) {
      sink ^= impl.lookup(Impl::from(IpAddress::v4(block << 8)));
    }
  }
  for (const LpmEntry& e : routes) {
    sink ^= impl.lookup(Impl::from(e.prefix.address));
  }
  benchmark::DoNotOptimize(sink);
}

// Benchmarks run grouped by (table, family), so when the next group starts, every instance of
// the last one is freed: the DPDK tables of one tier-1 family alone take most of EAL's 1 GiB.
std::vector<void (*)()>& cache_clearers() {
  static std::vector<void (*)()> clearers;
  return clearers;
}

void start_group(size_t table, Family family) {
  static std::pair<size_t, Family> current{~size_t{0}, Family::kV4};
  if (current == std::pair{table, family}) {
    return;
  }
  current = {table, family};
  for (auto clear : cache_clearers()) {
    clear();
  }
}

template <class Impl>
std::map<std::pair<size_t, Family>, Instance<Impl> >& cache_of() {
  static std::map<std::pair<size_t, Family>, Instance<Impl> > cache;
  static bool registered = false;
  if (!registered) {
    registered = true;
    cache_clearers().push_back([] { cache_of<Impl>().clear(); });
  }
  return cache;
}

template <class Impl>
Instance<Impl>& instance_of(size_t table, Family family) {
  start_group(table, family);
  auto& cache = cache_of<Impl>();
  auto [it, fresh] = cache.try_emplace({table, family});
  Instance<Impl>& in = it->second;
  if (!fresh) {
    return in;
  }
  const Table& t = tables()[table];
  if (!t.error.empty()) {
    in.built.error = t.error;
    return in;
  }
  const std::vector<LpmEntry>& routes = t.family[family_index(family)];
  if (routes.empty()) {
    in.built.error = "no routes of this family";
    return in;
  }
  in.impl = std::make_unique<Impl>();
  auto start = std::chrono::steady_clock::now();
  in.built = in.impl->build(routes, family);
  in.built.build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (in.built.error.empty()) {
    warm_up(*in.impl, routes, family);
  }
  return in;
}

const LpmTable& reference_table(size_t table, Family family) {
  static const LpmTable empty;
  if (family == Family::kV4) {
    Instance<Ours4>& in = instance_of<Ours4>(table, family);
    return in.impl ? in.impl->table() : empty;
  }
  Instance<Ours>& in = instance_of<Ours>(table, family);
  return in.impl ? in.impl->table() : empty;
}

void add_counters(benchmark::State& state, const Built& built, size_t routes) {
  state.counters["routes"] = static_cast<double>(routes);
  state.counters["build_ms"] = built.build_seconds * 1e3;
  state.counters["memory_bytes"] =
      benchmark::Counter(static_cast<double>(built.memory), benchmark::Counter::kDefaults,
                         benchmark::Counter::OneK::kIs1024);
}

// Builds from scratch every repetition, except for the two whose build takes minutes (rte_lpm
// adds one rule at a time with a linear duplicate search): they report their one build.
// The others build a fresh table per repetition and keep none of them: rte_fib6 on the tier-1
// table takes over half of EAL's memory, so the lookups' copy and this one cannot coexist.
template <class Impl>
void BM_Build(benchmark::State& state, size_t table, Family family, bool once) {
  start_group(table, family);
  const Table& t = tables()[table];
  const std::vector<LpmEntry>& routes = t.family[family_index(family)];
  Built built;
  built.error = t.error;
  if (once && built.error.empty()) {
    built = instance_of<Impl>(table, family).built;
  }
  for (auto _ : state) {
    if (!built.error.empty()) {
      break;
    }
    if (once) {
      state.SetIterationTime(built.build_seconds);
      continue;
    }
    auto start = std::chrono::steady_clock::now();
    Impl fresh;
    built = fresh.build(routes, family);
    built.build_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(built.build_seconds);
  }
  if (!built.error.empty()) {
    state.SkipWithError(built.error.c_str());
    return;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * routes.size()));
  add_counters(state, built, routes.size());
}

uint32_t runtime_zero() {
  // The dependent chain XORs each result, masked by this, into the next address; the compiler
  // cannot know it is zero, so every lookup waits for the previous one.
  static volatile uint32_t zero = 0;
  return zero;
}

template <class Impl>
void BM_Lookup(benchmark::State& state, size_t table, Family family, Draw draw, Mode mode) {
  Instance<Impl>& in = instance_of<Impl>(table, family);
  if (!in.built.error.empty()) {
    state.SkipWithError(in.built.error.c_str());
    return;
  }
  const ProbeSet& set = probes_of(table, family, draw);
  if (!set.error.empty()) {
    state.SkipWithError(set.error.c_str());
    return;
  }
  const Impl& impl = *in.impl;
  const auto& probes = Impl::probes(set);
  std::vector<uint32_t> out(kChunk);
  size_t pos = 0;
  size_t matched = 0;
  const uint32_t zero = runtime_zero();
  uint32_t last = 0;
  for (auto _ : state) {
    const auto* p = probes.data() + pos;
    switch (mode) {
      case Mode::kSingle:
        for (size_t i = 0; i < kChunk; ++i) {
          matched += impl.lookup(p[i]) != LpmTable::kNoMatch ? 1 : 0;
        }
        break;
      case Mode::kLatency:
        for (size_t i = 0; i < kChunk; ++i) {
          last = impl.lookup(Impl::chained(p[i], last & zero));
        }
        break;
      case Mode::kBatch:
        impl.lookup_batch(p, out.data(), kChunk);
        break;
      case Mode::kX4:
        if constexpr (requires { impl.lookup_x4(p, out.data(), kChunk); }) {
          impl.lookup_x4(p, out.data(), kChunk);
        }
        break;
    }
    benchmark::DoNotOptimize(matched);
    benchmark::DoNotOptimize(last);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    pos = (pos + kChunk) & (kProbeCount - 1);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kChunk));
  add_counters(state, in.built, tables()[table].family[family_index(family)].size());
  if (mode == Mode::kSingle) {
    state.counters["match_ratio"] =
        static_cast<double>(matched) / static_cast<double>(state.iterations() * kChunk);
  }
}

// ---------------------------------------------------------------------------------------------
// The machine's own ceiling: random 4-byte reads from a buffer of `mib` MiB on 4 KiB pages, as
// independent loads (how many reads per second the memory system overlaps; a lookup structure
// of that size that does one read per lookup cannot go faster) and as a dependent chain (ns per
// read; two dependent reads into 1 and 3 MiB are the floor of our IPv4 table-drawn latency, one
// into 64 MiB rte_lpm's). Reads land one per 64-byte line, in an order fixed by the seed.

enum class Access { kIndependent, kDependent };

std::string_view name_of(Access access) {
  return access == Access::kIndependent ? "independent" : "dependent";
}

void BM_Memory(benchmark::State& state, size_t mib, Access access) {
  constexpr size_t kWordsPerLine = 64 / sizeof(uint32_t);
  const size_t lines = (mib << 20) / 64;
  std::vector<uint32_t> buffer(lines * kWordsPerLine);
  std::mt19937_64 rng(20261201);
  // One cycle through every line (Sattolo's shuffle), so the chain never settles into a loop
  // that fits the caches; the independent reads follow the same order from a probe array.
  std::vector<uint32_t> order(lines);
  for (size_t i = 0; i < lines; ++i) {
    order[i] = static_cast<uint32_t>(i);
  }
  for (size_t i = lines - 1; i > 0; --i) {
    std::swap(order[i], order[std::uniform_int_distribution<size_t>(0, i - 1)(rng)]);
  }
  for (size_t i = 0; i < lines; ++i) {
    buffer[size_t{order[i]} * kWordsPerLine] = order[(i + 1) % lines] * kWordsPerLine;
  }
  std::vector<uint32_t> probes(kChunk * 1024);
  for (size_t i = 0; i < probes.size(); ++i) {
    probes[i] = order[i % lines] * kWordsPerLine;
  }
  size_t pos = 0;
  uint32_t at = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    if (access == Access::kDependent) {
      for (size_t i = 0; i < kChunk; ++i) {
        at = buffer[at];
      }
    } else {
      const uint32_t* p = probes.data() + pos;
      for (size_t i = 0; i < kChunk; ++i) {
        sum += buffer[p[i]];
      }
      pos = (pos + kChunk) % probes.size();
    }
    benchmark::DoNotOptimize(at);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kChunk));
}

// ---------------------------------------------------------------------------------------------
// Registration and the side-by-side summary.

std::string bench_name(std::string_view kind, size_t table, Family family, std::string_view rest) {
  return std::string(kind) + "/" + tables()[table].name +
         (family == Family::kV4 ? "/v4/" : "/v6/") + std::string(rest);
}

template <class Impl>
void register_build(size_t table, Family family, bool once) {
  benchmark::RegisterBenchmark(bench_name("BM_Build", table, family, Impl::kName).c_str(),
                               BM_Build<Impl>, table, family, once)
      ->UseManualTime()
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
}

template <class Impl>
void register_lookup(size_t table, Family family, Draw draw, Mode mode) {
  std::string rest = std::string(name_of(draw)) + "/" + std::string(name_of(mode)) + "/" +
                     std::string(Impl::kName);
  benchmark::RegisterBenchmark(bench_name("BM_Lookup", table, family, rest).c_str(),
                               BM_Lookup<Impl>, table, family, draw, mode);
}

void register_all(bool with_dpdk) {
  for (size_t mib : {1, 4, 16, 64}) {
    for (Access access : {Access::kIndependent, Access::kDependent}) {
      std::string name = "BM_Memory/" + std::to_string(mib) + "MiB/" + std::string(name_of(access));
      benchmark::RegisterBenchmark(name.c_str(), BM_Memory, mib, access);
    }
  }
  for (size_t t = 0; t < tables().size(); ++t) {
    for (Family family : {Family::kV4, Family::kV6}) {
      // A file of one family (ip-location-db ships one per family) registers nothing for the
      // other; a table that failed to load registers everything, to report why.
      if (tables()[t].error.empty() && tables()[t].family[family_index(family)].empty()) {
        continue;
      }
      if (family == Family::kV4) {
        register_build<Ours4>(t, family, false);
      } else {
        register_build<Ours>(t, family, false);
      }
      register_build<Simple>(t, family, false);
#ifdef EGRESS_HAVE_DPDK
      if (with_dpdk && family == Family::kV4) {
        register_build<RteLpm>(t, family, true);
        register_build<RteFib>(t, family, false);
      } else if (with_dpdk) {
        register_build<RteLpm6>(t, family, true);
        register_build<RteFib6>(t, family, false);
      }
#endif
      for (Draw draw : {Draw::kRandom, Draw::kTable, Draw::kMiss}) {
        for (Mode mode : {Mode::kSingle, Mode::kBatch, Mode::kX4, Mode::kLatency}) {
          if (mode != Mode::kX4) {
            if (family == Family::kV4) {
              register_lookup<Ours4>(t, family, draw, mode);
            } else {
              register_lookup<Ours>(t, family, draw, mode);
            }
            register_lookup<Simple>(t, family, draw, mode);
          }
#ifdef EGRESS_HAVE_DPDK
          if (!with_dpdk) {
            continue;
          }
          if (family == Family::kV4) {
            register_lookup<RteLpm>(t, family, draw, mode);
            if (mode != Mode::kX4) {
              register_lookup<RteFib>(t, family, draw, mode);
            }
          } else if (mode != Mode::kX4) {
            register_lookup<RteLpm6>(t, family, draw, mode);
            register_lookup<RteFib6>(t, family, draw, mode);
          }
#endif
        }
      }
    }
  }
}

// Prints the usual console lines and keeps, per benchmark, the median (or the only run) so that
// the end of the output is one table per (table, family): implementations side by side.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) {
        continue;
      }
      bool aggregate = run.run_type == Run::RT_Aggregate;
      if (aggregate && run.aggregate_name != "median") {
        continue;
      }
      if (!aggregate && run.repetitions > 1) {
        continue;
      }
      std::vector<std::string> parts;
      std::string name = run.run_name.function_name;
      for (size_t start = 0;;) {
        size_t slash = name.find('/', start);
        parts.push_back(name.substr(start, slash - start));
        if (slash == std::string::npos) {
          break;
        }
        start = slash + 1;
      }
      if (parts[0] == "BM_Memory") {
        auto it = run.counters.find("items_per_second");
        if (parts.size() == 3 && it != run.counters.end()) {
          memory_[std::stoi(parts[1])][parts[2]] = it->second.value;
        }
        continue;
      }
      Cell cell;
      auto counter = [&run](const char* key) {
        auto it = run.counters.find(key);
        return it == run.counters.end() ? 0.0 : it->second.value;
      };
      cell.rate = counter("items_per_second");
      cell.memory = counter("memory_bytes");
      cell.build_ms = parts[0] == "BM_Build" ? run.GetAdjustedRealTime() : counter("build_ms");
      std::string block = parts[1] + " " + parts[2];
      std::string row = parts[0] == "BM_Build" ? "build" : parts[3] + " " + parts[4];
      std::string impl = parts.back();
      cells_[block][row][impl] = cell;
      if (routes_.find(block) == routes_.end()) {
        routes_[block] = counter("routes");
      }
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    auto& os = GetOutputStream();
    print_machine(os);
    for (const auto& [block, rows] : cells_) {
      std::vector<std::string> impls;
      for (const auto& [row, by_impl] : rows) {
        for (const auto& [impl, cell] : by_impl) {
          if (std::find(impls.begin(), impls.end(), impl) == impls.end()) {
            impls.push_back(impl);
          }
        }
      }
      // Ours first, then the baselines in a fixed order.
      std::sort(impls.begin(), impls.end(),
                [](const std::string& a, const std::string& b) { return order(a) < order(b); });
      std::string baseline = block.ends_with("v4") ? "rte_lpm" : "rte_fib6";
      bool have_baseline = std::find(impls.begin(), impls.end(), baseline) != impls.end();
      char line[256];
      os << "\n== " << block << ": " << static_cast<uint64_t>(routes_[block])
         << " routes; M lookups/s (latency rows: ns per dependent lookup), medians\n";
      std::snprintf(line, sizeof line, "%-16s", "");
      os << line;
      for (const std::string& impl : impls) {
        std::snprintf(line, sizeof line, "%12s", impl.c_str());
        os << line;
      }
      if (have_baseline) {
        std::snprintf(line, sizeof line, "  egress vs %s", baseline.c_str());
        os << line;
      }
      os << "\n";
      auto print_row = [&](const std::string& label, auto value, bool lower_is_better) {
        std::snprintf(line, sizeof line, "%-16s", label.c_str());
        os << line;
        double ours = 0;
        double base = 0;
        for (const std::string& impl : impls) {
          double v = value(impl);
          if (v <= 0) {
            std::snprintf(line, sizeof line, "%12s", "-");
          } else if (v < 10) {
            std::snprintf(line, sizeof line, "%12.2f", v);
          } else {
            std::snprintf(line, sizeof line, "%12.1f", v);
          }
          os << line;
          ours = impl == "egress" ? v : ours;
          base = impl == baseline ? v : base;
        }
        if (have_baseline && ours > 0 && base > 0) {
          std::snprintf(line, sizeof line, "  %.2fx", lower_is_better ? base / ours : ours / base);
          os << line;
        }
        os << "\n";
      };
      auto find = [&rows](const std::string& row, const std::string& impl) -> const Cell* {
        auto r = rows.find(row);
        if (r == rows.end()) {
          return nullptr;
        }
        auto c = r->second.find(impl);
        return c == r->second.end() ? nullptr : &c->second;
      };
      print_row(
          "memory MiB",
          [&](const std::string& impl) {
            for (const auto& [row, by_impl] : rows) {
              auto c = by_impl.find(impl);
              if (c != by_impl.end() && c->second.memory > 0) {
                return c->second.memory / (1024.0 * 1024.0);
              }
            }
            return 0.0;
          },
          true);
      print_row(
          "build ms",
          [&](const std::string& impl) {
            const Cell* c = find("build", impl);
            return c ? c->build_ms : 0.0;
          },
          true);
      for (Draw draw : {Draw::kRandom, Draw::kTable, Draw::kMiss}) {
        for (Mode mode : {Mode::kSingle, Mode::kBatch, Mode::kX4, Mode::kLatency}) {
          std::string row = std::string(name_of(draw)) + " " + std::string(name_of(mode));
          if (rows.find(row) == rows.end()) {
            continue;
          }
          bool latency = mode == Mode::kLatency;
          print_row(
              latency ? row + " ns" : row,
              [&](const std::string& impl) {
                const Cell* c = find(row, impl);
                if (c == nullptr || c->rate <= 0) {
                  return 0.0;
                }
                return latency ? 1e9 / c->rate : c->rate / 1e6;
              },
              latency);
        }
      }
    }
  }

 private:
  struct Cell {
    double rate = 0;
    double memory = 0;
    double build_ms = 0;
  };

  // The BM_Memory rows as one block: what the machine allows a structure of each size.
  void print_machine(std::ostream& os) const {
    if (memory_.empty()) {
      return;
    }
    char line[64];
    os << "\n== machine: random reads, one per 64-byte line, 4 KiB pages; medians\n";
    std::snprintf(line, sizeof line, "%-16s", "buffer");
    os << line;
    for (const auto& [mib, by_access] : memory_) {
      std::snprintf(line, sizeof line, "%8d MiB", mib);
      os << line;
    }
    os << "\n";
    for (Access access : {Access::kIndependent, Access::kDependent}) {
      const std::string name(name_of(access));
      const bool dependent = access == Access::kDependent;
      std::snprintf(line, sizeof line, "%-16s", (name + (dependent ? " ns" : " M/s")).c_str());
      os << line;
      for (const auto& [mib, by_access] : memory_) {
        auto it = by_access.find(name);
        if (it == by_access.end() || it->second <= 0) {
          std::snprintf(line, sizeof line, "%12s", "-");
        } else {
          std::snprintf(line, sizeof line, "%12.1f",
                        dependent ? 1e9 / it->second : it->second / 1e6);
        }
        os << line;
      }
      os << "\n";
    }
  }

  static int order(const std::string& impl) {
    static const char* const kOrder[] = {"egress",   "rte_lpm",  "rte_fib",
                                         "rte_lpm6", "rte_fib6", "simple"};
    for (int i = 0; i < 6; ++i) {
      if (impl == kOrder[i]) {
        return i;
      }
    }
    return 6;
  }
  std::map<std::string, std::map<std::string, std::map<std::string, Cell> > > cells_;
  std::map<std::string, double> routes_;
  // BM_Memory's items per second by buffer MiB and access.
  std::map<int, std::map<std::string, double> > memory_;
};

bool init_dpdk() {
#ifdef EGRESS_HAVE_DPDK
  const char* args[] = {
      "lpm_bench", "--no-huge", "--no-pci", "--no-telemetry",   "--no-shconf", "-m",
      "1024",      "-l",        "0",        "--log-level=error"};
  std::vector<char*> argv;
  for (const char* a : args) {
    argv.push_back(const_cast<char*>(a));
  }
  if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
    std::fprintf(stderr, "lpm_bench: rte_eal_init failed (%s); DPDK baselines are skipped\n",
                 rte_strerror(rte_errno));
    return false;
  }
  eal_ready() = true;
  return true;
#else
  return false;
#endif
}

int usage() {
  std::fprintf(stderr,
               "usage: lpm_bench [--prefixes=FILE] [--no_dpdk] [benchmark flags]\n"
               "  FILE: one CIDR per line (optionally .gz), or ip-location-db's first,last,... "
               "CSV.\n"
               "  Without --prefixes: the Azure-sized table and the tier-1 table.\n");
  return 2;
}

int run(int argc, char** argv) {
  std::vector<char*> rest{argv[0]};
  std::vector<std::string> files;
  bool with_dpdk = true;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--prefixes=")) {
      files.emplace_back(arg.substr(11));
    } else if (arg == "--no_dpdk") {
      with_dpdk = false;
    } else if (arg == "--help" || arg == "-h") {
      usage();
      rest.push_back(argv[i]);
    } else {
      rest.push_back(argv[i]);
    }
  }
  int rest_count = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_count, rest.data());
  // Whether the lookups were compiled with BMI2 moves single IPv4 lookups by up to 2x on some
  // cores (sim/CMakeLists.txt, EGRESS_BMI2), so a result says which it had.
#if defined(__BMI2__)
  benchmark::AddCustomContext("egress_bmi2", "yes");
#else
  benchmark::AddCustomContext("egress_bmi2", "no");
#endif
  if (benchmark::ReportUnrecognizedArguments(rest_count, rest.data())) {
    return usage();
  }
  // Same page size on both sides: DPDK's --no-huge heap sits on 4 KiB pages, so transparent
  // huge pages, which would quietly give our vectors 2 MiB pages, are off for the process.
  prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
  if (files.empty()) {
    tables().push_back(azure_table());
    tables().push_back(file_table(std::string(kTier1Path)));
    tables().back().name = "tier1";
  }
  for (const std::string& f : files) {
    tables().push_back(file_table(f));
    if (!tables().back().error.empty()) {
      std::fprintf(stderr, "lpm_bench: %s\n", tables().back().error.c_str());
      return 2;
    }
  }
  with_dpdk = with_dpdk && init_dpdk();
  register_all(with_dpdk);
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

}  // namespace
}  // namespace egress

int main(int argc, char** argv) {
  try {
    return egress::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lpm_bench: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "lpm_bench: unknown exception\n");
  }
  return 1;
}
