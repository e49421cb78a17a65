#!/usr/bin/env python3
"""Writes the realistic snapshots of tests/data/arm/ (README.md there says what each follows).

Each snapshot is a folder laid out as tools/azure-export.sh writes it (manifest.json,
resources/<RG>/<kind>.json), every file as `az ... -o json` prints it: the flattened shape
(`properties` lifted, `resourceGroup` added, sub-resources flattened too) and knack's
format_json (sort_keys=True, indent=2, a final newline). Run it from anywhere; it rewrites the
snapshot folders beside it. The files are checked in: the tests read them, not this script.
"""
import json
import os
import shutil

SUB = "3f2a6c1e-8b4d-4e0a-9c7f-2d5b1a6e4c90"
LOC = "eastus"
HERE = os.path.dirname(os.path.abspath(__file__))

NET = "Microsoft.Network"


def rid(rg, kind, name, *children):
    out = f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/{kind}/{name}"
    for child_kind, child_name in zip(children[0::2], children[1::2]):
        out += f"/{child_kind}/{child_name}"
    return out


def ref(rg, kind, name, *children):
    return {"id": rid(rg, kind, name, *children), "resourceGroup": rg}


def etag(n):
    return 'W/"%08x-1c2d-4e5f-8a9b-%012x"' % (0x5A1E0000 + n, 0xC0FFEE000000 + n)


_counter = [0]


def common(rg, kind, name, *children):
    _counter[0] += 1
    return {
        "etag": etag(_counter[0]),
        "id": rid(rg, kind, name, *children),
        "name": children[-1] if children else name,
        "provisioningState": "Succeeded",
        "resourceGroup": rg,
    }


def subnet(rg, vnet, name, prefix, nsg=None, route_table=None, nat_gateway=None,
           default_outbound=None):
    s = common(rg, f"{NET}/virtualNetworks", vnet, "subnets", name)
    s.update({
        "addressPrefix": prefix,
        "delegations": [],
        "privateEndpointNetworkPolicies": "Disabled",
        "privateLinkServiceNetworkPolicies": "Enabled",
        "type": f"{NET}/virtualNetworks/subnets",
    })
    if nsg:
        s["networkSecurityGroup"] = ref(nsg[0], f"{NET}/networkSecurityGroups", nsg[1])
    if route_table:
        s["routeTable"] = ref(route_table[0], f"{NET}/routeTables", route_table[1])
    if nat_gateway:
        s["natGateway"] = ref(nat_gateway[0], f"{NET}/natGateways", nat_gateway[1])
    if default_outbound is not None:
        s["defaultOutboundAccess"] = default_outbound
    return s


def vnet(rg, name, prefixes, subnets):
    v = common(rg, f"{NET}/virtualNetworks", name)
    v.update({
        "addressSpace": {"addressPrefixes": prefixes},
        "enableDdosProtection": False,
        "location": LOC,
        "resourceGuid": "6c1f2a4e-3b5d-4f70-9a1e-%012x" % _counter[0],
        "subnets": subnets,
        "type": f"{NET}/virtualNetworks",
        "virtualNetworkPeerings": [],
    })
    return v


def public_ip(rg, name, address, tags=None):
    p = common(rg, f"{NET}/publicIPAddresses", name)
    p.update({
        "ddosSettings": {"protectionMode": "VirtualNetworkInherited"},
        "idleTimeoutInMinutes": 4,
        "ipAddress": address,
        "ipTags": [],
        "location": LOC,
        "publicIPAddressVersion": "IPv4",
        "publicIPAllocationMethod": "Static",
        "resourceGuid": "0d9e8f7a-6b5c-4d3e-8f1a-%012x" % _counter[0],
        "sku": {"name": "Standard", "tier": "Regional"},
        "tags": tags or {},
        "type": f"{NET}/publicIPAddresses",
        "zones": ["1", "2", "3"],
    })
    return p


