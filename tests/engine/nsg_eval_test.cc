#include "engine/nsg_eval.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
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
  return NsgAddress{k, {}, kNoIndex, {}};
}
NsgAddress cidr(const char* p) {
  return NsgAddress{NsgAddress::Kind::kPrefixes, {*Prefix::parse(p)}, kNoIndex, {}};
}
NsgAddress service_tag(Index i) {
  return NsgAddress{NsgAddress::Kind::kServiceTag, {}, i, {}};
}
NsgAddress groups(std::vector<Index> g) {
  return NsgAddress{NsgAddress::Kind::kApplicationSecurityGroups, {}, kNoIndex, std::move(g)};
}

NsgFlow outbound(Protocol proto, const char* dst, uint16_t dport, const char* src = "10.0.0.4") {
  return NsgFlow{proto, *IpAddress::parse(src), 40000, *IpAddress::parse(dst), dport, {}, {}};
}

NsgDecision out(const Nsg* nsg, std::span<const NsgRule> extra, const TagSets& tags, Protocol proto,
                const char* dst, uint16_t dport) {
  return evaluate_nsg(nsg, extra, Direction::kOutbound, tags, outbound(proto, dst, dport));
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
    NsgDecision d = out(&nsg, {}, tags, c.proto, c.dst, c.dport);
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
  NsgDecision d = out(&nsg, {}, tags, Protocol::kTcp, "1.1.1.1", 1);
  EXPECT_EQ(d.rule, "override-internet");
  d = out(nullptr, {}, tags, Protocol::kTcp, "10.0.0.9", 1);
  EXPECT_EQ(d.rule, "AllowVnetOutBound");
}

TEST(NsgEvalTest, BlockRuleComesAfterUserRules) {
  TagSets tags{{*Prefix::parse("10.0.0.0/16")}};
  Nsg nsg;
  nsg.rules = {rule("allow-mcr", 4000, RuleAction::kAllow, cidr("20.0.0.0/8"))};
  std::vector<NsgRule> extra = {block_outbound_rule()};
  NsgDecision allowed = out(&nsg, extra, tags, Protocol::kTcp, "20.1.1.1", 443);
  EXPECT_EQ(allowed.access, RuleAction::kAllow);
  EXPECT_FALSE(allowed.block_rule);
  NsgDecision blocked = out(&nsg, extra, tags, Protocol::kTcp, "1.1.1.1", 443);
  EXPECT_EQ(blocked.access, RuleAction::kDeny);
  EXPECT_TRUE(blocked.block_rule);
  EXPECT_EQ(blocked.rule, "aks-block-outbound");
  NsgDecision vnet = out(nullptr, extra, tags, Protocol::kUdp, "10.0.3.3", 53);
  EXPECT_EQ(vnet.access, RuleAction::kAllow);
}

// azure-behaviour C1: the inbound defaults, from the VNet, from the load balancer probe
// address, and nothing else.
TEST(NsgEvalTest, InboundDefaults) {
  TagSets tags{{*Prefix::parse("10.0.0.0/16")}};
  struct In {
    const char* src;
    const char* rule;
    RuleAction access;
  };
  const std::vector<In> cases = {
      {"10.0.9.9", "AllowVNetInBound", RuleAction::kAllow},
      {"168.63.129.16", "AllowAzureLoadBalancerInBound", RuleAction::kAllow},
      {"203.0.113.7", "DenyAllInBound", RuleAction::kDeny},
  };
  for (const In& c : cases) {
    NsgFlow f{
        Protocol::kTcp, *IpAddress::parse(c.src), 5555, *IpAddress::parse("10.0.0.4"), 22, {}, {}};
    NsgDecision d = evaluate_nsg(nullptr, {}, Direction::kInbound, tags, f);
    EXPECT_EQ(d.rule, c.rule) << c.src;
    EXPECT_EQ(d.access, c.access) << c.src;
  }
}

