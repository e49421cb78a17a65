// Virtual network service endpoints (azure-behaviour D4): the services a subnet can enable
// one for, and the service tags that hold the public prefixes Azure routes to each.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "egress/config/topology.h"

namespace egress {

struct ServiceEndpointService {
  std::string_view service;  // as ARM writes `service`: Microsoft.Storage
  std::string_view tag;      // its service tag in Azure's file: Storage (Storage.EastUS, ...)
};

/// Every service egress-sim knows a service endpoint for, in a stable order.
std::span<const ServiceEndpointService> service_endpoint_services();

/// The entry for `service` (compared ignoring case, as ARM does), or nullptr.
const ServiceEndpointService* find_service_endpoint_service(std::string_view service);

/// The service tag names whose prefixes an endpoint's routes cover: `TAG.LOCATION` per
/// location, the bare `TAG` for `*` or when no location is written (model
/// service-endpoint-all-regions). Empty for an unknown service.
std::vector<std::string> service_endpoint_tags(const ServiceEndpoint& endpoint);

}  // namespace egress
