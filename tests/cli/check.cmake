# Issue 15: egress-sim check (the model against Azure's answers), routes -o azure, and
# tools/azure-export.sh (export_checks.sh, with a fake az). Included by CMakeLists.txt.
set(CHECK_TOPO ${PROJECT_SOURCE_DIR}/tests/data/check/udr.yaml)
set(ARM ${PROJECT_SOURCE_DIR}/../shared/arm-examples)

# routes -o azure: Azure's member names, az's sorted keys and two-space indent.
string(CONCAT routes_azure_re
  "^[{]\n  \"value\": \\[\n    [{]\n      \"addressPrefix\": \\[\n        \"10[.]0[.]0[.]0/16\"\n"
  "      \\],\n      \"disableBgpRoutePropagation\": false,\n      \"name\": null,\n"
  "      \"nextHopIpAddress\": \\[\\],\n      \"nextHopType\": \"VnetLocal\",\n"
  "      \"source\": \"Default\",\n      \"state\": \"Active\"\n    [}],")
egress_cli_test(routes_azure --err-empty --out "${routes_azure_re}"
  -- ${SIM} routes lb.yaml --subnet hub/aks-nodes -o azure)
egress_cli_test(routes_azure_only_routes --exit 2 --out-empty
  --err "-o azure [(]Azure's effective-route JSON[)] is for routes only"
  -- ${SIM} trace lb.yaml --src 10.0.4.4 --dst 1.1.1.1 -o azure)
egress_cli_test(routes_azure_and_json --exit 2 --out-empty
  --err "^error: --json and -o azure disagree"
  -- ${SIM} routes lb.yaml --subnet hub/aks-nodes -o azure --json)

# check: the REST example's table needs a subnet (its NIC is not in the topology).
egress_cli_test(check_needs_subnet --exit 2 --out-empty
  --err "NetworkInterfaceEffectiveRouteTableList[.]json: error: which subnet are these effective routes of[?] the file names NIC 'nic1', which lb[.]yaml does not have. give --nic NAME or --subnet VNET/SUBNET"
  -- ${SIM} check lb.yaml ${ARM}/NetworkInterfaceEffectiveRouteTableList.json)
egress_cli_test(check_example_routes --exit 1 --err-empty
  --out "route-missing: subnet hub/aks-nodes 172[.]20[.]2[.]0/24 Default: Azure VnetLocal [(]Active[)], model -\n"
  --out "route-extra: subnet hub/aks-nodes 10[.]0[.]0[.]0/16 Default: Azure -, model VnetLocal [(]Active[)]\n"
  --out "\ncheck: 2 differences [(]7 routes of 1 route table, 0 next hops, 0 egress IPs compared[)]$"
  -- ${SIM} check lb.yaml ${ARM}/NetworkInterfaceEffectiveRouteTableList.json --subnet hub/aks-nodes)
egress_cli_test(check_example_cluster_json --exit 1 --err-empty
  --out "^[{]\"differences\":\\[[{]\"kind\":\"egress-ip-missing\",\"subject\":\"cluster clustername1 loadBalancerProfile[.]effectiveOutboundIPs\",\"azure\":\"/subscriptions/[^\"]+/mgdoutboundip1\",\"model\":null,"
  --out "\"kind\":\"egress-ip-extra\",[^}]+\"model\":\"lb-pip-1 20[.]0[.]0[.]1\""
  --out "\"compared\":[{]\"routeTables\":0,\"routes\":0,\"nextHops\":0,\"egressIps\":2[}][}]$"
  -- ${SIM} check lb.yaml ${ARM}/ManagedClustersGet.json -o json)
egress_cli_test(check_nothing --exit 2 --out-empty --err "^error: no answer to compare"
  -- ${SIM} check lb.yaml ${ARM}/VirtualNetworkGet.json)
egress_cli_test(check_csv --exit 2 --out-empty --err "check prints a table or -o json, not -o csv"
  -- ${SIM} check lb.yaml ${ARM}/ManagedClustersGet.json -o csv)
egress_cli_test(check_missing_file --exit 2 --out-empty --err "^nope[.]json: error: cannot read 'nope[.]json': No such file or directory"
  -- ${SIM} check lb.yaml nope.json)

foreach(scenario syntax help usage no-az fake-az)
  add_test(NAME cli.export.${scenario}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/export_checks.sh ${scenario} ${SIM}
            ${PROJECT_SOURCE_DIR}/tools/azure-export.sh ${CHECK_TOPO}
            ${CMAKE_CURRENT_SOURCE_DIR}/data/export)
  set_tests_properties(cli.export.${scenario} PROPERTIES LABELS cli)
endforeach()
