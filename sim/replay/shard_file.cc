// replay --shard and merge (egress/replay/shard.h): the shard filter, the shard file's writer
// and reader, and the merge, which runs the one EgressStage over every shard's events.
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "egress/replay/shard.h"
#include "flow_event_check.h"
#include "replay_hash.h"
#include "replay_stages.h"

namespace egress {
namespace {

constexpr char kMagic[8] = {'E', 'G', 'S', 'H', 'A', 'R', 'D', '\n'};
constexpr char kEndMagic[8] = {'E', 'G', 'S', 'H', 'A', 'R', 'D', '\x04'};
// 2: the header says whether the packets are there (--shard-no-packets).
constexpr uint32_t kVersion = 2;
constexpr uint32_t kNoSnatId = UINT32_MAX;
constexpr size_t kBufferBytes = size_t{1} << 20;
// The shard's stage events and the definitions they point to.
enum class Record : uint8_t { kSnat = 1, kCreated, kAcquire, kRelease, kPacket, kEnded, kEnd };

// What a reader of another build must agree on: the models a ModelSet's bits name, and the
// enums copied as numbers.
uint64_t layout_id() {
  uint64_t h = mix64(kModelCount);
  for (std::string_view id : kModelIds) {
    for (char c : id) {
      h = mix64(h ^ static_cast<uint8_t>(c));
    }
  }
  return mix64(h ^ kPacketKindCount ^
               (uint64_t{static_cast<uint8_t>(Reason::kSnatExhausted)} << 8));
}

uint64_t text_digest(std::string_view text) {
  uint64_t h = 0x6a09e667f3bcc908ULL;
  for (char c : text) {
    h = mix64(h ^ static_cast<uint8_t>(c));
  }
  return h;
}

// --- writing ------------------------------------------------------------------------------

class Writer {
 public:
  Writer(std::FILE* f) : f_(f) { buf_.reserve(kBufferBytes); }
  template <class T>
  void num(T v) {
    static_assert(std::is_arithmetic_v<T>);
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    buf_.insert(buf_.end(), p, p + sizeof v);
    if (buf_.size() >= kBufferBytes) {
      flush();
    }
  }
  void bytes(std::span<const uint8_t> b) {
    num<uint32_t>(static_cast<uint32_t>(b.size()));
    buf_.insert(buf_.end(), b.begin(), b.end());
    if (buf_.size() >= kBufferBytes) {
      flush();
    }
  }
  void str(std::string_view s) {
    bytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  }
  void raw(const char* p, size_t n) { buf_.insert(buf_.end(), p, p + n); }
  void ip(const IpAddress& a) {
    num<uint8_t>(static_cast<uint8_t>(a.family()));
    num<uint64_t>(a.hi());
    num<uint64_t>(a.lo());
  }
  void flow_key(const FlowKey& k) {
    num<uint8_t>(static_cast<uint8_t>(k.proto));
    ip(k.src);
    num<uint16_t>(k.sport);
    ip(k.dst);
    num<uint16_t>(k.dport);
  }
  void key(const EventKey& k) {
    num<int64_t>(k.at);
    num<uint8_t>(k.phase);
    num<uint64_t>(k.order);
    num<uint32_t>(k.sub);
  }
  uint64_t offset() const { return written_ + buf_.size(); }
  void flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) {
      failed_ = true;
    }
    written_ += buf_.size();
    buf_.clear();
  }
  bool failed() const { return failed_; }

 private:
  std::FILE* f_;
  std::vector<uint8_t> buf_;
  uint64_t written_ = 0;
  bool failed_ = false;
};

// The shard's trackers' events, in key order, into the file.
class ShardWriter final : public OrderedOutput {
 public:
  ShardWriter(std::FILE* f) : w_(f) {}
  Writer& writer() { return w_; }

  void set_first_ns(int64_t) override {}
  uint64_t flows() const override { return flows_; }
  uint64_t live_flows() const override { return live_; }

