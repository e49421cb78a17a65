// Re-derives the TCP and UDP conversation counts of the shared captures with tshark and
// compares them with ours, so the numbers in capture_reader_test's table stay honest.
// Skipped when tshark is not on PATH.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

#include "capture/capture_summary.h"
#include "capture/shared_captures.h"

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

}  // namespace
}  // namespace egress
