// The pcapng reader CaptureReader falls back to when libpcap 1.10 refuses a file whose
// interfaces have different link types. Every crafted file below has an Ethernet and then a
// NULL interface before what the test is about, so that libpcap refuses it and the fallback
// reads it (through CaptureReader, the only way the library uses it).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "capture/packet_builder.h"
#include "capture/shared_captures.h"
#include "egress/capture/capture_reader.h"

// Counts allocations while `g_count_allocations` is set, for the steady-state test below.
namespace {
bool g_count_allocations = false;
size_t g_allocations = 0;
}  // namespace

void* operator new(size_t size) {
  if (g_count_allocations) {
    ++g_allocations;
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}
// GCC 12 sees free() on what `new` returned once these are inlined, not knowing that this
// operator new is the malloc above.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace egress {
namespace {

using test::Bytes;

// Block types and options, as numbered by the pcapng draft.
constexpr uint32_t kShb = 0x0A0D0D0A;
constexpr uint32_t kIdb = 1;
constexpr uint32_t kOpb = 2;
constexpr uint32_t kSpb = 3;
constexpr uint32_t kNrb = 4;
constexpr uint32_t kIsb = 5;
constexpr uint32_t kEpb = 6;
constexpr uint16_t kIfTsresol = 9;
constexpr uint16_t kIfTsoffset = 14;

// Writes pcapng blocks in the byte order of the section being written.
class Pcapng {
 public:
  explicit Pcapng(bool big_endian = false) { shb(big_endian); }

  // Two interfaces of different link types, the files libpcap refuses: 0 is Ethernet
  // (`snaplen`), 1 is NULL.
  static Pcapng mixed(bool big_endian = false, uint32_t snaplen = 0) {
    Pcapng p(big_endian);
    p.idb(kLinkEthernet, snaplen).idb(kLinkNull);
    return p;
  }

  Pcapng& shb(bool big_endian, const Bytes& options = {}, uint16_t major = 1) {
    big_endian_ = big_endian;
    Bytes body = {0x1A, 0x2B, 0x3C, 0x4D};
    if (!big_endian) {
      body = {0x4D, 0x3C, 0x2B, 0x1A};
    }
    put16(body, major);
    put16(body, 0);
    put32(body, 0xFFFFFFFF);  // section length unknown
    put32(body, 0xFFFFFFFF);
    return block(kShb, test::cat({body, options}));
  }
  Pcapng& idb(uint16_t link_type, uint32_t snaplen = 0, const Bytes& options = {}) {
    Bytes body;
    put16(body, link_type);
    put16(body, 0);
    put32(body, snaplen);
    return block(kIdb, test::cat({body, options}));
  }
  Pcapng& epb(uint32_t interface_id, uint64_t ts, const Bytes& data, uint32_t orig_len = 0,
              const Bytes& options = {}) {
    Bytes body;
    put32(body, interface_id);
    put32(body, static_cast<uint32_t>(ts >> 32));
    put32(body, static_cast<uint32_t>(ts));
    put32(body, static_cast<uint32_t>(data.size()));
    put32(body, orig_len == 0 ? static_cast<uint32_t>(data.size()) : orig_len);
    return block(kEpb, test::cat({body, pad(data), options}));
  }
  Pcapng& opb(uint16_t interface_id, uint64_t ts, const Bytes& data) {
    Bytes body;
    put16(body, interface_id);
    put16(body, 0);  // drops
    put32(body, static_cast<uint32_t>(ts >> 32));
    put32(body, static_cast<uint32_t>(ts));
    put32(body, static_cast<uint32_t>(data.size()));
    put32(body, static_cast<uint32_t>(data.size()));
    return block(kOpb, test::cat({body, pad(data)}));
  }
  Pcapng& spb(const Bytes& data, uint32_t orig_len = 0) {
    Bytes body;
    put32(body, orig_len == 0 ? static_cast<uint32_t>(data.size()) : orig_len);
    return block(kSpb, test::cat({body, pad(data)}));
  }
  // Any block; `length` and `trailer` override the total length written before and after.
  Pcapng& block(uint32_t type, const Bytes& body, uint32_t length = 0, uint32_t trailer = 0) {
    const auto total = static_cast<uint32_t>(12 + body.size());
    put32(bytes_, type);
    put32(bytes_, length == 0 ? total : length);
    bytes_.insert(bytes_.end(), body.begin(), body.end());
    put32(bytes_, trailer == 0 ? (length == 0 ? total : length) : trailer);
    return *this;
  }

  // One option, in the byte order of the section being written.
  Bytes option(uint16_t code, const Bytes& value) const {
    Bytes b;
    put16(b, code);
    put16(b, static_cast<uint16_t>(value.size()));
    return test::cat({b, pad(value)});
  }
  Bytes u64(uint64_t v) const {
    Bytes b;
    put32(b, static_cast<uint32_t>(big_endian_ ? v >> 32 : v));
    put32(b, static_cast<uint32_t>(big_endian_ ? v : v >> 32));
    return b;
  }

  Bytes bytes() const { return bytes_; }
  Bytes cut(size_t drop) const { return Bytes(bytes_.begin(), bytes_.end() - drop); }

 private:
  static Bytes pad(Bytes b) {
    b.resize((b.size() + 3) & ~size_t{3});
    return b;
  }
  void put16(Bytes& b, uint16_t v) const { big_endian_ ? test::put16(b, v) : test::put16_le(b, v); }
  void put32(Bytes& b, uint32_t v) const { big_endian_ ? test::put32(b, v) : test::put32_le(b, v); }

  Bytes bytes_;
  bool big_endian_ = false;
};

Bytes eth_udp(uint16_t sport) {
  return test::cat(
      {test::ethernet(0x0800), test::ipv4(0x0A000001, 0x0A000002, 17, 8), test::udp(sport, 53)});
}
// BSD loopback: AF_INET (2) in the writer's byte order, little-endian here.
Bytes null_udp(uint16_t sport) {
  return test::cat(
      {Bytes{2, 0, 0, 0}, test::ipv4(0x0A000001, 0x0A000002, 17, 8), test::udp(sport, 53)});
}

struct Read {
  std::vector<RawPacket> packets;  // data left empty: it lives only until the next call
  std::vector<Bytes> data;
  std::string error;
  std::string warnings;  // messages joined with " | "
};

Read read_all(const Bytes& bytes, const std::string& name = "mem.pcapng", uint32_t input = 0) {
  Read r;
  auto reader = CaptureReader::open_memory(bytes, name, input);
  if (!reader) {
    r.error = "open: " + reader.error().message;
    return r;
  }
  RawPacket p;
  for (;;) {
    Result<bool> got = (*reader)->next(p);
    if (!got) {
      EXPECT_EQ(got.error().where.file, name);
      EXPECT_EQ(got.error().code, "capture-read");
      r.error = got.error().message;
      break;
    }
    if (!*got) {
      break;
    }
    r.data.emplace_back(p.data.begin(), p.data.end());
    p.data = {};
    r.packets.push_back(p);
  }
  Result<bool> after = (*reader)->next(p);
  EXPECT_TRUE(after.ok() && !*after) << "nothing after the end or an error";
  for (const Diagnostic& w : (*reader)->warnings()) {
    EXPECT_EQ(w.where.file, name);
    if (!r.warnings.empty()) {
      r.warnings += " | ";
    }
    r.warnings += w.message;
  }
  return r;
}

std::string link_types(const Read& r) {
  std::string s;
  for (const RawPacket& p : r.packets) {
    if (!s.empty()) {
      s += ' ';
    }
    s += std::to_string(p.link_type);
  }
  return s;
}

// The two shared files libpcap refuses. Expected timestamps, interfaces and link types come
// from tshark 4.0, not from our reader:
//   tshark -r FILE -T fields -e frame.time_epoch -e frame.interface_id -e frame.encap_type
// (encap 1 is Ethernet, LINKTYPE 1; encap 15 is NULL, LINKTYPE 0). tshark also lists
// test202's three custom blocks as frames, which are not packets, and shows no time for its
// two simple packet blocks, which carry none (we give them the previous packet's).
struct SharedPcapng {
  const char* file;
  uint64_t packets;
  const char* link_types;
  int64_t first_ts_ns;
  int64_t last_ts_ns;
};

const SharedPcapng kSharedPcapng[] = {
    {"pcapng-le-test006.pcapng", 5, "1 0 1 1 1", 1340954905298858000, 1340954905302858000},
    {"pcapng-le-test202.pcapng", 8, "1 1 0 1 1 1 1 0", 1340954905298858000, 1340954905301858000},
};

TEST(PcapngReader, ReadsTheSharedFilesLibpcapRefuses) {
  for (const SharedPcapng& c : kSharedPcapng) {
    SCOPED_TRACE(c.file);
    std::ifstream in(test::kCapturesDir + c.file, std::ios::binary);
    const Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const Read r = read_all(bytes, c.file, 2);
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.warnings, "");
    ASSERT_EQ(r.packets.size(), c.packets);
    EXPECT_EQ(link_types(r), c.link_types);
    EXPECT_EQ(r.packets.front().ts_ns, c.first_ts_ns);
    EXPECT_EQ(r.packets.back().ts_ns, c.last_ts_ns);
    for (size_t i = 0; i < r.packets.size(); ++i) {
      EXPECT_EQ(r.packets[i].number, i + 1);
      EXPECT_EQ(r.packets[i].input, 2U);
      EXPECT_EQ(r.packets[i].offset % 4, 0U);
      EXPECT_LT(r.packets[i].offset, bytes.size());
    }
  }
}

TEST(PcapngReader, SharedTest202SectionsAndSimplePackets) {
  std::ifstream in(test::kCapturesDir + "pcapng-le-test202.pcapng", std::ios::binary);
  const Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const Read r = read_all(bytes);
  ASSERT_EQ(r.packets.size(), 8U);
  // Block offsets from the file's layout: section 1 (LE) 0x1C0 0x258 0x2D8, section 2 (BE)
  // SPB 0x454, EPB 0x4E4, SPB 0x720, EPB 0x7B0, section 3 (LE) 0xA94.
  const uint64_t offsets[] = {0x1C0, 0x258, 0x2D8, 0x454, 0x4E4, 0x720, 0x7B0, 0xA94};
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(r.packets[i].offset, offsets[i]) << i;
  }
  // Simple packet blocks: the section's interface 0 (snaplen 128), the previous time.
  EXPECT_EQ(r.packets[3].orig_len, 314U);
  EXPECT_EQ(r.data[3].size(), 128U);
  EXPECT_EQ(r.packets[3].ts_ns, r.packets[2].ts_ns);
  EXPECT_EQ(r.packets[5].ts_ns, r.packets[4].ts_ns);
}