TEST(NsgEvalTest, RulesOfTheOtherDirectionNeverMatch) {
  TagSets tags{{*Prefix::parse("10.0.0.0/16")}};
  Nsg nsg;
  NsgRule in = rule("deny-in", 100, RuleAction::kDeny, tag(NsgAddress::Kind::kAny));
  in.direction = Direction::kInbound;
  nsg.rules = {in};
  EXPECT_EQ(out(&nsg, {}, tags, Protocol::kTcp, "10.0.0.5", 80).rule, "AllowVnetOutBound");
  NsgFlow f = outbound(Protocol::kTcp, "10.0.0.5", 80);
  EXPECT_EQ(evaluate_nsg(&nsg, {}, Direction::kInbound, tags, f).rule, "deny-in");
}

TEST(NsgEvalTest, SourcePrefixesPortsServiceTagsAndGroups) {
  std::vector<ServiceTag> service_tags(1);
  service_tags[0].name = "Storage.WestEurope";
  service_tags[0].address_prefixes = {*Prefix::parse("13.69.40.16/28"),
                                      *Prefix::parse("2603:1020:206:402::88/125")};
  TagSets tags{{*Prefix::parse("10.0.0.0/16")}, &service_tags};
  Nsg nsg;
  NsgRule from_admin = rule("from-admin-ssh", 100, RuleAction::kAllow, tag(NsgAddress::Kind::kAny),
                            protocol_bit(Protocol::kTcp), {{22, 22}});
  from_admin.direction = Direction::kInbound;
  from_admin.source =
      NsgAddress{NsgAddress::Kind::kPrefixes,
                 {*Prefix::parse("203.0.113.0/24"), *Prefix::parse("198.51.100.7/32")},
                 kNoIndex,
                 {}};
  NsgRule from_high_ports = rule("from-high-ports", 110, RuleAction::kAllow,
                                 tag(NsgAddress::Kind::kAny), protocol_bit(Protocol::kUdp));
  from_high_ports.direction = Direction::kInbound;
  from_high_ports.source_ports = {{1024, 65535}};
  NsgRule web_to_db = rule("web-to-db", 120, RuleAction::kAllow, groups({1}),
                           protocol_bit(Protocol::kTcp), {{1433, 1433}});
  web_to_db.direction = Direction::kInbound;
  web_to_db.source = groups({0, 2});
  NsgRule deny_db = rule("deny-db", 130, RuleAction::kDeny, groups({1}));
  deny_db.direction = Direction::kInbound;
  NsgRule storage = rule("deny-storage", 140, RuleAction::kDeny, service_tag(0));
  nsg.rules = {from_admin, from_high_ports, web_to_db, deny_db, storage};

  struct Flow {
    const char* what;
    Direction dir;
    Protocol proto;
    const char* src;
    uint16_t sport;
    const char* dst;
    uint16_t dport;
    std::vector<Index> src_groups;
    std::vector<Index> dst_groups;
    const char* rule;
  };
  const std::vector<Flow> flows = {
      {"admin /24",
       Direction::kInbound,
       Protocol::kTcp,
       "203.0.113.9",
       5000,
       "10.0.0.4",
       22,
       {},
       {},
       "from-admin-ssh"},
      {"bare address",
       Direction::kInbound,
       Protocol::kTcp,
       "198.51.100.7",
       5000,
       "10.0.0.4",
       22,
       {},
       {},
       "from-admin-ssh"},
      {"next address",
       Direction::kInbound,
       Protocol::kTcp,
       "198.51.100.8",
       5000,
       "10.0.0.4",
       22,
       {},
       {},
       "DenyAllInBound"},
      {"source port in range",
       Direction::kInbound,
       Protocol::kUdp,
       "1.1.1.1",
       1024,
       "10.0.0.4",
       53,
       {},
       {},
       "from-high-ports"},
      {"source port below",
       Direction::kInbound,
       Protocol::kUdp,
       "1.1.1.1",
       1023,
       "10.0.0.4",
       53,
       {},
       {},
       "DenyAllInBound"},
      {"web to db",
       Direction::kInbound,
       Protocol::kTcp,
       "10.0.1.4",
       5000,
       "10.0.2.4",
       1433,
       {2},
       {1},
       "web-to-db"},
      {"db port from another group",
       Direction::kInbound,
       Protocol::kTcp,
       "10.0.1.5",
       5000,
       "10.0.2.4",
       1433,
       {3},
       {1},
       "deny-db"},
      {"db member of several groups",
       Direction::kInbound,
       Protocol::kTcp,
       "10.0.1.5",
       5000,
       "10.0.2.4",
       1433,
       {0},
       {4, 1},
       "web-to-db"},
      {"not a db",
       Direction::kInbound,
       Protocol::kTcp,
       "10.0.1.5",
       5000,
       "10.0.2.4",
       1433,
       {0},
       {},
       "AllowVNetInBound"},
      {"storage v4",
       Direction::kOutbound,
       Protocol::kTcp,
       "10.0.0.4",
       5000,
       "13.69.40.31",
       443,
       {},
       {},
       "deny-storage"},
      {"storage v4 past the prefix",
       Direction::kOutbound,
       Protocol::kTcp,
       "10.0.0.4",
       5000,
       "13.69.40.32",
       443,
       {},
       {},
       "AllowInternetOutBound"},
      {"storage v6",
       Direction::kOutbound,
       Protocol::kTcp,
       "10.0.0.4",
       5000,
       "2603:1020:206:402::8f",
       443,
       {},
       {},
       "deny-storage"},
  };
  for (const Flow& c : flows) {
    NsgFlow f{c.proto,     *IpAddress::parse(c.src),
              c.sport,     *IpAddress::parse(c.dst),
              c.dport,     c.src_groups,
              c.dst_groups};
    EXPECT_EQ(evaluate_nsg(&nsg, {}, c.dir, tags, f).rule, c.rule) << c.what;
  }
}

