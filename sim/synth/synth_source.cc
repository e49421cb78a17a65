// The synthetic packet source. Flows arrive as a Poisson process; each live flow sits in a
// min-heap keyed by the time of its next packet (ties broken by flow number), so memory grows
// with the number of concurrent flows, not the total. Frames are written into buffers that
// already hold the payload pattern, so a packet costs a few header stores and a checksum over
// the headers only (the payload's share of every checksum is precomputed).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "egress/synth/synth.h"
#include "engine/sources.h"
#include "synth/synth_random_internal.h"
#include "util/prefetch.h"

namespace egress {
namespace {

using internal::Rng;
using internal::WeightedTable;

constexpr uint16_t kEphemeralFirst = 32768;  // Linux ip_local_port_range
constexpr uint16_t kEphemeralLast = 60999;
constexpr uint32_t kEphemeralCount = kEphemeralLast - kEphemeralFirst + 1;
constexpr uint32_t kMaxPayload = 1400;  // fits a 1500-byte MTU under IPv6 + TCP headers
constexpr uint32_t kIcmpPayload = 56;   // what ping sends
constexpr size_t kEthernetHeader = 14;
constexpr size_t kMaxFrame = kEthernetHeader + 40 + 20 + kMaxPayload;
constexpr int64_t kMinGapNs = 1000;  // every packet of a flow at least 1 us after the previous
// Every packet of a flow at most 30 s after the previous, so that replay never splits a
// generated flow in two: well inside the shortest idle timeout on any path (4 minutes:
// replay's default, the NAT gateway's and LB's minimum) and the 60 s a closed TCP flow waits
// for its last ACK (model flow-end). A long flow with few packets is shortened.
constexpr int64_t kMaxGapNs = int64_t{30} * 1'000'000'000;
// The idle timeout replay gives UDP and ICMP flows where the topology sets none (model
// flow-idle-timeout), which is also the NAT gateway's fixed UDP timeout.
constexpr int64_t kDefaultIdleNs = int64_t{240} * 1'000'000'000;
// Arrivals stop before 2116 (2^62 ns): int64 nanoseconds end in 2262, and a flow's own packets
// (mean duration at most 1e6 s) need room after its arrival.
constexpr double kLastArrivalNs = 4.6e18;
constexpr int64_t kLatestStartNs = int64_t{7'258'118'400} * 1'000'000'000;  // 2200-01-01
// Azure's virtual gateway MAC, which every VM sees as the next hop's address.
constexpr uint8_t kGatewayMac[6] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};
constexpr uint8_t kAzureOui[3] = {0x00, 0x0d, 0x3a};

constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kTcpRst = 0x04;
constexpr uint8_t kTcpPsh = 0x08;
constexpr uint8_t kTcpAck = 0x10;

// Addresses that are never public destinations (RFC 6890 special-purpose IPv4 registry, plus
// Azure's platform address 168.63.129.16, which the engine treats as Azure's own).
struct V4Block {
  uint32_t network;
  int length;
};
constexpr V4Block kNotPublic[] = {
    {0x00000000, 8},  {0x0a000000, 8},  {0x64400000, 10}, {0x7f000000, 8},
    {0xa9fe0000, 16}, {0xac100000, 12}, {0xc0000000, 24}, {0xc0000200, 24},
    {0xc0586300, 24}, {0xc0a80000, 16}, {0xc6120000, 15}, {0xc6336400, 24},
    {0xcb007100, 24}, {0xe0000000, 4},  {0xf0000000, 4},  {0xa83f8110, 32},
};

bool is_public_v4(uint32_t a) {
  for (const V4Block& b : kNotPublic) {
    uint32_t mask = b.length == 0 ? 0 : ~uint32_t{0} << (32 - b.length);
    if ((a & mask) == b.network) {
      return false;
    }
  }
  return true;
}

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t address_hash(const IpAddress& a) {
  return mix64(a.hi() * 0x9e3779b97f4a7c15ULL ^ mix64(a.lo() + static_cast<uint64_t>(a.family())));
}

// Sum of the address's 16-bit words, for the pseudo-header.
uint32_t address_sum(const IpAddress& a) {
  uint32_t sum = 0;
  if (a.is_v4()) {
    return (a.v4_bits() >> 16) + (a.v4_bits() & 0xffff);
  }
  for (uint64_t word : {a.hi(), a.lo()}) {
    for (int shift = 0; shift < 64; shift += 16) {
      sum += static_cast<uint32_t>((word >> shift) & 0xffff);
    }
  }
  return sum;
}

uint16_t fold(uint64_t sum) {
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum & 0xffff);
}

void put16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
void put_address(uint8_t* p, const IpAddress& a) {
  if (a.is_v4()) {
    put32(p, a.v4_bits());
    return;
  }
  put32(p, static_cast<uint32_t>(a.hi() >> 32));
  put32(p + 4, static_cast<uint32_t>(a.hi()));
  put32(p + 8, static_cast<uint32_t>(a.lo() >> 32));
  put32(p + 12, static_cast<uint32_t>(a.lo()));
}
// Sum of the 16-bit big-endian words of `n` bytes (an odd last byte padded with zero).
uint32_t sum_words(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) {
    sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  }
  if (n % 2 == 1) {
    sum += static_cast<uint32_t>(p[n - 1]) << 8;
  }
  return sum;
}

// An HTTP/1.1 GET naming `host` (RFC 9112 3.2): what a client's first packet to port 80
// carries. Returns the length written (host names are at most 253 bytes: under 300).
uint32_t write_http_request(uint8_t* m, std::string_view host) {
  std::string text = "GET / HTTP/1.1\r\nHost: ";
  text.append(host);
  text += "\r\nUser-Agent: egress-sim\r\nAccept: */*\r\n\r\n";
  std::memcpy(m, text.data(), text.size());
  return static_cast<uint32_t>(text.size());
}