TEST(PcapngReader, BothByteOrders) {
  for (bool big_endian : {false, true}) {
    SCOPED_TRACE(big_endian ? "big-endian" : "little-endian");
    Pcapng p = Pcapng::mixed(big_endian);
    p.epb(0, 1700000000123456, eth_udp(1)).epb(1, 1700000001000000, null_udp(2), 1000);
    const Read r = read_all(p.bytes(), "both.pcapng", 3);
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.warnings, "");
    ASSERT_EQ(r.packets.size(), 2U);
    EXPECT_EQ(link_types(r), "1 0");
    EXPECT_EQ(r.packets[0].ts_ns, 1700000000123456000);
    EXPECT_EQ(r.packets[1].ts_ns, 1700000001000000000);
    EXPECT_EQ(r.data[0], eth_udp(1));
    EXPECT_EQ(r.data[1], null_udp(2));
    EXPECT_EQ(r.packets[0].orig_len, 42U);
    EXPECT_EQ(r.packets[1].orig_len, 1000U);
    EXPECT_EQ(r.packets[0].offset, 68U);  // SHB 28 + two IDBs of 20
    EXPECT_EQ(r.packets[1].offset, 68U + 76U);
    EXPECT_EQ(r.packets[1].number, 2U);
    EXPECT_EQ(r.packets[1].input, 3U);
  }
}

