#include "egress/engine/models.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace egress {
namespace {

// What Azure does not document and we had to decide. azure-egress-facts section 9 lists the gaps.
constexpr std::array kModels = {
    Model{model::kApplianceMissing,
          "A VirtualAppliance route whose nextHopIpAddress no appliance owns drops the packet "
          "(azure-egress-facts 1f: Azure documents no behaviour)."},
    Model{model::kGatewayMissing,
          "A user route to VirtualNetworkGateway in a VNet with no virtual network gateway (its "
          "own or a peer's through useRemoteGateways) drops the packet: Azure lists such a "
          "route's next hop as None when the device \"isn't fully configured\" and documents "
          "nothing more (azure-behaviour E6)."},
    Model{model::kApplianceNoSnatNoNat,
          "An appliance with snat: false forwards with the original source; at Internet that "
          "leaves only through its subnet's NAT gateway, since an instance public IP maps only "
          "the NIC's own address."},
    Model{model::kInternetTag,
          "The NSG tag Internet is every address outside the VirtualNetwork tag; VirtualNetwork "
          "is the VNet's address space, its peers' and the on-premises prefixes its gateways "
          "learned (user-route prefixes are not added to it)."},
    Model{model::kBlockRule,
          "outboundType block is an NSG rule on the node subnets, priority 4096 (after every "
          "user rule), denying outbound to Internet."},
    Model{model::kPeeringTwoSided,
          "A peering written on one VNet only is treated as connected both ways, the reverse "
          "taking the same settings."},
    Model{model::kForwardedPeering,
          "Traffic an appliance forwards into a peered VNet is dropped unless the receiving "
          "VNet's peering has allowForwardedTraffic."},
    Model{model::kSnatSample,
          "Where Azure picks a public IP or port at random (NAT gateway, firewall), trace samples "
          "one from a hash of the seed and the flow; LB ports start at 1024 plus the instance's "
          "block. egressIps holds every IP it could have been."},
    Model{model::kIngressBackend,
          "An ingress flow reaches every node of the cluster's pools; its replies are judged "
          "by the routes of each node subnet, the first asymmetric one deciding."},
    Model{model::kBgpShadowedByVnet,
          "A BGP route inside a VNet or peering prefix never applies (the VNet route wins even "
          "when the BGP route is longer) and is listed as Invalid."},
    Model{model::kPodToPod,
          "With kubenet and azure-overlay, traffic from a pod to podCidr stays in the cluster "
          "network (internal) without touching VNet routing."},
    Model{model::kNodePublicIp,
          "A node pool with enableNodePublicIP and a nodePublicIPPrefix gives its nodes the "
          "prefix's addresses in node order, pools sharing the prefix continuing in cluster "
          "order; Azure documents only that each node receives a unique public IP. Without a "
          "prefix the address is Azure's choice (unknown:node-public-ip:POOL#N) and IPv4."},
    Model{model::kFirewallNoHost,
          "A flow through Azure Firewall whose host name is not known (no TLS SNI or HTTP Host "
          "seen, no --host) matches no application rule and no destinationFqdns network rule, "
          "which Azure matches by name; it falls to the rules after them, in the end the "
          "firewall's default deny. Azure documents nothing for a flow without a name."},
    Model{model::kFirewallFqdnByHost,
          "A network rule's destinationFqdns match a flow whose host name is one of them: Azure "
          "matches the addresses its DNS proxy resolves the names to, which egress-sim never "
          "looks up; the name the client connected to stands for them."},
    Model{model::kFirewallRuleOrder,
          "The rules of one Azure Firewall rule collection are tried in the order written; "
          "Azure documents the order of rule collection groups and collections, not of the "
          "rules in one."},
    Model{model::kFlowIdleTimeout,
          "Where Azure documents no idle timeout (instance public IPs, appliances, flows that "
          "never reach a SNAT point), a flow ends after 4 minutes without a packet, the default "
          "of Azure's load balancer and NAT gateway."},
    Model{model::kFlowEnd,
          "A TCP flow ends at an RST or at the second FIN; it lingers 60 s (Linux TIME_WAIT) to "
          "take its last ACKs, and a SYN on the same ports then starts a new flow. A flow with "
          "no reply that times out is half-open."},
    Model{model::kFlowDirection,
          "A flow is started by the sender of its first packet, unless that packet is not a TCP "
          "SYN, its sender is unknown to the topology and its receiver is known: then the "
          "capture began mid-flow and the first packet was a reply."},
    Model{model::kLbPortChoice,
          "Within an instance's block of load balancer ports the port is picked at random "
          "(seeded) among those free towards the destination; it is free again as soon as the "
          "flow ends (Azure documents a cool-down only for NAT gateway)."},
    Model{model::kAppliancePorts,
          "An appliance's SNAT pool is snatPortsPerIp x instances ports per public IP, IP and "
          "port picked at random (seeded) as for a NAT gateway, a port serving one destination "
          "IP and port at a time, with no cool-down."},
    Model{model::kNatGatewayDestination,
          "A NAT gateway port is busy towards one destination IP and port (TCP and UDP "
          "separately); the same port serves other destinations at once."},
    Model{model::kHostNameWait,
          "A TCP flow whose verdict depends on its host name (an application rule or a "
          "destinationFqdns network rule could match it) waits for its client's first bytes: "
          "the TLS SNI or HTTP Host in the first 16 KiB (one TLS record) sent in order. It is "
          "decided without a name after 32 packets, at a gap in the client's bytes or at its end, "
          "and takes its "
          "SNAT port when it is decided, not at its SYN (azure-behaviour B, host names)."},
    Model{model::kServiceEndpointAllRegions,
          "A service endpoint written without locations covers the service in every region "
          "(the service's top-level tag, Storage, Sql, ...): Azure fills in the VNet's region "
          "(and for Storage its paired region), which the topology does not record."},
};

constexpr bool ids_agree() {
  if (kModels.size() != kModelIds.size()) {
    return false;
  }
  for (size_t i = 0; i < kModels.size(); ++i) {
    if (kModels[i].id != kModelIds[i]) {
      return false;
    }
  }
  return true;
}
static_assert(ids_agree(), "kModelIds (models.h) must list every model of kModels, in order");

// Bits in id order, so ModelSet prints as replay always has (sorted ids).
constexpr std::array<uint8_t, kModelCount> id_order() {
  std::array<uint8_t, kModelCount> order{};
  for (size_t i = 0; i < kModelCount; ++i) {
    order[i] = static_cast<uint8_t>(i);
  }
  std::sort(order.begin(), order.end(),
            [](uint8_t a, uint8_t b) { return kModelIds[a] < kModelIds[b]; });
  return order;
}
constexpr std::array<uint8_t, kModelCount> kIdOrder = id_order();

}  // namespace

std::vector<std::string_view> ModelSet::ids() const {
  std::vector<std::string_view> out;
  out.reserve(size());
  for (uint8_t i : kIdOrder) {
    if ((bits_ >> i & 1U) != 0) {
      out.push_back(kModelIds[i]);
    }
  }
  return out;
}

std::vector<std::string> ModelSet::id_strings() const {
  std::vector<std::string> out;
  out.reserve(size());
  for (uint8_t i : kIdOrder) {
    if ((bits_ >> i & 1U) != 0) {
      out.emplace_back(kModelIds[i]);
    }
  }
  return out;
}

std::span<const Model> all_models() {
  return kModels;
}

std::string_view model_text(std::string_view id) {
  for (const Model& m : kModels) {
    if (m.id == id) {
      return m.text;
    }
  }
  return {};
}

}  // namespace egress
