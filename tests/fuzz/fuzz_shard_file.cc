// Fuzz target for the shard files `merge` reads: any bytes as a shard file, opened, checked and,
// when it passes as one run's only shard, merged with every output on. A damaged file is an
// error naming it, never a crash, and never a port taken for a packet past its bytes.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "egress/config/topology_loader.h"
#include "egress/engine/engine.h"
#include "egress/replay/shard.h"
#include "fuzz_checks.h"

namespace {

using egress::fuzz::check;

class CheckingSink final : public egress::ReplaySink {
 public:
  void on_flow(const egress::FlowRecord&) override {}
  void on_egress_packet(const egress::RawPacket& packet, const egress::DecodedPacket&,
                        std::span<const uint8_t> bytes) override {
    check(bytes.size() == packet.data.size(), "a rewritten packet keeps its length");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char path[] = "/tmp/fuzz-shard-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) {
    return 0;
  }
  bool written = write(fd, data, size) == static_cast<ssize_t>(size);
  close(fd);
  if (written) {
    egress::Result<egress::ShardSet> set = egress::ShardSet::open({path});
    if (!set) {
      check(set.error().message.rfind(path, 0) == 0 || set.error().code == "bad-shard",
            "a refused shard file is named");
    } else {
      egress::LoadResult loaded =
          egress::parse_topology(set->run().topology_text, set->run().topology_name);
      if (loaded.topology) {
        auto topology = std::make_shared<const egress::Topology>(std::move(*loaded.topology));
        egress::Result<egress::Engine> engine = egress::Engine::build(topology);
        if (engine) {
          egress::ReplayOptions options;
          options.records = true;
          // A shard without packets refuses --pcap-out before its events are read.
          options.rewrite = set->packets();
          CheckingSink sink;
          egress::Result<egress::ReplaySummary> merged = set->merge(*engine, options, sink);
          check(merged.ok() || !merged.error().message.empty(), "a failed merge says why");
        }
      }
    }
  }
  unlink(path);
  return 0;
}