// libpcap returns the packets before the second interface, then refuses; the fallback must
// carry on after them, not return them twice.
TEST(PcapngReader, TakesOverAfterThePacketsLibpcapReturned) {
  Pcapng p;
  p.idb(kLinkEthernet).epb(0, 1, eth_udp(1)).epb(0, 2, eth_udp(2));
  p.idb(kLinkNull).epb(1, 3, null_udp(3)).epb(0, 4, eth_udp(4));
  const Read r = read_all(p.bytes());
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(r.packets.size(), 4U);
  EXPECT_EQ(link_types(r), "1 1 0 1");
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r.packets[i].number, i + 1);
    EXPECT_EQ(r.packets[i].ts_ns, static_cast<int64_t>(i + 1) * 1000);
  }
  EXPECT_EQ(r.packets[1].offset, 48U + 76U);
  EXPECT_EQ(r.packets[2].offset, 48U + 76U + 76U + 20U);
}

struct Resolution {
  const char* name;
  Bytes tsresol;     // the option's value; empty: no if_tsresol (microseconds)
  int64_t tsoffset;  // if_tsoffset in seconds; 0: none
  uint64_t units;    // the EPB's 64-bit timestamp
  int64_t ns;        // what we must make of it
  const char* warning = "";
};

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// clang-format off
const Resolution kResolutions[] = {
    {"default_microseconds", {}, 0, 1700000000123456, 1700000000123456000},
    {"decimal_9", {9}, 0, 1700000000123456789, 1700000000123456789},
    {"binary_20", {0x80 | 20}, 0, (uint64_t{1700000000} << 20) + (1U << 19) + 1,
     1700000000500000953},  // 2^19 + 1 units of 2^-20 s: 0.5 s and 953.67 ns
    {"binary_63", {0x80 | 63}, 0, (uint64_t{1} << 63) + (uint64_t{1} << 62), 1500000000},
    {"decimal_19", {19}, 0, std::numeric_limits<uint64_t>::max(), 1844674407},
    {"seconds_with_negative_offset", {0}, -100, 1700000000, 1699999900000000000},
    {"microseconds_with_offset", {}, 1700000000, 5, 1700000000000005000},
    {"before_1970", {}, -1, 250000, -750000000},
    {"past_2262", {0}, 0, uint64_t{1} << 63, kInt64Max,
     "packet 1 (offset 96): invalid timestamp: 9223372036854775808 s is past what nanoseconds "
     "since 1970 can hold (the year 2262); clamped (later ones not reported)"},
    {"before_1677", {0}, -10000000000, 0, kInt64Min,
     "packet 1 (offset 108): invalid timestamp: -10000000000 s is past what nanoseconds "
     "since 1970 can hold (the year 2262); clamped (later ones not reported)"},
};
// clang-format on

