// The port pools at Azure's limits (semantics.md 5, azure-egress-facts 3a-3c).
#include "egress/replay/snat_pools.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace egress {
namespace {

constexpr int64_t kS = 1'000'000'000;

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

FlowKey tcp(uint16_t sport, const char* dst = "140.82.112.3", uint16_t dport = 443,
            const char* src = "10.0.0.4") {
  return FlowKey{Protocol::kTcp, ip(src), sport, ip(dst), dport};
}

SnatPoint lb_point(uint32_t instance, uint32_t ports, std::vector<IpAddress> ips) {
  return SnatPoint{Via::kLoadBalancer, 0, 0, instance, ports, 240, std::move(ips)};
}

SnatPoint nat_point(std::vector<IpAddress> ips) {
  return SnatPoint{Via::kNatGateway, 0, kNoIndex, 0, 64512, 240, std::move(ips)};
}

TEST(SnatPools, LoadBalancerInstanceRunsOutAfterItsBlockTowardsOneDestination) {
  SnatPools pools(1);
  SnatPoint p = lb_point(3, 1024, {ip("20.0.0.1")});
  std::set<uint16_t> ports;
  for (uint16_t i = 0; i < 1024; ++i) {
    auto lease = pools.acquire(p, "lb", tcp(static_cast<uint16_t>(30000 + i)), 0);
    ASSERT_TRUE(lease) << "flow " << i;
    ports.insert(lease->port);
  }
  EXPECT_EQ(ports.size(), 1024U);
  // The instance's block: ordinal 3 of 1024-port blocks from port 1024.
  EXPECT_EQ(*ports.begin(), 1024 + 3 * 1024);
  EXPECT_EQ(*ports.rbegin(), 1024 + 4 * 1024 - 1);
  EXPECT_FALSE(pools.acquire(p, "lb", tcp(40000), 0));
  EXPECT_TRUE(pools.exhausted());
  EXPECT_EQ(pools.ip_use()[0].exhausted, 1U);
  // Another destination port is another destination: the same ports serve it.
  EXPECT_TRUE(pools.acquire(p, "lb", tcp(40001, "140.82.112.3", 80), 0));
  EXPECT_FALSE(pools.exhausted());
  EXPECT_EQ(pools.ip_use()[0].peak_in_use, 1024U);
}

TEST(SnatPools, LoadBalancerUsesTheNextFrontendOnlyWhenTheFirstIsFull) {
  SnatPools pools(1);
  SnatPoint p = lb_point(0, 8, {ip("20.0.0.1"), ip("20.0.0.2")});
  for (uint16_t i = 0; i < 8; ++i) {
    auto lease = pools.acquire(p, "lb", tcp(static_cast<uint16_t>(30000 + i)), 0);
    ASSERT_TRUE(lease);
    EXPECT_EQ(pools.ip(lease->ip_slot), ip("20.0.0.1"));
  }
  for (uint16_t i = 8; i < 16; ++i) {
    auto lease = pools.acquire(p, "lb", tcp(static_cast<uint16_t>(30000 + i)), 0);
    ASSERT_TRUE(lease);
    EXPECT_EQ(pools.ip(lease->ip_slot), ip("20.0.0.2"));
  }
  EXPECT_FALSE(pools.acquire(p, "lb", tcp(31000), 0));
  // The refusal counts once, on the first frontend, so the IPs add up to the resource.
  EXPECT_EQ(pools.ip_use()[0].exhausted, 1U);
  EXPECT_EQ(pools.ip_use()[1].exhausted, 0U);
}

// A NAT gateway refuses a flow only when every IP is full towards the destination; each
// refusal counts on one IP, so the IPs' counts add up to the refusals.
// azure-behaviour D7: a /28 prefix frontend and a public IP make 17 addresses; each is a
// block of its own for the instance, used in order, and each counts its own ports in use.
TEST(SnatPools, LoadBalancerCountsEveryAddressOfAPrefixFrontendOnItsOwn) {
  SnatPools pools(1);
  std::vector<IpAddress> ips;
  for (int k = 0; k < 16; ++k) {
    ips.push_back(ip(("20.0.9." + std::to_string(k)).c_str()));
  }
  ips.push_back(ip("20.0.0.1"));
  SnatPoint p = lb_point(2, 8, ips);
  std::vector<SnatLease> leases;
  for (uint16_t i = 0; i < 17 * 8; ++i) {
    auto lease = pools.acquire(p, "lb", tcp(static_cast<uint16_t>(30000 + i)), 0);
    ASSERT_TRUE(lease) << "flow " << i;
    EXPECT_EQ(pools.ip(lease->ip_slot), ips[i / 8]) << "flow " << i;
    leases.push_back(*lease);
  }
  EXPECT_FALSE(pools.acquire(p, "lb", tcp(31000), 0));
  EXPECT_TRUE(pools.exhausted());
  ASSERT_EQ(pools.ip_use().size(), 17U);
  for (const SnatIpUse& use : pools.ip_use()) {
    EXPECT_EQ(use.in_use, 8U) << use.ip.to_string();
    EXPECT_EQ(use.ports, 64000U) << use.ip.to_string();
  }
  // A port given back on the last address is the one the next flow gets.
  pools.release(leases.back(), p, tcp(static_cast<uint16_t>(30000 + 17 * 8 - 1)), FlowEnd::kFin, 0);
  EXPECT_EQ(pools.ip_use()[16].in_use, 7U);
  auto again = pools.acquire(p, "lb", tcp(31001), 0);
  ASSERT_TRUE(again);
  EXPECT_EQ(pools.ip(again->ip_slot), ip("20.0.0.1"));
  EXPECT_EQ(pools.ip_use()[0].in_use, 8U);
}

TEST(SnatPools, NatGatewayRefusalCountsOnOneIp) {
  SnatPools pools(3);
  SnatPoint p{Via::kNatGateway, 0, kNoIndex, 0, 4, 240, {ip("20.1.0.1"), ip("20.1.0.2")}};
  for (uint16_t i = 0; i < 8; ++i) {
    ASSERT_TRUE(pools.acquire(p, "natgw", tcp(static_cast<uint16_t>(30000 + i)), 0));
  }
  constexpr uint64_t kRefused = 40;
  for (uint16_t i = 0; i < kRefused; ++i) {
    EXPECT_FALSE(pools.acquire(p, "natgw", tcp(static_cast<uint16_t>(31000 + i)), 0));
  }
  ASSERT_EQ(pools.ip_use().size(), 2U);
  EXPECT_EQ(pools.ip_use()[0].exhausted + pools.ip_use()[1].exhausted, kRefused);
  // Drawn from the flow: both IPs take a share.
  EXPECT_GT(pools.ip_use()[0].exhausted, 0U);
  EXPECT_GT(pools.ip_use()[1].exhausted, 0U);
}

TEST(SnatPools, LoadBalancerPortIsFreeAgainAsSoonAsTheFlowEnds) {
  SnatPools pools(1);
  SnatPoint p = lb_point(0, 8, {ip("20.0.0.1")});
  std::vector<SnatLease> leases;
  for (uint16_t i = 0; i < 8; ++i) {
    leases.push_back(*pools.acquire(p, "lb", tcp(static_cast<uint16_t>(30000 + i)), 0));
  }
  ASSERT_FALSE(pools.acquire(p, "lb", tcp(31000), 0));
  pools.release(leases[5], p, tcp(30005), FlowEnd::kFin, 1 * kS);
  auto again = pools.acquire(p, "lb", tcp(31001), 1 * kS);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->port, leases[5].port);
}

