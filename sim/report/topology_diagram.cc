#include "egress/report/topology_diagram.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "egress/report/svg.h"
#include "svg_text.h"

namespace egress {
namespace {

constexpr double kColumnW = 210;
constexpr double kNodeW = 176;
constexpr double kNodeH = 38;
constexpr double kRowH = 50;
constexpr double kTop = 40;
constexpr double kLeft = 16;
constexpr size_t kChars = 26;
constexpr size_t kMaxPaths = 8;
constexpr const char* kPathColours[kMaxPaths] = {"#1f6feb", "#d73a49", "#2e7d32", "#8250df",
                                                 "#ef6c00", "#0a7d8c", "#b08800", "#6e7781"};

enum Column { kSubnets, kRouteTables, kAppliances, kEgress, kIps, kOutside, kColumns };
constexpr const char* kColumnNames[kColumns] = {"VNets and subnets",    "route tables",
                                                "appliances, gateways", "NAT gateways, LBs",
                                                "egress IPs",           "outside"};

struct Node {
  std::string key;  // what hops and edges call it
  std::string title;
  std::string detail;
  std::string kind;  // css class
  int column = 0;
  double x = 0;
  double y = 0;
};

struct Layout {
  std::vector<Node> nodes;
  std::map<std::string, size_t> by_key;
  std::vector<std::pair<size_t, size_t>> edges;
  struct Box {
    std::string name;
    double y0;
    double y1;
  };
  std::vector<Box> vnets;
  double height = 0;
  double width = 0;

