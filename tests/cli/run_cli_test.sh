#!/usr/bin/env bash
# Runs one command and checks its exit code, stdout and stderr.
#
#   run_cli_test.sh [--exit N] [--out RE]... [--err RE]... [--out-empty] [--err-empty] -- CMD ARGS...
#
# Each RE is a POSIX extended regex matched against the whole stream (bash =~: `.` also matches
# a newline, `^` and `$` anchor at the ends of the stream). --exit defaults to 0.
# Every argument has %5B and %5D decoded to [ and ]: tests/cli/CMakeLists.txt encodes them.
set -u

decoded=()
for arg in "$@"; do
  arg=${arg//%5B/[}
  decoded+=("${arg//%5D/]}")
done
set -- "${decoded[@]}"

expected_exit=0
out_res=()
err_res=()
out_empty=0
err_empty=0
while [ $# -gt 0 ]; do
  case "$1" in
    --exit) expected_exit="$2"; shift 2 ;;
    --out) out_res+=("$2"); shift 2 ;;
    --err) err_res+=("$2"); shift 2 ;;
    --out-empty) out_empty=1; shift ;;
    --err-empty) err_empty=1; shift ;;
    --) shift; break ;;
    *) echo "run_cli_test.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [ $# -eq 0 ]; then
  echo "run_cli_test.sh: no command after --" >&2
  exit 2
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$@" >"$scratch/out" 2>"$scratch/err"
actual_exit=$?
out=$(cat "$scratch/out")
err=$(cat "$scratch/err")

failed=0
fail() {
  echo "FAIL: $1"
  failed=1
}
[ "$actual_exit" = "$expected_exit" ] || fail "exit code $actual_exit, expected $expected_exit"
for re in "${out_res[@]+"${out_res[@]}"}"; do
  [[ "$out" =~ $re ]] || fail "stdout does not match: $re"
done
for re in "${err_res[@]+"${err_res[@]}"}"; do
  [[ "$err" =~ $re ]] || fail "stderr does not match: $re"
done
[ "$out_empty" = 0 ] || [ -z "$out" ] || fail "stdout is not empty"
[ "$err_empty" = 0 ] || [ -z "$err" ] || fail "stderr is not empty"

if [ "$failed" != 0 ]; then
  echo "command: $*"
  echo "--- stdout ---"
  printf '%s\n' "$out"
  echo "--- stderr ---"
  printf '%s\n' "$err"
  exit 1
fi
exit 0
