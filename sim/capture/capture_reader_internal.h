// CaptureReader's opens with the choice of who reads classic pcap, for the tests and the
// fuzzer that compare our record parser (classic_pcap_reader.h) with libpcap on the same bytes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

#include "egress/capture/capture_reader.h"

namespace egress {

enum class ClassicPcapBy {
  kOwnReader,  // what CaptureReader::open* do: ours where the header allows, libpcap otherwise
  kLibpcap,    // libpcap for every classic pcap file
};

Result<std::unique_ptr<CaptureReader>> open_capture(const std::string& path, uint32_t input,
                                                    ClassicPcapBy by);
Result<std::unique_ptr<CaptureReader>> open_capture_stream(std::FILE* file, const std::string& name,
                                                           uint32_t input, ClassicPcapBy by);
Result<std::unique_ptr<CaptureReader>> open_capture_memory(std::span<const uint8_t> bytes,
                                                           const std::string& name, uint32_t input,
                                                           ClassicPcapBy by);

/// True when `reader` reads with our classic pcap parser rather than libpcap.
bool reads_classic_pcap_itself(const CaptureReader& reader);

}  // namespace egress
