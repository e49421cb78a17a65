#!/bin/sh
# The LPM benchmark suite in one command: builds lpm_bench (Release) and runs it with 5
# repetitions, printing medians of every implementation side by side at the end.
#
#   bench/run_lpm_suite.sh                      # the Azure-sized and tier-1 tables
#   bench/run_lpm_suite.sh my-routes.txt        # your table: one CIDR per line (.gz is fine)
#   bench/run_lpm_suite.sh asn-ipv4.csv asn-ipv6.csv   # ip-location-db ranges
#   LPM_BUILD_DIR=build-rel LPM_REPS=10 bench/run_lpm_suite.sh FILE -- --benchmark_filter=v4
#
# Arguments after `--` go to Google Benchmark unchanged.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${LPM_BUILD_DIR:-$root/build-rel}
reps=${LPM_REPS:-5}

prefixes=""
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *)
      if [ ! -f "$1" ]; then
        echo "run_lpm_suite.sh: $1: no such file" >&2
        exit 2
      fi
      prefixes="$prefixes --prefixes=$1"
      shift ;;
  esac
done

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target lpm_bench >/dev/null
# shellcheck disable=SC2086 # $prefixes is a list of flags
exec "$build/bench/lpm_bench" $prefixes --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true --benchmark_min_time=0.2 "$@"