  void on_created(const EventKey& key, uint32_t flow) override {
    head(Record::kCreated, key, flow);
    ++flows_;
    ++live_;
  }
  void on_acquire(const EventKey& key, uint32_t flow, const SnatEntry& snat,
                  const FlowKey& flow_key, int64_t at) override {
    uint32_t id = snat_id(&snat);
    head(Record::kAcquire, key, flow);
    w_.num<uint32_t>(id);
    w_.flow_key(flow_key);
    w_.num<int64_t>(at);
  }
  void on_release(const EventKey& key, uint32_t flow, const SnatEntry& snat,
                  const FlowKey& flow_key, FlowEnd end, int64_t at) override {
    uint32_t id = snat_id(&snat);
    head(Record::kRelease, key, flow);
    w_.num<uint32_t>(id);
    w_.flow_key(flow_key);
    w_.num<uint8_t>(static_cast<uint8_t>(end));
    w_.num<int64_t>(at);
  }
  void on_packet(const EventKey& key, uint32_t flow, const RawPacket& p, const DecodedPacket& d,
                 bool outbound) override {
    head(Record::kPacket, key, flow);
    w_.num<uint8_t>(outbound ? 1 : 0);
    w_.num<int64_t>(p.ts_ns);
    w_.num<uint16_t>(p.link_type);
    w_.num<uint32_t>(p.orig_len);
    w_.num<uint32_t>(p.input);
    w_.num<uint64_t>(p.number);
    w_.num<uint64_t>(p.offset);
    w_.bytes(p.data);
    w_.num<uint8_t>(static_cast<uint8_t>(d.kind));
    w_.flow_key(d.key);
    w_.num<uint8_t>(d.icmp_error);
    w_.num<uint8_t>(d.ip_version);
    w_.num<uint8_t>(d.tcp_flags);
    w_.num<uint8_t>(d.fragment);
    w_.num<uint8_t>(d.first_fragment);
    for (uint32_t v : {d.l3_offset, d.l4_offset, d.l4_length, d.inner_l3_offset, d.payload_offset,
                       d.payload_length}) {
      w_.num<uint32_t>(v);
    }
  }
  void on_ended(const EventKey& key, uint32_t flow, EndedFlow&& e) override {
    uint32_t id = e.snat == nullptr ? kNoSnatId : snat_id(e.snat);
    head(Record::kEnded, key, flow);
    w_.flow_key(e.key);
    w_.num<int64_t>(e.stats.first_ns);
    w_.num<int64_t>(e.stats.last_ns);
    w_.num<uint64_t>(e.stats.packets);
    w_.num<uint64_t>(e.stats.bytes);
    w_.num<uint8_t>(static_cast<uint8_t>(e.end));
    w_.num<uint8_t>(
        static_cast<uint8_t>((e.flipped ? 1 : 0) | (e.waited ? 2 : 0) | (e.default_idle ? 4 : 0)));
    w_.num<uint8_t>(static_cast<uint8_t>(e.verdict));
    w_.num<uint8_t>(static_cast<uint8_t>(e.reason));
    w_.num<uint64_t>(e.models.bits());
    w_.num<uint32_t>(id);
    w_.str(e.host);
    --live_;
  }

 private:
  void head(Record r, const EventKey& key, uint32_t flow) {
    w_.num<uint8_t>(static_cast<uint8_t>(r));
    w_.key(key);
    w_.num<uint32_t>(tracker_);
    w_.num<uint32_t>(flow);
  }
  // A SNAT point's number in this file, defined by a record before its first use.
  uint32_t snat_id(const SnatEntry* e) {
    auto [it, fresh] = snat_ids_.try_emplace(e, static_cast<uint32_t>(snat_ids_.size()));
    if (fresh) {
      w_.num<uint8_t>(static_cast<uint8_t>(Record::kSnat));
      w_.num<uint32_t>(it->second);
      const SnatPoint& p = e->point;
      w_.num<uint8_t>(static_cast<uint8_t>(p.via));
      w_.num<uint32_t>(p.resource);
      w_.num<uint32_t>(p.rule);
      w_.num<uint32_t>(p.instance);
      w_.num<uint32_t>(p.ports);
      w_.num<uint32_t>(p.idle_timeout_s);
      w_.num<uint32_t>(static_cast<uint32_t>(p.ips.size()));
      for (const IpAddress& ip : p.ips) {
        w_.ip(ip);
      }
      w_.str(e->resource);
    }
    return it->second;
  }

  Writer w_;
  std::unordered_map<const SnatEntry*, uint32_t> snat_ids_;
  uint64_t flows_ = 0;
  uint64_t live_ = 0;
};

// The flows of one shard: by the resource that translates them (in either direction, so a
// reply finds its flow's shard), else by a hash of the flow's endpoints.
class ShardFilter final : public PacketFilter {
 public:
  ShardFilter(const Engine& engine, uint64_t seed, ShardSpec spec)
      : engine_(engine), seed_(seed), spec_(spec) {}

  bool keep(const FlowKey& key) override {
    const std::string* a = resource(key);
    const std::string* b = resource(FlowKey{key.proto, key.dst, key.dport, key.src, key.sport});
    uint64_t h;
    if (a != nullptr || b != nullptr) {
      const std::string& name = a == nullptr ? *b : b == nullptr ? *a : std::min(*a, *b);
      h = text_digest(name);
    } else {
      h = tracker_of(key, UINT32_MAX);
    }
    return h % spec_.count == spec_.index;
  }

 private:
  struct PathKeyHash {
    size_t operator()(const FlowKey& k) const noexcept {
      return mix_hash(k.src.hi() ^ k.src.lo() * 31 ^ static_cast<uint64_t>(k.proto),
                      k.dst.hi() ^ k.dst.lo() * 31 ^ k.dport);
    }
  };
  struct PathEq {
    bool operator()(const FlowKey& a, const FlowKey& b) const noexcept {
      return a.proto == b.proto && a.src == b.src && a.dst == b.dst && a.dport == b.dport;
    }
  };
  // The resource that translates `key`'s path, or null; traced once per path.
  const std::string* resource(const FlowKey& key) {
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      FlowResult r = engine_.trace(key, seed_, {});
      it =
          cache_.emplace(key, holds_port(r) ? std::optional<std::string>(r.resource) : std::nullopt)
              .first;
    }
    return it->second ? &*it->second : nullptr;
  }

  const Engine& engine_;
  uint64_t seed_;
  ShardSpec spec_;
  std::unordered_map<FlowKey, std::optional<std::string>, PathKeyHash, PathEq> cache_;
};