def nat_gateway(rg, name, pips, subnets, tags=None):
    g = common(rg, f"{NET}/natGateways", name)
    g.update({
        "idleTimeoutInMinutes": 4,
        "location": LOC,
        "publicIpAddresses": [ref(r, f"{NET}/publicIPAddresses", n) for r, n in pips],
        "resourceGuid": "7e6d5c4b-3a29-4180-9f7e-%012x" % _counter[0],
        "sku": {"name": "Standard", "tier": "Regional"},
        "subnets": [ref(r, f"{NET}/virtualNetworks", v, "subnets", s) for r, v, s in subnets],
        "tags": tags or {},
        "type": f"{NET}/natGateways",
    })
    return g


def route_table(rg, name, routes, subnets, disable_bgp=False):
    t = common(rg, f"{NET}/routeTables", name)
    rows = []
    for route_name, prefix, hop, hop_ip in routes:
        r = common(rg, f"{NET}/routeTables", name, "routes", route_name)
        r.update({"addressPrefix": prefix, "hasBgpOverride": False, "nextHopType": hop,
                  "type": f"{NET}/routeTables/routes"})
        if hop_ip:
            r["nextHopIpAddress"] = hop_ip
        rows.append(r)
    t.update({
        "disableBgpRoutePropagation": disable_bgp,
        "location": LOC,
        "resourceGuid": "2b3c4d5e-6f70-4812-93a4-%012x" % _counter[0],
        "routes": rows,
        "subnets": [ref(r, f"{NET}/virtualNetworks", v, "subnets", s) for r, v, s in subnets],
        "type": f"{NET}/routeTables",
    })
    return t


def default_rules(rg, nsg_name):
    rules = []
    for name, prio, direction, src, dst, access, desc in [
        ("AllowVnetInBound", 65000, "Inbound", "VirtualNetwork", "VirtualNetwork", "Allow",
         "Allow inbound traffic from all VMs in VNET"),
        ("AllowAzureLoadBalancerInBound", 65001, "Inbound", "AzureLoadBalancer", "*", "Allow",
         "Allow inbound traffic from azure load balancer"),
        ("DenyAllInBound", 65500, "Inbound", "*", "*", "Deny", "Deny all inbound traffic"),
        ("AllowVnetOutBound", 65000, "Outbound", "VirtualNetwork", "VirtualNetwork", "Allow",
         "Allow outbound traffic from all VMs to all VMs in VNET"),
        ("AllowInternetOutBound", 65001, "Outbound", "*", "Internet", "Allow",
         "Allow outbound traffic from all VMs to Internet"),
        ("DenyAllOutBound", 65500, "Outbound", "*", "*", "Deny", "Deny all outbound traffic"),
    ]:
        r = common(rg, f"{NET}/networkSecurityGroups", nsg_name, "defaultSecurityRules", name)
        r.update({
            "access": access, "description": desc, "destinationAddressPrefix": dst,
            "destinationAddressPrefixes": [], "destinationPortRange": "*",
            "destinationPortRanges": [], "direction": direction, "priority": prio,
            "protocol": "*", "sourceAddressPrefix": src, "sourceAddressPrefixes": [],
            "sourcePortRange": "*", "sourcePortRanges": [],
            "type": f"{NET}/networkSecurityGroups/defaultSecurityRules",
        })
        rules.append(r)
    return rules


def nsg(rg, name, subnets=(), rules=()):
    n = common(rg, f"{NET}/networkSecurityGroups", name)
    n.update({
        "defaultSecurityRules": default_rules(rg, name),
        "location": LOC,
        "resourceGuid": "9a8b7c6d-5e4f-4a3b-8c2d-%012x" % _counter[0],
        "securityRules": list(rules),
        "subnets": [ref(r, f"{NET}/virtualNetworks", v, "subnets", s) for r, v, s in subnets],
        "type": f"{NET}/networkSecurityGroups",
    })
    return n


