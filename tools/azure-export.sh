#!/usr/bin/env bash
# azure-export.sh: collects with the Azure CLI what `egress-sim import` and `egress-sim check`
# read, into one folder (the layout below). Read-only: it runs only list and show commands.
#
#   OUT/manifest.json                        what was exported
#   OUT/resources/<RG>/<kind>.json           az network ... list -g RG -o json, az aks show
#   OUT/learned-routes/<GATEWAY>.json        az network vnet-gateway list-learned-routes
#   OUT/effective-routes/<VNET>~<SUBNET>~<NIC>.json
#                                            az network nic show-effective-route-table, one NIC
#                                            per node subnet
#   OUT/service-tags.json                    az network list-service-tags --location LOC
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: azure-export.sh --resource-group RG [--resource-group RG2 ...] [--cluster NAME]
                       [--location LOC] [--out DIR]

Exports the network resources of the resource groups (and, with --cluster, the AKS cluster
of the first group, its node resource group and the effective routes of one node NIC per
node subnet) as `az ... -o json` prints them, for `egress-sim import DIR` and
`egress-sim check TOPOLOGY DIR`.

  -g, --resource-group RG  a resource group to export (repeat for several)
  -c, --cluster NAME       the AKS cluster (in the first resource group)
  -l, --location LOC       region for the service tags (default: the cluster's or first
                           VNet's location; none found: no service-tags.json)
  -o, --out DIR            output folder (default: azure-export); must not exist or be empty
  -h, --help               this help

Needs the Azure CLI (az), logged in (az login), and its azure-firewall extension for
firewalls (az extension add --name azure-firewall). Exit 0 when everything was written,
1 when an az command failed, 2 on bad usage.
EOF
}

die_usage() {
  echo "azure-export.sh: error: $*" >&2
  echo "Run azure-export.sh --help for usage." >&2
  exit 2
}

die() {
  echo "azure-export.sh: error: $*" >&2
  exit 1
}

