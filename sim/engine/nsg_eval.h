// Network security group evaluation, inbound and outbound (azure-behaviour C1, C2).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "egress/config/topology.h"

namespace egress {

/// The address sets the tags stand for, seen from one VNet.
struct TagSets {
  std::vector<Prefix> virtual_network;  // models.h kInternetTag: Internet is the complement
  /// The listed service tags (Topology::service_tags); null: none.
  const std::vector<ServiceTag>* service_tags = nullptr;
};

/// What an NSG sees of a packet: addresses as they are at that NIC (after a pod's SNAT to its
/// node), and the application security groups of the NICs that own the two addresses.
struct NsgFlow {
  Protocol proto = Protocol::kTcp;
  IpAddress src;
  uint16_t sport = 0;
  IpAddress dst;
  uint16_t dport = 0;
  std::span<const Index> src_groups;  // into Topology::application_security_groups
  std::span<const Index> dst_groups;
};

struct NsgDecision {
  RuleAction access = RuleAction::kAllow;
  std::string rule;         // the rule that decided; Azure's default rule names included
  bool block_rule = false;  // the rule AKS adds for outboundType block
};

/// True when `a` (a rule's source or destination) holds `addr`, or for application security
/// groups, when `groups` (the groups of the NIC owning `addr`) shares one with it.
bool nsg_address_matches(const NsgAddress& a, const TagSets& tags, const IpAddress& addr,
                         std::span<const Index> groups);

/// True when `r` applies to `f` in direction `dir`.
bool nsg_rule_matches(const NsgRule& r, Direction dir, const TagSets& tags, const NsgFlow& f);

/// Evaluates the rules of one NSG (nullptr: only `extra`) for direction `dir`: lowest priority
/// number first, first match decides, then Azure's default rules (azure-behaviour C1).
/// `extra` are rules that sit in the same NSG, such as the one AKS adds for block.
NsgDecision evaluate_nsg(const Nsg* nsg, std::span<const NsgRule> extra, Direction dir,
                         const TagSets& tags, const NsgFlow& f);

/// Azure's default rules of one direction, in priority order (azure-egress-facts 7).
std::span<const NsgRule> default_nsg_rules(Direction dir);

/// The rule AKS adds on node subnets for outboundType block (models.h kBlockRule).
NsgRule block_outbound_rule();

}  // namespace egress
