#include "engine/nsg_eval.h"

#include <algorithm>

namespace egress {
namespace {

constexpr std::string_view kBlockRuleName = "aks-block-outbound";

bool in_virtual_network(const TagSets& tags, const IpAddress& dst) {
  return std::any_of(tags.virtual_network.begin(), tags.virtual_network.end(),
                     [&](const Prefix& p) { return p.contains(dst); });
}

bool address_matches(const NsgAddress& a, const TagSets& tags, const IpAddress& dst) {
  switch (a.kind) {
    case NsgAddress::Kind::kAny:
      return true;
    case NsgAddress::Kind::kVirtualNetwork:
      return in_virtual_network(tags, dst);
    case NsgAddress::Kind::kInternet:
      return !in_virtual_network(tags, dst);
    case NsgAddress::Kind::kPrefixes:
      return std::any_of(a.prefixes.begin(), a.prefixes.end(),
                         [&](const Prefix& p) { return p.contains(dst); });
  }
  return false;
}

bool rule_matches(const NsgRule& r, const TagSets& tags, Protocol proto, const IpAddress& dst,
                  uint16_t dport) {
  if (r.direction != Direction::kOutbound || (r.protocols & protocol_bit(proto)) == 0 ||
      !address_matches(r.destination, tags, dst)) {
    return false;
  }
  if (r.destination_ports.empty()) {
    return true;
  }
  // ICMP has no ports: a rule that names ports cannot match it.
  return proto != Protocol::kIcmp &&
         std::any_of(r.destination_ports.begin(), r.destination_ports.end(),
                     [&](const PortRange& pr) { return pr.contains(dport); });
}

NsgRule default_rule(const char* name, int priority, RuleAction access, NsgAddress::Kind dst) {
  NsgRule r;
  r.name = name;
  r.priority = priority;
  r.access = access;
  r.destination.kind = dst;
  return r;
}

}  // namespace

NsgRule block_outbound_rule() {
  NsgRule r;
  r.name = std::string(kBlockRuleName);
  r.priority = 4096;  // the last custom priority: user rules decide first (models.h kBlockRule)
  r.access = RuleAction::kDeny;
  r.destination.kind = NsgAddress::Kind::kInternet;
  return r;
}

NsgDecision evaluate_outbound(const Nsg* nsg, std::span<const NsgRule> extra, const TagSets& tags,
                              Protocol proto, const IpAddress& dst, uint16_t dport) {
  // azure-egress-facts 7: Azure's default outbound rules, overridable but not deletable.
  static const NsgRule kDefaults[] = {
      default_rule("AllowVnetOutBound", 65000, RuleAction::kAllow,
                   NsgAddress::Kind::kVirtualNetwork),
      default_rule("AllowInternetOutBound", 65001, RuleAction::kAllow, NsgAddress::Kind::kInternet),
      default_rule("DenyAllOutBound", 65500, RuleAction::kDeny, NsgAddress::Kind::kAny),
  };
  std::vector<const NsgRule*> rules;
  if (nsg != nullptr) {
    for (const NsgRule& r : nsg->rules) {
      rules.push_back(&r);
    }
  }
  for (const NsgRule& r : extra) {
    rules.push_back(&r);
  }
  // Lowest priority number first, processing stops at the first match (azure-egress-facts 7).
  std::stable_sort(rules.begin(), rules.end(),
                   [](const NsgRule* a, const NsgRule* b) { return a->priority < b->priority; });
  for (const NsgRule& r : kDefaults) {
    rules.push_back(&r);
  }
  for (const NsgRule* r : rules) {
    if (rule_matches(*r, tags, proto, dst, dport)) {
      bool from_extra =
          std::any_of(extra.begin(), extra.end(), [&](const NsgRule& e) { return &e == r; });
      return NsgDecision{r->access, r->name, from_extra};
    }
  }
  return NsgDecision{RuleAction::kDeny, "DenyAllOutBound", false};
}

}  // namespace egress