void PrintTo(const Resolution& c, std::ostream* os) {
  *os << c.name;
}

class Resolutions : public testing::TestWithParam<Resolution> {};

TEST_P(Resolutions, GiveNanosecondsSinceTheEpoch) {
  const Resolution& c = GetParam();
  for (bool big_endian : {false, true}) {
    SCOPED_TRACE(big_endian ? "big-endian" : "little-endian");
    Pcapng p = Pcapng::mixed(big_endian);
    Bytes options;
    if (!c.tsresol.empty()) {
      options = test::cat({options, p.option(kIfTsresol, c.tsresol)});
    }
    if (c.tsoffset != 0) {
      options =
          test::cat({options, p.option(kIfTsoffset, p.u64(static_cast<uint64_t>(c.tsoffset)))});
    }
    // A third interface, so that libpcap has refused the file before it reads this one.
    p.idb(kLinkRaw, 0, options).epb(2, c.units, test::ipv4(1, 2, 17, 0));
    const Read r = read_all(p.bytes());
    EXPECT_EQ(r.error, "");
    ASSERT_EQ(r.packets.size(), 1U);
    EXPECT_EQ(r.packets[0].ts_ns, c.ns);
    EXPECT_EQ(r.packets[0].link_type, kLinkRaw);
    EXPECT_EQ(r.warnings, c.warning);
  }
}

