#!/usr/bin/env bash
# What replay and synth do with the files they are told to write (tools/output_set.h): never
# replace an input, never rename over a device, `-` is stdout, all outputs or none, and
# signals leave no partial file.
#
#   output_scenarios.sh SCENARIO EGRESS_SIM REPO_DIR
#
# Exit 0 pass, 1 fail, 77 skipped.
set -u
scenario=$1
sim=$2
repo=$3
topo=$repo/topologies/aks-udr-firewall.yaml
capture=$repo/topologies/captures/aks-udr-firewall-nodes.pcap

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() {
  echo "FAIL: $*"
  failed=1
}

# expect_refused RE ARGS...: exit 2, stderr matching RE, stdout empty.
expect_refused() {
  local re=$1
  shift
  "$sim" "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  [ $rc = 2 ] || fail "$*: exit $rc, expected 2"
  grep -Eq -- "$re" "$work/err" || fail "$*: stderr '$(cat "$work/err")' does not match '$re'"
  [ -s "$work/out" ] && fail "$*: stdout is not empty"
}

# only FILE...: the work directory holds exactly these (besides out and err).
only() {
  local want got
  want=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')
  got=$(ls -A "$work" | grep -Ev '^(out|err)$' | sort -u | tr '\n' ' ')
  [ "$want" = "$got" ] || fail "files are '$got', expected '$want'"
}

cp "$capture" "$work/c.pcap"
cp "$topo" "$work/t.yaml"
cd "$work" || exit 1

