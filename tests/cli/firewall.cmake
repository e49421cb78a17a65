# Azure Firewall (docs/azure-behaviour.md B) through the binary: trace --host and the host in
# each output form, the tutorial's rules in topologies/aks-udr-firewall.yaml.
set(FW_TOPOLOGY ${PROJECT_SOURCE_DIR}/topologies/aks-udr-firewall.yaml)
egress_cli_test(firewall_trace_host_json --exit 0 --err-empty
  --out "^[{]\"proto\":\"tcp\",\"src\":\"10[.]42[.]1[.]10\",\"sport\":50000,\"dst\":\"20[.]42[.]15[.]95\",\"dport\":443,\"host\":\"mcr[.]microsoft[.]com\",\"verdict\":\"egress\""
  -- ${SIM} trace ${FW_TOPOLOGY} --src 10.42.1.10 --dst 20.42.15.95 --dport 443
     --host mcr.microsoft.com -o json)
egress_cli_test(firewall_trace_no_host_json --exit 1 --err-empty
  --out "\"dport\":443,\"verdict\":\"dropped\",\"reason\":\"appliance-deny\".*\"models\":[[]\"firewall-no-host\"[]]"
  -- ${SIM} trace ${FW_TOPOLOGY} --src 10.42.1.10 --dst 20.42.15.95 --dport 443 -o json)
egress_cli_test(firewall_trace_host_text --exit 0 --err-empty
  --out "^tcp 10[.]42[.]1[.]10:50000 -> 140[.]82[.]112[.]3:443 [(]host ghcr[.]io[)]\n.*rule aksfwnr/ghcr"
  -- ${SIM} trace ${FW_TOPOLOGY} --src 10.42.1.10 --dst 140.82.112.3 --dport 443 --host ghcr.io)
egress_cli_test(firewall_trace_host_csv --exit 0 --err-empty
  --out "^proto,src,sport,dst,dport,host,verdict,"
  -- ${SIM} trace ${FW_TOPOLOGY} --src 10.42.1.10 --dst 140.82.112.3 --dport 443 --host ghcr.io
     -o csv)
egress_cli_test(firewall_trace_csv_without_host --exit 1 --err-empty
  --out "^proto,src,sport,dst,dport,verdict,"
  -- ${SIM} trace ${FW_TOPOLOGY} --src 10.42.1.10 --dst 140.82.112.3 --dport 443 -o csv)
egress_cli_test(firewall_trace_bad_host --exit 2 --out-empty
  --err "^error: --host: 'not a host' is not a host name"
  -- ${SIM} trace ${FW_TOPOLOGY} --src 10.42.1.10 --dst 140.82.112.3 --dport 443
     --host "not a host")
# The tutorial's DNAT rule: in on the firewall's public IP, symmetric thanks to the /32 route.
egress_cli_test(firewall_trace_dnat --exit 0 --err-empty
  --out "\nverdict: ingress\n"
  -- ${SIM} trace ${FW_TOPOLOGY} --src 203.0.113.9 --dst 20.83.201.36 --dport 80)
