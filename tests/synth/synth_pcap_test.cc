// The generator's packets written as a pcap file with libpcap, then read by other programs:
// libpcap itself, the project's capture reader (so synth and replay's input path test each
// other), and, when it is installed, tshark, which must find no malformed frame, no bad
// checksum and no TCP sequence problem, and the expected number of conversations.
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "egress/capture/capture_reader.h"
#include "egress/config/topology_loader.h"
#include "egress/synth/synth.h"
#include "synth/packet_check.h"

namespace egress {
namespace {

namespace fs = std::filesystem;
using test::Captured;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "synth_pcap_test.XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Generated {
  std::vector<Captured> packets;
  size_t tcp_flows = 0;
  size_t udp_flows = 0;
};

// A mixed capture: IPv4 and IPv6, TCP with FIN and RST endings, UDP, ICMP and ICMPv6.
Generated generate() {
  LoadResult t = load_topology_file(std::string(EGRESS_TOPOLOGIES_DIR) + "/hub-spoke-vpn.yaml");
  EXPECT_TRUE(t.topology.has_value());
  SynthSpec spec;
  spec.flows = 1500;
  spec.seed = 42;
  spec.protocols = {0.5, 0.3, 0.2};
  spec.rst_share = 0.2;
  spec.mean_packets = 14;
  spec.sources = *parse_source_list("pods:system*2,host:vm-app-v6");
  spec.destinations = *parse_destination_list("140.82.112.0/20,2606:50c0::/32");
  Generated g;
  auto source = make_synth_source(*t.topology, spec);
  EXPECT_TRUE(source.ok());
  if (!source.ok()) {
    return g;
  }
  std::set<std::string> udp_tuples;
  RawPacket p;
  for (;;) {
    auto more = (*source)->next(p);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) {
      break;
    }
    g.packets.push_back(Captured{p.ts_ns, p.link_type, p.orig_len, p.number,
                                 std::vector<uint8_t>(p.data.begin(), p.data.end())});
    auto d = test::decode(p.data);
    if (d && d->proto == 6 && d->tcp_flags == 0x02) {
      ++g.tcp_flows;
    }
    if (d && d->proto == 17 && d->sport >= 32768) {
      udp_tuples.insert(d->src.to_string() + " " + std::to_string(d->sport) + " " +
                        d->dst.to_string() + " " + std::to_string(d->dport));
    }
  }
  g.udp_flows = udp_tuples.size();
  return g;
}

void write_pcap(const std::vector<Captured>& packets, const std::string& path) {
  pcap_t* dead =
      pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
  ASSERT_NE(dead, nullptr);
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  ASSERT_NE(dumper, nullptr) << pcap_geterr(dead);
  for (const Captured& c : packets) {
    pcap_pkthdr header{};
    // With nanosecond precision libpcap stores nanoseconds in tv_usec.
    header.ts.tv_sec = c.ts_ns / 1'000'000'000;
    header.ts.tv_usec = c.ts_ns % 1'000'000'000;
    header.caplen = static_cast<bpf_u_int32>(c.bytes.size());
    header.len = c.orig_len;
    pcap_dump(reinterpret_cast<u_char*>(dumper), &header, c.bytes.data());
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
}

// Runs a shell command and returns its standard output.
std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return out;
  }
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    out.append(buffer, n);
  }
  ::pclose(pipe);
  return out;
}

TEST(SynthPcap, LibpcapAndTheCaptureReaderReadBackTheSameFrames) {
  Generated g = generate();
  ASSERT_GT(g.packets.size(), 10000U);
  TempDir dir;
  std::string path = (dir.path() / "synth.pcap").string();
  write_pcap(g.packets, path);

  char error[PCAP_ERRBUF_SIZE] = {};
  pcap_t* in =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, error);
  ASSERT_NE(in, nullptr) << error;
  EXPECT_EQ(pcap_datalink(in), DLT_EN10MB);
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  size_t i = 0;
  while (pcap_next_ex(in, &header, &data) == 1) {
    ASSERT_LT(i, g.packets.size());
    const Captured& c = g.packets[i++];
    EXPECT_EQ(int64_t{header->ts.tv_sec} * 1'000'000'000 + header->ts.tv_usec, c.ts_ns);
    ASSERT_EQ(header->caplen, c.bytes.size());
    EXPECT_TRUE(std::equal(c.bytes.begin(), c.bytes.end(), data));
  }
  pcap_close(in);
  EXPECT_EQ(i, g.packets.size());

  auto reader = CaptureReader::open(path);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  RawPacket p;
  i = 0;
  for (;;) {
    auto more = (*reader)->next(p);
    ASSERT_TRUE(more.ok()) << more.error().message;
    if (!*more) {
      break;
    }
    ASSERT_LT(i, g.packets.size());
    const Captured& c = g.packets[i++];
    EXPECT_EQ(p.ts_ns, c.ts_ns);
    EXPECT_EQ(p.link_type, kLinkEthernet);
    ASSERT_EQ(p.data.size(), c.bytes.size());
    EXPECT_TRUE(std::equal(c.bytes.begin(), c.bytes.end(), p.data.begin()));
  }
  EXPECT_EQ(i, g.packets.size());
}