def aks_lb(node_rg, pips, outbound_rule=True):
    """The `kubernetes` Standard load balancer AKS creates in the node resource group."""
    lb = common(node_rg, f"{NET}/loadBalancers", "kubernetes")
    frontends = []
    for i, (prg, pname) in enumerate(pips):
        fname = pname  # AKS names the frontend after the managed public IP's GUID
        f = common(node_rg, f"{NET}/loadBalancers", "kubernetes", "frontendIPConfigurations", fname)
        f.update({
            "outboundRules": [ref(node_rg, f"{NET}/loadBalancers", "kubernetes", "outboundRules",
                                  "aksOutboundRule")] if outbound_rule else [],
            "privateIPAllocationMethod": "Dynamic",
            "publicIPAddress": ref(prg, f"{NET}/publicIPAddresses", pname),
            "type": f"{NET}/loadBalancers/frontendIPConfigurations",
        })
        frontends.append(f)
    pools = []
    for pool in ["kubernetes", "aksOutboundBackendPool"] if outbound_rule else ["kubernetes"]:
        p = common(node_rg, f"{NET}/loadBalancers", "kubernetes", "backendAddressPools", pool)
        p.update({"loadBalancerBackendAddresses": [],
                  "type": f"{NET}/loadBalancers/backendAddressPools"})
        pools.append(p)
    rules = []
    if outbound_rule:
        o = common(node_rg, f"{NET}/loadBalancers", "kubernetes", "outboundRules",
                   "aksOutboundRule")
        o.update({
            "allocatedOutboundPorts": 0,
            "backendAddressPool": ref(node_rg, f"{NET}/loadBalancers", "kubernetes",
                                      "backendAddressPools", "aksOutboundBackendPool"),
            "enableTcpReset": True,
            "frontendIPConfigurations": [
                ref(node_rg, f"{NET}/loadBalancers", "kubernetes", "frontendIPConfigurations", p)
                for _, p in pips],
            "idleTimeoutInMinutes": 30,
            "protocol": "All",
            "type": f"{NET}/loadBalancers/outboundRules",
        })
        rules.append(o)
    lb.update({
        "backendAddressPools": pools,
        "frontendIPConfigurations": frontends,
        "inboundNatPools": [],
        "inboundNatRules": [],
        "loadBalancingRules": [],
        "location": LOC,
        "outboundRules": rules,
        "probes": [],
        "resourceGuid": "4f3e2d1c-0b9a-4877-8665-%012x" % _counter[0],
        "sku": {"name": "Standard", "tier": "Regional"},
        "tags": {"aks-managed-cluster-name": "aks1", "aks-managed-cluster-rg": "rg-aks"},
        "type": f"{NET}/loadBalancers",
    })
    return lb


def vmss(node_rg, name, capacity, subnet_id, lb_pools):
    v = {
        "id": rid(node_rg, "Microsoft.Compute/virtualMachineScaleSets", name),
        "location": LOC,
        "name": name,
        "orchestrationMode": "Uniform",
        "provisioningState": "Succeeded",
        "resourceGroup": node_rg,
        "sku": {"capacity": capacity, "name": "Standard_D4ds_v5", "tier": "Standard"},
        "tags": {"aks-managed-createOperationID": "00000000-0000-0000-0000-000000000000",
                 "aks-managed-poolName": "nodepool1"},
        "type": "Microsoft.Compute/virtualMachineScaleSets",
        "virtualMachineProfile": {"networkProfile": {"networkInterfaceConfigurations": [{
            "enableAcceleratedNetworking": True,
            "enableIPForwarding": True,
            "ipConfigurations": [{
                "loadBalancerBackendAddressPools": [{"id": p, "resourceGroup": node_rg}
                                                    for p in lb_pools],
                "name": "ipconfig1",
                "primary": True,
                "privateIPAddressVersion": "IPv4",
                "subnet": {"id": subnet_id, "resourceGroup": subnet_id.split("/")[4]},
            }],
            "name": name,
            "primary": True,
        }]}},
    }
    return v


