// Replay speed, side by side in one run with the two baselines the issue names:
//
//   BM_BareCopy      libpcap reads the capture and writes every packet back out: the floor.
//   BM_Decode        PacketDecoder::decode alone, on packets held in memory.
//   BM_Replay        egress-sim replay: decode, flow table, engine on new flows, SNAT pools,
//                    and every egress packet rewritten and written (what --pcap-out does).
//   BM_Tcprewrite    tcprewrite (Debian's tcpreplay) rewriting the source addresses of the
//                    same file (--srcipmap), run as a process; skipped when not installed.
//
// The capture is generated once per run with the synth generator (--capture=FILE to use
// another; --packets=N for its size, default 1.2M packets) and read from the page cache by all
// three. items_per_second is packets per second; bytes_per_live_flow is the replay's memory
// (flow table, path cache, port pools) at its peak divided by the live flows then.
#include <benchmark/benchmark.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "egress/capture/capture_reader.h"
#include "egress/capture/packet_decoder.h"
#include "egress/config/topology_loader.h"
#include "egress/engine/engine.h"
#include "egress/replay/replay.h"
#include "egress/synth/synth.h"

namespace egress {
namespace {

std::string g_capture;
std::string g_out;
uint64_t g_packets = 0;
std::string g_topology = std::string(EGRESS_TOPOLOGIES_DIR) + "/aks-loadbalancer.yaml";

std::shared_ptr<const Topology> load_topology() {
  LoadResult r = load_topology_file(g_topology);
  if (!r.topology) {
    return nullptr;
  }
  return std::make_shared<const Topology>(std::move(*r.topology));
}

// Writes `packets` packets of synthetic node traffic to `path`; false on failure.
bool generate(const std::string& path, uint64_t packets) {
  auto topology = load_topology();
  if (!topology) {
    return false;
  }
  SynthSpec spec;
  spec.seed = 1;
  spec.mean_packets = 24;
  spec.flows = packets / 24 + 1;
  spec.flows_per_second = 2000;
  spec.mean_duration_s = 5;
  spec.protocols = ProtocolMix{0.85, 0.15, 0};
  auto source = make_synth_source(*topology, spec);
  if (!source) {
    std::fprintf(stderr, "synth: %s\n", source.error().message.c_str());
    return false;
  }
  pcap_t* dead =
      pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  if (dumper == nullptr) {
    return false;
  }
  RawPacket p;
  uint64_t n = 0;
  while (n < packets) {
    auto more = (*source)->next(p);
    if (!more || !*more) {
      break;
    }
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(p.ts_ns / 1'000'000'000);
    h.ts.tv_usec = static_cast<suseconds_t>(p.ts_ns % 1'000'000'000);
    h.caplen = static_cast<uint32_t>(p.data.size());
    h.len = p.orig_len;
    pcap_dump(reinterpret_cast<u_char*>(dumper), &h, p.data.data());
    ++n;
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
  g_packets = n;
  return true;
}

void BM_BareCopy(benchmark::State& state) {
  char err[PCAP_ERRBUF_SIZE];
  uint64_t packets = 0;
  for (auto _ : state) {
    pcap_t* in =
        pcap_open_offline_with_tstamp_precision(g_capture.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
    if (in == nullptr) {
      state.SkipWithError(err);
      return;
    }
    pcap_dumper_t* out = pcap_dump_open(in, g_out.c_str());
    pcap_pkthdr* h;
    const u_char* data;
    while (pcap_next_ex(in, &h, &data) == 1) {
      pcap_dump(reinterpret_cast<u_char*>(out), h, data);
      ++packets;
    }
    pcap_dump_close(out);
    pcap_close(in);
  }
  state.SetItemsProcessed(static_cast<int64_t>(packets));
}

class DumpSink final : public ReplaySink {
 public:
  explicit DumpSink(pcap_dumper_t* out) : out_(out) {}
  void on_flow(const FlowRecord&) override {}
  void on_egress_packet(const RawPacket& p, const DecodedPacket&,
                        std::span<const uint8_t> bytes) override {
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(p.ts_ns / 1'000'000'000);
    h.ts.tv_usec = static_cast<suseconds_t>(p.ts_ns % 1'000'000'000);
    h.caplen = static_cast<uint32_t>(bytes.size());
    h.len = p.orig_len;
    pcap_dump(reinterpret_cast<u_char*>(out_), &h, bytes.data());
  }

 private:
  pcap_dumper_t* out_;
};

// PacketDecoder::decode alone: the capture's first 4,096 packets in one buffer of about a
// megabyte, as the reader's, in cache as the reader leaves them, so that decoding is measured
// and not memory. items_per_second is packets decoded per second.
void BM_Decode(benchmark::State& state) {
  auto reader = CaptureReader::open(g_capture);
  if (!reader) {
    state.SkipWithError(reader.error().message.c_str());
    return;
  }
  std::vector<uint8_t> bytes;
  std::vector<size_t> offsets;
  std::vector<RawPacket> packets;
  RawPacket p;
  while (packets.size() < 4096) {
    auto more = (*reader)->next(p);
    if (!more || !*more) {
      break;
    }
    offsets.push_back(bytes.size());
    bytes.insert(bytes.end(), p.data.begin(), p.data.end());
    packets.push_back(p);
  }
  for (size_t i = 0; i < packets.size(); ++i) {
    packets[i].data = std::span<const uint8_t>(bytes.data() + offsets[i], packets[i].data.size());
  }
  uint64_t ip = 0;
  for (auto _ : state) {
    PacketDecoder decoder;
    for (const RawPacket& packet : packets) {
      const DecodedPacket d = decoder.decode(packet);
      ip += d.kind == PacketKind::kIp ? d.key.sport : 0;
    }
    benchmark::DoNotOptimize(ip);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * packets.size()));
}

void BM_Replay(benchmark::State& state) {
  auto topology = load_topology();
  auto engine = Engine::build(topology);
  if (!engine) {
    state.SkipWithError("topology");
    return;
  }
  uint64_t packets = 0;
  uint64_t peak_live = 0;
  size_t peak_memory = 0;
  uint64_t written = 0;
  for (auto _ : state) {
    auto reader = CaptureReader::open(g_capture);
    if (!reader) {
      state.SkipWithError(reader.error().message.c_str());
      return;
    }
    pcap_t* dead =
        pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
    // As egress-sim's --pcap-out writes (tools/output_files.cc): a 1 MiB stdio buffer.
    FILE* file = std::fopen(g_out.c_str(), "wb");
    std::setvbuf(file, nullptr, _IOFBF, size_t{1} << 20);
    pcap_dumper_t* out = pcap_dump_fopen(dead, file);
    DumpSink sink(out);
    ReplayOptions options;
    options.records = false;
    options.rewrite = true;
    options.progress_every = 0;
    Replayer replayer(*engine, options, sink);
    RawPacket p;
    for (;;) {
      auto more = (*reader)->next(p);
      if (!more || !*more) {
        break;
      }
      replayer.push(p);
      if ((++packets & 0xffff) == 0 && replayer.live_flows() > peak_live) {
        peak_live = replayer.live_flows();
        peak_memory = replayer.memory_bytes();
      }
    }
    written = replayer.finish().egress_packets_written;
    pcap_dump_close(out);
    pcap_close(dead);
  }
  state.SetItemsProcessed(static_cast<int64_t>(packets));
  state.counters["peak_live_flows"] = static_cast<double>(peak_live);
  state.counters["bytes_per_live_flow"] =
      peak_live == 0 ? 0 : static_cast<double>(peak_memory) / static_cast<double>(peak_live);
  state.counters["written_share"] =
      static_cast<double>(written) / static_cast<double>(g_packets == 0 ? 1 : g_packets);
}

void BM_Tcprewrite(benchmark::State& state) {
  if (std::system("command -v tcprewrite >/dev/null 2>&1") != 0) {
    state.SkipWithError("tcprewrite not installed (Debian package tcpreplay)");
    return;
  }
  // The synthetic nodes are in 10.224.0.0/16; map every source there to a public /16, which
  // is what a SNAT point does to the addresses.
  std::string command = "tcprewrite --infile=" + g_capture + " --outfile=" + g_out +
                        " --srcipmap=10.224.0.0/16:20.62.0.0/16";
  uint64_t packets = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    if (std::system(command.c_str()) != 0) {
      state.SkipWithError("tcprewrite failed");
      return;
    }
    auto end = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(end - start).count());
    packets += g_packets;
  }
  state.SetItemsProcessed(static_cast<int64_t>(packets));
}

// Wall time for all three: tcprewrite can only be timed from outside.
BENCHMARK(BM_BareCopy)->Unit(benchmark::kMillisecond)->MinTime(2)->UseRealTime();
BENCHMARK(BM_Decode)->Unit(benchmark::kMicrosecond)->MinTime(1);
BENCHMARK(BM_Replay)->Unit(benchmark::kMillisecond)->MinTime(2)->UseRealTime();
BENCHMARK(BM_Tcprewrite)->Unit(benchmark::kMillisecond)->UseManualTime()->MinTime(2);

}  // namespace
}  // namespace egress

int main(int argc, char** argv) {
  uint64_t packets = 1'200'000;
  std::string given;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--capture=", 0) == 0) {
      given = a.substr(10);
    } else if (a.rfind("--packets=", 0) == 0) {
      packets = std::stoull(a.substr(10));
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  // In memory (tmpfs) when the machine has one, so that all three measure processing, not
  // the disk.
  std::string base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  std::string dir = base + "/egress-replay-bench-" + std::to_string(::getpid());
  std::string mk = "mkdir -p " + dir;
  if (std::system(mk.c_str()) != 0) {
    return 1;
  }
  egress::g_out = dir + "/out.pcap";
  if (given.empty()) {
    egress::g_capture = dir + "/in.pcap";
    if (!egress::generate(egress::g_capture, packets)) {
      std::fprintf(stderr, "replay_bench: cannot generate the capture\n");
      return 1;
    }
  } else {
    egress::g_capture = given;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(given.c_str(), err);
    if (p == nullptr) {
      std::fprintf(stderr, "replay_bench: %s\n", err);
      return 1;
    }
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1) {
      ++egress::g_packets;
    }
    pcap_close(p);
  }
  benchmark::AddCustomContext("capture", egress::g_capture);
  benchmark::AddCustomContext("capture_packets", std::to_string(egress::g_packets));
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::string rm = "rm -rf " + dir;
  return std::system(rm.c_str()) == 0 ? 0 : 1;
}
