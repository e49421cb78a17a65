# Issue 16, item 2: reports and pictures (--report FILE.html|FILE.md on replay, synth, diff and
# migrate; trace --svg and --dot). Included by CMakeLists.txt beside this file.
set(REPORTS_TOPO ${PROJECT_SOURCE_DIR}/topologies)

egress_cli_test(report_bad_extension --exit 2 --out-empty
  --err "^error: --report: 'x[.]txt' names no report form: end it in [.]html [(]or [.]htm[)] or [.]md"
  -- ${SIM} replay lb.yaml nothing.pcap --report x.txt)
egress_cli_test(report_bad_extension_diff --exit 2 --out-empty
  --err "^error: --report: 'x[.]pdf' names no report form"
  -- ${SIM} diff lb.yaml lb.yaml --synth 10 --report x.pdf)
egress_cli_test(report_same_as_input --exit 2 --out-empty --err "permissive-migrations[.]md"
  -- ${SIM} migrate lb.yaml --to managedNATGateway --synth 10
     --migration-table permissive-migrations.md --report permissive-migrations.md)
egress_cli_test(trace_dot_stdout --err "egress"
  --out "^digraph path [{]\n  rankdir=LR"
  -- ${SIM} trace lb.yaml --src 10.0.4.5 --dst 140.82.112.3 --dot -)

foreach(scenario replay-html synth-md migrate-md diff-html trace-svg docs-example-current
                 no-report-on-failure)
  add_test(NAME cli.reports.${scenario}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/reports.sh ${scenario} ${SIM} ${PROJECT_SOURCE_DIR})
  set_tests_properties(cli.reports.${scenario} PROPERTIES LABELS cli SKIP_RETURN_CODE 77)
endforeach()
