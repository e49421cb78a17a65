// The model against Azure's answers (azure-behaviour F).
#include "egress/check/azure_check.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>

#include "egress/engine/effective_routes.h"

namespace egress {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view last_segment(std::string_view id) {
  size_t slash = id.rfind('/');
  return slash == std::string_view::npos ? id : id.substr(slash + 1);
}

// azure-behaviour F3: references are ARM ids compared ignoring case, as Azure does; an
// element written without an id matches by its name, the id's last segment.
template <class T>
bool same_resource(const T& element, std::string_view id) {
  std::string_view own = element.id;
  return own.empty() ? iequals(element.name, last_segment(id)) : iequals(own, id);
}

// The model's spelling of Azure's next hop types; Azure writes VNetGlobalPeering for a peering
// across regions, which the model does not tell apart.
std::string normal_hop(std::string_view type) {
  std::string out;
  for (char c : type) {
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out == "vnetglobalpeering" ? "vnetpeering" : out;
}

std::string joined(const std::vector<std::string>& items, const char* separator = ",") {
  std::string out;
  for (const std::string& s : items) {
    out += (out.empty() ? "" : separator) + s;
  }
  return out;
}

std::string canonical_prefix(const std::string& text) {
  size_t slash = text.find('/');
  std::optional<IpAddress> a = IpAddress::parse(text.substr(0, slash));
  if (!a || slash == std::string::npos) {
    return text;
  }
  int length = std::atoi(text.c_str() + slash + 1);
  if (length < 0 || length > a->width()) {
    return text;
  }
  return Prefix::of(*a, length).to_string();
}

std::string describe_hop(const std::string& type, const std::vector<std::string>& ips) {
  return ips.empty() ? type : type + " " + joined(ips);
}

class Checker {
 public:
  Checker(const Topology& t, const CheckOptions& o, CheckResult& r) : t_(t), opt_(o), r_(r) {}

  void route_table(const EffectiveRouteAnswer& answer) {
    Index subnet = subnet_of(answer);
    if (subnet == kNoIndex) {
      return;
    }
    ++r_.route_tables;
    const std::string subject = "subnet " + t_.subnets[subnet].full_name;
    std::vector<EffectiveRoute> model = compute_effective_routes(t_, subnet);
    std::vector<bool> matched(model.size(), false);
    for (const AzureRouteRow& row : answer.rows) {
      for (const std::string& prefix_text : row.address_prefixes) {
        ++r_.routes;
        const std::string prefix = canonical_prefix(prefix_text);
        const std::string key = subject + " " + prefix + " " + row.source;
        size_t found = model.size();
        for (size_t i = 0; i < model.size(); ++i) {
          if (!matched[i] && model[i].prefix.to_string() == prefix &&
              iequals(to_string(model[i].source), row.source)) {
            found = i;
            break;
          }
        }
        const std::string azure_hop = describe_hop(row.next_hop_type, row.next_hop_ips);
        if (found == model.size()) {
          add("route-missing", key, azure_hop + " (" + row.state + ")", "", answer.where,
              row.pointer);
          continue;
        }
        matched[found] = true;
        const EffectiveRoute& m = model[found];
        std::vector<std::string> model_ips;
        if (m.next_hop_ip) {
          model_ips.push_back(m.next_hop_ip->to_string());
        }
        std::vector<std::string> azure_ips = row.next_hop_ips;
        std::sort(azure_ips.begin(), azure_ips.end());
        if (normal_hop(row.next_hop_type) != normal_hop(to_string(m.next_hop_type)) ||
            azure_ips != model_ips) {
          add("route-next-hop", key, azure_hop, describe_hop(to_string(m.next_hop_type), model_ips),
              answer.where, row.pointer);
        }
        const char* model_state = m.active ? "Active" : "Invalid";
        if (!iequals(row.state, model_state)) {
          add("route-state", key, row.state, model_state, answer.where, row.pointer);
        }
      }
    }
    for (size_t i = 0; i < model.size(); ++i) {
      if (!matched[i]) {
        ++r_.routes;
        const EffectiveRoute& m = model[i];
        add("route-extra", subject + " " + m.prefix.to_string() + " " + to_string(m.source), "",
            describe_hop(to_string(m.next_hop_type),
                         m.next_hop_ip ? std::vector<std::string>{m.next_hop_ip->to_string()}
                                       : std::vector<std::string>{}) +
                " (" + (m.active ? "Active" : "Invalid") + ")",
            answer.where, "");
      }
    }
  }

  void next_hop(const NextHopAnswer& answer) {
    std::optional<IpAddress> src = IpAddress::parse(answer.source_ip);
    std::optional<IpAddress> dst = IpAddress::parse(answer.destination_ip);
    if (!src || !dst) {
      error(answer.where,
            "a next-hop answer needs its request's sourceIPAddress and destinationIPAddress "
            "(the REST wrapper's parameters.parameters, or members beside nextHopType); got '" +
                answer.source_ip + "' and '" + answer.destination_ip + "'");
      return;
    }
    Index subnet = kNoIndex;
    if (!answer.target_nic_id.empty()) {
      subnet = subnet_of_nic(answer.target_nic_id);
    }
    for (Index s = 0; s < t_.subnets.size() && subnet == kNoIndex; ++s) {
      for (const Prefix& p : t_.subnets[s].address_prefixes) {
        if (p.contains(*src)) {
          subnet = s;
        }
      }
    }
    if (subnet == kNoIndex) {
      error(answer.where, "next hop from " + answer.source_ip + ": no subnet of " + t_.file +
                              " holds that address");
      return;
    }
    ++r_.next_hops;
    const std::string subject = "flow " + answer.source_ip + " -> " + answer.destination_ip;
    const EffectiveRoute* route = nullptr;
    std::vector<EffectiveRoute> routes = compute_effective_routes(t_, subnet);
    for (const EffectiveRoute& r : routes) {
      if (r.active && r.prefix.contains(*dst)) {
        route = &r;  // longest prefix first
        break;
      }
    }
    std::string model_type = route ? to_string(route->next_hop_type) : "None";
    if (normal_hop(answer.next_hop_type) != normal_hop(model_type)) {
      add("next-hop-type", subject, answer.next_hop_type, model_type, answer.where, "");
    } else if (route && route->next_hop_type == NextHopType::kVirtualAppliance) {
      // azure-behaviour F2: the next hop's IP is compared where the model has one (an
      // appliance); for other types Network Watcher's address is not modelled.
      std::string model_ip = route->next_hop_ip ? route->next_hop_ip->to_string() : "";
      if (answer.next_hop_ip != model_ip) {
        add("next-hop-ip", subject, answer.next_hop_ip, model_ip, answer.where, "");
      }
    }
    if (answer.route_table_id.empty() || route == nullptr) {
      return;
    }
    if (route->source == RouteSource::kUser && route->route_table < t_.route_tables.size()) {
      const RouteTable& table = t_.route_tables[route->route_table];
      if (!same_resource(table, answer.route_table_id)) {
        add("next-hop-route-table", subject, answer.route_table_id,
            table.id.empty() ? table.name : table.id, answer.where, "");
      }
    } else if (!iequals(answer.route_table_id, "System Route")) {
      add("next-hop-route-table", subject, answer.route_table_id, "System Route", answer.where, "");
    }
  }

  void egress_ips(const EgressIpAnswer& answer, const std::vector<PublicIpAnswer>& addresses) {
    std::vector<Index> ips;
    std::vector<Index> prefixes;
    std::string subject;
    switch (answer.kind) {
      case EgressIpAnswer::Kind::kLoadBalancerProfile:
        subject = "cluster " + answer.resource + " loadBalancerProfile.effectiveOutboundIPs";
        lb_ips(ips, prefixes);
        break;
      case EgressIpAnswer::Kind::kNatGatewayProfile:
        subject = "cluster " + answer.resource + " natGatewayProfile.effectiveOutboundIPs";
        for (Index g : cluster_nat_gateways()) {
          gateway_ips(g, ips, prefixes);
        }
        break;
      case EgressIpAnswer::Kind::kNatGateway: {
        subject = "natGateway " + answer.resource + " publicIpAddresses";
        for (Index g = 0; g < t_.nat_gateways.size(); ++g) {
          if (same_resource(t_.nat_gateways[g],
                            answer.resource_id.empty() ? answer.resource : answer.resource_id)) {
            gateway_ips(g, ips, prefixes);
          }
        }
        break;
      }
    }
    std::vector<bool> ip_seen(ips.size(), false);
    std::vector<bool> prefix_seen(prefixes.size(), false);
    for (const std::string& id : answer.ids) {
      ++r_.egress_ips;
      bool found = false;
      for (size_t i = 0; i < ips.size(); ++i) {
        const PublicIp& ip = t_.public_ips[ips[i]];
        if (!ip_seen[i] && same_resource(ip, id)) {
          ip_seen[i] = found = true;
          compare_address(subject, ip, id, addresses);
          break;
        }
      }
      for (size_t i = 0; i < prefixes.size() && !found; ++i) {
        if (!prefix_seen[i] && same_resource(t_.public_ip_prefixes[prefixes[i]], id)) {
          prefix_seen[i] = found = true;
        }
      }
      // azure-behaviour D7: a public IP made from a prefix the model has whole (its address,
      // from a public IP answer, inside the prefix) is one of the model's egress IPs.
      std::optional<IpAddress> address = found ? std::nullopt : answered_address(id, addresses);
      for (size_t i = 0; i < prefixes.size() && address && !found; ++i) {
        if (t_.public_ip_prefixes[prefixes[i]].prefix.contains(*address)) {
          prefix_seen[i] = found = true;
        }
      }
      if (!found) {
        add("egress-ip-missing", subject, id, "", answer.where, answer.pointer);
      }
    }
    for (size_t i = 0; i < ips.size(); ++i) {
      if (!ip_seen[i]) {
        const PublicIp& ip = t_.public_ips[ips[i]];
        add("egress-ip-extra", subject, "", name_or_id(ip) + " " + ip.address.to_string(),
            answer.where, answer.pointer);
      }
    }
    for (size_t i = 0; i < prefixes.size(); ++i) {
      if (!prefix_seen[i]) {
        const PublicIpPrefix& p = t_.public_ip_prefixes[prefixes[i]];
        add("egress-ip-extra", subject, "", name_or_id(p) + " " + p.prefix.to_string(),
            answer.where, answer.pointer);
      }
    }
  }

 private:
  template <class T>
  static std::string name_or_id(const T& e) {
    return e.id.empty() ? e.name : e.id;
  }

  static std::optional<IpAddress> answered_address(const std::string& id,
                                                   const std::vector<PublicIpAnswer>& addresses) {
    for (const PublicIpAnswer& a : addresses) {
      if (iequals(a.id, id) && !a.address.empty()) {
        return IpAddress::parse(a.address);
      }
    }
    return std::nullopt;
  }

  void compare_address(const std::string& subject, const PublicIp& ip, const std::string& id,
                       const std::vector<PublicIpAnswer>& addresses) {
    for (const PublicIpAnswer& a : addresses) {
      if (iequals(a.id, id) && !a.address.empty() && a.address != ip.address.to_string()) {
        add("egress-ip-address", subject + " " + id, a.address, ip.address.to_string(), a.where,
            "");
      }
    }
  }

  // The public IPs and prefixes (azure-behaviour D7) the cluster's load balancer SNATs with:
  // its outbound rules' frontends, or, without outbound rules, every frontend.
  void lb_ips(std::vector<Index>& ips, std::vector<Index>& prefixes) const {
    if (!t_.cluster || t_.cluster->load_balancer == kNoIndex) {
      return;
    }
    const LoadBalancer& lb = t_.load_balancers[t_.cluster->load_balancer];
    std::vector<Index> frontends;
    for (const OutboundRule& rule : lb.outbound_rules) {
      frontends.insert(frontends.end(), rule.frontends.begin(), rule.frontends.end());
    }
    if (lb.outbound_rules.empty()) {
      for (Index f = 0; f < lb.frontends.size(); ++f) {
        frontends.push_back(f);
      }
    }
    for (Index f : frontends) {
      Index ip = f < lb.frontends.size() ? lb.frontends[f].public_ip : kNoIndex;
      if (ip != kNoIndex && std::find(ips.begin(), ips.end(), ip) == ips.end()) {
        ips.push_back(ip);
      }
      Index p = f < lb.frontends.size() ? lb.frontends[f].public_ip_prefix : kNoIndex;
      if (p != kNoIndex && std::find(prefixes.begin(), prefixes.end(), p) == prefixes.end()) {
        prefixes.push_back(p);
      }
    }
  }

  std::vector<Index> cluster_nat_gateways() const {
    std::vector<Index> out;
    if (!t_.cluster) {
      return out;
    }
    if (t_.cluster->nat_gateway != kNoIndex) {
      out.push_back(t_.cluster->nat_gateway);
      return out;
    }
    for (const NodePool& pool : t_.cluster->node_pools) {
      Index g = pool.subnet < t_.subnets.size() ? t_.subnets[pool.subnet].nat_gateway : kNoIndex;
      if (g != kNoIndex && std::find(out.begin(), out.end(), g) == out.end()) {
        out.push_back(g);
      }
    }
    return out;
  }

  void gateway_ips(Index g, std::vector<Index>& ips, std::vector<Index>& prefixes) const {
    const NatGateway& gateway = t_.nat_gateways[g];
    ips.insert(ips.end(), gateway.public_ips.begin(), gateway.public_ips.end());
    prefixes.insert(prefixes.end(), gateway.public_ip_prefixes.begin(),
                    gateway.public_ip_prefixes.end());
  }

  // A NIC named by name or ARM id: a host, a node pool or an appliance, and its subnet.
  Index subnet_of_nic(std::string_view nic) const {
    std::string_view name = last_segment(nic);
    auto matches = [&](const auto& e) { return same_resource(e, nic) || iequals(e.name, name); };
    for (const Host& h : t_.hosts) {
      if (matches(h)) {
        return h.subnet;
      }
    }
    if (t_.cluster) {
      for (const NodePool& p : t_.cluster->node_pools) {
        if (matches(p)) {
          return p.subnet;
        }
      }
    }
    for (const Appliance& a : t_.appliances) {
      if (matches(a)) {
        return a.subnet;
      }
    }
    return kNoIndex;
  }

  // azure-behaviour F1: which subnet a table is of: the file says so (export file name, REST
  // wrapper's NIC), else --nic, else --subnet, else the topology's only subnet.
  Index subnet_of(const EffectiveRouteAnswer& answer) {
    if (!answer.subnet.empty()) {
      if (Index s = t_.find_subnet(answer.subnet); s != kNoIndex) {
        return s;
      }
    }
    if (!answer.nic.empty()) {
      if (Index s = subnet_of_nic(answer.nic); s != kNoIndex) {
        return s;
      }
    }
    if (!opt_.nic.empty()) {
      Index s = subnet_of_nic(opt_.nic);
      if (s == kNoIndex) {
        error(answer.where, "--nic '" + opt_.nic + "': no host, node pool or appliance of " +
                                t_.file + " has that name or id");
      }
      return s;
    }
    if (!opt_.subnet.empty()) {
      Index s = t_.find_subnet(opt_.subnet);
      if (s == kNoIndex) {
        error(answer.where, "--subnet '" + opt_.subnet + "': no such subnet in " + t_.file);
      }
      return s;
    }
    if (answer.subnet.empty() && answer.nic.empty() && t_.subnets.size() == 1) {
      return 0;
    }
    std::string said = !answer.subnet.empty() ? "the file names subnet '" + answer.subnet + "'"
                       : !answer.nic.empty()  ? "the file names NIC '" + answer.nic + "'"
                                              : "the file does not say which NIC they are of";
    if (!answer.subnet.empty() || !answer.nic.empty()) {
      said += ", which " + t_.file + " does not have";
    }
    error(answer.where, "which subnet are these effective routes of? " + said +
                            "; give --nic NAME or --subnet VNET/SUBNET");
    return kNoIndex;
  }

  void add(std::string kind, std::string subject, std::string azure, std::string model,
           const SourceLocation& where, std::string pointer) {
    r_.differences.push_back(Difference{std::move(kind), std::move(subject), std::move(azure),
                                        std::move(model), where, std::move(pointer)});
  }

  void error(const SourceLocation& where, std::string message) {
    r_.errors.push_back(Diagnostic{"check-answer", std::move(message), where});
  }

  const Topology& t_;
  const CheckOptions& opt_;
  CheckResult& r_;
};

}  // namespace

CheckResult check_against_azure(const Topology& topology, const AzureAnswers& answers,
                                const CheckOptions& options) {
  CheckResult result;
  Checker checker(topology, options, result);
  for (const EffectiveRouteAnswer& a : answers.route_tables) {
    checker.route_table(a);
  }
  for (const NextHopAnswer& a : answers.next_hops) {
    checker.next_hop(a);
  }
  for (const EgressIpAnswer& a : answers.egress_ips) {
    checker.egress_ips(a, answers.public_ips);
  }
  if (answers.route_tables.empty() && answers.next_hops.empty() && answers.egress_ips.empty() &&
      result.errors.empty()) {
    result.errors.push_back(
        {"check-nothing",
         "no answer to compare: give effective route tables (az network nic "
         "show-effective-route-table), next-hop answers (az network watcher show-next-hop), a "
         "managed cluster (az aks show) or a NAT gateway",
         {}});
  }
  return result;
}

std::string format_check(const CheckResult& result) {
  std::string out;
  for (const Difference& d : result.differences) {
    out += d.where.file + ": " + d.kind + ": " + d.subject + ": Azure " +
           (d.azure.empty() ? "-" : d.azure) + ", model " + (d.model.empty() ? "-" : d.model) +
           "\n";
  }
  auto counted = [](size_t n, const char* noun) {
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
  };
  const std::string compared = counted(result.routes, "route") + " of " +
                               counted(result.route_tables, "route table") + ", " +
                               counted(result.next_hops, "next hop") + ", " +
                               counted(result.egress_ips, "egress IP") + " compared";
  if (result.differences.empty()) {
    out += "check: no differences (" + compared + ")\n";
  } else {
    out += "check: " + std::to_string(result.differences.size()) + " difference" +
           (result.differences.size() == 1 ? "" : "s") + " (" + compared + ")\n";
  }
  return out;
}

std::string check_to_json(const CheckResult& result) {
  using Json = nlohmann::ordered_json;
  Json list = Json::array();
  auto or_null = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  for (const Difference& d : result.differences) {
    Json j = Json::object();
    j["kind"] = d.kind;
    j["subject"] = d.subject;
    j["azure"] = or_null(d.azure);
    j["model"] = or_null(d.model);
    j["file"] = d.where.file;
    j["pointer"] = or_null(d.pointer);
    list.push_back(std::move(j));
  }
  Json doc = Json::object();
  doc["differences"] = std::move(list);
  doc["compared"] = Json{{"routeTables", result.route_tables},
                         {"routes", result.routes},
                         {"nextHops", result.next_hops},
                         {"egressIps", result.egress_ips}};
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace egress
