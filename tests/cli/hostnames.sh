#!/usr/bin/env bash
# Flows decided by their host name (docs/azure-behaviour.md B, "Host names of flows"): two
# real captures through tests/cli/data/hostnames-firewall.yaml, whose Azure Firewall allows
# zeek.org (HTTPS) and www.wikipedia.org (HTTP) by application rules, checked flow by flow
# against the names tshark reads (TLS server_name, HTTP Host).
#
#   hostnames.sh SCENARIO EGRESS_SIM SHARED_DIR REPO_DIR
#
# Exit 0 pass, 1 fail, 77 skipped (tshark is missing).
set -u
scenario=$1
sim=$2
shared=$3
repo=$4
captures="$shared/captures/openjdk-25.0.2-zeek.org.pcap $shared/captures/wikipedia.pcap"
topology=$repo/tests/cli/data/hostnames-firewall.yaml
allowed=" zeek.org www.wikipedia.org "

command -v tshark >/dev/null 2>&1 || exit 77
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() {
  echo "FAIL: $*"
  failed=1
}

# "CLIENT SPORT NAME" of each TCP flow's first ClientHello or request, by tshark.
tshark_names() {
  for f in $captures; do
    tshark -r "$f" -Y 'tls.handshake.type==1 || http.request' -T fields -e ip.src \
      -e tcp.srcport -e tls.handshake.extensions_server_name -e http.host 2>/dev/null
  done | awk -F'\t' '!seen[$1 " " $2]++ { print $1, $2, ($3 != "" ? $3 : $4) }'
}

# The flow record of CLIENT:SPORT in a --flows JSON Lines file.
record() {
  grep -F "\"src\":\"$2\",\"sport\":$3," "$1"
}

# Replays with TOPOLOGY, then checks every named flow: allowed names egress with the
# firewall's IP and carry their host, the others are dropped by the firewall.
check_verdicts() {
  local topo=$1 allow=$2
  "$sim" replay --quiet "$topo" $captures --flows "$work/f.jsonl" >"$work/out" 2>"$work/err" ||
    { fail "replay exit $?"; cat "$work/err"; return; }
  local n=0
  while read -r client sport name; do
    n=$((n + 1))
    line=$(record "$work/f.jsonl" "$client" "$sport")
    [ -n "$line" ] || { fail "$client:$sport ($name): no flow record"; continue; }
    case "$line" in *"\"host\":\"$name\""*) ;; *) fail "$client:$sport: host is not $name: $line" ;; esac
    if [[ "$allow" == *" $name "* ]]; then
      case "$line" in *'"verdict":"egress"'*'"snatIp":"20.30.40.50"'*) ;;
        *) fail "$client:$sport ($name) should egress: $line" ;; esac
    else
      case "$line" in *'"verdict":"dropped","reason":"appliance-deny"'*) ;;
        *) fail "$client:$sport ($name) should be denied: $line" ;; esac
    fi
  done < <(tshark_names)
  [ "$n" -ge 9 ] || fail "only $n named flows"
}

