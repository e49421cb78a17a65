# Azure Resource Manager JSON in (egress/import/arm_import.h), part of egress_core.
target_sources(egress_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/arm_json.cc
  ${CMAKE_CURRENT_LIST_DIR}/arm_import.cc
  ${CMAKE_CURRENT_LIST_DIR}/arm_map_network.cc
  ${CMAKE_CURRENT_LIST_DIR}/arm_map_compute.cc)
