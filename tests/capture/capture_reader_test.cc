#include "egress/capture/capture_reader.h"

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "capture/capture_summary.h"
#include "capture/packet_builder.h"
#include "capture/shared_captures.h"

namespace egress {
namespace {

namespace fs = std::filesystem;
using test::Bytes;
using test::Record;

test::CaptureSummary summarize_file(const std::string& path) {
  auto reader = CaptureReader::open(path);
  if (!reader) {
    EXPECT_EQ(reader.error().where.file, path);
    test::CaptureSummary s;
    s.error = reader.error().message;
    return s;
  }
  return test::summarize(**reader);
}

class SharedCaptures : public testing::TestWithParam<test::SharedCase> {};

TEST_P(SharedCaptures, ReadOrFailWithTheExactMessage) {
  const test::SharedCase& c = GetParam();
  const test::CaptureSummary s = summarize_file(test::kCapturesDir + c.file);
  EXPECT_EQ(s.error, c.error);
  EXPECT_EQ(s.packets, c.packets);
  EXPECT_EQ(s.tcp_flows, c.tcp_flows);
  EXPECT_EQ(s.udp_flows, c.udp_flows);
  EXPECT_EQ(s.icmp_flows, c.icmp_flows);
  EXPECT_EQ(s.kinds, c.kinds);
  EXPECT_EQ(s.warnings, c.warnings);
}

INSTANTIATE_TEST_SUITE_P(Corpus, SharedCaptures, testing::ValuesIn(test::kSharedCaptures),
                         [](const testing::TestParamInfo<test::SharedCase>& p) {
                           std::string name = p.param.file;
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) {
                               ch = '_';
                             }
                           }
                           return name;
                         });

TEST(SharedCaptures, EveryCaptureOfTheCorpusIsInTheTable) {
  std::set<std::string> listed;
  for (const test::SharedCase& c : test::kSharedCaptures) {
    listed.insert(c.file);
  }
  for (const auto& entry : fs::directory_iterator(test::kCapturesDir)) {
    const std::string ext = entry.path().extension().string();
    if (ext == ".pcap" || ext == ".pcapng") {
      EXPECT_TRUE(listed.count(entry.path().filename().string()) == 1)
          << entry.path().filename() << " is not in test::kSharedCaptures";
    }
  }
}

TEST(SharedCaptures, EveryFileOutsideTheTableFailsCleanly) {
  for (const char* name : {"INDEX.md", "LICENSE.zeek"}) {
    const std::string path = test::kCapturesDir + name;
    auto reader = CaptureReader::open(path);
    ASSERT_FALSE(reader.ok());
    EXPECT_EQ(reader.error().message, "unknown file format");
    EXPECT_EQ(reader.error().code, "capture-open");
  }
}

struct Read {
  std::vector<std::string> packets;  // each packet's fields, its bytes in hex
  std::string end;                   // "" or the error that ended reading
  std::vector<std::string> warnings;
};

Read read_everything(PacketSource& source) {
  Read r;
  RawPacket p;
  for (;;) {
    Result<bool> got = source.next(p);
    if (!got) {
      r.end = format_diagnostic(got.error(), "error");
      break;
    }
    if (!*got) {
      break;
    }
    std::string text = std::to_string(p.ts_ns) + " " + std::to_string(p.link_type) + " " +
                       std::to_string(p.orig_len) + " #" + std::to_string(p.number) + " @" +
                       std::to_string(p.offset) + " ";
    for (uint8_t b : p.data) {
      static constexpr char kHex[] = "0123456789abcdef";
      text += kHex[b >> 4];
      text += kHex[b & 15];
    }
    r.packets.push_back(std::move(text));
  }
  for (const Diagnostic& d : source.warnings()) {
    r.warnings.push_back(format_diagnostic(d, "warning"));
  }
  return r;
}

