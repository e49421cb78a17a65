#!/usr/bin/env bash
# Issue 17's speed goals in one run on this machine: replay --pcap-out against tcprewrite and a
# bare tcpdump copy of the same capture, and replay's and synth's scaling from 1 to 2 threads.
# Medians of ROUNDS rounds; the contenders of a comparison alternate (each round starts with the
# next one), so the machine's slow phases hit them alike.
#
#   bench/replay_compare.sh [-r ROUNDS] [-b EGRESS_SIM] [CAPTURE]
#
# Without CAPTURE: a 1M-packet, 100k-flow NAT gateway capture made by synth, cached under
# ${XDG_CACHE_HOME:-~/.cache}/egress-sim-bench (about 240 MB; never in the repository).
# Outputs go to /dev/shm (BENCH_TMP) when there is one, so the disk is not measured.
# EGRESS_SIM defaults to build/release/egress-sim, else build/egress-sim. tcpdump and
# tcprewrite (Debian packages tcpdump, tcpreplay) are installed with apt-get when missing and
# this runs as root; otherwise their rows say n/a. Exit 2 on bad usage.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
rounds=5
sim=${EGRESS_SIM:-}
usage() {
  echo "usage: $0 [-r ROUNDS] [-b EGRESS_SIM] [CAPTURE]" >&2
  exit 2
}
while getopts "r:b:h" opt; do
  case $opt in
    r) rounds=$OPTARG ;;
    b) sim=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -le 1 ]] || usage
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "$0: ROUNDS must be a positive integer" >&2; exit 2; }
if [[ -z $sim ]]; then
  for candidate in "$here/build/release/egress-sim" "$here/build/egress-sim"; do
    if [[ -x $candidate ]]; then
      sim=$candidate
      break
    fi
  done
fi
[[ -n $sim && -x $sim ]] || { echo "$0: no egress-sim binary: build it or give -b" >&2; exit 2; }
topology="$here/topologies/aks-managed-nat-gateway.yaml"

# The comparison tools: bench-only and optional, never test dependencies.
if ! command -v tcpdump >/dev/null || ! command -v tcprewrite >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "installing tcpdump and tcpreplay (bench only) ..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump tcpreplay >/dev/null 2>&1 ||
      echo "$0: apt-get could not install tcpdump/tcpreplay; their rows are n/a" >&2
  fi
fi