def aks(rg, name, node_rg, outbound_type, network_profile, vnet_subnet_id=None, count=3,
        api_ranges=None):
    pool = {
        "count": count,
        "currentOrchestratorVersion": "1.32.6",
        "enableAutoScaling": False,
        "enableNodePublicIP": False,
        "maxPods": 250,
        "mode": "System",
        "name": "nodepool1",
        "nodeImageVersion": "AKSUbuntu-2204gen2containerd-202509.23.0",
        "orchestratorVersion": "1.32.6",
        "osDiskSizeGb": 128,
        "osSku": "Ubuntu",
        "osType": "Linux",
        "powerState": {"code": "Running"},
        "provisioningState": "Succeeded",
        "type": "VirtualMachineScaleSets",
        "vmSize": "Standard_D4ds_v5",
        "vnetSubnetId": vnet_subnet_id,
    }
    profile = {
        "dnsServiceIp": "10.0.0.10",
        "ipFamilies": ["IPv4"],
        "loadBalancerSku": "standard",
        "networkDataplane": "azure",
        "networkPlugin": "azure",
        "networkPluginMode": "overlay",
        "outboundType": outbound_type,
        "podCidr": "10.244.0.0/16",
        "podCidrs": ["10.244.0.0/16"],
        "serviceCidr": "10.0.0.0/16",
        "serviceCidrs": ["10.0.0.0/16"],
    }
    profile.update(network_profile)
    return {
        "agentPoolProfiles": [pool],
        "apiServerAccessProfile": {"authorizedIpRanges": api_ranges} if api_ranges else None,
        "azurePortalFqdn": f"{name}-dns-k3xq8v2p.portal.hcp.{LOC}.azmk8s.io",
        "currentKubernetesVersion": "1.32.6",
        "dnsPrefix": f"{name}-dns",
        "enableRbac": True,
        "fqdn": f"{name}-dns-k3xq8v2p.hcp.{LOC}.azmk8s.io",
        "id": rid(rg, "Microsoft.ContainerService/managedClusters", name),
        "kubernetesVersion": "1.32",
        "location": LOC,
        "name": name,
        "networkProfile": profile,
        "nodeResourceGroup": node_rg,
        "powerState": {"code": "Running"},
        "provisioningState": "Succeeded",
        "resourceGroup": rg,
        "sku": {"name": "Base", "tier": "Free"},
        "type": "Microsoft.ContainerService/ManagedClusters",
    }


def write(folder, rg_files, groups, cluster="aks1"):
    root = os.path.join(HERE, folder)
    shutil.rmtree(root, ignore_errors=True)
    for rg, files in rg_files.items():
        d = os.path.join(root, "resources", rg)
        os.makedirs(d, exist_ok=True)
        for kind, value in files.items():
            with open(os.path.join(d, kind + ".json"), "w") as f:
                f.write(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True,
                                   separators=(",", ": ")) + "\n")
    with open(os.path.join(root, "manifest.json"), "w") as f:
        f.write(json.dumps({"tool": "azure-export.sh", "format": 1, "resourceGroups": groups,
                            "cluster": cluster}) + "\n")


def managed_vnet(node_rg, vnet_name, nat=None, default_outbound=None):
    nsg_name = "aks-agentpool-31415926-nsg"
    return (vnet(node_rg, vnet_name, ["10.224.0.0/12"], [
        subnet(node_rg, vnet_name, "aks-subnet", "10.224.0.0/16", nsg=(node_rg, nsg_name),
               nat_gateway=nat, default_outbound=default_outbound)]),
            nsg(node_rg, nsg_name, subnets=[(node_rg, vnet_name, "aks-subnet")]))