// --- differential: evaluate_nsg against an obviously correct, slow reference ---------------

// Walks the priorities in use from the lowest up and takes the first rule, in file order, that matches; then
// the defaults. Matching spelled out field by field, independently of nsg_rule_matches.
std::string reference(const std::vector<NsgRule>& rules, Direction dir, const TagSets& tags,
                      const NsgFlow& f) {
  auto in = [](const std::vector<Prefix>& ps, const IpAddress& a) {
    for (const Prefix& p : ps) {
      if (p.contains(a)) {
        return true;
      }
    }
    return false;
  };
  auto side = [&](const NsgAddress& a, const IpAddress& addr, std::span<const Index> groups) {
    if (a.kind == NsgAddress::Kind::kAny) {
      return true;
    }
    if (a.kind == NsgAddress::Kind::kVirtualNetwork) {
      return in(tags.virtual_network, addr);
    }
    if (a.kind == NsgAddress::Kind::kInternet) {
      return !in(tags.virtual_network, addr);
    }
    if (a.kind == NsgAddress::Kind::kPrefixes) {
      return in(a.prefixes, addr);
    }
    if (a.kind == NsgAddress::Kind::kAzureLoadBalancer) {
      return addr.to_string() == "168.63.129.16";
    }
    if (a.kind == NsgAddress::Kind::kServiceTag) {
      return in((*tags.service_tags)[a.service_tag].address_prefixes, addr);
    }
    for (Index g : a.groups) {
      for (Index h : groups) {
        if (g == h) {
          return true;
        }
      }
    }
    return false;
  };
  auto ports = [&](const std::vector<PortRange>& rs, uint16_t p) {
    if (rs.empty()) {
      return true;
    }
    if (f.proto == Protocol::kIcmp) {
      return false;
    }
    for (const PortRange& r : rs) {
      if (r.first <= p && p <= r.last) {
        return true;
      }
    }
    return false;
  };
  auto matches = [&](const NsgRule& r) {
    return r.direction == dir && (r.protocols >> static_cast<int>(f.proto) & 1) != 0 &&
           side(r.source, f.src, f.src_groups) && side(r.destination, f.dst, f.dst_groups) &&
           ports(r.source_ports, f.sport) && ports(r.destination_ports, f.dport);
  };
  std::set<int> priorities;
  for (const NsgRule& r : rules) {
    priorities.insert(r.priority);
  }
  for (const NsgRule& r : default_nsg_rules(dir)) {
    priorities.insert(r.priority);
  }
  for (int priority : priorities) {
    for (const NsgRule& r : rules) {
      if (r.priority == priority && matches(r)) {
        return r.name;
      }
    }
    for (const NsgRule& r : default_nsg_rules(dir)) {
      if (r.priority == priority && matches(r)) {
        return r.name;
      }
    }
  }
  return "none";
}

