#!/usr/bin/env bash
# Builds and runs the whole test suite twice: a Release build (build/release) and an
# AddressSanitizer + UndefinedBehaviorSanitizer build (build/asan). Exits non-zero if either
# fails to configure, build or pass.
#
#   bash tools/run_tests.sh
#
# JOBS (default 2) sets the parallelism of the builds and of ctest; BUILD_ROOT (default build)
# where the two build directories go. With ccache installed (tools/deps.sh installs it) both
# builds compile through it, with paths taken relative to the checkout and the working
# directory left out of the hash, so a fresh clone elsewhere reuses what an earlier run of the
# same sources compiled; EGRESS_CCACHE=0 turns it off.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs="${JOBS:-2}"
root="${BUILD_ROOT:-build}"

bash tools/deps.sh || { echo "run_tests: tools/deps.sh failed" >&2; exit 1; }

# Sanitizers stop at the first error (the build adds -fno-sanitize-recover=all).
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

launcher=()
if [ "${EGRESS_CCACHE:-1}" != 0 ] && command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="${PWD}" CCACHE_NOHASHDIR=true
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

declare -A status
declare -A seconds

# run NAME BUILD_DIR CMAKE_ARGS...: configure, build and test one build; records the outcome.
run() {
  local name="$1" dir="$2"
  shift 2
  local start=$SECONDS
  echo
  echo "=== ${name}: ${dir} ==="
  if ! cmake -S . -B "${dir}" "$@"; then
    status[$name]="FAILED (configure)"
  elif ! cmake --build "${dir}" -j"${jobs}"; then
    status[$name]="FAILED (build)"
  elif ! ctest --test-dir "${dir}" --output-on-failure -j"${jobs}"; then
    status[$name]="FAILED (tests)"
  else
    status[$name]="ok"
  fi
  seconds[$name]=$((SECONDS - start))
}

run release "${root}/release" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}"
# The benchmarks are compiled in the Release build; sanitizing them adds build
# time and no test.
run asan "${root}/asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEGRESS_SANITIZE=address,undefined \
  -DEGRESS_BUILD_BENCHMARKS=OFF "${launcher[@]}"

echo
echo "=== summary ==="
rc=0
for name in release asan; do
  printf '%-8s %-20s %4ss\n' "${name}" "${status[$name]}" "${seconds[$name]}"
  if [ "${status[$name]}" != ok ]; then
    rc=1
  fi
done
exit "${rc}"