TEST(SynthPcap, TsharkFindsNoMalformedFramesAndEveryConversation) {
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "tshark is not on PATH";
  }
  Generated g = generate();
  TempDir dir;
  std::string path = (dir.path() / "synth.pcap").string();
  write_pcap(g.packets, path);
  // No decode-as: TCP payloads are zeros and UDP to port 53 carries real DNS messages, so the
  // application dissectors must accept them too.
  const std::string tshark = "tshark -n -r '" + path +
                             "' -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE "
                             "-o udp.check_checksum:TRUE 2>/dev/null ";
  // RST is a warning in tshark's expert info; every other warning or error is a problem.
  const std::string problems =
      "_ws.malformed || ip.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\" || "
      "udp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\" || "
      "icmpv6.checksum.status == \"Bad\" || tcp.analysis.flags || "
      "(_ws.expert.severity >= warning && !tcp.flags.reset)";
  // Frame 1 is added to the filter so that a filter tshark rejects cannot pass as "no
  // problems": exactly frame 1 must come out.
  std::string bad = run(tshark + "-Y '(" + problems +
                        ") || frame.number == 1' -T fields -e frame.number -e _ws.expert.message "
                        "-e _ws.col.Info");
  ASSERT_EQ(bad.rfind("1\t", 0), 0U) << bad;
  EXPECT_EQ(bad.find('\n'), bad.size() - 1) << bad;

  // One line per frame: checksum statuses (1 is good), conversations, DNS.
  std::string fields = run(tshark +
                           "-T fields -E occurrence=f -e ip.checksum.status -e ipv6.version "
                           "-e tcp.checksum.status -e udp.checksum.status -e icmp.checksum.status "
                           "-e icmpv6.checksum.status -e tcp.stream -e udp.stream "
                           "-e dns.flags.response -e dns.count.answers");
  size_t frames = 0;
  size_t checksums_good = 0;
  size_t queries = 0;
  size_t answers = 0;
  std::set<std::string> tcp_streams;
  std::set<std::string> udp_streams;
  size_t start = 0;
  while (start < fields.size()) {
    size_t end = fields.find('\n', start);
    std::string line = fields.substr(start, end - start);
    start = end == std::string::npos ? fields.size() : end + 1;
    std::vector<std::string> f;
    size_t from = 0;
    for (;;) {
      size_t tab = line.find('\t', from);
      f.push_back(line.substr(from, tab - from));
      if (tab == std::string::npos) {
        break;
      }
      from = tab + 1;
    }
    ASSERT_EQ(f.size(), 10U) << line;
    ++frames;
    bool ip_ok = f[0] == "1" || f[1] == "6";
    bool l4_ok = f[2] == "1" || f[3] == "1" || f[4] == "1" || f[5] == "1";
    checksums_good += ip_ok && l4_ok ? 1 : 0;
    if (!f[6].empty()) {
      tcp_streams.insert(f[6]);
    }
    if (!f[7].empty()) {
      udp_streams.insert(f[7]);
    }
    queries += f[8] == "0" ? 1 : 0;
    answers += f[8] == "1" && f[9] == "1" ? 1 : 0;
  }
  EXPECT_EQ(frames, g.packets.size());
  EXPECT_EQ(checksums_good, g.packets.size());
  EXPECT_EQ(tcp_streams.size(), g.tcp_flows);
  EXPECT_EQ(udp_streams.size(), g.udp_flows);
  // Every UDP flow here goes to port 53: each DNS query has its answer.
  EXPECT_GT(queries, g.udp_flows);
  EXPECT_EQ(queries, answers);
}

}  // namespace
}  // namespace egress
