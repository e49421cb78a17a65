# Issue 14, item 6b: named destination groups (--groups FILE, data/partners.yaml), and diff and
# migrate drawing their flows as synth does (--mix, --destinations). Included by CMakeLists.txt
# beside this file.
set(GROUPS_TOPO ${PROJECT_SOURCE_DIR}/topologies)
set(GROUPS_DESTS 140.82.112.0/20:443,1.1.1.1:53,203.0.113.10:443,151.101.0.0/16:443)

# replay and synth: a row per group, in the file's order, then the flows no group matches.
string(CONCAT groups_synth_text_re
  "\n\ngroup +flows +verdicts +egress IPs\n"
  "github +[1-9][0-9]* +egress [0-9]+ +20[.]0[.]0[.]1\n"
  "dns +[1-9][0-9]* +egress [0-9]+ +20[.]0[.]0[.]1\n"
  "payments-api +[1-9][0-9]* +[^\n]*egress [0-9]+ +20[.]0[.]0[.]1\n"
  "[(]no group[)] +[1-9][0-9]* +[^\n]+ +20[.]0[.]0[.]1\n\nmodels")
egress_cli_test(groups_synth_text --err-empty
  --out "${groups_synth_text_re}"
  -- ${SIM} synth lb.yaml --flows 300 --destinations ${GROUPS_DESTS} --groups partners.yaml --quiet)
string(CONCAT groups_synth_json_re
  "\"groups\":\\[[{]\"name\":\"github\",\"flows\":[1-9][0-9]*,\"verdicts\":[{]\"egress\":[0-9]+[}],"
  "\"egressIps\":\\[\"20[.]0[.]0[.]1\"\\][}],[{]\"name\":\"dns\",[^]]+\\][}],"
  "[{]\"name\":\"payments-api\",[^]]+\\][}]\\],"
  "\"ungrouped\":[{]\"flows\":[1-9][0-9]*,\"verdicts\":[{][^}]+[}],"
  "\"egressIps\":\\[\"20[.]0[.]0[.]1\"\\][}],\"egressPacketsWritten\"")
egress_cli_test(groups_synth_json --err-empty
  --out "${groups_synth_json_re}"
  -- ${SIM} synth lb.yaml --flows 300 --destinations ${GROUPS_DESTS} --groups partners.yaml
     --quiet --json)
# The shipped capture: to GitHub's 140.82.112.0/20 on 443, ghcr.io and
# pkg-containers.githubusercontent.com leave by the firewall's network rule ghcr, github.com and
# api.github.com are denied (no rule names them); nothing goes to 1.1.1.1.
egress_cli_test(groups_replay --err-empty
  --out "\ngithub +23 +dropped 7, egress 16 +20[.]83[.]201[.]36\ndns +0 +none +none\npayments-api +0 +none +none\n"
  -- ${SIM} replay ${GROUPS_TOPO}/aks-udr-firewall.yaml
     ${GROUPS_TOPO}/captures/aks-udr-firewall-nodes.pcap --groups partners.yaml)

# diff and migrate: per partner, the IPs it sees change and what its allow-list adds and
# removes; the other flows are grouped by destination as without --groups.
string(CONCAT groups_migrate_text_re
  "\npartners [(]--groups[)]:\n"
  "  partner github: egress IPs change from 20[.]62[.]138[.]17, 20[.]62[.]139[.]200 to "
  "unknown:aks-default-managed-natgw#1. ([0-9]+) of ([0-9]+) flows change\n"
  "    add     unknown:aks-default-managed-natgw#1\n"
  "    remove  20[.]62[.]138[.]17\n"
  "    remove  20[.]62[.]139[.]200\n"
  "  partner dns: egress IPs change from [^\n]+\n(    [^\n]+\n)+"
  "  partner payments-api: egress IPs change from [^\n]+\n(    [^\n]+\n)+"
  "\nwhat other destinations see [(]no group[)]:\n  [0-9]+ flows to [0-9]+ destinations [(]")
