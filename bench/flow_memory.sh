#!/usr/bin/env bash
# Bytes per live flow in replay, as issue 17 measures it: the peak RSS of a replay with 500k
# flows open at once less that of one with 100k, over the 400k between. Prints it for the
# binary given (default: build/egress-sim) and, with BASE_SIM=OLD/egress-sim, for an older one
# in the same run, side by side.
#
#   bench/flow_memory.sh [SIM]            ROUNDS (3), LOW (100000), HIGH (500000), ZIPF (1),
#                                         TOPOLOGY (topologies/aks-managed-nat-gateway.yaml),
#                                         THREADS (replay --threads; unset: replay's default)
#
# The captures come from `egress-sim synth`: TCP flows of 6 packets (handshake and close), all
# opened within the first half second (1M new flows/s) and closed only after their mean
# duration of 10,000 s (the gaps clamp at 30 s, so each lasts about 90 s). editcap then keeps
# the first 3 packets per flow: the handshakes, so that no flow closes (no linger, no NAT
# gateway cool-down) while the flows are open and the input ends with every flow live, which
# the summary's "at most N at once" confirms. KEEP_CLOSE=1 keeps the whole capture: the peak
# is then in the closing phase, every flow lingering and its port cooling down. ZIPF=1: flows go to 1,000
# popular endpoints, so flows share paths as real traffic does; ZIPF=0: every flow to its own
# random address (a path and a NAT gateway destination each).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
sim=${1:-$repo/build/egress-sim}
base=${BASE_SIM:-}
rounds=${ROUNDS:-3}
low=${LOW:-100000}
high=${HIGH:-500000}
zipf=${ZIPF:-1}
threads=()
[[ -n ${THREADS:-} ]] && threads=(--threads "$THREADS")
topology=${TOPOLOGY:-$repo/topologies/aks-managed-nat-gateway.yaml}
[[ -x $sim ]] || { echo "flow_memory.sh: no binary at $sim (build egress-sim first)" >&2; exit 2; }
[[ -z $base || -x $base ]] || { echo "flow_memory.sh: BASE_SIM $base is not executable" >&2; exit 2; }
[[ -n ${KEEP_CLOSE:-} ]] || command -v editcap >/dev/null ||
  { echo "flow_memory.sh: needs editcap (apt-get install wireshark-common) or KEEP_CLOSE=1" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "flow_memory.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

dir=$(mktemp -d "${TMPDIR:-$( [[ -d /dev/shm ]] && echo /dev/shm || echo /tmp)}/flow-memory.XXXXXX")
trap 'rm -rf "$dir"' EXIT

for n in "$low" "$high"; do
  "$sim" synth "$topology" --flows "$n" --rate 1000000 --duration 10000 --packets 6 \
    --protocols tcp=1 --payload 1 --rst-share 0 --zipf "$zipf" --seed 1 --quiet \
    --pcap-out "$dir/$n.pcap" >"$dir/synth-$n.txt"
  if [[ -z ${KEEP_CLOSE:-} ]]; then
    editcap -r "$dir/$n.pcap" "$dir/cut.pcap" "1-$((3 * n))"
    mv "$dir/cut.pcap" "$dir/$n.pcap"
  fi
done

# Peak RSS in KiB of one replay; checks that (all but a few in 10,000 of) the flows were open
# at once: the durations are exponential, so a handful end within the first half second.
peak_kib() {
  local bin=$1 n=$2 open
  /usr/bin/time -f '%M' -o "$dir/time" "$bin" replay "$topology" "$dir/$n.pcap" --quiet "${threads[@]}" \
    >"$dir/out" 2>"$dir/err"
  open=$(head -1 "$dir/out" | sed -n 's/.*at most \([0-9,]*\) at once.*/\1/p' | tr -d ,)
  ((${open:-0} * 10000 >= n * 9999)) || {
    echo "flow_memory.sh: not every flow was open at once:" >&2
    head -1 "$dir/out" >&2
    exit 1
  }
  cat "$dir/time"
}

declare -A best
bins=(new)
[[ -n $base ]] && bins+=(base)
for ((r = 1; r <= rounds; ++r)); do
  for b in "${bins[@]}"; do
    bin=$sim
    [[ $b == base ]] && bin=$base
    for n in "$low" "$high"; do
      kib=$(peak_kib "$bin" "$n")
      # The least peak of the rounds: the allocator's and the kernel's noise only adds.
      if [[ -z ${best[$b,$n]:-} || $kib -lt ${best[$b,$n]} ]]; then best[$b,$n]=$kib; fi
      printf 'round %d %-4s %7d flows: peak RSS %8d KiB\n' "$r" "$b" "$n" "$kib"
    done
  done
done

echo "== bytes per live flow: (peak RSS at $high open flows - at $low) / $((high - low)); zipf $zipf; threads ${THREADS:-default}"
printf '%-6s %14s %14s %14s\n' binary "RSS $low KiB" "RSS $high KiB" "bytes/flow"
for b in "${bins[@]}"; do
  printf '%-6s %14d %14d %14.1f\n' "$b" "${best[$b,$low]}" "${best[$b,$high]}" \
    "$(echo "(${best[$b,$high]} - ${best[$b,$low]}) * 1024 / ($high - $low)" | bc -l)"
done
