# Issue 15, item 1: egress-sim import (Azure Resource Manager JSON into a topology). Included by
# CMakeLists.txt beside this file; the REST examples are ../shared/arm-examples.
set(ARM ${PROJECT_SOURCE_DIR}/../shared/arm-examples)
set(ARM_BAD ${PROJECT_SOURCE_DIR}/tests/data/arm/import)

egress_cli_test(import_route_table --err-empty
  --out "^# Imported by egress-sim import[^\n]*\nversion: 1\nname: imported\nrouteTables:\n"
  --out "\n        addressPrefix: 10[.]0[.]3[.]0/24\n        nextHopType: VirtualNetworkGateway$"
  -- ${SIM} import ${ARM}/RouteTableGet.json)
egress_cli_test(import_finding_on_stderr
  --out "\n    addressPrefix: 192[.]168[.]254[.]0/30$"
  --err "^[^\n]*PublicIpPrefixGet[.]json: warning: ipPrefix 192[.]168[.]254[.]2/30 has host bits set. imported as 192[.]168[.]254[.]0/30 at /responses/200/body/properties/ipPrefix \\[canonicalised-prefix\\]$"
  -- ${SIM} import ${ARM}/PublicIpPrefixGet.json)
egress_cli_test(import_json --err-empty
  --out "^[{]\"resources\":1,\"errors\":\\[\\],\"findings\":\\[[{]\"code\":\"canonicalised-prefix\",\"message\":\"ipPrefix 192[.]168[.]254[.]2/30 has host bits set. imported as 192[.]168[.]254[.]0/30 at /responses/200/body/properties/ipPrefix\",\"file\":\"[^\"]*PublicIpPrefixGet[.]json\",\"line\":0,\"column\":0[}]\\][}]$"
  -- ${SIM} import -o json ${ARM}/PublicIpPrefixGet.json)
egress_cli_test(import_strict --exit 2 --out-empty
  --err "^[^\n]*PublicIpPrefixGet[.]json: error: ipPrefix 192[.]168[.]254[.]2/30 has host bits set"
  -- ${SIM} import --strict ${ARM}/PublicIpPrefixGet.json)
egress_cli_test(import_answers_only --err "\\[empty-import\\]"
  --out "^# Imported by egress-sim import[^\n]*\nversion: 1\nname: imported$"
  -- ${SIM} import ${ARM}/NetworkWatcherNextHopGet.json)
egress_cli_test(import_malformed --exit 2 --out-empty
  --err "^[^\n]*malformed[.]json:1:8: error: syntax error while parsing value - unexpected '[}]'. expected '\\[', '[{]', or a literal$"
  -- ${SIM} import ${ARM}/RouteTableGet.json ${ARM_BAD}/malformed.json)
egress_cli_test(import_missing --exit 2 --out-empty
  --err "error: cannot read 'nonexistent[.]json': No such file or directory"
  -- ${SIM} import nonexistent.json)
egress_cli_test(import_too_large --exit 2 --out-empty
  --err "LoadBalancerGet[.]json: error: the file is 6524 bytes, over the limit of 1 KiB for a JSON file. set EGRESS_MAX_IMPORT_BYTES to raise it"
  -- env EGRESS_MAX_IMPORT_BYTES=1K ${SIM} import ${ARM}/LoadBalancerGet.json)
egress_cli_test(import_bad_limit --exit 2 --out-empty
  --err "^error: EGRESS_MAX_IMPORT_BYTES: expected a number of bytes"
  -- env EGRESS_MAX_IMPORT_BYTES=lots ${SIM} import ${ARM}/LoadBalancerGet.json)
egress_cli_test(import_out_is_input --exit 2 --out-empty
  --err "same file"
  -- ${SIM} import ${ARM}/RouteTableGet.json --out ${ARM}/RouteTableGet.json)
egress_cli_test(import_needs_source --exit 2 --out-empty --err "SOURCE"
  -- ${SIM} import)
