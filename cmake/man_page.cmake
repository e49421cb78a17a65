# Writes egress-sim.1 with help2man (cmake -P at build time). help2man makes NAME, SYNOPSIS,
# DESCRIPTION and OPTIONS from `egress-sim --help`; this adds a COMMANDS section made of every
# command's --help, then tools/egress-sim.h2m (EXIT STATUS, FILES, EXAMPLES, SEE ALSO).
# Inputs: EGRESS_SIM, HELP2MAN, EGRESS_SOURCE_DIR, EGRESS_PROJECT_VERSION, OUTPUT.

cmake_policy(VERSION 3.20)

include(${CMAKE_CURRENT_LIST_DIR}/help_text.cmake)

# Text for a roff line: backslashes kept, '-' as \- (so options copied from the page work),
# and a leading '.', '\'', '[' or '/' made inert (roff requests; help2man's include syntax).
function(roff text out)
  egress_help_decode("${text}" text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  if(text MATCHES "^[.'/[]")
    set(text "\\&${text}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

egress_help(top)
egress_help_commands(commands)
set(page "[COMMANDS]\n")
foreach(command IN LISTS commands)
  egress_help(cmd ${command})
  roff("${cmd_USAGE}" usage)
  roff("${cmd_ABOUT}" about)
  string(APPEND page ".SS \"${command}\"\n${about}\n.PP\n${usage}\n")
  set(last_section "")
  foreach(entry IN LISTS cmd_ENTRIES)
    string(REPLACE "${EGRESS_HELP_SEP}" ";" fields "${entry}")
    list(GET fields 0 section)
    list(GET fields 1 head)
    list(GET fields 2 type)
    list(GET fields 3 desc)
    if(NOT section STREQUAL last_section)
      string(APPEND page ".PP\n${section}:\n")
      set(last_section "${section}")
    endif()
    roff("${head}" head)
    string(REPLACE "," "\\fR, \\fB" head "${head}")
    set(line "\\fB${head}\\fR")
    if(NOT type STREQUAL "")
      roff("${type}" type)
      string(APPEND line " \\fI${type}\\fR")
    endif()
    roff("${desc}" desc)
    string(APPEND page ".TP\n${line}\n${desc}\n")
  endforeach()
  # The footer every command repeats from the top level is said once, by help2man.
  if(NOT cmd_TRAILER STREQUAL "" AND NOT cmd_TRAILER STREQUAL top_TRAILER)
    string(REPLACE "\n" ";" paragraph "${cmd_TRAILER}")
    string(APPEND page ".PP\n")
    foreach(line IN LISTS paragraph)
      roff("${line}" line)
      string(APPEND page "${line}\n")
    endforeach()
  endif()
endforeach()

get_filename_component(dir ${OUTPUT} DIRECTORY)
set(commands_h2m ${dir}/egress-sim-commands.h2m)
file(WRITE ${commands_h2m} "${page}")
execute_process(
  COMMAND ${HELP2MAN} --no-info --section=1
          "--name=simulate how packets leave an Azure VNet or AKS cluster"
          --version-string=${EGRESS_PROJECT_VERSION}
          --include=${commands_h2m} --include=${EGRESS_SOURCE_DIR}/tools/egress-sim.h2m
          --output=${OUTPUT}.tmp ${EGRESS_SIM}
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUTPUT}.tmp)
  message(FATAL_ERROR "help2man: exit ${rc}: ${err}")
endif()
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
