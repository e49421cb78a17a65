// The topologies a server answers about: loaded and compiled once, then shared read-only by
// every request; a reload or a PUT builds a new set and swaps it in whole.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "egress/config/topology.h"
#include "egress/engine/engine.h"
#include "egress/util/result.h"

namespace egress {

struct ServedTopology {
  std::string name;  // the file's stem
  std::shared_ptr<const Topology> topology;
  std::shared_ptr<const Engine> engine;
  std::vector<Diagnostic> findings;
};

/// Immutable once built; requests hold the set they started with.
struct TopologySet {
  std::map<std::string, std::shared_ptr<const ServedTopology>> by_name;
};

/// `aks-udr-firewall` for `topologies/aks-udr-firewall.yaml`.
std::string topology_name(const std::string& path);

/// A name a PUT may give: letters, digits, '.', '_', '-', at most 128, not starting with '.'.
bool valid_topology_name(std::string_view name);

/// A topology from its text, compiled. On errors: every load error (empty topology pointer).
struct CompiledTopology {
  std::shared_ptr<const ServedTopology> loaded;
  std::vector<Diagnostic> errors;
};
CompiledTopology compile_topology(std::string name, std::string_view yaml, const std::string& file);

/// Every file, or the errors of all that fail (and `duplicate-name` for two files of one stem).
Result<std::shared_ptr<const TopologySet>> load_topology_set(const std::vector<std::string>& paths);

/// The current set, swapped whole under a lock held only for the pointer copy.
class TopologyRegistry {
 public:
  std::shared_ptr<const TopologySet> current() const;
  void replace(std::shared_ptr<const TopologySet> set);
  /// The current set with `entry` added or replacing its name's, swapped in.
  void put(std::shared_ptr<const ServedTopology> entry);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const TopologySet> set_ = std::make_shared<TopologySet>();
};

}  // namespace egress