// --- reading ------------------------------------------------------------------------------

class Reader {
 public:
  // `left`: the bytes the file holds from where the reader starts, so that a damaged length
  // is refused before anything that large is allocated.
  Reader(std::FILE* f, std::string path, uint64_t left)
      : f_(f), path_(std::move(path)), left_(left) {}
  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }
  /// Bytes taken since the reader started (it reads ahead of them).
  uint64_t offset() const { return offset_; }
  /// Goes on from `offset` bytes after where the reader started (the file's position moved).
  bool seek(uint64_t offset) {
    const uint64_t size = offset_ + left_;
    if (offset > size || std::fseek(f_, static_cast<long>(start_ + offset), SEEK_SET) != 0) {
      return false;
    }
    offset_ = offset;
    left_ = size - offset;
    at_ = end_ = 0;
    return true;
  }

  template <class T>
  T num() {
    T v{};
    get(&v, sizeof v);
    return v;
  }
  // Fields come a few bytes at a time: taken from a buffer read 256 KiB at once. One fread() a
  // field, each taking the stream's lock, was half of a merge's time (bench/README.md, "Fourth
  // round").
  void get(void* p, size_t n) {
    if (n == 0) {
      return;  // an empty string's bytes: `p` may be null, and so may the buffer
    }
    if (ok_ && n <= left_ && n <= end_ - at_) {
      std::memcpy(p, buffer_.data() + at_, n);
      at_ += n;
      offset_ += n;
      left_ -= n;
      return;
    }
    get_slow(p, n);
  }
  std::vector<uint8_t> bytes() {
    auto n = num<uint32_t>();
    std::vector<uint8_t> b;
    if (ok_ && n <= left_) {
      b.resize(n);
      get(b.data(), n);
    } else {
      ok_ = false;
    }
    return b;
  }
  std::string str() {
    std::vector<uint8_t> b = bytes();
    return std::string(b.begin(), b.end());
  }
  IpAddress ip() {
    auto family = num<uint8_t>();
    auto hi = num<uint64_t>();
    auto lo = num<uint64_t>();
    return family == static_cast<uint8_t>(Family::kV6) ? IpAddress::v6(hi, lo)
                                                       : IpAddress::v4(static_cast<uint32_t>(lo));
  }
  FlowKey flow_key() {
    FlowKey k;
    k.proto = static_cast<Protocol>(num<uint8_t>());
    k.src = ip();
    k.sport = num<uint16_t>();
    k.dst = ip();
    k.dport = num<uint16_t>();
    return k;
  }
  EventKey key() {
    EventKey k;
    k.at = num<int64_t>();
    k.phase = num<uint8_t>();
    k.order = num<uint64_t>();
    k.sub = num<uint32_t>();
    return k;
  }

 private:
  // Its own buffer, so the stream keeps its small default one: a merge of many shards holds
  // one of each.
  static constexpr size_t kChunk = size_t{256} << 10;

  void get_slow(void* p, size_t n) {
    if (!ok_ || n > left_) {
      ok_ = false;
      std::memset(p, 0, n);
      return;
    }
    auto* to = static_cast<uint8_t*>(p);
    const size_t have = end_ - at_;
    if (have != 0) {
      std::memcpy(to, buffer_.data() + at_, have);
    }
    at_ = end_ = 0;
    size_t got = have;
    // What is left of the field, then as much of the file after it as fits (never past what
    // the file holds).
    if (n - got >= kChunk) {
      got += std::fread(to + got, 1, n - got, f_);
    } else {
      buffer_.resize(kChunk);
      end_ = std::fread(buffer_.data(), 1, std::min<uint64_t>(kChunk, left_ - got), f_);
      const size_t take = std::min(end_, n - got);
      std::memcpy(to + got, buffer_.data(), take);
      at_ = take;
      got += take;
    }
    if (got != n) {
      ok_ = false;
      std::memset(p, 0, n);
      return;
    }
    offset_ += n;
    left_ -= n;
  }

  std::FILE* f_;
  std::string path_;
  uint64_t start_ = static_cast<uint64_t>(std::max(0L, std::ftell(f_)));
  uint64_t offset_ = 0;
  uint64_t left_;
  bool ok_ = true;
  std::vector<uint8_t> buffer_;
  size_t at_ = 0;   // the next byte of buffer_ to take
  size_t end_ = 0;  // what buffer_ holds
};

struct Header {
  uint32_t index = 0;
  uint32_t count = 0;
  uint64_t seed = 0;
  uint32_t scale = 1;
  double speedup = 1;
  uint64_t layout = 0;
  ShardRun run;
};

struct Trailer {
  ReaderCounts reader;
  std::vector<Diagnostic> warnings;
  uint64_t flows = 0;
};

