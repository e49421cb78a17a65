#include "egress/replay/replay.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "replay_hash.h"
#include "replay_stages.h"
#include "util/prefetch.h"

namespace egress {
namespace {

// The packets of each kind that no flow can use.
class KindCounts {
 public:
  /// Counts `d` unless it is an IP packet a flow can use; whether it is.
  bool usable(const DecodedPacket& d) {
    if (d.kind != PacketKind::kIp) {
      ++kinds_[static_cast<size_t>(d.kind)];
      return false;
    }
    return true;
  }
  void add(const KindCounts& other) {
    for (size_t k = 0; k < kinds_.size(); ++k) {
      kinds_[k] += other.kinds_[k];
    }
  }
  void into(ReplaySummary& counts) const {
    for (size_t k = 0; k < kinds_.size(); ++k) {
      if (kinds_[k] != 0) {
        counts.unusable[to_string(static_cast<PacketKind>(k))] = kinds_[k];
      }
    }
  }

 private:
  std::array<uint64_t, kPacketKindCount> kinds_{};
};

// What the replay counts of every packet, before any flow: the clock, sizes and the packets
// it cannot use. Decoding happens here, once and in capture order, because the decoder
// remembers first fragments; a threaded replay's raw batches leave some of it, and every
// fragment, to the workers (Batch).
class PacketReader {
 public:
  explicit PacketReader(const ReplayOptions& options) : options_(options) {}

  /// Counts `packet` and decodes it into `d`; false when it is not an IP packet a flow can use.
  bool take(const RawPacket& packet, DecodedPacket& d) {
    count(packet);
    return kinds_.usable(decode_into(packet, d));
  }
  /// Counts `packet` without decoding it.
  void count(const RawPacket& packet) {
    if (counts_.packets == 0) {
      counts_.first_ns = packet.ts_ns;
    }
    ++counts_.packets;
    counts_.bytes += packet.orig_len;
    now_ = std::max(now_, packet.ts_ns);
    counts_.last_ns = now_;
    digest_ = mix64(digest_ ^ static_cast<uint64_t>(packet.ts_ns)) +
              (uint64_t{packet.orig_len} << 32 | packet.data.size());
  }
  /// Decodes a packet count() took into `d`. Only a fragment's result depends on what else
  /// this decoder saw (PacketDecoder): the decoder that sees every fragment in order decodes it.
  const DecodedPacket& decode_into(const RawPacket& packet, DecodedPacket& d) {
    // Made in `d`'s place, not assigned from a temporary: a copy of a DecodedPacket just
    // written reads it back over its own narrower stores, a store-forwarding stall
    // (PacketDecoder::decode says more).
    static_assert(std::is_trivially_destructible_v<DecodedPacket>);
    return *::new (static_cast<void*>(&d)) DecodedPacket(decoder_.decode(packet));
  }
  /// Counts `d` unless it is an IP packet a flow can use; whether it is.
  bool usable(const DecodedPacket& d) { return kinds_.usable(d); }
  /// The unusable packets a worker decoded.
  void add_kinds(const KindCounts& k) { kinds_.add(k); }
  bool progress_due() const {
    return options_.progress_every != 0 && counts_.packets % options_.progress_every == 0;
  }
  ReplayProgress progress(uint64_t flows, uint64_t live) const {
    return ReplayProgress{counts_.packets, counts_.bytes, flows, live, now_};
  }
  int64_t now() const { return now_; }
  /// Index of the last packet taken, in the whole input: the order of its events.
  uint64_t index() const { return counts_.packets - 1; }
  bool started() const { return counts_.packets != 0; }

  ReaderCounts counts(uint64_t unmatched_icmp_errors) const {
    ReaderCounts r;
    r.counts = counts_;
    r.counts.seed = options_.seed;
    r.counts.scale = options_.scale;
    r.counts.speedup = options_.speedup;
    kinds_.into(r.counts);
    r.digest = digest_;
    r.unmatched = unmatched_icmp_errors;
    return r;
  }