// A TLS 1.3 ClientHello (RFC 8446 4.1.2) in one record, with server_name (RFC 6066 3) and
// supported_versions, its random drawn from `seed`: what a client's first packet of TLS
// carries, and all Azure Firewall reads of it. Returns the length written (under 350).
uint32_t write_client_hello(uint8_t* m, std::string_view host, uint64_t seed) {
  const auto name = static_cast<uint32_t>(host.size());
  const uint32_t server_name = 2 + 1 + 2 + name;  // list length, type, name length, name
  const uint32_t extensions = (4 + server_name) + (4 + 3);
  const uint32_t body = 2 + 32 + 1 + (2 + 6) + 2 + 2 + extensions;
  uint8_t* q = m;
  auto byte = [&](uint32_t v) { *q++ = static_cast<uint8_t>(v); };
  auto u16 = [&](uint32_t v) {
    byte(v >> 8);
    byte(v);
  };
  byte(22);  // handshake record
  u16(0x0301);
  u16(4 + body);
  byte(1);  // ClientHello
  byte(body >> 16);
  u16(body);
  u16(0x0303);  // legacy_version
  for (int i = 0; i < 4; ++i) {
    uint64_t r = mix64(seed + static_cast<uint64_t>(i));
    for (int b = 0; b < 8; ++b) {
      byte(static_cast<uint32_t>(r >> (8 * b)));
    }
  }
  byte(0);  // no legacy session id
  u16(6);   // TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, ECDHE-RSA-AES128-GCM-SHA256
  u16(0x1301);
  u16(0x1302);
  u16(0xc02f);
  byte(1);  // compression: null
  byte(0);
  u16(extensions);
  u16(0);  // server_name
  u16(server_name);
  u16(server_name - 2);
  byte(0);  // host_name
  u16(name);
  std::memcpy(q, host.data(), name);
  q += name;
  u16(43);  // supported_versions: TLS 1.3
  u16(3);
  byte(2);
  u16(0x0304);
  return static_cast<uint32_t>(q - m);
}

// A DNS query for A of n<flow number in hex>.example, or its answer (RFC 1035): 35 and 51
// bytes. Returns the length written.
uint32_t write_dns_message(uint8_t* m, uint16_t id, uint32_t flow, bool query, uint32_t answer) {
  constexpr char kHex[] = "0123456789abcdef";
  put16(m, id);
  put16(m + 2, query ? 0x0100 : 0x8180);  // RD; or QR, RD, RA, no error
  put16(m + 4, 1);
  put16(m + 6, query ? 0 : 1);
  put16(m + 8, 0);
  put16(m + 10, 0);
  uint8_t* q = m + 12;
  q[0] = 9;
  q[1] = 'n';
  for (int i = 0; i < 8; ++i) {
    q[2 + i] = static_cast<uint8_t>(kHex[(flow >> (28 - 4 * i)) & 0xf]);
  }
  q[10] = 7;
  std::memcpy(q + 11, "example", 7);
  q[18] = 0;
  put16(q + 19, 1);  // type A
  put16(q + 21, 1);  // class IN
  if (query) {
    return 35;
  }
  uint8_t* a = q + 23;
  put16(a, 0xc00c);  // the name: a pointer to the question's
  put16(a + 2, 1);
  put16(a + 4, 1);
  put32(a + 6, 300);  // TTL
  put16(a + 10, 4);
  put32(a + 12, answer);
  return 51;
}

// Consecutive source addresses: one node or host (count 1), or one node's pods.
struct AddressBlock {
  IpAddress first;
  uint32_t count = 1;
};

// The blocks of one source entry that share an address family, drawn from uniformly.
struct SourceGroup {
  std::vector<AddressBlock> blocks;
  double weight = 1;
};

struct FamilySources {
  std::vector<SourceGroup> groups;
  WeightedTable table;
};

struct Destination {
  std::vector<Prefix> prefixes;  // one, or a service tag's of one family
  WeightedTable prefix_table;    // by addresses, when there are several
  std::vector<PortRange> ports;
  std::vector<uint32_t> port_cumulative;  // ports in ranges [0..i]
  std::vector<std::string> hosts;
  std::optional<Protocol> protocol;
};

// Live 5-tuples, as 64-bit fingerprints in an open-addressed set (linear probing, backward
// shift deletion), so a flow start or end allocates nothing once the table has grown. Two
// tuples with one fingerprint only make the generator pick another port.
class TupleSet {
 public:
  TupleSet() : slots_(64, 0) {}

