# replay --scale K and --speedup S (ScaledSource): the README's capture at 10 times its flows,
# a small SNAT pool that only the scaled load exhausts, the summary's scale and speedup, and
# bad values. Included by CMakeLists.txt.
set(scale_topology ${PROJECT_SOURCE_DIR}/topologies/aks-udr-firewall.yaml)
set(scale_capture ${PROJECT_SOURCE_DIR}/topologies/captures/aks-udr-firewall-nodes.pcap)

egress_cli_test(scale_one_is_the_capture --err-empty
  --out "^3,863 packets [(]675[.]0 KiB[)] over 146[.]878 s of capture time. 250 flows"
  --out "\n20[.]83[.]201[.]36 +appliance +210 +3,259 +566[.]8 KiB +29 +4,992 +0\n"
  --out "\nseed: 0$"
  -- ${SIM} replay --quiet ${scale_topology} ${scale_capture} --scale 1)
egress_cli_test(scale_ten_times_the_flows --err-empty
  --out "^38,630 packets [(]6[.]6 MiB[)] over 146[.]878 s of capture time. 2,500 flows"
  --out "\nverdicts: dropped 400, egress 2,100\n"
  --out "\n20[.]83[.]201[.]36 +appliance +2,100 +32,590 +5[.]5 MiB +290 +4,992 +0\n"
  --out "\nscale: 10, speedup: 1\nseed: 0$"
  -- ${SIM} replay --quiet ${scale_topology} ${scale_capture} --scale 10)
egress_cli_test(scale_json --err-empty
  --out "\"flows\":2500,"
  --out "\"seed\":0,\"scale\":10,\"speedup\":2[.]5,\"models\":"
  -- ${SIM} replay --quiet --json ${scale_topology} ${scale_capture} --scale 10 --speedup 2.5)
egress_cli_test(speedup_compresses_capture_time --err-empty
  --out "^3,863 packets [(]675[.]0 KiB[)] over 36[.]720 s of capture time. 250 flows"
  --out "\nscale: 1, speedup: 4\nseed: 0$"
  -- ${SIM} replay --quiet ${scale_topology} ${scale_capture} --speedup 4)
egress_cli_test(scale_synth --err-empty
  --out "^[0-9,]+ packets [^\n]* 300 flows"
  --out "\nscale: 3, speedup: 1\nseed: 5$"
  -- ${SIM} synth --quiet ${scale_topology} --flows 100 --seed 5 --scale 3)

# 16 ports per node: enough for the capture, not for ten times its flows.
egress_cli_test(scale_one_fits_a_small_pool --err-empty
  --out "\n20[.]0[.]0[.]1 +loadBalancer +245 +[^\n]* +0\n"
  -- ${SIM} replay --quiet lb-few-ports.yaml ${scale_capture})
egress_cli_test(scale_ten_exhausts_a_small_pool --err-empty
  --out "\nreasons: +route-none 50, snat-exhausted 76\n"
  --out "\n20[.]0[.]0[.]1 +loadBalancer +2,374 +[^\n]* +48 +64,000 +76\n"
  -- ${SIM} replay --quiet lb-few-ports.yaml ${scale_capture} --scale 10)

egress_cli_test(scale_zero --exit 2 --out-empty --err "^--scale: Value 0 not in range 1 to 1000"
  -- ${SIM} replay lb.yaml ${scale_capture} --scale 0)
egress_cli_test(scale_too_large --exit 2 --out-empty
  --err "^--scale: Value 1001 not in range 1 to 1000"
  -- ${SIM} replay lb.yaml ${scale_capture} --scale 1001)
egress_cli_test(scale_fraction --exit 2 --out-empty --err "^--scale: "
  -- ${SIM} replay lb.yaml ${scale_capture} --scale 1.5)
foreach(bad 0 -2 abc 1e3 0.0000000001)
  egress_cli_test(speedup_bad_${bad} --exit 2 --out-empty
    --err "^error: --speedup: expected a positive number such as 10 or 2[.]5 [(]at most 9 decimals, at most 1e9[)], got '${bad}'$"
    -- ${SIM} replay lb.yaml ${scale_capture} --speedup ${bad})
endforeach()

# Scenarios with files between commands (replay_scenarios.sh).
foreach(scenario scale-pcap-out-checksums scale-same-seed-same-bytes scale-absent-when-one)
  add_test(NAME cli.replay.${scenario}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/replay_scenarios.sh ${scenario} ${SIM}
            ${EGRESS_SHARED_DIR} ${PROJECT_SOURCE_DIR})
  set_tests_properties(cli.replay.${scenario} PROPERTIES LABELS cli SKIP_RETURN_CODE 77)
endforeach()