case "$scenario" in
  same-file)
    # An output naming an input, through any path or link, is refused before any work and the
    # input is untouched.
    ln -s c.pcap link.pcap
    mkdir sub
    expect_refused '^error: --flows c[.]pcap is the same file as capture c[.]pcap; refusing to overwrite it$' \
      replay --quiet t.yaml c.pcap --flows c.pcap
    expect_refused '^error: --summary t[.]yaml is the same file as topology t[.]yaml; refusing' \
      replay --quiet t.yaml c.pcap --summary t.yaml
    expect_refused '^error: --pcap-out link[.]pcap is the same file as capture c[.]pcap; refusing' \
      replay --quiet t.yaml c.pcap --pcap-out link.pcap
    expect_refused '^error: --pcap-out sub/[.][.]/c[.]pcap is the same file as capture c[.]pcap' \
      replay --quiet t.yaml c.pcap --pcap-out sub/../c.pcap
    expect_refused '^error: --summary [.]/a[.]json is the same file as --flows a[.]json' \
      replay --quiet t.yaml c.pcap --flows a.json --summary ./a.json
    expect_refused '^error: --pcap-out g[.]pcap is the same file as --egress-pcap-out g[.]pcap' \
      synth --quiet t.yaml --flows 10 --pcap-out g.pcap --egress-pcap-out g.pcap
    # Where stdout already goes (the shell created the file).
    "$sim" replay --quiet t.yaml c.pcap --summary s.json >s.json 2>err
    [ $? = 2 ] || fail "--summary onto stdout's file: not exit 2"
    grep -q '^error: --summary s[.]json is the same file as standard output' err ||
      fail "stdout's file: $(cat err)"
    rm -f s.json
    # Nor is the result appended to a capture being read.
    "$sim" replay --quiet t.yaml c.pcap >>c.pcap 2>err
    [ $? = 2 ] || fail "stdout appended to the capture: not exit 2"
    grep -q '^error: standard output is the same file as capture c[.]pcap; refusing to write to it$' err ||
      fail "stdout onto the capture: $(cat err)"
    cmp -s c.pcap "$capture" || fail "the capture changed"
    cmp -s t.yaml "$topo" || fail "the topology changed"
    only c.pcap t.yaml link.pcap sub
    ;;
  devices)
    # Character devices are written, never replaced; a write error fails the run and
    # publishes none of its other outputs.
    "$sim" replay --quiet t.yaml c.pcap --flows /dev/null --summary /dev/null >out 2>err ||
      fail "--flows /dev/null: exit $?"
    [ -c /dev/null ] || fail "/dev/null is no longer a character device"
    if [ -e /dev/full ]; then
      expect_refused '^error: --summary /dev/full: cannot write: No space left on device$' \
        replay --quiet t.yaml c.pcap --flows f.jsonl --summary /dev/full
      [ -c /dev/full ] || fail "/dev/full is no longer a character device"
    fi
    mkdir d
    expect_refused '^error: --flows d: is a directory$' replay --quiet t.yaml c.pcap --flows d
    ln -s nowhere dangling
    expect_refused '^error: --flows dangling: a symbolic link to a file that does not exist' \
      replay --quiet t.yaml c.pcap --flows dangling
    only c.pcap t.yaml d dangling
    # A FIFO is written directly, as tcpdump -w does.
    mkfifo fifo
    cat fifo >from-fifo.jsonl &
    reader=$!
    "$sim" replay --quiet t.yaml c.pcap --flows fifo >/dev/null 2>err || fail "fifo: exit $?"
    wait $reader
    "$sim" replay --quiet t.yaml c.pcap --flows plain.jsonl >/dev/null 2>err
    cmp -s from-fifo.jsonl plain.jsonl || fail "the FIFO got other records than a file"
    [ -p fifo ] || fail "the FIFO was replaced"
    ;;
  dash)
    # `-` is standard output: the records go there and the summary to stderr.
    "$sim" replay --quiet t.yaml c.pcap --flows f.jsonl --summary s.json >/dev/null
    "$sim" replay --quiet t.yaml c.pcap --flows - >stdout.jsonl 2>stderr.txt || fail "--flows -"
    cmp -s stdout.jsonl f.jsonl || fail "--flows - wrote other records than --flows FILE"
    grep -q '^3,863 packets' stderr.txt || fail "the summary is not on stderr"
    "$sim" replay --quiet t.yaml c.pcap --summary - --json >stdout.json 2>/dev/null
    cmp -s stdout.json s.json || fail "--summary - differs from --summary FILE"
    "$sim" replay --quiet t.yaml c.pcap --pcap-out o.pcap >/dev/null
    "$sim" replay --quiet t.yaml c.pcap --pcap-out - 2>/dev/null >dash.pcap
    cmp -s dash.pcap o.pcap || fail "--pcap-out - differs from --pcap-out FILE"
    [ -e - ] && fail "a file named '-' was created"
    expect_refused "^error: two outputs are '-'" replay --quiet t.yaml c.pcap --flows - --summary -
    ;;
  all-or-nothing)
    # A failure after some outputs were complete publishes none of them, and files that were
    # there before keep their content.
    echo before >f.jsonl
    expect_refused '^/dev/full: error: cannot write: No space left on device$' \
      replay --quiet t.yaml c.pcap --flows f.jsonl --summary s.json --pcap-out /dev/full
    [ "$(cat f.jsonl)" = before ] || fail "f.jsonl was replaced by a failed run"
    [ -e s.json ] && fail "s.json was published by a failed run"
    # A capture whose 100th record claims 4 GiB fails at that packet, after 99 were replayed.
    cp c.pcap cut.pcap
    offset=24
    for _ in $(seq 99); do
      caplen=$(od -An -tu4 -j $((offset + 8)) -N4 cut.pcap | tr -d ' ')
      offset=$((offset + 16 + caplen))
    done
    printf '\377\377\377\377' | dd of=cut.pcap bs=1 seek=$((offset + 8)) conv=notrunc 2>/dev/null
    expect_refused "^cut[.]pcap: error: packet 100 [(]offset $offset[)]: " \
      replay --quiet t.yaml cut.pcap --flows f.jsonl --summary s.json
    [ "$(cat f.jsonl)" = before ] || fail "f.jsonl was replaced by a failed run"
    only c.pcap t.yaml f.jsonl cut.pcap
    # A file replaced by a run that succeeds keeps its permissions.
    chmod 600 f.jsonl
    "$sim" replay --quiet t.yaml c.pcap --flows f.jsonl >/dev/null 2>err || fail "replay: $(cat err)"
    [ "$(stat -c %a f.jsonl)" = 600 ] || fail "f.jsonl is $(stat -c %a f.jsonl) after the run, was 600"
    [ "$(wc -l <f.jsonl)" = 250 ] || fail "f.jsonl was not replaced"
    # A stale partial file of another run (the same PID in another container) is left alone.
    : >s.json.partial-99999
    "$sim" replay --quiet t.yaml c.pcap --summary s.json >/dev/null 2>err || fail "stale partial: $(cat err)"
    [ -e s.json.partial-99999 ] || fail "another run's partial file was removed"
    rm -f s.json s.json.partial-99999
    ;;
  signals)
    # SIGINT and SIGTERM part-way remove the partial files; the shell sees 130 and 143.
    set -m  # background jobs keep SIGINT, as a program run from a terminal does
    for sig in INT TERM; do
      "$sim" synth --quiet t.yaml --flows 5000000 --flows-out big.jsonl --summary s.json \
        >/dev/null 2>err &
      pid=$!
      for _ in $(seq 200); do
        ls big.jsonl.partial-* >/dev/null 2>&1 && break
        sleep 0.05
      done
      ls big.jsonl.partial-* >/dev/null 2>&1 || fail "$sig: no partial file to interrupt"
      sleep 0.3
      kill -s "$sig" $pid
      wait $pid
      rc=$?
      case $sig in
        INT) [ $rc = 130 ] || fail "SIGINT: exit $rc, expected 130" ;;
        TERM) [ $rc = 143 ] || fail "SIGTERM: exit $rc, expected 143" ;;
      esac
      only c.pcap t.yaml
    done
    # A reader that goes away (SIGPIPE) leaves nothing behind either.
    "$sim" synth --quiet t.yaml --flows 200000 --flows-out - --summary s.json 2>/dev/null |
      head -1 >/dev/null
    [ "${PIPESTATUS[0]}" = 141 ] || fail "SIGPIPE: exit ${PIPESTATUS[0]}, expected 141"
    only c.pcap t.yaml
    ;;
  unprivileged)
    # As a user who may not write where it is told: a clear error and nothing left behind.
    # As root the same run would succeed, which is why it runs as nobody.
    [ "$(id -u)" = 0 ] || exit 77
    command -v setpriv >/dev/null || exit 77
    cp "$sim" sim
    mkdir locked
    chmod 755 "$work" .
    chmod 644 c.pcap t.yaml
    chmod 555 locked
    as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
    as_nobody ./sim replay --quiet t.yaml c.pcap --flows locked/f.jsonl >out 2>err
    [ $? = 2 ] || fail "nobody into a read-only directory: not exit 2"
    grep -q '^error: --flows locked/f[.]jsonl: cannot create a file in locked/: Permission denied$' err ||
      fail "nobody: $(cat err)"
    [ -n "$(ls -A locked)" ] && fail "left in locked/: $(ls -A locked)"
    if [ -e /dev/full ]; then
      as_nobody ./sim replay --quiet t.yaml c.pcap --summary /dev/full >out 2>err
      [ $? = 2 ] || fail "nobody to /dev/full: not exit 2"
      [ -c /dev/full ] || fail "/dev/full is no longer a character device"
    fi
    ;;
  progress)
    # On a terminal: percentage, rate, elapsed and remaining time, thousands separators; not
    # with --quiet, and not when stderr is a file. script(1) gives the run a terminal.
    command -v script >/dev/null || exit 77
    script -qfc "'$sim' synth t.yaml --flows 20000 --flows-out /dev/null >/dev/null" \
      /dev/null </dev/null | tr '\r' '\n' >tty.txt
    grep -Eq '^egress-sim: +[0-9]+% of 20,000 flows, [0-9,]+ packets [(][0-9,]+/s[)], [0-9,]+ flows [(][0-9,]+ live[)], [0-9]+:[0-9]{2} elapsed, [0-9]+:[0-9]{2} left' tty.txt ||
      fail "no progress line on a terminal: $(head -c 300 tty.txt)"
    script -qfc "'$sim' synth t.yaml --flows 20000 --quiet >/dev/null" /dev/null </dev/null >quiet.txt
    grep -q 'egress-sim:' quiet.txt && fail "progress shown with --quiet"
    "$sim" synth t.yaml --flows 20000 >/dev/null 2>err.txt
    [ -s err.txt ] && fail "progress shown on a stderr that is a file: $(head -c 200 err.txt)"
    rm -f tty.txt quiet.txt err.txt
    ;;
  *)
    echo "unknown scenario $scenario"
    exit 2
    ;;
esac
exit $failed