void write_trailer(Writer& w, const ReaderCounts& r, const std::vector<Diagnostic>& warnings,
                   uint64_t flows) {
  const uint64_t at = w.offset();
  w.num<uint8_t>(static_cast<uint8_t>(Record::kEnd));
  const ReplaySummary& c = r.counts;
  w.num<uint64_t>(c.packets);
  w.num<uint64_t>(c.bytes);
  w.num<int64_t>(c.first_ns);
  w.num<int64_t>(c.last_ns);
  w.num<uint32_t>(static_cast<uint32_t>(c.unusable.size()));
  for (const auto& [kind, n] : c.unusable) {
    w.str(kind);
    w.num<uint64_t>(n);
  }
  w.num<uint64_t>(r.digest);
  w.num<uint64_t>(r.unmatched);
  w.num<uint64_t>(flows);
  w.num<uint32_t>(static_cast<uint32_t>(warnings.size()));
  for (const Diagnostic& d : warnings) {
    w.str(d.code);
    w.str(d.message);
    w.str(d.where.file);
    w.num<int32_t>(d.where.line);
    w.num<int32_t>(d.where.column);
  }
  w.num<uint64_t>(at);
  w.raw(kEndMagic, sizeof kEndMagic);
}

Trailer read_trailer(Reader& r) {
  Trailer t;
  ReplaySummary& c = t.reader.counts;
  c.packets = r.num<uint64_t>();
  c.bytes = r.num<uint64_t>();
  c.first_ns = r.num<int64_t>();
  c.last_ns = r.num<int64_t>();
  auto kinds = r.num<uint32_t>();
  for (uint32_t i = 0; i < kinds && r.ok() && i < 1024; ++i) {
    std::string kind = r.str();
    c.unusable[kind] = r.num<uint64_t>();
  }
  t.reader.digest = r.num<uint64_t>();
  t.reader.unmatched = r.num<uint64_t>();
  t.flows = r.num<uint64_t>();
  auto warnings = r.num<uint32_t>();
  for (uint32_t i = 0; i < warnings && r.ok() && i < 100000; ++i) {
    Diagnostic d;
    d.code = r.str();
    d.message = r.str();
    d.where.file = r.str();
    d.where.line = r.num<int32_t>();
    d.where.column = r.num<int32_t>();
    t.warnings.push_back(std::move(d));
  }
  return t;
}

Error shard_error(const std::string& path, const std::string& what) {
  return Error{"bad-shard", path + ": " + what, {}};
}

// One open shard file as the merge walks it: the next event, decoded.
struct ShardCursor {
  std::string path;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{nullptr, &std::fclose};
  std::unique_ptr<Reader> in;
  Header header;
  Trailer trailer;
  uint64_t trailer_at = 0;
  std::vector<std::unique_ptr<SnatEntry>> snats;

  // The current event.
  Record kind = Record::kEnd;
  EventKey key;
  uint32_t tracker = 0;
  uint32_t flow = 0;
  uint32_t snat = kNoSnatId;
  FlowKey flow_key;
  int64_t at = 0;
  FlowEnd end = FlowEnd::kIdle;
  bool outbound = false;
  RawPacket packet;
  std::vector<uint8_t> packet_bytes;
  DecodedPacket decoded;
  EndedFlow ended;
};

std::optional<Error> read_header(Reader& r, Header& h) {
  char magic[8];
  r.get(magic, sizeof magic);
  if (!r.ok() || std::memcmp(magic, kMagic, sizeof magic) != 0) {
    return shard_error(r.path(), "not an egress-sim shard file (written by replay --shard)");
  }
  auto version = r.num<uint32_t>();
  if (version != kVersion) {
    return shard_error(r.path(), "shard file version " + std::to_string(version) +
                                     ", this egress-sim reads version " + std::to_string(kVersion));
  }
  h.index = r.num<uint32_t>();
  h.count = r.num<uint32_t>();
  h.seed = r.num<uint64_t>();
  h.scale = r.num<uint32_t>();
  h.speedup = r.num<double>();
  h.layout = r.num<uint64_t>();
  h.run.topology_name = r.str();
  h.run.topology_text = r.str();
  h.run.command = r.str();
  auto captures = r.num<uint32_t>();
  for (uint32_t i = 0; i < captures && r.ok() && i < 1'000'000; ++i) {
    h.run.captures.push_back(r.str());
  }
  const auto packets = r.num<uint8_t>();
  h.run.packets = packets == 1;
  if (r.ok() && packets > 1) {
    return shard_error(r.path(), "damaged header: packets flag " + std::to_string(packets));
  }
  if (!r.ok()) {
    return shard_error(r.path(), "truncated in its header");
  }
  if (h.layout != layout_id()) {
    return shard_error(r.path(),
                       "written by an egress-sim with other models; merge with the "
                       "version that wrote it");
  }
  if (h.count == 0 || h.index >= h.count) {
    return shard_error(r.path(), "shard " + std::to_string(h.index) + "/" +
                                     std::to_string(h.count) + " is outside 0.." +
                                     std::to_string(h.count == 0 ? 0 : h.count - 1));
  }
  return std::nullopt;
}