groups=()
cluster=""
location=""
out="azure-export"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -g | --resource-group)
      [[ $# -ge 2 && -n "$2" ]] || die_usage "$1 needs a resource group name"
      groups+=("$2")
      shift 2
      ;;
    -c | --cluster)
      [[ $# -ge 2 && -n "$2" ]] || die_usage "$1 needs a cluster name"
      cluster="$2"
      shift 2
      ;;
    -l | --location)
      [[ $# -ge 2 && -n "$2" ]] || die_usage "$1 needs a region"
      location="$2"
      shift 2
      ;;
    -o | --out)
      [[ $# -ge 2 && -n "$2" ]] || die_usage "$1 needs a folder"
      out="$2"
      shift 2
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done
[[ ${#groups[@]} -gt 0 ]] || die_usage "give at least one --resource-group RG"
command -v az >/dev/null 2>&1 || die "the Azure CLI (az) is not on PATH: https://learn.microsoft.com/cli/azure/install-azure-cli"
if [[ -e "$out" && -n "$(ls -A "$out" 2>/dev/null)" ]]; then
  die_usage "$out exists and is not empty; give an empty or new --out folder"
fi
mkdir -p "$out/resources" "$out/learned-routes" "$out/effective-routes"

# az_to FILE ARGS...: runs `az ARGS -o json` into FILE, complete or not at all.
az_to() {
  local file="$1"
  shift
  if ! az "$@" -o json >"$file.part"; then
    rm -f "$file.part"
    die "az $* failed (see above)"
  fi
  mv "$file.part" "$file"
}

# az_tsv ARGS...: `az ARGS -o tsv` (for --query results).
az_tsv() {
  az "$@" -o tsv || die "az $* failed (see above)"
}

# The AKS cluster first: its node resource group holds the load balancer, public IPs, NAT
# gateway and scale sets AKS manages.
node_group=""
if [[ -n "$cluster" ]]; then
  mkdir -p "$out/resources/${groups[0]}"
  az_to "$out/resources/${groups[0]}/aks.json" aks show --resource-group "${groups[0]}" --name "$cluster"
  node_group="$(az_tsv aks show --resource-group "${groups[0]}" --name "$cluster" --query nodeResourceGroup)"
  if [[ -z "$location" ]]; then
    location="$(az_tsv aks show --resource-group "${groups[0]}" --name "$cluster" --query location)"
  fi
  if [[ -n "$node_group" && " ${groups[*]} " != *" $node_group "* ]]; then
    groups+=("$node_group")
  fi
fi

for rg in "${groups[@]}"; do
  dir="$out/resources/$rg"
  mkdir -p "$dir"
  az_to "$dir/vnets.json" network vnet list --resource-group "$rg"
  az_to "$dir/route-tables.json" network route-table list --resource-group "$rg"
  az_to "$dir/nsgs.json" network nsg list --resource-group "$rg"
  az_to "$dir/asgs.json" network asg list --resource-group "$rg"
  az_to "$dir/nat-gateways.json" network nat gateway list --resource-group "$rg"
  az_to "$dir/public-ips.json" network public-ip list --resource-group "$rg"
  az_to "$dir/public-ip-prefixes.json" network public-ip prefix list --resource-group "$rg"
  az_to "$dir/lbs.json" network lb list --resource-group "$rg"
  az_to "$dir/firewalls.json" network firewall list --resource-group "$rg"
  az_to "$dir/firewall-policies.json" network firewall policy list --resource-group "$rg"
  # Rule collection groups are listed per policy; one file holds them all (an array).
  policies="$(az_tsv network firewall policy list --resource-group "$rg" --query "[].name")"
  {
    echo "["
    first=1
    for policy in $policies; do
      groups_json="$(az network firewall policy rule-collection-group list --resource-group "$rg" \
        --policy-name "$policy" -o json)" || die "az network firewall policy rule-collection-group list --policy-name $policy failed"
      # Each answer is an array; strip its brackets to join them.
      body="$(printf '%s\n' "$groups_json" | sed '1s/^[[:space:]]*\[//; $s/\][[:space:]]*$//')"
      if [[ -n "${body//[[:space:]]/}" ]]; then
        [[ $first -eq 1 ]] || echo ","
        printf '%s\n' "$body"
        first=0
      fi
    done
    echo "]"
  } >"$dir/firewall-policy-rule-collection-groups.json"
  az_to "$dir/vnet-gateways.json" network vnet-gateway list --resource-group "$rg"
  for gateway in $(az_tsv network vnet-gateway list --resource-group "$rg" --query "[].name"); do
    az_to "$out/learned-routes/$gateway.json" network vnet-gateway list-learned-routes \
      --resource-group "$rg" --name "$gateway"
  done
  az_to "$dir/private-endpoints.json" network private-endpoint list --resource-group "$rg"
  az_to "$dir/nics.json" network nic list --resource-group "$rg"
  az_to "$dir/vmss.json" vmss list --resource-group "$rg"
  if [[ -z "$location" ]]; then
    location="$(az_tsv network vnet list --resource-group "$rg" --query "[0].location")"
  fi
done

# One node NIC per node subnet: the scale sets' NICs in the node resource group (AKS nodes are
# scale set instances), then standalone NICs; the first NIC seen of each subnet.
if [[ -n "$node_group" ]]; then
  seen=" "
  nic_rows=""
  for vmss in $(az_tsv vmss list --resource-group "$node_group" --query "[].name"); do
    nic_rows+="$(az_tsv vmss nic list --resource-group "$node_group" --vmss-name "$vmss" \
      --query "[].[id, ipConfigurations[0].subnet.id]")"$'\n'
  done
  while IFS=$'\t' read -r nic_id subnet_id; do
    [[ -n "$nic_id" && -n "$subnet_id" ]] || continue
    vnet="$(sed -n 's#.*/virtualNetworks/\([^/]*\)/subnets/.*#\1#p' <<<"$subnet_id")"
    subnet="${subnet_id##*/}"
    [[ -n "$vnet" && "$seen" != *" $vnet/$subnet "* ]] || continue
    seen+="$vnet/$subnet "
    nic="${nic_id##*/}"
    az_to "$out/effective-routes/$vnet~$subnet~$nic.json" network nic show-effective-route-table --ids "$nic_id"
  done <<<"$nic_rows"
fi

if [[ -n "$location" ]]; then
  az_to "$out/service-tags.json" network list-service-tags --location "$location"
fi

{
  printf '{"tool": "azure-export.sh", "format": 1, "resourceGroups": ['
  sep=""
  for rg in "${groups[@]}"; do
    printf '%s"%s"' "$sep" "$rg"
    sep=", "
  done
  if [[ -n "$cluster" ]]; then
    printf '], "cluster": "%s"}\n' "$cluster"
  else
    printf '], "cluster": null}\n'
  fi
} >"$out/manifest.json"
echo "azure-export.sh: wrote $out (${#groups[@]} resource groups)" >&2