  bool contains(uint64_t key) const {
    key = key == 0 ? 1 : key;
    for (size_t i = index(key);; i = (i + 1) & mask()) {
      if (slots_[i] == key) {
        return true;
      }
      if (slots_[i] == 0) {
        return false;
      }
    }
  }
  void insert(uint64_t key) {
    key = key == 0 ? 1 : key;
    if ((size_ + 1) * 2 > slots_.size()) {
      grow();
    }
    size_t i = index(key);
    while (slots_[i] != 0) {
      i = (i + 1) & mask();
    }
    slots_[i] = key;
    ++size_;
  }
  void erase(uint64_t key) {
    key = key == 0 ? 1 : key;
    size_t i = index(key);
    while (slots_[i] != key) {
      if (slots_[i] == 0) {
        return;
      }
      i = (i + 1) & mask();
    }
    // Shift later entries of the probe run back so that no lookup stops early at the hole.
    size_t hole = i;
    for (size_t j = (hole + 1) & mask(); slots_[j] != 0; j = (j + 1) & mask()) {
      size_t home = index(slots_[j]);
      bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = 0;
    --size_;
  }

 private:
  size_t mask() const { return slots_.size() - 1; }
  size_t index(uint64_t key) const { return static_cast<size_t>(mix64(key)) & mask(); }
  void grow() {
    std::vector<uint64_t> old(slots_.size() * 2, 0);
    old.swap(slots_);
    size_ = 0;
    for (uint64_t key : old) {
      if (key != 0) {
        insert(key);
      }
    }
  }
  std::vector<uint64_t> slots_;
  size_t size_ = 0;
};

enum class Side : uint8_t { kClient, kServer };

// What a flow sends at a step.
struct Step {
  Side from = Side::kClient;
  uint8_t tcp_flags = 0;
  bool data = false;
};

struct Flow {
  uint64_t number = 0;  // 1-based, in arrival order
  uint64_t tuple_key = 0;
  IpAddress client;
  IpAddress server;
  uint32_t pseudo_sum = 0;  // both addresses' words: the same in both directions
  uint16_t sport = 0;       // ICMP: the echo identifier
  uint16_t dport = 0;
  Protocol protocol = Protocol::kTcp;
  bool dns = false;  // UDP to port 53: DNS queries and answers, so dissectors accept them
  const std::string* host = nullptr;  // TCP: the name its first data packet carries
  uint8_t client_mac[6] = {};
  uint32_t client_seq = 0;  // TCP: next sequence number each side sends
  uint32_t server_seq = 0;
  uint16_t client_ip_id = 0;
  uint16_t server_ip_id = 0;
  uint16_t echo_seq = 0;  // requests sent (UDP, ICMP)
  uint32_t step = 0;
  uint32_t data_steps = 0;
  uint32_t total_steps = 0;
  bool rst = false;
  int64_t gap_ns = 0;  // before each client packet
  int64_t rtt_ns = 0;  // before each server packet
  uint32_t payload_low = 1;
  uint32_t payload_high = 1;
};

struct HeapEntry {
  int64_t time_ns;
  uint64_t number;
  uint32_t slot;
};
// std::push_heap builds a max-heap; this makes the earliest (then lowest-numbered) the top.
struct Later {
  bool operator()(const HeapEntry& a, const HeapEntry& b) const {
    return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.number > b.number;
  }
};

Error spec_error(std::string message) {
  return Error{"synth-spec", std::move(message), {}};
}

bool finite_in(double v, double low, double high) {
  return v >= low && v <= high;  // false for NaN
}

class SynthPacketSource final : public PacketSource {
 public:
  SynthPacketSource(const SynthSpec& spec, std::array<FamilySources, 2> sources,
                    std::vector<Destination> destinations, WeightedTable destination_table,
                    std::vector<uint32_t> popular, int64_t quiet_ns)
      : spec_(spec),
        quiet_ns_(quiet_ns),
        rng_(spec.seed),
        sources_(std::move(sources)),
        destinations_(std::move(destinations)),
        destination_table_(std::move(destination_table)),
        popular_(std::move(popular)) {
    const double shares[] = {spec.protocols.tcp, spec.protocols.udp, spec.protocols.icmp};
    protocol_table_ = WeightedTable(shares);
    if (!popular_.empty()) {
      std::vector<double> weights(popular_.size());
      for (size_t i = 0; i < weights.size(); ++i) {
        weights[i] = internal::det_pow(static_cast<double>(i + 1), -spec.zipf);
      }
      popular_table_ = WeightedTable(weights);
    }
    heap_.reserve(1024);
    flows_.reserve(1024);
    if (spec_.flows > 0) {
      next_arrival_ns_ = spec_.start_ns;
    }
  }

  Result<bool> next(RawPacket& out) override {
    for (;;) {
      bool arrivals_left = started_ < spec_.flows;
      if (arrivals_left && (heap_.empty() || next_arrival_ns_ < heap_.front().time_ns)) {
        if (auto error = start_flow()) {
          return *error;
        }
        continue;
      }
      if (heap_.empty()) {
        return false;
      }
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      HeapEntry entry = heap_.back();
      heap_.pop_back();
      Flow& flow = flows_[entry.slot];
      size_t length = build(flow);
      out.ts_ns = entry.time_ns;
      out.link_type = kLinkEthernet;
      out.orig_len = static_cast<uint32_t>(length);
      out.data = std::span<const uint8_t>(current_, length);
      out.input = 0;
      out.number = ++packets_;
      out.offset = 0;
      ++flow.step;
      if (flow.step < flow.total_steps) {
        Step s = step_of(flow, flow.step);
        entry.time_ns += s.from == Side::kServer ? flow.rtt_ns : flow.gap_ns;
        heap_.push_back(entry);
        std::push_heap(heap_.begin(), heap_.end(), Later{});
      } else {
        if (flow.protocol == Protocol::kTcp) {
          // Replay starts a new flow at a SYN on the ports of a closed one.
          live_.erase(flow.tuple_key);
        } else {
          // Replay joins a UDP or ICMP tuple seen again within its idle timeout to the old
          // flow: the tuple stays taken until then. Flows end in time order, so a queue
          // keeps the releases sorted.
          quiet_.emplace_back(entry.time_ns + quiet_ns_, flow.tuple_key);
        }
        free_slots_.push_back(entry.slot);
      }
      if (!heap_.empty()) {
        // The next packet's flow, most likely: with 100k flows open, their state is out of
        // cache, and the miss was a quarter of the generator's time (bench/README.md, "Third
        // round"). The caller decodes and tracks this packet meanwhile.
        const auto* next = reinterpret_cast<const char*>(&flows_[heap_.front().slot]);
        for (size_t line = 0; line < sizeof(Flow); line += 64) {
          prefetch(next + line);
        }
      }
      return true;
    }
  }

  const std::vector<Diagnostic>& warnings() const override { return warnings_; }
  SourcePosition position() const override { return SourcePosition{started_, spec_.flows}; }

 private:
  // One frame buffer per family and payload kind (TCP, UDP, ICMP, DNS), so that the zero
  // payloads never need clearing after a DNS message was written.
  static size_t frame_index(bool v6, Protocol p, bool dns) {
    return (v6 ? 4 : 0) + (dns ? 3 : static_cast<size_t>(p));
  }
  // The buffer of a first data packet that names a host, apart for the same reason.
  static size_t named_frame_index(bool v6) { return v6 ? 9 : 8; }
  static size_t transport_header(Protocol p) { return p == Protocol::kTcp ? 20 : 8; }
  static size_t payload_offset(bool v6, Protocol p) {
    return kEthernetHeader + (v6 ? 40 : 20) + transport_header(p);
  }

