#!/usr/bin/env bash
# replay and synth on several threads (--threads N) and across processes (--shard I/N, then
# merge) against one plain run: the outputs must be the same bytes.
#
#   parallel_scenarios.sh SCENARIO EGRESS_SIM SHARED_DIR REPO_DIR
#
# Exit 0 pass, 1 fail.
set -u
scenario=$1
sim=$2
shared=$3
repo=$4
captures=$shared/captures
lab=$repo/tests/replay/data/capture-lab.yaml
topologies=$repo/topologies

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() {
  echo "FAIL: $*"
  failed=1
}

# The shared captures with every kind of packet replay meets: IPv4 and IPv6, TCP, UDP and ICMP,
# ICMP errors, fragments, VLAN tags, cooked and raw link types.
lab_captures=()
for f in communityid-tcp communityid-icmp communityid-ipv6 wikipedia methods \
  icmp-destunreach-udp icmp6-toobig fragmented-1 fragmented-4 ipv6-fragmented-dns \
  http-vlan-0 http-qinq-0 LINKTYPE_RAW_ipv4 LINKTYPE_RAW_ipv6 udp-multiple-source-ports \
  qi_internet_SYNACK_curl_jsonip; do
  [ -f "$captures/$f.pcap" ] && lab_captures+=("$captures/$f.pcap")
done

# Every kind of path: an appliance with host-name rules and its drops (the repo's capture), NAT
# gateway, load balancer (with a pool small enough to run out), VPN and peering, instance
# public IPs, the lab's IPv6 and fragments. Each case: NAME TOPOLOGY CAPTURE...
make_cases() {
  "$sim" synth --quiet "$topologies/aks-managed-nat-gateway.yaml" --flows 4000 --seed 3 \
    --rate 400 --pcap-out "$work/natgw.pcap" >/dev/null || fail "synth natgw"
  "$sim" synth --quiet "$topologies/aks-loadbalancer.yaml" --flows 3000 --seed 4 --rate 300 \
    --pcap-out "$work/lb.pcap" >/dev/null || fail "synth lb"
  "$sim" synth --quiet "$topologies/hub-spoke-vpn.yaml" --flows 2000 --seed 5 \
    --pcap-out "$work/hub.pcap" >/dev/null || fail "synth hub"
  "$sim" synth --quiet "$topologies/outbound-precedence.yaml" --flows 2000 --seed 6 \
    --sources host:vm-natgw,host:vm-ilpip,host:vm-lb,host:vm-default,host:vm-private,host:vm-udr \
    --pcap-out "$work/precedence.pcap" >/dev/null || fail "synth precedence"
  # The Ethernet ones (microseconds, little-endian) as one file, five times over: a classic pcap
  # of one input is read into buffers the batches pin, and then the reader decodes every other
  # packet and the workers the rest, fragments always in the workers. Several batches, with
  # fragments in each.
  local f r
  {
    head -c 24 "$captures/wikipedia.pcap"
    for r in 1 2 3 4 5; do
      for f in "${lab_captures[@]}"; do
        case $(basename "$f") in LINKTYPE_RAW_* | udp-multiple-source-ports.pcap) continue ;; esac
        tail -c +25 "$f"
      done
    done
  } >"$work/lab-one.pcap"
  cases=(
    "udr|$topologies/aks-udr-firewall.yaml|$topologies/captures/aks-udr-firewall-nodes.pcap"
    "natgw|$topologies/aks-managed-nat-gateway.yaml|$work/natgw.pcap"
    "lb-exhausted|$repo/tests/cli/data/lb-few-ports.yaml|$work/lb.pcap"
    "hub|$topologies/hub-spoke-vpn.yaml|$work/hub.pcap"
    "precedence|$topologies/outbound-precedence.yaml|$work/precedence.pcap"
    "lab|$lab|${lab_captures[*]}"
    "lab-one-file|$lab|$work/lab-one.pcap"
  )
}

# The outputs of one run into directory $1; the rest of the arguments are the run's. synth
# names its records option --flows-out.
flows_option=--flows
run_into() {
  local dir=$1
  shift
  mkdir -p "$dir"
  "$@" "$flows_option" "$dir/flows.jsonl" --summary "$dir/summary.json" --report "$dir/report.html" \
    >"$dir/stdout" 2>"$dir/stderr"
  echo $? >"$dir/rc"
}
run_pcap_into() {
  local dir=$1
  shift
  run_into "$dir" "$@" --pcap-out "$dir/egress.pcap"
}