TEST(SnatPools, LoadBalancerUdpNeedsAPortPerDestinationIpWhateverThePort) {
  SnatPools pools(1);
  SnatPoint p = lb_point(0, 8, {ip("20.0.0.1")});
  auto udp = [](uint16_t sport, uint16_t dport) {
    return FlowKey{Protocol::kUdp, *IpAddress::parse("10.0.0.4"), sport,
                   *IpAddress::parse("8.8.8.8"), dport};
  };
  for (uint16_t i = 0; i < 8; ++i) {
    ASSERT_TRUE(pools.acquire(p, "lb", udp(30000 + i, static_cast<uint16_t>(1000 + i)), 0));
  }
  EXPECT_FALSE(pools.acquire(p, "lb", udp(31000, 2000), 0));
  // TCP has its own inventory and counts the destination port.
  EXPECT_TRUE(pools.acquire(p, "lb", tcp(31000, "8.8.8.8", 2000), 0));
}

TEST(SnatPools, NatGatewayGives64512FlowsToOneDestinationPerIp) {
  SnatPools pools(9);
  SnatPoint p = nat_point({ip("20.1.0.1")});
  std::set<uint16_t> ports;
  for (uint32_t i = 0; i < 64512; ++i) {
    auto lease = pools.acquire(
        p, "natgw",
        tcp(static_cast<uint16_t>(i), "1.2.3.4", 443, i < 32768 ? "10.0.0.4" : "10.0.0.5"), 0);
    ASSERT_TRUE(lease) << "flow " << i;
    ports.insert(lease->port);
  }
  EXPECT_EQ(ports.size(), 64512U);
  EXPECT_EQ(*ports.begin(), 1024);
  EXPECT_EQ(*ports.rbegin(), 65535);
  EXPECT_FALSE(pools.acquire(p, "natgw", tcp(1, "1.2.3.4", 443, "10.0.0.6"), 0));
  EXPECT_TRUE(pools.exhausted());
  EXPECT_EQ(pools.ip_use()[0].ports, 64512U);
  EXPECT_EQ(pools.ip_use()[0].peak_in_use, 64512U);
  // Other destinations are not affected.
  EXPECT_TRUE(pools.acquire(p, "natgw", tcp(1, "1.2.3.5", 443, "10.0.0.6"), 0));
}

