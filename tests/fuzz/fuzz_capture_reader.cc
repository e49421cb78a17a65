// Fuzz target for capture reading: any bytes as a capture file, read to the end and every
// packet decoded. The reader returns packets, then the end or one error; it never crashes,
// and packets never claim more bytes than the record held.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "egress/capture/capture_reader.h"
#include "egress/capture/packet_decoder.h"
#include "fuzz_checks.h"

namespace {

using egress::fuzz::check;

// Bounds the work per input: a few bytes can describe many empty records.
constexpr uint64_t kMaxPackets = 100000;

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
  return 0;
}
