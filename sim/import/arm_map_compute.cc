// Load balancers, Azure Firewalls and their policies, NICs (hosts and NVAs), scale sets and
// the AKS cluster (azure-behaviour A4, A9).
#include <algorithm>
#include <set>
#include <tuple>

#include "import/arm_import_internal.h"

namespace egress::arm {
namespace {

std::string optional_id(const Json& j) {
  return j.is_object() && j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>()
                                                                  : std::string();
}

// The host name of a NIC's ip configuration: the NIC's name for the primary one (or the only
// one), NIC.IPCONFIG for the others (azure-behaviour A3).
std::string host_name(const std::string& nic, const Json& config, size_t index, size_t count) {
  Field primary = find_field(config, "", "primary");
  bool is_primary = count == 1 || (primary && primary.value->is_boolean() && *primary.value);
  if (!primary && index == 0) {
    is_primary = true;
  }
  if (is_primary) {
    return nic;
  }
  Field name = find_field(config, "", "name");
  return nic + "." +
         (name && name.value->is_string() ? name.value->get<std::string>() : std::to_string(index));
}

// An IPv4 range FIRST-LAST as the fewest CIDRs that cover exactly it (Azure Firewall rules
// accept ranges; the schema holds prefixes). Empty when it is not an IPv4 range.
std::vector<std::string> range_cidrs(const std::string& text) {
  size_t dash = text.find('-');
  auto first = IpAddress::parse(text.substr(0, dash));
  auto last = dash == std::string::npos ? std::nullopt : IpAddress::parse(text.substr(dash + 1));
  std::vector<std::string> out;
  if (!first || !last || !first->is_v4() || !last->is_v4() || first->v4_bits() > last->v4_bits()) {
    return out;
  }
  uint64_t lo = first->v4_bits();
  const uint64_t hi = last->v4_bits();
  while (lo <= hi) {
    int length = 32;
    while (length > 0) {
      uint64_t size = uint64_t{1} << (32 - (length - 1));
      if (lo % size != 0 || lo + size - 1 > hi) {
        break;
      }
      --length;
    }
    out.push_back(Prefix::of(IpAddress::v4(static_cast<uint32_t>(lo)), length).to_string());
    lo += uint64_t{1} << (32 - length);
  }
  return out;
}

// A firewall rule's addresses: a CIDR stays, an address becomes its /32 or /128, an IPv4
// range its CIDRs, a service tag stays its name; nullopt for what the schema cannot hold.
std::optional<std::vector<std::string>> rule_address(const std::string& text) {
  if (text.find('/') != std::string::npos) {
    return Prefix::parse(text).ok() ? std::optional(std::vector<std::string>{text}) : std::nullopt;
  }
  if (auto a = IpAddress::parse(text)) {
    return std::vector<std::string>{Prefix::host(*a).to_string()};
  }
  if (text.find('-') != std::string::npos && IpAddress::parse(text.substr(0, text.find('-')))) {
    std::vector<std::string> cidrs = range_cidrs(text);
    return cidrs.empty() ? std::nullopt : std::optional(cidrs);
  }
  return std::vector<std::string>{text};
}

// A port as a number, a range ("8000-8080") as written.
Node port_node(const std::string& text) {
  if (!text.empty() && text.size() <= 5 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Node::num(std::stoll(text));
  }
  return Node::str(text);
}

}  // namespace

void Importer::index_compute() {
  std::vector<const Resource*> clusters = of_type("microsoft.containerservice/managedclusters");
  if (!clusters.empty()) {
    cluster_ = clusters.front();
    Field rg = find_field(*cluster_->json, cluster_->pointer, "nodeResourceGroup");
    if (rg && rg.value->is_string()) {
      node_resource_group_ = lower(rg.value->get<std::string>());
    }
    for (size_t i = 1; i < clusters.size(); ++i) {
      finding("extra-cluster",
              "a topology holds one cluster; " + clusters[i]->id + " is left out (" + cluster_->id +
                  " is imported)",
              clusters[i]->file, clusters[i]->pointer.empty() ? "/" : clusters[i]->pointer);
    }
  }
  for (const Resource* fw : of_type("microsoft.network/azurefirewalls")) {
    Field configs = find_field(*fw->json, fw->pointer, "ipConfigurations");
    if (configs && configs.value->is_array()) {
      for (const Json& c : *configs.value) {
        Field ip = find_field(c, "", "privateIPAddress");
        if (ip && ip.value->is_string()) {
          firewall_ips_.push_back(ip.value->get<std::string>());
        }
      }
    }
  }
  for (const Resource* nic : of_type("microsoft.network/networkinterfaces")) {
    if (!node_resource_group_.empty() &&
        lower(resource_group_of(nic->id)) == node_resource_group_) {
      continue;
    }
    Field configs = find_field(*nic->json, nic->pointer, "ipConfigurations");
    if (!configs || !configs.value->is_array()) {
      continue;
    }
    for (size_t i = 0; i < configs.value->size(); ++i) {
      const Json& c = (*configs.value)[i];
      Field pools = find_field(c, "", "loadBalancerBackendAddressPools");
      if (!pools || !pools.value->is_array()) {
        continue;
      }
      for (const Json& pool : *pools.value) {
        std::string id = optional_id(pool);
        if (!id.empty()) {
          pool_members_[id_key(id)].push_back(
              host_name(names_[nic->key], c, i, configs.value->size()));
        }
      }
    }
  }
}

// --- load balancers ------------------------------------------------------------------------

void Importer::map_load_balancers(Node& out) {
  for (const Resource* r : of_type("microsoft.network/loadbalancers")) {
    Obj o(*this, *r->json, r->pointer, r->file);
    const std::string& lb_name = names_[r->key];
    const bool cluster_lb = r->key == cluster_lb_key_;
    o.use({"outboundRules", "inboundNatPools"});
    Node n = Node::map();
    n.set("name", Node::str(lb_name));
    n.set("id", Node::str(r->id));
    if (Field f = o.get("sku"); f && f.value->is_object()) {
      Obj s(*this, *f.value, f.pointer, r->file);
      if (auto sku = s.string("name"); sku && *sku != "Standard") {
        n.set("sku", Node::str(*sku));
      }
      s.use({"tier"});
    }
    std::unordered_map<std::string, std::string> frontends;  // key -> name
    Node fe_list = Node::list();
    if (Field f = o.get("frontendIPConfigurations"); f && f.value->is_array()) {
      for (size_t i = 0; i < f.value->size(); ++i) {
        const Json& fe = (*f.value)[i];
        std::string pointer = f.pointer + "/" + std::to_string(i);
        Obj fo(*this, fe, pointer, r->file);
        fo.use({"inboundNatRules", "inboundNatPools", "outboundRules", "loadBalancingRules"});
        std::string name = fo.string("name").value_or(std::string());
        auto pip = fo.ref("publicIPAddress");
        auto prefix = fo.ref("publicIPPrefix");
        auto private_ip = fo.string("privateIPAddress");
        fo.use({"subnet"});
        Node fn = Node::map();
        fn.set("name", Node::str(name));
        if (!optional_id(fe).empty()) {
          fn.set("id", Node::str(optional_id(fe)));
        }
        if (pip) {
          auto pip_name = resolve_public_ip(*pip, r->file, pointer + "/properties/publicIPAddress");
          if (!pip_name) {
            continue;
          }
          fn.set("publicIp", Node::str(*pip_name));
        } else if (prefix) {
          auto it = prefix_names_.find(id_key(*prefix));
          if (it == prefix_names_.end()) {
            finding("dangling-reference",
                    "public IP prefix " + *prefix + " is not in the snapshot; frontend " + name +
                        " is left out",
                    r->file, pointer);
            continue;
          }
          // azure-behaviour D7: the frontend holds every address of the prefix.
          fn.set("publicIpPrefix", Node::str(it->second));
        } else {
          finding("not-modelled",
                  "frontend " + name + " is private (" + private_ip.value_or("no address") +
                      "): internal load balancing is not modelled; left out",
                  r->file, pointer);
          continue;
        }
        frontends[id_key(optional_id(fe))] = name;
        fe_list.items.push_back(std::move(fn));
      }
    }
    if (!fe_list.items.empty()) {
      n.set("frontends", std::move(fe_list));
    }
    std::unordered_map<std::string, std::string> pools;
    Node pool_list = Node::list();
    if (Field f = o.get("backendAddressPools"); f && f.value->is_array()) {
      for (size_t i = 0; i < f.value->size(); ++i) {
        const Json& pool = (*f.value)[i];
        Obj po(*this, pool, f.pointer + "/" + std::to_string(i), r->file);
        po.use({"backendIPConfigurations", "loadBalancingRules", "outboundRule", "outboundRules",
                "inboundNatRules", "drainPeriodInSeconds", "syncMode", "location",
                "tunnelInterfaces", "virtualNetwork", "loadBalancerBackendAddresses"});
        std::string name = po.string("name").value_or(std::string());
        Node pn = Node::map();
        pn.set("name", Node::str(name));
        std::string id = optional_id(pool);
        if (!id.empty()) {
          pn.set("id", Node::str(id));
        }
        std::vector<std::string> members;
        if (cluster_lb) {
          members = node_pool_names_;
        } else if (auto it = pool_members_.find(id_key(id)); it != pool_members_.end()) {
          members = it->second;
        }
        if (!members.empty()) {
          pn.set("members", Node::strs(members));
        }
        pools[id_key(id)] = name;
        pool_list.items.push_back(std::move(pn));
      }
    }
    if (!pool_list.items.empty()) {
      n.set("backendPools", std::move(pool_list));
    }
    auto frontend_of = [&](const std::string& id, const std::string& rule,
                           const std::string& pointer) -> std::optional<std::string> {
      if (auto it = frontends.find(id_key(id)); it != frontends.end()) {
        return it->second;
      }
      finding("not-modelled",
              "rule " + rule + " uses frontend " + last_segment(id) +
                  ", which is not in the topology; the rule is left out",
              r->file, pointer);
      return std::nullopt;
    };
    auto pool_of = [&](const std::string& id) -> std::optional<std::string> {
      if (auto it = pools.find(id_key(id)); it != pools.end()) {
        return it->second;
      }
      return std::nullopt;
    };
    Node outbound = Node::list();
    for (const Child& c :
         children(*r, "outboundRules", "microsoft.network/loadbalancers/outboundrules")) {
      Obj ro(*this, *c.json, c.pointer, c.file);
      std::string name = ro.string("name").value_or(std::string());
      std::vector<std::string> fes;
      for (const auto& [id, pointer] : ro.refs("frontendIPConfigurations")) {
        if (auto fe = frontend_of(id, name, pointer)) {
          fes.push_back(*fe);
        }
      }
      auto pool = ro.ref("backendAddressPool");
      auto ports = ro.integer("allocatedOutboundPorts");
      auto idle = ro.integer("idleTimeoutInMinutes");
      auto protocol = ro.string("protocol");
      ro.use({"enableTcpReset"});
      std::optional<std::string> pool_name = pool ? pool_of(*pool) : std::nullopt;
      if (fes.empty() || !pool_name) {
        finding(
            "not-modelled",
            "outbound rule " + name + " has no frontend or backend pool in the topology; left out",
            c.file, c.pointer);
        continue;
      }
      Node rn = Node::map();
      rn.set("name", Node::str(name));
      if (!optional_id(*c.json).empty()) {
        rn.set("id", Node::str(optional_id(*c.json)));
      }
      rn.set("frontends", Node::strs(fes));
      rn.set("backendPool", Node::str(*pool_name));
      if (ports) {
        rn.set("allocatedOutboundPorts", Node::num(*ports));
      }
      if (idle) {
        rn.set("idleTimeoutInMinutes", Node::num(*idle));
      }
      if (protocol) {
        rn.set("protocol", Node::str(*protocol));
      }
      outbound.items.push_back(std::move(rn));
    }
    if (!outbound.items.empty()) {
      n.set("outboundRules", std::move(outbound));
    }
    // Load-balancing and inbound NAT rules are read (types checked, frontends resolved) and
    // counted, not modelled yet (azure-behaviour A12): one finding per kind says so.
    auto count_rules = [&](std::string_view member, bool nat) -> size_t {
      size_t count = 0;
      Field f = o.get(member);
      if (!f || !f.value->is_array()) {
        return 0;
      }
      for (size_t i = 0; i < f.value->size(); ++i) {
        const Json& rule = (*f.value)[i];
        std::string pointer = f.pointer + "/" + std::to_string(i);
        Obj ro(*this, rule, pointer, r->file);
        ro.use({"probe", "enableFloatingIP", "idleTimeoutInMinutes", "loadDistribution",
                "enableTcpReset", "enableConnectionTracking", "backendIPConfiguration",
                "backendAddressPool", "backendAddressPools"});
        std::string name = ro.string("name").value_or(std::string());
        auto fe = ro.ref("frontendIPConfiguration");
        ro.string("protocol");
        ro.integer("frontendPort");
        ro.integer("backendPort");
        if (!nat) {
          ro.boolean("disableOutboundSnat");
        } else if (ro.integer("frontendPortRangeStart")) {
          finding("not-modelled",
                  "inbound NAT rule " + name + " maps a port range (a backend pool rule); left out",
                  r->file, pointer);
          ro.integer("frontendPortRangeEnd");
          continue;
        }
        if (fe && frontend_of(*fe, name, pointer)) {
          ++count;
        }
      }
      return count;
    };
    if (size_t n_rules = count_rules("loadBalancingRules", false); n_rules > 0) {
      finding("not-modelled",
              std::to_string(n_rules) +
                  " load-balancing rules: SNAT by load-balancing rules (disableOutboundSnat "
                  "false) and inbound load balancing are not modelled; outbound rules are",
              r->file, find_field(*r->json, r->pointer, "loadBalancingRules").pointer);
    }
    if (size_t n_rules = count_rules("inboundNatRules", true); n_rules > 0) {
      finding("not-modelled",
              std::to_string(n_rules) + " inbound NAT rules: inbound NAT is not modelled", r->file,
              find_field(*r->json, r->pointer, "inboundNatRules").pointer);
    }
    out.items.push_back(std::move(n));
  }
  for (const Resource* r : of_type("microsoft.network/loadbalancers/outboundrules")) {
    if (find(parent_id(r->id)) == nullptr) {
      finding("missing-parent",
              "outbound rule " + r->name + " of load balancer " + parent_id(r->id) +
                  ", which is not in the snapshot: its frontends and pool are unknown; left out",
              r->file, r->pointer.empty() ? "/" : r->pointer);
    }
  }
}

// --- Azure Firewall -------------------------------------------------------------------------

namespace {

struct FirewallRules {
  // (group priority, collection priority, order) -> rule
  std::vector<std::tuple<int64_t, int64_t, size_t, Node>> network;
  std::vector<std::tuple<int64_t, int64_t, size_t, Node>> application;
  std::vector<std::tuple<int64_t, int64_t, size_t, Node>> dnat;
  size_t order = 0;
};

Node sorted_rules(std::vector<std::tuple<int64_t, int64_t, size_t, Node>>& rules) {
  std::stable_sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a), std::get<2>(a)) <
           std::tie(std::get<0>(b), std::get<1>(b), std::get<2>(b));
  });
  Node list = Node::list();
  for (auto& rule : rules) {
    list.items.push_back(std::move(std::get<3>(rule)));
  }
  return list;
}

}  // namespace

