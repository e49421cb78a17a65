// A lab topology that holds every mechanism the engine decides between, written as a user
// would write it from the Azure documents. Tests vary it with `with(...)` replacements.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "egress/config/topology_loader.h"
#include "egress/engine/engine.h"

namespace egress::testing {

inline constexpr const char* kLabYaml = R"(version: 1
name: lab
cluster:
  name: aks
  outboundType: loadBalancer
  vnetMode: byo
  networkPlugin: azure
  maxPods: 3
  nodePools:
    - name: system
      subnet: hub/nodes
      nodes: 2
  loadBalancer: kubernetes
  apiServer:
    address: 20.50.1.10
    private: false
    authorizedIpRanges: [20.0.0.0/30]
  services:
    - name: web
      frontendIp: web-pip
      port: 443
      protocol: tcp
vnets:
  - name: hub
    addressSpace: [10.0.0.0/16, "fd00::/48"]
    subnets:
      - name: nodes
        addressPrefix: 10.0.0.0/24
      - name: natted
        addressPrefix: 10.0.1.0/24
        natGateway: nat
      - name: fw
        addressPrefix: 10.0.2.0/24
      - name: private
        addressPrefix: 10.0.3.0/24
        defaultOutboundAccess: false
      - name: open
        addressPrefixes: [10.0.4.0/24, "fd00:0:0:4::/64"]
      - name: routed
        addressPrefix: 10.0.5.0/24
        routeTable: to-fw
      - name: guarded
        addressPrefix: 10.0.6.0/24
        nsg: deny-web
      - name: fw-nat
        addressPrefix: 10.0.7.0/24
        natGateway: fwnat
      - name: via-fw-nat
        addressPrefix: 10.0.8.0/24
        routeTable: to-fw-nat
      - name: loop-a
        addressPrefix: 10.0.9.0/24
        routeTable: to-b
      - name: loop-b
        addressPrefix: 10.0.10.0/24
        routeTable: to-a
    peerings:
      - remoteVnet: spoke
        allowForwardedTraffic: true
      - remoteVnet: locked
        allowForwardedTraffic: true
  - name: spoke
    addressSpace: [10.1.0.0/16]
    subnets:
      - name: apps
        addressPrefix: 10.1.0.0/24
  - name: locked
    addressSpace: [10.2.0.0/16]
    subnets:
      - name: apps
        addressPrefix: 10.2.0.0/24
    peerings:
      - remoteVnet: hub
        allowForwardedTraffic: false
routeTables:
  - name: to-fw
    routes:
      - {name: default, addressPrefix: 0.0.0.0/0, nextHopType: VirtualAppliance, nextHopIpAddress: 10.0.2.4}
      - {name: locked, addressPrefix: 10.2.0.0/16, nextHopType: VirtualAppliance, nextHopIpAddress: 10.0.2.4}
      - {name: ghost, addressPrefix: 10.9.0.0/16, nextHopType: VirtualAppliance, nextHopIpAddress: 10.0.2.99}
      - {name: no-fwd, addressPrefix: 10.8.0.0/16, nextHopType: VirtualAppliance, nextHopIpAddress: 10.0.2.5}
      - {name: blackhole, addressPrefix: 198.18.0.0/15, nextHopType: None}
  - name: to-fw-nat
    routes:
      - {name: default, addressPrefix: 0.0.0.0/0, nextHopType: VirtualAppliance, nextHopIpAddress: 10.0.7.4}
  - name: to-b
    routes:
      - {name: default, addressPrefix: 0.0.0.0/0, nextHopType: VirtualAppliance, nextHopIpAddress: 10.0.10.4}
  - name: to-a
    routes:
      - {name: default, addressPrefix: 0.0.0.0/0, nextHopType: VirtualAppliance, nextHopIpAddress: 10.0.9.4}
  - name: to-onprem
    routes:
      - {name: forced-tunnel, addressPrefix: 0.0.0.0/0, nextHopType: VirtualNetworkGateway}
publicIps:
  - {name: lb-pip-1, address: 20.0.0.1}
  - {name: lb-pip-2, address: 20.0.0.2}
  - {name: web-pip, address: 20.0.0.10}
  - {name: nat-pip, address: 20.1.0.1}
  - {name: fw-pip, address: 20.2.0.1}
  - {name: fw2-pip, address: 20.2.0.2}
  - {name: host-pip, address: 20.3.0.1}
  - {name: host-pip2, address: 20.3.0.2}
  - {name: fwnat-pip, address: 20.4.0.1}
  - {name: natfw-pip, address: 20.5.0.1}
publicIpPrefixes:
  - {name: nat-prefix, addressPrefix: 20.1.1.0/30}
appliances:
  - name: azfw
    subnet: hub/fw
    privateIp: 10.0.2.4
    publicIps: [fw-pip, fw2-pip]
    rules:
      - {name: allow-web, action: allow, protocols: [tcp], destinations: [0.0.0.0/0], ports: [80, 443]}
      - {name: allow-private, action: allow, protocols: [any], destinations: [10.0.0.0/8]}
    defaultAction: deny
  - name: no-forward
    subnet: hub/fw
    privateIp: 10.0.2.5
    ipForwarding: false
  - name: fw-behind-nat
    subnet: hub/fw-nat
    privateIp: 10.0.7.4
    publicIps: [fwnat-pip]
  - name: loop-a
    subnet: hub/loop-a
    privateIp: 10.0.9.4
  - name: loop-b
    subnet: hub/loop-b
    privateIp: 10.0.10.4
natGateways:
  - {name: nat, publicIps: [nat-pip], publicIpPrefixes: [nat-prefix]}
  - {name: fwnat, publicIps: [natfw-pip]}
loadBalancers:
  - name: kubernetes
    frontends:
      - {name: out-1, publicIp: lb-pip-1}
      - {name: out-2, publicIp: lb-pip-2}
      - {name: web, publicIp: web-pip}
    backendPools:
      - {name: aksOutboundBackendPool, members: [system]}
      - {name: hosts, members: [natted-vm, open-ilpip, open-lb]}
      - {name: tcp-pool, members: [tcp-only-vm]}
    outboundRules:
      - {name: aksOutboundRule, frontends: [out-1, out-2], backendPool: aksOutboundBackendPool, allocatedOutboundPorts: 0, idleTimeoutInMinutes: 30, protocol: All}
      - {name: hosts-out, frontends: [out-1], backendPool: hosts, protocol: All}
      - {name: tcp-only, frontends: [out-2], backendPool: tcp-pool, protocol: Tcp}
hosts:
  - {name: natted-vm, subnet: hub/natted, address: 10.0.1.10, publicIp: host-pip}
  - {name: open-ilpip, subnet: hub/open, address: 10.0.4.10, publicIp: host-pip2}
  - {name: open-lb, subnet: hub/open, address: 10.0.4.11}
  - {name: open-doa, subnet: hub/open, address: 10.0.4.12}
  - {name: open-v6, subnet: hub/open, address: "fd00:0:0:4::10"}
  - {name: private-vm, subnet: hub/private, address: 10.0.3.10}
  - {name: tcp-only-vm, subnet: hub/private, address: 10.0.3.11}
  - {name: routed-vm, subnet: hub/routed, address: 10.0.5.10}
  - {name: guarded-vm, subnet: hub/guarded, address: 10.0.6.10}
  - {name: via-fw-nat-vm, subnet: hub/via-fw-nat, address: 10.0.8.10}
  - {name: loop-vm, subnet: hub/loop-a, address: 10.0.9.10}
  - {name: spoke-vm, subnet: spoke/apps, address: 10.1.0.10}
gateways:
  - {name: vpngw, vnet: hub, bgpRoutes: [192.168.0.0/16, 10.0.200.0/24]}
nsgs:
  - name: deny-web
    rules:
      - {name: deny-https, priority: 100, direction: Outbound, access: Deny, protocol: Tcp, destination: Internet, destinationPorts: "443"}
)";

