// Fuzz target for the topology loader: any bytes must give either a topology or errors (never
// both, never neither, never an exception or a crash), and a topology must be well formed: every
// index in range, every node pool with one address per node. A topology then goes through the
// checks (findings such as routing loops), which must not crash either.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "egress/config/topology_checks.h"
#include "egress/config/topology_loader.h"
#include "fuzz_checks.h"

namespace {

using egress::Index;
using egress::kNoIndex;

using egress::fuzz::check;

bool in_range(Index i, size_t size) {
  return i < size;
}
bool optional_in_range(Index i, size_t size) {
  return i == kNoIndex || i < size;
}

void check_well_formed(const egress::Topology& t) {
  for (const auto& v : t.vnets) {
    for (Index s : v.subnets) {
      check(in_range(s, t.subnets.size()), "vnet subnet index");
    }
    for (const auto& p : v.peerings) {
      check(in_range(p.remote_vnet, t.vnets.size()), "peering remote vnet");
    }
  }
  for (const auto& s : t.subnets) {
    check(in_range(s.vnet, t.vnets.size()), "subnet vnet");
    check(!s.address_prefixes.empty(), "subnet prefixes");
    check(optional_in_range(s.route_table, t.route_tables.size()), "subnet route table");
    check(optional_in_range(s.nat_gateway, t.nat_gateways.size()), "subnet NAT gateway");
    check(optional_in_range(s.nsg, t.nsgs.size()), "subnet NSG");
    check(t.find_subnet(s.full_name) != kNoIndex, "subnet full name");
  }
  for (const auto& a : t.appliances) {
    check(in_range(a.subnet, t.subnets.size()), "appliance subnet");
    for (Index ip : a.public_ips) {
      check(in_range(ip, t.public_ips.size()), "appliance public IP");
    }
  }
  for (const auto& h : t.hosts) {
    check(in_range(h.subnet, t.subnets.size()), "host subnet");
    check(optional_in_range(h.public_ip, t.public_ips.size()), "host public IP");
  }
  for (const auto& lb : t.load_balancers) {
    for (const auto& f : lb.frontends) {
      // azure-behaviour D7: a public IP or a public IP prefix, exactly one.
      check(f.public_ip == kNoIndex
                ? in_range(f.public_ip_prefix, t.public_ip_prefixes.size())
                : in_range(f.public_ip, t.public_ips.size()) && f.public_ip_prefix == kNoIndex,
            "frontend public IP or prefix");
    }
    for (const auto& r : lb.outbound_rules) {
      check(in_range(r.backend_pool, lb.backend_pools.size()), "outbound rule pool");
      check(!r.frontends.empty(), "outbound rule frontends");
      for (Index f : r.frontends) {
        check(in_range(f, lb.frontends.size()), "outbound rule frontend");
      }
    }
  }
  for (const auto& g : t.gateways) {
    check(in_range(g.vnet, t.vnets.size()), "gateway vnet");
  }
  if (t.cluster) {
    size_t nodes = 0;
    for (const auto& pool : t.cluster->node_pools) {
      check(in_range(pool.subnet, t.subnets.size()), "node pool subnet");
      check(pool.addresses.size() == pool.nodes, "one address per node");
      nodes += pool.nodes;
    }
    check(nodes <= 5000, "cluster size");
    check(optional_in_range(t.cluster->load_balancer, t.load_balancers.size()), "cluster LB");
    for (const auto& s : t.cluster->services) {
      check(in_range(s.frontend_ip, t.public_ips.size()), "service frontend IP");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  egress::LoadResult r = egress::parse_topology(text, "fuzz.yaml");
  check(r.topology.has_value() != !r.errors.empty(), "exactly one of topology and errors");
  egress::fuzz::check_load_errors(r.errors);
  if (r.topology) {
    check_well_formed(*r.topology);
    int line = 0;
    int column = 0;
    for (const egress::Diagnostic& d : egress::check_topology(*r.topology)) {
      check(!d.code.empty() && !d.message.empty(), "finding has a code and a message");
      check(d.where.line > line || (d.where.line == line && d.where.column >= column),
            "findings sorted by position");
      line = d.where.line;
      column = d.where.column;
    }
  }
  return 0;
}
