#include "engine/nsg_eval.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace egress {
namespace {

NsgRule rule(const char* name, int priority, RuleAction access, NsgAddress dst,
             ProtocolSet protocols = kAnyProtocol, std::vector<PortRange> ports = {}) {
  NsgRule r;
  r.name = name;
  r.priority = priority;
  r.access = access;
  r.destination = std::move(dst);
  r.protocols = protocols;
  r.destination_ports = std::move(ports);
  return r;
}

NsgAddress tag(NsgAddress::Kind k) {
  return NsgAddress{k, {}};
}
NsgAddress cidr(const char* p) {
  return NsgAddress{NsgAddress::Kind::kPrefixes, {*Prefix::parse(p)}};
}

struct Case {
  const char* what;
  Protocol proto;
  const char* dst;
  uint16_t dport;
  RuleAction access;
  const char* rule;
};

TEST(NsgEvalTest, PriorityOrderTagsPortsAndDefaults) {
  Nsg nsg;
  nsg.name = "n";
  // Written out of order on purpose: evaluation is by priority, not by position.
  nsg.rules = {
      rule("allow-dns", 200, RuleAction::kAllow, cidr("8.8.8.8/32"), protocol_bit(Protocol::kUdp),
           {{53, 53}}),
      rule("deny-web", 100, RuleAction::kDeny, tag(NsgAddress::Kind::kInternet),
           protocol_bit(Protocol::kTcp), {{80, 80}, {8000, 8080}}),
      rule("deny-udp-out", 300, RuleAction::kDeny, tag(NsgAddress::Kind::kInternet),
           protocol_bit(Protocol::kUdp)),
      rule("deny-ping-port", 150, RuleAction::kDeny, tag(NsgAddress::Kind::kAny), kAnyProtocol,
           {{7, 7}}),
  };
  TagSets tags{{*Prefix::parse("10.0.0.0/16"), *Prefix::parse("10.1.0.0/16")}};
  const std::vector<Case> cases = {
      {"tcp 80 to Internet", Protocol::kTcp, "1.2.3.4", 80, RuleAction::kDeny, "deny-web"},
      {"port range first", Protocol::kTcp, "1.2.3.4", 8000, RuleAction::kDeny, "deny-web"},
      {"port range last", Protocol::kTcp, "1.2.3.4", 8080, RuleAction::kDeny, "deny-web"},
      {"port range past the end", Protocol::kTcp, "1.2.3.4", 8081, RuleAction::kAllow,
       "AllowInternetOutBound"},
      {"tcp 80 inside the VNet", Protocol::kTcp, "10.1.2.3", 80, RuleAction::kAllow,
       "AllowVnetOutBound"},
      {"udp dns allowed before the udp deny", Protocol::kUdp, "8.8.8.8", 53, RuleAction::kAllow,
       "allow-dns"},
      {"other udp denied", Protocol::kUdp, "8.8.4.4", 53, RuleAction::kDeny, "deny-udp-out"},
      {"icmp never matches a rule with ports", Protocol::kIcmp, "1.2.3.4", 7, RuleAction::kAllow,
       "AllowInternetOutBound"},
      {"private address outside the VNet is Internet (modelled)", Protocol::kTcp, "172.16.0.1", 443,
       RuleAction::kAllow, "AllowInternetOutBound"},
  };
  for (const Case& c : cases) {
    NsgDecision d = evaluate_outbound(&nsg, {}, tags, c.proto, *IpAddress::parse(c.dst), c.dport);
    EXPECT_EQ(d.access, c.access) << c.what;
    EXPECT_EQ(d.rule, c.rule) << c.what;
    EXPECT_FALSE(d.block_rule);
  }
}

TEST(NsgEvalTest, DefaultsDenyWhatNoTagCovers) {
  TagSets tags{{*Prefix::parse("10.0.0.0/16")}};
  Nsg nsg;
  nsg.rules = {
      rule("override-internet", 4000, RuleAction::kDeny, tag(NsgAddress::Kind::kInternet))};
  NsgDecision d =
      evaluate_outbound(&nsg, {}, tags, Protocol::kTcp, *IpAddress::parse("1.1.1.1"), 1);
  EXPECT_EQ(d.rule, "override-internet");
  d = evaluate_outbound(nullptr, {}, tags, Protocol::kTcp, *IpAddress::parse("10.0.0.9"), 1);
  EXPECT_EQ(d.rule, "AllowVnetOutBound");
}

TEST(NsgEvalTest, BlockRuleComesAfterUserRules) {
  TagSets tags{{*Prefix::parse("10.0.0.0/16")}};
  Nsg nsg;
  nsg.rules = {rule("allow-mcr", 4000, RuleAction::kAllow, cidr("20.0.0.0/8"))};
  std::vector<NsgRule> extra = {block_outbound_rule()};
  NsgDecision allowed =
      evaluate_outbound(&nsg, extra, tags, Protocol::kTcp, *IpAddress::parse("20.1.1.1"), 443);
  EXPECT_EQ(allowed.access, RuleAction::kAllow);
  EXPECT_FALSE(allowed.block_rule);
  NsgDecision blocked =
      evaluate_outbound(&nsg, extra, tags, Protocol::kTcp, *IpAddress::parse("1.1.1.1"), 443);
  EXPECT_EQ(blocked.access, RuleAction::kDeny);
  EXPECT_TRUE(blocked.block_rule);
  EXPECT_EQ(blocked.rule, "aks-block-outbound");
  NsgDecision vnet =
      evaluate_outbound(nullptr, extra, tags, Protocol::kUdp, *IpAddress::parse("10.0.3.3"), 53);
  EXPECT_EQ(vnet.access, RuleAction::kAllow);
}

}  // namespace
}  // namespace egress
