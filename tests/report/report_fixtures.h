// Hand-built results for the report tests, independent of the engine.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "egress/config/topology.h"
#include "egress/engine/effective_routes.h"
#include "egress/engine/flow.h"

namespace egress::report_test {

inline IpAddress ip(std::string_view text) {
  return IpAddress::parse(text).value();
}

inline Prefix prefix(std::string_view text) {
  return Prefix::parse(text).value();
}

inline RouteRef route_ref(std::string table, std::string name, std::string_view to,
                          RouteSource source, NextHopType type,
                          std::optional<IpAddress> next_hop = std::nullopt) {
  RouteRef r;
  r.table = std::move(table);
  r.name = std::move(name);
  r.prefix = prefix(to);
  r.source = source;
  r.next_hop_type = type;
  r.next_hop_ip = next_hop;
  return r;
}

inline EffectiveRoute effective_route(RouteSource source, bool active, std::string_view to,
                                      NextHopType type,
                                      std::optional<IpAddress> next_hop = std::nullopt,
                                      std::string name = "") {
  EffectiveRoute r;
  r.source = source;
  r.active = active;
  r.prefix = prefix(to);
  r.next_hop_type = type;
  r.next_hop_ip = next_hop;
  r.name = std::move(name);
  return r;
}

/// The flow of cli.md's "A flow result" example: a pod through the firewall to GitHub.
inline FlowResult example_flow() {
  FlowResult r;
  r.flow = FlowKey{Protocol::kTcp, ip("10.244.1.7"), 40112, ip("140.82.112.3"), 443};
  r.verdict = Verdict::kEgress;
  r.via = Via::kAppliance;
  r.resource = "azfw";
  r.snat_ip = *IpAddress::parse("20.1.2.3");
  r.snat_port = 1030;
  r.egress_ips = {*IpAddress::parse("20.1.2.3")};
  Hop pod;
  pod.at = "pod";
  pod.action = HopAction::kSnatToNode;
  pod.ip = *IpAddress::parse("10.0.4.5");
  Hop subnet;
  subnet.at = "hub/aks-nodes";
  subnet.route = route_ref("aks-egress", "default-to-firewall", "0.0.0.0/0", RouteSource::kUser,
                           NextHopType::kVirtualAppliance, ip("10.0.1.4"));
  Hop firewall;
  firewall.at = "azfw";
  firewall.rule = "allow-https";
  firewall.action = HopAction::kSnat;
  firewall.ip = *IpAddress::parse("20.1.2.3");
  r.hops = {pod, subnet, firewall};
  return r;
}

/// A flow the subnet's NSG drops, leaving from a system route.
inline FlowResult denied_flow() {
  FlowResult r;
  r.flow = FlowKey{Protocol::kUdp, ip("10.0.4.5"), 50000, ip("8.8.8.8"), 53};
  r.verdict = Verdict::kDropped;
  r.reason = Reason::kNsgDeny;
  Hop subnet;
  subnet.at = "hub/aks-nodes";
  subnet.route = route_ref("", "", "0.0.0.0/0", RouteSource::kDefault, NextHopType::kInternet);
  subnet.rule = "deny-internet";
  subnet.action = HopAction::kDeny;
  r.hops = {subnet};
  return r;
}

}  // namespace egress::report_test
