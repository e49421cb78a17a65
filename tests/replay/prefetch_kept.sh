#!/usr/bin/env bash
# The replay's prefetch hints are in the binary the build made: GCC 12 deleted every call to
# a function that did nothing but __builtin_prefetch (sim/util/prefetch.h says why), and no
# output changes when a hint is missing, so only the machine code can tell. A hint function
# passes when its instructions, or those of the functions it calls (four calls deep: a
# sanitizer build inlines less), hold a prefetch.
#
#   prefetch_kept.sh EGRESS_SIM
set -euo pipefail
bin=${1:?usage: prefetch_kept.sh EGRESS_SIM}
command -v objdump >/dev/null || { echo "objdump (binutils) is missing" >&2; exit 1; }
objdump -d --no-show-raw-insn -C "$bin" | awk '
  function prefetches(f, depth,    n, i, parts, found) {
    if (f in pf) return pf[f]
    if (depth == 0 || !(f in seen)) return 0
    n = split(calls[f], parts, SUBSEP)
    found = 0
    for (i = 1; i <= n && !found; ++i) {
      if (parts[i] != "") found = prefetches(parts[i], depth - 1)
    }
    return found
  }
  /^[0-9a-f]+ <.*>:$/ {
    fn = $0
    sub(/^[0-9a-f]+ </, "", fn)
    sub(/>:$/, "", fn)
    seen[fn] = 1
    next
  }
  fn != "" && /[ \t](prefetch(t0|t1|t2|nta|w)|prfm)[ \t]/ { pf[fn] = 1 }
  fn != "" && /[ \t]call[ \t]/ && match($0, /<[^>+]*/) {
    calls[fn] = calls[fn] SUBSEP substr($0, RSTART + 1, RLENGTH - 1)
  }
  END {
    split("egress::FlowTracker::prefetch_slot(|egress::FlowTracker::prefetch_flow(|" \
          "egress::SnatPools::prefetch_acquire(|egress::SnatPools::prefetch_release(|" \
          "egress::EgressStage::prefetch_flow(", wanted, "|")
    bad = 0
    for (w = 1; w in wanted; ++w) {
      name = ""
      for (f in seen) {
        # The function itself, not a part GCC split off ("[clone .cold]").
        if (index(f, wanted[w]) == 1 && (name == "" || length(f) < length(name))) name = f
      }
      if (name == "") {
        printf "no function %s in the binary\n", wanted[w] > "/dev/stderr"
        bad = 1
      } else if (!prefetches(name, 4)) {
        printf "%s has no prefetch instruction, nor do the functions it calls\n", name > "/dev/stderr"
        bad = 1
      } else {
        printf "%s: prefetches\n", name
      }
    }
    exit bad
  }'