egress_cli_test(groups_migrate_text --exit 1 --err-empty
  --out "${groups_migrate_text_re}"
  -- ${SIM} migrate ${GROUPS_TOPO}/aks-loadbalancer.yaml --to managedNATGateway --synth 300
     --destinations ${GROUPS_DESTS} --groups partners.yaml)
string(CONCAT groups_migrate_json_re
  "\"groups\":\\[[{]\"name\":\"github\",\"flows\":[1-9][0-9]*,\"changed\":[1-9][0-9]*,"
  "\"before\":[{]\"egressIps\":\\[\"20[.]62[.]138[.]17\",\"20[.]62[.]139[.]200\"\\][}],"
  "\"after\":[{]\"egressIps\":\\[\"unknown:aks-default-managed-natgw#1\"\\][}],"
  "\"add\":\\[\"unknown:aks-default-managed-natgw#1\"\\],"
  "\"remove\":\\[\"20[.]62[.]138[.]17\",\"20[.]62[.]139[.]200\"\\],\"newlyDropped\":[{][}][}],")
egress_cli_test(groups_migrate_json --exit 1 --err-empty
  --out "${groups_migrate_json_re}"
  -- ${SIM} migrate ${GROUPS_TOPO}/aks-loadbalancer.yaml --to managedNATGateway --synth 300
     --destinations ${GROUPS_DESTS} --groups partners.yaml --json)
egress_cli_test(groups_diff_unchanged --err-empty
  --out "^0 of 100 flows change\n"
  --out "\npartners [(]--groups[)]:\n  partner github: egress IP stays 20[.]0[.]0[.]1. 0 of [1-9][0-9]* flows change\n"
  --out "\n  partner payments-api: no flows$"
  -- ${SIM} diff lb.yaml lb.yaml --mix ${GROUPS_TOPO}/mixes/default.yaml --synth 100
     --groups partners.yaml)

# --mix alone gives the flows (its own count and seed); --destinations shapes them.
egress_cli_test(groups_diff_mix_alone --err-empty
  --out "^0 of 10000 flows change\n"
  -- ${SIM} diff lb.yaml lb.yaml --mix ${GROUPS_TOPO}/mixes/default.yaml)
egress_cli_test(groups_diff_destinations --exit 1 --err-empty
  --out "\nwhat destinations see:\n  [0-9]+ flows to 2 destinations [(]1[.]1[.]1[.]1:53/tcp, 1[.]1[.]1[.]1:53/udp[)]\n"
  -- ${SIM} diff ${GROUPS_TOPO}/aks-loadbalancer.yaml
     ${GROUPS_TOPO}/aks-managed-nat-gateway.yaml --synth 50 --destinations 1.1.1.1:53)

# Bad input: every error of the groups file with its position, exit 2, nothing on stdout.
string(CONCAT groups_bad_file_re
  "^bad-groups[.]yaml:5:20: error: 'api[.]payments[.]example' is a host name. write "
  "[{]host: api[.]payments[.]example[}] for the flows that name it [(]TLS SNI, HTTP Host[)], "
  "with addresses: \\[[.][.][.]\\] for flows to the addresses it resolves to [(]names are "
  "never looked up[)]\n"
  "bad-groups[.]yaml:6:11: error: group name 'payments-api' is already used at line 4, "
  "column 11\n"
  "bad-groups[.]yaml:7:20: error: '140[.]82[.]112[.]3/20' has host bits set. did you mean "
  "140[.]82[.]112[.]0/20[?]$")
egress_cli_test(groups_bad_file_synth --exit 2 --out-empty
  --err "${groups_bad_file_re}"
  -- ${SIM} synth lb.yaml --flows 10 --groups bad-groups.yaml)
egress_cli_test(groups_bad_file_diff --exit 2 --out-empty
  --err "${groups_bad_file_re}"
  -- ${SIM} diff lb.yaml lb.yaml --synth 10 --groups bad-groups.yaml)
egress_cli_test(groups_missing_file --exit 2 --out-empty
  --err "^nothing[.]yaml: error: cannot read 'nothing[.]yaml': No such file or directory$"
  -- ${SIM} replay lb.yaml ${GROUPS_TOPO}/captures/aks-udr-firewall-nodes.pcap --groups nothing.yaml)
