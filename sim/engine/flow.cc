#include "egress/engine/flow.h"

#include <string>
#include <vector>

namespace egress {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::kEgress:
      return "egress";
    case Verdict::kInternal:
      return "internal";
    case Verdict::kOnprem:
      return "onprem";
    case Verdict::kIngress:
      return "ingress";
    case Verdict::kDropped:
      return "dropped";
    case Verdict::kAsymmetric:
      return "asymmetric";
  }
  return "?";
}

const char* to_string(Via v) {
  switch (v) {
    case Via::kNone:
      return "";
    case Via::kNatGateway:
      return "natGateway";
    case Via::kInstancePublicIp:
      return "instancePublicIp";
    case Via::kLoadBalancer:
      return "loadBalancer";
    case Via::kAppliance:
      return "appliance";
    case Via::kDefaultOutbound:
      return "defaultOutbound";
    case Via::kServiceEndpoint:
      return "serviceEndpoint";
    case Via::kPrivateEndpoint:
      return "privateEndpoint";
  }
  return "?";
}

const char* to_string(Reason r) {
  switch (r) {
    case Reason::kNone:
      return "";
    case Reason::kUnknownSource:
      return "unknown-source";
    case Reason::kNsgDeny:
      return "nsg-deny";
    case Reason::kRouteNone:
      return "route-none";
    case Reason::kApplianceMissing:
      return "appliance-missing";
    case Reason::kGatewayMissing:
      return "gateway-missing";
    case Reason::kIpForwardingDisabled:
      return "ip-forwarding-disabled";
    case Reason::kApplianceDeny:
      return "appliance-deny";
    case Reason::kLoop:
      return "loop";
    case Reason::kNoOutboundConnectivity:
      return "no-outbound-connectivity";
    case Reason::kSnatExhausted:
      return "snat-exhausted";
    case Reason::kBlockedOutboundType:
      return "blocked-outbound-type";
    case Reason::kApiServerUnauthorized:
      return "api-server-unauthorized";
    case Reason::kNoLoadBalancingRule:
      return "no-lb-rule";
    case Reason::kReturnViaAppliance:
      return "return-via-appliance";
    case Reason::kReturnViaGateway:
      return "return-via-gateway";
    case Reason::kForwardedTrafficNotAllowed:
      return "forwarded-traffic-not-allowed";
  }
  return "?";
}

const char* to_string(HopAction a) {
  switch (a) {
    case HopAction::kNone:
      return "";
    case HopAction::kDeliver:
      return "deliver";
    case HopAction::kDrop:
      return "drop";
    case HopAction::kDeny:
      return "deny";
    case HopAction::kForward:
      return "forward";
    case HopAction::kSnat:
      return "snat";
    case HopAction::kSnatToNode:
      return "snat-to-node";
    case HopAction::kKeepPodIp:
      return "keep-pod-ip";
    case HopAction::kToGateway:
      return "to-gateway";
    case HopAction::kToService:
      return "to-service";
    case HopAction::kToBackend:
      return "to-backend";
    case HopAction::kDnat:
      return "dnat";
    case HopAction::kReply:
      return "reply";
  }
  return "?";
}

std::string to_string(const ResultAddress& a, std::string_view node) {
  switch (a.kind()) {
    case ResultAddress::Kind::kNone:
      return {};
    case ResultAddress::Kind::kAddress:
      return a.address().to_string();
    case ResultAddress::Kind::kEndpoint: {
      std::string host =
          a.address().is_v4() ? a.address().to_string() : "[" + a.address().to_string() + "]";
      return host + ":" + std::to_string(a.port());
    }
    case ResultAddress::Kind::kDefaultOutbound:
      return "unknown:default-outbound";
    case ResultAddress::Kind::kNodePublicIp:
      return "unknown:node-public-ip:" + std::string(node);
  }
  return {};
}

std::string ip_text(const Hop& hop) {
  return to_string(hop.ip, hop.at);
}

std::string snat_ip_text(const FlowResult& r) {
  return to_string(r.snat_ip, r.resource);
}

std::vector<std::string> egress_ip_texts(const FlowResult& r) {
  std::vector<std::string> out;
  out.reserve(r.egress_ips.size());
  for (const ResultAddress& ip : r.egress_ips) {
    out.push_back(to_string(ip, r.resource));
  }
  return out;
}

}  // namespace egress
