# Writes the bash completion of egress-sim (cmake -P at build time): tools/egress-sim.bash.in
# with the commands, their options and positionals read from the binary's --help, so the
# completion has every option the binary has. Inputs: EGRESS_SIM, EGRESS_SOURCE_DIR, OUTPUT.

cmake_policy(VERSION 3.20)

include(${CMAKE_CURRENT_LIST_DIR}/help_text.cmake)

# How to complete the value of an option or a positional (KIND): "words:A B C" for CLI11's
# {A,B,C} sets, "none" for numbers and free text (addresses, names), "pcap" and "yaml" for
# captures and topologies, "file" for any other file (outputs, tables, CLI11's FILE checks).
function(value_kind name type desc out)
  egress_help_decode("${type}" type)
  string(TOLOWER "${desc}" text)
  if(type MATCHES ":{([^}]*)}")
    string(REPLACE "," " " words "${CMAKE_MATCH_1}")
    string(REPLACE "'" "" words "${words}")
    set(kind "words:${words}")
  elseif(type MATCHES "^(U?INT|FLOAT|NUMBER|UINT64|INT64)([: =]|$)")
    set(kind none)
  elseif(name MATCHES "pcap|^CAPTURE$")
    set(kind pcap)
  elseif(text MATCHES "yaml|topology")
    set(kind yaml)
  elseif(text MATCHES "(^|[ (])(file|files|markdown)([ ,.:;)]|$)|^write "
         OR type MATCHES ":(FILE|PATH)")
    set(kind file)
  else()
    set(kind none)
  endif()
  set(${out} "${kind}" PARENT_SCOPE)
endfunction()

set(options_case "")
set(values_case "")
set(positionals_case "")
egress_help(top)
set(top_options "")
foreach(entry IN LISTS top_ENTRIES)
  string(REPLACE "${EGRESS_HELP_SEP}" ";" fields "${entry}")
  list(GET fields 1 head)
  if(head MATCHES "^-")
    string(REPLACE "," " " head "${head}")
    string(APPEND top_options " ${head}")
  endif()
endforeach()
string(STRIP "${top_options}" top_options)

egress_help_commands(commands)
foreach(command IN LISTS commands)
  egress_help(cmd ${command})
  set(names "")
  set(kinds "")
  foreach(entry IN LISTS cmd_ENTRIES)
    string(REPLACE "${EGRESS_HELP_SEP}" ";" fields "${entry}")
    list(GET fields 0 section)
    list(GET fields 1 head)
    list(GET fields 2 type)
    list(GET fields 3 desc)
    if(section STREQUAL "Positionals")
      value_kind("${head}" "${type}" "${desc}" kind)
      if(type MATCHES "(^| )[.][.][.]( |$)")
        string(APPEND kind "...")
      endif()
      string(APPEND kinds " ${kind}")
    elseif(head MATCHES "^-")
      # Under "Options:" or the heading of an option group.
      string(REPLACE "," ";" option_names "${head}")
      string(REPLACE ";" " " head "${option_names}")
      string(APPEND names " ${head}")
      # A value follows unless CLI11 shows none: a flag has no TYPE or only its notes
      # (REQUIRED, "Excludes: ...", "Needs: ...").
      if(type MATCHES "^[A-Z][A-Z0-9_]*([:= ]|$)" AND NOT type MATCHES "^REQUIRED( |$)")
        value_kind("${head}" "${type}" "${desc}" kind)
        foreach(option IN LISTS option_names)
          string(APPEND values_case "    \"${command} ${option}\") REPLY='${kind}' ;;\n")
        endforeach()
      endif()
    endif()
  endforeach()
  string(STRIP "${names}" names)
  string(STRIP "${kinds}" kinds)
  string(APPEND options_case "    ${command}) REPLY='${names}' ;;\n")
  string(APPEND positionals_case "    ${command}) REPLY='${kinds}' ;;\n")
endforeach()
string(REPLACE ";" " " commands "${commands}")

string(CONCAT data
  "_egress_sim_commands='${commands}'\n"
  "_egress_sim_top_options='${top_options}'\n"
  "\n"
  "# The options of command \$1, in REPLY.\n"
  "_egress_sim_options() {\n"
  "  case \$1 in\n"
  "${options_case}"
  "    *) REPLY='' ;;\n"
  "  esac\n"
  "}\n"
  "\n"
  "# How to complete the value of option \$2 of command \$1, in REPLY: none, file, yaml, pcap or\n"
  "# words:A B C; empty when the option takes no value.\n"
  "_egress_sim_value() {\n"
  "  case \"\$1 \$2\" in\n"
  "${values_case}"
  "    *) REPLY='' ;;\n"
  "  esac\n"
  "}\n"
  "\n"
  "# The kinds of command \$1's positionals in order, in REPLY; a last one ending in ... repeats.\n"
  "_egress_sim_positionals() {\n"
  "  case \$1 in\n"
  "${positionals_case}"
  "    *) REPLY='' ;;\n"
  "  esac\n"
  "}\n")
egress_help_decode("${data}" data)

file(READ ${EGRESS_SOURCE_DIR}/tools/egress-sim.bash.in script)
string(REPLACE "@EGRESS_COMPLETION_DATA@" "${data}" script "${script}")
file(WRITE ${OUTPUT}.tmp "${script}")
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
