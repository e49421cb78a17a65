#!/usr/bin/env bash
# End-to-end scenarios of the reports and pictures (--report, trace --svg and --dot) that look
# into the files written:
#
#   reports.sh SCENARIO EGRESS_SIM REPO_DIR
#
# Exit 0 pass, 1 fail, 77 skipped (xmllint, from Debian's libxml2-utils, is missing).
set -u
scenario=$1
sim=$2
repo=$3
udr=$repo/topologies/aks-udr-firewall.yaml
capture=$repo/topologies/captures/aks-udr-firewall-nodes.pcap

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() {
  echo "FAIL: $*"
  failed=1
}

case "$scenario" in
  replay-html)
    # One self-contained page: no fetch, no script; a chart per egress IP and resource, a
    # diagram per kind of path; the same bytes on a second run.
    "$sim" replay --quiet "$udr" "$capture" --report "$work/out.html" >"$work/stdout" ||
      fail "replay exit $?"
    grep -q "packets" "$work/stdout" || fail "no summary on stdout"
    grep -Eiq '(src|href)="?(https?:)?//' "$work/out.html" && fail "a fetch in the page"
    grep -q "<script" "$work/out.html" && fail "a script in the page"
    ips=$(grep -c 'class="port-chart"' "$work/out.html")
    [ "$ips" -ge 2 ] || fail "$ips port charts"
    grep -q 'class="path-diagram"' "$work/out.html" || fail "no path diagram"
    grep -q 'class="topology-diagram"' "$work/out.html" || fail "no topology diagram"
    "$sim" replay --quiet "$udr" "$capture" --report "$work/again.html" >/dev/null
    cmp -s "$work/out.html" "$work/again.html" || fail "two runs differ"
    ;;
  synth-md)
    "$sim" synth --quiet "$udr" --flows 200 --seed 7 --report "$work/out.md" >/dev/null ||
      fail "synth exit $?"
    grep -q "^# egress-sim synth report$" "$work/out.md" || fail "no title"
    grep -q "^## SNAT ports over capture time$" "$work/out.md" || fail "no ports section"
    grep -q "<svg" "$work/out.md" && fail "a picture in the Markdown"
    ;;
  migrate-md)
    "$sim" migrate "$repo/topologies/aks-loadbalancer.yaml" --to managedNATGateway --synth 200 \
      --report "$work/x.md" >/dev/null
    rc=$?
    [ $rc -le 1 ] || fail "migrate exit $rc"
    grep -q "^# egress-sim migrate report$" "$work/x.md" || fail "no title"
    grep -q "^## Allow-list changes per group of destinations$" "$work/x.md" ||
      fail "no allow-list section"
    grep -q "^## Flows that newly drop$" "$work/x.md" || fail "no newly-dropped section"
    ;;
  diff-html)
    "$sim" diff "$repo/topologies/aks-loadbalancer.yaml" \
      "$repo/topologies/aks-managed-nat-gateway.yaml" --synth 100 --report "$work/d.html" \
      >/dev/null
    [ $? -le 1 ] || fail "diff exit"
    [ "$(grep -c 'class="topology-diagram"' "$work/d.html")" -eq 2 ] ||
      fail "not two topologies side by side"
    ;;
  trace-svg)
    command -v xmllint >/dev/null || exit 77
    "$sim" trace "$udr" --src 10.42.1.60 --dst 40.117.164.68 --dport 9000 \
      --svg "$work/path.svg" --dot "$work/path.dot" >"$work/stdout"
    [ -s "$work/stdout" ] || fail "no trace on stdout"
    xmllint --noout "$work/path.svg" || fail "SVG not well-formed"
    grep -q '<g class="hop">' "$work/path.svg" || fail "no hop in the SVG"
    grep -q "^digraph path {" "$work/path.dot" || fail "no DOT graph"
    "$sim" trace "$udr" --src 10.42.1.60 --dst 40.117.164.68 --dport 9000 --svg - \
      >"$work/only.svg" 2>"$work/stderr"
    xmllint --noout "$work/only.svg" || fail "--svg - is not the SVG alone"
    grep -q "egress\|dropped" "$work/stderr" || fail "the trace is not on stderr with --svg -"
    ;;
  docs-example-current)
    # docs/examples/report-replay.html is what README's command makes today.
    (cd "$repo" && "$sim" replay --quiet topologies/aks-udr-firewall.yaml \
      topologies/captures/aks-udr-firewall-nodes.pcap --report "$work/example.html" >/dev/null) ||
      fail "replay exit"
    cmp -s "$work/example.html" "$repo/docs/examples/report-replay.html" ||
      fail "docs/examples/report-replay.html is stale: run README's command (section Reports)"
    ;;
  no-report-on-failure)
    # A run that fails leaves no report: it appears only with the run's other outputs.
    "$sim" replay --quiet "$udr" "$capture" "$work/missing.pcap" --report "$work/r.html" \
      >/dev/null 2>&1 && fail "replay of a missing capture succeeded"
    [ -e "$work/r.html" ] && fail "a report of a failed run"
    ;;
  *)
    echo "unknown scenario $scenario"
    exit 1
    ;;
esac
exit $failed