TEST(SnatPools, NatGatewaySpreadsOverEveryIpAtRandom) {
  SnatPools pools(3);
  SnatPoint p = nat_point({ip("20.1.0.1"), ip("20.1.0.2"), ip("20.1.0.3")});
  std::vector<int> per_ip(3, 0);
  for (uint16_t i = 0; i < 3000; ++i) {
    auto lease = pools.acquire(p, "natgw", tcp(i), 0);
    ASSERT_TRUE(lease);
    ++per_ip[lease->ip_slot];
  }
  for (int n : per_ip) {
    EXPECT_GT(n, 850);
    EXPECT_LT(n, 1150);
  }
}

struct Cooldown {
  Protocol proto;
  FlowEnd end;
  int64_t seconds;
};

class NatGatewayCooldown : public ::testing::TestWithParam<Cooldown> {};

// azure-egress-facts 3b: 65 s after FIN, 16 s after RST, 30 s half-open, 65 s UDP.
TEST_P(NatGatewayCooldown, PortComesBackTowardsTheSameDestinationOnlyAfterIt) {
  const Cooldown c = GetParam();
  SnatPools pools(5);
  SnatPoint p = nat_point({ip("20.1.0.1")});
  p.ports = 4;  // a small pool makes the one freed port the only choice
  auto flow = [&](uint16_t sport) {
    return FlowKey{c.proto, ip("10.0.0.4"), sport, ip("1.2.3.4"), 443};
  };
  std::vector<SnatLease> leases;
  for (uint16_t i = 0; i < 4; ++i) {
    leases.push_back(*pools.acquire(p, "natgw", flow(100 + i), 0));
  }
  ASSERT_FALSE(pools.acquire(p, "natgw", flow(200), 0));
  const int64_t end = 10 * kS;
  pools.release(leases[2], p, flow(102), c.end, end);
  EXPECT_FALSE(pools.acquire(p, "natgw", flow(201), end + c.seconds * kS - 1));
  EXPECT_TRUE(pools.exhausted());
  auto again = pools.acquire(p, "natgw", flow(202), end + c.seconds * kS);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->port, leases[2].port);
}

