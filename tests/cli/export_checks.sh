#!/usr/bin/env bash
# tools/azure-export.sh without Azure: its syntax, --help, usage errors, and a run against a
# fake `az` on PATH that answers each documented command with canned JSON; the folder it
# writes must have the layout of issue15-design.md and be read by `egress-sim check`.
#
# export_checks.sh SCENARIO SIM SCRIPT TOPOLOGY DATA_DIR
set -euo pipefail
scenario="$1" sim="$2" script="$3" topology="$4" data="$5"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# The fake az: logs each call, answers the ones azure-export.sh makes, refuses anything else.
make_fake_az() {
  mkdir -p "$work/bin"
  "$sim" routes "$topology" --subnet vnet1/nodes -o azure >"$work/routes.json"
  cat >"$work/bin/az" <<FAKE
#!/usr/bin/env bash
echo "\$*" >>"$work/az.log"
case "\$*" in
  "aks show --resource-group rg1 --name aks1 -o json") cat "$data/aks.json" ;;
  "aks show --resource-group rg1 --name aks1 --query nodeResourceGroup -o tsv") echo MC_rg1_aks1_eastus ;;
  "aks show --resource-group rg1 --name aks1 --query location -o tsv") echo eastus ;;
  "vmss list --resource-group MC_rg1_aks1_eastus --query [].name -o tsv") echo aks-system-12345678-vmss ;;
  "vmss nic list --resource-group MC_rg1_aks1_eastus --vmss-name aks-system-12345678-vmss --query [].[id, ipConfigurations[0].subnet.id] -o tsv")
    printf '%s\t%s\n' \
      /subscriptions/s/resourceGroups/MC_rg1_aks1_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/aks-system-12345678-vmss/virtualMachines/0/networkInterfaces/aks-system-12345678-vmss \
      /subscriptions/s/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/nodes
    printf '%s\t%s\n' \
      /subscriptions/s/resourceGroups/MC_rg1_aks1_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/aks-system-12345678-vmss/virtualMachines/1/networkInterfaces/aks-system-12345678-vmss \
      /subscriptions/s/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/nodes ;;
  "network nic show-effective-route-table --ids "*" -o json") cat "$work/routes.json" ;;
  "network list-service-tags --location eastus -o json") echo '{"type": "Microsoft.Network/serviceTags", "values": []}' ;;
  *" --query [].name -o tsv") ;;
  "network vnet list"*" -o json" | "network route-table list"*" -o json" | "network nsg list"*" -o json" | \
  "network asg list"*" -o json" | "network nat gateway list"*" -o json" | "network public-ip list"*" -o json" | \
  "network public-ip prefix list"*" -o json" | "network lb list"*" -o json" | "network firewall list"*" -o json" | \
  "network firewall policy list"*" -o json" | "network vnet-gateway list"*" -o json" | \
  "network private-endpoint list"*" -o json" | "network nic list"*" -o json" | "vmss list"*" -o json") echo "[]" ;;
  *) echo "fake az: unexpected command: az \$*" >&2; exit 3 ;;
esac
FAKE
  chmod +x "$work/bin/az"
}