/// The lab YAML with each `from` replaced by `to` (each must occur).
inline std::string lab_with(std::vector<std::pair<std::string, std::string>> edits) {
  std::string yaml = kLabYaml;
  for (const auto& [from, to] : edits) {
    auto at = yaml.find(from);
    EXPECT_NE(at, std::string::npos) << "lab topology has no '" << from << "'";
    if (at != std::string::npos) {
      yaml.replace(at, from.size(), to);
    }
  }
  return yaml;
}

/// Loads YAML that must be free of errors.
inline std::shared_ptr<const Topology> load_yaml(const std::string& yaml) {
  LoadResult r = parse_topology(yaml, "lab.yaml");
  for (const Diagnostic& d : r.errors) {
    ADD_FAILURE() << format_diagnostic(d, "error");
  }
  if (!r.topology) {
    return std::make_shared<const Topology>();
  }
  return std::make_shared<const Topology>(std::move(*r.topology));
}

inline Engine build_engine(const std::string& yaml) {
  auto engine = Engine::build(load_yaml(yaml));
  if (!engine) {
    ADD_FAILURE() << format_diagnostic(engine.error(), "error");
    std::abort();
  }
  return std::move(*engine);
}

inline FlowKey flow(const char* src, const char* dst, uint16_t dport = 443,
                    Protocol proto = Protocol::kTcp, uint16_t sport = 40000) {
  FlowKey f;
  f.proto = proto;
  f.src = *IpAddress::parse(src);
  f.dst = *IpAddress::parse(dst);
  f.sport = sport;
  f.dport = dport;
  return f;
}

}  // namespace egress::testing
