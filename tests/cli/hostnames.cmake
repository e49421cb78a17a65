# Flows an Azure Firewall decides by host name, replayed from real captures (and synthesised
# with host names) and checked against tshark's TLS server_name and HTTP Host (hostnames.sh).
# Included by CMakeLists.txt.
foreach(scenario verdicts pcap-out synth)
  add_test(NAME cli.hostnames.${scenario}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/hostnames.sh ${scenario} ${SIM}
            ${EGRESS_SHARED_DIR} ${PROJECT_SOURCE_DIR})
  set_tests_properties(cli.hostnames.${scenario} PROPERTIES LABELS cli SKIP_RETURN_CODE 77)
endforeach()