  size_t add(std::string key, std::string title, std::string detail, std::string kind, int column) {
    auto [it, fresh] = by_key.try_emplace(key, nodes.size());
    if (fresh) {
      nodes.push_back(
          Node{std::move(key), std::move(title), std::move(detail), std::move(kind), column});
    }
    return it->second;
  }
  void edge(const std::string& from, const std::string& to) {
    auto a = by_key.find(from);
    auto b = by_key.find(to);
    if (a != by_key.end() && b != by_key.end() &&
        std::find(edges.begin(), edges.end(), std::make_pair(a->second, b->second)) ==
            edges.end()) {
      edges.emplace_back(a->second, b->second);
    }
  }
};

std::string prefixes(const std::vector<Prefix>& list) {
  std::string out;
  for (const Prefix& p : list) {
    out += (out.empty() ? "" : ", ") + p.to_string();
  }
  return out;
}

std::string ip_key(const std::string& address) {
  return "ip:" + address;
}

Layout build(const Topology& t) {
  Layout l;
  for (const Vnet& v : t.vnets) {
    for (Index s : v.subnets) {
      const Subnet& subnet = t.subnets[s];
      l.add(subnet.full_name, subnet.name, prefixes(subnet.address_prefixes), "subnet", kSubnets);
    }
  }
  for (const RouteTable& r : t.route_tables) {
    l.add("rt:" + r.name, r.name,
          std::to_string(r.routes.size()) + (r.routes.size() == 1 ? " route" : " routes"),
          "route-table", kRouteTables);
  }
  for (const Appliance& a : t.appliances) {
    l.add(a.name, a.name, a.private_ip.to_string(), "appliance", kAppliances);
  }
  for (const Gateway& g : t.gateways) {
    l.add(g.name, g.name, "virtual network gateway", "gateway", kAppliances);
  }
  for (const NatGateway& n : t.nat_gateways) {
    l.add(n.name, n.name, "NAT gateway", "nat-gateway", kEgress);
  }
  for (const LoadBalancer& b : t.load_balancers) {
    l.add(b.name, b.name, "load balancer", "load-balancer", kEgress);
  }
  for (const PublicIp& p : t.public_ips) {
    l.add(ip_key(p.address.to_string()), p.address.to_string(), p.name, "public-ip", kIps);
  }
  for (const PublicIpPrefix& p : t.public_ip_prefixes) {
    l.add(ip_key(p.prefix.to_string()), p.prefix.to_string(), p.name, "public-ip", kIps);
  }
  l.add("internet", "Internet", "", "internet", kOutside);
  if (!t.gateways.empty()) {
    l.add("onprem", "on-premises", "", "onprem", kOutside);
  }

  for (const Subnet& s : t.subnets) {
    if (s.route_table != kNoIndex) {
      l.edge(s.full_name, "rt:" + t.route_tables[s.route_table].name);
    }
    if (s.nat_gateway != kNoIndex) {
      l.edge(s.full_name, t.nat_gateways[s.nat_gateway].name);
    }
  }
  for (const RouteTable& r : t.route_tables) {
    for (const Route& route : r.routes) {
      for (const Appliance& a : t.appliances) {
        if (route.next_hop_ip && *route.next_hop_ip == a.private_ip) {
          l.edge("rt:" + r.name, a.name);
        }
      }
    }
  }
  for (const Appliance& a : t.appliances) {
    for (Index p : a.public_ips) {
      l.edge(a.name, ip_key(t.public_ips[p].address.to_string()));
    }
  }
  for (const NatGateway& n : t.nat_gateways) {
    for (Index p : n.public_ips) {
      l.edge(n.name, ip_key(t.public_ips[p].address.to_string()));
    }
    for (Index p : n.public_ip_prefixes) {
      l.edge(n.name, ip_key(t.public_ip_prefixes[p].prefix.to_string()));
    }
  }
  for (const LoadBalancer& b : t.load_balancers) {
    for (const Frontend& f : b.frontends) {
      if (f.public_ip != kNoIndex) {
        l.edge(b.name, ip_key(t.public_ips[f.public_ip].address.to_string()));
      }
      if (f.public_ip_prefix != kNoIndex) {
        l.edge(b.name, ip_key(t.public_ip_prefixes[f.public_ip_prefix].prefix.to_string()));
      }
    }
  }
  for (const PublicIp& p : t.public_ips) {
    l.edge(ip_key(p.address.to_string()), "internet");
  }
  for (const PublicIpPrefix& p : t.public_ip_prefixes) {
    l.edge(ip_key(p.prefix.to_string()), "internet");
  }
  for (const Gateway& g : t.gateways) {
    l.edge(g.name, "onprem");
  }

  // Columns with nothing in them take no room.
  std::vector<int> x_of(kColumns, -1);
  int next = 0;
  for (int c = 0; c < kColumns; ++c) {
    for (const Node& n : l.nodes) {
      if (n.column == c) {
        x_of[c] = next++;
        break;
      }
    }
  }
  std::vector<double> y_next(kColumns, kTop);
  double bottom = kTop;
  for (const Vnet& v : t.vnets) {
    const double y0 = y_next[kSubnets];
    double y = y0 + 22;
    for (Index s : v.subnets) {
      Node& n = l.nodes[l.by_key[t.subnets[s].full_name]];
      n.y = y;
      y += kRowH;
    }
    l.vnets.push_back({v.name + " " + prefixes(v.address_space), y0, y});
    y_next[kSubnets] = y + 14;
  }
  for (Node& n : l.nodes) {
    n.x = kLeft + kColumnW * x_of[n.column];
    if (n.column != kSubnets) {
      n.y = y_next[n.column];
      y_next[n.column] += kRowH;
    }
    bottom = std::max(bottom, n.y + kRowH);
  }
  for (double y : y_next) {
    bottom = std::max(bottom, y);
  }
  l.height = bottom + 10;
  l.width = kLeft * 2 + kColumnW * std::max(next, 1) - (kColumnW - kNodeW);
  return l;
}

// The nodes a path passes, in order: its hops' places, the route table a subnet's route came
// from, the egress IP it left with, and the Internet.
std::vector<size_t> path_nodes(const Layout& l, const FlowResult& r) {
  std::vector<size_t> out;
  auto visit = [&](const std::string& key) {
    auto it = l.by_key.find(key);
    if (it != l.by_key.end() && (out.empty() || out.back() != it->second)) {
      out.push_back(it->second);
    }
  };
  for (const Hop& hop : r.hops) {
    if (hop.at == "internet") {
      if (!r.snat_ip.empty()) {
        visit(ip_key(snat_ip_text(r)));
      }
      visit("internet");
      continue;
    }
    visit(hop.at);
    if (hop.route && !hop.route->table.empty()) {
      visit("rt:" + hop.route->table);
    }
  }
  if (r.verdict == Verdict::kEgress) {
    if (!r.snat_ip.empty()) {
      visit(ip_key(snat_ip_text(r)));
    }
    visit("internet");
  } else if (r.verdict == Verdict::kOnprem) {
    visit("onprem");
  }
  return out;
}

}  // namespace

std::string topology_diagram_svg(const Topology& topology, const std::vector<PathKind>& paths) {
  Layout l = build(topology);
  const size_t shown = std::min(paths.size(), kMaxPaths);
  const double legend_h = shown == 0 ? 0 : 20 + 16 * static_cast<double>(shown);
  Svg svg(std::max(l.width, 480.0), l.height + legend_h,
          "Topology " + (topology.name.empty() ? topology.file : topology.name),
          "topology-diagram");
  svg.attribute("data-nodes", std::to_string(l.nodes.size()));
  svg.attribute("data-paths", std::to_string(shown));
  for (int c = 0; c < kColumns; ++c) {
    for (const Node& n : l.nodes) {
      if (n.column == c) {
        svg.text(n.x, 22, kColumnNames[c], 11, "start", "#666", "bold");
        break;
      }
    }
  }
  for (const Layout::Box& box : l.vnets) {
    svg.group("vnet", box.name);
    svg.rect(kLeft - 6, box.y0, kNodeW + 12, box.y1 - box.y0, "#eef3fb", "#9db4d8", 8);
    svg.text(kLeft, box.y0 + 15, clipped(box.name, kChars + 4), 11, "start", "#1a56c4", "bold");
    svg.end_group();
  }
  for (const auto& [a, b] : l.edges) {
    const Node& x = l.nodes[a];
    const Node& y = l.nodes[b];
    svg.line(x.x + kNodeW, x.y + kNodeH / 2, y.x, y.y + kNodeH / 2, "#c0c6d0", 1);
  }
  // Paths under the nodes: between them they show which way the flows went.
  for (size_t i = 0; i < shown; ++i) {
    std::vector<size_t> route = path_nodes(l, paths[i].example);
    const double offset = (static_cast<double>(i) - static_cast<double>(shown - 1) / 2) * 3;
    svg.group("path", paths[i].key);
    std::vector<double> points;
    for (size_t k = 0; k < route.size(); ++k) {
      const Node& n = l.nodes[route[k]];
      points.push_back(n.x + kNodeW / 2 + offset);
      points.push_back(n.y + kNodeH / 2 + offset);
    }
    if (points.size() >= 4) {
      svg.polyline(points, kPathColours[i], 2.5);
    }
    svg.end_group();
  }
  for (const Node& n : l.nodes) {
    svg.group("node " + n.kind, n.key + (n.detail.empty() ? "" : ": " + n.detail));
    const bool outside = n.kind == "internet" || n.kind == "onprem";
    svg.rect(n.x, n.y, kNodeW, kNodeH, outside ? "#f0f0f0" : "#ffffff", "#8a94a6",
             outside ? 18 : 4);
    svg.text(n.x + 8, n.y + (n.detail.empty() ? 23 : 16), clipped(n.title, kChars), 11, "start",
             "#222", "bold");
    if (!n.detail.empty()) {
      svg.text(n.x + 8, n.y + 30, clipped(n.detail, kChars + 4), 9, "start", "#555");
    }
    svg.end_group();
  }
  for (size_t i = 0; i < shown; ++i) {
    const double y = l.height + 16 + 16 * static_cast<double>(i);
    svg.line(kLeft, y - 4, kLeft + 24, y - 4, kPathColours[i], 3);
    svg.text(kLeft + 32, y,
             "path " + std::to_string(i + 1) + ": " + std::to_string(paths[i].flows) +
                 (paths[i].flows == 1 ? " flow, " : " flows, ") +
                 clipped(verdict_line(paths[i].example), 60) + ", e.g. " +
                 flow_line(paths[i].example.flow),
             11, "start", "#222");
  }
  return svg.str();
}

}  // namespace egress
