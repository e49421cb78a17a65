#include "egress/capture/pcap_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <string>
#include <vector>

#include "capture/packet_builder.h"
#include "egress/capture/capture_reader.h"
#include "egress/capture/packet_decoder.h"

namespace egress {
namespace {

using test::Bytes;

// Every link type replay reads.
constexpr uint16_t kLinkTypes[] = {kLinkEthernet, kLinkLinuxSll, kLinkLinuxSll2,
                                   kLinkRaw,      kLinkIpv4,     kLinkIpv6,
                                   kLinkNull,     kLinkLoop,     kLinkNflog};

Bytes udp4(uint16_t sport) {
  return test::cat(
      {test::ipv4(0x0A000001, 0x08080808, 17, 8 + 4), test::udp(sport, 53, 4), Bytes{1, 2, 3, 4}});
}
Bytes udp6(uint16_t sport) {
  return test::cat({test::ipv6(1, 2, 17, 8 + 3), test::udp(sport, 53, 3), Bytes{1, 2, 3}});
}
// The IP version a link type carries natively in these tests.
Bytes native_ip(uint16_t link_type, uint16_t sport) {
  return link_type == kLinkIpv6 ? udp6(sport) : udp4(sport);
}

RawPacket packet_of(uint16_t link_type, const Bytes& data, int64_t ts_ns, uint32_t orig_len = 0,
                    uint64_t number = 1) {
  RawPacket p;
  p.ts_ns = ts_ns;
  p.link_type = link_type;
  p.orig_len = orig_len == 0 ? static_cast<uint32_t>(data.size()) : orig_len;
  p.data = data;
  p.number = number;
  return p;
}

// A FILE in memory whose bytes the test reads once it is closed.
class MemoryFile {
 public:
  MemoryFile() : file_(open_memstream(&buffer_, &size_)) {}
  ~MemoryFile() {
    close();
    std::free(buffer_);
  }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  std::FILE* get() { return file_; }
  Bytes bytes() {
    close();
    return Bytes(buffer_, buffer_ + size_);
  }

 private:
  void close() {
    if (file_ != nullptr) {
      std::fclose(file_);
      file_ = nullptr;
    }
  }
  char* buffer_ = nullptr;
  size_t size_ = 0;
  std::FILE* file_;
};

uint32_t header_link_type(const Bytes& file) {
  return file[20] | (file[21] << 8) | (file[22] << 16) | (static_cast<uint32_t>(file[23]) << 24);
}

std::vector<RawPacket> read_all(const Bytes& file, std::vector<Bytes>& storage) {
  std::vector<RawPacket> out;
  auto reader = CaptureReader::open_memory(file, "out.pcap");
  EXPECT_TRUE(reader.ok()) << reader.error().message;
  if (!reader) {
    return out;
  }
  RawPacket p;
  for (;;) {
    Result<bool> got = (*reader)->next(p);
    EXPECT_TRUE(got.ok()) << got.error().message;
    if (!got.ok() || !*got) {
      break;
    }
    storage.emplace_back(p.data.begin(), p.data.end());
    out.push_back(p);
  }
  storage.shrink_to_fit();
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].data = storage[i];
  }
  return out;
}

class EveryLinkType : public testing::TestWithParam<uint16_t> {};

