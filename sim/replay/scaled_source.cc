#include "egress/replay/scaled_source.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <string>
#include <unordered_map>

#include "egress/capture/packet_decoder.h"
#include "egress/replay/packet_rewrite.h"
#include "engine/sources.h"
#include "replay_hash.h"

namespace egress {
namespace {

constexpr int64_t kNs = 1'000'000'000;
// Clone ports are tried first below the ephemeral ranges of Linux (32768-60999) and Windows
// (49152-65535), then in them, never below 1024.
constexpr uint32_t kLowFirst = 1024;
constexpr uint32_t kLowSpan = 32768 - kLowFirst;
constexpr uint32_t kHighFirst = 32768;
constexpr uint32_t kHighSpan = 65536 - kHighFirst;
constexpr uint16_t kFragmentIdStride = 0x9e37;
// How long a flow's clones are remembered after its last packet: longer than any idle
// timeout the replay can apply plus its TIME_WAIT linger and the longest cool-down, so the
// replay has ended a flow before its clones' tuples are given to others.
constexpr int64_t kForgetMarginNs = 125 * kNs;

FlowKey reversed(const FlowKey& k) {
  return FlowKey{k.proto, k.dst, k.dport, k.src, k.sport};
}

struct KeyHash {
  size_t operator()(const FlowKey& k) const noexcept {
    return mix_hash(
        k.src.hi() ^ mix64(k.src.lo() ^ uint64_t{k.sport} << 48) ^ static_cast<uint64_t>(k.proto),
        k.dst.hi() ^ mix64(k.dst.lo() ^ uint64_t{k.dport} << 48));
  }
};

// Times and address distances in 128 bits (a GCC and Clang extension, hence __extension__).
__extension__ using Int128 = __int128;
__extension__ using Uint128 = unsigned __int128;

Uint128 wide(const IpAddress& ip) {
  return static_cast<Uint128>(ip.hi()) << 64 | ip.lo();
}

// Floor of a / b for b > 0.
Int128 floor_div(Int128 a, Int128 b) {
  Int128 q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

int64_t forget_after_ns(const Topology& t) {
  int64_t idle_s = 240;
  for (const LoadBalancer& lb : t.load_balancers) {
    for (const OutboundRule& r : lb.outbound_rules) {
      idle_s = std::max<int64_t>(idle_s, int64_t{r.idle_timeout_minutes} * 60);
    }
  }
  for (const NatGateway& g : t.nat_gateways) {
    idle_s = std::max<int64_t>(idle_s, int64_t{g.idle_timeout_minutes} * 60);
  }
  return idle_s * kNs + kForgetMarginNs;
}

struct Clone {
  IpAddress ip;
  uint16_t port = 0;
};

// A flow of the input: its key from client to server, and its clones at
// clones[index * (K - 1) ...].
struct Entry {
  FlowKey key;
  int64_t last_ns = 0;
  bool used = false;
};

}  // namespace

Result<Speedup> parse_speedup(std::string_view text) {
  auto bad = [&] {
    return Diagnostic{"bad-speedup",
                      "--speedup: expected a positive number such as 10 or 2.5 (at most 9 "
                      "decimals, at most 1e9), got '" +
                          std::string(text) + "'",
                      {}};
  };
  uint64_t num = 0;
  uint64_t den = 1;
  int digits = 0;
  int decimals = -1;
  for (char c : text) {
    if (c == '.' && decimals < 0) {
      decimals = 0;
      continue;
    }
    if (c < '0' || c > '9' || ++digits > 18) {
      return bad();
    }
    num = num * 10 + static_cast<uint64_t>(c - '0');
    if (decimals >= 0) {
      if (++decimals > 9) {
        return bad();
      }
      den *= 10;
    }
  }
  if (digits == 0 || decimals == 0 || num == 0 || num / den > 1'000'000'000 ||
      (num / den == 1'000'000'000 && num % den != 0)) {
    return bad();
  }
  uint64_t g = std::gcd(num, den);
  return Speedup{num / g, den / g};
}

struct ScaledSource::Impl {
  Impl(PacketSource& in, const Topology& topology, ScaleOptions o)
      : inner(in), options(o), sources(topology), forget_ns(forget_after_ns(topology)) {}

  PacketSource& inner;
  ScaleOptions options;
  SourceIndex sources;
  int64_t forget_ns;
  PacketDecoder decoder;

  bool started = false;
  int64_t first_ns = 0;
  int64_t now = INT64_MIN;
  int64_t next_sweep = INT64_MIN;

  RawPacket original;
  DecodedPacket decoded;
  uint32_t pending = 0;     // clones of `original` still to give
  uint32_t next_clone = 1;  // j of the next one
  uint32_t entry = 0;       // the original's flow, when `cloneable`
  bool cloneable = false;
  bool forward = false;  // the original travels from client to server
  std::vector<uint8_t> buffer;

  std::vector<Entry> entries;
  std::vector<uint32_t> free_entries;
  std::vector<Clone> clones;
  std::unordered_map<FlowKey, uint32_t, KeyHash> real;    // client -> server key: entry
  std::unordered_map<FlowKey, uint32_t, KeyHash> cloned;  // a clone's key: its entry
  uint64_t collisions = 0;
  std::vector<Diagnostic> warnings;

  uint32_t copies() const { return options.scale - 1; }

  int64_t scaled_time(int64_t t) {
    if (!started) {
      started = true;
      first_ns = t;
    }
    if (options.speedup.identity()) {
      return t;
    }
    Int128 delta = static_cast<Int128>(t) - first_ns;
    Int128 scaled = floor_div(delta * options.speedup.den, options.speedup.num);
    return static_cast<int64_t>(first_ns + scaled);
  }

  FlowKey clone_key(const FlowKey& key, const Clone& c) const {
    if (key.proto == Protocol::kIcmp) {
      return FlowKey{key.proto, c.ip, c.port, key.dst, c.port};
    }
    return FlowKey{key.proto, c.ip, c.port, key.dst, key.dport};
  }

  bool taken(const FlowKey& k) const {
    FlowKey r = reversed(k);
    return real.contains(k) || real.contains(r) || cloned.contains(k) || cloned.contains(r);
  }

  IpAddress clone_address(const std::optional<SourceIndex::Span>& span, const IpAddress& client,
                          uint32_t j) const {
    if (!span || span->sender.kind != Sender::Kind::kPod || span->first == span->last) {
      return client;
    }
    Uint128 size = wide(span->last) - wide(span->first) + 1;
    Uint128 at = (wide(client) - wide(span->first) + j) % size;
    std::optional<IpAddress> a = span->first.offset(static_cast<uint64_t>(at));
    return a ? *a : client;
  }

  uint32_t create(const FlowKey& seen) {
    FlowKey key = seen;
    if (!sources.find(seen.src) && sources.find(seen.dst)) {
      key = reversed(seen);  // the first packet seen is a reply: the client is its destination
    }
    if (cloned.contains(key) || cloned.contains(reversed(key))) {
      ++collisions;
    }
    uint32_t index = 0;
    if (!free_entries.empty()) {
      index = free_entries.back();
      free_entries.pop_back();
    } else {
      index = static_cast<uint32_t>(entries.size());
      entries.emplace_back();
      clones.resize(clones.size() + copies());
    }
    entries[index] = Entry{key, now, true};
    real.emplace(key, index);

    std::optional<SourceIndex::Span> span = sources.find_span(key.src);
    uint64_t h0 = mix_hash(options.seed, KeyHash{}(key));
    for (uint32_t j = 1; j <= copies(); ++j) {
      Clone c{clone_address(span, key.src, j), 0};
      uint64_t h = mix64(h0 + j);
      for (uint32_t i = 0; i < kLowSpan + kHighSpan; ++i) {
        c.port = static_cast<uint16_t>(i < kLowSpan ? kLowFirst + (h + i) % kLowSpan
                                                    : kHighFirst + (h + i) % kHighSpan);
        if (!taken(clone_key(key, c))) {
          break;
        }
      }
      clones[size_t{index} * copies() + j - 1] = c;
      cloned.emplace(clone_key(key, c), index);
    }
    return index;
  }

  // Forgets flows idle for longer than forget_ns, so memory follows the live flows.
  void sweep() {
    if (now < next_sweep) {
      return;
    }
    next_sweep = now + forget_ns / 4;
    for (uint32_t i = 0; i < entries.size(); ++i) {
      Entry& e = entries[i];
      if (!e.used || e.last_ns + forget_ns >= now) {
        continue;
      }
      real.erase(e.key);
      for (uint32_t j = 0; j < copies(); ++j) {
        cloned.erase(clone_key(e.key, clones[size_t{i} * copies() + j]));
      }
      e.used = false;
      free_entries.push_back(i);
    }
  }

  void prepare() {
    decoded = decoder.decode(original);
    cloneable = decoded.kind == PacketKind::kIp;
    if (!cloneable) {
      return;
    }
    sweep();
    const FlowKey& k = decoded.key;
    auto it = real.find(k);
    if (it != real.end()) {
      entry = it->second;
    } else if (it = real.find(reversed(k)); it != real.end()) {
      entry = it->second;
    } else {
      entry = create(k);
    }
    forward = entries[entry].key == k;
    entries[entry].last_ns = now;
  }

  void rewrite_clone(uint32_t j) {
    buffer.assign(original.data.begin(), original.data.end());
    if (!cloneable) {
      return;
    }
    std::span<uint8_t> bytes(buffer);
    const Clone& c = clones[size_t{entry} * copies() + j - 1];
    const DecodedPacket& d = decoded;
    // An ICMP error's key is the packet it quotes: quoted from the client means the error
    // goes to the client.
    bool client_sends = d.icmp_error ? !forward : forward;
    if (client_sends) {
      rewrite_source(bytes, d, c.ip, c.port);
    } else {
      rewrite_destination(bytes, d, c.ip, c.port);
    }
    if (d.key.proto == Protocol::kIcmp && !d.icmp_error) {
      rewrite_echo_id(bytes, d, c.port);
    }
    if (d.fragment && d.ip_version == 4 && d.l3_offset + 6 <= bytes.size()) {
      uint16_t id = static_cast<uint16_t>(bytes[d.l3_offset + 4] << 8 | bytes[d.l3_offset + 5]);
      rewrite_ipv4_id(bytes, d, static_cast<uint16_t>(id + j * kFragmentIdStride));
    }
  }

  void finish() {
    warnings = inner.warnings();
    if (collisions != 0) {
      warnings.push_back(Diagnostic{
          "scale-collision",
          "--scale: " + std::to_string(collisions) + (collisions == 1 ? " flow" : " flows") +
              " of the capture started on the address and port a clone was using; each was "
              "replayed as one flow with that clone",
          {}});
    }
  }
};

ScaledSource::ScaledSource(PacketSource& inner, const Topology& topology, ScaleOptions options)
    : impl_(std::make_unique<Impl>(inner, topology, options)) {}

ScaledSource::~ScaledSource() = default;

Result<bool> ScaledSource::next(RawPacket& out) {
  Impl& m = *impl_;
  if (m.pending > 0) {
    uint32_t j = m.next_clone++;
    --m.pending;
    m.rewrite_clone(j);
    out = m.original;
    out.data = m.buffer;
    return true;
  }
  Result<bool> more = m.inner.next(m.original);
  if (!more.ok() || !*more) {
    m.finish();
    return more;
  }
  m.original.ts_ns = m.scaled_time(m.original.ts_ns);
  m.now = std::max(m.now, m.original.ts_ns);
  if (m.options.scale > 1) {
    m.prepare();
    m.pending = m.copies();
    m.next_clone = 1;
  }
  out = m.original;
  return true;
}

SourcePosition ScaledSource::position() const {
  return impl_->inner.position();
}

const std::vector<Diagnostic>& ScaledSource::warnings() const {
  if (impl_->warnings.empty()) {
    return impl_->inner.warnings();
  }
  return impl_->warnings;
}

size_t ScaledSource::live_flows() const {
  return impl_->real.size();
}

uint64_t ScaledSource::collisions() const {
  return impl_->collisions;
}

}  // namespace egress