 private:
  const ReplayOptions& options_;
  PacketDecoder decoder_;
  ReplaySummary counts_;
  KindCounts kinds_;
  int64_t now_ = std::numeric_limits<int64_t>::min();
  uint64_t digest_ = 0;
};

// A worker's inbox or outbox: one producer, one consumer, blocking.
template <class T>
class Channel {
 public:
  void push(T value) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(value));
    }
    ready_.notify_one();
  }
  std::optional<T> try_pop() {
    std::lock_guard lock(mutex_);
    if (items_.empty()) {
      return std::nullopt;
    }
    T value = std::move(items_.front());
    items_.pop_front();
    return value;
  }
  T pop() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !items_.empty(); });
    T value = std::move(items_.front());
    items_.pop_front();
    return value;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<T> items_;
};

// The worker that tracks the flow of hash `h` (flow_hash(), the same both ways) among
// `workers`. Its top bits: the flow table's home slot takes the low bits and its tag bits 32 to
// 45 or so, so each worker's table still sees all of its own hash space. One hash a packet for
// both; which worker a flow goes to changes no output.
uint32_t worker_of(uint64_t h, uint32_t workers) noexcept {
  return static_cast<uint32_t>((h >> 48) % workers);
}

// Packets read, handed to every worker at once; each takes its own flows' ones. The reader
// decoded them all, or, in a raw batch, some: each worker decodes the rest, every one of them
// (so that its decoder sees every fragment in order), and keeps its own.
struct Batch {
  // Measured on 2 cores (bench/README.md, "Second round"): 16,384 packets ran a 1M-packet replay
  // 8% faster than 4,096 (medians of 15 alternated runs), for 16 MB more at the peak; 65,536
  // no faster again, for 75 MB more.
  static constexpr size_t kPackets = 16384;
  static constexpr size_t kBytes = size_t{16} << 20;

  std::vector<RawPacket> packets;
  std::vector<uint64_t> index;
  std::vector<int64_t> now;
  // The next three are sized before the batch fills (room_for()), never shrunk: in a raw batch
  // each worker writes the places of its own packets, which no other worker touches.
  std::vector<DecodedPacket> decoded;
  std::vector<uint64_t> hash;   // flow_hash() of each packet's key
  std::vector<uint8_t> ready;   // raw: 1 where the reader decoded the packet, 0 where workers do
  std::vector<size_t> offsets;  // into bytes, of the packets with bytes; seal() sets their spans
  std::vector<uint8_t> bytes;
  bool raw = false;
  // Set when the source keeps its packets' bytes (PacketSource::keep_packets): the packets
  // point into the source's buffers, which `pin` holds, instead of into `bytes`.
  bool pinned = false;
  std::shared_ptr<const void> pin;
  size_t limit = 0;           // packets it takes (the first batches take fewer)
  int64_t end_now = 0;        // the clock after the batch's last packet
  uint64_t finish_below = 0;  // a round of the end of input: end the flows older than this
  bool last = false;          // the last round: every flow has ended

  Batch() {
    packets.reserve(kPackets);
    index.reserve(kPackets);
    now.reserve(kPackets);
    offsets.reserve(kPackets);
  }
  /// Makes room for `count` packets; a batch of the end of input takes none (its memory
  /// is fresh, and a page's first touch costs: bench/README.md, "Second round").
  void room_for(size_t count) {
    limit = count;
    if (decoded.size() < count) {
      decoded.resize(count);
      hash.resize(count);
      ready.resize(count);
    }
  }
  bool full() const { return packets.size() >= limit || bytes.size() >= kBytes; }
  /// Where the next packet's decoding goes: the reader decodes into its place.
  DecodedPacket& next_decoded() { return decoded[packets.size()]; }
  /// A packet the reader decoded into next_decoded(). `with_bytes`: the workers read the
  /// packet's bytes (to rewrite it or find a host name); otherwise its headers, decoded, are
  /// all they need.
  void add(const RawPacket& p, uint64_t i, int64_t clock, uint64_t h, bool with_bytes) {
    append(p, true, h, i, clock);
    if (!with_bytes) {
      packets.back().data = {};
    } else if (!pinned && !p.data.empty()) {
      offsets.push_back(bytes.size());
      bytes.insert(bytes.end(), p.data.begin(), p.data.end());
    }
  }
  /// A packet decoded into next_decoded() (`decoded`, of hash `h`), or in a raw batch, whose
  /// bytes are pinned, one for the workers to decode.
  void append(const RawPacket& p, bool is_decoded, uint64_t h, uint64_t i, int64_t clock) {
    const size_t at = packets.size();
    ready[at] = is_decoded;
    if (is_decoded) {
      hash[at] = h;
    }
    packets.push_back(p);
    index.push_back(i);
    now.push_back(clock);
  }
  void clear() {
    packets.clear();
    index.clear();
    now.clear();
    offsets.clear();
    bytes.clear();
    pin.reset();
    finish_below = 0;
    last = false;
  }
  void seal() {
    if (pinned) {
      return;
    }
    // Only the packets with bytes have an offset, in order.
    size_t next = 0;
    for (RawPacket& p : packets) {
      if (!p.data.empty()) {
        p.data = std::span<const uint8_t>(bytes.data() + offsets[next++], p.data.size());
      }
    }
  }
};