  // The step sequence: TCP is SYN, SYN-ACK, ACK, data alternating from the client, then
  // FIN-ACK, FIN-ACK, ACK or one RST-ACK; UDP and ICMP alternate request and response.
  static Step step_of(const Flow& f, uint32_t i) {
    if (f.protocol != Protocol::kTcp) {
      return Step{i % 2 == 0 ? Side::kClient : Side::kServer, 0, true};
    }
    if (i == 0) {
      return Step{Side::kClient, kTcpSyn, false};
    }
    if (i == 1) {
      return Step{Side::kServer, kTcpSyn | kTcpAck, false};
    }
    if (i == 2) {
      return Step{Side::kClient, kTcpAck, false};
    }
    uint32_t d = i - 3;
    if (d < f.data_steps) {
      return Step{d % 2 == 0 ? Side::kClient : Side::kServer, kTcpPsh | kTcpAck, true};
    }
    uint32_t c = d - f.data_steps;
    if (f.rst) {
      return Step{Side::kClient, kTcpRst | kTcpAck, false};
    }
    if (c == 0) {
      return Step{Side::kClient, kTcpFin | kTcpAck, false};
    }
    if (c == 1) {
      return Step{Side::kServer, kTcpFin | kTcpAck, false};
    }
    return Step{Side::kClient, kTcpAck, false};
  }

  uint32_t draw_count(double mean) {
    // Exponential rounded to the nearest integer: mean close to `mean`, a long tail.
    double v = rng_.exponential(mean) + 0.5;
    return v >= 1e6 ? 1'000'000U : static_cast<uint32_t>(v);
  }

  IpAddress draw_in(const Prefix& p) {
    if (p.address.is_v4()) {
      uint32_t host_mask = p.length == 0 ? ~uint32_t{0} : (uint32_t{1} << (32 - p.length)) - 1;
      if (p.length == 32) {
        host_mask = 0;
      }
      auto r = static_cast<uint32_t>(rng_.next() >> 32);
      return IpAddress::v4(p.address.v4_bits() | (r & host_mask));
    }
    uint64_t hi_mask =
        p.length >= 64 ? 0 : (p.length == 0 ? ~uint64_t{0} : ~uint64_t{0} >> p.length);
    uint64_t lo_mask = p.length >= 128  ? 0
                       : p.length <= 64 ? ~uint64_t{0}
                                        : ~uint64_t{0} >> (p.length - 64);
    uint64_t hi = rng_.next();
    uint64_t lo = rng_.next();
    return IpAddress::v6(p.address.hi() | (hi & hi_mask), p.address.lo() | (lo & lo_mask));
  }

  uint32_t draw_public_v4() {
    for (;;) {
      auto a = static_cast<uint32_t>(rng_.next() >> 32);
      if (is_public_v4(a)) {
        return a;
      }
    }
  }

  IpAddress draw_source(Family family) {
    FamilySources& fs = sources_[family == Family::kV4 ? 0 : 1];
    const SourceGroup& g = fs.groups[fs.table.draw(rng_)];
    const AddressBlock& b = g.blocks[rng_.below(g.blocks.size())];
    if (b.count == 1) {
      return b.first;
    }
    return *b.first.offset(rng_.below(b.count));
  }

  uint64_t tuple_key(const Flow& f) const {
    uint64_t h = address_hash(f.client) ^ mix64(address_hash(f.server) + 0x632be59bd9b4e019ULL);
    return mix64(
        h ^ (uint64_t{f.sport} << 32 | uint64_t{f.dport} << 8 | static_cast<uint64_t>(f.protocol)));
  }

  // Starts the next flow, or returns the error that stops generation.
  std::optional<Error> start_flow() {
    while (!quiet_.empty() && quiet_.front().first <= next_arrival_ns_) {
      live_.erase(quiet_.front().second);
      quiet_.pop_front();
    }
    uint32_t slot = 0;
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slot = static_cast<uint32_t>(flows_.size());
      flows_.emplace_back();
    }
    Flow& f = flows_[slot];
    f = Flow{};
    f.number = ++started_;
    f.protocol = static_cast<Protocol>(protocol_table_.draw(rng_));

    const Destination* destination = nullptr;
    if (!destinations_.empty()) {
      destination = &destinations_[destination_table_.draw(rng_)];
      // A single prefix draws nothing to pick it, so mixes without service tags keep their bytes.
      const std::vector<Prefix>& ps = destination->prefixes;
      f.server = draw_in(ps.size() == 1 ? ps[0] : ps[destination->prefix_table.draw(rng_)]);
      if (destination->protocol) {
        f.protocol = *destination->protocol;
      }
    } else if (!popular_.empty()) {
      f.server = IpAddress::v4(popular_[popular_table_.draw(rng_)]);
    } else {
      f.server = IpAddress::v4(draw_public_v4());
    }
    if (f.protocol != Protocol::kIcmp) {
      if (destination != nullptr && !destination->ports.empty()) {
        auto k = static_cast<uint32_t>(rng_.below(destination->port_cumulative.back()));
        size_t r = static_cast<size_t>(std::upper_bound(destination->port_cumulative.begin(),
                                                        destination->port_cumulative.end(), k) -
                                       destination->port_cumulative.begin());
        uint32_t before = r == 0 ? 0 : destination->port_cumulative[r - 1];
        f.dport = static_cast<uint16_t>(destination->ports[r].first + (k - before));
      } else {
        f.dport = f.protocol == Protocol::kTcp ? spec_.tcp_port : spec_.udp_port;
      }
    }
    f.dns = f.protocol == Protocol::kUdp && f.dport == 53;
    // Only destinations with host names draw one, so mixes without them keep their bytes.
    if (f.protocol == Protocol::kTcp && destination != nullptr && !destination->hosts.empty()) {
      f.host = &destination->hosts[rng_.below(destination->hosts.size())];
    }
    f.client = draw_source(f.server.family());
    f.pseudo_sum = address_sum(f.client) + address_sum(f.server);
    uint64_t mac = address_hash(f.client);
    std::memcpy(f.client_mac, kAzureOui, 3);
    for (int i = 0; i < 3; ++i) {
      f.client_mac[3 + i] = static_cast<uint8_t>(mac >> (8 * i));
    }