// Reads the next event of `c`; false at the trailer. Errors name the file and offset.
Result<bool> next_event(ShardCursor& c) {
  Reader& r = *c.in;
  for (;;) {
    const uint64_t at = r.offset();
    auto kind = static_cast<Record>(r.num<uint8_t>());
    if (!r.ok()) {
      return shard_error(c.path, "truncated at byte " + std::to_string(at));
    }
    if (kind == Record::kEnd) {
      if (at != c.trailer_at) {
        return shard_error(c.path, "damaged: its end record is at byte " + std::to_string(at) +
                                       ", its trailer says " + std::to_string(c.trailer_at));
      }
      c.kind = kind;
      return false;
    }
    if (kind == Record::kSnat) {
      auto id = r.num<uint32_t>();
      auto e = std::make_unique<SnatEntry>();
      auto via = r.num<uint8_t>();
      if (via > static_cast<uint8_t>(Via::kPrivateEndpoint)) {
        return shard_error(c.path,
                           "damaged at byte " + std::to_string(at) + ": a value out of range");
      }
      e->point.via = static_cast<Via>(via);
      e->point.resource = r.num<uint32_t>();
      e->point.rule = r.num<uint32_t>();
      e->point.instance = r.num<uint32_t>();
      e->point.ports = r.num<uint32_t>();
      e->point.idle_timeout_s = r.num<uint32_t>();
      auto n = r.num<uint32_t>();
      for (uint32_t i = 0; i < n && r.ok() && i < 65536; ++i) {
        e->point.ips.push_back(r.ip());
      }
      e->resource = r.str();
      if (!r.ok() || id != c.snats.size()) {
        return shard_error(c.path, "damaged at byte " + std::to_string(at));
      }
      c.snats.push_back(std::move(e));
      continue;
    }
    if (kind < Record::kCreated || kind > Record::kEnded) {
      return shard_error(c.path, "damaged at byte " + std::to_string(at) + ": record kind " +
                                     std::to_string(static_cast<int>(kind)));
    }
    c.kind = kind;
    c.key = r.key();
    c.tracker = r.num<uint32_t>();
    c.flow = r.num<uint32_t>();
    c.snat = kNoSnatId;
    switch (kind) {
      case Record::kAcquire:
      case Record::kRelease:
        c.snat = r.num<uint32_t>();
        c.flow_key = r.flow_key();
        if (kind == Record::kRelease) {
          c.end = static_cast<FlowEnd>(r.num<uint8_t>());
        }
        c.at = r.num<int64_t>();
        break;
      case Record::kPacket: {
        c.outbound = r.num<uint8_t>() != 0;
        c.packet.ts_ns = r.num<int64_t>();
        c.packet.link_type = r.num<uint16_t>();
        c.packet.orig_len = r.num<uint32_t>();
        c.packet.input = r.num<uint32_t>();
        c.packet.number = r.num<uint64_t>();
        c.packet.offset = r.num<uint64_t>();
        c.packet_bytes = r.bytes();
        c.packet.data = c.packet_bytes;
        DecodedPacket& d = c.decoded;
        d.kind = static_cast<PacketKind>(r.num<uint8_t>());
        d.key = r.flow_key();
        d.icmp_error = r.num<uint8_t>() != 0;
        d.ip_version = r.num<uint8_t>();
        d.tcp_flags = r.num<uint8_t>();
        d.fragment = r.num<uint8_t>() != 0;
        d.first_fragment = r.num<uint8_t>() != 0;
        for (uint32_t* v : {&d.l3_offset, &d.l4_offset, &d.l4_length, &d.inner_l3_offset,
                            &d.payload_offset, &d.payload_length}) {
          *v = r.num<uint32_t>();
        }
        // The rewrite trusts these offsets: a damaged file must not point it past the bytes.
        const size_t size = c.packet_bytes.size();
        if (d.l3_offset > size || d.l4_offset > size || d.payload_offset > size ||
            d.inner_l3_offset > size || d.payload_length > size - d.payload_offset) {
          return shard_error(c.path, "damaged packet at byte " + std::to_string(at));
        }
        break;
      }
      case Record::kEnded: {
        EndedFlow& e = c.ended;
        e = EndedFlow{};
        e.key = r.flow_key();
        e.stats.first_ns = r.num<int64_t>();
        e.stats.last_ns = r.num<int64_t>();
        e.stats.packets = r.num<uint64_t>();
        e.stats.bytes = r.num<uint64_t>();
        e.end = static_cast<FlowEnd>(r.num<uint8_t>());
        auto flags = r.num<uint8_t>();
        e.flipped = (flags & 1) != 0;
        e.waited = (flags & 2) != 0;
        e.default_idle = (flags & 4) != 0;
        e.verdict = static_cast<Verdict>(r.num<uint8_t>());
        e.reason = static_cast<Reason>(r.num<uint8_t>());
        e.models = ModelSet::from_bits(r.num<uint64_t>());
        c.snat = r.num<uint32_t>();
        e.host = r.str();
        break;
      }
      default:
        break;
    }
    if (!r.ok()) {
      return shard_error(c.path, "truncated at byte " + std::to_string(at));
    }
    // Numbers the stage takes for enums: a damaged file must not name one past the last.
    const FlowKey& k = kind == Record::kPacket  ? c.decoded.key
                       : kind == Record::kEnded ? c.ended.key
                                                : c.flow_key;
    bool valid = static_cast<uint8_t>(k.proto) <= static_cast<uint8_t>(Protocol::kIcmp) &&
                 static_cast<uint8_t>(c.end) <= static_cast<uint8_t>(FlowEnd::kEndOfInput) &&
                 static_cast<uint8_t>(c.decoded.kind) < kPacketKindCount;
    if (kind == Record::kEnded) {
      valid = valid &&
              static_cast<uint8_t>(c.ended.end) <= static_cast<uint8_t>(FlowEnd::kEndOfInput) &&
              static_cast<uint8_t>(c.ended.verdict) <= static_cast<uint8_t>(Verdict::kAsymmetric) &&
              static_cast<uint8_t>(c.ended.reason) <=
                  static_cast<uint8_t>(Reason::kForwardedTrafficNotAllowed);
    }
    if (!valid) {
      return shard_error(c.path,
                         "damaged at byte " + std::to_string(at) + ": a value out of range");
    }
    if (c.snat != kNoSnatId && c.snat >= c.snats.size()) {
      return shard_error(c.path, "damaged at byte " + std::to_string(at) +
                                     ": a SNAT point used before it is defined");
    }
    return true;
  }
}