// A worker's events for one batch, or for a part of one, in the order it emitted them (which
// is key order).
class LogChunk {
 public:
  enum class Kind : uint8_t { kCreated, kAcquire, kRelease, kPacket, kBatchPacket, kEnded };
  struct Event {
    EventKey key;
    Kind kind = Kind::kCreated;
    bool outbound = false;
    FlowEnd end = FlowEnd::kIdle;
    uint32_t flow = 0;
    uint32_t item = 0;  // into packets_, ended_ or ports_; kBatchPacket: into the batch
  };
  // An acquire's or release's own fields, apart so that every other event stays small.
  struct PortEvent {
    const SnatEntry* snat = nullptr;
    int64_t at = 0;
    FlowKey flow_key;
  };
  // How far ahead of the event delivered merge_batch hints at an event's memory: its slot's
  // port first, then the pools' index slots, then their entries, so that each load finds the
  // one before it in cache.
  static constexpr size_t kFlowPortAhead = 24;
  static constexpr size_t kPoolSlotsAhead = 16;
  static constexpr size_t kPoolEntriesAhead = 8;

  /// The batch being tracked, which outlives the chunk's delivery: its packets are not copied,
  /// only their place in it.
  void set_batch(const Batch& b) { batch_ = &b; }
  /// Whether the worker sends more of the same batch after this chunk.
  bool more() const { return more_; }
  size_t size() const { return events_.size(); }

  void created(const EventKey& key, uint32_t flow) {
    events_.emplace_back(key, Kind::kCreated, false, FlowEnd::kIdle, flow, 0);
  }
  void port(const EventKey& key, Kind kind, uint32_t flow, const SnatEntry& snat,
            const FlowKey& flow_key, FlowEnd end, int64_t at) {
    ports_.emplace_back(&snat, at, flow_key);
    events_.emplace_back(key, kind, false, end, flow, last(ports_));
  }
  void packet(const EventKey& key, uint32_t flow, const RawPacket& packet,
              const DecodedPacket& decoded, bool outbound) {
    // std::less: a total order over pointers, defined for a held packet's too.
    const RawPacket* first = batch_->packets.data();
    const std::less<const RawPacket*> before;
    if (!before(&packet, first) && before(&packet, first + batch_->packets.size())) {
      // The batch's own packet, its bytes in the batch too (the worker is handed those with
      // --pcap-out): 4 bytes here instead of a copy of both structures.
      const auto pos = static_cast<uint32_t>(&packet - first);
      events_.emplace_back(key, Kind::kBatchPacket, outbound, FlowEnd::kIdle, flow, pos);
      return;
    }
    // Held packets of a flow that waited for its host name live only during the call: copy.
    offsets_.push_back(bytes_.size());
    bytes_.insert(bytes_.end(), packet.data.begin(), packet.data.end());
    packets_.push_back(packet);
    decoded_.push_back(decoded);
    events_.emplace_back(key, Kind::kPacket, outbound, FlowEnd::kIdle, flow, last(packets_));
  }
  void ended(const EventKey& key, uint32_t flow, EndedFlow&& ended) {
    ended_.push_back(std::move(ended));
    events_.emplace_back(key, Kind::kEnded, false, FlowEnd::kIdle, flow, last(ended_));
  }