case "$scenario" in
  syntax)
    bash -n "$script" || fail "bash -n"
    ;;
  help)
    out="$(bash "$script" --help)" || fail "--help exit $?"
    grep -q "^Usage: azure-export.sh --resource-group RG" <<<"$out" || fail "--help: $out"
    ;;
  usage)
    set +e
    err="$(PATH="/usr/bin:/bin" bash "$script" 2>&1 >/dev/null)"
    code=$?
    set -e
    [[ $code -eq 2 ]] || fail "no --resource-group: exit $code"
    grep -q "error: give at least one --resource-group RG" <<<"$err" || fail "message: $err"
    set +e
    err="$(PATH="/usr/bin:/bin" bash "$script" -g rg1 --frob 2>&1 >/dev/null)"
    code=$?
    set -e
    [[ $code -eq 2 ]] && grep -q "unknown argument '--frob'" <<<"$err" || fail "--frob: $code $err"
    ;;
  no-az)
    mkdir -p "$work/empty"
    set +e
    err="$(PATH="$work/empty" /bin/bash "$script" -g rg1 --out "$work/out" 2>&1)"
    code=$?
    set -e
    [[ $code -eq 1 ]] && grep -q "the Azure CLI (az) is not on PATH" <<<"$err" || fail "no az: $code $err"
    ;;
  fake-az)
    make_fake_az
    PATH="$work/bin:$PATH" bash "$script" --resource-group rg1 --cluster aks1 --out "$work/out" ||
      fail "export failed"
    for f in manifest.json service-tags.json resources/rg1/aks.json \
      effective-routes/vnet1~nodes~aks-system-12345678-vmss.json; do
      [[ -s "$work/out/$f" ]] || fail "missing $f"
    done
    for rg in rg1 MC_rg1_aks1_eastus; do
      for kind in vnets route-tables nsgs asgs nat-gateways public-ips public-ip-prefixes lbs \
        firewalls firewall-policies firewall-policy-rule-collection-groups vnet-gateways \
        private-endpoints nics vmss; do
        [[ -f "$work/out/resources/$rg/$kind.json" ]] || fail "missing resources/$rg/$kind.json"
      done
    done
    [[ "$(ls "$work/out/effective-routes")" == "vnet1~nodes~aks-system-12345678-vmss.json" ]] ||
      fail "one NIC per node subnet: $(ls "$work/out/effective-routes")"
    grep -qx '{"tool": "azure-export.sh", "format": 1, "resourceGroups": \["rg1", "MC_rg1_aks1_eastus"\], "cluster": "aks1"}' \
      "$work/out/manifest.json" || fail "manifest: $(cat "$work/out/manifest.json")"
    # What the folder holds agrees with the topology it was made from: check finds nothing.
    out="$("$sim" check "$topology" "$work/out")" || fail "check exit $?: $out"
    grep -q "^check: no differences (7 routes of 1 route table, 0 next hops, 2 egress IPs compared)$" \
      <<<"$out" || fail "check: $out"
    # Issue 15, done when: check reports a deliberately changed route and a missing egress IP.
    routes="$work/out/effective-routes/vnet1~nodes~aks-system-12345678-vmss.json"
    sed -i 's/"10[.]1[.]8[.]4"/"10.1.8.5"/' "$routes"
    sed -i 's#"effectiveOutboundIPs": \[#"effectiveOutboundIPs": [{"id": "/subscriptions/s/resourceGroups/MC_rg1_aks1_eastus/providers/Microsoft.Network/publicIPAddresses/pip3"},#' \
      "$work/out/resources/rg1/aks.json"
    set +e
    out="$("$sim" check "$topology" "$work/out")"
    code=$?
    set -e
    [[ $code -eq 1 ]] || fail "changed: check exit $code: $out"
    grep -qF "$routes: route-next-hop: subnet vnet1/nodes 192.168.10.0/24 User: Azure VirtualAppliance 10.1.8.5, model VirtualAppliance 10.1.8.4" \
      <<<"$out" || fail "changed route not reported: $out"
    grep -qF "$work/out/resources/rg1/aks.json: egress-ip-missing: cluster aks1 loadBalancerProfile.effectiveOutboundIPs: Azure /subscriptions/s/resourceGroups/MC_rg1_aks1_eastus/providers/Microsoft.Network/publicIPAddresses/pip3, model -" \
      <<<"$out" || fail "missing egress IP not reported: $out"
    grep -q "^check: 2 differences " <<<"$out" || fail "count: $out"
    # A non-empty --out is refused before any az call.
    set +e
    PATH="$work/bin:$PATH" bash "$script" -g rg1 --out "$work/out" 2>"$work/err"
    code=$?
    set -e
    [[ $code -eq 2 ]] && grep -q "exists and is not empty" "$work/err" || fail "non-empty out: $code"
    ;;
  *) fail "unknown scenario $scenario" ;;
esac
echo "ok: $scenario"