INSTANTIATE_TEST_SUITE_P(Pcapng, Resolutions, testing::ValuesIn(kResolutions),
                         [](const testing::TestParamInfo<Resolution>& p) {
                           return std::string(p.param.name);
                         });

TEST(PcapngReader, SimplePacketBlocks) {
  Pcapng p = Pcapng::mixed(false, 64);
  // First packet of the file: no earlier time to take.
  p.spb(eth_udp(1));
  p.epb(1, 7000000, null_udp(2));
  // Cut to the interface's snaplen; the block holds just those bytes.
  Bytes long_frame = test::cat({eth_udp(3), Bytes(22, 0xAB)});
  p.spb(Bytes(long_frame.begin(), long_frame.begin() + 64), 1500);
  const Read r = read_all(p.bytes());
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(r.packets.size(), 3U);
  EXPECT_EQ(link_types(r), "1 0 1");
  EXPECT_EQ(r.packets[0].ts_ns, 0);
  EXPECT_EQ(r.data[0], eth_udp(1));
  EXPECT_EQ(r.packets[2].ts_ns, 7000000000);
  EXPECT_EQ(r.packets[2].orig_len, 1500U);
  EXPECT_EQ(r.data[2].size(), 64U);
}

// Interface ids start again at 0 in each section, and each section has its own byte order.
TEST(PcapngReader, SectionsResetInterfacesAndByteOrder) {
  Pcapng p = Pcapng::mixed();
  p.epb(1, 1, null_udp(1));
  p.shb(true).idb(kLinkRaw);
  p.idb(kLinkLinuxSll2, 0, p.option(kIfTsresol, {9}));
  p.epb(0, 2000, test::ipv4(1, 2, 17, 0)).opb(1, 3000, Bytes(20, 0)).spb(test::ipv4(1, 2, 6, 0));
  p.shb(false).idb(kLinkNull);
  p.block(kNrb, Bytes(8, 0)).block(kIsb, Bytes(12, 0)).block(0xBAD, Bytes(8, 1));
  p.block(0x40000BAD, Bytes(4, 2)).block(0x12345678, {});
  p.epb(0, 4, null_udp(4));
  // 12 and 14 are DLT_RAW on some systems; written into files, they mean LINKTYPE_RAW.
  p.idb(12).idb(14).epb(1, 5, test::ipv4(1, 2, 17, 0)).epb(2, 6, test::ipv4(1, 2, 17, 0));
  const Read r = read_all(p.bytes());
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(r.packets.size(), 7U);
  EXPECT_EQ(link_types(r), "0 101 276 101 0 101 101");
  const int64_t ts[] = {1000, 2000000, 3000, 3000, 4000, 5000, 6000};
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(r.packets[i].ts_ns, ts[i]) << i;
  }
}

TEST(PcapngReader, OptionsAreWalkedNotRead) {
  Pcapng p = Pcapng::mixed();
  const Bytes comment = p.option(1, {'h', 'i', '!'});
  const Bytes end = p.option(0, {});
  p.epb(0, 1, eth_udp(1), 0, test::cat({comment, end, Bytes(8, 0xEE)}));
  const Read r = read_all(p.bytes());
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.packets.size(), 1U);
}

