# Node public IPs and outbound IP prefixes (docs/azure-behaviour.md D6, D7) through the binary,
# on data/node-public-ips.yaml. Included by CMakeLists.txt.
egress_cli_test(nodeips_trace_prefix --exit 0 --err-empty
  --out "\n2  games#1 +node public IP from prefix node-prefix +snat +20[.]9[.]8[.]1\n"
  --out "\nvia: instancePublicIp games#1\nsnat: 20[.]9[.]8[.]1:50000\negress IPs: 20[.]9[.]8[.]1\nmodelled: node-public-ip: "
  -- ${SIM} trace node-public-ips.yaml --src 10.0.4.6 --dst 140.82.112.3)
egress_cli_test(nodeips_trace_unknown_json --exit 0 --err-empty
  --out "\"via\":\"instancePublicIp\",\"resource\":\"web#0\",\"snatIp\":\"unknown:node-public-ip:web#0\",\"snatPort\":50000,\"egressIps\":\\[\"unknown:node-public-ip:web#0\"\\]"
  --out "\"models\":\\[\"node-public-ip\"\\][}]$"
  -- ${SIM} trace node-public-ips.yaml --src 10.0.4.7 --dst 140.82.112.3 -o json)
# One node of the system pool, 8 ports per frontend address: 8 flows to one destination on
# each address of the /31 prefix frontend, the rest snat-exhausted (the first address counts
# them, as for any frontend).
egress_cli_test(nodeips_synth_prefix_frontend --exit 0 --err-empty
  --out "\nverdicts: dropped 24, egress 16\nreasons:  snat-exhausted 24\n"
  --out "\n20[.]9[.]7[.]0 +loadBalancer +8 +[0-9]+ +[0-9.]+ KiB +8 +64,000 +24\n"
  --out "\n20[.]9[.]7[.]1 +loadBalancer +8 +[0-9]+ +[0-9.]+ KiB +8 +64,000 +0\n"
  --out "\nkubernetes +loadBalancer +40 +[0-9]+ +[0-9.]+ KiB +16 +128,000 +24\n"
  -- ${SIM} synth node-public-ips.yaml --flows 40 --sources nodePool:system
     --destinations 140.82.112.3:443 --protocols tcp=1 --rate 1000 --duration 10 --quiet)
egress_cli_test(nodeips_synth_node_public_ips --exit 0 --err-empty
  --out "\nverdicts: egress 40\n"
  --out "\n20[.]9[.]8[.]0 +instancePublicIp +"
  --out "\n20[.]9[.]8[.]1 +instancePublicIp +"
  --out "\nweb#0 +instancePublicIp +[0-9]+ "
  -- ${SIM} synth node-public-ips.yaml --flows 40 --sources nodePool:games,nodePool:web
     --destinations 140.82.112.3:443 --protocols tcp=1 --rate 1000 --duration 10 --quiet)
egress_cli_test(nodeips_prefix_needs_enable --exit 1
  --out "^node-public-ips-bad[.]yaml:23:27: error: 'nodePublicIPPrefix' needs 'enableNodePublicIP: true'"
  -- ${SIM} validate node-public-ips-bad.yaml)
