#include "egress/config/topology.h"

#include <algorithm>
#include <cctype>

namespace egress {

Index Topology::find_subnet(std::string_view full_name) const {
  for (Index i = 0; i < subnets.size(); ++i) {
    if (subnets[i].full_name == full_name) {
      return i;
    }
  }
  return kNoIndex;
}

Index Topology::find_service_tag(std::string_view tag_name) const {
  auto equal_ignoring_case = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  for (Index i = 0; i < service_tags.size(); ++i) {
    if (equal_ignoring_case(service_tags[i].name, tag_name)) {
      return i;
    }
  }
  return kNoIndex;
}

uint64_t Topology::frontend_address_count(const Frontend& frontend) const {
  if (frontend.public_ip_prefix != kNoIndex) {
    return public_ip_prefixes[frontend.public_ip_prefix].prefix.size();
  }
  return frontend.public_ip != kNoIndex ? 1 : 0;
}

const char* to_string(OutboundType t) {
  switch (t) {
    case OutboundType::kLoadBalancer:
      return "loadBalancer";
    case OutboundType::kManagedNatGateway:
      return "managedNATGateway";
    case OutboundType::kUserAssignedNatGateway:
      return "userAssignedNATGateway";
    case OutboundType::kUserDefinedRouting:
      return "userDefinedRouting";
    case OutboundType::kNone:
      return "none";
    case OutboundType::kBlock:
      return "block";
  }
  return "?";
}

std::optional<OutboundType> parse_outbound_type(std::string_view s) {
  for (auto t : {OutboundType::kLoadBalancer, OutboundType::kManagedNatGateway,
                 OutboundType::kUserAssignedNatGateway, OutboundType::kUserDefinedRouting,
                 OutboundType::kNone, OutboundType::kBlock}) {
    if (s == to_string(t)) {
      return t;
    }
  }
  return std::nullopt;
}

const char* to_string(NextHopType t) {
  switch (t) {
    case NextHopType::kVnetLocal:
      return "VnetLocal";
    case NextHopType::kVnetPeering:
      return "VNetPeering";
    case NextHopType::kInternet:
      return "Internet";
    case NextHopType::kVirtualAppliance:
      return "VirtualAppliance";
    case NextHopType::kVirtualNetworkGateway:
      return "VirtualNetworkGateway";
    case NextHopType::kNone:
      return "None";
    case NextHopType::kVirtualNetworkServiceEndpoint:
      return "VirtualNetworkServiceEndpoint";
    case NextHopType::kInterfaceEndpoint:
      return "InterfaceEndpoint";
  }
  return "?";
}

const char* to_string(PrivateEndpointNetworkPolicies p) {
  switch (p) {
    case PrivateEndpointNetworkPolicies::kDisabled:
      return "Disabled";
    case PrivateEndpointNetworkPolicies::kEnabled:
      return "Enabled";
    case PrivateEndpointNetworkPolicies::kNetworkSecurityGroupEnabled:
      return "NetworkSecurityGroupEnabled";
    case PrivateEndpointNetworkPolicies::kRouteTableEnabled:
      return "RouteTableEnabled";
  }
  return "?";
}

const char* to_string(NetworkPlugin p) {
  switch (p) {
    case NetworkPlugin::kKubenet:
      return "kubenet";
    case NetworkPlugin::kAzure:
      return "azure";
    case NetworkPlugin::kAzureOverlay:
      return "azure-overlay";
  }
  return "?";
}

const char* to_string(Protocol p) {
  switch (p) {
    case Protocol::kTcp:
      return "tcp";
    case Protocol::kUdp:
      return "udp";
    case Protocol::kIcmp:
      return "icmp";
  }
  return "?";
}

const char* to_string(PublicIpSku s) {
  switch (s) {
    case PublicIpSku::kBasic:
      return "Basic";
    case PublicIpSku::kStandard:
      return "Standard";
    case PublicIpSku::kStandardV2:
      return "StandardV2";
  }
  return "?";
}

const char* to_string(NatGatewaySku s) {
  return s == NatGatewaySku::kStandardV2 ? "StandardV2" : "Standard";
}

std::optional<Protocol> parse_protocol(std::string_view s) {
  for (auto p : {Protocol::kTcp, Protocol::kUdp, Protocol::kIcmp}) {
    if (s == to_string(p)) {
      return p;
    }
  }
  return std::nullopt;
}

std::optional<uint16_t> parse_port(std::string_view text, bool allow_zero) {
  if (text.empty() || text.size() > 5 || (text[0] == '0' && (!allow_zero || text.size() > 1))) {
    return std::nullopt;
  }
  uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(v);
}

std::optional<PortRange> parse_port_range(std::string_view s) {
  auto number = [](std::string_view t) { return parse_port(t, false); };
  size_t dash = s.find('-');
  auto first = number(s.substr(0, dash));
  auto last = dash == std::string_view::npos ? first : number(s.substr(dash + 1));
  if (!first || !last || *first > *last) {
    return std::nullopt;
  }
  return PortRange{*first, *last};
}

}  // namespace egress