// The check's name for a flow event record.
FlowEventCheck::Event check_event(Record kind) {
  switch (kind) {
    case Record::kCreated:
      return FlowEventCheck::Event::kCreated;
    case Record::kAcquire:
      return FlowEventCheck::Event::kAcquire;
    case Record::kRelease:
      return FlowEventCheck::Event::kRelease;
    case Record::kPacket:
      return FlowEventCheck::Event::kPacket;
    default:
      return FlowEventCheck::Event::kEnded;
  }
}

}  // namespace

Result<ShardSpec> parse_shard_spec(std::string_view text) {
  auto slash = text.find('/');
  ShardSpec s;
  auto number = [](std::string_view t, uint32_t& v) {
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return ec == std::errc() && end == t.data() + t.size() && !t.empty();
  };
  if (slash == std::string_view::npos || !number(text.substr(0, slash), s.index) ||
      !number(text.substr(slash + 1), s.count)) {
    return Error{"bad-value", "--shard: '" + std::string(text) + "' is not I/N (e.g. 0/4)", {}};
  }
  if (s.count == 0 || s.index >= s.count) {
    return Error{
        "bad-value",
        "--shard: " + std::string(text) + ": the index must be 0.." +
            (s.count == 0 ? std::string("N-1 and N at least 1") : std::to_string(s.count - 1)),
        {}};
  }
  return s;
}

Result<ShardOutcome> replay_shard(const Engine& engine, PacketSource& source,
                                  const ReplayOptions& options, ShardSpec spec, const ShardRun& run,
                                  std::FILE* out, const std::string& out_name,
                                  ReplaySink& progress) {
  ReplayOptions o = options;
  o.records = false;  // merge traces the records it writes
  // Only merge --pcap-out reads the packets, and they are most of a shard file: the run that
  // writes it says whether merge will be asked for that.
  o.rewrite = run.packets;
  o.groups = nullptr;
  ShardWriter writer(out);
  Writer& w = writer.writer();
  w.raw(kMagic, sizeof kMagic);
  w.num<uint32_t>(kVersion);
  w.num<uint32_t>(spec.index);
  w.num<uint32_t>(spec.count);
  w.num<uint64_t>(o.seed);
  w.num<uint32_t>(o.scale);
  w.num<double>(o.speedup);
  w.num<uint64_t>(layout_id());
  w.str(run.topology_name);
  w.str(run.topology_text);
  w.str(run.command);
  w.num<uint32_t>(static_cast<uint32_t>(run.captures.size()));
  for (const std::string& c : run.captures) {
    w.str(c);
  }
  w.num<uint8_t>(run.packets ? 1 : 0);
  ShardFilter filter(engine, o.seed, spec);
  Result<ReaderCounts> counts =
      run_trackers(engine, source, o, writer, spec.count > 1 ? &filter : nullptr, progress);
  if (!counts.ok()) {
    return counts.error();
  }
  write_trailer(w, *counts, source.warnings(), writer.flows());
  w.flush();
  if (w.failed() || std::fflush(out) != 0) {
    return Error{"io", out_name + ": cannot write the shard file", {}};
  }
  return ShardOutcome{counts->counts.packets, writer.flows()};
}

struct ShardSet::Impl {
  std::vector<ShardCursor> shards;  // by index
};

ShardSet::ShardSet() : impl_(std::make_unique<Impl>()) {}
ShardSet::~ShardSet() = default;
ShardSet::ShardSet(ShardSet&&) noexcept = default;
ShardSet& ShardSet::operator=(ShardSet&&) noexcept = default;