INSTANTIATE_TEST_SUITE_P(Azure, NatGatewayCooldown,
                         ::testing::Values(Cooldown{Protocol::kTcp, FlowEnd::kFin, 65},
                                           Cooldown{Protocol::kTcp, FlowEnd::kRst, 16},
                                           Cooldown{Protocol::kTcp, FlowEnd::kHalfOpen, 30},
                                           Cooldown{Protocol::kUdp, FlowEnd::kIdle, 65},
                                           Cooldown{Protocol::kUdp, FlowEnd::kFin, 65}));

TEST(SnatPools, NatGatewayPortInCooldownStillServesOtherDestinations) {
  SnatPools pools(5);
  SnatPoint p = nat_point({ip("20.1.0.1")});
  p.ports = 1;
  auto lease = pools.acquire(p, "natgw", tcp(100, "1.2.3.4"), 0);
  ASSERT_TRUE(lease);
  pools.release(*lease, p, tcp(100, "1.2.3.4"), FlowEnd::kFin, 0);
  EXPECT_FALSE(pools.acquire(p, "natgw", tcp(101, "1.2.3.4"), kS));
  EXPECT_TRUE(pools.acquire(p, "natgw", tcp(101, "1.2.3.5"), kS));
  // The cooling port still counts as in use.
  EXPECT_EQ(pools.ip_use()[0].in_use, 1U);
}

TEST(SnatPools, ApplianceHasPortsPerIpTimesInstances) {
  SnatPools pools(2);
  // azure-egress-facts 3c: 2,496 per IP per instance, two instances.
  SnatPoint p{Via::kAppliance, 0, kNoIndex, 0, 2496 * 2, 240, {ip("20.2.0.1")}};
  for (uint16_t i = 0; i < 4992; ++i) {
    ASSERT_TRUE(pools.acquire(p, "fw", tcp(i), 0)) << i;
  }
  EXPECT_FALSE(pools.acquire(p, "fw", tcp(60000), 0));
  EXPECT_EQ(pools.ip_use()[0].ports, 4992U);
}

TEST(SnatPools, InstancePublicIpKeepsTheFlowsPort) {
  SnatPools pools(2);
  SnatPoint p{Via::kInstancePublicIp, 0, kNoIndex, 0, 0, 240, {ip("20.3.0.1")}};
  auto lease = pools.acquire(p, "vm", tcp(45678), 0);
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->port, 45678);
  EXPECT_EQ(pools.ip(lease->ip_slot), ip("20.3.0.1"));
}

TEST(SnatPools, NoIpOfTheFlowsFamilyIsNotExhaustion) {
  SnatPools pools(2);
  SnatPoint p = nat_point({ip("20.1.0.1")});
  FlowKey v6{Protocol::kTcp, ip("fd00::4"), 1000, ip("2001:db8::1"), 443};
  EXPECT_FALSE(pools.acquire(p, "natgw", v6, 0));
  EXPECT_FALSE(pools.exhausted());
}

TEST(SnatPools, SameSeedSamePortsOtherSeedOtherPorts) {
  auto run = [](uint64_t seed) {
    SnatPools pools(seed);
    SnatPoint p = nat_point({ip("20.1.0.1"), ip("20.1.0.2")});
    std::vector<std::pair<uint32_t, uint16_t>> out;
    for (uint16_t i = 0; i < 200; ++i) {
      auto lease = pools.acquire(p, "natgw", tcp(i), 0);
      out.emplace_back(lease->ip_slot, lease->port);
    }
    return out;
  };
  EXPECT_EQ(run(11), run(11));
  EXPECT_NE(run(11), run(12));
}

