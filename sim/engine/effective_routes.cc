#include "egress/engine/effective_routes.h"

namespace egress {

const char* to_string(RouteSource s) {
  switch (s) {
    case RouteSource::kDefault: return "Default";
    case RouteSource::kUser: return "User";
    case RouteSource::kVirtualNetworkGateway: return "VirtualNetworkGateway";
  }
  return "?";
}

}  // namespace egress