Result<ShardSet> ShardSet::open(const std::vector<std::string>& paths) {
  ShardSet set;
  std::vector<ShardCursor> opened;
  for (const std::string& path : paths) {
    ShardCursor c;
    c.path = path;
    c.file.reset(std::fopen(path.c_str(), "rb"));
    if (!c.file) {
      return Error{"io", path + ": cannot open: " + std::strerror(errno), {}};
    }
    struct stat st {};
    if (fstat(fileno(c.file.get()), &st) != 0) {
      return Error{"io", path + ": cannot read: " + std::strerror(errno), {}};
    }
    const auto size = static_cast<uint64_t>(st.st_size);
    // The trailer first: a shard whose run did not finish has none.
    char magic[8];
    uint64_t at = 0;
    if (std::fseek(c.file.get(), -16, SEEK_END) != 0 ||
        std::fread(&at, sizeof at, 1, c.file.get()) != 1 ||
        std::fread(magic, 1, sizeof magic, c.file.get()) != sizeof magic ||
        std::memcmp(magic, kEndMagic, sizeof magic) != 0 ||
        std::fseek(c.file.get(), 0, SEEK_SET) != 0) {
      std::fseek(c.file.get(), 0, SEEK_SET);
      Reader probe(c.file.get(), path, size);
      Header h;
      if (std::optional<Error> e = read_header(probe, h)) {
        return *e;
      }
      return shard_error(path, "incomplete: the shard run that wrote it did not finish");
    }
    c.in = std::make_unique<Reader>(c.file.get(), path, size);
    if (std::optional<Error> e = read_header(*c.in, c.header)) {
      return *e;
    }
    const uint64_t events_at = c.in->offset();
    if (std::fseek(c.file.get(), static_cast<long>(at), SEEK_SET) != 0) {
      return shard_error(path, "damaged: its trailer is outside the file");
    }
    Reader tail(c.file.get(), path, at <= size ? size - at : 0);
    if (static_cast<Record>(tail.num<uint8_t>()) != Record::kEnd) {
      return shard_error(path, "damaged: no end record where its trailer says");
    }
    c.trailer = read_trailer(tail);
    if (!tail.ok()) {
      return shard_error(path, "damaged in its trailer");
    }
    c.trailer_at = at;
    if (!c.in->seek(events_at)) {
      return Error{"io", path + ": cannot read: " + std::strerror(errno), {}};
    }
    opened.push_back(std::move(c));
  }
  if (opened.empty()) {
    return Error{"usage", "merge: give the shard files of one run", {}};
  }
  const ShardCursor& first = opened.front();
  const uint32_t n = first.header.count;
  // By shard index; a map, as a damaged header may claim any number of shards.
  std::map<uint32_t, size_t> by_index;
  for (size_t i = 0; i < opened.size(); ++i) {
    const ShardCursor& c = opened[i];
    const Header& h = c.header;
    auto other = [&](const std::string& what) {
      return shard_error(c.path, what + " than " + first.path);
    };
    if (h.count != n) {
      return shard_error(c.path, "shard " + std::to_string(h.index) + "/" +
                                     std::to_string(h.count) + " of " + std::to_string(h.count) +
                                     " shards, but " + first.path + " is one of " +
                                     std::to_string(n));
    }
    if (auto twice = by_index.find(h.index); twice != by_index.end()) {
      return shard_error(c.path, "shard " + std::to_string(h.index) + "/" + std::to_string(n) +
                                     " given twice (also " + opened[twice->second].path + ")");
    }
    by_index[h.index] = i;
    if (h.run.topology_text != first.header.run.topology_text) {
      return other("a replay of another topology");
    }
    if (h.run.command != first.header.run.command || h.run.captures != first.header.run.captures) {
      return other("a run of other inputs");
    }
    if (h.seed != first.header.seed) {
      return other("a replay with another --seed (" + std::to_string(h.seed) + ", not " +
                   std::to_string(first.header.seed) + ")");
    }
    if (h.scale != first.header.scale || h.speedup != first.header.speedup) {
      return other("a replay with other --scale or --speedup");
    }
    const ReaderCounts& a = c.trailer.reader;
    const ReaderCounts& b = first.trailer.reader;
    if (a.digest != b.digest || a.counts.packets != b.counts.packets ||
        a.counts.bytes != b.counts.bytes) {
      return other("a replay of other captures (" + std::to_string(a.counts.packets) +
                   " packets, not " + std::to_string(b.counts.packets) + ")");
    }
  }
  // Every index is below n and none twice: one is missing while there are fewer than n, and
  // the first missing one is at most the number given.
  for (uint32_t i = 0; by_index.size() < n; ++i) {
    if (by_index.count(i) == 0) {
      return Error{"bad-shard",
                   "shard " + std::to_string(i) + "/" + std::to_string(n) +
                       " is missing: merge needs all " + std::to_string(n) + " shards of the run",
                   {}};
    }
  }
  for (const auto& [index, at] : by_index) {
    set.impl_->shards.push_back(std::move(opened[at]));
  }
  return set;
}

