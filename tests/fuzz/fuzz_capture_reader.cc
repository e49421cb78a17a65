// Fuzz target for capture reading: any bytes as a capture file, read to the end and every
// packet decoded. The reader returns packets, then the end or one error; it never crashes,
// and packets never claim more bytes than the record held. Classic pcap is read twice, by our
// parser and by libpcap: both must give the same packets, end, error and warnings.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "capture/capture_reader_internal.h"
#include "egress/capture/capture_reader.h"
#include "egress/capture/packet_decoder.h"
#include "fuzz_checks.h"

namespace {

using egress::fuzz::check;

// Bounds the work per input: a few bytes can describe many empty records.
constexpr uint64_t kMaxPackets = 100000;

// Everything a reader gives for the bytes, as text to compare.
std::string read_all(const uint8_t* data, size_t size, egress::ClassicPcapBy by) {
  auto reader = egress::open_capture_memory(std::span<const uint8_t>(data, size), "fuzz", 0, by);
  if (!reader) {
    return "refused: " + reader.error().message;
  }
  std::string text;
  egress::RawPacket packet;
  for (uint64_t count = 0; count < kMaxPackets; ++count) {
    egress::Result<bool> got = (*reader)->next(packet);
    if (!got) {
      text += "error: " + got.error().message + "\n";
      break;
    }
    if (!*got) {
      break;
    }
    text += std::to_string(packet.ts_ns) + " " + std::to_string(packet.link_type) + " " +
            std::to_string(packet.orig_len) + " " + std::to_string(packet.number) + " " +
            std::to_string(packet.offset) + " " +
            std::string(packet.data.begin(), packet.data.end()) + "\n";
  }
  for (const auto& w : (*reader)->warnings()) {
    text += "warning: " + w.message + "\n";
  }
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto reader = egress::CaptureReader::open_memory(std::span<const uint8_t>(data, size), "fuzz");
  if (!reader) {
    check(reader.error().where.file == "fuzz", "open error names the file");
    check(!reader.error().message.empty(), "open error says what");
    return 0;
  }
  egress::PacketDecoder decoder;
  egress::RawPacket packet;
  uint64_t count = 0;
  while (count < kMaxPackets) {
    egress::Result<bool> got = (*reader)->next(packet);
    if (!got) {
      check(std::string_view(got.error().message).starts_with("packet "), "error names the packet");
      break;
    }
    if (!*got) {
      break;
    }
    ++count;
    check(packet.number == count, "packets numbered from 1");
    check(packet.data.size() <= size, "record no larger than the file");
    check(packet.offset < size, "record starts inside the file");
    // Holds for libpcap and for the pcapng fallback, whose buffer is reused from block to block.
    check(packet.offset + packet.data.size() <= size, "packet bytes inside the file");
    (void)decoder.decode(packet);
  }
  egress::Result<bool> after = (*reader)->next(packet);
  check(count == kMaxPackets || (after.ok() && !*after), "nothing after the end or an error");
  for (const auto& w : (*reader)->warnings()) {
    check(std::string_view(w.message).starts_with("packet "), "warning names the packet");
  }
  if (egress::reads_classic_pcap_itself(**reader)) {
    check(read_all(data, size, egress::ClassicPcapBy::kOwnReader) ==
              read_all(data, size, egress::ClassicPcapBy::kLibpcap),
          "our classic pcap parser reads what libpcap reads");
  }
  return 0;
}