case "$scenario" in
  verdicts)
    check_verdicts "$topology" "$allowed"
    # The same flows with zeek.org no longer allowed: only its verdict changes.
    sed 's/targetFqdns: \[zeek.org\]/targetFqdns: [example.org]/' "$topology" >"$work/t.yaml"
    check_verdicts "$work/t.yaml" " www.wikipedia.org "
    ;;
  pcap-out)
    # Past the firewall: every packet of an allowed flow, its handshake included (held until
    # the host decided it), with the firewall's address; nothing of a denied flow; checksums
    # right.
    "$sim" replay --quiet "$topology" $captures --pcap-out "$work/o.pcap" >"$work/out" \
      2>"$work/err" || { fail "replay exit $?"; cat "$work/err"; }
    bad=$(tshark -r "$work/o.pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
      -Y 'ip.checksum.status==0 || tcp.checksum.status==0' 2>/dev/null | wc -l)
    # Rewriting updates checksums (RFC 1624): one wrong in the capture (offload, the zeek.org
    # client's) stays wrong, no other may be.
    bad_in=$(for f in $captures; do
      tshark -r "$f" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
        -Y '(ip.checksum.status==0 || tcp.checksum.status==0) && tcp.port in {55058, 35634}' \
        2>/dev/null
    done | wc -l)
    [ "$bad" = "$bad_in" ] || fail "$bad packets with wrong checksums, $bad_in in the capture"
    zeek=$(tshark -r "$work/o.pcap" -Y 'ip.src==20.30.40.50 && ip.dst==192.0.78.150' 2>/dev/null |
      wc -l)
    zeek_in=$(tshark -r "$shared/captures/openjdk-25.0.2-zeek.org.pcap" \
      -Y 'ip.src==192.168.64.6 && ip.dst==192.0.78.150' 2>/dev/null | wc -l)
    [ "$zeek" = "$zeek_in" ] || fail "zeek.org: $zeek packets out, $zeek_in sent"
    syn=$(tshark -r "$work/o.pcap" -Y 'ip.dst==192.0.78.150 && tcp.flags.syn==1' 2>/dev/null |
      wc -l)
    [ "$syn" = 1 ] || fail "zeek.org: $syn SYNs out"
    sni=$(tshark -r "$work/o.pcap" -Y 'tls.handshake.type==1' -T fields \
      -e tls.handshake.extensions_server_name 2>/dev/null)
    [ "$sni" = "zeek.org" ] || fail "ClientHello out: '$sni'"
    # www.wikipedia.org's flow out, meta.wikimedia.org's (same server address and port) not.
    hosts=$(tshark -r "$work/o.pcap" -Y 'http.request' -T fields -e http.host 2>/dev/null |
      sort -u | tr '\n' ' ')
    [ "$hosts" = "www.wikipedia.org " ] || fail "HTTP hosts out: '$hosts'"
    ;;
  synth)
    # Synthetic flows name their hosts as real clients do (a ClientHello's server_name, an
    # HTTP Host): tshark reads the names synth wrote, and the tutorial's firewall decides by
    # them (mcr.microsoft.com is in the AzureKubernetesService FQDN tag, example.com is not).
    cat >"$work/mix.yaml" <<'MIX'
flows: 60
seed: 7
rate: 20
packets: 12
protocols: {tcp: 1}
destinations:
  - {prefix: 20.61.99.0/24, ports: [443], hosts: [mcr.microsoft.com, example.com]}
  - {prefix: 91.189.91.0/24, ports: [80], hosts: [example.org]}
MIX
    "$sim" synth --quiet "$repo/topologies/aks-udr-firewall.yaml" --mix "$work/mix.yaml" \
      --flows-out "$work/f.jsonl" --pcap-out "$work/s.pcap" >/dev/null 2>"$work/err" ||
      { fail "synth exit $?"; cat "$work/err"; }
    written=$(tshark -r "$work/s.pcap" -Y 'tls.handshake.type==1 || http.request' -T fields \
      -e tls.handshake.extensions_server_name -e http.host 2>/dev/null | tr -d '\t' | sort |
      uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
    decided=$(grep -o '"host":"[^"]*"' "$work/f.jsonl" | cut -d'"' -f4 | sort | uniq -c |
      awk '{print $2 "=" $1}' | tr '\n' ' ')
    [ -n "$written" ] && [ "$written" = "$decided" ] ||
      fail "names in the capture '$written', in the flow records '$decided'"
    for host in mcr.microsoft.com example.com example.org; do
      grep -q "\"host\":\"$host\"" "$work/f.jsonl" || fail "no flow names $host"
    done
    grep '"host":"mcr.microsoft.com"' "$work/f.jsonl" | grep -vq '"verdict":"egress"' &&
      fail "a flow to mcr.microsoft.com did not egress"
    grep '"host":"example.' "$work/f.jsonl" | grep -vq '"reason":"appliance-deny"' &&
      fail "a flow to example.com or example.org was not denied"
    ;;
  *)
    echo "unknown scenario $scenario"
    exit 1
    ;;
esac
exit $failed
