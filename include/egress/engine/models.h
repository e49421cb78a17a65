// Every behaviour the engine implements where Azure documents none, in one place. Each has a
// stable id that results carry (`FlowResult::models`) and `egress-sim models` lists, so a user
// can always tell a documented rule from a modelled one (../shared/spec/semantics.md, preamble).
#pragma once

#include <span>
#include <string_view>

namespace egress {

struct Model {
  std::string_view id;
  std::string_view text;
};

namespace model {
inline constexpr std::string_view kApplianceMissing = "appliance-missing-drops";
inline constexpr std::string_view kGatewayMissing = "gateway-missing-drops";
inline constexpr std::string_view kApplianceNoSnatNoNat = "appliance-no-snat-needs-nat-gateway";
inline constexpr std::string_view kInternetTag = "nsg-internet-tag";
inline constexpr std::string_view kBlockRule = "block-nsg-rule";
inline constexpr std::string_view kPeeringTwoSided = "peering-two-sided";
inline constexpr std::string_view kForwardedPeering = "peering-forwarded-traffic";
inline constexpr std::string_view kSnatSample = "snat-sample";
inline constexpr std::string_view kIngressBackend = "ingress-backend-nodes";
inline constexpr std::string_view kBgpShadowedByVnet = "bgp-shadowed-by-vnet";
inline constexpr std::string_view kPodToPod = "pod-cidr-internal";
inline constexpr std::string_view kNodePublicIp = "node-public-ip";
// Azure Firewall (azure-behaviour B): where its documents stop.
inline constexpr std::string_view kFirewallNoHost = "firewall-no-host";
inline constexpr std::string_view kFirewallFqdnByHost = "firewall-fqdn-by-host";
inline constexpr std::string_view kFirewallRuleOrder = "firewall-rule-order";
// Replay (semantics.md 5): what time and ports add.
inline constexpr std::string_view kFlowIdleTimeout = "flow-idle-timeout";
inline constexpr std::string_view kFlowEnd = "flow-end";
inline constexpr std::string_view kFlowDirection = "flow-direction";
inline constexpr std::string_view kLbPortChoice = "lb-port-choice";
inline constexpr std::string_view kAppliancePorts = "appliance-snat-ports";
inline constexpr std::string_view kNatGatewayDestination = "nat-gateway-destination";
inline constexpr std::string_view kHostNameWait = "host-name-wait";
// Service endpoints (azure-behaviour D4).
inline constexpr std::string_view kServiceEndpointAllRegions = "service-endpoint-all-regions";
}  // namespace model

/// All models, in a stable order.
std::span<const Model> all_models();
/// The text of a model, or empty for an unknown id.
std::string_view model_text(std::string_view id);

}  // namespace egress
