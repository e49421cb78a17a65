# Reads the --help of egress-sim and its commands (CLI11's layout) for the generated man page
# and bash completion, so neither drifts from the options the binary has.

cmake_policy(VERSION 3.20)

# CMake lists split at ';' except inside [...], and help texts hold both, so the text is
# encoded first: ';' '[' ']' travel as control characters (one character each, so columns stay
# where they were) and egress_help_decode() turns them back.
string(ASCII 2 _egress_sc)
string(ASCII 3 _egress_lb)
string(ASCII 4 _egress_rb)
string(ASCII 31 EGRESS_HELP_SEP)  # between the fields of an entry

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
#                   EGRESS_HELP_SEP: SECTION (the heading it is under: Options, Positionals,
#                   Subcommands or an option group's), HEAD (names, comma-separated), TYPE
#                   (CLI11's value text and notes, empty for a plain flag), TEXT
#   PREFIX_TRAILER  the paragraphs below the last list (the footer), lines joined by '\n'
# All fields are encoded (see above). A failing run stops the script.
#
# CLI11 prints an entry as "  HEAD [TYPE]", padded to the description column, then TEXT; a
# HEAD [TYPE] as wide as the column puts TEXT on the next line, indented to the column.
function(egress_help prefix)
  execute_process(COMMAND ${EGRESS_SIM} ${ARGN} --help
    OUTPUT_VARIABLE text RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${EGRESS_SIM} ${ARGN} --help: exit ${rc}: ${err}")
  endif()
  string(REPLACE ";" "${_egress_sc}" text "${text}")
  string(REPLACE "[" "${_egress_lb}" text "${text}")
  string(REPLACE "]" "${_egress_rb}" text "${text}")
  # The description column, from the help option every command has (CLI11's default is 30).
  set(column 30)
  if(text MATCHES "\n(  -h,--help +)[^ ]")
    string(LENGTH "${CMAKE_MATCH_1}" column)
  endif()
  string(REPLACE "\n" ";" lines "${text}")

  set(about "")
  set(usage "")
  set(section "")
  set(entries "")
  set(head "")
  set(trailer "")
  foreach(line IN LISTS lines)
    set(continues OFF)
    if(NOT head STREQUAL "" AND line MATCHES "^   +([^ ].*)$")
      set(continues ON)
      set(more "${CMAKE_MATCH_1}")
    endif()
    if(continues AND split_at_column)
      # What looked like TEXT at the column was the end of a HEAD [TYPE] as wide as it.
      string(APPEND type " ${desc}")
      string(STRIP "${type}" type)
      set(desc "${more}")
      set(split_at_column OFF)
    elseif(continues)
      string(STRIP "${desc} ${more}" desc)
    else()
      set(split_at_column OFF)
      if(NOT head STREQUAL "")
        list(APPEND entries
          "${section}${EGRESS_HELP_SEP}${head}${EGRESS_HELP_SEP}${type}${EGRESS_HELP_SEP}${desc}")
        set(head "")
      endif()
      if(line MATCHES "^Usage: (.*)$")
        set(usage "${CMAKE_MATCH_1}")
      elseif(usage STREQUAL "")
        string(STRIP "${about} ${line}" about)
      elseif(line MATCHES "^([A-Z][A-Za-z ]*):$")
        set(section "${CMAKE_MATCH_1}")
        set(trailer "")
      elseif(NOT section STREQUAL "" AND line MATCHES "^  [^ ]")
        string(LENGTH "${line}" length)
        math(EXPR before "${column} - 1")
        set(desc "")
        set(rest "${line}")
        if(line MATCHES "^  ([^ ]+( [^ ]+)*)  +(.*)$")
          set(rest "${CMAKE_MATCH_1}")
          set(desc "${CMAKE_MATCH_3}")
        elseif(length GREATER column)
          string(SUBSTRING "${line}" ${before} 2 edge)
          if(edge MATCHES "^ [^ ]$")
            string(SUBSTRING "${line}" 0 ${before} rest)
            string(SUBSTRING "${line}" ${column} -1 desc)
            set(split_at_column ON)
          endif()
        endif()
        string(STRIP "${rest}" rest)
        set(type "")
        set(head "${rest}")
        if(rest MATCHES "^([^ ]+) (.*)$")
          set(head "${CMAKE_MATCH_1}")
          set(type "${CMAKE_MATCH_2}")
        endif()
      elseif(NOT section STREQUAL "" AND NOT line STREQUAL "")
        if(trailer STREQUAL "")
          set(trailer "${line}")
        else()
          string(APPEND trailer "\n${line}")
        endif()
      endif()
    endif()
  endforeach()
  if(NOT head STREQUAL "")
    list(APPEND entries
      "${section}${EGRESS_HELP_SEP}${head}${EGRESS_HELP_SEP}${type}${EGRESS_HELP_SEP}${desc}")
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