// Read as a stream (a pipe, standard input), every capture of the corpus gives what reading
// it as a file gives: packets, numbers, offsets, errors and warnings, though pcapng goes
// through the strict reader there.
TEST_P(SharedCaptures, AsAStreamAsAsAFile) {
  const test::SharedCase& c = GetParam();
  const std::string path = test::kCapturesDir + c.file;
  auto file_reader = CaptureReader::open(path);
  std::unique_ptr<FILE, int (*)(FILE*)> stream(std::fopen(path.c_str(), "rb"), std::fclose);
  ASSERT_NE(stream, nullptr);
  auto stream_reader = CaptureReader::open_stream(stream.get(), path);
  if (!file_reader) {
    // Opening fails either way; pcapng only once it is read, and in the strict reader's words
    // where libpcap's differ.
    std::string expected = format_diagnostic(file_reader.error(), "error");
    if (std::string(c.file) == "shb-option-too-long.pcapng") {
      expected = path +
                 ": error: packet 1 (offset 0): block total length 52 in the header but "
                 "808464432 in the trailer";
    }
    if (stream_reader) {
      EXPECT_EQ(read_everything(**stream_reader).end, expected);
    } else {
      EXPECT_EQ(format_diagnostic(stream_reader.error(), "error"), expected);
    }
    return;
  }
  ASSERT_TRUE(stream_reader.ok()) << stream_reader.error().message;
  const Read from_file = read_everything(**file_reader);
  const Read from_stream = read_everything(**stream_reader);
  EXPECT_EQ(from_stream.packets, from_file.packets);
  EXPECT_EQ(from_stream.end, from_file.end);
  EXPECT_EQ(from_stream.warnings, from_file.warnings);
}

// Reads a capture held in memory to the end.
test::CaptureSummary summarize_bytes(const Bytes& bytes, const std::string& name = "mem.pcap") {
  auto reader = CaptureReader::open_memory(bytes, name);
  if (!reader) {
    test::CaptureSummary s;
    s.error = reader.error().message;
    return s;
  }
  return test::summarize(**reader);
}

Bytes eth_udp(uint16_t sport) {
  return test::cat(
      {test::ethernet(0x0800), test::ipv4(0x0A000001, 0x0A000002, 17, 8), test::udp(sport, 53)});
}

TEST(CaptureReader, ByteOrdersAndPrecisionsGiveTheSameNanoseconds) {
  const Bytes frame = eth_udp(1000);
  for (bool big_endian : {false, true}) {
    for (bool nano : {false, true}) {
      SCOPED_TRACE(std::string(big_endian ? "big" : "little") + (nano ? " ns" : " us"));
      const uint32_t frac = nano ? 123456000 : 123456;
      Bytes file = test::pcap_file(1, {{1700000000, frac, frame}}, big_endian, nano);
      auto reader = CaptureReader::open_memory(file, "f.pcap", 3);
      ASSERT_TRUE(reader.ok()) << reader.error().message;
      RawPacket p;
      Result<bool> got = (*reader)->next(p);
      ASSERT_TRUE(got.ok() && *got);
      EXPECT_EQ(p.ts_ns, 1700000000123456000);
      EXPECT_EQ(p.link_type, kLinkEthernet);
      EXPECT_EQ(p.orig_len, frame.size());
      EXPECT_EQ(Bytes(p.data.begin(), p.data.end()), frame);
      EXPECT_EQ(p.input, 3U);
      EXPECT_EQ(p.number, 1U);
      EXPECT_EQ(p.offset, 24U);
      got = (*reader)->next(p);
      ASSERT_TRUE(got.ok());
      EXPECT_FALSE(*got);
      got = (*reader)->next(p);
      ASSERT_TRUE(got.ok());
      EXPECT_FALSE(*got) << "stays at the end";
      EXPECT_TRUE((*reader)->warnings().empty());
    }
  }
}

TEST(CaptureReader, RawLinkTypesMapToLinktypeRaw) {
  const Bytes packet = test::cat({test::ipv4(1, 2, 17, 8), test::udp(1, 2)});
  for (uint32_t linktype : {101U, 12U, 14U}) {
    Bytes file = test::pcap_file(linktype, {{1, 0, packet}});
    auto reader = CaptureReader::open_memory(file, "raw.pcap");
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    EXPECT_EQ((*reader)->link_type(), kLinkRaw) << linktype;
  }
}