  void clear() {
    events_.clear();
    ports_.clear();
    packets_.clear();
    decoded_.clear();
    offsets_.clear();
    bytes_.clear();
    ended_.clear();
    more_ = false;
  }
  void seal(bool more) {
    more_ = more;
    for (size_t i = 0; i < packets_.size(); ++i) {
      packets_[i].data =
          std::span<const uint8_t>(bytes_.data() + offsets_[i], packets_[i].data.size());
    }
  }
  const std::vector<Event>& events() const { return events_; }
  /// The acquires among the first kPoolSlotsAhead events: where prefetch_after()'s count starts.
  uint32_t acquires_ahead_of_start() const {
    uint32_t n = 0;
    for (size_t j = 0; j < kPoolSlotsAhead; ++j) {
      n += acquire_at(j);
    }
    return n;
  }
  /// Hints at the memory of the events after event `i`, which is delivered next, to `to`
  /// (for `tracker`). `acquires_ahead` counts the acquires among events [i, i + kPoolSlotsAhead),
  /// and is moved on to i + 1 here.
  void prefetch_after(size_t i, uint32_t tracker, uint32_t& acquires_ahead,
                      const OrderedOutput& to) const {
    if (i + kFlowPortAhead < events_.size()) {
      to.prefetch_flow(tracker, events_[i + kFlowPortAhead].flow);
    }
    for (const auto& [ahead, step] : {std::pair{kPoolSlotsAhead, SnatPools::Step::kSlots},
                                      std::pair{kPoolEntriesAhead, SnatPools::Step::kEntries}}) {
      if (i + ahead >= events_.size()) {
        continue;
      }
      const Event& e = events_[i + ahead];
      if (e.kind == Kind::kAcquire) {
        // Only the first step guesses the port, from the acquisitions before this one.
        const PortEvent& p = ports_[e.item];
        to.prefetch_acquire(*p.snat, p.flow_key, acquires_ahead, step);
      } else if (e.kind == Kind::kRelease) {
        const PortEvent& p = ports_[e.item];
        to.prefetch_release(tracker, e.flow, *p.snat, p.flow_key, e.end, step);
      }
    }
    acquires_ahead = acquires_ahead + acquire_at(i + kPoolSlotsAhead) - acquire_at(i);
  }
  void deliver(const Event& e, TrackerOutput& to) {
    switch (e.kind) {
      case Kind::kCreated:
        to.on_created(e.key, e.flow);
        break;
      case Kind::kAcquire: {
        const PortEvent& p = ports_[e.item];
        to.on_acquire(e.key, e.flow, *p.snat, p.flow_key, p.at);
        break;
      }
      case Kind::kRelease: {
        const PortEvent& p = ports_[e.item];
        to.on_release(e.key, e.flow, *p.snat, p.flow_key, e.end, p.at);
        break;
      }
      case Kind::kPacket:
        to.on_packet(e.key, e.flow, packets_[e.item], decoded_[e.item], e.outbound);
        break;
      case Kind::kBatchPacket:
        to.on_packet(e.key, e.flow, batch_->packets[e.item], batch_->decoded[e.item], e.outbound);
        break;
      case Kind::kEnded:
        to.on_ended(e.key, e.flow, std::move(ended_[e.item]));
        break;
    }
  }

 private:
  uint32_t acquire_at(size_t j) const {
    return j < events_.size() && events_[j].kind == Kind::kAcquire ? 1 : 0;
  }
  template <class V>
  static uint32_t last(const V& v) {
    return static_cast<uint32_t>(v.size() - 1);
  }

  const Batch* batch_ = nullptr;
  bool more_ = false;
  std::vector<Event> events_;
  std::vector<PortEvent> ports_;
  std::vector<RawPacket> packets_;
  std::vector<DecodedPacket> decoded_;
  std::vector<size_t> offsets_;
  std::vector<uint8_t> bytes_;
  std::vector<EndedFlow> ended_;
};

// One worker's side of the channels to the calling thread.
struct WorkerLinks {
  Channel<std::shared_ptr<Batch>> inbox;
  Channel<std::unique_ptr<LogChunk>> outbox;
  Channel<std::unique_ptr<LogChunk>> spare_chunks;  // delivered, cleared, for reuse
};

// What a worker's tracker writes to: chunks of at most kChunkEvents events, each sent to the
// calling thread as soon as it is full. A batch whose packets end many flows at once (a gap in
// capture time, or the end of input) is then merged while the worker still tracks it, and its
// events reuse a few chunks' memory instead of growing one log by all of them.
class EventLog final : public TrackerOutput {
 public:
  // Half a batch of packet events (--pcap-out logs one per packet): an ordinary batch goes in
  // one to three chunks, and the tail of the default bench capture, 16k flows expiring in one
  // batch, in six (bench/README.md, "Third round").
  static constexpr size_t kChunkEvents = 8192;