synth_args=(synth "$topology" --flows 100000 --packets 10 --rate 2000 --duration 5 --seed 1)
if [[ $# -eq 1 ]]; then
  capture=$1
  [[ -r $capture ]] || { echo "$0: cannot read $capture" >&2; exit 2; }
else
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/egress-sim-bench
  capture=$cache/natgw-100k-flows-10-packets-seed1.pcap
  if [[ ! -s $capture ]]; then
    mkdir -p "$cache"
    echo "making the capture: egress-sim ${synth_args[*]} --pcap-out $capture" >&2
    "$sim" "${synth_args[@]}" --pcap-out "$capture.tmp" --quiet >/dev/null
    mv "$capture.tmp" "$capture"
  fi
fi

# Outputs in memory where there is /dev/shm, as replay_bench does: processing, not the disk.
scratch=${BENCH_TMP:-/dev/shm}
[[ -d $scratch && -w $scratch ]] || scratch=${TMPDIR:-/tmp}
work=$(mktemp -d "$scratch/replay_compare.XXXXXX")
trap 'rm -rf "$work"' EXIT

has_threads() { "$sim" "$1" --help 2>/dev/null | grep -q -- --threads; }
cpus=$(nproc)
threads_all=()
if has_threads replay; then
  threads_all=(--threads "$cpus")
fi

# name -> command line (run with bash -c, output to $work/out.pcap, removed after each run).
declare -A cmd
cmd[replay_pcap_out]="\"$sim\" replay \"$topology\" \"$capture\" --pcap-out \"$work/out.pcap\" --quiet ${threads_all[*]} >/dev/null"
if command -v tcprewrite >/dev/null; then
  # The node subnet to the NAT gateway's first address, checksums fixed: what replay's SNAT does.
  cmd[tcprewrite]="tcprewrite --srcipmap=10.224.0.0/16:20.241.88.103/32 --fixcsum -i \"$capture\" -o \"$work/out.pcap\""
fi
if command -v tcpdump >/dev/null; then
  cmd[tcpdump_copy]="tcpdump -r \"$capture\" -w \"$work/out.pcap\" 2>/dev/null"
fi
if has_threads replay; then
  cmd[replay_1_thread]="\"$sim\" replay \"$topology\" \"$capture\" --quiet --threads 1 >/dev/null"
  cmd[replay_2_threads]="\"$sim\" replay \"$topology\" \"$capture\" --quiet --threads 2 >/dev/null"
fi
if has_threads synth; then
  cmd[synth_1_thread]="\"$sim\" ${synth_args[*]} --quiet --threads 1 >/dev/null"
  cmd[synth_2_threads]="\"$sim\" ${synth_args[*]} --quiet --threads 2 >/dev/null"
fi

declare -A times
run() {
  local name=$1 start end
  start=$(date +%s%N)
  if ! bash -c "${cmd[$name]}"; then
    echo "$0: $name failed: ${cmd[$name]}" >&2
    exit 1
  fi
  end=$(date +%s%N)
  rm -f "$work/out.pcap"
  times[$name]+="$(((end - start) / 1000000)) "
}
# Each group's contenders in turn, the first one rotating from round to round.
groups=("replay_pcap_out tcprewrite tcpdump_copy" "replay_1_thread replay_2_threads"
  "synth_1_thread synth_2_threads")
for ((round = 0; round < rounds; ++round)); do
  for group in "${groups[@]}"; do
    read -r -a members <<<"$group"
    present=()
    for m in "${members[@]}"; do
      [[ -n ${cmd[$m]:-} ]] && present+=("$m")
    done
    n=${#present[@]}
    for ((i = 0; i < n; ++i)); do
      run "${present[$(((i + round) % n))]}"
    done
  done
  echo "round $((round + 1))/$rounds done" >&2
done

median_ms() {
  tr ' ' '\n' <<<"${times[$1]:-}" | grep . | sort -n |
    awk '{v[NR]=$1} END {if (NR == 0) exit; print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'
}

packets=$("$sim" replay "$topology" "$capture" --json --quiet 2>/dev/null |
  grep -o '"packets":[0-9]*' | head -1 | cut -d: -f2)
flows=$("$sim" replay "$topology" "$capture" --json --quiet 2>/dev/null |
  grep -o '"flows":[0-9]*' | head -1 | cut -d: -f2)
synth_packets=$("$sim" "${synth_args[@]}" --json --quiet 2>/dev/null |
  grep -o '"packets":[0-9]*' | head -1 | cut -d: -f2 || true)

echo "== machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $cpus CPUs; $("$sim" --version)"
echo "== capture: $capture: $(stat -c %s "$capture") bytes, $packets packets, $flows flows"
echo "== medians of $rounds rounds (contenders alternating)"
printf '%-20s %10s %14s   %s\n' contender seconds packets/s "command"
row() {
  local name=$1 count=$2 ms
  ms=$(median_ms "$name")
  if [[ -z $ms ]]; then
    printf '%-20s %10s %14s\n' "$name" "n/a" ""
    return
  fi
  local shown=${cmd[$name]//\"/}
  shown=${shown//$work\/out.pcap/OUT}
  shown=${shown//$capture/CAP}
  shown=${shown//$topology/TOPO}
  shown=${shown% >\/dev\/null}
  shown=${shown% 2>\/dev\/null}
  printf '%-20s %10.3f %14.0f   %s\n' "$name" "$(awk "BEGIN{print $ms/1000}")" \
    "$(awk "BEGIN{print $count/($ms/1000)}")" "$shown"
}
for name in replay_pcap_out tcprewrite tcpdump_copy; do
  row "$name" "$packets"
done
for name in replay_1_thread replay_2_threads; do
  if [[ -n ${cmd[$name]:-} ]]; then row "$name" "$packets"; else printf '%-20s %10s\n' "$name" "n/a (no --threads)"; fi
done
for name in synth_1_thread synth_2_threads; do
  if [[ -n ${cmd[$name]:-} ]]; then row "$name" "${synth_packets:-0}"; else printf '%-20s %10s\n' "$name" "n/a (no --threads)"; fi
done

echo "== ratios (goal)"
ratio() {
  local label=$1 slow=$2 fast=$3 goal=$4 a b
  a=$(median_ms "$slow")
  b=$(median_ms "$fast")
  if [[ -z $a || -z $b ]]; then
    local why="n/a"
    [[ $slow == *thread* || $fast == *thread* ]] && why="n/a (no --threads)"
    printf '%-44s %8s   (goal >= %sx)\n' "$label" "$why" "$goal"
    return
  fi
  awk -v a="$a" -v b="$b" -v g="$goal" -v l="$label" \
    'BEGIN { r = a / b; printf "%-44s %7.2fx   (goal >= %sx: %s)\n", l, r, g, (r >= g ? "met" : "NOT met") }'
}
ratio "replay --pcap-out vs tcprewrite" tcprewrite replay_pcap_out 3
ratio "replay --pcap-out vs tcpdump -r -w copy" tcpdump_copy replay_pcap_out 1
ratio "replay, 2 threads vs 1 (no outputs)" replay_1_thread replay_2_threads 1.8
ratio "synth, 2 threads vs 1 (no outputs)" synth_1_thread synth_2_threads 1.8