def main():
    rg = "rg-aks"
    node_rg = f"MC_{rg}_aks1_{LOC}"
    vnet_name = "aks-vnet-31415926"
    managed_subnet = rid(node_rg, f"{NET}/virtualNetworks", vnet_name, "subnets", "aks-subnet")
    pool_id = rid(node_rg, f"{NET}/loadBalancers", "kubernetes", "backendAddressPools",
                  "aksOutboundBackendPool")
    kube_pool_id = rid(node_rg, f"{NET}/loadBalancers", "kubernetes", "backendAddressPools",
                       "kubernetes")
    managed_tags = {"aks-managed-cluster-name": "aks1", "aks-managed-cluster-rg": rg,
                    "aks-managed-type": "aks-slb-managed-outbound-ip"}
    pip_name = "7c1b7a52-3f8e-4d5b-a0c9-6e2f4b8d1a37"

    # 1. loadBalancer (the default): a managed outbound public IP on the outbound rule.
    v, n = managed_vnet(node_rg, vnet_name)
    write("aks-loadbalancer", {
        rg: {"aks": aks(rg, "aks1", node_rg, "loadBalancer", {"loadBalancerProfile": {
            "allocatedOutboundPorts": 0, "backendPoolType": "nodeIPConfiguration",
            "effectiveOutboundIPs": [ref(node_rg, f"{NET}/publicIPAddresses", pip_name)],
            "idleTimeoutInMinutes": 30, "managedOutboundIPs": {"count": 1}}})},
        node_rg: {"vnets": [v], "nsgs": [n], "lbs": [aks_lb(node_rg, [(node_rg, pip_name)])],
                  "public-ips": [public_ip(node_rg, pip_name, "20.121.38.17", managed_tags)],
                  "vmss": [vmss(node_rg, "aks-nodepool1-31415926-vmss", 3, managed_subnet,
                                [kube_pool_id, pool_id])]},
    }, [rg, node_rg])

    # 2. managedNATGateway: AKS's NAT gateway with two managed IPs on the node subnet; the
    # load balancer keeps no outbound rule.
    nat_ips = [("natgw-pip-1", "172.203.145.20"), ("natgw-pip-2", "172.203.145.21")]
    nat_ip_names = ["a1f0c3d2-5e4b-4c8a-9d7e-0f1e2d3c4b5a", "b2e1d4c3-6f5a-4d9b-8e0f-1a2b3c4d5e6f"]
    v, n = managed_vnet(node_rg, vnet_name, nat=(node_rg, "aks-nat-gateway"))
    write("aks-managed-nat-gateway", {
        rg: {"aks": aks(rg, "aks1", node_rg, "managedNATGateway", {"natGatewayProfile": {
            "effectiveOutboundIPs": [ref(node_rg, f"{NET}/publicIPAddresses", p)
                                     for p in nat_ip_names],
            "idleTimeoutInMinutes": 4, "managedOutboundIpProfile": {"count": 2}}})},
        node_rg: {"vnets": [v], "nsgs": [n],
                  "nat-gateways": [nat_gateway(node_rg, "aks-nat-gateway",
                                               [(node_rg, p) for p in nat_ip_names],
                                               [(node_rg, vnet_name, "aks-subnet")])],
                  "public-ips": [public_ip(node_rg, p, a, {"aks-managed-cluster-name": "aks1"})
                                 for p, (_, a) in zip(nat_ip_names, nat_ips)],
                  "lbs": [aks_lb(node_rg, [], outbound_rule=False)],
                  "vmss": [vmss(node_rg, "aks-nodepool1-31415926-vmss", 3, managed_subnet,
                                [kube_pool_id])]},
    }, [rg, node_rg])

    # BYO VNet in the cluster's group: 10.42.0.0/16, nodes in 10.42.1.0/24 (the firewall
    # tutorial's and the NAT gateway article's layout).
    byo_vnet = "aks-vnet"
    byo_subnet = rid(rg, f"{NET}/virtualNetworks", byo_vnet, "subnets", "aks-subnet")

    # 3. userAssignedNATGateway: the user's NAT gateway on the node subnet.
    write("aks-user-assigned-nat-gateway", {
        rg: {"aks": aks(rg, "aks1", node_rg, "userAssignedNATGateway", {}, byo_subnet),
             "vnets": [vnet(rg, byo_vnet, ["10.42.0.0/16"], [
                 subnet(rg, byo_vnet, "aks-subnet", "10.42.1.0/24", nat_gateway=(rg, "aks-natgw"))])],
             "nat-gateways": [nat_gateway(rg, "aks-natgw", [(rg, "aks-natgw-pip")],
                                          [(rg, byo_vnet, "aks-subnet")])],
             "public-ips": [public_ip(rg, "aks-natgw-pip", "4.156.201.88")]},
        node_rg: {"lbs": [aks_lb(node_rg, [], outbound_rule=False)],
                  "vmss": [vmss(node_rg, "aks-nodepool1-31415926-vmss", 3, byo_subnet,
                                [kube_pool_id])]},
    }, [rg, node_rg])

    # 4 and 7. userDefinedRouting through Azure Firewall (the AKS tutorial "Limit network
    # traffic with Azure Firewall"): route table 0.0.0.0/0 -> the firewall, the firewall's
    # public IP /32 -> Internet; a firewall policy with the tutorial's rules.
    fw_ip, fw_pip = "10.42.2.4", "20.241.116.42"

    def udr(folder, policy_groups, api_ranges=None):
        vn = vnet(rg, byo_vnet, ["10.42.0.0/16"], [
            subnet(rg, byo_vnet, "aks-subnet", "10.42.1.0/24", route_table=(rg, "aks-fw-rt")),
            subnet(rg, byo_vnet, "AzureFirewallSubnet", "10.42.2.0/24")])
        rt = route_table(rg, "aks-fw-rt", [
            ("aks-fw-r", "0.0.0.0/0", "VirtualAppliance", fw_ip),
            ("aks-fw-r-internet", fw_pip + "/32", "Internet", None)],
            [(rg, byo_vnet, "aks-subnet")])
        fw = common(rg, f"{NET}/azureFirewalls", "aks-fw")
        fw.update({
            "additionalProperties": {}, "applicationRuleCollections": [],
            "firewallPolicy": ref(rg, f"{NET}/firewallPolicies", "aks-fw-policy"),
            "ipConfigurations": [dict(common(rg, f"{NET}/azureFirewalls", "aks-fw",
                                             "azureFirewallIpConfigurations", "aks-fwconfig"),
                                      privateIPAddress=fw_ip,
                                      publicIPAddress=ref(rg, f"{NET}/publicIPAddresses", "aks-fw-pip"),
                                      subnet=ref(rg, f"{NET}/virtualNetworks", byo_vnet,
                                                 "subnets", "AzureFirewallSubnet"),
                                      type=f"{NET}/azureFirewalls/azureFirewallIpConfigurations")],
            "location": LOC, "natRuleCollections": [], "networkRuleCollections": [],
            "sku": {"name": "AZFW_VNet", "tier": "Standard"}, "threatIntelMode": "Alert",
            "type": f"{NET}/azureFirewalls",
        })
        policy = common(rg, f"{NET}/firewallPolicies", "aks-fw-policy")
        policy.update({
            "childPolicies": [], "firewalls": [ref(rg, f"{NET}/azureFirewalls", "aks-fw")],
            "location": LOC,
            "ruleCollectionGroups": [ref(rg, f"{NET}/firewallPolicies", "aks-fw-policy",
                                         "ruleCollectionGroups", g["name"]) for g in policy_groups],
            "sku": {"tier": "Standard"}, "threatIntelMode": "Alert",
            "type": f"{NET}/firewallPolicies",
        })
        write(folder, {
            rg: {"aks": aks(rg, "aks1", node_rg, "userDefinedRouting", {}, byo_subnet,
                            api_ranges=api_ranges),
                 "vnets": [vn], "route-tables": [rt], "firewalls": [fw],
                 "firewall-policies": [policy],
                 "firewall-policy-rule-collection-groups": policy_groups,
                 "public-ips": [public_ip(rg, "aks-fw-pip", fw_pip)]},
            node_rg: {"lbs": [aks_lb(node_rg, [], outbound_rule=False)],
                      "vmss": [vmss(node_rg, "aks-nodepool1-31415926-vmss", 3, byo_subnet,
                                    [kube_pool_id])]},
        }, [rg, node_rg])

    def group(name, priority, collections):
        g = common(rg, f"{NET}/firewallPolicies", "aks-fw-policy", "ruleCollectionGroups", name)
        g.update({"priority": priority, "ruleCollections": collections,
                  "type": f"{NET}/firewallPolicies/ruleCollectionGroups"})
        return g

    def net_rule(name, protocols, sources, addresses, ports, fqdns=()):
        return {"description": None, "destinationAddresses": list(addresses),
                "destinationFqdns": list(fqdns), "destinationIpGroups": [],
                "destinationPorts": ports, "ipProtocols": protocols, "name": name,
                "ruleType": "NetworkRule", "sourceAddresses": sources, "sourceIpGroups": []}

    def collection(name, priority, kind, rules):
        return {"action": {"type": "Allow"}, "name": name, "priority": priority,
                "ruleCollectionType": "FirewallPolicyFilterRuleCollection", "rules": rules,
                "_kind": kind}

    def clean(c):
        c.pop("_kind")
        return c

    # 4. plain userDefinedRouting: one network rule lets the nodes' HTTPS out.
    udr("aks-user-defined-routing", [group("DefaultNetworkRuleCollectionGroup", 200, [clean(
        collection("allow-https", 100, "net",
                   [net_rule("https", ["TCP"], ["10.42.1.0/24"], ["*"], ["443"])]))])])

    # 7. the tutorial: network rules apiudp, apitcp, time, ghcr (and the tutorial's fqdn
    # application rule with the AzureKubernetesService FQDN tag).
    udr("aks-firewall-tutorial", [
        group("DefaultNetworkRuleCollectionGroup", 200, [clean(collection("aksfwnr", 100, "net", [
            net_rule("apiudp", ["UDP"], ["*"], [f"AzureCloud.{LOC}"], ["1194"]),
            net_rule("apitcp", ["TCP"], ["*"], [f"AzureCloud.{LOC}"], ["9000"]),
            net_rule("time", ["UDP"], ["*"], [], ["123"], ["ntp.ubuntu.com"]),
            net_rule("ghcr", ["TCP"], ["*"], [], ["443"],
                     ["ghcr.io", "pkg-containers.githubusercontent.com"])]))]),
        group("DefaultApplicationRuleCollectionGroup", 300, [clean(collection("aksfwar", 100, "app", [{
            "description": None, "fqdnTags": ["AzureKubernetesService"],
            "name": "fqdn", "protocols": [{"port": 80, "protocolType": "Http"},
                                          {"port": 443, "protocolType": "Https"}],
            "ruleType": "ApplicationRule", "sourceAddresses": ["*"], "sourceIpGroups": [],
            "targetFqdns": [], "targetUrls": [], "terminateTls": False, "webCategories": []}]))]),
    ], api_ranges=[fw_pip + "/32"])

    # 5. none: a network-isolated cluster in a managed VNet whose subnet is private
    # (defaultOutboundAccess false) and has no NAT gateway or outbound rule.
    v, n = managed_vnet(node_rg, vnet_name, default_outbound=False)
    write("aks-none", {
        rg: {"aks": aks(rg, "aks1", node_rg, "none", {})},
        node_rg: {"vnets": [v], "nsgs": [n], "lbs": [aks_lb(node_rg, [], outbound_rule=False)],
                  "vmss": [vmss(node_rg, "aks-nodepool1-31415926-vmss", 3, managed_subnet,
                                [kube_pool_id])]},
    }, [rg, node_rg])

    # 6. block (preview): managed VNet; AKS's NSG rules deny Internet egress.
    v, n = managed_vnet(node_rg, vnet_name, default_outbound=False)
    write("aks-block", {
        rg: {"aks": aks(rg, "aks1", node_rg, "block", {})},
        node_rg: {"vnets": [v], "nsgs": [n], "lbs": [aks_lb(node_rg, [], outbound_rule=False)],
                  "vmss": [vmss(node_rg, "aks-nodepool1-31415926-vmss", 3, managed_subnet,
                                [kube_pool_id])]},
    }, [rg, node_rg])


if __name__ == "__main__":
    main()