  explicit EventLog(WorkerLinks& links) : links_(links) {}

  void start(const Batch& b) {
    batch_ = &b;
    take_chunk();
  }
  /// Sends the batch's last chunk.
  void finish_batch() { send(false); }

  void on_created(const EventKey& key, uint32_t flow) override {
    chunk_->created(key, flow);
    check();
  }
  void on_acquire(const EventKey& key, uint32_t flow, const SnatEntry& snat,
                  const FlowKey& flow_key, int64_t at) override {
    chunk_->port(key, LogChunk::Kind::kAcquire, flow, snat, flow_key, FlowEnd::kIdle, at);
    check();
  }
  void on_release(const EventKey& key, uint32_t flow, const SnatEntry& snat,
                  const FlowKey& flow_key, FlowEnd end, int64_t at) override {
    chunk_->port(key, LogChunk::Kind::kRelease, flow, snat, flow_key, end, at);
    check();
  }
  void on_packet(const EventKey& key, uint32_t flow, const RawPacket& packet,
                 const DecodedPacket& decoded, bool outbound) override {
    chunk_->packet(key, flow, packet, decoded, outbound);
    check();
  }
  void on_ended(const EventKey& key, uint32_t flow, EndedFlow&& ended) override {
    chunk_->ended(key, flow, std::move(ended));
    check();
  }

 private:
  void take_chunk() {
    std::optional<std::unique_ptr<LogChunk>> spare = links_.spare_chunks.try_pop();
    chunk_ = spare ? std::move(*spare) : std::make_unique<LogChunk>();
    chunk_->set_batch(*batch_);
  }
  void send(bool more) {
    chunk_->seal(more);
    links_.outbox.push(std::move(chunk_));
  }
  void check() {
    if (chunk_->size() >= kChunkEvents) {
      send(true);
      take_chunk();
    }
  }

  WorkerLinks& links_;
  const Batch* batch_ = nullptr;
  std::unique_ptr<LogChunk> chunk_;
};

// Every worker's events of one batch into the stage, in key order: a k-way merge of their
// chunks, each worker's next chunk awaited when its current one runs out.
void merge_batch(std::vector<WorkerLinks>& links, OrderedOutput& stage) {
  const size_t n = links.size();
  std::vector<std::unique_ptr<LogChunk>> chunk(n);
  std::vector<size_t> at(n, 0);
  // The acquires among worker w's next kPoolSlotsAhead events (LogChunk::prefetch_after).
  std::vector<uint32_t> acquires_ahead(n, 0);
  // Whether worker w has an event left: its chunk's, or its next chunk's.
  auto ready = [&](size_t w) {
    while (chunk[w] && at[w] == chunk[w]->size()) {
      const bool more = chunk[w]->more();
      chunk[w]->clear();
      links[w].spare_chunks.push(std::move(chunk[w]));
      if (more) {
        chunk[w] = links[w].outbox.pop();
        at[w] = 0;
        acquires_ahead[w] = chunk[w] ? chunk[w]->acquires_ahead_of_start() : 0;
      }
    }
    return chunk[w] != nullptr;
  };
  for (size_t w = 0; w < n; ++w) {
    chunk[w] = links[w].outbox.pop();
    acquires_ahead[w] = chunk[w] ? chunk[w]->acquires_ahead_of_start() : 0;
  }
  for (;;) {
    size_t best = n;
    for (size_t w = 0; w < n; ++w) {
      if (ready(w) &&
          (best == n || chunk[w]->events()[at[w]].key < chunk[best]->events()[at[best]].key)) {
        best = w;
      }
    }
    if (best == n) {
      return;
    }
    const auto tracker = static_cast<uint32_t>(best);
    LogChunk& c = *chunk[best];
    const LogChunk::Event& e = c.events()[at[best]];
    c.prefetch_after(at[best], tracker, acquires_ahead[best], stage);
    ++at[best];
    stage.set_tracker(tracker);
    c.deliver(e, stage);
  }
}

