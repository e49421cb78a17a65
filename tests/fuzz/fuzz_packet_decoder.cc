// Fuzz target for the packet decoder: any bytes as a run of packets of one link type through
// one decoder (so fragments meet the fragment table); no read out of bounds (ASan), and the
// offsets and key it returns agree with the packet.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "egress/capture/host_name.h"
#include "egress/capture/packet_decoder.h"
#include "fuzz_checks.h"

namespace {

using egress::fuzz::check;

constexpr uint16_t kLinkTypes[] = {0, 1, 101, 108, 113, 228, 229, 239, 276, 160};

}  // namespace

// Layout: link-type selector (1 byte), then packets, each a 2-byte big-endian length, a
// 1-byte time step in seconds and the bytes (the last one takes what is left).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  egress::PacketDecoder decoder;
  egress::RawPacket packet;
  packet.link_type = kLinkTypes[data[0] % (sizeof kLinkTypes / sizeof kLinkTypes[0])];
  size_t p = 1;
  while (p + 3 <= size) {
    size_t length = (size_t{data[p]} << 8) | data[p + 1];
    packet.ts_ns += int64_t{data[p + 2]} * 1'000'000'000;
    p += 3;
    if (length > size - p) {
      length = size - p;
    }
    // A separate allocation per packet, so ASan sees any read past its end.
    auto* copy = static_cast<uint8_t*>(std::malloc(length == 0 ? 1 : length));
    for (size_t i = 0; i < length; ++i) {
      copy[i] = data[p + i];
    }
    packet.data = std::span<const uint8_t>(copy, length);
    packet.orig_len = static_cast<uint32_t>(length + (data[0] & 0x80U));
    const egress::DecodedPacket d = decoder.decode(packet);
    if (d.kind == egress::PacketKind::kIp) {
      check(d.ip_version == 4 || d.ip_version == 6, "IP version");
      check(d.key.src.is_v4() == (d.ip_version == 4), "source family matches the version");
      check(d.key.dst.is_v4() == (d.ip_version == 4), "destination family matches the version");
      check(d.l3_offset < length, "IP header inside the packet");
      check(d.l4_offset == 0 || d.l4_offset < length, "transport header inside the packet");
      check(d.l4_offset != 0 || d.fragment, "only later fragments lack a transport header");
      check(!d.icmp_error || d.l4_offset == 0 || d.inner_l3_offset == d.l4_offset + 8,
            "quoted header right after the ICMP header");
      check(d.l4_offset == 0 || d.l4_offset > d.l3_offset, "transport after IP");
      check(d.payload_length == 0 ||
                (d.payload_offset > d.l4_offset && d.payload_offset + d.payload_length <= length),
            "payload after the transport header, inside the packet");
      if (d.payload_length != 0) {
        // The extractor reads the payload where it lies, as replay hands it over.
        (void)egress::extract_host_name(packet.data.subspan(d.payload_offset, d.payload_length));
      }
    } else {
      check(d.key == egress::FlowKey{}, "no key for an unusable packet");
    }
    check(decoder.fragment_entries() <= egress::kFragmentTableSize, "fragment table bounded");
    std::free(copy);
    p += length;
  }
  return 0;
}