    if (f.protocol == Protocol::kIcmp) {
      // The identifier is the flow number, moved on only while that echo tuple is taken.
      f.sport = static_cast<uint16_t>(f.number);
      for (uint32_t tries = 0;; ++tries) {
        f.tuple_key = tuple_key(f);
        if (!live_.contains(f.tuple_key)) {
          break;
        }
        if (tries == 0xffff) {
          return spec_error("no free ICMP echo identifier from " + f.client.to_string() + " to " +
                            f.server.to_string());
        }
        ++f.sport;
      }
    } else {
      bool found = false;
      for (int tries = 0; tries < 32 && !found; ++tries) {
        f.sport = static_cast<uint16_t>(kEphemeralFirst + rng_.below(kEphemeralCount));
        f.tuple_key = tuple_key(f);
        found = !live_.contains(f.tuple_key);
      }
      if (!found) {
        // Many flows between the same pair: scan from a random port instead.
        auto start = static_cast<uint32_t>(rng_.below(kEphemeralCount));
        for (uint32_t k = 0; k < kEphemeralCount && !found; ++k) {
          f.sport = static_cast<uint16_t>(kEphemeralFirst + (start + k) % kEphemeralCount);
          f.tuple_key = tuple_key(f);
          found = !live_.contains(f.tuple_key);
        }
      }
      if (!found) {
        return spec_error("no free source port from " + f.client.to_string() + " to " +
                          f.server.to_string() + " port " + std::to_string(f.dport) + ": all " +
                          std::to_string(kEphemeralCount) + " ephemeral ports are in use" +
                          (f.protocol == Protocol::kUdp
                               ? " or waiting out replay's idle timeout of " +
                                     std::to_string(quiet_ns_ / 1'000'000'000) + " s"
                               : std::string()) +
                          "; lower the rate or add sources or destinations");
      }
    }
    live_.insert(f.tuple_key);

    f.client_seq = static_cast<uint32_t>(rng_.next());
    f.server_seq = static_cast<uint32_t>(rng_.next() >> 32);
    uint64_t ids = rng_.next();
    f.client_ip_id = static_cast<uint16_t>(ids);
    f.server_ip_id = static_cast<uint16_t>(ids >> 16);
    uint32_t exchanges = 0;  // steps the server answers
    if (f.protocol == Protocol::kTcp) {
      // Handshake (3) and close (3, or 1 for a reset) are fixed; the rest carries data.
      f.rst = rng_.uniform() < spec_.rst_share;
      f.data_steps = draw_count(std::max(0.0, spec_.mean_packets - 6));
      if (f.host != nullptr && f.data_steps == 0) {
        f.data_steps = 1;  // a client that names a host sends its ClientHello or request
      }
      f.total_steps = 3 + f.data_steps + (f.rst ? 1 : 3);
      exchanges = 1 + f.data_steps / 2 + (f.rst ? 0 : 1);
    } else {
      uint32_t pairs = 1 + draw_count(std::max(0.0, spec_.mean_packets / 2 - 1));
      f.total_steps = 2 * pairs;
      exchanges = pairs;
    }
    f.rtt_ns = 1'000'000 + static_cast<int64_t>(rng_.below(39'000'000));
    auto duration_ns = static_cast<int64_t>(rng_.exponential(spec_.mean_duration_s) * 1e9);
    uint32_t client_gaps = f.total_steps - 1 - exchanges;
    int64_t spare = duration_ns - f.rtt_ns * exchanges;
    f.gap_ns = client_gaps == 0 ? kMinGapNs : std::clamp(spare / client_gaps, kMinGapNs, kMaxGapNs);
    if (f.protocol == Protocol::kIcmp) {
      f.payload_low = f.payload_high = kIcmpPayload;
    } else {
      uint32_t mean = spec_.mean_payload_bytes;
      f.payload_low = 2 * mean > kMaxPayload ? 2 * mean - kMaxPayload : 1;
      f.payload_high = std::min(kMaxPayload, 2 * mean - 1);
    }

    heap_.push_back(HeapEntry{next_arrival_ns_, f.number, slot});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
    double gap = rng_.exponential(1.0 / spec_.flows_per_second) * 1e9;
    if (static_cast<double>(next_arrival_ns_) + gap > kLastArrivalNs && started_ < spec_.flows) {
      return spec_error("flow " + std::to_string(started_ + 1) +
                        " would start after the year 2115; raise the rate or lower the flows");
    }
    next_arrival_ns_ += static_cast<int64_t>(gap);
    return std::nullopt;
  }

  static uint32_t write_dns(uint8_t* message, Flow& f, bool query) {
    auto id = static_cast<uint16_t>(f.tuple_key + f.echo_seq);
    // Answers are addresses in 20.0.0.0/8, one per flow.
    uint32_t answer = 0x14000000U | static_cast<uint32_t>(f.tuple_key >> 40);
    return write_dns_message(message, id, static_cast<uint32_t>(f.number), query, answer);
  }

