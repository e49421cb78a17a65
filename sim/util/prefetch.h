// Prefetch hints the compiler keeps.
//
// GCC 12's mod-ref analysis (-fipa-modref, on from -O2) takes __builtin_prefetch for a call
// without side effects, so a small function that only prefetches (DenseSet::prefetch_slot,
// FlowTable::prefetch_flow) is found to do nothing and its calls are deleted before inlining:
// the release build had lost every such hint, silently (bench/README.md, "Seventh round";
// -fno-ipa-modref brings them back). The empty asm statement is a side effect no pass
// removes, and it keeps the prefetch beside it.
#pragma once

namespace egress {

inline void prefetch(const void* p) noexcept {
  __builtin_prefetch(p, 0, 3);
  asm volatile("" : : "r"(p));
}

/// For a line about to be written.
inline void prefetch_for_write(const void* p) noexcept {
  __builtin_prefetch(p, 1, 3);
  asm volatile("" : : "r"(p));
}

}  // namespace egress