TEST(CaptureReader, LoopbackLoopFile) {
  Bytes af = {0, 0, 0, 2};
  Bytes file = test::pcap_file(
      108, {{1, 0, test::cat({af, test::ipv4(0x7F000001, 0x7F000001, 6, 20), test::tcp(1, 2)})}});
  test::CaptureSummary s = summarize_bytes(file);
  EXPECT_EQ(s.error, "");
  EXPECT_EQ(s.kinds, "ip=1");
  EXPECT_EQ(s.tcp_flows, 1);
}

struct BadFile {
  const char* name;
  Bytes bytes;
  const char* error;
  uint64_t packets;
  const char* warnings;
};

Bytes two_records() {
  return test::pcap_file(1, {{1, 0, eth_udp(1)}, {2, 0, eth_udp(2)}});
}
Bytes cut(Bytes b, size_t drop) {
  b.resize(b.size() - drop);
  return b;
}
Bytes corrupt_second_caplen() {
  Bytes b = test::pcap_file(1, {{1, 0, eth_udp(1)}, {2, 0, eth_udp(2)}, {3, 0, eth_udp(3)}});
  const size_t second = 24 + 16 + 42;
  b[second + 8] = 0xFF;  // caplen 0x7F0000FF, little-endian
  b[second + 11] = 0x7F;
  return b;
}
Bytes invalid_microseconds() {
  return test::pcap_file(1, {{1, 1000000, eth_udp(1)}});
}
Bytes caplen_above_len() {
  return test::pcap_file(1, {{1, 0, eth_udp(1), 20}});
}

// clang-format off
const BadFile kBadFiles[] = {
    {"empty_file", {}, "truncated dump file; tried to read 4 file header bytes, only got 0", 0, ""},
    {"not_a_capture", Bytes{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n'}, "unknown file format", 0, ""},
    {"header_cut", cut(test::pcap_file(1, {}), 14), "truncated dump file; tried to read 24 file header bytes, only got 6", 0, ""},
    {"last_record_header_cut", cut(two_records(), 42 + 9), "", 1,
     "packet 2 (offset 82): truncated record: truncated dump file; tried to read 16 header bytes, only got 7"},
    {"last_record_data_cut", cut(two_records(), 30), "", 1,
     "packet 2 (offset 82): truncated record: truncated dump file; tried to read 42 captured bytes, only got 12"},
    {"corrupt_record_in_the_middle", corrupt_second_caplen(),
     "packet 2 (offset 82): invalid packet capture length 2130706687, bigger than snaplen of 65535", 1, ""},
    {"microseconds_of_a_full_second", invalid_microseconds(), "", 1,
     "packet 1 (offset 24): invalid timestamp: fraction 1000000000 ns is not below one second; "
     "used as given (later ones not reported)"},
    {"caplen_above_len", caplen_above_len(), "", 1,
     "packet 1 (offset 24): captured length 42 exceeds the original length 20; both used as given "
     "(later ones not reported)"},
};
// clang-format on

void PrintTo(const BadFile& c, std::ostream* os) {
  *os << c.name;
}

class BadFiles : public testing::TestWithParam<BadFile> {};

TEST_P(BadFiles, GiveTheExactErrorOrWarning) {
  const BadFile& c = GetParam();
  const test::CaptureSummary s = summarize_bytes(c.bytes);
  EXPECT_EQ(s.error, c.error);
  EXPECT_EQ(s.packets, c.packets);
  EXPECT_EQ(s.warnings, c.warnings);
}

INSTANTIATE_TEST_SUITE_P(Crafted, BadFiles, testing::ValuesIn(kBadFiles),
                         [](const testing::TestParamInfo<BadFile>& p) {
                           return std::string(p.param.name);
                         });

TEST(CaptureReader, TruncatedPcapngLastBlockIsAWarning) {
  std::ifstream in(test::kCapturesDir + "vlan-pcp-dei.pcapng", std::ios::binary);
  Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(bytes.size(), 1060U);
  const test::CaptureSummary s = summarize_bytes(cut(bytes, 10), "cut.pcapng");
  EXPECT_EQ(s.error, "");
  EXPECT_EQ(s.packets, 8U);
  EXPECT_EQ(s.warnings,
            "packet 9 (offset 972): truncated record: truncated pcapng dump file; tried to read "
            "80 bytes, only got 70");
}

TEST(CaptureReader, CraftedFilesOnDisk) {
  const std::string dir = std::string(EGRESS_TEST_DATA_DIR) + "/captures/";
  test::CaptureSummary loop = summarize_file(dir + "loop-ipv4-tcp.pcap");
  EXPECT_EQ(loop.error, "");
  EXPECT_EQ(loop.kinds, "ip=1");
  EXPECT_EQ(loop.tcp_flows, 1);
  test::CaptureSummary cut_file = summarize_file(dir + "truncated-last-record.pcap");
  EXPECT_EQ(cut_file.error, "");
  EXPECT_EQ(cut_file.packets, 1U);
  EXPECT_EQ(cut_file.warnings,
            "packet 2 (offset 82): truncated record: truncated dump file; tried to read 42 "
            "captured bytes, only got 30");
}

TEST(CaptureReader, ErrorsNameTheFile) {
  auto missing = CaptureReader::open("/nonexistent/x.pcap");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().where.file, "/nonexistent/x.pcap");
  EXPECT_EQ(missing.error().message, "No such file or directory");
  EXPECT_EQ(format_diagnostic(missing.error(), "error"),
            "/nonexistent/x.pcap: error: No such file or directory");

  auto reader = CaptureReader::open_memory(corrupt_second_caplen(), "node-1.pcap");
  ASSERT_TRUE(reader.ok());
  RawPacket p;
  ASSERT_TRUE((*reader)->next(p).ok());
  Result<bool> got = (*reader)->next(p);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, "capture-read");
  EXPECT_EQ(got.error().where.file, "node-1.pcap");
  EXPECT_EQ((*reader)->path(), "node-1.pcap");
}

