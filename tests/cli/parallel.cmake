# replay and synth --threads N, --shard I/N and merge: the same bytes as one plain run
# (parallel_scenarios.sh). Included by CMakeLists.txt.
foreach(scenario threads-same-bytes synth-threads-same-bytes shards-merge-same-bytes
        synth-shards-merge-same-bytes shards-no-packets merge-refuses worker-error heap-restart)
  add_test(NAME cli.parallel.${scenario}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/parallel_scenarios.sh ${scenario} ${SIM}
            ${EGRESS_SHARED_DIR} ${PROJECT_SOURCE_DIR})
  set_tests_properties(cli.parallel.${scenario} PROPERTIES LABELS cli)
endforeach()