// Once the buffer has grown to the largest block, reading allocates nothing.
TEST(PcapngReader, AllocatesNothingPerPacket) {
  Pcapng p = Pcapng::mixed();
  for (uint32_t i = 0; i < 1000; ++i) {
    p.epb(i % 2, i, i % 2 == 0 ? eth_udp(1) : null_udp(1));
    p.spb(eth_udp(2));
  }
  g_allocations = 0;
  g_count_allocations = true;
  auto reader = CaptureReader::open_memory(p.bytes(), "steady.pcapng");
  g_count_allocations = false;
  ASSERT_TRUE(reader.ok());
  ASSERT_GT(g_allocations, 0U) << "the counter sees allocations";
  // The first packet switches to the fallback, which allocates its buffer.
  RawPacket packet;
  ASSERT_TRUE((*reader)->next(packet).ok());
  uint64_t packets = 1;
  g_allocations = 0;
  g_count_allocations = true;
  for (;;) {
    Result<bool> got = (*reader)->next(packet);
    if (!got.ok() || !*got) {
      break;
    }
    ++packets;
  }
  g_count_allocations = false;
  EXPECT_EQ(packets, 2000U);
  EXPECT_EQ(g_allocations, 0U);
}

struct BadPcapng {
  const char* name;
  Bytes bytes;
  const char* error;
  uint64_t packets = 0;
  const char* warnings = "";
};

Bytes with(Pcapng p, const std::function<void(Pcapng&)>& add) {
  add(p);
  return p.bytes();
}
// Two interfaces, then a good Ethernet packet at offset 68, so what follows is at 144.
Pcapng one_packet(bool big_endian = false) {
  Pcapng p = Pcapng::mixed(big_endian);
  p.epb(0, 1, eth_udp(1));
  return p;
}
Bytes section_header_body(const Bytes& magic) {
  return test::cat({magic, Bytes{1, 0, 0, 0}, Bytes(8, 0xFF)});
}

