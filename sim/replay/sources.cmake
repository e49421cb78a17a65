target_sources(egress_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/snat_pools.cc
  ${CMAKE_CURRENT_LIST_DIR}/flow_table.cc
  ${CMAKE_CURRENT_LIST_DIR}/packet_rewrite.cc
  ${CMAKE_CURRENT_LIST_DIR}/replay.cc
  ${CMAKE_CURRENT_LIST_DIR}/flow_tracker.cc
  ${CMAKE_CURRENT_LIST_DIR}/egress_stage.cc
  ${CMAKE_CURRENT_LIST_DIR}/shard_file.cc
  ${CMAKE_CURRENT_LIST_DIR}/flow_event_check.cc
  ${CMAKE_CURRENT_LIST_DIR}/scaled_source.cc
)
