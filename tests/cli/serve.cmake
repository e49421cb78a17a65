# egress-sim serve: the binary answering over HTTP, SIGHUP, SIGTERM's exit 0
# (serve_check.sh), and the refusals before it listens.
add_test(NAME cli.serve_sigterm
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/serve_check.sh ${SIM} lb.yaml
  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/data)
set_tests_properties(cli.serve_sigterm PROPERTIES LABELS cli TIMEOUT 60)
string(CONCAT serve_exposed_re "^error: --listen 0[.]0[.]0[.]0:8080 is not a loopback address: "
  "give --token TOKEN [(]clients send 'Authorization: Bearer TOKEN'[)] or --insecure")
egress_cli_test(serve_exposed --exit 2 --out-empty --err "${serve_exposed_re}"
  -- ${SIM} serve lb.yaml --listen 0.0.0.0:8080)
egress_cli_test(serve_bad_topology --exit 2 --out-empty --err "^typo[.]yaml:39:9: error: "
  -- ${SIM} serve lb.yaml typo.yaml --listen 127.0.0.1:0)
