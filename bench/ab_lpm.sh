#!/bin/sh
# Compares two or more lpm_bench binaries (say, before and after a change) on a noisy machine:
# runs them in turn, ROUNDS times, so that the machine's slow phases hit all of them alike,
# and prints for every benchmark and binary the best and the median of all repetitions, and
# the median's speed against the first binary's (x1.10: 10% faster; for latency rows too).
#
#   bench/ab_lpm.sh OLD/lpm_bench NEW/lpm_bench
#   bench/ab_lpm.sh -r 5 -f 'tier1/v4/table/(single|batch)/egress$' OLD/lpm_bench NEW/lpm_bench
#
# -r ROUNDS (default 3), -f FILTER (a --benchmark_filter; default: our implementation's lookup
# rows on the tier-1 tables, which need no DPDK table build).
set -eu

rounds=3
filter='tier1/v[46]/(random|table)/(single|batch|latency)/egress$'
while getopts r:f:h opt; do
  case "$opt" in
    r) rounds=$OPTARG ;;
    f) filter=$OPTARG ;;
    *) sed -n '2,11p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [ $# -lt 2 ]; then
  echo "ab_lpm.sh: give two or more lpm_bench binaries (-h for help)" >&2
  exit 2
fi
for bin in "$@"; do
  if [ ! -x "$bin" ]; then
    echo "ab_lpm.sh: $bin: not an executable" >&2
    exit 2
  fi
done

results=$(mktemp)
trap 'rm -f "$results"' EXIT
round=1
while [ "$round" -le "$rounds" ]; do
  index=0
  for bin in "$@"; do
    echo "round $round/$rounds: $bin" >&2
    # One line per repetition: benchmark, binary index, lookups/s in millions.
    # lpm_bench colours its lines whatever it is told; the escapes go first.
    "$bin" --benchmark_filter="$filter" --benchmark_repetitions=3 --benchmark_min_time=0.1 \
        2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' |
      awk -v bin="$index" '
        /^BM_Lookup\// && !/_(mean|median|stddev|cv) / {
          for (i = 2; i <= NF; i++) {
            if ($i ~ /\/s$/) {
              v = $i; scale = 1e-6
              if (v ~ /G\/s$/) scale = 1e3; else if (v ~ /M\/s$/) scale = 1; else if (v ~ /k\/s$/) scale = 1e-3
              sub(/[kMG]?\/s$/, "", v)
              name = $1; sub(/^BM_Lookup\//, "", name)
              print name, bin, v * scale
            }
          }
        }' >>"$results"
    index=$((index + 1))
  done
  round=$((round + 1))
done

if [ ! -s "$results" ]; then
  echo "ab_lpm.sh: no lookup benchmark matched '$filter'" >&2
  exit 2
fi

# Best and median per (benchmark, binary); latency rows as ns per lookup (lower is better).
sort -k1,1 -k2,2n -k3,3g "$results" | awk -v names="$*" '
  BEGIN { split(names, bins, " ") }
  function flush() {
    if (n == 0) return
    median = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    if (key_bin == 0) base = median
    ratio = base > 0 ? median / base : 0
    if (key_name ~ /latency/) {
      printf "%-40s %-28s best %8.1f ns  median %8.1f ns  x%.2f\n", key_name, bins[key_bin + 1], 1000 / v[n], 1000 / median, ratio
    } else {
      printf "%-40s %-28s best %8.1f M/s median %8.1f M/s x%.2f\n", key_name, bins[key_bin + 1], v[n], median, ratio
    }
    n = 0
  }
  {
    if ($1 != key_name || $2 != key_bin) { flush(); key_name = $1; key_bin = $2 }
    v[++n] = $3
  }
  END { flush() }'
