# The shipped migration table is built into the library so that migrate works from any
# directory; the file in topologies/ stays the one people read and edit.
set(EGRESS_MIGRATION_TABLE ${PROJECT_SOURCE_DIR}/topologies/migrations/aks-outbound-types.md)
file(READ ${EGRESS_MIGRATION_TABLE} EGRESS_MIGRATION_TABLE_TEXT)
configure_file(${CMAKE_CURRENT_LIST_DIR}/default_migration_table.cc.in
  ${CMAKE_CURRENT_BINARY_DIR}/default_migration_table.cc @ONLY)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${EGRESS_MIGRATION_TABLE})
target_sources(egress_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/migration_table.cc
  ${CMAKE_CURRENT_LIST_DIR}/migration_plan.cc
  ${CMAKE_CURRENT_LIST_DIR}/flow_diff.cc
  ${CMAKE_CURRENT_BINARY_DIR}/default_migration_table.cc
)
