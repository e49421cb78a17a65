// Outbound network security group evaluation (azure-egress-facts 7).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "egress/config/topology.h"

namespace egress {

/// The address sets the service tags stand for, seen from one VNet.
struct TagSets {
  std::vector<Prefix> virtual_network;  // models.h kInternetTag: Internet is the complement
};

struct NsgDecision {
  RuleAction access = RuleAction::kAllow;
  std::string rule;         // the rule that decided; Azure's default rule names included
  bool block_rule = false;  // the rule AKS adds for outboundType block
};

/// Evaluates the outbound rules of one NSG (nullptr: only `extra`), then Azure's default rules.
/// `extra` are rules that sit in the same NSG, such as the one AKS adds for block.
NsgDecision evaluate_outbound(const Nsg* nsg, std::span<const NsgRule> extra, const TagSets& tags,
                              Protocol proto, const IpAddress& dst, uint16_t dport);

/// The rule AKS adds on node subnets for outboundType block (models.h kBlockRule).
NsgRule block_outbound_rule();

}  // namespace egress
