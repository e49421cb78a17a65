# The synthetic traffic generator (egress/synth/synth.h), part of egress_core.
set(EGRESS_SYNTH_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/synth_mix.cc
  ${CMAKE_CURRENT_LIST_DIR}/synth_random.cc
  ${CMAKE_CURRENT_LIST_DIR}/synth_source.cc)
target_sources(egress_core PRIVATE ${EGRESS_SYNTH_SOURCES})
# Same seed, same bytes on every machine: no fused multiply-add may change a rounding.
set_source_files_properties(${EGRESS_SYNTH_SOURCES} PROPERTIES COMPILE_OPTIONS -ffp-contract=off)