egress_cli_test(groups_destinations_need_synthetic_flows --exit 2 --out-empty
  --err "^error: --destinations shapes synthetic flows [(]--synth N, --mix FILE[)]. captures have their own$"
  -- ${SIM} diff lb.yaml lb.yaml ${GROUPS_TOPO}/captures/aks-udr-firewall-nodes.pcap
     --destinations 1.1.1.1)
egress_cli_test(groups_bad_mix --exit 2 --out-empty
  --err "^bad-groups[.]yaml:3:1: error: unknown key 'groups' in the mix"
  -- ${SIM} migrate lb.yaml --to none --mix bad-groups.yaml)

# Groups by host name: the shipped capture's flows fall into the group that lists the name
# their TLS ClientHello carries (mcr.microsoft.com 20, eastus.data.mcr.microsoft.com 15,
# ghcr.io 7, pkg-containers.githubusercontent.com 9), before `azure`'s 20.0.0.0/8 that comes
# first in the file; github.com's 5 flows are denied. The after-state is the tutorial's firewall
# with a second public IP, which authorizedIpRanges lack: the API server's 42 flows (in azure's
# 20/8, named *.hcp.eastus.azmk8s.io, which no group lists) newly drop.
file(READ ${PROJECT_SOURCE_DIR}/topologies/aks-udr-firewall.yaml fw_two_ips)
string(REPLACE "    publicIps: [aks-egress-fwpublicip]\n"
  "    publicIps: [aks-egress-fwpublicip, aks-egress-fwpublicip2]\n" fw_two_ips "${fw_two_ips}")
string(REPLACE "  - name: aks-store-front-pip\n"
  "  - name: aks-egress-fwpublicip2\n    address: 20.83.201.37\n  - name: aks-store-front-pip\n"
  fw_two_ips "${fw_two_ips}")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/aks-udr-firewall-two-ips.yaml "${fw_two_ips}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/topologies/aks-udr-firewall.yaml)
string(CONCAT groups_hosts_diff_re
  "^210 of 250 flows change\n.*"
  "\npartners [(]--groups[)]:\n"
  "  partner azure: egress IPs change from 20[.]83[.]201[.]36 to 20[.]83[.]201[.]36, "
  "20[.]83[.]201[.]37. 66 of 66 flows change\n"
  "    add     20[.]83[.]201[.]37\n"
  "    42 flows newly drop: api-server-unauthorized\n"
  "  partner registries: egress IPs change from 20[.]83[.]201[.]36 to 20[.]83[.]201[.]36, "
  "20[.]83[.]201[.]37. 51 of 51 flows change\n"
  "    add     20[.]83[.]201[.]37\n"
  "  partner github: egress IP stays [(]none[)]. 0 of 5 flows change\n")
egress_cli_test(groups_hosts_diff --exit 1 --err-empty
  --out "${groups_hosts_diff_re}"
  -- ${SIM} diff ${GROUPS_TOPO}/aks-udr-firewall.yaml
     ${CMAKE_CURRENT_BINARY_DIR}/aks-udr-firewall-two-ips.yaml
     ${GROUPS_TOPO}/captures/aks-udr-firewall-nodes.pcap --groups registry-hosts.yaml)
egress_cli_test(groups_hosts_replay --err-empty
  --out "\nazure +66 +egress 66 +20[.]83[.]201[.]36\nregistries +51 +egress 51 +20[.]83[.]201[.]36\ngithub +5 +dropped 5 +none\n[(]no group[)] +128 +dropped 35, egress 93 +20[.]83[.]201[.]36\n"
  -- ${SIM} replay ${GROUPS_TOPO}/aks-udr-firewall.yaml
     ${GROUPS_TOPO}/captures/aks-udr-firewall-nodes.pcap --groups registry-hosts.yaml)
egress_cli_test(groups_hosts_bad_wildcard --exit 2 --out-empty
  --err "^bad-hosts[.]yaml:4:15: error: host 'api[.][*][.]example[.]com': expected a host name like api[.]example[.]com or a wildcard like [*][.]example[.]com$"
  -- ${SIM} diff lb.yaml lb.yaml --synth 10 --groups bad-hosts.yaml)
