# Issue 14, item 4: defects of replay/synth summaries, synth's flow count and migrate's report,
# each test failing on the code before its fix (included by CMakeLists.txt beside this file).

# 1. The per-IP `exhausted` count is the IP's own, not its resource's total: an LB instance's
# refused flows count on its first frontend, so the IPs add up to the resource's 67.
string(CONCAT defects_exhausted_text_re
  "\n20[.]0[.]0[.]1 +loadBalancer +[0-9]+ +[0-9,]+ +[0-9.]+ [KM]iB +16 +64,000 +67\n"
  "20[.]0[.]0[.]2 +loadBalancer +[0-9]+ +[0-9,]+ +[0-9.]+ [KM]iB +16 +64,000 +0\n"
  "\nresource +via +flows +packets +bytes +peak ports +ports +exhausted\n"
  "kubernetes +loadBalancer +100 [^\n]+ +67\n")
egress_cli_test(defects_exhausted_per_ip_text --err-empty
  --out "\nreasons:  snat-exhausted 67\n"
  --out "${defects_exhausted_text_re}"
  -- ${SIM} synth lb-two-ips-few-ports.yaml --flows 100 --destinations 140.82.112.3:443
     --protocols tcp=1 --duration 30 --quiet)
egress_cli_test(defects_exhausted_per_ip_json --err-empty
  --out "[{]\"ip\":\"20[.]0[.]0[.]1\",[^}]+,\"snatExhausted\":67[}],"
  --out "[{]\"ip\":\"20[.]0[.]0[.]2\",[^}]+,\"snatExhausted\":0[}]\\]"
  --out "\"resources\":\\[[{]\"resource\":\"kubernetes\",[^}]+,\"snatExhausted\":67[}]\\]"
  -- ${SIM} synth lb-two-ips-few-ports.yaml --flows 100 --destinations 140.82.112.3:443
     --protocols tcp=1 --duration 30 --quiet --json)

# 2. synth --flows N replays to exactly N flows: DNS to one resolver reuses source ports within
# the LB's 30 idle minutes (19,703 flows before the fix), and ten-minute flows of few packets
# outlast the idle timeout between two packets (3,355 flows of 2,000 before).
egress_cli_test(defects_synth_exact_udp_reuse --err-empty
  --out "^[0-9,]+ packets [(][^)]+[)] over [0-9.]+ s of capture time. 20,000 flows, "
  -- ${SIM} synth ${PROJECT_SOURCE_DIR}/topologies/aks-loadbalancer.yaml --flows 20000
     --destinations 1.1.1.1:53,140.82.112.3:443 --protocols tcp=0.5,udp=0.5 --quiet)
egress_cli_test(defects_synth_exact_long_flows --err-empty
  --out "^[{]\"packets\":[0-9]+,\"bytes\":[0-9]+,\"first\":[0-9.]+,\"last\":[0-9.]+,\"flows\":2000,"
  -- ${SIM} synth ${PROJECT_SOURCE_DIR}/topologies/aks-udr-firewall.yaml --flows 2000
     --duration 600 --json --quiet)

# 3. A move the tables allow but AKS's preflight refuses (a BYO loadBalancer cluster to
# userAssignedNATGateway with no NAT gateway) says REFUSED, names the code, compares no flows
# (no diff, no "allow-lists must add none") and exits 1.
string(CONCAT defects_refused_text_re
  "^migrate loadBalancer -> userAssignedNATGateway: REFUSED by AKS's preflight\n"
  "  Supported Migration Paths for BYO VNet, row loadBalancer, column userAssignedNATGateway: "
  "Supported\n"
  "  after-state: outboundType userAssignedNATGateway needs cluster[.]natGateway "
  "\\[nat-gateway-missing\\]\n"
  "  AKS's preflight refuses this after-state [(]nat-gateway-missing[)]: the tables allow the "
  "move, but az aks update fails until the findings above are fixed. no flows compared$")
egress_cli_test(defects_migrate_refused_text --exit 1 --err-empty
  --out "${defects_refused_text_re}"
  -- ${SIM} migrate lb.yaml --to userAssignedNATGateway --synth 50)
string(CONCAT defects_refused_json_re
  "^[{]\"flows\":0,\"changed\":0,.*\"supported\":true,.*\"findings\":\\[[{]\"code\":"
  "\"nat-gateway-missing\",[^}]+[}]\\],\"refused\":true,\"refusedBy\":\\[\"nat-gateway-missing\"\\][}],"
  "\"unchangedBecause\":\\[\\],\"warnings\":\\[\\],\"changes\":\\[\\][}]$")
egress_cli_test(defects_migrate_refused_json --exit 1 --err-empty
  --out "${defects_refused_json_re}"
  -- ${SIM} migrate lb.yaml --to userAssignedNATGateway --synth 50 --json)

# 4. A move that changes nothing because a NAT gateway stays on the node subnet says so under
# the count, on stdout.
string(CONCAT defects_precedence_re
  "\n0 of 100 flows change\n  because NAT gateway ng-aks-egress stays attached to "
  "vnet-aks-prod/snet-aks-nodes: its traffic keeps leaving through it whatever outboundType "
  "says [(][^)]+[)] \\[nat-gateway-precedence\\]\n")
egress_cli_test(defects_migrate_unchanged_says_why --err-empty
  --out "${defects_precedence_re}"
  -- ${SIM} migrate ${PROJECT_SOURCE_DIR}/topologies/aks-user-assigned-nat-gateway.yaml
     --to loadBalancer --synth 100)
egress_cli_test(defects_migrate_unchanged_says_why_json --err-empty
  --out "\"unchangedBecause\":\\[[{]\"code\":\"nat-gateway-precedence\",\"text\":\"NAT gateway ng-aks-egress stays attached"
  -- ${SIM} migrate ${PROJECT_SOURCE_DIR}/topologies/aks-user-assigned-nat-gateway.yaml
     --to loadBalancer --synth 100 --json)

# 5. Findings are printed once: diff of a file with itself, and migrate --after, whose
# after-state findings the report shows.
egress_cli_test(defects_diff_findings_once
  --err "^udr-internet[.]yaml:28:9: warning: [^\n]+ \\[RouteTableInvalidNextHop\\]$"
  -- ${SIM} diff udr-internet.yaml udr-internet.yaml --synth 10)
egress_cli_test(defects_migrate_after_findings_once --exit 1 --err-empty
  --out "\n  after-state: [^\n]+ \\[RouteTableInvalidNextHop\\]\n"
  -- ${SIM} migrate lb.yaml --to userDefinedRouting --after udr-internet.yaml --synth 10)
