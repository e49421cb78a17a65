// The after-state of `az aks update --outbound-type`: what AKS creates, what it removes, and
// what the user must already have done (semantics.md 8, the outbound types article's
// "Updating outboundType after cluster creation"), and the article's warnings.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "egress/config/topology.h"
#include "egress/migrate/flow_diff.h"
#include "egress/util/result.h"

namespace egress {

struct MigrationOptions {
  OutboundType to = OutboundType::kLoadBalancer;
  /// Public IPs AKS allocates for a managed NAT gateway or the LB's managed outbound IPs
  /// (--nat-gateway-managed-outbound-ip-count, --load-balancer-managed-outbound-ip-count).
  uint32_t managed_outbound_ips = 1;
};

struct MigrationPlan {
  Topology after;
  std::vector<std::string> creates;  // what AKS creates, one line each
  std::vector<std::string> removes;  // what AKS removes
  /// Findings of the after-state that the before-state did not have: what the user must fix
  /// or have done first (a NAT gateway on the node subnet, a default route to an appliance).
  std::vector<Diagnostic> findings;
  /// True when one of those findings is an AKS preflight failure: the update would be refused.
  bool refused = false;
  /// Addresses Azure will allocate, which the after-state holds as placeholders from
  /// 240.0.0.0/4 (reserved, never a real egress IP): placeholder -> `unknown:<resource>#<n>`.
  std::map<IpAddress, std::string> unknown;
};

/// Whether a finding code is AKS's preflight refusing `az aks update` (not advice).
bool is_preflight_finding(std::string_view code);

/// Builds the after-state as AKS would. Errors: a topology without a cluster.
Result<MigrationPlan> plan_migration(const Topology& before, const MigrationOptions& options);

/// Findings of `after` that `before` lacks, and whether one is an AKS preflight failure.
std::vector<Diagnostic> new_findings(const Topology& before, const Topology& after, bool* refused);

/// The article's warnings for a move to `after`, given the flows' diff:
/// egress-ip-change, authorized-ip-ranges, ip-reuse, nat-gateway-precedence.
std::vector<DiffWarning> migration_warnings(const Topology& after, const DiffReport& diff);

}  // namespace egress