// Each resource draws from its own stream (seeded by the seed and its name), so a resource's
// ports do not depend on what other resources did: replay --shard keeps only some of them.
TEST(SnatPools, AResourcesPortsDependOnlyOnItsOwnFlows) {
  SnatPoint a{Via::kNatGateway, 0, kNoIndex, 0, 64512, 240, {ip("20.0.0.1")}};
  SnatPoint b{Via::kNatGateway, 1, kNoIndex, 0, 64512, 240, {ip("20.0.0.2")}};
  auto ports_of_a = [&](bool with_b) {
    SnatPools pools(7);
    std::vector<uint16_t> ports;
    for (uint16_t i = 0; i < 50; ++i) {
      if (with_b) {
        EXPECT_TRUE(pools.acquire(b, "nat-b", tcp(static_cast<uint16_t>(20000 + i)), i));
      }
      auto lease = pools.acquire(a, "nat-a", tcp(static_cast<uint16_t>(30000 + i)), i);
      EXPECT_TRUE(lease);
      ports.push_back(lease ? lease->port : 0);
    }
    return ports;
  };
  const std::vector<uint16_t> alone = ports_of_a(false);
  EXPECT_EQ(ports_of_a(true), alone);
  // The stream is the resource's: another name gives other ports.
  SnatPools other(7);
  auto first = other.acquire(a, "nat-c", tcp(30000), 0);
  ASSERT_TRUE(first);
  EXPECT_NE(first->port, alone[0]);
}

// Random acquires, releases and cool-downs through small NAT gateway and load balancer pools,
// IPv4 and IPv6, against a plain model of which ports are busy towards which destination:
// every lease is a free port of the right range, a flow is refused exactly when its pools are
// full, and the counts agree. The pools' hash sets grow, shrink and reuse places on the way.
struct ModelKey {
  IpAddress ip;
  uint16_t port;
  Protocol proto;
  IpAddress dst;
  uint16_t dport;
  auto operator<=>(const ModelKey&) const = default;
};

