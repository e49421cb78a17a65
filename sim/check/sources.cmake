# egress-sim check: the model against Azure's answers (egress/check/azure_check.h).
target_sources(egress_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/azure_answers.cc
  ${CMAKE_CURRENT_LIST_DIR}/azure_check.cc)
