# Included from sim/CMakeLists.txt, so paths are relative to this file, not to sim/.
target_sources(egress_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/packet_decoder.cc
  ${CMAKE_CURRENT_LIST_DIR}/host_name.cc
  ${CMAKE_CURRENT_LIST_DIR}/capture_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/classic_pcap_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/merged_source.cc
  ${CMAKE_CURRENT_LIST_DIR}/pcapng_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/pcap_writer.cc
  ${CMAKE_CURRENT_LIST_DIR}/packet_selection.cc
)