// clang-format off
const BadPcapng kBadPcapng[] = {
    {"length_not_multiple_of_4", with(Pcapng::mixed(), [](Pcapng& p) { p.block(kEpb, Bytes(20, 0), 30); }),
     "packet 1 (offset 68): block total length 30 is not a multiple of 4"},
    {"length_below_12", with(one_packet(true), [](Pcapng& p) { p.block(kNrb, {}, 8); }),
     "packet 2 (offset 144): block total length 8 is less than 12", 1},
    {"length_above_16_mib", with(Pcapng::mixed(), [](Pcapng& p) { p.block(kEpb, {}, 0x02000000); }),
     "packet 1 (offset 68): block total length 33554432 is more than the 16777216 bytes this reader accepts"},
    {"trailer_differs", with(one_packet(), [](Pcapng& p) { p.block(kIsb, Bytes(20, 0), 0, 36); }),
     "packet 2 (offset 144): block total length 32 in the header but 36 in the trailer", 1},
    {"trailer_differs_in_an_unknown_block", with(Pcapng::mixed(true), [](Pcapng& p) { p.block(0x12345, {}, 0, 16); }),
     "packet 1 (offset 68): block total length 12 in the header but 16 in the trailer"},
    {"enhanced_packet_too_short", with(Pcapng::mixed(), [](Pcapng& p) { p.block(kEpb, Bytes(16, 0)); }),
     "packet 1 (offset 68): enhanced packet block length 28 is less than 32"},
    {"simple_packet_too_short", with(Pcapng::mixed(), [](Pcapng& p) { p.block(kSpb, {}); }),
     "packet 1 (offset 68): simple packet block length 12 is less than 16"},
    {"obsolete_packet_too_short", with(one_packet(), [](Pcapng& p) { p.block(kOpb, Bytes(8, 0)); }),
     "packet 2 (offset 144): packet block length 20 is less than 32", 1},
    {"interface_description_too_short", with(Pcapng::mixed(), [](Pcapng& p) { p.block(kIdb, Bytes(4, 0)); }),
     "packet 1 (offset 68): interface description block length 16 is less than 20"},
    {"section_header_too_short", with(one_packet(), [](Pcapng& p) { p.block(kShb, {0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0, 0, 0, 0, 0}); }),
     "packet 2 (offset 144): section header block length 24 is less than 28", 1},
    {"bad_byte_order_magic", with(one_packet(), [](Pcapng& p) { p.block(kShb, section_header_body({0x12, 0x34, 0x56, 0x78})); }),
     "packet 2 (offset 144): byte-order magic 0x12345678 is not 0x1A2B3C4D in either order", 1},
    {"unsupported_version", with(one_packet(), [](Pcapng& p) { p.shb(true, {}, 2); }),
     "packet 2 (offset 144): unsupported pcapng version 2.0", 1},
    {"captured_length_past_the_block", with(Pcapng::mixed(), [](Pcapng& p) {
       Bytes body = {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 100, 0, 0, 0, 100, 0, 0, 0};
       p.block(kEpb, test::cat({body, Bytes(44, 0)}));
     }),
     "packet 1 (offset 68): captured length 100 exceeds the 44 bytes the block holds"},
    {"captured_length_above_snaplen", with(Pcapng::mixed(false, 40), [](Pcapng& p) { p.epb(0, 1, eth_udp(1)); }),
     "packet 1 (offset 68): captured length 42 exceeds the interface's snapshot length 40"},
    {"simple_packet_past_the_block", with(one_packet(true), [](Pcapng& p) { p.spb(eth_udp(2), 100); }),
     "packet 2 (offset 144): captured length 100 exceeds the 44 bytes the block holds", 1},
    {"interface_id_not_defined", with(one_packet(), [](Pcapng& p) { p.epb(2, 1, eth_udp(2)); }),
     "packet 2 (offset 144): interface id 2 is not below the section's 2 interfaces", 1},
    {"interface_id_of_an_earlier_section", with(one_packet(), [](Pcapng& p) { p.shb(true).idb(kLinkEthernet).epb(1, 1, eth_udp(2)); }),
     "packet 2 (offset 192): interface id 1 is not below the section's 1 interfaces", 1},
    {"simple_packet_without_interface", with(one_packet(), [](Pcapng& p) { p.shb(false).spb(eth_udp(2)); }),
     "packet 2 (offset 172): interface id 0 is not below the section's 0 interfaces", 1},
    {"obsolete_packet_interface_not_defined", with(Pcapng::mixed(true), [](Pcapng& p) { p.opb(5, 1, eth_udp(2)); }),
     "packet 1 (offset 68): interface id 5 is not below the section's 2 interfaces"},
    {"packet_option_past_the_block", with(Pcapng::mixed(), [](Pcapng& p) { p.epb(0, 1, eth_udp(1), 0, {1, 0, 20, 0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}); }),
     "packet 1 (offset 68): option 1 of length 20 runs past the end of the block (8 bytes left)"},
    {"interface_option_past_the_block", with(one_packet(true), [](Pcapng& p) { p.idb(kLinkEthernet, 0, {0, 2, 0, 5, 'e', 't', 'h', '0'}); }),
     "packet 2 (offset 144): option 2 of length 5 runs past the end of the block (4 bytes left)", 1},
    {"section_option_past_the_block", with(one_packet(), [](Pcapng& p) { p.shb(false, {1, 0, 0xFF, 0xFF}); }),
     "packet 2 (offset 144): option 1 of length 65535 runs past the end of the block (0 bytes left)", 1},
    {"tsresol_length_2", with(Pcapng::mixed(), [](Pcapng& p) { p.idb(kLinkEthernet, 0, p.option(kIfTsresol, {6, 0})); }),
     "packet 1 (offset 68): if_tsresol has length 2, not 1"},
    {"tsoffset_length_4", with(Pcapng::mixed(true), [](Pcapng& p) { p.idb(kLinkEthernet, 0, p.option(kIfTsoffset, {0, 0, 0, 1})); }),
     "packet 1 (offset 68): if_tsoffset has length 4, not 8"},
    {"tsresol_decimal_20", with(Pcapng::mixed(), [](Pcapng& p) { p.idb(kLinkEthernet, 0, p.option(kIfTsresol, {20})); }),
     "packet 1 (offset 68): if_tsresol 10^-20 is finer than 10^-19"},
    {"tsresol_binary_64", with(Pcapng::mixed(), [](Pcapng& p) { p.idb(kLinkEthernet, 0, p.option(kIfTsresol, {0x80 | 64})); }),
     "packet 1 (offset 68): if_tsresol 2^-64 is finer than 2^-63"},
    {"packet_in_a_section_without_interfaces", with(Pcapng::mixed(), [](Pcapng& p) { p.shb(true).epb(0, 1, eth_udp(1)); }),
     "packet 1 (offset 96): interface id 0 is not below the section's 0 interfaces"},
    {"packet_cut_before_any_packet", Pcapng::mixed().epb(0, 1, eth_udp(1)).cut(20),
     "packet 1 (offset 68): truncated record: truncated pcapng dump file; tried to read 68 bytes, only got 48"},
    {"header_cut_before_any_packet", test::cat({Pcapng::mixed().bytes(), Bytes{6, 0, 0}}),
     "packet 1 (offset 68): truncated record: truncated pcapng dump file; tried to read 8 bytes, only got 3"},
    {"last_packet_cut", one_packet(true).epb(0, 2, eth_udp(2)).cut(10), "", 1,
     "packet 2 (offset 144): truncated record: truncated pcapng dump file; tried to read 68 bytes, only got 58"},
    {"last_header_cut", test::cat({one_packet().bytes(), Bytes{6, 0, 0, 0, 76}}), "", 1,
     "packet 2 (offset 144): truncated record: truncated pcapng dump file; tried to read 8 bytes, only got 5"},
    {"last_section_magic_cut", test::cat({one_packet().bytes(), Bytes{0x0A, 0x0D, 0x0D, 0x0A, 28, 0, 0, 0, 0x4D, 0x3C}}), "", 1,
     "packet 2 (offset 144): truncated record: truncated pcapng dump file; tried to read 4 bytes, only got 2"},
    {"last_statistics_cut", one_packet().block(kIsb, Bytes(20, 0)).cut(4), "", 1,
     "packet 2 (offset 144): truncated record: truncated pcapng dump file; tried to read 24 bytes, only got 20"},
    {"captured_above_original_length", with(Pcapng::mixed(), [](Pcapng& p) { p.epb(1, 1, null_udp(1), 20).epb(1, 2, null_udp(2), 20); }), "", 2,
     "packet 1 (offset 68): captured length 32 exceeds the original length 20; both used as given "
     "(later ones not reported)"},
};
// clang-format on

