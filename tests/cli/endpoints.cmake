# Service endpoints and private endpoints (docs/azure-behaviour.md D4, D5) through the binary,
# on data/endpoints.yaml: a node subnet with 0.0.0.0/0 to a firewall, a Storage (eastus)
# service endpoint and a Key Vault private endpoint in a peered VNet.
string(CONCAT endpoints_routes_re
  "Default +Active +10[.]1[.]2[.]5/32 +InterfaceEndpoint *\n"
  "Default +Active +52[.]239[.]152[.]0/22 +VirtualNetworkServiceEndpoint *\n"
  "Default +Active +20[.]38[.]96[.]0/19 +VirtualNetworkServiceEndpoint *\n.*"
  "User +Active +0[.]0[.]0[.]0/0 +VirtualAppliance +10[.]0[.]1[.]4 +default-to-firewall")
egress_cli_test(endpoints_routes --err-empty --out "${endpoints_routes_re}"
  -- ${SIM} routes endpoints.yaml --subnet hub/aks-nodes)
# The peered VNet gets the private endpoint's /32, not the service endpoint routes.
egress_cli_test(endpoints_routes_peered --err-empty
  --out "Default +Active +10[.]1[.]2[.]5/32 +InterfaceEndpoint"
  -- ${SIM} routes endpoints.yaml --subnet shared/endpoints)
string(CONCAT endpoints_azure_re
  "[{]\n +\"addressPrefix\": [[]\n +\"10[.]1[.]2[.]5/32\"\n +[]],\n"
  " +\"disableBgpRoutePropagation\": false,\n +\"name\": null,\n +\"nextHopIpAddress\": [[][]],\n"
  " +\"nextHopType\": \"InterfaceEndpoint\",\n +\"source\": \"Default\",\n"
  " +\"state\": \"Active\"\n +[}]")
egress_cli_test(endpoints_routes_azure --err-empty
  --out "\"nextHopType\": \"VirtualNetworkServiceEndpoint\""
  --out "${endpoints_azure_re}"
  -- ${SIM} routes endpoints.yaml --subnet hub/aks-nodes -o azure)
# A pod's flow to Storage: SNAT to its node by Azure CNI, then the service endpoint keeps the
# node's private address; nothing goes through the firewall.
string(CONCAT endpoints_trace_se_re
  "\"verdict\":\"internal\",\"reason\":null,\"via\":\"serviceEndpoint\","
  "\"resource\":\"Microsoft[.]Storage\",\"snatIp\":null,\"snatPort\":null,\"egressIps\":[[][]],"
  "\"hops\":[[][{]\"at\":\"pod\",\"action\":\"snat-to-node\",\"ip\":\"10[.]0[.]4[.]4\"[}],"
  "[{]\"at\":\"hub/aks-nodes\",\"route\":[{][^}]*\"prefix\":\"20[.]38[.]96[.]0/19\","
  "\"source\":\"Default\",\"nextHopType\":\"VirtualNetworkServiceEndpoint\",\"nextHopIp\":null[}],"
  "\"action\":\"to-service\",\"note\":\"Microsoft[.]Storage service endpoint: source "
  "10[.]0[.]4[.]4 kept [(]no SNAT[)]\"[}][]]")
egress_cli_test(endpoints_trace_service_endpoint --err-empty --out "${endpoints_trace_se_re}"
  -- ${SIM} trace endpoints.yaml --src 10.0.4.5 --dst 20.38.100.1 --dport 443 -o json)
# Storage in a region the endpoint does not cover follows 0.0.0.0/0 to the firewall.
egress_cli_test(endpoints_trace_other_region --exit 1 --err-empty
  --out "0[.]0[.]0[.]0/0 [(]User[)].*verdict: dropped\nreason: appliance-deny"
  -- ${SIM} trace endpoints.yaml --src 10.0.4.5 --dst 20.60.0.1 --dport 443)
egress_cli_test(endpoints_trace_private_endpoint --err-empty
  --out "system 10[.]1[.]2[.]5/32 [(]Default[)] -> InterfaceEndpoint +deliver"
  --out "\nverdict: internal\nvia: privateEndpoint kv-pe$"
  -- ${SIM} trace endpoints.yaml --src 10.0.4.5 --dst 10.1.2.5 --dport 443)
