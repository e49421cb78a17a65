// Who sent a packet (semantics.md 1): every address the topology assigns, to its owner.
#pragma once

#include <optional>
#include <vector>

#include "egress/config/topology.h"

namespace egress {

/// A sender of traffic. Nodes are numbered across the cluster's pools in order.
struct Sender {
  enum class Kind : uint8_t { kNode, kPod, kHost, kAppliance } kind = Kind::kNode;
  Index index = kNoIndex;  // node number, host or appliance index; for pods, their node
};

struct NodeInfo {
  Index pool = kNoIndex;
  uint32_t ordinal_in_pool = 0;
  IpAddress address;
  Index subnet = kNoIndex;
};

class SourceIndex {
 public:
  explicit SourceIndex(const Topology& topology);

  std::optional<Sender> find(const IpAddress& address) const;
  /// Every address that is the same sender as `address` (a node's pod range, or the one
  /// address of a node, host or appliance), or nullopt for no sender.
  struct Span {
    Sender sender;
    IpAddress first;
    IpAddress last;
  };
  std::optional<Span> find_span(const IpAddress& address) const;
  const std::vector<NodeInfo>& nodes() const { return nodes_; }

 private:
  struct Range {
    IpAddress first;
    IpAddress last;
    Sender sender;
  };
  std::vector<NodeInfo> nodes_;
  std::vector<Range> ranges_;  // sorted by first, not overlapping (first writer wins)
};

}  // namespace egress