TEST(SnatPools, AgreesWithAModelUnderRandomAcquiresAndReleases) {
  std::mt19937_64 rng(23);
  SnatPools pools(11);
  const SnatPoint nat4 = {
      Via::kNatGateway, 0, kNoIndex, 0, 6, 240, {ip("20.0.0.1"), ip("20.0.0.2")}};
  const SnatPoint nat6 = {Via::kNatGateway, 0, kNoIndex, 0, 6, 240, {ip("2001:db8::1")}};
  const SnatPoint lb = lb_point(2, 5, {ip("20.9.0.1"), ip("20.9.0.2")});
  const std::vector<const char*> dst4 = {"1.1.1.1", "1.1.1.2", "8.8.8.8"};
  const std::vector<const char*> dst6 = {"2001:db8:1::1", "2001:db8:1::2"};
  struct Live {
    SnatLease lease;
    const SnatPoint* point;
    FlowKey flow;
  };
  std::vector<Live> live;
  std::map<ModelKey, int64_t> busy;  // free at (INT64_MAX: held by a live flow)
  std::map<IpAddress, uint32_t> peak;
  uint64_t refused = 0;
  int64_t now = 0;
  uint16_t sport = 1;
  auto expire = [&] { std::erase_if(busy, [&](const auto& b) { return b.second <= now; }); };
  auto in_use = [&](const IpAddress& a) {
    std::set<uint16_t> ports;
    for (const auto& [k, free_at] : busy) {
      if (k.ip == a) {
        ports.insert(k.port);
      }
    }
    return static_cast<uint32_t>(ports.size());
  };
  auto key_of = [](const SnatPoint& p, const IpAddress& a, uint16_t port, const FlowKey& f) {
    const bool cone = p.via == Via::kLoadBalancer && f.proto == Protocol::kUdp;
    return ModelKey{a, port, f.proto, f.dst, cone ? uint16_t{0} : f.dport};
  };
  for (int step = 0; step < 40'000; ++step) {
    now += static_cast<int64_t>(rng() % 3) * kS;
    if (rng() % 2 == 0 || live.empty()) {
      const int which = static_cast<int>(rng() % 3);
      const SnatPoint& p = which == 0 ? nat4 : which == 1 ? nat6 : lb;
      const bool v6 = which == 1;
      const Protocol proto = rng() % 2 == 0 ? Protocol::kTcp : Protocol::kUdp;
      const FlowKey f{proto, ip(v6 ? "2001:db8:9::4" : "10.0.0.4"), sport++,
                      ip(v6 ? dst6[rng() % dst6.size()] : dst4[rng() % dst4.size()]),
                      static_cast<uint16_t>(rng() % 2 == 0 ? 443 : 80)};
      expire();
      // The model's verdict: the first frontend with a free port of the instance's block
      // (LB), or any free port of any IP (NAT gateway).
      bool full = true;
      for (const IpAddress& a : p.ips) {
        const uint32_t first = p.via == Via::kLoadBalancer ? 1024 + 2 * 5 : 1024;
        for (uint32_t port = first; port < first + 6 && full; ++port) {
          if (p.via == Via::kLoadBalancer && port == first + 5) {
            break;
          }
          full = busy.contains(key_of(p, a, static_cast<uint16_t>(port), f));
        }
      }
      auto lease = pools.acquire(p, "pool", f, now);
      ASSERT_EQ(lease.has_value(), !full) << "step " << step;
      ASSERT_EQ(pools.exhausted(), full) << "step " << step;
      if (!lease) {
        ++refused;
        continue;
      }
      const IpAddress& a = pools.ip(lease->ip_slot);
      ASSERT_NE(std::find(p.ips.begin(), p.ips.end(), a), p.ips.end()) << "step " << step;
      if (p.via == Via::kLoadBalancer) {
        ASSERT_GE(lease->port, 1024 + 10) << "step " << step;
        ASSERT_LT(lease->port, 1024 + 15) << "step " << step;
        // Only when the first frontend is full does the flow leave by the second.
        if (a == p.ips[1]) {
          for (uint16_t port = 1034; port < 1039; ++port) {
            ASSERT_TRUE(busy.contains(key_of(p, p.ips[0], port, f))) << "step " << step;
          }
        }
      } else {
        ASSERT_GE(lease->port, 1024) << "step " << step;
        ASSERT_LT(lease->port, 1024 + 6) << "step " << step;
      }
      ASSERT_TRUE(busy.emplace(key_of(p, a, lease->port, f), INT64_MAX).second) << "step " << step;
      peak[a] = std::max(peak[a], in_use(a));
      live.push_back(Live{*lease, &p, f});
    } else {
      const size_t i = rng() % live.size();
      const Live l = live[i];
      live[i] = live.back();
      live.pop_back();
      const FlowEnd end = static_cast<FlowEnd>(rng() % 5);
      pools.advance(now);
      expire();
      pools.release(l.lease, *l.point, l.flow, end, now);
      const ModelKey k = key_of(*l.point, pools.ip(l.lease.ip_slot), l.lease.port, l.flow);
      int64_t cooldown = 0;
      if (l.point->via == Via::kNatGateway) {
        cooldown = l.flow.proto == Protocol::kUdp ? 65
                   : end == FlowEnd::kFin         ? 65
                   : end == FlowEnd::kRst         ? 16
                   : end == FlowEnd::kHalfOpen    ? 30
                                                  : 0;
      }
      if (cooldown == 0) {
        busy.erase(k);
      } else {
        busy[k] = now + cooldown * kS;
      }
    }
    pools.advance(now);
    expire();
    for (const SnatIpUse& u : pools.ip_use()) {
      ASSERT_EQ(u.in_use, in_use(u.ip)) << "step " << step << " " << u.ip.to_string();
      ASSERT_EQ(u.peak_in_use, peak[u.ip]) << "step " << step;
    }
  }
  uint64_t exhausted = 0;
  for (const SnatIpUse& u : pools.ip_use()) {
    exhausted += u.exhausted;
  }
  EXPECT_EQ(exhausted, refused);
  EXPECT_GT(refused, 100U);
}

