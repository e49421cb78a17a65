# Reads the --help of egress-sim and its commands (CLI11's layout) for the generated man page
# and bash completion, so neither drifts from the options the binary has.
#
# CMake lists split at ';' except inside [...], and help texts hold both, so the text is
# encoded first: ';' '[' ']' travel as the placeholders below and egress_help_decode() turns
# them back.
set(_egress_sc "<egress-sc>")
set(_egress_lb "<egress-lb>")
set(_egress_rb "<egress-rb>")
string(ASCII 31 EGRESS_HELP_SEP)  # between the fields of an entry

cmake_policy(VERSION 3.20)

function(egress_help_decode text out)
  string(REPLACE "${_egress_sc}" ";" text "${text}")
  string(REPLACE "${_egress_lb}" "[" text "${text}")
  string(REPLACE "${_egress_rb}" "]" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# egress_help(PREFIX ARGS...): runs `${EGRESS_SIM} ARGS... --help` and sets
#   PREFIX_ABOUT    the text above "Usage:" (one line)
#   PREFIX_USAGE    the usage line without "Usage: "
#   PREFIX_ENTRIES  one item per option, positional or command, its fields joined by
#                   EGRESS_HELP_SEP: SECTION (Options, Positionals, Subcommands), HEAD (names,
#                   comma-separated), TYPE (CLI11's value text, empty for a flag), TEXT
#   PREFIX_TRAILER  the paragraphs below the last list (the footer), lines joined by '\n'
# All fields are encoded (see above). A failing run stops the script.
function(egress_help prefix)
  execute_process(COMMAND ${EGRESS_SIM} ${ARGN} --help
    OUTPUT_VARIABLE text RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${EGRESS_SIM} ${ARGN} --help: exit ${rc}: ${err}")
  endif()
  string(REPLACE ";" "${_egress_sc}" text "${text}")
  string(REPLACE "[" "${_egress_lb}" text "${text}")
  string(REPLACE "]" "${_egress_rb}" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")

  set(about "")
  set(usage "")
  set(section "")
  set(entries "")
  set(entry "")
  set(trailer "")
  foreach(line IN LISTS lines)
    if(line MATCHES "^Usage: (.*)$")
      set(usage "${CMAKE_MATCH_1}")
    elseif(usage STREQUAL "")
      string(STRIP "${about} ${line}" about)
    elseif(line MATCHES "^([A-Z][A-Za-z ]*):$")
      set(section "${CMAKE_MATCH_1}")
      set(trailer "")
    elseif(NOT section STREQUAL "" AND line MATCHES "^  ([^ ].*)$")
      if(NOT entry STREQUAL "")
        list(APPEND entries "${entry}")
      endif()
      # HEAD [TYPE]  TEXT: the text starts after the first run of two or more spaces.
      set(rest "${CMAKE_MATCH_1}")
      set(desc "")
      if(rest MATCHES "^([^ ]+( [^ ]+)*)  +(.*)$")
        set(rest "${CMAKE_MATCH_1}")
        set(desc "${CMAKE_MATCH_3}")
      endif()
      set(type "")
      if(rest MATCHES "^([^ ]+) (.*)$")
        set(rest "${CMAKE_MATCH_1}")
        set(type "${CMAKE_MATCH_2}")
      endif()
      set(entry "${section}${EGRESS_HELP_SEP}${rest}${EGRESS_HELP_SEP}${type}${EGRESS_HELP_SEP}${desc}")
    elseif(NOT entry STREQUAL "" AND line MATCHES "^   +([^ ].*)$")
      string(APPEND entry " ${CMAKE_MATCH_1}")
      string(REGEX REPLACE "${EGRESS_HELP_SEP} " "${EGRESS_HELP_SEP}" entry "${entry}")
    else()
      if(NOT entry STREQUAL "")
        list(APPEND entries "${entry}")
        set(entry "")
      endif()
      if(NOT section STREQUAL "" AND NOT line STREQUAL "")
        if(trailer STREQUAL "")
          set(trailer "${line}")
        else()
          string(APPEND trailer "\n${line}")
        endif()
      endif()
    endif()
  endforeach()
  if(NOT entry STREQUAL "")
    list(APPEND entries "${entry}")
  endif()
  set(${prefix}_ABOUT "${about}" PARENT_SCOPE)
  set(${prefix}_USAGE "${usage}" PARENT_SCOPE)
  set(${prefix}_ENTRIES "${entries}" PARENT_SCOPE)
  set(${prefix}_TRAILER "${trailer}" PARENT_SCOPE)
endfunction()

# egress_help_commands(OUT): the command names `egress-sim --help` lists.
function(egress_help_commands out)
  egress_help(top)
  set(commands "")
  foreach(entry IN LISTS top_ENTRIES)
    string(REPLACE "${EGRESS_HELP_SEP}" ";" fields "${entry}")
    list(GET fields 0 section)
    list(GET fields 1 name)
    if(section STREQUAL "Subcommands")
      list(APPEND commands "${name}")
    endif()
  endforeach()
  set(${out} "${commands}" PARENT_SCOPE)
endfunction()
