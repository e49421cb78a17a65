#include "egress/config/service_endpoints.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace egress {
namespace {

// azure-behaviour D4: the services of "Virtual Network service endpoints" and their tags in
// Azure's service tag file ("Virtual network service tags").
constexpr std::array kServices = {
    ServiceEndpointService{"Microsoft.Storage", "Storage"},
    ServiceEndpointService{"Microsoft.Storage.Global", "Storage"},
    ServiceEndpointService{"Microsoft.Sql", "Sql"},
    ServiceEndpointService{"Microsoft.AzureCosmosDB", "AzureCosmosDB"},
    ServiceEndpointService{"Microsoft.KeyVault", "AzureKeyVault"},
    ServiceEndpointService{"Microsoft.ServiceBus", "ServiceBus"},
    ServiceEndpointService{"Microsoft.EventHub", "EventHub"},
    ServiceEndpointService{"Microsoft.AzureActiveDirectory", "AzureActiveDirectory"},
    ServiceEndpointService{"Microsoft.Web", "AppService"},
    ServiceEndpointService{"Microsoft.CognitiveServices", "CognitiveServicesManagement"},
    ServiceEndpointService{"Microsoft.ContainerRegistry", "AzureContainerRegistry"},
};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::span<const ServiceEndpointService> service_endpoint_services() {
  return kServices;
}

const ServiceEndpointService* find_service_endpoint_service(std::string_view service) {
  for (const ServiceEndpointService& s : kServices) {
    if (equal_ignoring_case(s.service, service)) {
      return &s;
    }
  }
  return nullptr;
}

std::vector<std::string> service_endpoint_tags(const ServiceEndpoint& endpoint) {
  const ServiceEndpointService* s = find_service_endpoint_service(endpoint.service);
  if (s == nullptr) {
    return {};
  }
  std::vector<std::string> tags;
  if (endpoint.locations.empty()) {
    tags.emplace_back(s->tag);
  }
  for (const std::string& location : endpoint.locations) {
    std::string tag = location == "*" ? std::string(s->tag) : std::string(s->tag) + "." + location;
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) {
      tags.push_back(std::move(tag));
    }
  }
  return tags;
}

}  // namespace egress