// The hints a threaded replay's stage gives (prefetch_acquire, prefetch_release) read and
// never write: the same calls with and without them, right or wrong ones (any `ahead`, leases
// of other flows, slots never made), give the same ports, refusals and counts.
TEST(SnatPools, HintsChangeNothing) {
  std::mt19937_64 rng(31);
  SnatPools plain(5);
  SnatPools hinted(5);
  const std::vector<SnatPoint> points = {
      nat_point({ip("20.0.0.1"), ip("20.0.0.2")}),
      SnatPoint{Via::kNatGateway, 1, kNoIndex, 0, 8, 240, {ip("2001:db8::1")}},
      lb_point(1, 6, {ip("20.9.0.1"), ip("20.9.0.2")}),
      SnatPoint{Via::kAppliance, 2, kNoIndex, 0, 7, 240, {ip("20.5.0.1")}},
      SnatPoint{Via::kInstancePublicIp, 3, kNoIndex, 0, 0, 240, {ip("20.6.0.1")}},
  };
  struct Live {
    SnatLease lease;
    size_t point;
    FlowKey flow;
  };
  std::vector<Live> live;
  int64_t now = 0;
  uint16_t sport = 1;
  size_t hints = 0;
  auto hint = [&](const FlowKey& f) {
    const SnatPoint& p = points[rng() % points.size()];
    const auto step = rng() % 2 == 0 ? SnatPools::Step::kSlots : SnatPools::Step::kEntries;
    if (rng() % 2 == 0) {
      hinted.prefetch_acquire(p, f, static_cast<uint32_t>(rng() % 20), step);
    } else {
      const SnatLease lease{static_cast<uint32_t>(rng() % 12), static_cast<uint16_t>(rng())};
      hinted.prefetch_release(lease, p, f, static_cast<FlowEnd>(rng() % 5), step);
    }
    ++hints;
  };
  for (int step = 0; step < 20'000; ++step) {
    now += static_cast<int64_t>(rng() % 3) * kS;
    if (rng() % 2 == 0 || live.empty()) {
      const size_t which = rng() % points.size();
      const SnatPoint& p = points[which];
      const bool v6 = p.ips[0].family() == Family::kV6;
      const Protocol proto = rng() % 8 == 0   ? Protocol::kIcmp
                             : rng() % 2 == 0 ? Protocol::kTcp
                                              : Protocol::kUdp;
      const FlowKey f{proto, ip(v6 ? "2001:db8:9::4" : "10.0.0.4"), sport++,
                      ip(v6 ? "2001:db8:1::1" : (rng() % 2 == 0 ? "1.1.1.1" : "8.8.8.8")),
                      static_cast<uint16_t>(rng() % 2 == 0 ? 443 : 80)};
      for (int i = 0; i < 3; ++i) {
        hint(f);
      }
      const auto a = plain.acquire(p, "r" + std::to_string(which), f, now);
      const auto b = hinted.acquire(p, "r" + std::to_string(which), f, now);
      ASSERT_EQ(a.has_value(), b.has_value()) << "step " << step;
      ASSERT_EQ(plain.exhausted(), hinted.exhausted()) << "step " << step;
      if (a) {
        ASSERT_EQ(a->ip_slot, b->ip_slot) << "step " << step;
        ASSERT_EQ(a->port, b->port) << "step " << step;
        live.push_back(Live{*a, which, f});
      }
    } else {
      const size_t i = rng() % live.size();
      const Live l = live[i];
      live[i] = live.back();
      live.pop_back();
      const auto end = static_cast<FlowEnd>(rng() % 5);
      hint(l.flow);
      hinted.prefetch_release(l.lease, points[l.point], l.flow, end, SnatPools::Step::kSlots);
      hinted.prefetch_release(l.lease, points[l.point], l.flow, end, SnatPools::Step::kEntries);
      plain.release(l.lease, points[l.point], l.flow, end, now);
      hinted.release(l.lease, points[l.point], l.flow, end, now);
    }
    plain.advance(now);
    hinted.advance(now);
  }
  ASSERT_EQ(plain.ip_use().size(), hinted.ip_use().size());
  uint64_t exhausted = 0;
  for (size_t i = 0; i < plain.ip_use().size(); ++i) {
    const SnatIpUse& a = plain.ip_use()[i];
    const SnatIpUse& b = hinted.ip_use()[i];
    EXPECT_EQ(a.ip, b.ip);
    EXPECT_EQ(a.in_use, b.in_use) << a.ip.to_string();
    EXPECT_EQ(a.peak_in_use, b.peak_in_use) << a.ip.to_string();
    EXPECT_EQ(a.exhausted, b.exhausted) << a.ip.to_string();
    exhausted += a.exhausted;
  }
  EXPECT_GT(exhausted, 100U);  // the pools were full often, so the hints met every case
  EXPECT_GT(hints, 40'000U);
}

}  // namespace
}  // namespace egress
