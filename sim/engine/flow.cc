#include "egress/engine/flow.h"

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

}  // namespace egress
