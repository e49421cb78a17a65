#!/usr/bin/env bash
# The replay's prefetch hints are in the binary the build made: GCC 12 deleted every call to
# a function that did nothing but __builtin_prefetch (sim/util/prefetch.h says why), and no
# output changes when a hint is missing, so only the machine code can tell.
#
#   prefetch_kept.sh EGRESS_SIM
set -euo pipefail
bin=${1:?usage: prefetch_kept.sh EGRESS_SIM}
command -v objdump >/dev/null || { echo "objdump (binutils) is missing" >&2; exit 1; }
listing=$(mktemp)
trap 'rm -f "$listing"' EXIT
objdump -d --no-show-raw-insn -C "$bin" >"$listing"
bad=0
for fn in 'egress::FlowTracker::prefetch_slot(' 'egress::FlowTracker::prefetch_flow(' \
  'egress::SnatPools::prefetch_acquire(' 'egress::SnatPools::prefetch_release(' \
  'egress::EgressStage::prefetch_flow('; do
  # The function's instructions: from its label to the blank line after it.
  body=$(awk -v fn="$fn" 'index($0, "<" fn) && /:$/ {on = 1; next} on && /^$/ {exit} on' "$listing")
  if [[ -z $body ]]; then
    echo "no function $fn in $bin" >&2
    bad=1
  elif ! grep -Eq '\s(prefetch(t0|t1|t2|nta|w)|prfm)\s' <<<"$body"; then
    echo "$fn has no prefetch instruction in $bin" >&2
    bad=1
  else
    echo "$fn: $(grep -Ec '\s(prefetch(t0|t1|t2|nta|w)|prfm)\s' <<<"$body") prefetch instructions"
  fi
done
exit $bad
