// Our classic pcap parser (classic_pcap_reader.h) against libpcap on the same bytes: every
// classic pcap of the shared corpus and crafted edge cases, each read as a file (mapped), in
// memory and as a stream, must give the same packets (time, link type, lengths, bytes,
// numbers, offsets), the same end or error and the same warnings as libpcap does.
#include "capture/classic_pcap_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "capture/capture_reader_internal.h"
#include "capture/packet_builder.h"
#include "capture/shared_captures.h"

namespace egress {
namespace {

namespace fs = std::filesystem;
using test::Bytes;
using test::Record;

struct Read {
  bool own = false;  // read by our parser
  std::vector<std::string> packets;
  std::string end;  // "" or the error that ended reading (or refused the file)
  std::vector<std::string> warnings;
};

Read read_everything(Result<std::unique_ptr<CaptureReader>> opened) {
  Read r;
  if (!opened) {
    r.end = format_diagnostic(opened.error(), "error");
    return r;
  }
  CaptureReader& reader = **opened;
  r.own = reads_classic_pcap_itself(reader);
  RawPacket p;
  for (;;) {
    Result<bool> got = reader.next(p);
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
  Result<bool> after = reader.next(p);
  if (!after || *after) {
    r.end += " | and more after the end";
  }
  for (const Diagnostic& d : reader.warnings()) {
    r.warnings.push_back(format_diagnostic(d, "warning"));
  }
  if (reader.link_type() != (r.packets.empty() ? reader.link_type() : p.link_type)) {
    r.end += " | link_type() is not the packets'";
  }
  return r;
}

void expect_same(const Read& ours, const Read& libpcap) {
  EXPECT_EQ(ours.packets, libpcap.packets);
  EXPECT_EQ(ours.end, libpcap.end);
  EXPECT_EQ(ours.warnings, libpcap.warnings);
  EXPECT_FALSE(libpcap.own);
}

Read read_stream(const std::string& path, ClassicPcapBy by) {
  std::unique_ptr<FILE, int (*)(FILE*)> stream(std::fopen(path.c_str(), "rb"), std::fclose);
  EXPECT_NE(stream, nullptr);
  return read_everything(open_capture_stream(stream.get(), path, 0, by));
}

// Every way in for one file: mapped, in memory, as a stream.
// `taken`: whether our parser must be the one reading (nullopt: either).
void expect_same_every_way(const std::string& path, std::optional<bool> taken) {
  SCOPED_TRACE(path);
  const Read mapped = read_everything(open_capture(path, 0, ClassicPcapBy::kOwnReader));
  const Read libpcap = read_everything(open_capture(path, 0, ClassicPcapBy::kLibpcap));
  EXPECT_TRUE(!taken || mapped.own == *taken);
  expect_same(mapped, libpcap);

  std::ifstream in(path, std::ios::binary);
  const Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const Read memory =
      read_everything(open_capture_memory(bytes, path, 0, ClassicPcapBy::kOwnReader));
  const Read memory_libpcap =
      read_everything(open_capture_memory(bytes, path, 0, ClassicPcapBy::kLibpcap));
  EXPECT_TRUE(!taken || memory.own == *taken);
  expect_same(memory, memory_libpcap);

  const Read streamed = read_stream(path, ClassicPcapBy::kOwnReader);
  const Read streamed_libpcap = read_stream(path, ClassicPcapBy::kLibpcap);
  EXPECT_TRUE(!taken || streamed.own == *taken);
  expect_same(streamed, streamed_libpcap);
}

bool is_classic_pcap(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char m[4] = {};
  in.read(reinterpret_cast<char*>(m), 4);
  const uint32_t v = uint32_t{m[0]} << 24 | uint32_t{m[1]} << 16 | uint32_t{m[2]} << 8 | m[3];
  return v == 0xa1b2c3d4 || v == 0xd4c3b2a1 || v == 0xa1b23c4d || v == 0x4d3cb2a1;
}

// The classic pcap files of the corpus our parser leaves to libpcap, and why.
const std::set<std::string> kLeftToLibpcap = {
    "pcap-invalid-version-1.pcap",            // version 1.4
    "linktype-reserved-field-not-zero.pcap",  // bits above the link type's 16
    "tcp_header_heapoverflow.pcap",           // FCS-length bits above the link type's 16
    "unsupported-link-type-160.pcap",         // a link type replay does not decode
};

TEST(ClassicPcapReader, EveryClassicPcapOfTheCorpusReadsAsLibpcapReadsIt) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(test::kCapturesDir)) {
    if (!is_classic_pcap(entry.path())) {
      continue;
    }
    ++files;
    const std::string name = entry.path().filename().string();
    expect_same_every_way(entry.path().string(), !kLeftToLibpcap.contains(name));
  }
  EXPECT_EQ(files, 35);
}

TEST(ClassicPcapReader, CraftedCapturesOnDiskReadAsLibpcapReadsThem) {
  for (const auto& entry :
       fs::directory_iterator(std::string(EGRESS_TEST_DATA_DIR) + "/captures")) {
    if (is_classic_pcap(entry.path())) {
      expect_same_every_way(entry.path().string(), std::nullopt);
    }
  }
}

Bytes eth_udp(uint16_t sport, size_t payload = 0) {
  return test::cat({test::ethernet(0x0800), test::ipv4(0x0A000001, 0x0A000002, 17, 8 + payload),
                    test::udp(sport, 53, payload), Bytes(payload, 0xAB)});
}
Bytes cut(Bytes b, size_t drop) {
  b.resize(b.size() - drop);
  return b;
}
Bytes with(Bytes b, size_t at, std::initializer_list<uint8_t> bytes) {
  for (uint8_t v : bytes) {
    b[at++] = v;
  }
  return b;
}
Bytes three(bool big_endian = false, bool nano = false, uint32_t snaplen = 65535,
            uint32_t link_type = 1) {
  return test::pcap_file(link_type,
                         {{1, 999999, eth_udp(1)}, {-5, 7, eth_udp(2, 100)}, {3, 0, eth_udp(3)}},
                         big_endian, nano, snaplen);
}

struct Crafted {
  const char* name;
  Bytes bytes;
  bool taken;  // our parser reads it (else libpcap)
};

// The record fields at the boundaries libpcap draws: lengths against the snap length and its
// maximum, every place a file can end, signed timestamps, and the headers left to libpcap.
// clang-format off
const Crafted kCrafted[] = {
    {"little_endian_micro", three(), true},
    {"big_endian_micro", three(true), true},
    {"little_endian_nano", three(false, true), true},
    {"big_endian_nano", three(true, true), true},
    {"header_only", test::pcap_file(1, {}), true},
    {"header_cut", cut(test::pcap_file(1, {}), 1), false},
    {"record_header_cut_at_1", cut(three(), 42 + 15), true},
    {"record_header_cut_at_15", cut(three(), 42 + 1), true},
    {"record_data_cut", cut(three(), 1), true},
    {"last_long_record_data_cut", cut(test::pcap_file(1, {{1, 0, eth_udp(1)}, {2, 0, eth_udp(2, 100)}}), 1), true},
    // Records longer than the snap length: libpcap keeps snaplen bytes and skips the rest.
    {"caplen_above_snaplen", three(false, false, 50), true},
    {"caplen_above_snaplen_cut_in_kept_part", cut(three(false, false, 50), 16 + 42 + 142 - 30), true},
    {"caplen_above_snaplen_cut_in_skipped_part", cut(three(false, false, 50), 16 + 42 + 42), true},
    {"snaplen_zero_is_the_maximum", three(false, false, 0), true},
    {"snaplen_above_int_max_is_the_maximum", three(false, false, 0x80000000U), true},
    {"caplen_above_maximum_and_snaplen", with(three(), 24 + 8, {0x01, 0x00, 0x04, 0x00}), true},
    {"caplen_above_maximum_within_snaplen", with(three(false, false, 300000), 24 + 8, {0x01, 0x00, 0x04, 0x00}), true},
    {"caplen_at_maximum_past_the_end", with(three(false, false, 300000), 24 + 8, {0x00, 0x00, 0x04, 0x00}), true},
    {"caplen_above_len", with(three(), 24 + 12, {1, 0, 0, 0}), true},
    {"negative_fraction", with(three(), 24 + 4, {0, 0, 0, 0x80}), true},
    {"fraction_of_a_second_nano", with(three(false, true), 24 + 4, {0x00, 0xCA, 0x9A, 0x3B}), true},
    {"empty_records", test::pcap_file(101, {{1, 0, {}}, {2, 0, {}}}), true},
    {"linux_sll_little_endian", test::pcap_file(113, {{1, 0, test::link_frame(113, test::ipv4(1, 2, 6, 20))}}), true},
    {"linux_sll_big_endian", test::pcap_file(113, {{1, 0, test::link_frame(113, test::ipv4(1, 2, 6, 20))}}, true), false},
    {"nflog_big_endian", test::pcap_file(239, {{1, 0, test::link_frame(239, test::ipv4(1, 2, 6, 20))}}, true), false},
    {"every_link_type_taken_raw", test::pcap_file(101, {{1, 0, test::ipv4(1, 2, 6, 20)}}), true},
    {"loop", test::pcap_file(108, {{1, 0, test::link_frame(108, test::ipv4(1, 2, 6, 20))}}), true},
    {"ipv6_link_type", test::pcap_file(229, {{1, 0, test::ipv6(1, 2, 17, 8)}}), true},
    {"version_2_3", with(three(), 6, {3, 0}), false},
    {"version_2_5", with(three(), 6, {5, 0}), false},
    {"fcs_bits", with(three(), 22, {0x00, 0x30}), false},
    {"atm_rfc1483_is_remapped", three(false, false, 65535, 100), false},
};
// clang-format on

void PrintTo(const Crafted& c, std::ostream* os) {
  *os << c.name;
}

class CraftedFiles : public testing::TestWithParam<Crafted> {};

TEST_P(CraftedFiles, ReadAsLibpcapReadsThemEveryWay) {
  const Crafted& c = GetParam();
  const fs::path dir =
      fs::temp_directory_path() / ("classic_pcap_reader_test." + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / (std::string(c.name) + ".pcap")).string();
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(c.bytes.data()),
              static_cast<std::streamsize>(c.bytes.size()));
  }
  expect_same_every_way(path, c.taken);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(ClassicPcapReader, CraftedFiles, testing::ValuesIn(kCrafted),
                         [](const testing::TestParamInfo<Crafted>& p) {
                           return std::string(p.param.name);
                         });

