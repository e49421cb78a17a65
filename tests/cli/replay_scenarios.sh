#!/usr/bin/env bash
# End-to-end scenarios of `egress-sim replay` and `synth` that need files between commands:
#
#   replay_scenarios.sh SCENARIO EGRESS_SIM SHARED_DIR REPO_DIR
#
# Exit 0 pass, 1 fail, 77 skipped (a tool it needs, such as tshark, is missing).
set -u
scenario=$1
sim=$2
shared=$3
repo=$4
captures=$shared/captures
lab=$repo/tests/replay/data/capture-lab.yaml
udr=$repo/topologies/aks-udr-firewall.yaml

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() {
  echo "FAIL: $*"
  failed=1
}

# Frames whose IPv4, TCP or UDP checksum tshark finds wrong.
bad_checksums() {
  tshark -r "$1" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
    -o udp.check_checksum:TRUE \
    -Y 'ip.checksum.status==0 || tcp.checksum.status==0 || udp.checksum.status==0' \
    2>/dev/null | wc -l
}

case "$scenario" in
  every-capture)
    # Every shared capture replays (exit 0) or is refused with the file named (exit 2); none
    # crashes or hangs.
    for f in "$captures"/*.pcap "$captures"/*.pcapng; do
      timeout 60 "$sim" replay --quiet "$lab" "$f" >"$work/out" 2>"$work/err"
      rc=$?
      case $rc in
        0) grep -q "^[0-9,]* packets\{0,1\} (" "$work/out" || fail "$f: no summary" ;;
        2) grep -q "^$f: error: " "$work/err" || fail "$f: exit 2 without '$f: error: ...'" ;;
        *) fail "$f: exit $rc"; cat "$work/err" ;;
      esac
      grep -q "internal error" "$work/err" && fail "$f: internal error"
    done
    ;;
  no-half-written-output)
    # A capture that fails part-way leaves none of the outputs behind.
    cp "$captures/methods.pcap" "$work/cut.pcap"
    cat "$captures/pcap-invalid-version-1.pcap" >"$work/bad.pcap"
    "$sim" replay --quiet "$lab" "$captures/methods.pcap" "$work/bad.pcap" \
      --flows "$work/f.jsonl" --summary "$work/s.json" --pcap-out "$work/o.pcap" \
      >"$work/out" 2>"$work/err"
    rc=$?
    [ $rc = 2 ] || fail "exit $rc, expected 2"
    [ -s "$work/out" ] && fail "stdout is not empty"
    leftovers=$(ls "$work" | grep -Ev '^(cut|bad)[.]pcap$|^(out|err)$')
    [ -z "$leftovers" ] || fail "left behind: $leftovers"
    ;;
  synth-replay-agree)
    # synth's flows and the replay of the capture it wrote are the same, byte for byte.
    "$sim" synth --quiet "$udr" --flows 3000 --seed 11 --pcap-out "$work/s.pcap" \
      --flows-out "$work/synth.jsonl" --summary "$work/synth.json" >/dev/null || fail "synth"
    "$sim" replay --quiet "$udr" "$work/s.pcap" --seed 11 --flows "$work/replay.jsonl" \
      --summary "$work/replay.json" >/dev/null || fail "replay"
    cmp -s "$work/synth.jsonl" "$work/replay.jsonl" || fail "flow records differ"
    cmp -s "$work/synth.json" "$work/replay.json" || fail "summaries differ"
    [ "$(wc -l <"$work/replay.jsonl")" = 3000 ] || fail "not 3000 flow records"
    ;;
  same-seed-same-bytes)
    for run in a b; do
      "$sim" synth --quiet "$udr" --flows 2000 --seed 5 --pcap-out "$work/$run.pcap" \
        --egress-pcap-out "$work/$run-egress.pcap" --flows-out "$work/$run.csv" \
        >"$work/$run.txt" || fail "synth $run"
    done
    "$sim" synth --quiet "$udr" --flows 2000 --seed 6 --flows-out "$work/c.csv" >/dev/null
    for f in .pcap -egress.pcap .csv .txt; do
      cmp -s "$work/a$f" "$work/b$f" || fail "seed 5 twice: a$f and b$f differ"
    done
    cmp -s "$work/a.csv" "$work/c.csv" && fail "seeds 5 and 6 gave the same flows"
    head -1 "$work/a.csv" | grep -q '^proto,src,sport,dst,dport,verdict,' || fail "CSV header"
    [ "$(wc -l <"$work/a.csv")" = 2001 ] || fail "CSV: not a header and 2000 rows"
    ;;
  pcap-out-checksums)
    command -v tshark >/dev/null || exit 77
    # Generated traffic: every checksum right before and after SNAT.
    "$sim" synth --quiet "$udr" --flows 500 --seed 3 --destinations 20.42.0.0/17:9000 --pcap-out "$work/in.pcap" \
      --egress-pcap-out "$work/out.pcap" --summary "$work/s.json" >/dev/null || fail "synth"
    [ "$(bad_checksums "$work/in.pcap")" = 0 ] || fail "generated capture has bad checksums"
    [ "$(bad_checksums "$work/out.pcap")" = 0 ] || fail "egress capture has bad checksums"
    written=$(grep -o '"egressPacketsWritten":[0-9]*' "$work/s.json" | cut -d: -f2)
    [ "$(tshark -r "$work/out.pcap" 2>/dev/null | wc -l)" = "$written" ] ||
      fail "tshark does not count $written packets"
    tshark -r "$work/out.pcap" -T fields -e ip.src -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' \
      2>/dev/null | sort -u >"$work/sources"
    [ "$(cat "$work/sources")" = "20.83.201.36" ] || fail "SYNs leave from $(cat "$work/sources")"
    # Real captures: no checksum that was right goes wrong (offloaded ones stay as they were).
    for f in methods communityid-tcp irc-starttls openjdk-25.0.2-zeek.org nflog-http \
      qi_internet_SYNACK_curl_jsonip get-to-ssh-server; do
      "$sim" replay --quiet "$lab" "$captures/$f.pcap" --pcap-out "$work/$f.pcap" >/dev/null ||
        fail "$f: replay"
      [ "$(bad_checksums "$work/$f.pcap")" = "$(bad_checksums "$captures/$f.pcap")" ] ||
        fail "$f: SNAT changed which checksums hold"
      [ "$(tshark -r "$work/$f.pcap" 2>/dev/null | wc -l)" = \
        "$(tshark -r "$captures/$f.pcap" 2>/dev/null | wc -l)" ] || fail "$f: packet count"
    done
    ;;
  pcap-out-every-linktype)
    # --pcap-out on a capture of each link type replay reads, and on all of them merged (one
    # link type, the others reframed into it): tshark reads the output (exit 0, nothing
    # malformed), a frame for each packet the summary says was written, with the expected
    # encapsulation (tshark's numbers: 1 Ethernet, 25 SLL, 210 SLL2, 7 raw IP, 129 raw IPv4,
    # 141 NFLOG). The lab makes the flows of the first six egress; the others are loopback,
    # DHCP or IPv6 the lab has no egress for, so their outputs are empty but still read.
    command -v tshark >/dev/null || exit 77
    check_output() { # NAME EXPECTED_ENCAP (- when nothing should egress)
      tshark -r "$work/o.pcap" -T fields -e frame.encap_type -e _ws.malformed \
        -e _ws.expert.severity >"$work/frames" 2>"$work/terr" || fail "$1: tshark exit $?"
      grep -v '^Running as user' "$work/terr" | grep -q . && fail "$1: tshark: $(cat "$work/terr")"
      written=$(grep -o '"egressPacketsWritten":[0-9]*' "$work/s.json" | cut -d: -f2)
      [ "$(wc -l <"$work/frames")" = "$written" ] ||
        fail "$1: tshark reads $(wc -l <"$work/frames") frames, $written written"
      grep -q -e 'malformed' -e '8388608' "$work/frames" && fail "$1: malformed frames"
      if [ "$2" = - ]; then
        [ "$written" = 0 ] || fail "$1: $written packets egressed, none expected"
      else
        [ "$written" -gt 0 ] || fail "$1: nothing egressed"
        encaps=$(cut -f1 "$work/frames" | sort -u | tr '\n' ' ')
        [ "$encaps" = "$2 " ] || fail "$1: encapsulation $encaps, expected $2"
      fi
    }
    for entry in communityid-tcp.pcap:1 irc-starttls.pcap:25 openjdk-25.0.2-zeek.org.pcap:210 \
      LINKTYPE_RAW_ipv4.pcap:7 LINKTYPE_IPV4.pcap:129 nflog-http.pcap:141 \
      linux_dlt_sll2.pcap:- LINKTYPE_RAW_ipv6.pcap:- quic_handshake.pcap:- \
      udp-multiple-source-ports.pcap:- pcapng-le-test006.pcapng:-; do
      f=${entry%:*}
      rm -f "$work/o.pcap" "$work/s.json"
      "$sim" replay --quiet "$lab" "$captures/$f" --pcap-out "$work/o.pcap" \
        --summary "$work/s.json" >/dev/null 2>"$work/err" || fail "$f: replay: $(cat "$work/err")"
      check_output "$f" "${entry##*:}"
    done
    # Merged, the earliest written packet is communityid-tcp's (2003, Ethernet).
    rm -f "$work/o.pcap" "$work/s.json"
    "$sim" replay --quiet "$lab" "$captures/communityid-tcp.pcap" "$captures/irc-starttls.pcap" \
      "$captures/openjdk-25.0.2-zeek.org.pcap" "$captures/LINKTYPE_RAW_ipv4.pcap" \
      "$captures/LINKTYPE_IPV4.pcap" "$captures/nflog-http.pcap" --pcap-out "$work/o.pcap" \
      --summary "$work/s.json" >/dev/null 2>"$work/err" || fail "merged: replay: $(cat "$work/err")"
    grep -q "^warning: [0-9]* packets of another link type were written with the first packet's link header$" \
      "$work/err" || fail "merged: no reframing warning"
    check_output merged 1
    ;;
  tshark-agreement)
    # Every shared capture that replays: packets and TCP/UDP flows as tshark counts them.
    # Known differences, each explained in tests/capture/capture_tshark_test.cc: tshark also
    # counts the TCP inside geneve's tunnel, counts no flow for a lone ICMP error whose quoted
    # UDP flow we count, and decodes LINKTYPE_IPV4_invalid's IPv6 that we call malformed.
    command -v tshark >/dev/null || exit 77
    for f in "$captures"/*.pcap "$captures"/*.pcapng; do
      case $(basename "$f") in
        geneve.pcap | icmp-destunreach-udp.pcap | icmp6-toobig.pcap | LINKTYPE_IPV4_invalid.pcap)
          continue ;;
      esac
      "$sim" replay --quiet "$lab" "$f" --flows "$work/f.jsonl" --summary "$work/s.json" \
        >/dev/null 2>&1 || continue
      packets=$(grep -o '"packets":[0-9]*' "$work/s.json" | head -1 | cut -d: -f2)
      flows=$(grep -c '"proto":"\(tcp\|udp\)"' "$work/f.jsonl")
      # tshark 4.0 lists pcapng custom blocks as frames without a link type; they hold no
      # packet.
      t_packets=$(tshark -r "$f" -T fields -e frame.encap_type 2>/dev/null | grep -c .)
      t_flows=$(tshark -r "$f" -q -z conv,tcp -z conv,udp 2>/dev/null | grep -c '<->')
      [ "$packets" = "$t_packets" ] || fail "$f: $packets packets, tshark $t_packets"
      [ "$flows" = "$t_flows" ] || fail "$f: $flows TCP/UDP flows, tshark $t_flows"
    done
    ;;
  shipped-capture-reproducible)
    # The capture the README replays is exactly what its documented synth command makes.
    "$sim" synth --quiet "$udr" --mix "$repo/topologies/mixes/aks-udr-firewall-nodes.yaml" \
      --pcap-out "$work/nodes.pcap" >/dev/null || fail "synth"
    cmp -s "$work/nodes.pcap" "$repo/topologies/captures/aks-udr-firewall-nodes.pcap" ||
      fail "topologies/captures/aks-udr-firewall-nodes.pcap is not what its command makes"
    ;;
  scale-pcap-out-checksums)
    # replay --scale: tshark reads the clones past the egress point with every checksum right,
    # and on real captures the clones keep which checksums hold (K times the wrong ones).
    command -v tshark >/dev/null || exit 77
    nodes=$repo/topologies/captures/aks-udr-firewall-nodes.pcap
    "$sim" replay --quiet "$udr" "$nodes" --scale 10 --pcap-out "$work/out.pcap" \
      --summary "$work/s.json" >/dev/null || fail "replay --scale 10"
    [ "$(bad_checksums "$work/out.pcap")" = 0 ] || fail "scaled egress capture has bad checksums"
    written=$(grep -o '"egressPacketsWritten":[0-9]*' "$work/s.json" | cut -d: -f2)
    [ "$written" = 32590 ] || fail "$written egress packets written, not 32590"
    [ "$(tshark -r "$work/out.pcap" 2>/dev/null | wc -l)" = "$written" ] ||
      fail "tshark does not count $written packets"
    for f in methods communityid-tcp irc-starttls nflog-http get-to-ssh-server; do
      "$sim" replay --quiet "$lab" "$captures/$f.pcap" --scale 3 --pcap-out "$work/$f.pcap" \
        >/dev/null || fail "$f: replay --scale 3"
      [ "$(bad_checksums "$work/$f.pcap")" = "$((3 * $(bad_checksums "$captures/$f.pcap")))" ] ||
        fail "$f: cloning changed which checksums hold"
      [ "$(tshark -r "$work/$f.pcap" 2>/dev/null | wc -l)" = \
        "$((3 * $(tshark -r "$captures/$f.pcap" 2>/dev/null | wc -l)))" ] || fail "$f: packet count"
    done
    ;;
  scale-same-seed-same-bytes)
    # The same seed gives the same clones, byte for byte; another seed other ports.
    nodes=$repo/topologies/captures/aks-udr-firewall-nodes.pcap
    for run in a b; do
      "$sim" replay --quiet "$udr" "$nodes" --scale 5 --speedup 2 --seed 9 \
        --pcap-out "$work/$run.pcap" --flows "$work/$run.jsonl" >/dev/null || fail "replay $run"
    done
    "$sim" replay --quiet "$udr" "$nodes" --scale 5 --speedup 2 --seed 10 \
      --flows "$work/c.jsonl" >/dev/null || fail "replay c"
    cmp -s "$work/a.pcap" "$work/b.pcap" || fail "--pcap-out differs between runs"
    cmp -s "$work/a.jsonl" "$work/b.jsonl" || fail "--flows differs between runs"
    cmp -s "$work/a.jsonl" "$work/c.jsonl" && fail "another seed gave the same flows"
    [ "$(grep -c . "$work/a.jsonl")" = 1250 ] || fail "not 1250 flows"
    ;;
  scale-absent-when-one)
    # Unscaled summaries have neither key; a scaled one has both.
    nodes=$repo/topologies/captures/aks-udr-firewall-nodes.pcap
    "$sim" replay --quiet --json "$udr" "$nodes" >"$work/one.json" || fail "replay"
    grep -q '"scale"\|"speedup"' "$work/one.json" && fail "scale or speedup in an unscaled summary"
    grep -q '^scale:' <("$sim" replay --quiet "$udr" "$nodes") && fail "scale line when unscaled"
    "$sim" replay --quiet --json "$udr" "$nodes" --scale 2 >"$work/two.json" || fail "replay"
    grep -q '"scale":2,"speedup":1' "$work/two.json" && fail "speedup 1 written"
    grep -q '"scale":2,' "$work/two.json" || fail "no scale in a scaled summary"
    ;;
  *)
    echo "unknown scenario $scenario"
    exit 2
    ;;
esac
exit $failed