// Merge: packets come out by time, ties by input order, and each packet's bytes stay valid
// until the next call even though the inputs have moved on.
TEST(MergedSource, OrdersByTimeThenInput) {
  auto at = [](int64_t sec, uint16_t sport) { return Record{sec, 0, eth_udp(sport)}; };
  Bytes a = test::pcap_file(1, {at(1, 101), at(3, 102), at(3, 103), at(5, 104)});
  Bytes b = test::pcap_file(1, {at(2, 201), at(3, 202), at(4, 203)}, true, true);
  std::vector<std::unique_ptr<PacketSource>> inputs;
  for (auto [bytes, i] : {std::pair{&a, 0U}, std::pair{&b, 1U}}) {
    auto reader = CaptureReader::open_memory(*bytes, "in" + std::to_string(i), i);
    ASSERT_TRUE(reader.ok());
    inputs.push_back(std::move(*reader));
  }
  MergedSource merged(std::move(inputs));
  std::vector<int> sports;
  std::vector<std::string> where;
  RawPacket p;
  for (;;) {
    Result<bool> got = merged.next(p);
    ASSERT_TRUE(got.ok());
    if (!*got) {
      break;
    }
    sports.push_back((p.data[34] << 8) | p.data[35]);
    where.push_back(std::to_string(p.input) + "#" + std::to_string(p.number));
  }
  EXPECT_EQ(sports, (std::vector<int>{101, 201, 102, 103, 202, 203, 104}));
  EXPECT_EQ(where, (std::vector<std::string>{"0#1", "1#1", "0#2", "0#3", "1#2", "1#3", "0#4"}));
  EXPECT_TRUE(merged.warnings().empty());
}

TEST(MergedSource, PassesErrorsAndWarningsOfItsInputs) {
  std::vector<std::unique_ptr<PacketSource>> inputs;
  auto good = CaptureReader::open_memory(cut(two_records(), 30), "good.pcap", 0);
  auto bad = CaptureReader::open_memory(corrupt_second_caplen(), "bad.pcap", 1);
  ASSERT_TRUE(good.ok() && bad.ok());
  inputs.push_back(std::move(*good));
  inputs.push_back(std::move(*bad));
  MergedSource merged(std::move(inputs));
  RawPacket p;
  std::string error;
  int packets = 0;
  for (;;) {
    Result<bool> got = merged.next(p);
    if (!got) {
      error = got.error().where.file + ": " + got.error().message;
      break;
    }
    if (!*got) {
      break;
    }
    ++packets;
  }
  EXPECT_EQ(error,
            "bad.pcap: packet 2 (offset 82): invalid packet capture length 2130706687, bigger "
            "than snaplen of 65535");
  // good.pcap's one whole packet, then bad.pcap's first; its second record is the error.
  EXPECT_EQ(packets, 2);
  ASSERT_EQ(merged.warnings().size(), 1U);
  EXPECT_EQ(merged.warnings()[0].where.file, "good.pcap");
}

