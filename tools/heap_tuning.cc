#include "heap_tuning.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace egress {
namespace {

// Why each (measured in bench/README.md, "Second round"):
// - hugetlb=1: malloc asks for transparent huge pages (madvise). A replay's flow table, path
//   cache and SNAT sets grow in many steps; on the virtual machines we measured, each 4 KiB
//   page's first touch cost microseconds (about 18,000 faults for a 1M-packet replay, 4,000
//   with huge pages), and random probes into the tables miss the TLB less.
// - mmap_threshold: tables up to 32 MiB come from the heap, not from mmap()s that are
//   unmapped and faulted in anew each time a vector doubles.
// - trim_threshold and top_pad: the heap grows 64 MiB at a time and what is freed stays for
//   the next table instead of going back to the kernel and being faulted in again.
constexpr const char* kTunables =
    "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:"
    "glibc.malloc.trim_threshold=268435456:glibc.malloc.top_pad=67108864";
constexpr const char* kMarker = "EGRESS_SIM_HEAP_TUNED";

}  // namespace

void restart_with_heap_tunables(char** argv) {
  if (std::getenv(kMarker) != nullptr) {
    return;
  }
  // The user's own tunables come after ours, so theirs win where both set one.
  std::string tunables = kTunables;
  if (const char* own = std::getenv("GLIBC_TUNABLES"); own != nullptr && *own != '\0') {
    tunables += ':';
    tunables += own;
  }
  if (::setenv(kMarker, "1", 1) != 0 || ::setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0) {
    return;
  }
  ::execv("/proc/self/exe", argv);
  // Still here: /proc is not mounted, or the binary is gone. Run as we are, with the
  // environment as it was for whatever this process starts.
  ::unsetenv(kMarker);
}

}  // namespace egress