// The file says the LINKTYPE_ value (101 for raw IP, which libpcap calls DLT_RAW 12), and the
// packets come back with their bytes, lengths and nanosecond timestamps.
TEST_P(EveryLinkType, WritesWhatCaptureReaderReadsBack) {
  const uint16_t link_type = GetParam();
  const Bytes first = test::link_frame(link_type, native_ip(link_type, 1000));
  const Bytes second = test::link_frame(link_type, native_ip(link_type, 1001));
  const std::vector<RawPacket> in = {
      packet_of(link_type, first, 1700000000'123456789),
      // Cut by a snaplen: the original length is longer than what was captured.
      packet_of(link_type, second, 2147483647'999999999, static_cast<uint32_t>(second.size()) + 60),
  };
  MemoryFile file;
  PcapWriter writer(file.get(), "out.pcap");
  for (const RawPacket& p : in) {
    ASSERT_TRUE(writer.write(p));
  }
  Result<uint64_t> done = writer.finish();
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(*done, 2U);
  EXPECT_EQ(writer.reframed(), 0U);
  EXPECT_EQ(writer.link_type(), link_type);
  const Bytes bytes = file.bytes();
  ASSERT_GE(bytes.size(), 24U);
  EXPECT_EQ(header_link_type(bytes), link_type);
  std::vector<Bytes> storage;
  const std::vector<RawPacket> out = read_all(bytes, storage);
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(out[i].ts_ns, in[i].ts_ns);
    EXPECT_EQ(out[i].link_type, link_type);
    EXPECT_EQ(out[i].orig_len, in[i].orig_len);
    EXPECT_EQ(Bytes(out[i].data.begin(), out[i].data.end()),
              Bytes(in[i].data.begin(), in[i].data.end()));
  }
}

INSTANTIATE_TEST_SUITE_P(PcapWriter, EveryLinkType, testing::ValuesIn(kLinkTypes),
                         [](const testing::TestParamInfo<uint16_t>& p) {
                           return "linktype_" + std::to_string(p.param);
                         });

struct Reframe {
  uint16_t target;
  uint8_t version;
  bool carried;  // false: no header of the target can carry it, the packet is skipped
};

// Every target link type, each IP version: the reframed packet decodes as the original does.
std::vector<Reframe> reframes() {
  std::vector<Reframe> out;
  for (uint16_t target : kLinkTypes) {
    for (uint8_t version : {4, 6}) {
      const bool carried =
          !(target == kLinkIpv4 && version == 6) && !(target == kLinkIpv6 && version == 4);
      out.push_back({target, version, carried});
    }
  }
  return out;
}

void PrintTo(const Reframe& c, std::ostream* os) {
  *os << "IPv" << int{c.version} << " to link type " << c.target;
}

class Reframes : public testing::TestWithParam<Reframe> {};

TEST_P(Reframes, KeepTheIpPacketBehindTheFilesLinkHeader) {
  const Reframe& c = GetParam();
  // The source is Ethernet, or Linux cooked v2 when the target is Ethernet.
  const uint16_t source = c.target == kLinkEthernet ? kLinkLinuxSll2 : kLinkEthernet;
  const Bytes ip = c.version == 4 ? udp4(2000) : udp6(2000);
  const Bytes first = test::link_frame(c.target, native_ip(c.target, 1000));
  const Bytes other = test::link_frame(source, ip);
  const uint32_t l3 = static_cast<uint32_t>(other.size() - ip.size());
  const int64_t ts = 1700000001'000000500;

  MemoryFile file;
  PcapWriter writer(file.get(), "out.pcap");
  ASSERT_TRUE(writer.write(packet_of(c.target, first, ts - 1)));
  // Wire length 40 bytes beyond the capture: it carries over, with the new header's length.
  const uint32_t orig_len = static_cast<uint32_t>(other.size()) + 40;
  ASSERT_TRUE(writer.write(packet_of(source, other, ts, orig_len), l3, c.version));
  ASSERT_TRUE(writer.finish().ok());
  EXPECT_EQ(writer.reframed(), c.carried ? 1U : 0U);
  EXPECT_EQ(writer.skipped(), c.carried ? 0U : 1U);
  EXPECT_EQ(writer.written(), c.carried ? 2U : 1U);

  std::vector<Bytes> storage;
  const std::vector<RawPacket> out = read_all(file.bytes(), storage);
  ASSERT_EQ(out.size(), c.carried ? 2U : 1U);
  if (!c.carried) {
    return;
  }
  const RawPacket& got = out[1];
  EXPECT_EQ(got.link_type, c.target);
  EXPECT_EQ(got.ts_ns, ts);
  PacketDecoder decoder;
  const DecodedPacket original = decoder.decode(packet_of(source, other, ts, orig_len));
  const DecodedPacket reframed = decoder.decode(got);
  ASSERT_EQ(reframed.kind, PacketKind::kIp);
  EXPECT_EQ(reframed.key, original.key);
  EXPECT_EQ(reframed.ip_version, c.version);
  EXPECT_EQ(Bytes(got.data.begin() + reframed.l3_offset,
                  got.data.begin() + reframed.l3_offset + ip.size()),
            ip);
  // The link header is replaced, the IP packet on the wire stays as long as it was; NFLOG
  // pads its payload TLV to 4 bytes.
  const uint32_t wire_ip = orig_len - l3;
  const uint32_t padding = c.target == kLinkNflog ? (4 - wire_ip % 4) % 4 : 0;
  EXPECT_EQ(got.orig_len, reframed.l3_offset + wire_ip + padding);
}

INSTANTIATE_TEST_SUITE_P(PcapWriter, Reframes, testing::ValuesIn(reframes()),
                         [](const testing::TestParamInfo<Reframe>& p) {
                           return "to_" + std::to_string(p.param.target) + "_ipv" +
                                  std::to_string(p.param.version);
                         });

TEST(PcapWriter, AFileWithoutPacketsHasTheLinkTypeAskedFor) {
  for (uint16_t link_type : {kLinkEthernet, kLinkRaw}) {
    MemoryFile file;
    PcapWriter writer(file.get(), "empty.pcap");
    Result<uint64_t> done = writer.finish(link_type);
    ASSERT_TRUE(done.ok()) << done.error().message;
    EXPECT_EQ(*done, 0U);
    const Bytes bytes = file.bytes();
    ASSERT_EQ(bytes.size(), 24U);
    EXPECT_EQ(header_link_type(bytes), link_type);
    // The nanosecond magic.
    EXPECT_EQ(Bytes(bytes.begin(), bytes.begin() + 4), (Bytes{0x4d, 0x3c, 0xb2, 0xa1}));
  }
}

TEST(PcapWriter, LeavesTheCallersFileOpen) {
  MemoryFile file;
  {
    PcapWriter writer(file.get(), "out.pcap");
    const Bytes frame = test::link_frame(kLinkEthernet, udp4(1));
    ASSERT_TRUE(writer.write(packet_of(kLinkEthernet, frame, 1'000000000)));
    ASSERT_TRUE(writer.finish().ok());
  }
  EXPECT_EQ(std::fputs("after", file.get()), 1);
  const Bytes bytes = file.bytes();
  EXPECT_EQ(std::string(bytes.end() - 5, bytes.end()), "after");
  EXPECT_EQ(bytes.size(), 24U + 16U + 14U + 32U + 5U);
}

struct WriteError {
  const char* name;
  int64_t ts_ns;
  uint16_t link_type;
  const char* message;
};

// clang-format off
const WriteError kWriteErrors[] = {
    {"before_1970", -1, kLinkEthernet,
     "packet 1: timestamp -1 s is outside what pcap's 32-bit seconds hold (1970 to 2038-01-19T03:14:07Z)"},
    {"after_2038_01_19", 2147483648'000000000, kLinkEthernet,
     "packet 1: timestamp 2147483648 s is outside what pcap's 32-bit seconds hold (1970 to 2038-01-19T03:14:07Z)"},
    {"link_type_libpcap_cannot_write", 1, 65000,
     "libpcap cannot write link type 65000 (link-layer type 65000 isn't supported in savefiles)"},
};
// clang-format on

class WriteErrors : public testing::TestWithParam<WriteError> {};

TEST_P(WriteErrors, AreValuesAndStopWriting) {
  const WriteError& c = GetParam();
  MemoryFile file;
  PcapWriter writer(file.get(), "out.pcap");
  const Bytes frame = test::link_frame(kLinkEthernet, udp4(1));
  EXPECT_FALSE(writer.write(packet_of(c.link_type, frame, c.ts_ns)));
  ASSERT_TRUE(writer.error().has_value());
  EXPECT_EQ(writer.error()->message, c.message);
  EXPECT_EQ(writer.error()->code, "pcap-write");
  EXPECT_EQ(writer.error()->where.file, "out.pcap");
  EXPECT_FALSE(writer.write(packet_of(c.link_type, frame, 1)));
  Result<uint64_t> done = writer.finish();
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(format_diagnostic(done.error(), "error"), std::string("out.pcap: error: ") + c.message);
}

INSTANTIATE_TEST_SUITE_P(PcapWriter, WriteErrors, testing::ValuesIn(kWriteErrors),
                         [](const testing::TestParamInfo<WriteError>& p) {
                           return std::string(p.param.name);
                         });

TEST(PcapWriter, AFailedWriteIsAnError) {
  std::FILE* full = std::fopen("/dev/full", "wb");
  if (full == nullptr) {
    GTEST_SKIP() << "no /dev/full";
  }
  {
    PcapWriter writer(full, "full.pcap");
    const Bytes frame = test::link_frame(kLinkEthernet, udp4(1));
    EXPECT_TRUE(writer.write(packet_of(kLinkEthernet, frame, 1)));
    Result<uint64_t> done = writer.finish();
    ASSERT_FALSE(done.ok());
    EXPECT_EQ(format_diagnostic(done.error(), "error"),
              "full.pcap: error: cannot write: No space left on device");
  }
  std::fclose(full);
}

// Past the first megabyte the writer's own thread writes the buffers: every packet comes back
// in the order written, however many buffers it took.
TEST(PcapWriter, ManyBuffersComeBackInOrder) {
  constexpr uint32_t kPackets = 30000;  // about 7 MB: several buffers, some waiting
  MemoryFile file;
  PcapWriter writer(file.get(), "out.pcap");
  for (uint32_t i = 0; i < kPackets; ++i) {
    Bytes frame = test::link_frame(kLinkEthernet, udp4(static_cast<uint16_t>(i)));
    frame.resize(200 + i % 64, static_cast<uint8_t>(i));
    ASSERT_TRUE(writer.write(packet_of(kLinkEthernet, frame, 1700000000'000000000 + i, 0, i + 1)));
  }
  Result<uint64_t> done = writer.finish();
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(*done, kPackets);
  std::vector<Bytes> storage;
  const std::vector<RawPacket> out = read_all(file.bytes(), storage);
  ASSERT_EQ(out.size(), kPackets);
  for (uint32_t i = 0; i < kPackets; ++i) {
    ASSERT_EQ(out[i].ts_ns, 1700000000'000000000 + i) << i;
    ASSERT_EQ(out[i].data.size(), 200 + i % 64) << i;
    ASSERT_EQ(out[i].data.back(), static_cast<uint8_t>(i)) << i;
  }
}

// A write that fails in the background shows at a later write() or at finish(), with the same
// message, and nothing more is taken.
TEST(PcapWriter, AFailedBackgroundWriteIsAnError) {
  std::FILE* full = std::fopen("/dev/full", "wb");
  if (full == nullptr) {
    GTEST_SKIP() << "no /dev/full";
  }
  {
    PcapWriter writer(full, "full.pcap");
    Bytes frame = test::link_frame(kLinkEthernet, udp4(1));
    frame.resize(1000);
    bool refused = false;
    for (int i = 0; i < 20000 && !refused; ++i) {  // 20 MB at most
      refused = !writer.write(packet_of(kLinkEthernet, frame, 1));
    }
    EXPECT_TRUE(refused);
    EXPECT_FALSE(writer.write(packet_of(kLinkEthernet, frame, 1)));
    Result<uint64_t> done = writer.finish();
    ASSERT_FALSE(done.ok());
    EXPECT_EQ(format_diagnostic(done.error(), "error"),
              "full.pcap: error: cannot write: No space left on device");
  }
  std::fclose(full);
}

}  // namespace
}  // namespace egress
