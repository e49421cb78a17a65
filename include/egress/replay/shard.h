// A replay split across processes or machines (`replay --shard I/N`, `egress-sim merge`).
//
// Every shard reads every packet of the same captures (the reader's clock and counts are the
// whole input's), but tracks only its own flows: those whose egress resource (the NAT gateway,
// load balancer, appliance or instance IP that translates them), or for flows with none, whose
// flow hash, falls to it. It writes what its trackers decided as a shard file: the events a
// single replay's ordered stage would have seen from those flows, each with its place in that
// order. `merge` runs the one ordered stage (ports, summary, records, rewritten packets) over
// the events of all N shards in that order, so its output is a single replay's, byte for byte.
//
// Shard file (little-endian, written by this build and read only by the same format version):
//   header:  "EGSHARD\n", u32 version, u32 index, u32 count, u64 seed, u32 scale,
//            f64 speedup, u64 layout (sizes of the structures copied as bytes),
//            string topology name, string topology text, string command, u32 count and
//            strings of the captures, u8 packets (1: the packet events are there)
//   events:  u8 kind, then the kind's fields (see shard_file.cc), in key order
//   trailer: u8 kEnd, the reader's counts, the capture digest, the source's warnings,
//            u64 offset of the trailer, "EGSHARD\x04"
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "egress/capture/raw_packet.h"
#include "egress/engine/engine.h"
#include "egress/replay/replay.h"
#include "egress/util/result.h"

namespace egress {

struct ShardSpec {
  uint32_t index = 0;
  uint32_t count = 1;
};

/// "I/N" with 0 <= I < N, N >= 1.
Result<ShardSpec> parse_shard_spec(std::string_view text);

/// What a shard file says of the run, for the merge's checks and for loading the topology.
struct ShardRun {
  std::string topology_name;          // the file as the shard run named it
  std::string topology_text;          // its YAML, so merge needs no copy of its own
  std::string command;                // replay or synth, for the report's title
  std::vector<std::string> captures;  // as the shard run named them (replay)
  /// The shard file carries its flows' packets, which only merge --pcap-out reads. Without
  /// them (--shard-no-packets) it holds a few events a flow, and merge takes time in
  /// proportion to the flows instead of the packets.
  bool packets = true;
};

/// What one shard run kept.
struct ShardOutcome {
  uint64_t packets = 0;  // every packet read (all shards read all)
  uint64_t flows = 0;    // the flows this shard tracked
};

/// Replays `source` keeping shard `spec`'s flows and writes the shard file to `out` (the
/// caller publishes it only on success). Errors are the source's, or a write failure.
Result<ShardOutcome> replay_shard(const Engine& engine, PacketSource& source,
                                  const ReplayOptions& options, ShardSpec spec, const ShardRun& run,
                                  std::FILE* out, const std::string& out_name,
                                  ReplaySink& progress);

/// N shard files, checked to be one run's N shards.
class ShardSet {
 public:
  ShardSet();
  ~ShardSet();
  ShardSet(ShardSet&&) noexcept;
  ShardSet& operator=(ShardSet&&) noexcept;

  /// Opens and checks `paths`: each a complete shard file, indices 0..N-1 each once, all of
  /// one topology, seed, scaling and input. The first problem found is the error.
  static Result<ShardSet> open(const std::vector<std::string>& paths);

  const ShardRun& run() const;
  /// Every shard carries its packets: merge can write --pcap-out.
  bool packets() const;
  uint64_t seed() const;
  uint32_t scale() const;
  double speedup() const;

  /// The ordered stage over every shard's events: the summary and the sink's records and
  /// packets, as replay gives them with `options` (seed, scale and speedup are the shards').
  /// `engine` is the shards' topology's, to trace the records. options.rewrite needs
  /// packets(); without them it is an error naming the first shard that has none.
  Result<ReplaySummary> merge(const Engine& engine, ReplayOptions options, ReplaySink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace egress
