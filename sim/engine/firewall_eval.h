// The rules of an appliance: Azure Firewall's DNAT, network and application rules in the order
// Azure processes them (azure-behaviour B3), or a network virtual appliance's rule list.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "egress/config/topology.h"
#include "egress/net/ip_address.h"

namespace egress {

/// One appliance's rules sorted into processing order: by rule collection group priority,
/// then rule collection priority, then as written (azure-behaviour B3).
struct FirewallOrder {
  std::vector<uint32_t> network;      // into Appliance::rules
  std::vector<uint32_t> application;  // into Appliance::application_rules
  std::vector<uint32_t> dnat;         // into Appliance::dnat_rules

  static FirewallOrder of(const Appliance& a);
};

/// The packet the firewall sees: source after any pod SNAT, and the flow's host name.
struct FirewallPacket {
  Protocol proto = Protocol::kTcp;
  IpAddress src;
  IpAddress dst;
  uint16_t dport = 0;
  std::string_view host;  // empty: not known
};

struct FirewallDecision {
  enum class Stage : uint8_t { kNetwork, kApplication, kDefault };
  Stage stage = Stage::kDefault;
  RuleAction action = RuleAction::kDeny;
  std::string rule;  // `collection/name`, `name`, or `defaultAction`
  /// A rule that reads the host name (an application rule, a destinationFqdns network rule)
  /// could have decided otherwise had the host been known: replay waits for it.
  bool host_dependent = false;
  /// A destinationFqdns network rule matched on the host name (models.h kFirewallFqdnByHost).
  bool fqdn_by_host = false;
  /// Another rule of the same collection also matched, with the other action: the order
  /// within a collection decided (models.h kFirewallRuleOrder).
  bool order_decided = false;
};

/// Network rules, then (Azure Firewall, TCP) application rules, then the default action
/// (azure-behaviour B3, B5, B6).
FirewallDecision evaluate_firewall(const Appliance& a, const FirewallOrder& order,
                                   const FirewallPacket& p);

/// The first DNAT rule that takes `p` (a flow to one of the firewall's public IPs), or nullptr
/// (azure-behaviour B7).
const DnatRule* match_dnat(const Appliance& a, const FirewallOrder& order, const FirewallPacket& p);

/// How a rule is named in results: `collection/name` when it has a collection.
std::string rule_label(const RulePlace& place, const std::string& name);

}  // namespace egress