  // Writes the flow's current step into its frame buffer; returns the frame length.
  size_t build(Flow& f) {
    const Step s = step_of(f, f.step);
    const bool v6 = !f.client.is_v4();
    const bool from_client = s.from == Side::kClient;
    // The client's first data packet (step 3, after the handshake) names the flow's host.
    const bool names_host = f.host != nullptr && f.step == 3 && s.data && from_client;
    uint8_t* p =
        frames_[names_host ? named_frame_index(v6) : frame_index(v6, f.protocol, f.dns)].data();
    current_ = p;

    if (from_client && f.protocol != Protocol::kTcp) {
      ++f.echo_seq;  // one per request: the ICMP sequence number, part of the DNS id
    }
    uint32_t payload = 0;
    uint32_t payload_sum = 0;
    if (f.dns) {
      uint8_t* message = p + payload_offset(v6, Protocol::kUdp);
      payload = write_dns(message, f, from_client);
      payload_sum = sum_words(message, payload);
    } else if (names_host) {
      uint8_t* message = p + payload_offset(v6, Protocol::kTcp);
      payload = f.dport == 80 ? write_http_request(message, *f.host)
                              : write_client_hello(message, *f.host, f.tuple_key);
      payload_sum = sum_words(message, payload);
    } else if (s.data) {
      payload = f.payload_low == f.payload_high
                    ? f.payload_low
                    : f.payload_low +
                          static_cast<uint32_t>(rng_.below(f.payload_high - f.payload_low + 1));
    }
    const size_t l4_header = transport_header(f.protocol);
    const auto l4_length = static_cast<uint32_t>(l4_header + payload);

    // Ethernet: the node's NIC on one side, Azure's gateway on the other.
    std::memcpy(p, from_client ? kGatewayMac : f.client_mac, 6);
    std::memcpy(p + 6, from_client ? f.client_mac : kGatewayMac, 6);
    put16(p + 12, v6 ? 0x86dd : 0x0800);
    uint8_t* ip = p + kEthernetHeader;
    const IpAddress& src = from_client ? f.client : f.server;
    const IpAddress& dst = from_client ? f.server : f.client;
    uint8_t proto_number = f.protocol == Protocol::kTcp   ? 6
                           : f.protocol == Protocol::kUdp ? 17
                           : v6                           ? 58
                                                          : 1;
    uint8_t ttl = from_client ? 64 : 52;
    size_t ip_header = 0;
    if (!v6) {
      ip_header = 20;
      uint16_t& id = from_client ? f.client_ip_id : f.server_ip_id;
      ++id;
      const uint32_t total = 20 + l4_length;
      const uint32_t flags = f.protocol == Protocol::kTcp ? 0x4000 : 0;  // DF, as Linux sets
      ip[0] = 0x45;
      ip[1] = 0;
      put16(ip + 2, total);
      put16(ip + 4, id);
      put16(ip + 6, flags);
      ip[8] = ttl;
      ip[9] = proto_number;
      put16(ip + 10, 0);
      put_address(ip + 12, src);
      put_address(ip + 16, dst);
      uint32_t sum =
          0x4500 + total + id + flags + (uint32_t{ttl} << 8 | proto_number) + f.pseudo_sum;
      put16(ip + 10, fold(sum));
    } else {
      ip_header = 40;
      // The flow label stays the same for the flow (per direction), as Linux keeps it.
      uint32_t label = static_cast<uint32_t>(f.tuple_key >> (from_client ? 8 : 36)) & 0xfffff;
      put32(ip, 0x60000000U | label);
      put16(ip + 4, l4_length);
      ip[6] = proto_number;
      ip[7] = ttl;
      put_address(ip + 8, src);
      put_address(ip + 24, dst);
    }
    uint8_t* l4 = ip + ip_header;
    // Pseudo-header: both addresses, protocol, transport length (the same sum for v4 and v6).
    uint32_t sum = f.pseudo_sum + proto_number + l4_length + payload_sum;
    if (f.protocol == Protocol::kTcp) {
      uint32_t& own = from_client ? f.client_seq : f.server_seq;
      uint32_t& other = from_client ? f.server_seq : f.client_seq;
      put16(l4, from_client ? f.sport : f.dport);
      put16(l4 + 2, from_client ? f.dport : f.sport);
      put32(l4 + 4, own);
      bool ack = (s.tcp_flags & kTcpAck) != 0;
      put32(l4 + 8, ack ? other : 0);
      l4[12] = 5 << 4;
      l4[13] = s.tcp_flags;
      put16(l4 + 14, from_client ? 64240 : 65160);
      put16(l4 + 16, 0);
      put16(l4 + 18, 0);
      // SYN and FIN take one sequence number, data its length.
      own += payload + ((s.tcp_flags & (kTcpSyn | kTcpFin)) != 0 ? 1 : 0);
      put16(l4 + 16, fold(sum + sum_words(l4, 20)));
    } else if (f.protocol == Protocol::kUdp) {
      put16(l4, from_client ? f.sport : f.dport);
      put16(l4 + 2, from_client ? f.dport : f.sport);
      put16(l4 + 4, l4_length);
      put16(l4 + 6, 0);
      uint16_t c = fold(sum + sum_words(l4, 8));
      put16(l4 + 6, c == 0 ? 0xffff : c);  // 0 would mean "no checksum"
    } else {
      uint8_t type = v6 ? (from_client ? 128 : 129) : (from_client ? 8 : 0);
      l4[0] = type;
      l4[1] = 0;
      put16(l4 + 2, 0);
      put16(l4 + 4, f.sport);
      put16(l4 + 6, f.echo_seq);
      // ICMPv4 has no pseudo-header; ICMPv6 does.
      uint32_t icmp_sum = sum_words(l4, 8);
      if (v6) {
        icmp_sum += f.pseudo_sum + proto_number + l4_length;
      }
      put16(l4 + 2, fold(icmp_sum));
    }
    return kEthernetHeader + ip_header + l4_length;
  }

  SynthSpec spec_;
  int64_t quiet_ns_;  // how long a UDP or ICMP tuple stays taken after its flow's last packet
  Rng rng_;
  std::array<FamilySources, 2> sources_;  // IPv4, IPv6
  std::vector<Destination> destinations_;
  WeightedTable destination_table_;
  std::vector<uint32_t> popular_;  // with zipf and no destinations: public endpoints by rank
  WeightedTable popular_table_;
  WeightedTable protocol_table_;

  std::array<std::array<uint8_t, kMaxFrame>, 10> frames_{};  // see frame_index
  const uint8_t* current_ = nullptr;

