// Re-derives the TCP and UDP conversation counts of the shared captures with tshark and
// compares them with ours, so the numbers in capture_reader_test's table stay honest; and
// checks that tshark reads the link headers PcapWriter puts on reframed packets.
// Skipped when tshark is not on PATH.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "capture/capture_summary.h"
#include "capture/packet_builder.h"
#include "capture/shared_captures.h"
#include "egress/capture/pcap_writer.h"

namespace egress {
namespace {

bool have_tshark() {
  return std::system("command -v tshark >/dev/null 2>&1") == 0;
}

struct Conversations {
  int tcp = 0;
  int udp = 0;
};

// Counts the `<->` lines of each table `tshark -q -z conv,tcp -z conv,udp` prints.
Conversations tshark_conversations(const std::string& path) {
  const std::string command = "tshark -r '" + path + "' -q -z conv,tcp -z conv,udp 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  Conversations c;
  if (!pipe) {
    return c;
  }
  int* table = nullptr;
  char line[1024];
  while (std::fgets(line, sizeof line, pipe.get()) != nullptr) {
    const std::string text(line);
    if (text.find("TCP Conversations") != std::string::npos) {
      table = &c.tcp;
    } else if (text.find("UDP Conversations") != std::string::npos) {
      table = &c.udp;
    } else if (table != nullptr && text.find("<->") != std::string::npos) {
      ++*table;
    }
  }
  return c;
}

// For every row of the shared table: tshark's counts are the table's (ours, or the tshark
// numbers a row gives with the reason), and for the files we read, our live counts are
// tshark's up to those same documented differences.
TEST(TsharkAgreement, TcpAndUdpConversationCounts) {
  if (!have_tshark()) {
    GTEST_SKIP() << "tshark is not on PATH";
  }
  for (const test::SharedCase& c : test::kSharedCaptures) {
    SCOPED_TRACE(c.file);
    const std::string path = test::kCapturesDir + c.file;
    const Conversations theirs = tshark_conversations(path);
    const int expected_tcp = c.tshark_tcp >= 0 ? c.tshark_tcp : c.tcp_flows;
    const int expected_udp = c.tshark_udp >= 0 ? c.tshark_udp : c.udp_flows;
    EXPECT_EQ(theirs.tcp, expected_tcp) << c.note;
    EXPECT_EQ(theirs.udp, expected_udp) << c.note;
    if (*c.error != '\0') {
      continue;
    }
    auto reader = CaptureReader::open(path);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    const test::CaptureSummary ours = test::summarize(**reader);
    if (c.tshark_tcp < 0) {
      EXPECT_EQ(ours.tcp_flows, theirs.tcp);
    }
    if (c.tshark_udp < 0) {
      EXPECT_EQ(ours.udp_flows, theirs.udp);
    }
  }
}

// tshark's output lines for `tshark -r PATH ARGS`.
std::vector<std::string> tshark_lines(const std::string& path, const std::string& args) {
  const std::string command = "tshark -r '" + path + "' " + args + " 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::vector<std::string> lines;
  char line[1024];
  while (pipe && std::fgets(line, sizeof line, pipe.get()) != nullptr) {
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
      text.pop_back();
    }
    lines.push_back(text);
  }
  return lines;
}

// For every link type a file can have: a packet of its own, then an IPv4 and an IPv6 packet
// of another link type reframed into it. tshark finds each UDP packet, nothing malformed.
TEST(TsharkReadsPcapWriter, ReframedHeadersOfEveryLinkType) {
  if (!have_tshark()) {
    GTEST_SKIP() << "tshark is not on PATH";
  }
  using test::Bytes;
  // No protocol of tshark's is on these ports, so the payload is only data.
  static constexpr uint16_t kPort = 61000;
  auto udp = [](uint8_t version, uint16_t sport) {
    if (version == 4) {
      return test::cat({test::ipv4(0x0A000001, 0x08080808, 17, 8 + 4), test::udp(sport, kPort, 4),
                        Bytes{1, 2, 3, 4}});
    }
    Bytes header = test::udp(sport, kPort, 3);
    header[6] = 0x12;  // IPv6 forbids a UDP checksum of 0; tshark does not verify the others
    header[7] = 0x34;
    return test::cat({test::ipv6(1, 2, 17, 8 + 3), header, Bytes{1, 2, 3}});
  };
  for (uint16_t target : {kLinkEthernet, kLinkLinuxSll, kLinkLinuxSll2, kLinkRaw, kLinkIpv4,
                          kLinkIpv6, kLinkNull, kLinkLoop, kLinkNflog}) {
    SCOPED_TRACE(target);
    const std::string path =
        testing::TempDir() + "/egress_reframe_" + std::to_string(target) + ".pcap";
    std::FILE* file = std::fopen(path.c_str(), "wb");
    ASSERT_NE(file, nullptr);
    std::vector<std::string> expected;
    {
      PcapWriter writer(file, path);
      const uint8_t native = target == kLinkIpv6 ? 6 : 4;
      const Bytes own = test::link_frame(target, udp(native, 41000));
      RawPacket p;
      p.link_type = target;
      p.ts_ns = 1700000000'000000000;
      p.data = own;
      p.orig_len = static_cast<uint32_t>(own.size());
      ASSERT_TRUE(writer.write(p));
      expected.push_back("41000");
      const uint16_t source = target == kLinkEthernet ? kLinkLinuxSll2 : kLinkEthernet;
      for (uint8_t version : {4, 6}) {
        const uint16_t sport = version == 4 ? 42000 : 42001;
        const Bytes ip = udp(version, sport);
        const Bytes other = test::link_frame(source, ip);
        p.link_type = source;
        p.ts_ns += 1000;
        p.data = other;
        p.orig_len = static_cast<uint32_t>(other.size());
        ASSERT_TRUE(writer.write(p, static_cast<uint32_t>(other.size() - ip.size()), version));
        if ((target != kLinkIpv4 || version == 4) && (target != kLinkIpv6 || version == 6)) {
          expected.push_back(std::to_string(sport));
        }
      }
      ASSERT_TRUE(writer.finish().ok());
    }
    std::fclose(file);
    // Per frame: the UDP source port, the malformed mark, the expert severities (8388608:
    // error). One run of tshark per file: each takes a second.
    std::vector<std::string> ports;
    for (const std::string& line :
         tshark_lines(path, "-T fields -e udp.srcport -e _ws.malformed -e _ws.expert.severity")) {
      const size_t tab = line.find('\t');
      ports.push_back(line.substr(0, tab));
      const std::string flags = tab == std::string::npos ? "" : line.substr(tab + 1);
      EXPECT_EQ(flags.find("malformed"), std::string::npos) << line;
      EXPECT_EQ(flags.find("8388608"), std::string::npos) << line;
    }
    EXPECT_EQ(ports, expected);
    std::remove(path.c_str());
  }
}

}  // namespace
}  // namespace egress
