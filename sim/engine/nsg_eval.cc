#include "engine/nsg_eval.h"

#include <algorithm>

namespace egress {
namespace {

constexpr std::string_view kBlockRuleName = "aks-block-outbound";
// azure-egress-facts 7: AzureLoadBalancer is the host's virtual IP, 168.63.129.16.
const IpAddress kAzureLoadBalancer = IpAddress::v4(0xa83f8110);

bool in_prefixes(const std::vector<Prefix>& prefixes, const IpAddress& a) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const Prefix& p) { return p.contains(a); });
}

bool port_matches(const std::vector<PortRange>& ports, Protocol proto, uint16_t port) {
  if (ports.empty()) {
    return true;
  }
  // ICMP has no ports: a rule that names ports cannot match it.
  return proto != Protocol::kIcmp &&
         std::any_of(ports.begin(), ports.end(),
                     [&](const PortRange& pr) { return pr.contains(port); });
}

NsgRule default_rule(const char* name, int priority, Direction dir, RuleAction access,
                     NsgAddress::Kind src, NsgAddress::Kind dst) {
  NsgRule r;
  r.name = name;
  r.priority = priority;
  r.direction = dir;
  r.access = access;
  r.source.kind = src;
  r.destination.kind = dst;
  return r;
}

}  // namespace

bool nsg_address_matches(const NsgAddress& a, const TagSets& tags, const IpAddress& addr,
                         std::span<const Index> groups) {
  switch (a.kind) {
    case NsgAddress::Kind::kAny:
      return true;
    case NsgAddress::Kind::kVirtualNetwork:
      return in_prefixes(tags.virtual_network, addr);
    case NsgAddress::Kind::kInternet:
      return !in_prefixes(tags.virtual_network, addr);
    case NsgAddress::Kind::kPrefixes:
      return in_prefixes(a.prefixes, addr);
    case NsgAddress::Kind::kAzureLoadBalancer:
      return addr == kAzureLoadBalancer;
    case NsgAddress::Kind::kServiceTag:
      return tags.service_tags != nullptr && a.service_tag < tags.service_tags->size() &&
             in_prefixes((*tags.service_tags)[a.service_tag].address_prefixes, addr);
    case NsgAddress::Kind::kApplicationSecurityGroups:
      // azure-behaviour C5: the rule names the NICs of its groups, whatever their addresses.
      return std::any_of(a.groups.begin(), a.groups.end(), [&](Index g) {
        return std::find(groups.begin(), groups.end(), g) != groups.end();
      });
  }
  return false;
}

bool nsg_rule_matches(const NsgRule& r, Direction dir, const TagSets& tags, const NsgFlow& f) {
  return r.direction == dir && (r.protocols & protocol_bit(f.proto)) != 0 &&
         nsg_address_matches(r.source, tags, f.src, f.src_groups) &&
         nsg_address_matches(r.destination, tags, f.dst, f.dst_groups) &&
         port_matches(r.source_ports, f.proto, f.sport) &&
         port_matches(r.destination_ports, f.proto, f.dport);
}

std::span<const NsgRule> default_nsg_rules(Direction dir) {
  using K = NsgAddress::Kind;
  // azure-egress-facts 7: overridable but not deletable, protocol Any.
  static const NsgRule kInbound[] = {
      default_rule("AllowVNetInBound", 65000, Direction::kInbound, RuleAction::kAllow,
                   K::kVirtualNetwork, K::kVirtualNetwork),
      default_rule("AllowAzureLoadBalancerInBound", 65001, Direction::kInbound, RuleAction::kAllow,
                   K::kAzureLoadBalancer, K::kAny),
      default_rule("DenyAllInBound", 65500, Direction::kInbound, RuleAction::kDeny, K::kAny,
                   K::kAny),
  };
  static const NsgRule kOutbound[] = {
      default_rule("AllowVnetOutBound", 65000, Direction::kOutbound, RuleAction::kAllow,
                   K::kVirtualNetwork, K::kVirtualNetwork),
      default_rule("AllowInternetOutBound", 65001, Direction::kOutbound, RuleAction::kAllow,
                   K::kAny, K::kInternet),
      default_rule("DenyAllOutBound", 65500, Direction::kOutbound, RuleAction::kDeny, K::kAny,
                   K::kAny),
  };
  return dir == Direction::kInbound ? std::span<const NsgRule>(kInbound)
                                    : std::span<const NsgRule>(kOutbound);
}

NsgRule block_outbound_rule() {
  NsgRule r;
  r.name = std::string(kBlockRuleName);
  r.priority = 4096;  // the last custom priority: user rules decide first (models.h kBlockRule)
  r.access = RuleAction::kDeny;
  r.destination.kind = NsgAddress::Kind::kInternet;
  return r;
}

NsgDecision evaluate_nsg(const Nsg* nsg, std::span<const NsgRule> extra, Direction dir,
                         const TagSets& tags, const NsgFlow& f) {
  std::vector<const NsgRule*> rules;
  if (nsg != nullptr) {
    for (const NsgRule& r : nsg->rules) {
      if (r.direction == dir) {
        rules.push_back(&r);
      }
    }
  }
  for (const NsgRule& r : extra) {
    if (r.direction == dir) {
      rules.push_back(&r);
    }
  }
  // Lowest priority number first, processing stops at the first match (azure-egress-facts 7).
  // Azure keeps priorities unique within an NSG (a finding otherwise); stable keeps file order.
  std::stable_sort(rules.begin(), rules.end(),
                   [](const NsgRule* a, const NsgRule* b) { return a->priority < b->priority; });
  for (const NsgRule* r : rules) {
    if (nsg_rule_matches(*r, dir, tags, f)) {
      bool from_extra =
          std::any_of(extra.begin(), extra.end(), [&](const NsgRule& e) { return &e == r; });
      return NsgDecision{r->access, r->name, from_extra};
    }
  }
  for (const NsgRule& r : default_nsg_rules(dir)) {
    if (nsg_rule_matches(r, dir, tags, f)) {
      return NsgDecision{r.access, r.name, false};
    }
  }
  return NsgDecision{RuleAction::kDeny, default_nsg_rules(dir).back().name, false};
}

}  // namespace egress
