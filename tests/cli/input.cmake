# Bounded input (issue 14): the size and item limits of a topology, UTF-8, routing loops and
# duplicate public IP addresses, as validate and the simulating commands report them. A `.`
# stands for each `;` of a message: CMake would split the regex there.

# The size limit: refused before reading, without a position; validate exits 2 as for a file
# it cannot read.
string(CONCAT input_size_limit_re
  "^lb[.]yaml: error: the file is 875 bytes, over the limit of 100 bytes for a topology. "
  "set EGRESS_MAX_TOPOLOGY_BYTES to raise it$")
egress_cli_test(input_size_limit_validate --exit 2 --out-empty --err "${input_size_limit_re}"
  -- env EGRESS_MAX_TOPOLOGY_BYTES=100 ${SIM} validate lb.yaml)
egress_cli_test(input_size_limit_validate_json --exit 2 --out-empty --err "${input_size_limit_re}"
  -- env EGRESS_MAX_TOPOLOGY_BYTES=100 ${SIM} validate --json lb.yaml)
egress_cli_test(input_size_limit_trace --exit 2 --out-empty --err "${input_size_limit_re}"
  -- env EGRESS_MAX_TOPOLOGY_BYTES=100 ${SIM} trace lb.yaml --src 10.0.4.5 --dst 1.1.1.1)
egress_cli_test(input_size_limit_raised --err-empty
  --out "^lb[.]yaml: ok "
  -- env EGRESS_MAX_TOPOLOGY_BYTES=875 ${SIM} validate lb.yaml)
egress_cli_test(input_size_limit_suffix --err-empty
  --out "^lb[.]yaml: ok "
  -- env EGRESS_MAX_TOPOLOGY_BYTES=1K ${SIM} validate lb.yaml)
egress_cli_test(input_size_limit_bad_value --exit 2 --out-empty
  --err "^error: EGRESS_MAX_TOPOLOGY_BYTES: expected a number of bytes like 16777216 or 16M [(]K, M, G: powers of 1024[)], got '16MB'$"
  -- env EGRESS_MAX_TOPOLOGY_BYTES=16MB ${SIM} validate lb.yaml)

# The item limit (one per 16 bytes of the size limit): counted before the document is built,
# reported where it is passed; an error in the file, so validate exits 1.
string(CONCAT input_item_limit_re
  "^dense[.]yaml:3:129: error: the file holds more than 32 map keys and list items. stopped "
  "reading here [(]the limit is one per 16 bytes of the size limit, 512 bytes. set "
  "EGRESS_MAX_TOPOLOGY_BYTES to raise both[)]\n"
  "dense[.]yaml: 1 error, 0 findings$")
egress_cli_test(input_item_limit_validate --exit 1 --err-empty --out "${input_item_limit_re}"
  -- env EGRESS_MAX_TOPOLOGY_BYTES=512 ${SIM} validate dense.yaml)

# Invalid UTF-8 anywhere, with its position (columns in bytes) and the byte.
egress_cli_test(input_invalid_utf8_validate --exit 1 --err-empty
  --out "^latin1[.]yaml:7:19: error: invalid UTF-8: byte 0xe9 starts a 3-byte character but byte 0x2c follows\nlatin1[.]yaml: 1 error, 0 findings$"
  -- ${SIM} validate latin1.yaml)
egress_cli_test(input_invalid_utf8_routes --exit 2 --out-empty
  --err "^latin1[.]yaml:7:19: error: invalid UTF-8: byte 0xe9 starts a 3-byte character but byte 0x2c follows$"
  -- ${SIM} routes latin1.yaml --subnet hub/aks-nodes)

# A routing loop between a hub firewall and a spoke NVA: a finding at the chain's first route.
string(CONCAT input_routing_loop_re
  "^routing-loop[.]yaml:24:9: warning: routing loop for 10[.]20[.]0[.]0/16 [(]except "
  "10[.]20[.]5[.]0/24[)]: route table rt-hub-fw route onprem-via-spoke [(]10[.]20[.]0[.]0/16 -> "
  "10[.]1[.]1[.]4[)] sends packets from hub-fw to spoke-nva, route table rt-spoke-nva route "
  "onprem-via-hub [(]10[.]16[.]0[.]0/12 -> 10[.]0[.]1[.]4[)] from spoke-nva back to hub-fw. "
  "they are dropped after 16 hops \\[routing-loop\\]\n"
  "routing-loop[.]yaml: 0 errors, 1 finding$")
egress_cli_test(input_routing_loop_validate --exit 1 --err-empty --out "${input_routing_loop_re}"
  -- ${SIM} validate routing-loop.yaml)
egress_cli_test(input_routing_loop_validate_json --exit 1 --err-empty
  --out "^[{]\"errors\":\\[\\],\"findings\":\\[[{]\"code\":\"routing-loop\",\"message\":\"routing loop for 10[.]20[.]0[.]0/16 [(]except 10[.]20[.]5[.]0/24[)]: [^\"]+\",\"file\":\"routing-loop[.]yaml\",\"line\":24,\"column\":9[}]\\][}]$"
  -- ${SIM} validate --json routing-loop.yaml)

# Two public IPs with one address: an error at the second, naming the first.
egress_cli_test(input_duplicate_public_ip_validate --exit 1 --err-empty
  --out "^duplicate-public-ip[.]yaml:28:14: error: address 20[.]0[.]0[.]1 of public IP 'lb-pip-2' is already the address of public IP 'lb-pip-1' [(]line 26, column 14[)]\nduplicate-public-ip[.]yaml: 1 error, 0 findings$"
  -- ${SIM} validate duplicate-public-ip.yaml)
egress_cli_test(input_duplicate_public_ip_trace --exit 2 --out-empty
  --err "^duplicate-public-ip[.]yaml:28:14: error: address 20[.]0[.]0[.]1 of public IP 'lb-pip-2'"
  -- ${SIM} trace duplicate-public-ip.yaml --src 10.0.4.5 --dst 1.1.1.1)