// One rule collection (classic or policy) into `rules`. `kind`: "network", "application",
// "nat" for classic collections; policy rules say it per rule (ruleType).
void Importer::map_rule_collection(const Json& collection, const std::string& pointer,
                                   const JsonFile* file, std::string_view kind,
                                   std::optional<int64_t> group_priority, void* out_rules) {
  FirewallRules& rules = *static_cast<FirewallRules*>(out_rules);
  Obj co(*this, collection, pointer, file);
  co.use({"ruleCollectionType"});
  std::string collection_name = co.string("name").value_or(std::string());
  int64_t priority = co.integer("priority").value_or(0);
  std::string action;
  if (Field f = co.get("action"); f && f.value->is_object()) {
    Obj a(*this, *f.value, f.pointer, file);
    action = lower(a.string("type").value_or(""));
  }
  Field list = co.get("rules");
  if (!list || !list.value->is_array()) {
    return;
  }
  for (size_t i = 0; i < list.value->size(); ++i) {
    const Json& rule = (*list.value)[i];
    std::string rp = list.pointer + "/" + std::to_string(i);
    Obj ro(*this, rule, rp, file);
    std::string name = ro.string("name").value_or(std::string());
    std::string rule_kind(kind);
    if (auto type = ro.string("ruleType")) {
      rule_kind = *type == "NetworkRule"       ? "network"
                  : *type == "ApplicationRule" ? "application"
                  : *type == "NatRule"         ? "nat"
                                               : *type;
    }
    bool drop = false;
    auto not_modelled = [&](const char* member, const std::string& why) {
      Field f = ro.get(member);
      if (f && !(f.value->is_array() && f.value->empty())) {
        finding("not-modelled", "firewall rule " + name + ": " + why + "; the rule is left out",
                file, f.pointer);
        drop = true;
      }
    };
    not_modelled("sourceIpGroups", "IP groups are not in the snapshot's model");
    not_modelled("destinationIpGroups", "IP groups are not in the snapshot's model");
    auto addresses = [&](const char* member) {
      std::vector<std::string> out;
      for (const std::string& a : ro.strings(member)) {
        if (a == "*") {
          return std::vector<std::string>{};
        }
        auto mapped = rule_address(a);
        if (!mapped) {
          finding("not-modelled",
                  "firewall rule " + name + ": address '" + a +
                      "' is not modelled (an IPv6 range?); the rule is left out",
                  file, find_field(rule, rp, member).pointer);
          drop = true;
          continue;
        }
        if (mapped->size() == 1 && mapped->front().find('/') == std::string::npos) {
          const std::string& tag = mapped->front();
          if (service_tags_.count(tag) == 0 && tag != "Internet" && tag != "VirtualNetwork") {
            finding("not-modelled",
                    "firewall rule " + name + " names the service tag '" + tag +
                        "', whose prefixes are not in the snapshot; the rule is left out",
                    file, find_field(rule, rp, member).pointer);
            drop = true;
            continue;
          }
          used_service_tags_.push_back(tag);
        }
        out.insert(out.end(), mapped->begin(), mapped->end());
      }
      return out;
    };
    Node n = Node::map();
    n.set("name", Node::str(name));
    std::vector<std::string> sources = addresses("sourceAddresses");
    if (rule_kind == "network") {
      n.set("action", Node::str(action.empty() ? "allow" : action));
      Node protocols = Node::list();
      for (const char* member : {"protocols", "ipProtocols"}) {
        for (const std::string& p : ro.strings(member)) {
          if (lower(p) == "any") {
            protocols.items.clear();
            break;
          }
          protocols.items.push_back(Node::str(lower(p)));
        }
      }
      if (!protocols.items.empty()) {
        n.set("protocols", std::move(protocols));
      }
      if (!sources.empty()) {
        n.set("sources", Node::strs(sources));
      }
      std::vector<std::string> destinations = addresses("destinationAddresses");
      if (!destinations.empty()) {
        n.set("destinations", Node::strs(destinations));
      }
      std::vector<std::string> fqdns = ro.strings("destinationFqdns");
      if (!fqdns.empty()) {
        n.set("destinationFqdns", Node::strs(fqdns));
      }
      Node ports = Node::list();
      for (const std::string& p : ro.strings("destinationPorts")) {
        if (p == "*") {
          ports.items.clear();
          break;
        }
        ports.items.push_back(port_node(p));
      }
      if (!ports.items.empty()) {
        n.set("ports", std::move(ports));
      }
    } else if (rule_kind == "application") {
      n.set("action", Node::str(action.empty() ? "allow" : action));
      not_modelled("targetUrls", "URL rules need TLS inspection, which is not modelled");
      not_modelled("webCategories", "web categories are not modelled");
      not_modelled("destinationAddresses", "application rules to addresses are not modelled");
      ro.use({"terminateTLS", "httpHeadersToInsert"});
      if (!sources.empty()) {
        n.set("sources", Node::strs(sources));
      }
      Node protocols = Node::list();
      if (Field f = ro.get("protocols"); f && f.value->is_array()) {
        for (size_t k = 0; k < f.value->size(); ++k) {
          Obj po(*this, (*f.value)[k], f.pointer + "/" + std::to_string(k), file);
          auto type = po.string("protocolType");
          auto port = po.integer("port");
          if (type) {
            protocols.items.push_back(
                Node::str(*type + (port ? ":" + std::to_string(*port) : std::string())));
          }
        }
      }
      if (!protocols.items.empty()) {
        n.set("protocols", std::move(protocols));
      }
      std::vector<std::string> fqdns = ro.strings("targetFqdns");
      if (!fqdns.empty()) {
        n.set("targetFqdns", Node::strs(fqdns));
      }
      std::vector<std::string> tags = ro.strings("fqdnTags");
      if (!tags.empty()) {
        n.set("fqdnTags", Node::strs(tags));
      }
    } else if (rule_kind == "nat") {
      if (!sources.empty()) {
        n.set("sources", Node::strs(sources));
      }
      Node protocols = Node::list();
      for (const char* member : {"protocols", "ipProtocols"}) {
        for (const std::string& p : ro.strings(member)) {
          protocols.items.push_back(Node::str(lower(p)));
        }
      }
      if (!protocols.items.empty()) {
        n.set("protocols", std::move(protocols));
      }
      std::vector<std::string> destinations;
      for (const std::string& d : ro.strings("destinationAddresses")) {
        destinations.push_back(d);
      }
      if (!destinations.empty()) {
        n.set("destinations", Node::strs(destinations));
      }
      Node ports = Node::list();
      for (const std::string& p : ro.strings("destinationPorts")) {
        ports.items.push_back(port_node(p));
      }
      if (!ports.items.empty()) {
        n.set("ports", std::move(ports));
      }
      not_modelled("translatedFqdn", "DNAT to an FQDN is not modelled");
      if (auto a = ro.string("translatedAddress")) {
        n.set("translatedAddress", Node::str(*a));
      }
      if (auto p = ro.integer("translatedPort")) {
        n.set("translatedPort", Node::num(*p));
      }
    } else {
      finding("not-modelled", "firewall rule " + name + " of type " + rule_kind + "; left out",
              file, rp);
      continue;
    }
    if (drop) {
      continue;
    }
    n.set("collection", Node::str(collection_name));
    n.set("priority", Node::num(priority));
    if (group_priority) {
      n.set("groupPriority", Node::num(*group_priority));
    }
    auto& target = rule_kind == "network"       ? rules.network
                   : rule_kind == "application" ? rules.application
                                                : rules.dnat;
    target.emplace_back(group_priority.value_or(0), priority, rules.order++, std::move(n));
  }
}