// 3,000 UDP packets of up to 1,400 bytes: a capture more than two of the reader's buffers long.
std::vector<Record> records_past_two_buffers() {
  std::vector<Record> records;
  for (uint32_t i = 0; i < 3000; ++i) {
    records.push_back({i, i, eth_udp(static_cast<uint16_t>(i), i % 1400)});
  }
  return records;
}

// The parser alone, where CaptureReader cannot show it: a stream's buffer grows for records,
// offsets keep counting across refills, and a stream longer than one buffer reads whole.
TEST(ClassicPcapReader, StreamsLongerThanTheBufferReadWhole) {
  const std::vector<Record> records = records_past_two_buffers();
  const Bytes file = test::pcap_file(1, records);
  ASSERT_GT(file.size(), size_t{2} << 20);
  std::unique_ptr<FILE, int (*)(FILE*)> stream(
      fmemopen(const_cast<uint8_t*>(file.data()), file.size(), "rb"), std::fclose);
  ASSERT_NE(stream, nullptr);
  const auto header = ClassicPcapHeader::parse(file);
  ASSERT_TRUE(header.has_value());
  ASSERT_EQ(std::fseek(stream.get(), ClassicPcapHeader::kSize, SEEK_SET), 0);
  ClassicPcapReader reader(*header, stream.get());
  ClassicPcapRecord record;
  uint64_t offset = ClassicPcapHeader::kSize;
  for (const Record& r : records) {
    ASSERT_EQ(reader.next(record), ClassicPcapReader::Status::kPacket);
    EXPECT_EQ(record.offset, offset);
    EXPECT_EQ(record.seconds, r.sec);
    EXPECT_EQ(record.fraction, int64_t{r.frac} * 1000);
    ASSERT_EQ(record.data.size(), r.data.size());
    EXPECT_TRUE(std::equal(r.data.begin(), r.data.end(), record.data.begin()));
    offset += 16 + r.data.size();
  }
  EXPECT_EQ(reader.next(record), ClassicPcapReader::Status::kEnd);
  EXPECT_EQ(reader.next(record), ClassicPcapReader::Status::kEnd);
}