TEST(OpenCaptures, OpensEveryPathInOrder) {
  const fs::path dir = fs::path(testing::TempDir()) / "egress_open_captures";
  fs::create_directories(dir);
  const std::string first = (dir / "a.pcap").string();
  const std::string second = (dir / "b.pcap").string();
  for (auto [path, sec] : {std::pair{first, 2}, std::pair{second, 1}}) {
    Bytes bytes = test::pcap_file(1, {{sec, 0, eth_udp(static_cast<uint16_t>(sec))}});
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
  }
  auto source = open_captures({first, second});
  ASSERT_TRUE(source.ok()) << source.error().message;
  RawPacket p;
  ASSERT_TRUE((*source)->next(p).ok());
  EXPECT_EQ(p.input, 1U);
  ASSERT_TRUE((*source)->next(p).ok());
  EXPECT_EQ(p.input, 0U);

  auto missing = open_captures({first, (dir / "missing.pcap").string()});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().where.file, (dir / "missing.pcap").string());
  EXPECT_FALSE(open_captures({}).ok());
  fs::remove_all(dir);
}

struct StreamCase {
  const char* name;
  Bytes bytes;
  const char* result;  // error, or the number of packets and warnings
};

// clang-format off
const StreamCase kStreamCases[] = {
    {"empty", {}, "<stdin>: error: truncated dump file; tried to read 4 file header bytes, only got 0"},
    {"three_bytes", {0xd4, 0xc3, 0xb2}, "<stdin>: error: truncated dump file; tried to read 4 file header bytes, only got 3"},
    {"not_a_capture", Bytes{'h', 'e', 'l', 'l', 'o', '\n'}, "<stdin>: error: unknown file format"},
    {"pcap", test::pcap_file(1, {{1, 0, eth_udp(1)}, {2, 0, eth_udp(2)}}), "2 packets"},
    {"pcap_cut", cut(test::pcap_file(1, {{1, 0, eth_udp(1)}, {2, 0, eth_udp(2)}}), 30),
     "1 packets; <stdin>: warning: packet 2 (offset 82): truncated record: truncated dump file; tried to read 42 captured bytes, only got 12"},
    {"pcapng_cut_in_its_first_block", {0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0},
     "<stdin>: error: packet 1 (offset 0): truncated record: truncated pcapng dump file; tried to read 4 bytes, only got 0"},
};
// clang-format on

void PrintTo(const StreamCase& c, std::ostream* os) {
  *os << c.name;
}

class Streams : public testing::TestWithParam<StreamCase> {};

TEST_P(Streams, ReadOrFailWithTheExactMessage) {
  const StreamCase& c = GetParam();
  Bytes bytes = c.bytes;
  bytes.push_back(0);  // fmemopen wants a buffer even for no bytes
  std::unique_ptr<FILE, int (*)(FILE*)> stream(fmemopen(bytes.data(), c.bytes.size(), "rb"),
                                               std::fclose);
  ASSERT_NE(stream, nullptr);
  auto reader = CaptureReader::open_stream(stream.get(), kStdinName);
  std::string result;
  if (!reader) {
    result = format_diagnostic(reader.error(), "error");
  } else {
    const Read r = read_everything(**reader);
    result = r.end.empty() ? std::to_string(r.packets.size()) + " packets" : r.end;
    for (const std::string& w : r.warnings) {
      result += "; " + w;
    }
  }
  EXPECT_EQ(result, c.result);
}

INSTANTIATE_TEST_SUITE_P(CaptureReader, Streams, testing::ValuesIn(kStreamCases));

TEST(OpenCaptures, StandardInputOnlyOnce) {
  auto twice = open_captures({"-", "a.pcap", "-"});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(format_diagnostic(twice.error(), "error"),
            "<stdin>: error: '-' is given more than once: standard input can be read only once");
}

}  // namespace
}  // namespace egress
