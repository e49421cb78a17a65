#include "engine/sources.h"

#include <algorithm>
#include <iterator>
#include <map>

namespace egress {

SourceIndex::SourceIndex(const Topology& t) {
  std::vector<Range> all;
  if (t.cluster) {
    const Cluster& c = *t.cluster;
    for (Index p = 0; p < c.node_pools.size(); ++p) {
      const NodePool& pool = c.node_pools[p];
      for (uint32_t k = 0; k < pool.addresses.size(); ++k) {
        nodes_.push_back(NodeInfo{p, k, pool.addresses[k], pool.subnet});
      }
    }
    for (Index n = 0; n < nodes_.size(); ++n) {
      const IpAddress& ip = nodes_[n].address;
      all.push_back(Range{ip, ip, Sender{Sender::Kind::kNode, n}});
      if (c.network_plugin == NetworkPlugin::kAzure) {
        // Azure CNI (node subnet): the maxPods addresses after the node's own.
        auto first = ip.offset(1);
        auto last = ip.offset(c.max_pods);
        if (c.max_pods > 0 && first && last) {
          all.push_back(Range{*first, *last, Sender{Sender::Kind::kPod, n}});
        }
      } else if (c.pod_cidr && c.pod_cidr->address.is_v4() && c.pod_cidr->length <= 24) {
        // kubenet and overlay: node i owns the i-th /24 of podCidr (azure-egress-facts 5).
        uint64_t per_node = 256;
        if (static_cast<uint64_t>(n) < c.pod_cidr->size() / per_node) {
          auto first = c.pod_cidr->address.offset(per_node * n);
          auto last = first ? first->offset(per_node - 1) : std::nullopt;
          if (first && last) {
            all.push_back(Range{*first, *last, Sender{Sender::Kind::kPod, n}});
          }
        }
      }
    }
  }
  for (Index h = 0; h < t.hosts.size(); ++h) {
    all.push_back(Range{t.hosts[h].address, t.hosts[h].address, Sender{Sender::Kind::kHost, h}});
  }
  for (Index a = 0; a < t.appliances.size(); ++a) {
    const IpAddress& ip = t.appliances[a].private_ip;
    all.push_back(Range{ip, ip, Sender{Sender::Kind::kAppliance, a}});
  }
  // Single addresses (nodes, hosts, appliances) are more specific than pod ranges, so they
  // win where a misconfigured file lets the two overlap; the validator reports the overlap.
  std::stable_sort(all.begin(), all.end(), [](const Range& a, const Range& b) {
    bool a_single = a.first == a.last;
    bool b_single = b.first == b.last;
    return a_single && !b_single;
  });
  std::map<IpAddress, Range> accepted;
  for (const Range& r : all) {
    auto next = accepted.lower_bound(r.first);
    bool overlaps = next != accepted.end() && !(r.last < next->second.first);
    if (next != accepted.begin()) {
      overlaps = overlaps || !(std::prev(next)->second.last < r.first);
    }
    if (!overlaps) {
      accepted.emplace(r.first, r);
    }
  }
  for (auto& [first, r] : accepted) {
    ranges_.push_back(r);
  }
}

std::optional<Sender> SourceIndex::find(const IpAddress& address) const {
  std::optional<Span> span = find_span(address);
  if (!span) {
    return std::nullopt;
  }
  return span->sender;
}

std::optional<SourceIndex::Span> SourceIndex::find_span(const IpAddress& address) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), address,
                             [](const IpAddress& a, const Range& r) { return a < r.first; });
  if (it == ranges_.begin()) {
    return std::nullopt;
  }
  --it;
  if (address <= it->last && it->first.family() == address.family()) {
    return Span{it->sender, it->first, it->last};
  }
  return std::nullopt;
}

}  // namespace egress