// keep_bytes(): every record read stays readable, at the address it was handed out at, for as
// long as a pin() taken after it lives, across the refills of a capture three buffers long; a
// file read by pread() and a stream alike. In memory there is nothing to keep.
TEST(ClassicPcapReader, KeptBytesOutliveTheRefillsWhileAPinHoldsThem) {
  const std::vector<Record> records = records_past_two_buffers();
  const Bytes file = test::pcap_file(1, records);
  ASSERT_GT(file.size(), size_t{2} << 20);
  const auto header = ClassicPcapHeader::parse(file);
  ASSERT_TRUE(header.has_value());
  const fs::path path = fs::path(::testing::TempDir()) / "kept_bytes.pcap";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(file.data()),
              static_cast<std::streamsize>(file.size()));
  }
  std::unique_ptr<FILE, int (*)(FILE*)> on_disk(std::fopen(path.c_str(), "rb"), std::fclose);
  std::unique_ptr<FILE, int (*)(FILE*)> stream(
      fmemopen(const_cast<uint8_t*>(file.data()), file.size(), "rb"), std::fclose);
  ASSERT_NE(on_disk, nullptr);
  ASSERT_NE(stream, nullptr);
  ASSERT_EQ(std::fseek(stream.get(), ClassicPcapHeader::kSize, SEEK_SET), 0);
  std::optional<ClassicPcapReader> from_file =
      ClassicPcapReader::read_file(*header, fileno(on_disk.get()), file.size());
  ASSERT_TRUE(from_file.has_value());
  ClassicPcapReader from_stream(*header, stream.get());
  for (ClassicPcapReader* reader : {&*from_file, &from_stream}) {
    ASSERT_TRUE(reader->keep_bytes());
    std::vector<std::shared_ptr<const void>> pins;
    std::vector<std::span<const uint8_t>> seen;
    ClassicPcapRecord record;
    for (size_t i = 0; i < records.size(); ++i) {
      ASSERT_EQ(reader->next(record), ClassicPcapReader::Status::kPacket);
      seen.push_back(record.data);
      if (i % 700 == 699) {
        pins.push_back(reader->pin());
      }
    }
    pins.push_back(reader->pin());
    EXPECT_EQ(reader->next(record), ClassicPcapReader::Status::kEnd);
    for (size_t i = 0; i < records.size(); ++i) {
      ASSERT_EQ(seen[i].size(), records[i].data.size()) << i;
      EXPECT_TRUE(std::equal(records[i].data.begin(), records[i].data.end(), seen[i].begin()))
          << "record " << i << " changed after it was read";
    }
  }
  ClassicPcapReader in_memory(*header, std::span<const uint8_t>(file.data(), file.size()));
  EXPECT_FALSE(in_memory.keep_bytes());
  EXPECT_EQ(in_memory.pin(), nullptr);
  fs::remove(path);
}

}  // namespace
}  // namespace egress
