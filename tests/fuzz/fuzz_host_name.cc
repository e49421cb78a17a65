// libFuzzer target: the host name extractor (TLS ClientHello server_name, HTTP/1.x Host) on
// arbitrary bytes, as replay hands it a client's first payload. Besides ASan's bounds, the
// answer must be well formed, and consistent over prefixes: replay asks again as segments
// arrive, so a prefix may only say "need more" or the same answer as the whole.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>

#include "egress/capture/host_name.h"
#include "fuzz_checks.h"

namespace {

using egress::fuzz::check;

void check_answer(const egress::HostName& h) {
  if (h.status != egress::HostNameStatus::kFound) {
    check(h.name.empty() && h.source == egress::HostNameSource::kNone, "no name without a host");
    return;
  }
  check(!h.name.empty() && h.name.size() <= egress::kMaxHostName, "name length");
  check(h.source != egress::HostNameSource::kNone, "a found name says where it came from");
  check(h.name.front() != '.' && h.name.back() != '.', "no leading or trailing dot");
  for (char c : h.name) {
    check((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
              (c == ':' && h.source == egress::HostNameSource::kHttpHost),
          "name characters");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Its own allocation, so ASan sees any read past the end.
  auto* copy = static_cast<uint8_t*>(std::malloc(size == 0 ? 1 : size));
  if (size != 0) {
    std::memcpy(copy, data, size);
  }
  const std::span<const uint8_t> whole(copy, size);
  const egress::HostName all = egress::extract_host_name(whole);
  check_answer(all);
  // Every prefix of a short input, a few cut points of a long one.
  const size_t step = size <= 600 ? 1 : size / 37 + 1;
  for (size_t cut = 0; cut < size; cut += step) {
    const egress::HostName part = egress::extract_host_name(whole.first(cut));
    check_answer(part);
    if (part.status != egress::HostNameStatus::kNeedMore) {
      check(part.status == all.status && part.name == all.name, "a prefix's answer stands");
    }
  }
  std::free(copy);
  return 0;
}
