// The forwarding engine: a topology compiled into per-subnet lookup tables, and the walk of one
// flow through them (../shared/spec/semantics.md 1-4, 6, 7). No I/O, no mutable state: one
// Engine answers any number of threads at once.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "egress/config/topology.h"
#include "egress/engine/effective_routes.h"
#include "egress/engine/flow.h"
#include "egress/util/result.h"

namespace egress {

class Engine {
 public:
  /// Compiles the effective routes and lookup tables of every subnet.
  static Result<Engine> build(std::shared_ptr<const Topology> topology);

  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  ~Engine();

  /// Follows one flow from its source to its verdict. Where Azure picks at random (NAT
  /// gateway and firewall public IP, SNAT port) the choice is a hash of `seed` and the flow,
  /// so the same inputs always give the same result. `host` is the flow's host name (TLS SNI,
  /// HTTP Host, `trace --host`), empty when unknown; only Azure Firewall application rules
  /// read it (azure-behaviour B4), and it is copied into FlowResult::host.
  FlowResult trace(const FlowKey& flow, uint64_t seed = 0, std::string_view host = {}) const;

  /// True when the flow's verdict can depend on its host name: it reaches an Azure Firewall
  /// whose DNAT and network rules leave it to the application rules, and an application rule
  /// could match its protocol and port. Replay waits for the first payload (SNI or Host) of
  /// such a flow before calling trace(); for any other flow the host changes nothing. The same
  /// as trace(flow, seed).host_dependent for every seed: the seed only picks among a resource's
  /// public IPs, after the firewalls have decided.
  bool decides_by_host(const FlowKey& flow) const;

  /// The subnet's effective routes, as compute_effective_routes gives them.
  const std::vector<EffectiveRoute>& routes(Index subnet) const;

  const Topology& topology() const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace egress