// replay() on `threads` workers: the calling thread reads, decodes and runs the stage; the
// workers track flows, each its share by worker_of(). The stage's work (the ports, the
// summary, the records' output) is about as much as the trackers' on one core, so one worker
// beside the calling thread already uses two cores.
Result<ReaderCounts> run_threaded(const Engine& engine, PacketSource& source,
                                  const ReplayOptions& options, OrderedOutput& stage,
                                  PacketFilter* filter, ReplaySink& sink, uint32_t threads) {
  // Batches in flight before the reader waits for the oldest: enough to keep every worker
  // busy while the stage catches up, few enough to bound memory.
  constexpr size_t kDepth = 4;
  constexpr size_t kFirstBatch = 1024;
  constexpr size_t kSlotAhead = 8;
  constexpr size_t kFlowAhead = 4;
  constexpr size_t kBytesAhead = 8;
  PacketReader reader(options);
  std::vector<std::unique_ptr<FlowTracker>> trackers;
  std::vector<WorkerLinks> links(threads);
  std::vector<std::shared_ptr<Batch>> spare_batches;
  std::vector<std::thread> workers;
  std::vector<uint64_t> unmatched(threads, 0);
  KindCounts raw_kinds;  // the raw batches' unusable packets, which worker 0 counts
  trackers.resize(threads);
  for (uint32_t w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      EventLog log(links[w]);
      PacketDecoder decoder;
      std::vector<uint32_t> mine;  // positions of its own packets in the batch
      mine.reserve(Batch::kPackets);
      for (;;) {
        std::shared_ptr<Batch> b = links[w].inbox.pop();
        if (!b) {
          return;
        }
        log.start(*b);
        if (!trackers[w]) {
          trackers[w] = std::make_unique<FlowTracker>(engine, options, log);
        }
        mine.clear();
        const size_t n = b->packets.size();
        for (size_t pos = 0; pos < n; ++pos) {
          if (b->raw && b->ready[pos] == 0) {
            // The reader wrote these bytes a batch or more ago, out of this core's cache.
            if (pos + kBytesAhead < n) {
              prefetch(b->packets[pos + kBytesAhead].data.data());
            }
            const DecodedPacket d = decoder.decode(b->packets[pos]);
            // Every worker decodes the packet; one counts it.
            if (d.kind != PacketKind::kIp) {
              if (w == 0) {
                raw_kinds.usable(d);
              }
              continue;
            }
            const uint64_t h = flow_hash(d.key);
            if (worker_of(h, threads) == w) {
              b->decoded[pos] = d;
              b->hash[pos] = h;
              mine.push_back(static_cast<uint32_t>(pos));
            }
          } else if (worker_of(b->hash[pos], threads) == w) {
            mine.push_back(static_cast<uint32_t>(pos));
          }
        }
        // The flow table is far bigger than the cache at 100k flows: each packet's slot is
        // asked for 8 packets ahead and its flow 4 ahead, while the packets between are
        // tracked (bench/README.md, "Third round").
        FlowTracker& tracker = *trackers[w];
        for (size_t i = 0; i < mine.size(); ++i) {
          if (i + kSlotAhead < mine.size()) {
            tracker.prefetch_slot(b->hash[mine[i + kSlotAhead]]);
          }
          if (i + kFlowAhead < mine.size()) {
            tracker.prefetch_flow(b->hash[mine[i + kFlowAhead]]);
          }
          const uint32_t pos = mine[i];
          tracker.push(TrackedPacket{&b->packets[pos], &b->decoded[pos], b->index[pos], b->now[pos],
                                     b->hash[pos]});
        }
        trackers[w]->expire(b->end_now);
        if (b->finish_below != 0) {
          trackers[w]->finish(b->end_now, b->finish_below);
        }
        if (b->last) {
          unmatched[w] = trackers[w]->unmatched_icmp_errors();
        }
        b.reset();  // the reader reuses a batch once every worker let go of it
        log.finish_batch();
      }
    });
  }

  // --pcap-out rewrites every packet: a source that keeps its packets' bytes saves copying them
  // all into the batches, and the batches' share of the peak (bench/README.md, "Fourth round").
  const bool pinned = options.rewrite && source.keep_packets();
  // With the bytes pinned anyway, the reader decodes every other packet and the workers the
  // rest: the reader then also runs the rewrite, and had most of the work. Without
  // --pcap-out, pinning the bytes for the workers to decode cost more than it saved
  // (bench/README.md, "Sixth round"). A filter is one thread's: its reader decodes all.
  const bool raw = pinned && filter == nullptr;
  std::deque<std::shared_ptr<Batch>> in_flight;
  auto drain_one = [&] {
    merge_batch(links, stage);
    in_flight.front()->clear();
    spare_batches.push_back(std::move(in_flight.front()));
    in_flight.pop_front();
  };
  // The first batch is small and each next one twice as large up to Batch::kPackets, so that
  // the workers start within a millisecond instead of waiting for 16k packets to be read and
  // decoded (bench/README.md, "Third round").
  size_t batch_limit = kFirstBatch;
  // `for_packets`: a batch to fill, else a round of the end of input.
  auto fresh_batch = [&](bool for_packets) {
    std::shared_ptr<Batch> b;
    if (spare_batches.empty()) {
      b = std::make_shared<Batch>();
    } else {
      b = std::move(spare_batches.back());
      spare_batches.pop_back();
    }
    b->raw = raw;
    b->pinned = pinned;
    if (for_packets) {
      b->room_for(batch_limit);
      batch_limit = std::min(2 * batch_limit, Batch::kPackets);
    } else {
      b->room_for(0);
    }
    return b;
  };
  // Bytes matter to the workers only to rewrite packets or to read host names, which only
  // application rules ask for.
  bool any_application_rules = false;
  for (const Appliance& a : engine.topology().appliances) {
    any_application_rules = any_application_rules || !a.application_rules.empty();
  }
  auto dispatch = [&](std::shared_ptr<Batch> b) {
    if (pinned) {
      b->pin = source.pinned();
    }
    b->seal();
    b->end_now = reader.now();
    in_flight.push_back(b);
    for (uint32_t w = 0; w < threads; ++w) {
      links[w].inbox.push(b);
    }
    while (in_flight.size() > kDepth) {
      drain_one();
    }
  };
  auto stop = [&] {
    for (uint32_t w = 0; w < threads; ++w) {
      links[w].inbox.push(nullptr);
    }
    for (std::thread& t : workers) {
      t.join();
    }
  };

  std::shared_ptr<Batch> batch = fresh_batch(true);
  Result<bool> read = for_each_packet(source, [&](const RawPacket& p) {
    if (!reader.started()) {
      stage.set_first_ns(p.ts_ns);
    }
    bool kept = true;
    DecodedPacket& d = batch->next_decoded();
    if (raw) {
      reader.count(p);
      if (reader.index() % 2 == 0 && !reader.decode_into(p, d).fragment) {
        kept = reader.usable(d);
        if (kept) {
          batch->append(p, true, flow_hash(d.key), reader.index(), reader.now());
        }
      } else {
        batch->append(p, false, 0, reader.index(), reader.now());
      }
    } else {
      kept = reader.take(p, d) && (filter == nullptr || filter->keep(d.key));
      if (kept) {
        bool with_bytes = options.rewrite || (any_application_rules && d.payload_length != 0);
        batch->add(p, reader.index(), reader.now(), flow_hash(d.key), with_bytes);
      }
    }
    if (reader.progress_due()) {
      sink.on_progress(reader.progress(stage.flows(), stage.live_flows()));
    }
    if (kept && batch->full()) {
      dispatch(std::exchange(batch, fresh_batch(true)));
    }
  });
  if (!read.ok()) {
    stop();
    return read.error();
  }
  dispatch(batch);
  // The end of input in rounds of flow ids (a flow's id is the index of the packet that made
  // it), so that no worker logs the end of all its flows at once: a round's logs hold at most
  // kEndRoundIds flows, whatever the number live.
  constexpr uint64_t kEndRoundIds = 4096;
  for (uint64_t below = kEndRoundIds; reader.started() && below <= reader.index();
       below += kEndRoundIds) {
    std::shared_ptr<Batch> round = fresh_batch(false);
    round->finish_below = below;
    dispatch(std::move(round));
  }
  std::shared_ptr<Batch> end = fresh_batch(false);
  end->finish_below = UINT64_MAX;
  end->last = true;
  dispatch(std::move(end));
  while (!in_flight.empty()) {
    drain_one();
  }
  stop();
  uint64_t unmatched_total = 0;
  for (uint64_t u : unmatched) {
    unmatched_total += u;
  }
  reader.add_kinds(raw_kinds);
  return reader.counts(unmatched_total);
}

}  // namespace