void Importer::map_firewalls(Node& appliances) {
  for (const Resource* r : of_type("microsoft.network/azurefirewalls")) {
    Obj o(*this, *r->json, r->pointer, r->file);
    o.use({"ipConfigurations", "networkRuleCollections", "applicationRuleCollections",
           "natRuleCollections", "ipGroups"});
    const std::string& name = names_[r->key];
    Node n = Node::map();
    n.set("name", Node::str(name));
    n.set("id", Node::str(r->id));
    n.set("type", Node::str("AzureFirewall"));
    if (Field f = o.get("sku"); f && f.value->is_object()) {
      Obj s(*this, *f.value, f.pointer, r->file);
      s.use({"tier"});
      if (auto sku = s.string("name"); sku && *sku != "AZFW_VNet") {
        finding("not-modelled",
                "firewall " + name + " is " + *sku +
                    " (in a virtual hub); only AZFW_VNet is "
                    "modelled; left out",
                r->file, f.pointer);
        continue;
      }
    }
    std::string subnet;
    std::string private_ip;
    std::vector<std::string> public_ips;
    if (Field f = o.get("ipConfigurations"); f && f.value->is_array()) {
      for (size_t i = 0; i < f.value->size(); ++i) {
        std::string pointer = f.pointer + "/" + std::to_string(i);
        Obj c(*this, (*f.value)[i], pointer, r->file);
        auto subnet_id = c.ref("subnet");
        auto ip = c.string("privateIPAddress");
        if (subnet_id && subnet.empty()) {
          if (auto s = resolve_subnet(*subnet_id, r->file,
                                      find_field((*f.value)[i], pointer, "subnet").pointer)) {
            subnet = *s;
          }
        }
        if (ip && private_ip.empty()) {
          private_ip = *ip;
        }
        if (auto pip = c.ref("publicIPAddress")) {
          if (auto pip_name = resolve_public_ip(
                  *pip, r->file, find_field((*f.value)[i], pointer, "publicIPAddress").pointer)) {
            public_ips.push_back(*pip_name);
          }
        }
      }
    }
    if (subnet.empty() || private_ip.empty()) {
      finding("not-modelled",
              "firewall " + name + " has no subnet in the snapshot or no private IP; left out",
              r->file, r->pointer.empty() ? "/" : r->pointer);
      continue;
    }
    n.set("subnet", Node::str(subnet));
    n.set("privateIp", Node::str(private_ip));
    if (!public_ips.empty()) {
      n.set("publicIps", Node::strs(public_ips));
    }
    if (Field f = o.get("autoscaleConfiguration"); f && f.value->is_object()) {
      Obj a(*this, *f.value, f.pointer, r->file);
      a.use({"maxCapacity"});
      if (auto min = a.integer("minCapacity")) {
        n.set("instances", Node::num(*min));
      }
    }
    if (auto mode = o.string("threatIntelMode"); mode && *mode == "Deny") {
      finding("not-modelled", "threat intelligence in Deny mode is not modelled", r->file,
              find_field(*r->json, r->pointer, "threatIntelMode").pointer);
    }
    FirewallRules rules;
    struct Classic {
      const char* member;
      const char* kind;
    };
    for (const Classic& classic : {Classic{"networkRuleCollections", "network"},
                                   Classic{"applicationRuleCollections", "application"},
                                   Classic{"natRuleCollections", "nat"}}) {
      Field f = find_field(*r->json, r->pointer, classic.member);
      if (!f || !f.value->is_array()) {
        continue;
      }
      for (size_t i = 0; i < f.value->size(); ++i) {
        map_rule_collection((*f.value)[i], f.pointer + "/" + std::to_string(i), r->file,
                            classic.kind, std::nullopt, &rules);
      }
    }
    std::vector<std::string> private_ranges;
    if (auto policy_id = o.ref("firewallPolicy")) {
      const Resource* policy = find(*policy_id);
      if (policy == nullptr || policy->type != "microsoft.network/firewallpolicies") {
        finding("dangling-reference",
                "firewall policy " + *policy_id +
                    " is not in the snapshot; the firewall's policy rules are unknown",
                r->file, find_field(*r->json, r->pointer, "firewallPolicy").pointer);
      } else {
        map_policy(*policy, private_ranges, &rules);
      }
    }
    if (!private_ranges.empty()) {
      n.set("privateRanges", Node::strs(private_ranges));
    }
    if (!rules.network.empty()) {
      n.set("rules", sorted_rules(rules.network));
    }
    if (!rules.application.empty()) {
      n.set("applicationRules", sorted_rules(rules.application));
    }
    if (!rules.dnat.empty()) {
      n.set("dnatRules", sorted_rules(rules.dnat));
    }
    appliances.items.push_back(std::move(n));
  }
}

