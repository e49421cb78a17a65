// The forwarding engine: a topology compiled into per-subnet lookup tables, and the walk of one
// flow through them (../shared/spec/semantics.md 1-4, 6, 7). No I/O, no mutable state: one
// Engine answers any number of threads at once.
#pragma once

#include <memory>
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
  /// so the same inputs always give the same result.
  FlowResult trace(const FlowKey& flow, uint64_t seed = 0) const;

  /// The subnet's effective routes, as compute_effective_routes gives them.
  const std::vector<EffectiveRoute>& routes(Index subnet) const;

  const Topology& topology() const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace egress