TEST(NsgEvalTest, AgreesWithTheReferenceOnRandomRules) {
  std::mt19937_64 rng(15);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const std::vector<const char*> addresses = {"10.0.0.4", "10.0.1.9",   "10.1.0.1",
                                              "20.0.0.1", "20.0.0.130", "168.63.129.16",
                                              "1.2.3.4",  "13.69.40.20"};
  const std::vector<const char*> prefixes = {"10.0.0.0/24", "10.0.0.4/32", "10.0.0.0/8",
                                             "20.0.0.0/25", "0.0.0.0/0",   "13.69.40.16/28"};
  std::vector<ServiceTag> service_tags(2);
  service_tags[0].address_prefixes = {*Prefix::parse("20.0.0.0/24")};
  service_tags[1].address_prefixes = {*Prefix::parse("13.69.40.16/28"),
                                      *Prefix::parse("1.2.3.0/24")};
  TagSets tags{{*Prefix::parse("10.0.0.0/16")}, &service_tags};
  auto random_side = [&] {
    NsgAddress a;
    a.kind = static_cast<NsgAddress::Kind>(pick(7));
    if (a.kind == NsgAddress::Kind::kPrefixes) {
      for (size_t i = 0, n = 1 + pick(3); i < n; ++i) {
        a.prefixes.push_back(*Prefix::parse(prefixes[pick(prefixes.size())]));
      }
    } else if (a.kind == NsgAddress::Kind::kServiceTag) {
      a.service_tag = static_cast<Index>(pick(2));
    } else if (a.kind == NsgAddress::Kind::kApplicationSecurityGroups) {
      for (size_t i = 0, n = 1 + pick(2); i < n; ++i) {
        a.groups.push_back(static_cast<Index>(pick(3)));
      }
    }
    return a;
  };
  auto random_ports = [&] {
    std::vector<PortRange> ports;
    for (size_t i = 0, n = pick(2) == 0 ? 0 : 1 + pick(2); i < n; ++i) {
      auto a = static_cast<uint16_t>(pick(6) * 20);
      ports.push_back(PortRange{a, static_cast<uint16_t>(a + pick(30))});
    }
    return ports;
  };
  auto random_groups = [&] {
    std::vector<Index> g;
    for (size_t i = 0, n = pick(3); i < n; ++i) {
      g.push_back(static_cast<Index>(pick(3)));
    }
    return g;
  };
  int matched_user_rule = 0;
  for (int round = 0; round < 400; ++round) {
    Nsg nsg;
    for (size_t i = 0, n = pick(12); i < n; ++i) {
      NsgRule r;
      r.name = "r" + std::to_string(i);
      r.priority = 100 + static_cast<int>(pick(6));  // collisions on purpose: file order decides
      r.direction = pick(2) == 0 ? Direction::kInbound : Direction::kOutbound;
      r.access = pick(2) == 0 ? RuleAction::kAllow : RuleAction::kDeny;
      r.protocols = static_cast<ProtocolSet>(1 + pick(7));
      r.source = random_side();
      r.destination = random_side();
      r.source_ports = random_ports();
      r.destination_ports = random_ports();
      nsg.rules.push_back(std::move(r));
    }
    for (int k = 0; k < 25; ++k) {
      std::vector<Index> src_groups = random_groups();
      std::vector<Index> dst_groups = random_groups();
      NsgFlow f{static_cast<Protocol>(pick(3)),
                *IpAddress::parse(addresses[pick(addresses.size())]),
                static_cast<uint16_t>(pick(130)),
                *IpAddress::parse(addresses[pick(addresses.size())]),
                static_cast<uint16_t>(pick(130)),
                src_groups,
                dst_groups};
      Direction dir = pick(2) == 0 ? Direction::kInbound : Direction::kOutbound;
      NsgDecision d = evaluate_nsg(&nsg, {}, dir, tags, f);
      std::string want = reference(nsg.rules, dir, tags, f);
      ASSERT_EQ(d.rule, want) << "round " << round << " flow " << k;
      matched_user_rule += want[0] == 'r' ? 1 : 0;
    }
  }
  // The random rules must exercise the user rules, not only the defaults.
  EXPECT_GT(matched_user_rule, 1000) << matched_user_rule;
}

}  // namespace
}  // namespace egress
