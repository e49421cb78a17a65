// Hand-built inputs for the HTML and Markdown report tests: a topology whose names need
// escaping, a summary with two egress IPs, and kinds of path.
#pragma once

#include <string>
#include <vector>

#include "egress/report/html_report.h"
#include "report/report_fixtures.h"

namespace egress::report_test {

/// VNet `hub` with subnets `aks-nodes` and `<script>alert(1)</script>` (a name from a user's
/// file), a route table, the firewall `azfw` with public IP 20.1.2.3, NAT gateway `nat`.
inline Topology hostile_topology() {
  Topology t;
  t.name = "lab & <co>";
  t.file = "lab.yaml";
  Vnet hub;
  hub.name = "hub";
  hub.address_space = {prefix("10.0.0.0/16")};
  hub.subnets = {0, 1};
  t.vnets.push_back(hub);
  Subnet nodes;
  nodes.name = "aks-nodes";
  nodes.full_name = "hub/aks-nodes";
  nodes.vnet = 0;
  nodes.address_prefixes = {prefix("10.0.4.0/22")};
  nodes.route_table = 0;
  Subnet evil = nodes;
  evil.name = "<script>alert(1)</script>";
  evil.full_name = "hub/<script>alert(1)</script>";
  evil.address_prefixes = {prefix("10.0.8.0/24")};
  evil.route_table = kNoIndex;
  evil.nat_gateway = 0;
  t.subnets = {nodes, evil};
  RouteTable rt;
  rt.name = "aks-egress";
  Route r;
  r.name = "default-to-firewall";
  r.prefix = prefix("0.0.0.0/0");
  r.next_hop_type = NextHopType::kVirtualAppliance;
  r.next_hop_ip = ip("10.0.1.4");
  rt.routes = {r};
  t.route_tables = {rt};
  PublicIp fw_ip;
  fw_ip.name = "fw-ip";
  fw_ip.address = ip("20.1.2.3");
  PublicIp nat_ip;
  nat_ip.name = "nat-ip";
  nat_ip.address = ip("20.1.9.9");
  t.public_ips = {fw_ip, nat_ip};
  Appliance fw;
  fw.name = "azfw";
  fw.subnet = 0;
  fw.private_ip = ip("10.0.1.4");
  fw.public_ips = {0};
  t.appliances = {fw};
  NatGateway nat;
  nat.name = "nat";
  nat.public_ips = {1};
  t.nat_gateways = {nat};
  return t;
}

inline UsageRow usage(std::string name, std::string resource, uint64_t peak, uint64_t ports,
                      std::vector<uint32_t> in_use, int64_t exhausted_at = -1) {
  UsageRow row;
  row.name = std::move(name);
  row.resource = std::move(resource);
  row.via = "appliance";
  row.flows = 10;
  row.peak_ports_in_use = peak;
  row.ports = ports;
  row.timeline.start_ns = 0;
  row.timeline.bucket_ns = 1'000'000'000;
  row.timeline.in_use = std::move(in_use);
  row.timeline.exhausted.assign(row.timeline.in_use.size(), 0);
  if (exhausted_at >= 0) {
    row.timeline.first_exhausted_ns = exhausted_at;
    row.timeline.exhausted[static_cast<size_t>(exhausted_at / 1'000'000'000)] = 3;
    row.snat_exhausted = 3;
  }
  return row;
}

inline ReplaySummary two_ip_summary() {
  ReplaySummary s;
  s.packets = 1000;
  s.bytes = 123456;
  s.flows = 13;
  s.first_ns = 0;
  s.last_ns = 4'000'000'000;
  s.verdicts = {{"egress", 12}, {"dropped", 1}};
  s.reasons = {{"nsg-deny", 1}};
  s.egress_ips = {usage("20.1.2.3", "azfw", 7, 2496, {1, 7, 3, 0}),
                  usage("20.1.9.9", "nat<&>", 64, 64, {0, 64, 64, 2}, 2'500'000'000)};
  s.resources = {usage("azfw", "azfw", 7, 2496, {1, 7, 3, 0})};
  s.models = {"snat-sample"};
  return s;
}

inline std::vector<PathKind> two_kinds() {
  FlowResult evil = denied_flow();
  evil.hops[0].at = "hub/<script>alert(1)</script>";
  return {PathKind{path_kind_key(example_flow()), example_flow(), 12},
          PathKind{path_kind_key(evil), evil, 1}};
}

}  // namespace egress::report_test