  std::vector<Flow> flows_;  // slots; free ones listed in free_slots_
  std::vector<uint32_t> free_slots_;
  std::vector<HeapEntry> heap_;
  TupleSet live_;  // tuples of live flows, and of UDP and ICMP flows still in quiet_
  std::deque<std::pair<int64_t, uint64_t>> quiet_;  // (free again at, tuple), in time order
  uint64_t started_ = 0;
  uint64_t packets_ = 0;
  int64_t next_arrival_ns_ = 0;
  std::vector<Diagnostic> warnings_;
};

std::string names_of_pools(const Cluster& c) {
  std::string out;
  for (const NodePool& p : c.node_pools) {
    out += (out.empty() ? "" : ", ") + p.name;
  }
  return out;
}

// The address blocks one source entry stands for, or why it has none.
Result<std::vector<AddressBlock>> resolve_source(const Topology& t, const SourceIndex& index,
                                                 const SynthSource& s) {
  std::vector<AddressBlock> blocks;
  if (s.kind == SynthSource::Kind::kHost) {
    for (const Host& h : t.hosts) {
      if (s.name.empty() || h.name == s.name) {
        blocks.push_back(AddressBlock{h.address, 1});
      }
    }
    if (blocks.empty()) {
      return spec_error(s.name.empty() ? std::string("source host: the topology has no hosts")
                                       : "source host:" + s.name +
                                             ": the topology has no host named '" + s.name + "'");
    }
    return blocks;
  }
  const char* kind = s.kind == SynthSource::Kind::kPods ? "pods" : "nodePool";
  std::string label = std::string("source ") + kind + (s.name.empty() ? "" : ":" + s.name);
  if (!t.cluster) {
    return spec_error(label + ": the topology has no cluster");
  }
  const Cluster& c = *t.cluster;
  Index pool = kNoIndex;
  if (!s.name.empty()) {
    for (Index p = 0; p < c.node_pools.size(); ++p) {
      if (c.node_pools[p].name == s.name) {
        pool = p;
      }
    }
    if (pool == kNoIndex) {
      return spec_error(label + ": cluster '" + c.name + "' has no node pool named '" + s.name +
                        "'; its pools: " + names_of_pools(c));
    }
  }
  const std::vector<NodeInfo>& nodes = index.nodes();
  bool any_node = false;
  for (Index n = 0; n < nodes.size(); ++n) {
    if (pool != kNoIndex && nodes[n].pool != pool) {
      continue;
    }
    any_node = true;
    if (s.kind == SynthSource::Kind::kNodePool) {
      blocks.push_back(AddressBlock{nodes[n].address, 1});
      continue;
    }
    // Pods where engine/sources.cc expects them: after the node's own IP (Azure CNI), or in
    // the node's /24 of podCidr (kubenet, overlay), from .2 as kubenet's bridge takes .1.
    std::optional<IpAddress> first;
    uint32_t count = 0;
    if (c.network_plugin == NetworkPlugin::kAzure) {
      first = nodes[n].address.offset(1);
      count = c.max_pods;
    } else if (c.pod_cidr && c.pod_cidr->address.is_v4() && c.pod_cidr->length <= 24 &&
               uint64_t{n} < c.pod_cidr->size() / 256) {
      first = c.pod_cidr->address.offset(uint64_t{256} * n + 2);
      count = std::min<uint32_t>(c.max_pods, 254);
    }
    if (!first || count == 0) {
      continue;
    }
    auto last = first->offset(count - 1);
    auto owner_first = index.find(*first);
    auto owner_last = last ? index.find(*last) : std::nullopt;
    auto is_own_pod = [&](const std::optional<egress::Sender>& o) {
      return o && o->kind == egress::Sender::Kind::kPod && o->index == n;
    };
    if (is_own_pod(owner_first) && is_own_pod(owner_last)) {
      blocks.push_back(AddressBlock{*first, count});
    }
  }
  if (!any_node) {
    return spec_error(label + ": " +
                      (pool == kNoIndex ? "cluster '" + c.name + "' has no nodes"
                                        : "node pool '" + s.name + "' has no nodes"));
  }
  if (blocks.empty()) {
    std::string why = c.network_plugin == NetworkPlugin::kAzure
                          ? "maxPods is 0 or the pod addresses overlap other addresses"
                          : "podCidr is missing, not IPv4 of /24 or shorter, or too small";
    return spec_error(label + ": no pod addresses the engine would recognise (" + why + ")");
  }
  return blocks;
}

std::string destination_label(const SynthDestination& d) {
  return d.service_tag.empty() ? "destination " + d.prefix.to_string()
                               : "destination serviceTag '" + d.service_tag + "'";
}

// The prefixes a destination's service tag draws from: its IPv4 ones when a source has IPv4
// (a flow's source has its destination's family), else its IPv6 ones.
Result<std::vector<Prefix>> service_tag_prefixes(const Topology& topology,
                                                 const SynthDestination& d, bool have_v4,
                                                 bool have_v6) {
  Index tag = topology.find_service_tag(d.service_tag);
  if (tag == kNoIndex) {
    return spec_error(destination_label(d) + ": the topology's serviceTags have no such tag");
  }
  std::vector<Prefix> out[2];
  for (const Prefix& p : topology.service_tags[tag].address_prefixes) {
    out[p.address.is_v4() ? 0 : 1].push_back(p);
  }
  if (have_v4 && !out[0].empty()) {
    return std::move(out[0]);
  }
  if (have_v6 && !out[1].empty()) {
    return std::move(out[1]);
  }
  return spec_error(destination_label(d) + ": the tag has no prefixes of the sources' family (" +
                    (have_v4 ? (have_v6 ? "IPv4 or IPv6" : "IPv4") : "IPv6") + ")");
}

std::optional<Error> check_spec(const SynthSpec& s) {
  if (s.start_ns < 0 || s.start_ns >= kLatestStartNs) {
    return spec_error("start must be from 1970 to 2199");
  }
  if (!finite_in(s.flows_per_second, 1e-9, 1e9)) {
    return spec_error("rate must be greater than 0 and at most 1e9 flows per second");
  }
  if (!finite_in(s.mean_duration_s, 0, 1e6)) {
    return spec_error("duration must be from 0 to 1e6 seconds");
  }
  if (!finite_in(s.mean_packets, 1, 1e6)) {
    return spec_error("packets must be from 1 to 1e6");
  }
  if (s.mean_payload_bytes < 1 || s.mean_payload_bytes > kMaxPayload) {
    return spec_error("payload must be from 1 to 1400 bytes");
  }
  if (!finite_in(s.rst_share, 0, 1)) {
    return spec_error("rstShare must be from 0 to 1");
  }
  if (!finite_in(s.zipf, 0, 100)) {
    return spec_error("zipf must be from 0 to 100");
  }
  const ProtocolMix& m = s.protocols;
  if (!finite_in(m.tcp, 0, 1e12) || !finite_in(m.udp, 0, 1e12) || !finite_in(m.icmp, 0, 1e12) ||
      m.tcp + m.udp + m.icmp <= 0) {
    return spec_error("protocol shares must be 0 or more and not all 0");
  }
  if (s.tcp_port == 0 || s.udp_port == 0) {
    return spec_error("default ports must be from 1 to 65535");
  }
  if (s.zipf > 0 && s.destinations.empty() &&
      (s.popular_endpoints == 0 || s.popular_endpoints > 1'000'000)) {
    return spec_error("popularEndpoints must be from 1 to 1000000");
  }
  for (const SynthSource& src : s.sources) {
    if (!finite_in(src.weight, 1e-300, 1e12)) {
      return spec_error("source weights must be greater than 0 and at most 1e12");
    }
  }
  for (const SynthDestination& d : s.destinations) {
    const std::string label = destination_label(d);
    if (!finite_in(d.weight, 1e-300, 1e12)) {
      return spec_error(label + ": weight must be greater than 0 and at most 1e12");
    }
    if (d.service_tag.empty() &&
        (d.prefix.length < 0 || d.prefix.length > d.prefix.address.width() ||
         d.prefix.address.masked(d.prefix.length) != d.prefix.address)) {
      return spec_error(label + ": not a valid prefix");
    }
    for (const PortRange& r : d.ports) {
      if (r.first == 0 || r.first > r.last) {
        return spec_error(label + ": ports must be 1..65535, ranges low-high");
      }
    }
    if (d.protocol == Protocol::kIcmp && !d.ports.empty()) {
      return spec_error(label + ": icmp has no ports");
    }
    if (d.protocol && d.protocol != Protocol::kTcp && !d.hosts.empty()) {
      return spec_error(label + ": host names need protocol tcp");
    }
  }
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<PacketSource>> make_synth_source(const Topology& topology,
                                                        const SynthSpec& spec) {
  if (auto error = check_spec(spec)) {
    return *error;
  }
  SourceIndex index(topology);
  std::vector<SynthSource> entries = spec.sources;
  if (entries.empty()) {
    if (index.nodes().empty()) {
      return spec_error(
          "no sources given and the topology has no cluster nodes; name some, e.g. host:NAME");
    }
    entries.push_back(SynthSource{SynthSource::Kind::kNodePool, "", 1});
  }
  std::array<FamilySources, 2> sources;
  for (const SynthSource& s : entries) {
    auto blocks = resolve_source(topology, index, s);
    if (!blocks) {
      return blocks.error();
    }
    std::array<SourceGroup, 2> split;
    for (const AddressBlock& b : *blocks) {
      SourceGroup& g = split[b.first.is_v4() ? 0 : 1];
      g.blocks.push_back(b);
    }
    for (size_t f = 0; f < 2; ++f) {
      if (!split[f].blocks.empty()) {
        split[f].weight = s.weight;
        sources[f].groups.push_back(std::move(split[f]));
      }
    }
  }
  for (FamilySources& fs : sources) {
    std::vector<double> weights;
    for (const SourceGroup& g : fs.groups) {
      weights.push_back(g.weight);
    }
    fs.table = WeightedTable(weights);
  }

  std::vector<Destination> destinations;
  std::vector<double> weights;
  for (size_t i = 0; i < spec.destinations.size(); ++i) {
    const SynthDestination& d = spec.destinations[i];
    Destination out;
    if (!d.service_tag.empty()) {
      auto prefixes =
          service_tag_prefixes(topology, d, !sources[0].groups.empty(), !sources[1].groups.empty());
      if (!prefixes) {
        return prefixes.error();
      }
      out.prefixes = std::move(*prefixes);
      std::vector<double> sizes;
      for (const Prefix& p : out.prefixes) {
        sizes.push_back(std::ldexp(1.0, p.address.width() - p.length));  // exact
      }
      out.prefix_table = WeightedTable(sizes);
    } else {
      if (sources[d.prefix.address.is_v4() ? 0 : 1].groups.empty()) {
        return spec_error("destination " + d.prefix.to_string() + " is " +
                          (d.prefix.address.is_v4() ? "IPv4" : "IPv6") + " but no source has an " +
                          (d.prefix.address.is_v4() ? "IPv4" : "IPv6") + " address");
      }
      out.prefixes.push_back(d.prefix);
    }
    out.ports = d.ports;
    out.hosts = d.hosts;
    out.protocol = d.protocol;
    uint32_t total = 0;
    for (const PortRange& r : d.ports) {
      total += uint32_t{r.last} - r.first + 1;
      out.port_cumulative.push_back(total);
    }
    destinations.push_back(std::move(out));
    double rank_weight =
        spec.zipf > 0 ? internal::det_pow(static_cast<double>(i + 1), -spec.zipf) : 1.0;
    weights.push_back(d.weight * rank_weight);
  }
  if (destinations.empty() && sources[0].groups.empty()) {
    return spec_error(
        "the default destinations are public IPv4 addresses but no source has an IPv4 address");
  }
  std::vector<uint32_t> popular;
  if (destinations.empty() && spec.zipf > 0) {
    // The K popular endpoints come from their own stream, so K does not shift the flows'.
    Rng pick(spec.seed ^ 0x7a697066ULL);
    popular.reserve(spec.popular_endpoints);
    while (popular.size() < spec.popular_endpoints) {
      auto a = static_cast<uint32_t>(pick.next() >> 32);
      if (is_public_v4(a)) {
        popular.push_back(a);
      }
    }
  }
  WeightedTable destination_table =
      weights.empty() ? WeightedTable() : WeightedTable(std::span<const double>(weights));
  // The longest idle timeout replay may give a UDP or ICMP flow of this topology: an LB
  // outbound rule's, up to 120 minutes (the NAT gateway's UDP timeout is fixed at 4).
  int64_t quiet_ns = kDefaultIdleNs;
  for (const LoadBalancer& lb : topology.load_balancers) {
    for (const OutboundRule& rule : lb.outbound_rules) {
      quiet_ns = std::max(quiet_ns, int64_t{rule.idle_timeout_minutes} * 60 * 1'000'000'000);
    }
  }
  return std::unique_ptr<PacketSource>(std::make_unique<SynthPacketSource>(
      spec, std::move(sources), std::move(destinations), std::move(destination_table),
      std::move(popular), quiet_ns));
}

}  // namespace egress