ReplaySummary with_unmatched(ReplaySummary counts, uint64_t unmatched) {
  if (unmatched != 0) {
    counts.unusable["icmp-error-unmatched"] = unmatched;
  }
  return counts;
}

void ReplaySink::on_egress_packet(const RawPacket&, const DecodedPacket&,
                                  std::span<const uint8_t>) {}
void ReplaySink::on_progress(const ReplayProgress&) {}

struct Replayer::Impl {
  Impl(const Engine& e, ReplayOptions o, ReplaySink& s)
      : options(o), sink(s), reader(options), stage(options, s), tracker(e, options, stage) {}

  ReplayOptions options;
  ReplaySink& sink;
  PacketReader reader;
  EgressStage stage;
  FlowTracker tracker;
  DecodedPacket decoded;
  std::optional<ReplaySummary> summary;
  PacketFilter* filter = nullptr;

  void push(const RawPacket& packet) {
    if (!reader.started()) {
      stage.set_first_ns(packet.ts_ns);
    }
    bool ip = reader.take(packet, decoded);
    if (reader.progress_due()) {
      sink.on_progress(reader.progress(stage.flows(), stage.live_flows()));
    }
    if (ip && (filter == nullptr || filter->keep(decoded.key))) {
      tracker.push(
          TrackedPacket{&packet, &decoded, reader.index(), reader.now(), flow_hash(decoded.key)});
    }
  }