void Importer::map_policy(const Resource& policy, std::vector<std::string>& private_ranges,
                          void* out_rules) {
  if (mapped_policies_.insert(policy.key).second) {
    // Read once for findings, however many firewalls share it.
    Obj o(*this, *policy.json, policy.pointer, policy.file);
    o.use({"ruleCollectionGroups", "firewalls", "childPolicies", "snat", "threatIntelMode", "sku",
           "dnsSettings", "size"});
    if (auto base = o.ref("basePolicy")) {
      finding("not-modelled",
              "the base policy's rules are not merged in (import them into this policy)",
              policy.file, find_field(*policy.json, policy.pointer, "basePolicy").pointer);
    }
    if (Field f = find_field(*policy.json, policy.pointer, "snat"); f && f.value->is_object()) {
      Obj s(*this, *f.value, f.pointer, policy.file);
      s.get("privateRanges");
      if (auto learn = s.string("autoLearnPrivateRanges"); learn && *learn == "Enabled") {
        finding("not-modelled",
                "autoLearnPrivateRanges: the ranges Azure learns are not in the snapshot",
                policy.file, f.pointer + "/autoLearnPrivateRanges");
      }
    }
  }
  if (Field f = find_field(*policy.json, policy.pointer, "snat"); f && f.value->is_object()) {
    if (Field ranges = find_field(*f.value, f.pointer, "privateRanges");
        ranges && ranges.value->is_array()) {
      for (const Json& range : *ranges.value) {
        if (range.is_string()) {
          private_ranges.push_back(range.get<std::string>());
        }
      }
    }
  }
  // Rule collection groups: standalone resources (az network firewall policy
  // rule-collection-group list), or embedded when a tool inlined them.
  std::vector<Child> groups;
  auto standalone = standalone_children_.find(policy.key);
  if (standalone != standalone_children_.end()) {
    for (size_t i : standalone->second) {
      const Resource& g = resources_[i];
      if (g.type == "microsoft.network/firewallpolicies/rulecollectiongroups") {
        groups.push_back(Child{g.json, g.file, g.pointer});
      }
    }
  }
  if (groups.empty()) {
    Field embedded = find_field(*policy.json, policy.pointer, "ruleCollectionGroups");
    if (embedded && embedded.value->is_array()) {
      for (size_t i = 0; i < embedded.value->size(); ++i) {
        const Json& g = (*embedded.value)[i];
        if (find_field(g, "", "ruleCollections")) {
          groups.push_back(Child{&g, policy.file, embedded.pointer + "/" + std::to_string(i)});
        } else if (!optional_id(g).empty()) {
          finding("dangling-reference",
                  "rule collection group " + optional_id(g) +
                      " is not in the snapshot (az network firewall policy "
                      "rule-collection-group list); its rules are unknown",
                  policy.file, embedded.pointer + "/" + std::to_string(i));
        }
      }
    }
  }
  const bool first_time = mapped_groups_.insert(policy.key).second;
  for (const Child& g : groups) {
    std::optional<Obj> go;
    if (first_time) {
      go.emplace(*this, *g.json, g.pointer, g.file);
      go->use({"ruleCollections", "size"});
    }
    Field priority = find_field(*g.json, g.pointer, "priority");
    std::optional<int64_t> group_priority;
    if (priority && priority.value->is_number_integer()) {
      group_priority = priority.value->get<int64_t>();
    }
    if (go) {
      go->use({"priority"});
    }
    Field collections = find_field(*g.json, g.pointer, "ruleCollections");
    if (!collections || !collections.value->is_array()) {
      continue;
    }
    for (size_t i = 0; i < collections.value->size(); ++i) {
      map_rule_collection((*collections.value)[i], collections.pointer + "/" + std::to_string(i),
                          g.file, "", group_priority, out_rules);
    }
  }
}

// --- NICs: hosts and network virtual appliances ----------------------------------------------