const ShardRun& ShardSet::run() const {
  return impl_->shards.front().header.run;
}
uint64_t ShardSet::seed() const {
  return impl_->shards.front().header.seed;
}
uint32_t ShardSet::scale() const {
  return impl_->shards.front().header.scale;
}
double ShardSet::speedup() const {
  return impl_->shards.front().header.speedup;
}

namespace {

// The first shard written with --shard-no-packets; null when every one has its packets.
const ShardCursor* first_without_packets(const std::vector<ShardCursor>& shards) {
  auto it = std::find_if(shards.begin(), shards.end(),
                         [](const ShardCursor& c) { return !c.header.run.packets; });
  return it == shards.end() ? nullptr : &*it;
}

}  // namespace

bool ShardSet::packets() const {
  return first_without_packets(impl_->shards) == nullptr;
}

Result<ReplaySummary> ShardSet::merge(const Engine& engine, ReplayOptions options,
                                      ReplaySink& sink) {
  std::vector<ShardCursor>& shards = impl_->shards;
  if (const ShardCursor* bare = first_without_packets(shards); options.rewrite && bare) {
    return Error{"bad-value",
                 "--pcap-out: " + bare->path +
                     " was written with --shard-no-packets and holds no packets; run its shard "
                     "again without it, or merge without --pcap-out",
                 {}};
  }
  options.seed = seed();
  options.scale = scale();
  options.speedup = speedup();
  options.groups = nullptr;
  EgressStage stage(options, sink);
  stage.set_first_ns(shards.front().trailer.reader.counts.first_ns);
  // The stage keeps a port per (tracker, slot): number every shard's trackers apart. The check
  // takes a tracker's slots only in order (a new flow reuses one or takes the next), which
  // bounds what a damaged file can make the stage allocate, and each slot's events only in the
  // order a tracker writes them.
  std::map<std::pair<size_t, uint32_t>, uint32_t> trackers;
  std::vector<size_t> shard_of;  // per stage tracker
  FlowEventCheck check;
  std::vector<bool> live(shards.size(), false);
  for (size_t i = 0; i < shards.size(); ++i) {
    Result<bool> more = next_event(shards[i]);
    if (!more.ok()) {
      return more.error();
    }
    live[i] = *more;
  }
  for (;;) {
    size_t best = shards.size();
    for (size_t i = 0; i < shards.size(); ++i) {
      if (live[i] && (best == shards.size() || shards[i].key < shards[best].key)) {
        best = i;
      }
    }
    if (best == shards.size()) {
      break;
    }
    ShardCursor& c = shards[best];
    auto [it, fresh] = trackers.try_emplace(std::make_pair(best, c.tracker),
                                            static_cast<uint32_t>(trackers.size()));
    if (fresh) {
      shard_of.push_back(best);
    }
    if (std::optional<std::string> why =
            check.take(it->second, c.flow, check_event(c.kind), c.snat, c.flow_key)) {
      return shard_error(c.path, "damaged: " + *why);
    }
    const SnatEntry* snat = c.snat == kNoSnatId ? nullptr : c.snats[c.snat].get();
    if (snat == nullptr && (c.kind == Record::kAcquire || c.kind == Record::kRelease)) {
      return shard_error(
          c.path, "damaged: flow slot " + std::to_string(c.flow) + ": a port without a SNAT point");
    }
    stage.set_tracker(it->second);
    switch (c.kind) {
      case Record::kCreated:
        stage.on_created(c.key, c.flow);
        break;
      case Record::kAcquire:
        stage.on_acquire(c.key, c.flow, *snat, c.flow_key, c.at);
        break;
      case Record::kRelease:
        stage.on_release(c.key, c.flow, *snat, c.flow_key, c.end, c.at);
        break;
      case Record::kPacket:
        if (options.rewrite) {
          stage.on_packet(c.key, c.flow, c.packet, c.decoded, c.outbound);
        }
        break;
      case Record::kEnded:
        c.ended.snat = snat;
        if (options.records) {
          c.ended.result =
              std::make_unique<FlowResult>(engine.trace(c.ended.key, options.seed, c.ended.host));
        }
        stage.on_ended(c.key, c.flow, std::move(c.ended));
        break;
      default:
        break;
    }
    Result<bool> more = next_event(c);
    if (!more.ok()) {
      return more.error();
    }
    live[best] = *more;
  }
  if (std::optional<FlowEventCheck::Live> open = check.finish()) {
    return shard_error(shards[shard_of[open->tracker]].path,
                       "damaged: flow slot " + std::to_string(open->slot) + " never ended");
  }
  ReaderCounts counts = shards.front().trailer.reader;
  uint64_t unmatched = 0;
  for (const ShardCursor& c : shards) {
    unmatched += c.trailer.reader.unmatched;
  }
  counts.counts.seed = options.seed;
  counts.counts.scale = options.scale;
  counts.counts.speedup = options.speedup;
  ReplaySummary summary = stage.finish(with_unmatched(std::move(counts.counts), unmatched));
  summary.warnings = shards.front().trailer.warnings;
  return summary;
}

}  // namespace egress
