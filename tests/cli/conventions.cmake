# -o json|jsonl|csv|tsv|table on every command; --json stays a synonym of -o json.
set(UDR ${PROJECT_SOURCE_DIR}/topologies/aks-udr-firewall.yaml)
set(UDR_CAPTURE ${PROJECT_SOURCE_DIR}/topologies/captures/aks-udr-firewall-nodes.pcap)
egress_cli_test(output_routes_csv --err-empty
  --out "^subnet,source,state,addressPrefix,nextHopType,nextHopIpAddress,name\n"
  --out "\nhub/aks-nodes,Default,Active,10[.]0[.]0[.]0/16,VnetLocal,,\n"
  --out "\nhub/aks-nodes,Default,Active,0[.]0[.]0[.]0/0,Internet,,$"
  -- ${SIM} routes lb.yaml --subnet hub/aks-nodes -o csv)
egress_cli_test(output_routes_jsonl --err-empty
  --out "^[{]\"subnet\":\"hub/aks-nodes\",\"source\":\"Default\",\"state\":\"Active\",\"addressPrefix\":\"10[.]0[.]0[.]0/16\",\"nextHopType\":\"VnetLocal\",\"nextHopIpAddress\":null,\"name\":null[}]\n[{]"
  -- ${SIM} routes lb.yaml --subnet hub/aks-nodes -o jsonl)
egress_cli_test(output_routes_json_is_json --err-empty
  --out "^[{]\"subnet\":\"hub/aks-nodes\",\"routes\":\\["
  -- ${SIM} routes lb.yaml --subnet hub/aks-nodes -o json)
egress_cli_test(output_validate_csv --exit 1 --err-empty
  --out "^severity,code,message,file,line,column\nerror,[a-z-]+,[^\n]*idleTimeoutInMinute[^\n]*,typo[.]yaml,39,9$"
  -- ${SIM} validate typo.yaml -o csv)
egress_cli_test(output_validate_jsonl --exit 1 --err-empty
  --out "^[{]\"severity\":\"warning\",\"code\":\"RouteTableInvalidNextHop\",\"message\":"
  -- ${SIM} validate udr-internet.yaml -o jsonl)
egress_cli_test(output_trace_tsv --err-empty
  --out "^proto\tsrc\tsport\tdst\tdport\tverdict\treason\tvia\tresource\tsnatIp\tsnatPort\tegressIps\thops\tmodels\n"
  --out "\ntcp\t10[.]0[.]4[.]5\t40112\t140[.]82[.]112[.]3\t443\tegress\t\tloadBalancer\tkubernetes\t20[.]0[.]0[.]1\t[0-9]+\t20[.]0[.]0[.]1\tpod [^\t]+\t[a-z.-]+$"
  -- ${SIM} trace lb.yaml --src 10.0.4.5 --sport 40112 --dst 140.82.112.3 -o tsv)
egress_cli_test(output_models_csv --err-empty
  --out "^id,text\nappliance-missing-drops,A VirtualAppliance route"
  -- ${SIM} models -o csv)
egress_cli_test(output_models_jsonl --err-empty
  --out "^[{]\"id\":\"appliance-missing-drops\",\"text\":\"A VirtualAppliance[^\n]*[}]\n[{]\"id\":"
  -- ${SIM} models -o jsonl)
# replay -o csv: the flow records are the result on stdout, the summary goes to stderr.
egress_cli_test(output_replay_csv
  --out "^proto,src,sport,dst,dport,verdict,reason,via,resource,snatIp,snatPort,egressIps,hops,first,last,packets,bytes,models\n"
  --out "\ntcp,10[.]42[.]1[.]60,54042,40[.]117[.]164[.]68,9000,egress,,appliance,aks-egress-fw,20[.]83[.]201[.]36,[0-9]+,"
  --err "^3,863 packets [(]675[.]0 KiB[)]"
  -- ${SIM} replay --quiet ${UDR} ${UDR_CAPTURE} -o csv)
egress_cli_test(output_replay_jsonl_and_dash --exit 2 --out-empty
  --err "^error: -o jsonl prints the flow records on standard output. an output named '-' cannot go there too$"
  -- ${SIM} replay --quiet ${UDR} ${UDR_CAPTURE} -o jsonl --summary -)
egress_cli_test(output_diff_csv --exit 1 --err-empty
  --out "^proto,src,sport,dst,dport,beforeVerdict,beforeReason,beforeVia,beforeResource,beforeEgressIps,afterVerdict,afterReason,afterVia,afterResource,afterEgressIps\n"
  --out "\ntcp,[0-9.]+,[0-9]+,[0-9.]+,443,egress,,loadBalancer,kubernetes,20[.]62[.]138[.]17.20[.]62[.]139[.]200,egress,,natGateway,aks-nat,"
  -- ${SIM} diff ${PROJECT_SOURCE_DIR}/topologies/aks-loadbalancer.yaml ${PROJECT_SOURCE_DIR}/topologies/aks-managed-nat-gateway.yaml --synth 20 -o csv)
egress_cli_test(output_json_and_o_disagree --exit 2 --out-empty
  --err "^error: --json and -o csv disagree. give one of them$"
  -- ${SIM} models --json -o csv)
egress_cli_test(output_unknown_format --exit 2 --out-empty --err "xml"
  -- ${SIM} models -o xml)