void Importer::map_nics(Node& hosts, Node& appliances) {
  size_t node_nics = 0;
  const Resource* first_node_nic = nullptr;
  for (const Resource* r : of_type("microsoft.network/networkinterfaces")) {
    if (!node_resource_group_.empty() && lower(resource_group_of(r->id)) == node_resource_group_) {
      ++node_nics;
      first_node_nic = first_node_nic == nullptr ? r : first_node_nic;
      continue;
    }
    Obj o(*this, *r->json, r->pointer, r->file);
    o.use({"virtualMachine", "primary", "privateEndpoint", "privateLinkService", "migrationPhase",
           "workloadType", "defaultOutboundConnectivityEnabled", "disableTcpStateTracking",
           "ipConfigurations", "vnetEncryptionSupported", "nicType"});
    if (Field pe = find_field(*r->json, r->pointer, "privateEndpoint"); pe) {
      continue;  // the private endpoint's NIC: privateEndpoints models it
    }
    const std::string& nic_name = names_[r->key];
    std::optional<std::string> nsg;
    if (auto id = o.ref("networkSecurityGroup")) {
      nsg = resolve("microsoft.network/networksecuritygroups", *id, "NSG", r->file,
                    find_field(*r->json, r->pointer, "networkSecurityGroup").pointer);
    }
    bool forwarding = o.boolean("enableIPForwarding").value_or(false);
    Field configs = find_field(*r->json, r->pointer, "ipConfigurations");
    if (!configs || !configs.value->is_array()) {
      continue;
    }
    for (size_t i = 0; i < configs.value->size(); ++i) {
      const Json& config = (*configs.value)[i];
      std::string pointer = configs.pointer + "/" + std::to_string(i);
      Obj c(*this, config, pointer, r->file);
      c.use({"primary", "loadBalancerBackendAddressPools", "loadBalancerInboundNatRules",
             "applicationGatewayBackendAddressPools", "privateLinkConnectionProperties",
             "virtualNetworkTaps", "privateIPAddressPrefixLength"});
      auto address = c.string("privateIPAddress");
      auto subnet_id = c.ref("subnet");
      auto pip = c.ref("publicIPAddress");
      std::vector<std::string> asgs;
      for (const auto& [id, p] : c.refs("applicationSecurityGroups")) {
        if (auto it = asg_names_.find(id_key(id)); it != asg_names_.end()) {
          asgs.push_back(it->second);
        } else {
          finding("dangling-reference",
                  "application security group " + id + " is not in the snapshot; left out", r->file,
                  p);
        }
      }
      if (!address || !subnet_id) {
        continue;
      }
      if (address->find('/') != std::string::npos) {
        finding("not-modelled",
                "ip configuration with the prefix " + *address +
                    " (a NIC IP prefix) is not modelled; left out",
                r->file, pointer + "/properties/privateIPAddress");
        continue;
      }
      if (std::find(firewall_ips_.begin(), firewall_ips_.end(), *address) != firewall_ips_.end()) {
        continue;
      }
      auto subnet =
          resolve_subnet(*subnet_id, r->file, find_field(config, pointer, "subnet").pointer);
      if (!subnet) {
        continue;
      }
      std::optional<std::string> pip_name;
      if (pip) {
        pip_name = resolve_public_ip(*pip, r->file,
                                     find_field(config, pointer, "publicIPAddress").pointer);
      }
      std::string name = host_name(nic_name, config, i, configs.value->size());
      std::string id = name == nic_name ? r->id : optional_id(config);
      Node n = Node::map();
      n.set("name", Node::str(name));
      n.set("id", Node::str(id.empty() ? r->id : id));
      // azure-behaviour A10: a NIC whose address is a VirtualAppliance next hop is the
      // appliance those routes name.
      if (std::binary_search(next_hop_ips_.begin(), next_hop_ips_.end(), *address)) {
        n.set("type", Node::str("NetworkVirtualAppliance"));
        n.set("subnet", Node::str(*subnet));
        n.set("privateIp", Node::str(*address));
        n.set("ipForwarding", Node::boolean(forwarding));
        if (pip_name) {
          n.set("publicIps", Node::strs({*pip_name}));
        }
        if (nsg) {
          n.set("nsg", Node::str(*nsg));
        }
        appliances.items.push_back(std::move(n));
        continue;
      }
      n.set("subnet", Node::str(*subnet));
      n.set("address", Node::str(*address));
      if (pip_name) {
        n.set("publicIp", Node::str(*pip_name));
      }
      if (nsg) {
        n.set("nsg", Node::str(*nsg));
      }
      if (forwarding) {
        finding("not-modelled",
                "NIC " + name +
                    " has IP forwarding on but no route names its address as a "
                    "VirtualAppliance next hop; it is modelled as a host, which forwards nothing",
                r->file, find_field(*r->json, r->pointer, "enableIPForwarding").pointer);
      }
      if (!asgs.empty()) {
        n.set("applicationSecurityGroups", Node::strs(asgs));
      }
      hosts.items.push_back(std::move(n));
    }
  }
  if (node_nics > 0) {
    finding("synthesised",
            std::to_string(node_nics) +
                " NIC(s) in the cluster's node resource group are AKS nodes: the node pools "
                "model them",
            first_node_nic->file, first_node_nic->pointer.empty() ? "/" : first_node_nic->pointer);
  }
  for (const Resource* r : of_type("microsoft.compute/virtualmachinescalesets")) {
    bool aks =
        !node_resource_group_.empty() && lower(resource_group_of(r->id)) == node_resource_group_;
    if (!aks) {
      finding("not-modelled",
              "scale set " + r->name +
                  " is not an AKS node pool; its instances' NICs (az vmss nic list) are not in "
                  "the snapshot",
              r->file, r->pointer.empty() ? "/" : r->pointer);
    }
  }
}

// --- the AKS cluster -----------------------------------------------------------------------