void PrintTo(const BadPcapng& c, std::ostream* os) {
  *os << c.name;
}

class BadPcapngFiles : public testing::TestWithParam<BadPcapng> {};

TEST_P(BadPcapngFiles, GiveTheExactErrorOrWarning) {
  const BadPcapng& c = GetParam();
  const Read r = read_all(c.bytes, "bad.pcapng");
  EXPECT_EQ(r.error, c.error);
  EXPECT_EQ(r.packets.size(), c.packets);
  EXPECT_EQ(r.warnings, c.warnings);
}

INSTANTIATE_TEST_SUITE_P(Crafted, BadPcapngFiles, testing::ValuesIn(kBadPcapng),
                         [](const testing::TestParamInfo<BadPcapng>& p) {
                           return std::string(p.param.name);
                         });

// The fallback names the file in its errors like the libpcap path, and reads from disk too.
TEST(PcapngReader, ErrorsFromAFileOnDiskNameIt) {
  const std::string path = testing::TempDir() + "/egress_pcapng_bad.pcapng";
  const Bytes bytes = with(one_packet(), [](Pcapng& p) { p.epb(7, 1, eth_udp(2)); });
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  auto reader = CaptureReader::open(path);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ((*reader)->link_type(), kLinkEthernet);
  RawPacket p;
  Result<bool> got = (*reader)->next(p);
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ(p.link_type, kLinkEthernet);
  got = (*reader)->next(p);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(format_diagnostic(got.error(), "error"),
            path +
                ": error: packet 2 (offset 144): interface id 7 is not below the section's 2 "
                "interfaces");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace egress
