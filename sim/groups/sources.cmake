# Named destination groups (egress/groups/destination_groups.h), part of egress_core.
target_sources(egress_core PRIVATE ${CMAKE_CURRENT_LIST_DIR}/destination_groups.cc)