void Importer::map_cluster(Node& root) {
  if (cluster_ == nullptr) {
    return;
  }
  const Resource& r = *cluster_;
  Obj o(*this, *r.json, r.pointer, r.file);
  // azure-behaviour A5: what a cluster says about itself that cannot change a packet's path.
  o.use({"kubernetesVersion",
         "currentKubernetesVersion",
         "dnsPrefix",
         "fqdn",
         "azurePortalFQDN",
         "privateFQDN",
         "fqdnSubdomain",
         "linuxProfile",
         "windowsProfile",
         "servicePrincipalProfile",
         "identityProfile",
         "addonProfiles",
         "enableRBAC",
         "aadProfile",
         "autoScalerProfile",
         "autoUpgradeProfile",
         "diskEncryptionSetID",
         "maxAgentPools",
         "nodeResourceGroup",
         "powerState",
         "sku",
         "securityProfile",
         "storageProfile",
         "oidcIssuerProfile",
         "workloadAutoScalerProfile",
         "upgradeSettings",
         "supportPlan",
         "metricsProfile",
         "azureMonitorProfile",
         "nodeResourceGroupProfile",
         "podIdentityProfile",
         "serviceMeshProfile",
         "disableLocalAccounts",
         "httpProxyConfig",
         "agentPoolProfiles",
         "networkProfile",
         "apiServerAccessProfile",
         "eTag",
         "resourceUID",
         "nodeProvisioningProfile",
         "bootstrapProfile",
         "aiToolchainOperatorProfile",
         "enableNamespaceResources",
         "kind",
         "status"});
  if (find_field(*r.json, r.pointer, "httpProxyConfig")) {
    finding("not-modelled", "the cluster's HTTP proxy (httpProxyConfig) is not modelled", r.file,
            find_field(*r.json, r.pointer, "httpProxyConfig").pointer);
  }
  Node c = Node::map();
  c.set("name", Node::str(r.name));
  c.set("id", Node::str(r.id));
  std::string outbound = "loadBalancer";
  std::string plugin;
  std::string plugin_mode;
  std::vector<std::string> pod_cidrs;
  std::vector<std::string> service_cidrs;
  std::vector<std::string> families;
  std::string lb_sku;
  std::string np_pointer;
  const Json* lb_profile = nullptr;
  std::string lb_profile_pointer;
  const Json* nat_profile = nullptr;
  std::string nat_profile_pointer;
  if (Field f = find_field(*r.json, r.pointer, "networkProfile"); f && f.value->is_object()) {
    np_pointer = f.pointer;
    Obj np(*this, *f.value, f.pointer, r.file);
    np.use({"dnsServiceIP", "dockerBridgeCidr", "loadBalancerProfile", "natGatewayProfile",
            "networkDataplane", "networkMode", "kubeProxyConfig", "monitoring"});
    outbound = np.string("outboundType").value_or("loadBalancer");
    plugin = np.string("networkPlugin").value_or("");
    plugin_mode = np.string("networkPluginMode").value_or("");
    lb_sku = lower(np.string("loadBalancerSku").value_or(""));
    pod_cidrs = np.strings("podCidrs");
    if (auto single = np.string("podCidr"); single && pod_cidrs.empty()) {
      pod_cidrs.push_back(*single);
    }
    service_cidrs = np.strings("serviceCidrs");
    if (auto single = np.string("serviceCidr"); single && service_cidrs.empty()) {
      service_cidrs.push_back(*single);
    }
    families = np.strings("ipFamilies");
    if (auto policy = np.string("networkPolicy"); policy && *policy != "none") {
      finding("not-modelled",
              "networkPolicy " + *policy + ": Kubernetes network policies are not in the snapshot",
              r.file, f.pointer + "/networkPolicy");
    }
    if (Field lb = find_field(*f.value, f.pointer, "loadBalancerProfile");
        lb && lb.value->is_object()) {
      lb_profile = lb.value;
      lb_profile_pointer = lb.pointer;
    }
    if (Field nat = find_field(*f.value, f.pointer, "natGatewayProfile");
        nat && nat.value->is_object()) {
      nat_profile = nat.value;
      nat_profile_pointer = nat.pointer;
    }
    if (Field eg = find_field(*f.value, f.pointer, "staticEgressGatewayProfile");
        eg && eg.value->is_object() && eg.value->value("enabled", false)) {
      finding("not-modelled", "static egress gateways are not modelled", r.file, eg.pointer);
    }
    np.use({"staticEgressGatewayProfile", "networkPolicy", "advancedNetworking",
            "podLinkLocalAccess"});
  }
  // azure-behaviour A9: outbound types as the schema spells them.
  std::string nat_sku;
  if (outbound == "managedNATGatewayV2") {
    outbound = "managedNATGateway";
    nat_sku = "StandardV2";
  }
  c.set("outboundType", Node::str(outbound));
  // Node pools: their subnets decide the VNet mode.
  struct Pool {
    std::string name, id, subnet;
    int64_t count = 0;
    bool public_ip = false;
    std::string public_ip_prefix;
    std::optional<int64_t> max_pods;
    std::string pointer;  // the agent pool profile's
  };
  std::vector<Pool> pools;
  bool managed = false;
  bool byo = false;
  std::string vm_set_type;
  if (Field f = find_field(*r.json, r.pointer, "agentPoolProfiles"); f && f.value->is_array()) {
    for (size_t i = 0; i < f.value->size(); ++i) {
      std::string pointer = f.pointer + "/" + std::to_string(i);
      Obj p(*this, (*f.value)[i], pointer, r.file);
      p.use({"availabilityZones",
             "currentOrchestratorVersion",
             "eTag",
             "nodeImageVersion",
             "orchestratorVersion",
             "osType",
             "osSKU",
             "osDiskSizeGB",
             "osDiskType",
             "upgradeSettings",
             "vmSize",
             "mode",
             "scaleDownMode",
             "powerState",
             "enableAutoScaling",
             "minCount",
             "maxCount",
             "nodeLabels",
             "nodeTaints",
             "tags",
             "kubeletDiskType",
             "enableEncryptionAtHost",
             "enableFIPS",
             "enableUltraSSD",
             "kubeletConfig",
             "linuxOSConfig",
             "spotMaxPrice",
             "scaleSetPriority",
             "scaleSetEvictionPolicy",
             "securityProfile",
             "gpuInstanceProfile",
             "workloadRuntime",
             "creationData",
             "hostGroupID",
             "capacityReservationGroupID",
             "proximityPlacementGroupID",
             "windowsProfile",
             "gpuProfile",
             "messageOfTheDay",
             "virtualMachinesProfile",
             "virtualMachineNodesStatus",
             "podIPAllocationMode",
             "artifactStreamingProfile",
             "networkProfile",
             "status",
             "localDNSProfile",
             "gatewayProfile"});
      Pool pool;
      pool.name = p.string("name").value_or(std::string());
      pool.id = r.id + "/agentPools/" + pool.name;
      pool.count = p.integer("count").value_or(0);
      pool.public_ip = p.boolean("enableNodePublicIP").value_or(false);
      pool.pointer = pointer;
      pool.max_pods = p.integer("maxPods");
      if (auto type = p.string("type")) {
        if (*type == "AvailabilitySet") {
          vm_set_type = *type;
        } else if (*type != "VirtualMachineScaleSets") {
          finding("not-modelled",
                  "agent pool type " + *type + " is modelled as VirtualMachineScaleSets", r.file,
                  pointer + "/type");
        }
      }
      if (auto prefix = p.string("nodePublicIPPrefixID")) {
        if (auto it = prefix_names_.find(id_key(*prefix)); it != prefix_names_.end()) {
          pool.public_ip_prefix = it->second;
        } else {
          finding("dangling-reference",
                  "public IP prefix " + *prefix +
                      " is not in the snapshot; node public IPs come from no known prefix",
                  r.file, pointer + "/nodePublicIPPrefixID");
        }
      }
      if (auto pod_subnet = p.string("podSubnetID")) {
        finding("not-modelled",
                "pods in their own subnet (podSubnetID) are modelled as pods on the node subnet",
                r.file, pointer + "/podSubnetID");
      }
      if (auto subnet = p.string("vnetSubnetID")) {
        byo = true;
        auto name = resolve_subnet(*subnet, r.file, pointer + "/vnetSubnetID");
        if (!name) {
          continue;
        }
        pool.subnet = *name;
      } else {
        managed = true;
      }
      pools.push_back(std::move(pool));
    }
  }
  // VMSS capacities in the node resource group say how many nodes run now.
  for (const Resource* vmss : of_type("microsoft.compute/virtualmachinescalesets")) {
    if (lower(resource_group_of(vmss->id)) != node_resource_group_) {
      continue;
    }
    const Json* tags = vmss->json->contains("tags") ? &(*vmss->json)["tags"] : nullptr;
    std::string pool_name = tags != nullptr && tags->is_object()
                                ? tags->value("aks-managed-poolName", std::string())
                                : std::string();
    Obj v(*this, *vmss->json, vmss->pointer, vmss->file);
    v.use({"virtualMachineProfile", "upgradePolicy", "overprovision", "singlePlacementGroup",
           "platformFaultDomainCount", "orchestrationMode", "uniqueId", "timeCreated",
           "doNotRunExtensionsOnOverprovisionedVMs", "automaticRepairsPolicy", "scaleInPolicy",
           "additionalCapabilities", "zoneBalance", "proximityPlacementGroup"});
    std::optional<int64_t> capacity;
    if (Field sku = v.get("sku"); sku && sku.value->is_object()) {
      Obj s(*this, *sku.value, sku.pointer, vmss->file);
      s.use({"name", "tier"});
      capacity = s.integer("capacity");
    }
    for (Pool& pool : pools) {
      if (!pool_name.empty() && lower(pool.name) == lower(pool_name) && capacity &&
          *capacity != pool.count) {
        finding("inconsistent-value",
                "scale set " + vmss->name + " runs " + std::to_string(*capacity) +
                    " instances where agent pool " + pool.name + " says count " +
                    std::to_string(pool.count) + "; the scale set's count is used",
                vmss->file, vmss->pointer + "/sku/capacity");
        pool.count = *capacity;
      }
    }
  }
  // azure-behaviour A9: no vnetSubnetID is the AKS-managed VNet, 10.224.0.0/12 with the node
  // subnet aks-subnet 10.224.0.0/16; its real name (aks-vnet-NNNNNNNN) is in the node resource
  // group, used when the snapshot holds it.
  if (managed) {
    std::string found;
    for (const Resource* vnet : of_type("microsoft.network/virtualnetworks")) {
      if (lower(resource_group_of(vnet->id)) == node_resource_group_ &&
          lower(vnet->name).rfind("aks-vnet", 0) == 0) {
        found = names_[vnet->key] + "/aks-subnet";
        break;
      }
    }
    if (found.empty()) {
      std::string vnet_id = "/subscriptions/" + [&] {
        std::string lower_id = lower(r.id);
        size_t at = lower_id.find("/subscriptions/");
        size_t start = at == std::string::npos ? 0 : at + 15;
        size_t end = r.id.find('/', start);
        return r.id.substr(start, end == std::string::npos ? std::string::npos : end - start);
      }() + "/resourceGroups/" + (node_resource_group_.empty() ? std::string("MC_") : [&] {
        Field rg = find_field(*r.json, r.pointer, "nodeResourceGroup");
        return rg.value->get<std::string>();
      }()) + "/providers/Microsoft.Network/virtualNetworks/aks-vnet";
      Node vnet = Node::map();
      vnet.set("name", Node::str("aks-vnet"));
      vnet.set("id", Node::str(vnet_id));
      vnet.set("addressSpace", Node::strs({"10.224.0.0/12"}));
      Node subnet = Node::map();
      subnet.set("name", Node::str("aks-subnet"));
      subnet.set("id", Node::str(vnet_id + "/subnets/aks-subnet"));
      subnet.set("addressPrefix", Node::str("10.224.0.0/16"));
      Node subnets = Node::list();
      subnets.items.push_back(std::move(subnet));
      vnet.set("subnets", std::move(subnets));
      synthesised_vnets_.items.push_back(std::move(vnet));
      found = "aks-vnet/aks-subnet";
      finding("synthesised",
              "agent pools without vnetSubnetID use the AKS-managed VNet, which is not in the "
              "snapshot: made as aks-vnet 10.224.0.0/12 with aks-subnet 10.224.0.0/16 "
              "(AKS's documented defaults)",
              r.file, r.pointer.empty() ? "/" : r.pointer);
    }
    managed_subnet_ = found;
    for (Pool& pool : pools) {
      if (pool.subnet.empty()) {
        pool.subnet = found;
      }
    }
  }
  c.set("vnetMode", Node::str(byo && !managed ? "byo" : "managed"));
  if (byo && managed) {
    finding("not-modelled",
            "some agent pools have their own subnet and some use the managed VNet; vnetMode is "
            "managed",
            r.file, r.pointer.empty() ? "/" : r.pointer);
  }
  if (!vm_set_type.empty()) {
    c.set("vmSetType", Node::str(vm_set_type));
  }
  if (!lb_sku.empty()) {
    c.set("loadBalancerSku", Node::str(lb_sku));
  }
  if (plugin == "kubenet") {
    c.set("networkPlugin", Node::str("kubenet"));
  } else if (plugin == "azure") {
    c.set("networkPlugin", Node::str(plugin_mode == "overlay" ? "azure-overlay" : "azure"));
  } else if (!plugin.empty()) {
    finding("not-modelled", "networkPlugin " + plugin + " is not modelled; kubenet is assumed",
            r.file, np_pointer + "/networkPlugin");
  }
  const bool pod_cidr_used = plugin == "kubenet" || plugin_mode == "overlay";
  if (pod_cidr_used && pod_cidrs.size() == 1) {
    c.set("podCidr", Node::str(pod_cidrs[0]));
  } else if (pod_cidr_used && pod_cidrs.size() > 1) {
    c.set("podCidrs", Node::strs(pod_cidrs));
  }
  if (!service_cidrs.empty()) {
    c.set("serviceCidrs", Node::strs(service_cidrs));
  }
  if (families.size() > 1) {
    c.set("ipFamilies", Node::strs(families));
  }
  if (plugin == "azure" && plugin_mode != "overlay") {
    int64_t max_pods = 0;
    for (const Pool& pool : pools) {
      max_pods = std::max(max_pods, pool.max_pods.value_or(30));
    }
    if (max_pods > 0) {
      c.set("maxPods", Node::num(max_pods));
    }
  }
  if (pools.empty()) {
    finding("not-modelled",
            "the cluster has no agent pool in a subnet of the snapshot; the cluster is left out",
            r.file, r.pointer.empty() ? "/" : r.pointer);
    cluster_ = nullptr;
    return;
  }
  Node pool_list = Node::list();
  for (const Pool& pool : pools) {
    Node p = Node::map();
    p.set("name", Node::str(pool.name));
    p.set("id", Node::str(pool.id));
    p.set("subnet", Node::str(pool.subnet));
    p.set("nodes", Node::num(pool.count));
    if (pool.public_ip) {
      // azure-behaviour D6: each node has an instance-level public IP, from the prefix when
      // one is given (and in the snapshot), else Azure's choice.
      p.set("enableNodePublicIP", Node::boolean(true));
      if (!pool.public_ip_prefix.empty()) {
        p.set("nodePublicIPPrefix", Node::str(pool.public_ip_prefix));
      }
    }
    pool_list.items.push_back(std::move(p));
    node_pool_names_.push_back(pool.name);
  }
  c.set("nodePools", std::move(pool_list));

  // The outbound path: the cluster's load balancer or NAT gateway.
  // A public IP of the snapshot made from a public IP prefix of the snapshot.
  auto made_from_prefix = [&](const std::string& id) {
    const Resource* ip = find(id);
    if (ip == nullptr) {
      return false;
    }
    Field prefix = find_field(*ip->json, ip->pointer, "publicIPPrefix");
    return prefix && prefix.value->is_object() &&
           prefix_names_.contains(id_key(optional_id(*prefix.value)));
  };
  auto effective_ips = [&](const Json* profile, const std::string& pointer) {
    std::vector<std::string> names;
    if (profile == nullptr) {
      return names;
    }
    Field f = find_field(*profile, pointer, "effectiveOutboundIPs");
    if (!f || !f.value->is_array()) {
      return names;
    }
    for (size_t i = 0; i < f.value->size(); ++i) {
      std::string id = optional_id((*f.value)[i]);
      // azure-behaviour D7: an outbound IP prefix is listed by its own id (it is a frontend
      // of its own, below), and a public IP made from one is among the prefix's addresses.
      if (prefix_names_.contains(id_key(id)) || made_from_prefix(id)) {
        continue;
      }
      if (auto name = resolve_public_ip(id, r.file, f.pointer + "/" + std::to_string(i))) {
        names.push_back(*name);
      }
    }
    return names;
  };
  std::string node_rg_id;  // the node resource group's id prefix
  {
    std::string rg;
    if (Field f = find_field(*r.json, r.pointer, "nodeResourceGroup"); f && f.value->is_string()) {
      rg = f.value->get<std::string>();
    }
    std::string lower_id = lower(r.id);
    size_t at = lower_id.find("/resourcegroups/");
    node_rg_id =
        (at == std::string::npos ? std::string() : r.id.substr(0, at)) + "/resourceGroups/" + rg;
  }
  if (outbound == "loadBalancer") {
    std::string lb_name;
    for (const Resource* lb : of_type("microsoft.network/loadbalancers")) {
      if (lower(resource_group_of(lb->id)) == node_resource_group_ &&
          lower(lb->name) == "kubernetes") {
        cluster_lb_key_ = lb->key;
        lb_name = names_[lb->key];
      }
    }
    if (lb_profile != nullptr) {
      Obj lp(*this, *lb_profile, lb_profile_pointer, r.file);
      lp.use({"managedOutboundIPs", "outboundIPs", "outboundIPPrefixes", "effectiveOutboundIPs",
              "enableMultipleStandardLoadBalancers", "backendPoolType",
              "clusterServiceLoadBalancerHealthProbeMode"});
      auto ports = lp.integer("allocatedOutboundPorts");
      auto idle = lp.integer("idleTimeoutInMinutes");
      if (lb_name.empty()) {
        // azure-behaviour A9: the node resource group's `kubernetes` load balancer as AKS
        // makes it: one frontend per effective outbound IP, aksOutboundBackendPool with every
        // node pool, aksOutboundRule over all frontends.
        std::vector<std::string> ips = effective_ips(lb_profile, lb_profile_pointer);
        std::vector<std::string> prefixes;
        auto add_prefix = [&](const std::string& name) {
          if (std::find(prefixes.begin(), prefixes.end(), name) == prefixes.end()) {
            prefixes.push_back(name);
          }
        };
        if (Field f = find_field(*lb_profile, lb_profile_pointer, "outboundIPPrefixes");
            f && f.value->is_object()) {
          Field list = find_field(*f.value, f.pointer, "publicIPPrefixes");
          if (list && list.value->is_array()) {
            for (size_t i = 0; i < list.value->size(); ++i) {
              std::string id = optional_id((*list.value)[i]);
              if (auto it = prefix_names_.find(id_key(id)); it != prefix_names_.end()) {
                add_prefix(it->second);
              } else {
                finding("dangling-reference",
                        "public IP prefix " + id + " is not in the snapshot; left out", r.file,
                        list.pointer + "/" + std::to_string(i));
              }
            }
          }
        }
        // effectiveOutboundIPs names the prefixes AKS uses by their own ids (azure-behaviour
        // D7), also when outboundIPPrefixes is not in the answer.
        if (Field f = find_field(*lb_profile, lb_profile_pointer, "effectiveOutboundIPs");
            f && f.value->is_array()) {
          for (const Json& item : *f.value) {
            if (auto it = prefix_names_.find(id_key(optional_id(item)));
                it != prefix_names_.end()) {
              add_prefix(it->second);
            }
          }
        }
        lb_name = "kubernetes";
        Node lb = Node::map();
        lb.set("name", Node::str(lb_name));
        lb.set("id",
               Node::str(node_rg_id + "/providers/Microsoft.Network/loadBalancers/kubernetes"));
        Node frontends = Node::list();
        std::vector<std::string> fe_names;
        for (const std::string& ip : ips) {
          Node fe = Node::map();
          fe.set("name", Node::str(ip));
          fe.set("publicIp", Node::str(ip));
          frontends.items.push_back(std::move(fe));
          fe_names.push_back(ip);
        }
        for (const std::string& prefix : prefixes) {
          Node fe = Node::map();
          std::string name = prefix;
          if (std::find(fe_names.begin(), fe_names.end(), name) != fe_names.end()) {
            name += "-prefix";  // a public IP of the same name is a frontend already
          }
          fe.set("name", Node::str(name));
          fe.set("publicIpPrefix", Node::str(prefix));
          frontends.items.push_back(std::move(fe));
          fe_names.push_back(name);
        }
        if (!frontends.items.empty()) {
          lb.set("frontends", std::move(frontends));
        }
        Node pool = Node::map();
        pool.set("name", Node::str("aksOutboundBackendPool"));
        pool.set("members", Node::strs(node_pool_names_));
        Node pool_list2 = Node::list();
        pool_list2.items.push_back(std::move(pool));
        lb.set("backendPools", std::move(pool_list2));
        if (!fe_names.empty()) {
          Node rule = Node::map();
          rule.set("name", Node::str("aksOutboundRule"));
          rule.set("frontends", Node::strs(fe_names));
          rule.set("backendPool", Node::str("aksOutboundBackendPool"));
          if (ports) {
            rule.set("allocatedOutboundPorts", Node::num(*ports));
          }
          if (idle) {
            rule.set("idleTimeoutInMinutes", Node::num(*idle));
          }
          rule.set("protocol", Node::str("All"));
          Node rules = Node::list();
          rules.items.push_back(std::move(rule));
          lb.set("outboundRules", std::move(rules));
        }
        synthesised_lbs_.items.push_back(std::move(lb));
        finding("synthesised",
                "the cluster's load balancer 'kubernetes' (node resource group) is not in the "
                "snapshot: made from loadBalancerProfile with " +
                    std::to_string(fe_names.size()) + " outbound IP(s) of the snapshot" +
                    (fe_names.empty() ? ", so no outbound rule" : std::string()),
                r.file, lb_profile_pointer);
      }
    } else if (lb_name.empty()) {
      finding("not-modelled",
              "outboundType loadBalancer without loadBalancerProfile and no 'kubernetes' load "
              "balancer in the snapshot",
              r.file, np_pointer);
    }
    if (!lb_name.empty()) {
      c.set("loadBalancer", Node::str(lb_name));
    }
  } else if (outbound == "managedNATGateway") {
    std::string nat_name;
    for (const Resource* nat : of_type("microsoft.network/natgateways")) {
      if (lower(resource_group_of(nat->id)) == node_resource_group_) {
        nat_name = names_[nat->key];
      }
    }
    if (nat_profile != nullptr) {
      Obj np(*this, *nat_profile, nat_profile_pointer, r.file);
      np.use({"managedOutboundIPProfile", "effectiveOutboundIPs", "outboundIPs",
              "outboundIPPrefixes"});
      auto idle = np.integer("idleTimeoutInMinutes");
      if (nat_name.empty()) {
        std::vector<std::string> ips = effective_ips(nat_profile, nat_profile_pointer);
        nat_name = "aks-nat-gateway";
        Node nat = Node::map();
        nat.set("name", Node::str(nat_name));
        nat.set("id",
                Node::str(node_rg_id + "/providers/Microsoft.Network/natGateways/" + nat_name));
        if (!nat_sku.empty()) {
          nat.set("sku", Node::str(nat_sku));
        }
        if (!ips.empty()) {
          nat.set("publicIps", Node::strs(ips));
        }
        if (idle) {
          nat.set("idleTimeoutInMinutes", Node::num(*idle));
        }
        synthesised_nats_.items.push_back(std::move(nat));
        finding("synthesised",
                "the cluster's managed NAT gateway is not in the snapshot: made from "
                "natGatewayProfile as '" +
                    nat_name + "' with " + std::to_string(ips.size()) +
                    " outbound IP(s) of the snapshot",
                r.file, nat_profile_pointer);
      }
    }
    if (!nat_name.empty()) {
      cluster_nat_name_ = nat_name;
      c.set("natGateway", Node::str(nat_name));
    }
  } else if (outbound == "userAssignedNATGateway") {
    for (const Pool& pool : pools) {
      for (const auto& [key, name] : subnet_names_) {
        if (name == pool.subnet) {
          if (auto it = subnet_nat_.find(key); it != subnet_nat_.end()) {
            cluster_nat_name_ = it->second;
          }
        }
      }
      if (!cluster_nat_name_.empty()) {
        break;
      }
    }
    if (!cluster_nat_name_.empty()) {
      c.set("natGateway", Node::str(cluster_nat_name_));
    }
  }
  // The managed NAT gateway sits on the managed VNet's node subnet.
  if (!cluster_nat_name_.empty() && outbound == "managedNATGateway") {
    for (Node& vnet : synthesised_vnets_.items) {
      for (auto& [key, value] : vnet.entries) {
        if (key != "subnets") {
          continue;
        }
        for (Node& subnet : value.items) {
          subnet.set("natGateway", Node::str(cluster_nat_name_));
        }
      }
    }
  }
  if (Field f = find_field(*r.json, r.pointer, "apiServerAccessProfile");
      f && f.value->is_object()) {
    Obj a(*this, *f.value, f.pointer, r.file);
    a.use({"privateDNSZone", "enablePrivateClusterPublicFQDN", "disableRunCommand",
           "enableVnetIntegration", "subnetId"});
    Node api = Node::map();
    if (auto is_private = a.boolean("enablePrivateCluster")) {
      api.set("private", Node::boolean(*is_private));
    }
    std::vector<std::string> ranges;
    for (const std::string& range : a.strings("authorizedIPRanges")) {
      auto mapped = rule_address(range);
      if (mapped && mapped->front().find('/') != std::string::npos) {
        ranges.insert(ranges.end(), mapped->begin(), mapped->end());
      }
    }
    if (!ranges.empty()) {
      api.set("authorizedIpRanges", Node::strs(ranges));
    }
    if (!api.entries.empty()) {
      c.set("apiServer", std::move(api));
    }
  }
  root.set("cluster", std::move(c));
}

}  // namespace egress::arm