  const ReplaySummary& finish() {
    if (!summary) {
      tracker.finish(reader.now());
      ReaderCounts r = reader.counts(tracker.unmatched_icmp_errors());
      summary = stage.finish(with_unmatched(std::move(r.counts), r.unmatched));
    }
    return *summary;
  }
};

Result<ReaderCounts> run_trackers(const Engine& engine, PacketSource& source,
                                  const ReplayOptions& options, OrderedOutput& out,
                                  PacketFilter* filter, ReplaySink& progress) {
  if (options.threads > 1) {
    // The calling thread reads and runs the stage: one thread of the N.
    return run_threaded(engine, source, options, out, filter, progress, options.threads - 1);
  }
  PacketReader reader(options);
  FlowTracker tracker(engine, options, out);
  DecodedPacket decoded;
  Result<bool> read = for_each_packet(source, [&](const RawPacket& packet) {
    if (!reader.started()) {
      out.set_first_ns(packet.ts_ns);
    }
    bool ip = reader.take(packet, decoded);
    if (reader.progress_due()) {
      progress.on_progress(reader.progress(out.flows(), out.live_flows()));
    }
    if (ip && (filter == nullptr || filter->keep(decoded.key))) {
      tracker.push(
          TrackedPacket{&packet, &decoded, reader.index(), reader.now(), flow_hash(decoded.key)});
    }
  });
  if (!read.ok()) {
    return read.error();
  }
  tracker.finish(reader.now());
  return reader.counts(tracker.unmatched_icmp_errors());
}

Replayer::Replayer(const Engine& engine, ReplayOptions options, ReplaySink& sink)
    : impl_(std::make_unique<Impl>(engine, options, sink)) {}
Replayer::~Replayer() = default;

void Replayer::push(const RawPacket& packet) {
  impl_->push(packet);
}
const ReplaySummary& Replayer::finish() {
  return impl_->finish();
}
uint64_t Replayer::live_flows() const {
  return impl_->tracker.live_flows();
}
size_t Replayer::memory_bytes() const {
  return impl_->tracker.memory_bytes() + impl_->stage.memory_bytes();
}

Result<ReplaySummary> replay(const Engine& engine, PacketSource& source,
                             const ReplayOptions& options, ReplaySink& sink) {
  if (options.threads > 1) {
    EgressStage stage(options, sink);
    Result<ReaderCounts> r =
        run_threaded(engine, source, options, stage, nullptr, sink, options.threads - 1);
    if (!r.ok()) {
      return r.error();
    }
    ReplaySummary summary = stage.finish(with_unmatched(std::move(r->counts), r->unmatched));
    summary.warnings = source.warnings();
    return summary;
  }
  Replayer replayer(engine, options, sink);
  Result<bool> read = for_each_packet(source, [&](const RawPacket& p) { replayer.push(p); });
  if (!read.ok()) {
    return read.error();
  }
  ReplaySummary summary = replayer.finish();
  summary.warnings = source.warnings();
  return summary;
}

}  // namespace egress
