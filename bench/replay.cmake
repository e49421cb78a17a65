# Replay packets/s against a bare libpcap copy and tcprewrite (replay_bench.cc says how).
add_executable(replay_bench ${CMAKE_CURRENT_LIST_DIR}/replay_bench.cc)
target_link_libraries(replay_bench PRIVATE egress::core egress_warnings benchmark::benchmark
  PkgConfig::PCAP)
target_compile_definitions(replay_bench PRIVATE
  EGRESS_TOPOLOGIES_DIR="${PROJECT_SOURCE_DIR}/topologies")
