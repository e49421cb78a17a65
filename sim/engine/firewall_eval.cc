#include "engine/firewall_eval.h"

#include <algorithm>
#include <cctype>
#include <numeric>

#include "egress/config/fqdn_tags.h"

namespace egress {
namespace {

bool in_any(const std::vector<Prefix>& prefixes, const IpAddress& a) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const Prefix& p) { return p.contains(a); });
}

bool port_in(const std::vector<PortRange>& ports, Protocol proto, uint16_t port) {
  return ports.empty() ||
         (proto != Protocol::kIcmp &&
          std::any_of(ports.begin(), ports.end(), [&](const auto& r) { return r.contains(port); }));
}

// azure-behaviour B3: group priority, then collection priority; file order breaks ties.
template <class Rule>
std::vector<uint32_t> sorted(const std::vector<Rule>& rules) {
  std::vector<uint32_t> order(rules.size());
  std::iota(order.begin(), order.end(), 0U);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    const RulePlace& a = rules[x].place;
    const RulePlace& b = rules[y].place;
    return std::pair(a.group_priority, a.priority) < std::pair(b.group_priority, b.priority);
  });
  return order;
}

bool host_equal(std::string_view fqdn, std::string_view host) {
  if (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);
  }
  return fqdn.size() == host.size() &&
         std::equal(fqdn.begin(), fqdn.end(), host.begin(), [](char a, char b) {
           return a == std::tolower(static_cast<unsigned char>(b));
         });
}

bool application_host_matches(const ApplicationRule& rule, std::string_view host) {
  for (const std::string& fqdn : rule.target_fqdns) {
    if (fqdn_matches(fqdn, host)) {
      return true;
    }
  }
  for (const std::string& tag : rule.fqdn_tags) {
    for (std::string_view fqdn : fqdn_tag_fqdns(tag)) {
      if (fqdn_matches(fqdn, host)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

FirewallOrder FirewallOrder::of(const Appliance& a) {
  return FirewallOrder{sorted(a.rules), sorted(a.application_rules), sorted(a.dnat_rules)};
}

std::string rule_label(const RulePlace& place, const std::string& name) {
  return place.collection.empty() ? name : place.collection + "/" + name;
}

FirewallDecision evaluate_firewall(const Appliance& a, const FirewallOrder& order,
                                   const FirewallPacket& p) {
  FirewallDecision d;
  bool host_dependent = false;
  // 0: no match; 1: by address (or any); 2: by host name.
  auto network_match = [&](const ApplianceRule& rule) -> int {
    if ((rule.protocols & protocol_bit(p.proto)) == 0 ||
        (!rule.sources.empty() && !in_any(rule.sources, p.src)) ||
        !port_in(rule.ports, p.proto, p.dport)) {
      return 0;
    }
    bool any = rule.destinations.empty() && rule.destination_fqdns.empty() &&
               rule.destination_tags.empty();
    if (any || in_any(rule.destinations, p.dst)) {
      return 1;
    }
    if (rule.destination_fqdns.empty()) {
      return 0;
    }
    if (p.host.empty()) {
      host_dependent = true;
      return 0;
    }
    // azure-behaviour B6: the firewall matches the addresses the name resolves to; the flow's
    // host name is the name its client resolved (models.h kFirewallFqdnByHost).
    bool hit = std::any_of(rule.destination_fqdns.begin(), rule.destination_fqdns.end(),
                           [&](const std::string& f) { return host_equal(f, p.host); });
    return hit ? 2 : 0;
  };
  auto application_match = [&](const ApplicationRule& rule) -> int {
    bool port_ok = std::any_of(rule.protocols.begin(), rule.protocols.end(),
                               [&](const ApplicationProtocol& ap) { return ap.port == p.dport; });
    if (!port_ok || (!rule.sources.empty() && !in_any(rule.sources, p.src))) {
      return 0;
    }
    if (p.host.empty()) {
      // models.h kFirewallNoHost: no SNI or Host header to match.
      host_dependent = true;
      return 0;
    }
    return application_host_matches(rule, p.host) ? 1 : 0;
  };
  // The first match in `ids`, and whether a later rule of its collection disagrees.
  auto first = [&](const auto& rules, const std::vector<uint32_t>& ids, auto match,
                   FirewallDecision::Stage stage) {
    for (size_t k = 0; k < ids.size(); ++k) {
      const auto& rule = rules[ids[k]];
      int m = match(rule);
      if (m == 0) {
        continue;
      }
      d.stage = stage;
      d.action = rule.action;
      d.rule = rule_label(rule.place, rule.name);
      d.fqdn_by_host = m == 2;
      bool saved = host_dependent;  // rules after the match decide nothing
      for (size_t j = k + 1; j < ids.size(); ++j) {
        const auto& other = rules[ids[j]];
        if (other.place.group_priority != rule.place.group_priority ||
            other.place.priority != rule.place.priority ||
            other.place.collection != rule.place.collection) {
          break;
        }
        if (other.action != rule.action && match(other) != 0) {
          d.order_decided = true;
          break;
        }
      }
      host_dependent = saved;
      return true;
    }
    return false;
  };
  bool decided = first(a.rules, order.network, network_match, FirewallDecision::Stage::kNetwork);
  // azure-behaviour B3: "if the protocol is HTTP, HTTPS, or MSSQL", the application rules.
  if (!decided && a.type == ApplianceType::kAzureFirewall && p.proto == Protocol::kTcp) {
    decided = first(a.application_rules, order.application, application_match,
                    FirewallDecision::Stage::kApplication);
  }
  if (!decided) {
    d.stage = FirewallDecision::Stage::kDefault;
    d.action = a.default_action;
    d.rule = "defaultAction";
  }
  d.host_dependent = host_dependent && p.host.empty();
  return d;
}

const DnatRule* match_dnat(const Appliance& a, const FirewallOrder& order,
                           const FirewallPacket& p) {
  for (uint32_t i : order.dnat) {
    const DnatRule& rule = a.dnat_rules[i];
    if ((rule.protocols & protocol_bit(p.proto)) == 0 ||
        (!rule.sources.empty() && !in_any(rule.sources, p.src)) ||
        !port_in(rule.ports, p.proto, p.dport) ||
        std::find(rule.destinations.begin(), rule.destinations.end(), p.dst) ==
            rule.destinations.end()) {
      continue;
    }
    return &rule;
  }
  return nullptr;
}

}  // namespace egress
