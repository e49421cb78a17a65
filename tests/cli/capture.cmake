# Which packets replay takes of its captures (-f, --count, --time-range), captures on standard
# input (-), and --pcap-out for every link type. Included from CMakeLists.txt beside it.
set(CAP ${EGRESS_SHARED_DIR}/captures)
set(LAB ${PROJECT_SOURCE_DIR}/tests/replay/data/capture-lab.yaml)

foreach(scenario pcap-out-every-linktype)
  add_test(NAME cli.replay.${scenario}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/replay_scenarios.sh ${scenario} ${SIM}
            ${EGRESS_SHARED_DIR} ${PROJECT_SOURCE_DIR})
  set_tests_properties(cli.replay.${scenario} PROPERTIES LABELS cli SKIP_RETURN_CODE 77)
endforeach()

# -f: openjdk's 6 packets are the TLS ones; methods.pcap's 655 go to port 80.
egress_cli_test(replay_filter --err-empty
  --out "^6 packets [(][^)]+[)] over [0-9.]+ s of capture time. 1 flow, at most 1 at once\n"
  -- ${SIM} replay --quiet ${LAB} ${CAP}/methods.pcap ${CAP}/openjdk-25.0.2-zeek.org.pcap
     -f "tcp port 443")
egress_cli_test(replay_filter_long --err-empty --out "^[{]\"packets\":655,"
  -- ${SIM} replay --quiet --json ${LAB} ${CAP}/methods.pcap ${CAP}/openjdk-25.0.2-zeek.org.pcap
     --filter "tcp port 80")
# libpcap filters no NFLOG itself: the filter sees the IP packet of the payload TLV.
egress_cli_test(replay_filter_nflog --err-empty --out "^[{]\"packets\":2,"
  -- ${SIM} replay --quiet --json ${LAB} ${CAP}/nflog-http.pcap -f "tcp[tcpflags] & tcp-push != 0")
egress_cli_test(replay_bad_filter --exit 2 --out-empty
  --err "^error: -f: can't parse filter expression: syntax error$"
  -- ${SIM} replay --quiet ${LAB} ${CAP}/methods.pcap -f "tcp port")
egress_cli_test(replay_filter_not_for_the_link_type --exit 2 --out-empty
  --err "^[^\n]*/LINKTYPE_RAW_ipv4[.]pcap: error: packet 1 [(]offset 24[)]: the filter cannot be applied to link type RAW: ethernet addresses supported only on "
  -- ${SIM} replay --quiet ${LAB} ${CAP}/LINKTYPE_RAW_ipv4.pcap -f "ether host 02:00:00:00:00:01")

# --count, after the filter as tcpdump -c counts
egress_cli_test(replay_count --err-empty --out "^10 packets "
  -- ${SIM} replay --quiet ${LAB} ${CAP}/methods.pcap --count 10)
egress_cli_test(replay_count_after_filter --err-empty --out "^2 packets .* 1 flow,"
  -- ${SIM} replay --quiet ${LAB} ${CAP}/methods.pcap ${CAP}/openjdk-25.0.2-zeek.org.pcap
     -f "tcp port 443" --count 2)
egress_cli_test(replay_bad_count --exit 2 --out-empty --err "^--count: Value 0 not in range"
  -- ${SIM} replay --quiet ${LAB} ${CAP}/methods.pcap --count 0)

# --time-range: methods.pcap starts at 1354328870.172701 (2012-12-01T02:27:50.172701Z)
egress_cli_test(replay_time_range_relative --err-empty --out "^94 packets "
  -- ${SIM} replay --quiet ${LAB} ${CAP}/methods.pcap --time-range +4..+5)
egress_cli_test(replay_time_range_rfc3339 --err-empty --out "^94 packets "
  -- ${SIM} replay --quiet ${LAB} ${CAP}/methods.pcap
     --time-range 2012-12-01T02:27:54Z..2012-12-01T02:27:55Z)
egress_cli_test(replay_time_range_epoch --err-empty --out "^4 packets "
  -- ${SIM} replay --quiet ${LAB} ${CAP}/methods.pcap --time-range ..1354328870.2)
egress_cli_test(replay_bad_time_range --exit 2 --out-empty
  --err "^error: --time-range: '5' has no '[.][.]': expected FROM[.][.]TO, either end left out when open$"
  -- ${SIM} replay --quiet ${LAB} ${CAP}/methods.pcap --time-range 5)
egress_cli_test(replay_bad_time_range_month --exit 2 --out-empty
  --err "^error: --time-range: '2012-13-01T00:00:00Z' is not a time: month 13$"
  -- ${SIM} replay --quiet ${LAB} ${CAP}/methods.pcap --time-range 2012-13-01T00:00:00Z..)

# - : the capture on standard input, pcap or pcapng (with interfaces of two link types)
egress_cli_test(replay_stdin --err-empty --out "^655 packets "
  -- bash -c "cat '${CAP}/methods.pcap' | '${SIM}' replay --quiet '${LAB}' -")
egress_cli_test(replay_stdin_pcapng_two_link_types --err-empty --out "^5 packets "
  -- bash -c "cat '${CAP}/pcapng-le-test006.pcapng' | '${SIM}' replay --quiet '${LAB}' -")
egress_cli_test(replay_stdin_and_files --err-empty --out "^661 packets "
  -- bash -c "cat '${CAP}/methods.pcap' | '${SIM}' replay --quiet '${LAB}' - '${CAP}/openjdk-25.0.2-zeek.org.pcap'")
egress_cli_test(replay_stdin_not_a_capture --exit 2 --out-empty
  --err "^<stdin>: error: unknown file format$"
  -- bash -c "echo hello | '${SIM}' replay --quiet '${LAB}' -")
egress_cli_test(replay_stdin_twice --exit 2 --out-empty
  --err "^<stdin>: error: '-' is given more than once: standard input can be read only once$"
  -- ${SIM} replay --quiet ${LAB} - -)

# diff and migrate read their captures the same way.
egress_cli_test(diff_filter_and_stdin --err-empty --out "^0 of 1 flows change\n"
  -- bash -c "cat '${CAP}/openjdk-25.0.2-zeek.org.pcap' | '${SIM}' diff '${LAB}' '${LAB}' '${CAP}/methods.pcap' - -f 'tcp port 443'")
