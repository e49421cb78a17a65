# Outputs that never hurt (tools/output_set.h): output_scenarios.sh runs each case.
foreach(scenario same-file devices dash all-or-nothing signals unprivileged progress)
  add_test(NAME cli.outputs.${scenario}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/output_scenarios.sh ${scenario} ${SIM}
            ${PROJECT_SOURCE_DIR})
  set_tests_properties(cli.outputs.${scenario} PROPERTIES LABELS cli SKIP_RETURN_CODE 77)
endforeach()

# --fail-on: the run completes, its outputs are written, and the gate decides the exit code.
set(UDR ${PROJECT_SOURCE_DIR}/topologies/aks-udr-firewall.yaml)
set(UDR_CAPTURE ${PROJECT_SOURCE_DIR}/topologies/captures/aks-udr-firewall-nodes.pcap)
egress_cli_test(fail_on_hit --exit 1 --err "^fail-on: 40 flows appliance-deny$"
  --out "^3,863 packets"
  -- ${SIM} replay --quiet ${UDR} ${UDR_CAPTURE} --fail-on snat-exhausted,appliance-deny)
egress_cli_test(fail_on_verdict --exit 1 --err "^fail-on: 40 flows dropped$"
  -- ${SIM} replay --quiet ${UDR} ${UDR_CAPTURE} --fail-on dropped)
egress_cli_test(fail_on_miss --exit 0 --err-empty
  -- ${SIM} replay --quiet ${UDR} ${UDR_CAPTURE} --fail-on snat-exhausted,nsg-deny)
egress_cli_test(fail_on_unknown --exit 2 --out-empty
  --err "^error: --fail-on: 'nsg-denied' is not a reason or verdict [(]unknown-source, nsg-deny, "
  -- ${SIM} replay --quiet ${UDR} ${UDR_CAPTURE} --fail-on nsg-denied)
egress_cli_test(fail_on_synth --exit 1 --err "^fail-on: [0-9]+ flows? no-outbound-connectivity$"
  -- ${SIM} synth --quiet lb.yaml --flows 100 --fail-on no-outbound-connectivity)

# trace's exit code is the verdict's: 0 egress/internal/onprem/ingress, 1 dropped/asymmetric.
egress_cli_test(trace_dropped_exit_1 --exit 1 --err-empty
  --out "\nverdict: dropped\nreason: appliance-deny(\n|$)"
  -- ${SIM} trace ${UDR} --src 10.42.1.10 --dst 1.2.3.4 --dport 22)
egress_cli_test(trace_egress_exit_0 --exit 0 --err-empty --out "\nverdict: egress\n"
  -- ${SIM} trace ${UDR} --src 10.42.1.10 --dst 140.82.112.3 --dport 443 --host ghcr.io)

# A bad value is refused before any output is started, even on stdout.
egress_cli_test(speedup_checked_first --exit 2 --out-empty
  --err "^error: --speedup: "
  -- ${SIM} replay --quiet ${UDR} ${UDR_CAPTURE} -o csv --speedup fast)
# -o json also where AKS's preflight refuses the move.
egress_cli_test(migrate_refused_o_json --exit 1 --err-empty
  --out "^[{]\"flows\":0,"
  -- ${SIM} migrate lb.yaml --to userAssignedNATGateway --synth 10 -o json)