# Directory $2's outputs are directory $1's, byte for byte ($3 names the comparison).
same_outputs() {
  local f
  for f in rc stdout flows.jsonl summary.json report.html egress.pcap; do
    if [ -e "$1/$f" ] || [ -e "$2/$f" ]; then
      cmp -s "$1/$f" "$2/$f" || fail "$3: $f differs"
    fi
  done
  [ "$(cat "$1/rc")" = 0 ] || { fail "$3: exit $(cat "$1/rc")"; cat "$1/stderr"; }
}

case "$scenario" in
  threads-same-bytes)
    make_cases
    for c in "${cases[@]}"; do
      IFS='|' read -r name topology capture_list <<<"$c"
      read -r -a caps <<<"$capture_list"
      run_pcap_into "$work/$name-1" "$sim" replay --quiet "$topology" "${caps[@]}" --threads 1
      [ -s "$work/$name-1/flows.jsonl" ] || fail "$name: no flows"
      for n in 2 3 8; do
        run_pcap_into "$work/$name-$n" "$sim" replay --quiet "$topology" "${caps[@]}" \
          --threads $n
        same_outputs "$work/$name-1" "$work/$name-$n" "$name --threads $n"
      done
    done
    # Destination groups: their rows come from every tracker's paths.
    groups=$repo/tests/cli/data/partners.yaml
    for n in 1 2 3; do
      run_into "$work/groups-$n" "$sim" replay --quiet "$topologies/aks-udr-firewall.yaml" \
        "$topologies/captures/aks-udr-firewall-nodes.pcap" --groups "$groups" --threads $n
      [ $n = 1 ] || same_outputs "$work/groups-1" "$work/groups-$n" "--groups --threads $n"
    done
    grep -q '"groups":\[{"name":"github"' "$work/groups-1/summary.json" || fail "no group rows"
    ;;
  synth-threads-same-bytes)
    flows_option=--flows-out
    for t in aks-managed-nat-gateway aks-udr-firewall hub-spoke-vpn; do
      for n in 1 2 3 8; do
        mkdir -p "$work/$t-$n"
        run_into "$work/$t-$n" "$sim" synth --quiet "$topologies/$t.yaml" --flows 3000 \
          --seed 9 --threads $n --egress-pcap-out "$work/$t-$n/egress.pcap"
        [ $n = 1 ] || same_outputs "$work/$t-1" "$work/$t-$n" "synth $t --threads $n"
      done
    done
    ;;
  shards-merge-same-bytes)
    make_cases
    for c in "${cases[@]}"; do
      IFS='|' read -r name topology capture_list <<<"$c"
      read -r -a caps <<<"$capture_list"
      run_pcap_into "$work/$name-one" "$sim" replay --quiet "$topology" "${caps[@]}"
      for n in 1 2 3 4 5; do
        shards=()
        for ((i = n - 1; i >= 0; i--)); do
          "$sim" replay --quiet "$topology" "${caps[@]}" --threads $((i % 3 + 1)) \
            --shard $i/$n --shard-out "$work/$name-$n-$i.shard" >"$work/shard.out" 2>&1 ||
            { fail "$name shard $i/$n"; cat "$work/shard.out"; }
          grep -q "^shard $i/$n: " "$work/shard.out" || fail "$name shard $i/$n: no note"
          shards+=("$work/$name-$n-$i.shard")
        done
        run_pcap_into "$work/$name-merged-$n" "$sim" merge "${shards[@]}"
        same_outputs "$work/$name-one" "$work/$name-merged-$n" "$name merge of $n shards"
      done
    done
    ;;
  synth-shards-merge-same-bytes)
    t=$topologies/aks-udr-firewall.yaml
    flows_option=--flows-out
    run_into "$work/one" "$sim" synth --quiet "$t" --flows 2000 --seed 2 \
      --egress-pcap-out "$work/one/egress.pcap"
    for i in 0 1 2; do
      "$sim" synth --quiet "$t" --flows 2000 --seed 2 --shard $i/3 \
        --shard-out "$work/s$i.shard" >/dev/null || fail "synth shard $i/3"
    done
    flows_option=--flows
    run_pcap_into "$work/merged" "$sim" merge "$work/s2.shard" "$work/s0.shard" "$work/s1.shard"
    same_outputs "$work/one" "$work/merged" "synth merge of 3 shards"
    ;;
  shards-no-packets)
    # --shard-no-packets: the shard files keep no packets, and merge writes the same summary,
    # flows and report as one run; --pcap-out it refuses, naming the shard, and writes nothing.
    make_cases
    for c in "${cases[@]}"; do
      IFS='|' read -r name topology capture_list <<<"$c"
      read -r -a caps <<<"$capture_list"
      run_into "$work/$name-one" "$sim" replay --quiet "$topology" "${caps[@]}"
      shards=()
      for i in 0 1 2; do
        "$sim" replay --quiet "$topology" "${caps[@]}" --threads $((i + 1)) --shard $i/3 \
          --shard-out "$work/$name-$i.shard" --shard-no-packets >/dev/null 2>&1 ||
          fail "$name shard $i/3 --shard-no-packets"
        "$sim" replay --quiet "$topology" "${caps[@]}" --shard $i/3 \
          --shard-out "$work/$name-$i-full.shard" >/dev/null 2>&1 || fail "$name shard $i/3"
        [ "$(stat -c %s "$work/$name-$i.shard")" -le "$(stat -c %s "$work/$name-$i-full.shard")" ] ||
          fail "$name shard $i/3: larger without its packets"
        shards+=("$work/$name-$i.shard")
      done
      run_into "$work/$name-merged" "$sim" merge "${shards[@]}"
      same_outputs "$work/$name-one" "$work/$name-merged" "$name merge of 3 packetless shards"
      # Packetless and full shards of one run mix, for every output but --pcap-out.
      run_into "$work/$name-mixed" "$sim" merge "${shards[0]}" "$work/$name-1-full.shard" \
        "${shards[2]}"
      same_outputs "$work/$name-one" "$work/$name-mixed" "$name merge of mixed shards"
    done
    # The NAT gateway's shard holds nearly every packet; without them it is a fraction.
    big=0
    for i in 1 2; do
      [ "$(stat -c %s "$work/natgw-$i-full.shard")" -gt "$(stat -c %s "$work/natgw-$big-full.shard")" ] &&
        big=$i
    done
    full=$(stat -c %s "$work/natgw-$big-full.shard")
    none=$(stat -c %s "$work/natgw-$big.shard")
    [ $((none * 4)) -lt "$full" ] ||
      fail "natgw shard $big/3: $none bytes without packets, $full with"
    others=()
    for i in 0 1 2; do
      [ $i = "$big" ] && others+=("$work/natgw-$i.shard") || others+=("$work/natgw-$i-full.shard")
    done
    "$sim" merge "${others[@]}" --pcap-out "$work/m.pcap" --flows "$work/m.jsonl" >"$work/out" \
      2>"$work/err"
    rc=$?
    [ $rc = 2 ] || fail "merge --pcap-out of a packetless shard: exit $rc, expected 2"
    grep -q "^error: --pcap-out: .*natgw-$big.shard was written with --shard-no-packets and holds no packets; run its shard again without it, or merge without --pcap-out$" "$work/err" ||
      { fail "merge --pcap-out: message"; cat "$work/err"; }
    [ -e "$work/m.pcap" ] && fail "merge --pcap-out: left m.pcap behind"
    [ -e "$work/m.jsonl" ] && fail "merge --pcap-out: left m.jsonl behind"
    "$sim" replay --quiet "$topologies/aks-udr-firewall.yaml" \
      "$topologies/captures/aks-udr-firewall-nodes.pcap" --shard-no-packets >/dev/null 2>"$work/err"
    rc=$?
    [ $rc = 2 ] || fail "--shard-no-packets without --shard: exit $rc, expected 2"
    grep -q "^error: --shard-no-packets needs --shard I/N$" "$work/err" ||
      { fail "--shard-no-packets without --shard: message"; cat "$work/err"; }
    # synth shards the same way.
    t=$topologies/aks-managed-nat-gateway.yaml
    flows_option=--flows-out
    run_into "$work/synth-one" "$sim" synth --quiet "$t" --flows 2000 --seed 2
    for i in 0 1; do
      "$sim" synth --quiet "$t" --flows 2000 --seed 2 --shard $i/2 --shard-no-packets \
        --shard-out "$work/synth$i.shard" >/dev/null || fail "synth shard $i/2"
    done
    flows_option=--flows
    run_into "$work/synth-merged" "$sim" merge "$work/synth1.shard" "$work/synth0.shard"
    same_outputs "$work/synth-one" "$work/synth-merged" "synth merge of 2 packetless shards"
    ;;
  merge-refuses)
    t=$topologies/aks-udr-firewall.yaml
    cap=$topologies/captures/aks-udr-firewall-nodes.pcap
    shard() { "$sim" replay --quiet "$@" >/dev/null 2>&1 || fail "shard run: $*"; }
    shard "$t" "$cap" --shard 0/3 --shard-out "$work/a0.shard"
    shard "$t" "$cap" --shard 1/3 --shard-out "$work/a1.shard"
    shard "$t" "$cap" --shard 2/3 --shard-out "$work/a2.shard"
    shard "$t" "$cap" --shard 1/2 --shard-out "$work/b1.shard"
    shard "$t" "$cap" --shard 2/3 --seed 7 --shard-out "$work/seed2.shard"
    shard "$topologies/aks-loadbalancer.yaml" "$cap" --shard 2/3 --shard-out "$work/topo2.shard"
    "$sim" synth --quiet "$t" --flows 50 --shard 2/3 --shard-out "$work/synth2.shard" >/dev/null
    shard "$t" "$captures/methods.pcap" --shard 2/3 --shard-out "$work/cap2.shard"
    head -c $(($(stat -c %s "$work/a2.shard") - 100)) "$work/a2.shard" >"$work/cut2.shard"
    printf 'not a shard' >"$work/junk.shard"
    expect() {  # EXPECTED-STDERR-REGEX SHARD...
      local want=$1
      shift
      "$sim" merge "$@" --flows "$work/m.jsonl" >"$work/out" 2>"$work/err"
      rc=$?
      [ $rc = 2 ] || fail "merge $*: exit $rc, expected 2"
      grep -Eq "$want" "$work/err" || { fail "merge $*: stderr lacks /$want/"; cat "$work/err"; }
      [ -e "$work/m.jsonl" ] && fail "merge $*: left m.jsonl behind"
      [ -s "$work/out" ] && fail "merge $*: wrote stdout"
    }
    expect "shard 2/3 is missing: merge needs all 3 shards" "$work/a0.shard" "$work/a1.shard"
    expect "a1.shard: shard 1/3 given twice [(]also .*a1.shard[)]" \
      "$work/a0.shard" "$work/a1.shard" "$work/a1.shard" "$work/a2.shard"
    expect "b1.shard: shard 1/2 of 2 shards, but .*a0.shard is one of 3" \
      "$work/a0.shard" "$work/b1.shard" "$work/a2.shard"
    expect "seed2.shard: a replay with another --seed [(]7, not 0[)] than" \
      "$work/a0.shard" "$work/a1.shard" "$work/seed2.shard"
    expect "topo2.shard: a replay of another topology than" \
      "$work/a0.shard" "$work/a1.shard" "$work/topo2.shard"
    expect "synth2.shard: a run of other inputs than" \
      "$work/a0.shard" "$work/a1.shard" "$work/synth2.shard"
    expect "cap2.shard: a run of other inputs than" \
      "$work/a0.shard" "$work/a1.shard" "$work/cap2.shard"
    expect "cut2.shard: incomplete: the shard run that wrote it did not finish" \
      "$work/a0.shard" "$work/a1.shard" "$work/cut2.shard"
    expect "junk.shard: not an egress-sim shard file" "$work/junk.shard"
    expect "damaged_packets_flag.shard: damaged header: packets flag 2$" \
      "$repo/tests/fuzz/regressions/shard_file/damaged_packets_flag.shard"
    # Shard files of the same captures under other names: the data decides, not the names.
    cp "$cap" "$work/renamed.pcap"
    shard "$t" "$work/renamed.pcap" --shard 2/3 --shard-out "$work/renamed2.shard"
    expect "renamed2.shard: a run of other inputs than" \
      "$work/a0.shard" "$work/a1.shard" "$work/renamed2.shard"
    # Usage: an index outside 0..N-1, a shard without its file, other outputs with --shard.
    usage() {  # EXPECTED-STDERR-REGEX ARGS...
      local want=$1
      shift
      "$sim" replay --quiet "$t" "$cap" "$@" >"$work/out" 2>"$work/err"
      rc=$?
      [ $rc = 2 ] || fail "replay $*: exit $rc, expected 2"
      grep -Eq "$want" "$work/err" || { fail "replay $*: stderr lacks /$want/"; cat "$work/err"; }
    }
    usage "^error: --shard: 3/3: the index must be 0..2$" --shard 3/3 --shard-out "$work/x.shard"
    usage "^error: --shard: 0/0: the index must be 0..N-1 and N at least 1$" --shard 0/0 \
      --shard-out "$work/x.shard"
    usage "^error: --shard: 'two' is not I/N [(]e.g. 0/4[)]$" --shard two --shard-out "$work/x.shard"
    usage "^error: --shard I/N needs --shard-out FILE$" --shard 0/2
    usage "^error: --shard-out needs --shard I/N$" --shard-out "$work/x.shard"
    usage "^error: --flows: give it to 'egress-sim merge'; a --shard run writes only its shard file$" \
      --shard 0/2 --shard-out "$work/x.shard" --flows "$work/f.jsonl"
    usage "^--threads: Value 0 not in range 1 to 1024" --threads 0
    usage "^error: --groups: not with --shard yet" --shard 0/2 --shard-out "$work/x.shard" \
      --groups "$repo/tests/cli/data/partners.yaml"
    [ -e "$work/x.shard" ] && fail "a refused run left x.shard"
    ;;
  worker-error)
    # A capture that fails part-way: every thread count stops with one thread's message and
    # exit code, and publishes nothing.
    t=$topologies/aks-udr-firewall.yaml
    for n in 1 2 3; do
      "$sim" replay --quiet "$t" "$captures/methods.pcap" "$captures/pcap-invalid-version-1.pcap" \
        --threads $n --flows "$work/f$n.jsonl" --pcap-out "$work/o$n.pcap" \
        >"$work/out$n" 2>"$work/err$n"
      echo $? >"$work/rc$n"
      [ -e "$work/f$n.jsonl" ] && fail "--threads $n left its flows file"
      [ -e "$work/o$n.pcap" ] && fail "--threads $n left its pcap"
    done
    [ "$(cat "$work/rc1")" = 2 ] || fail "--threads 1: exit $(cat "$work/rc1")"
    grep -q "pcap-invalid-version-1.pcap" "$work/err1" || fail "the error does not name the file"
    for n in 2 3; do
      cmp -s "$work/err1" "$work/err$n" || fail "--threads $n: another message"
      cmp -s "$work/rc1" "$work/rc$n" || fail "--threads $n: another exit code"
    done
    "$sim" replay --quiet "$t" "$captures/methods.pcap" "$captures/pcap-invalid-version-1.pcap" \
      --shard 0/2 --shard-out "$work/s.shard" >/dev/null 2>"$work/errs"
    [ $? = 2 ] || fail "--shard: a failed run did not exit 2"
    [ -e "$work/s.shard" ] && fail "--shard: a failed run left its shard file"
    ;;
  heap-restart)
    # replay, synth and merge start themselves again once with glibc's heap tunables
    # (tools/heap_tuning.cc): the restarted process has them (as /proc shows its environment
    # after glibc has parsed it: up to the first colon), a capture on stdin or a fifo loses no
    # byte to the restart, and the bytes are those of a run that did not restart.
    t=$topologies/aks-udr-firewall.yaml
    cap=$topologies/captures/aks-udr-firewall-nodes.pcap
    mkfifo "$work/fifo"
    env -u EGRESS_SIM_HEAP_TUNED GLIBC_TUNABLES=glibc.malloc.tcache_count=9 \
      "$sim" replay --quiet "$t" "$work/fifo" --flows "$work/fifo.jsonl" >/dev/null 2>&1 &
    pid=$!
    environ=
    for _ in $(seq 100); do
      environ=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null)
      grep -q '^EGRESS_SIM_HEAP_TUNED=1$' <<<"$environ" && break
      sleep 0.05
    done
    grep -q "^GLIBC_TUNABLES=glibc.malloc.hugetlb=1" <<<"$environ" ||
      fail "the restarted replay's GLIBC_TUNABLES: $(grep GLIBC <<<"$environ")"
    cat "$cap" >"$work/fifo"
    wait $pid || fail "replay from a fifo: exit $?"
    env -u EGRESS_SIM_HEAP_TUNED "$sim" replay --quiet "$t" - --flows "$work/stdin.jsonl" \
      <"$cap" >/dev/null || fail "replay from stdin: exit $?"
    EGRESS_SIM_HEAP_TUNED=1 "$sim" replay --quiet "$t" "$cap" --flows "$work/plain.jsonl" \
      >/dev/null || fail "replay without the restart: exit $?"
    [ -s "$work/plain.jsonl" ] || fail "no flows written"
    cmp -s "$work/plain.jsonl" "$work/fifo.jsonl" || fail "from a fifo: other flows"
    cmp -s "$work/plain.jsonl" "$work/stdin.jsonl" || fail "from stdin: other flows"
    ;;
  *)
    echo "unknown scenario $scenario"
    exit 1
    ;;
esac
exit $failed
