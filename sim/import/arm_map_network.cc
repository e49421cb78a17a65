// Virtual networks, subnets, peerings, route tables, NSGs, public IPs and prefixes, NAT
// gateways, VPN/ExpressRoute gateways, private endpoints, ASGs and service tags
// (azure-behaviour A4).
#include <algorithm>
#include <set>

#include "egress/config/service_endpoints.h"
#include "import/arm_import_internal.h"

namespace egress::arm {
namespace {

// "a, b, c": lists in messages.
std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) {
    text += (text.empty() ? "" : ", ") + item;
  }
  return text;
}

// "a.b.c.d/n" with host bits allowed (the REST example's 192.168.254.2/30): the prefix and
// whether it was canonical.
std::optional<std::pair<Prefix, bool>> loose_prefix(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  auto address = IpAddress::parse(text.substr(0, slash));
  std::string_view digits = text.substr(slash + 1);
  if (!address || digits.empty() || digits.size() > 3 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int length = std::stoi(std::string(digits));
  if (length > address->width()) {
    return std::nullopt;
  }
  Prefix p = Prefix::of(*address, length);
  return std::make_pair(p, p.address == *address);
}

bool is_prefix_or_address(std::string_view text) {
  if (text.find('/') != std::string_view::npos) {
    return Prefix::parse(text).ok();
  }
  return IpAddress::parse(text).has_value();
}

// The subnet's name inside its VNet from a subnet id.
std::string subnet_ref_name(const std::string& vnet, const std::string& subnet) {
  return vnet + "/" + subnet;
}

struct DefaultRule {
  const char* name;
  int priority;
  const char* direction;
  const char* access;
  const char* source;
  const char* destination;
};

// azure-behaviour A6 (and the engine's built-in defaults, nsg_eval): every NSG has these.
constexpr DefaultRule kDefaultRules[] = {
    {"AllowVnetInBound", 65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork"},
    {"AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "AzureLoadBalancer", "*"},
    {"DenyAllInBound", 65500, "Inbound", "Deny", "*", "*"},
    {"AllowVnetOutBound", 65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork"},
    {"AllowInternetOutBound", 65001, "Outbound", "Allow", "*", "Internet"},
    {"DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*"},
};

}  // namespace

void Importer::index_network() {
  for (const Resource* r : of_type("microsoft.network/publicipaddresses")) {
    Field address = find_field(*r->json, r->pointer, "ipAddress");
    if (address && address.value->is_string()) {
      public_ip_names_[r->key] = names_[r->key];
    } else {
      unallocated_ips_[r->key] = names_[r->key];
    }
  }
  for (const Resource* r : of_type("microsoft.network/publicipprefixes")) {
    Field prefix = find_field(*r->json, r->pointer, "ipPrefix");
    if (prefix && prefix.value->is_string()) {
      prefix_names_[r->key] = names_[r->key];
    }
  }
  for (const Resource* r : of_type("microsoft.network/applicationsecuritygroups")) {
    asg_names_[r->key] = names_[r->key];
  }
  auto add_subnets = [&](const std::string& vnet_name, const std::vector<Child>& subnets) {
    for (const Child& c : subnets) {
      if (!c.json->is_object() || !c.json->contains("id") || !(*c.json)["id"].is_string()) {
        continue;
      }
      std::string id = (*c.json)["id"].get<std::string>();
      // A name of another type is reported where the subnet is mapped (Obj::string).
      auto n = c.json->find("name");
      std::string name =
          n != c.json->end() && n->is_string() ? n->get<std::string>() : last_segment(id);
      subnet_names_[id_key(id)] = subnet_ref_name(vnet_name, name);
      subnet_vnet_[id_key(id)] = vnet_name;
      Field nat = find_field(*c.json, c.pointer, "natGateway");
      if (nat && nat.value->is_object() && nat.value->contains("id") &&
          (*nat.value)["id"].is_string()) {
        const Resource* gw = find((*nat.value)["id"].get<std::string>());
        if (gw != nullptr) {
          subnet_nat_[id_key(id)] = names_[gw->key];
        }
      }
    }
  };
  for (const Resource* vnet : of_type("microsoft.network/virtualnetworks")) {
    add_subnets(names_[vnet->key],
                children(*vnet, "subnets", "microsoft.network/virtualnetworks/subnets"));
  }
  // Subnets read on their own whose VNet is not in the snapshot: the VNet is synthesised
  // (map_vnets), named by its id.
  for (const Resource* s : of_type("microsoft.network/virtualnetworks/subnets")) {
    std::string parent = parent_id(s->id);
    if (find(parent) == nullptr) {
      std::string vnet_name = last_segment(parent);
      names_[id_key(parent)] = vnet_name;
      add_subnets(vnet_name, {Child{s->json, s->file, s->pointer}});
    }
  }
  auto add_next_hops = [&](const std::vector<Child>& routes) {
    for (const Child& c : routes) {
      Field type = find_field(*c.json, c.pointer, "nextHopType");
      Field ip = find_field(*c.json, c.pointer, "nextHopIpAddress");
      if (type && type.value->is_string() && *type.value == "VirtualAppliance" && ip &&
          ip.value->is_string()) {
        next_hop_ips_.push_back(ip.value->get<std::string>());
      }
    }
  };
  for (const Resource* rt : of_type("microsoft.network/routetables")) {
    add_next_hops(children(*rt, "routes", "microsoft.network/routetables/routes"));
  }
  for (const Resource* r : of_type("microsoft.network/routetables/routes")) {
    add_next_hops({Child{r->json, r->file, r->pointer}});
  }
  std::sort(next_hop_ips_.begin(), next_hop_ips_.end());
  for (const Resource* r : of_type("microsoft.network/servicetags")) {
    auto values = r->json->find("values");
    if (values == r->json->end() || !values->is_array()) {
      continue;
    }
    for (const Json& tag : *values) {
      if (!tag.is_object() || !tag.contains("name") || !tag["name"].is_string()) {
        continue;
      }
      Field prefixes = find_field(tag, "", "addressPrefixes");
      std::vector<std::string> list;
      if (prefixes && prefixes.value->is_array()) {
        for (const Json& p : *prefixes.value) {
          if (p.is_string()) {
            list.push_back(p.get<std::string>());
          }
        }
      }
      service_tags_[tag["name"].get<std::string>()] = std::move(list);
    }
  }
}

std::optional<std::string> Importer::resolve(std::string_view type, const std::string& id,
                                             std::string_view what, const JsonFile* file,
                                             const std::string& pointer) {
  const Resource* r = find(id);
  if (r != nullptr && r->type == type) {
    return names_[r->key];
  }
  finding("dangling-reference",
          std::string(what) + " " + id + " is not in the snapshot; the reference is left out", file,
          pointer);
  return std::nullopt;
}

std::optional<std::string> Importer::resolve_public_ip(const std::string& id, const JsonFile* file,
                                                       const std::string& pointer) {
  std::string key = id_key(id);
  if (auto it = public_ip_names_.find(key); it != public_ip_names_.end()) {
    return it->second;
  }
  if (auto it = unallocated_ips_.find(key); it != unallocated_ips_.end()) {
    finding("unallocated-public-ip",
            "public IP " + it->second +
                " has no allocated ipAddress, so it is not in the topology; the reference is "
                "left out",
            file, pointer);
    return std::nullopt;
  }
  finding("dangling-reference",
          "public IP " + id + " is not in the snapshot; the reference is left out", file, pointer);
  return std::nullopt;
}

std::optional<std::string> Importer::resolve_subnet(const std::string& id, const JsonFile* file,
                                                    const std::string& pointer) {
  if (auto it = subnet_names_.find(id_key(id)); it != subnet_names_.end()) {
    return it->second;
  }
  finding("dangling-reference",
          "subnet " + id + " is not in the snapshot; what is in it is left out", file, pointer);
  return std::nullopt;
}

void Importer::map_public_ips(Node& out) {
  for (const Resource* r : of_type("microsoft.network/publicipaddresses")) {
    Obj o(*this, *r->json, r->pointer, r->file);
    o.use({"ipConfiguration", "natGateway", "publicIPPrefix", "servicePublicIPAddress",
           "linkedPublicIPAddress", "deleteOption", "migrationPhase"});
    auto address = o.string("ipAddress");
    std::string sku;
    if (Field f = o.get("sku"); f && f.value->is_object()) {
      Obj s(*this, *f.value, f.pointer, r->file);
      sku = s.string("name").value_or("");
      s.use({"tier"});
    }
    auto idle = o.integer("idleTimeoutInMinutes");
    (void)idle;  // the instance-level IP's timeout: the engine's default (azure-behaviour A4)
    if (!address) {
      finding("unallocated-public-ip",
              "public IP " + r->name +
                  " has no allocated ipAddress (a dynamic IP not in use): left out, references "
                  "to it too",
              r->file, r->pointer.empty() ? "/" : r->pointer);
      continue;
    }
    if (!IpAddress::parse(*address)) {
      error("bad-value", "'" + *address + "' is not an IP address", r->file,
            find_field(*r->json, r->pointer, "ipAddress").pointer);
      continue;
    }
    Node n = Node::map();
    n.set("name", Node::str(names_[r->key]));
    n.set("id", Node::str(r->id));
    n.set("address", Node::str(*address));
    if (!sku.empty() && sku != "Standard") {
      n.set("sku", Node::str(sku));
    }
    out.items.push_back(std::move(n));
  }
}

void Importer::map_public_ip_prefixes(Node& out) {
  for (const Resource* r : of_type("microsoft.network/publicipprefixes")) {
    Obj o(*this, *r->json, r->pointer, r->file);
    o.use({"publicIPAddresses", "loadBalancerFrontendIpConfiguration", "natGateway",
           "customIPPrefix"});
    auto text = o.string("ipPrefix");
    auto length = o.integer("prefixLength");
    std::string sku;
    if (Field f = o.get("sku"); f && f.value->is_object()) {
      Obj s(*this, *f.value, f.pointer, r->file);
      sku = s.string("name").value_or("");
      s.use({"tier"});
    }
    if (!text) {
      finding("unallocated-public-ip",
              "public IP prefix " + r->name + " has no ipPrefix yet: left out, references too",
              r->file, r->pointer.empty() ? "/" : r->pointer);
      prefix_names_.erase(r->key);
      continue;
    }
    std::string pointer = find_field(*r->json, r->pointer, "ipPrefix").pointer;
    auto parsed = loose_prefix(*text);
    if (!parsed) {
      error("bad-value", "'" + *text + "' is not an address prefix", r->file, pointer);
      continue;
    }
    if (!parsed->second) {
      // azure-behaviour A7: Azure has returned prefixes with host bits set; the network is
      // what it allocates from.
      finding("canonicalised-prefix",
              "ipPrefix " + *text + " has host bits set; imported as " + parsed->first.to_string(),
              r->file, pointer);
    }
    if (length && *length != parsed->first.length) {
      finding("inconsistent-value",
              "prefixLength " + std::to_string(*length) + " disagrees with ipPrefix " + *text +
                  "; the ipPrefix is used",
              r->file, find_field(*r->json, r->pointer, "prefixLength").pointer);
    }
    Node n = Node::map();
    n.set("name", Node::str(names_[r->key]));
    n.set("id", Node::str(r->id));
    n.set("addressPrefix", Node::str(parsed->first.to_string()));
    if (!sku.empty() && sku != "Standard") {
      n.set("sku", Node::str(sku));
    }
    out.items.push_back(std::move(n));
  }
}

Node Importer::map_subnet(const Child& c, const std::string& vnet_name) {
  (void)vnet_name;
  Obj o(*this, *c.json, c.pointer, c.file);
  o.use({"ipConfigurations", "privateEndpoints", "resourceNavigationLinks",
         "serviceAssociationLinks", "purpose", "ipConfigurationProfiles",
         "privateLinkServiceNetworkPolicies", "applicationGatewayIPConfigurations"});
  Node n = Node::map();
  n.set("name", Node::str(o.string("name").value_or(std::string())));
  if (c.json->contains("id") && (*c.json)["id"].is_string()) {
    n.set("id", Node::str((*c.json)["id"].get<std::string>()));
  }
  std::vector<std::string> prefixes = o.strings("addressPrefixes");
  if (auto single = o.string("addressPrefix"); single && prefixes.empty()) {
    prefixes.push_back(*single);
  }
  if (prefixes.size() == 1) {
    n.set("addressPrefix", Node::str(prefixes[0]));
  } else if (!prefixes.empty()) {
    n.set("addressPrefixes", Node::strs(prefixes));
  } else {
    finding("not-modelled",
            "subnet has no addressPrefix (an IPAM pool allocation?); the topology needs one",
            c.file, c.pointer);
  }
  if (auto id = o.ref("routeTable")) {
    if (auto name = resolve("microsoft.network/routetables", *id, "route table", c.file,
                            find_field(*c.json, c.pointer, "routeTable").pointer)) {
      n.set("routeTable", Node::str(*name));
    }
  }
  if (auto id = o.ref("natGateway")) {
    if (auto name = resolve("microsoft.network/natgateways", *id, "NAT gateway", c.file,
                            find_field(*c.json, c.pointer, "natGateway").pointer)) {
      n.set("natGateway", Node::str(*name));
    }
  }
  if (auto id = o.ref("networkSecurityGroup")) {
    if (auto name = resolve("microsoft.network/networksecuritygroups", *id, "NSG", c.file,
                            find_field(*c.json, c.pointer, "networkSecurityGroup").pointer)) {
      n.set("nsg", Node::str(*name));
    }
  }
  if (auto doa = o.boolean("defaultOutboundAccess")) {
    n.set("defaultOutboundAccess", Node::boolean(*doa));
  }
  if (auto policies = o.string("privateEndpointNetworkPolicies");
      policies && lower(*policies) != "disabled") {
    // azure-behaviour D5: the four values ARM writes.
    static constexpr std::string_view kPolicies[] = {"Enabled", "NetworkSecurityGroupEnabled",
                                                     "RouteTableEnabled"};
    auto known = std::find_if(std::begin(kPolicies), std::end(kPolicies),
                              [&](std::string_view p) { return lower(p) == lower(*policies); });
    if (known != std::end(kPolicies)) {
      n.set("privateEndpointNetworkPolicies", Node::str(std::string(*known)));
    } else {
      finding("not-modelled",
              "privateEndpointNetworkPolicies " + *policies +
                  " is none of Disabled, Enabled, NetworkSecurityGroupEnabled, "
                  "RouteTableEnabled; left out (Disabled)",
              c.file, find_field(*c.json, c.pointer, "privateEndpointNetworkPolicies").pointer);
    }
  }
  if (Field f = o.get("serviceEndpoints"); f && f.value->is_array()) {
    // azure-behaviour D4: service and locations as ARM writes them; the service tags of the
    // endpoint's regions are written with the topology when the snapshot holds them.
    Node endpoints = Node::list();
    for (size_t i = 0; i < f.value->size(); ++i) {
      std::string pointer = f.pointer + "/" + std::to_string(i);
      Obj e(*this, (*f.value)[i], pointer, c.file);
      e.use({"networkIdentifier", "locations"});
      auto s = e.string("service");
      if (!s) {
        continue;
      }
      const ServiceEndpointService* known = find_service_endpoint_service(*s);
      if (known == nullptr) {
        finding("not-modelled",
                "service endpoint " + *s +
                    ": a service egress-sim does not know the service tag of; left out, so "
                    "traffic to it follows the subnet's other routes",
                c.file, pointer);
        continue;
      }
      ServiceEndpoint endpoint;
      endpoint.service = std::string(known->service);
      endpoint.locations = e.strings("locations");
      for (const std::string& tag : service_endpoint_tags(endpoint)) {
        for (const auto& known_tag : service_tags_) {
          if (lower(known_tag.first) == lower(tag)) {
            used_service_tags_.push_back(known_tag.first);
          }
        }
      }
      if (endpoint.locations.empty()) {
        endpoints.items.push_back(Node::str(endpoint.service));
        continue;
      }
      Node item = Node::map();
      item.set("service", Node::str(endpoint.service));
      item.set("locations", Node::strs(endpoint.locations));
      endpoints.items.push_back(std::move(item));
    }
    if (!endpoints.items.empty()) {
      n.set("serviceEndpoints", std::move(endpoints));
    }
  }
  if (Field f = o.get("delegations"); f && f.value->is_array()) {
    std::vector<std::string> services;
    for (size_t i = 0; i < f.value->size(); ++i) {
      Obj d(*this, (*f.value)[i], f.pointer + "/" + std::to_string(i), c.file);
      d.use({"actions"});
      if (auto s = d.string("serviceName")) {
        services.push_back(*s);
      }
    }
    if (!services.empty()) {
      finding("not-modelled",
              "delegations " + joined(services) +
                  ": what a delegated service may deploy in the "
                  "subnet is not modelled",
              c.file, f.pointer);
    }
  }
  return n;
}

void Importer::map_vnets(Node& out) {
  auto peering_node = [&](const Child& c) -> std::optional<Node> {
    Obj o(*this, *c.json, c.pointer, c.file);
    o.use({"remoteAddressSpace", "remoteVirtualNetworkAddressSpace", "peeringSyncLevel",
           "remoteBgpCommunities", "remoteVirtualNetworkEncryption", "localAddressSpace",
           "localVirtualNetworkAddressSpace", "doNotVerifyRemoteGateways", "peerCompleteVnets",
           "allowGatewayTransit", "enableOnlyIPv6Peering", "localSubnetNames",
           "remoteSubnetNames"});
    auto state = o.string("peeringState");
    auto remote = o.ref("remoteVirtualNetwork");
    auto access = o.boolean("allowVirtualNetworkAccess");
    auto forwarded = o.boolean("allowForwardedTraffic");
    auto remote_gw = o.boolean("useRemoteGateways");
    if (state && *state != "Connected") {
      finding("not-modelled",
              "peering is " + *state + ", not Connected: no traffic crosses it; left out", c.file,
              c.pointer);
      return std::nullopt;
    }
    if (access && !*access) {
      finding("not-modelled",
              "allowVirtualNetworkAccess false (the peered VNets cannot reach each other) is "
              "not modelled; the peering is left out",
              c.file, c.pointer);
      return std::nullopt;
    }
    if (!remote) {
      return std::nullopt;
    }
    auto name = resolve("microsoft.network/virtualnetworks", *remote, "remote VNet", c.file,
                        find_field(*c.json, c.pointer, "remoteVirtualNetwork").pointer);
    if (!name) {
      return std::nullopt;
    }
    Node n = Node::map();
    n.set("remoteVnet", Node::str(*name));
    if (c.json->contains("id") && (*c.json)["id"].is_string()) {
      n.set("id", Node::str((*c.json)["id"].get<std::string>()));
    }
    if (forwarded) {
      n.set("allowForwardedTraffic", Node::boolean(*forwarded));
    }
    if (remote_gw) {
      n.set("useRemoteGateways", Node::boolean(*remote_gw));
    }
    return n;
  };
  for (const Resource* r : of_type("microsoft.network/virtualnetworks")) {
    Obj o(*this, *r->json, r->pointer, r->file);
    o.use({"subnets", "virtualNetworkPeerings"});
    Node n = Node::map();
    const std::string& name = names_[r->key];
    n.set("name", Node::str(name));
    n.set("id", Node::str(r->id));
    std::vector<std::string> space;
    if (Field f = o.get("addressSpace"); f && f.value->is_object()) {
      Obj a(*this, *f.value, f.pointer, r->file);
      space = a.strings("addressPrefixes");
      a.use({"ipamPoolPrefixAllocations"});
    }
    n.set("addressSpace", Node::strs(space));
    Node subnets = Node::list();
    for (const Child& c : children(*r, "subnets", "microsoft.network/virtualnetworks/subnets")) {
      subnets.items.push_back(map_subnet(c, name));
    }
    if (!subnets.items.empty()) {
      n.set("subnets", std::move(subnets));
    }
    Node peerings = Node::list();
    for (const Child& c : children(*r, "virtualNetworkPeerings",
                                   "microsoft.network/virtualnetworks/virtualnetworkpeerings")) {
      if (auto p = peering_node(c)) {
        peerings.items.push_back(std::move(*p));
      }
    }
    if (!peerings.items.empty()) {
      n.set("peerings", std::move(peerings));
    }
    out.items.push_back(std::move(n));
  }
  // azure-behaviour A8: subnets whose VNet is not in the snapshot get one, made of what they
  // hold.
  std::map<std::string, std::vector<const Resource*>> orphans;
  for (const Resource* s : of_type("microsoft.network/virtualnetworks/subnets")) {
    std::string parent = parent_id(s->id);
    if (find(parent) == nullptr) {
      orphans[parent].push_back(s);
    }
  }
  for (const auto& [parent, subnets] : orphans) {
    const std::string name = names_[id_key(parent)];
    Node n = Node::map();
    n.set("name", Node::str(name));
    n.set("id", Node::str(parent));
    Node list = Node::list();
    std::vector<std::string> space;
    for (const Resource* s : subnets) {
      Node subnet = map_subnet(Child{s->json, s->file, s->pointer}, name);
      for (const auto& [key, value] : subnet.entries) {
        if (key == "addressPrefix") {
          space.push_back(value.text);
        } else if (key == "addressPrefixes") {
          for (const Node& p : value.items) {
            space.push_back(p.text);
          }
        }
      }
      list.items.push_back(std::move(subnet));
    }
    n.set("addressSpace", Node::strs(space));
    n.set("subnets", std::move(list));
    finding("synthesised",
            "the VNet " + parent +
                " is not in the snapshot; made from its subnets, with their prefixes as its "
                "address space",
            subnets.front()->file,
            subnets.front()->pointer.empty() ? "/" : subnets.front()->pointer);
    synthesised_vnets_.items.push_back(std::move(n));
  }
}

void Importer::map_route_tables(Node& out) {
  auto route_node = [&](const Child& c) -> std::optional<Node> {
    Obj o(*this, *c.json, c.pointer, c.file);
    o.use({"hasBgpOverride"});
    auto prefix = o.string("addressPrefix");
    auto type = o.string("nextHopType");
    auto ip = o.string("nextHopIpAddress");
    std::string name = o.string("name").value_or(std::string());
    if (!prefix || !type) {
      error("missing-field", "route " + name + " without addressPrefix or nextHopType", c.file,
            c.pointer);
      return std::nullopt;
    }
    if (!is_prefix_or_address(*prefix) || prefix->find('/') == std::string::npos) {
      finding("not-modelled",
              "route " + name + " to '" + *prefix +
                  "' (a service tag) is not modelled; route prefixes are CIDRs; left out",
              c.file, find_field(*c.json, c.pointer, "addressPrefix").pointer);
      return std::nullopt;
    }
    static constexpr std::string_view kTypes[] = {"VirtualAppliance", "Internet", "VnetLocal",
                                                  "VirtualNetworkGateway", "None"};
    if (std::find(std::begin(kTypes), std::end(kTypes), *type) == std::end(kTypes)) {
      finding("not-modelled", "route " + name + " with nextHopType '" + *type + "'; left out",
              c.file, find_field(*c.json, c.pointer, "nextHopType").pointer);
      return std::nullopt;
    }
    Node n = Node::map();
    n.set("name", Node::str(name));
    if (c.json->contains("id") && (*c.json)["id"].is_string()) {
      n.set("id", Node::str((*c.json)["id"].get<std::string>()));
    }
    n.set("addressPrefix", Node::str(*prefix));
    n.set("nextHopType", Node::str(*type));
    if (ip && !ip->empty()) {
      if (*type == "VirtualAppliance") {
        n.set("nextHopIpAddress", Node::str(*ip));
      } else {
        finding("unused-field",
                "nextHopIpAddress " + *ip + " is not used with nextHopType " + *type, c.file,
                find_field(*c.json, c.pointer, "nextHopIpAddress").pointer);
      }
    }
    return n;
  };
  auto table_node = [&](const std::string& name, const std::string& id,
                        const std::vector<Child>& routes, std::optional<bool> disable_bgp) {
    Node n = Node::map();
    n.set("name", Node::str(name));
    n.set("id", Node::str(id));
    if (disable_bgp) {
      n.set("disableBgpRoutePropagation", Node::boolean(*disable_bgp));
    }
    Node list = Node::list();
    for (const Child& c : routes) {
      if (auto route = route_node(c)) {
        list.items.push_back(std::move(*route));
      }
    }
    n.set("routes", std::move(list));
    return n;
  };
  for (const Resource* r : of_type("microsoft.network/routetables")) {
    Obj o(*this, *r->json, r->pointer, r->file);
    o.use({"routes", "subnets"});
    auto disable = o.boolean("disableBgpRoutePropagation");
    out.items.push_back(table_node(names_[r->key], r->id,
                                   children(*r, "routes", "microsoft.network/routetables/routes"),
                                   disable));
  }
  std::map<std::string, std::vector<Child>> orphans;
  for (const Resource* r : of_type("microsoft.network/routetables/routes")) {
    std::string parent = parent_id(r->id);
    if (find(parent) == nullptr) {
      orphans[parent].push_back(Child{r->json, r->file, r->pointer});
    }
  }
  for (const auto& [parent, routes] : orphans) {
    finding("synthesised",
            "the route table " + parent + " is not in the snapshot; made from its routes",
            routes.front().file, routes.front().pointer.empty() ? "/" : routes.front().pointer);
    out.items.push_back(table_node(last_segment(parent), parent, routes, std::nullopt));
  }
}

Node Importer::map_nsg_rule(const Child& c) {
  Obj o(*this, *c.json, c.pointer, c.file);
  Node n = Node::map();
  std::string name = o.string("name").value_or(std::string());
  n.set("name", Node::str(name));
  if (c.json->contains("id") && (*c.json)["id"].is_string()) {
    n.set("id", Node::str((*c.json)["id"].get<std::string>()));
  }
  auto priority = o.integer("priority");
  auto direction = o.string("direction");
  auto access = o.string("access");
  auto protocol = o.string("protocol");
  if (priority) {
    n.set("priority", Node::num(*priority));
  }
  if (direction) {
    n.set("direction", Node::str(*direction));
  }
  if (access) {
    n.set("access", Node::str(*access));
  }
  bool droppable = false;
  if (protocol) {
    static constexpr std::string_view kProtocols[] = {"Tcp", "Udp", "Icmp", "*"};
    if (std::find(std::begin(kProtocols), std::end(kProtocols), *protocol) ==
        std::end(kProtocols)) {
      finding("not-modelled",
              "NSG rule " + name + " for protocol " + *protocol +
                  " (only Tcp, Udp, Icmp and * are modelled) is left out",
              c.file, find_field(*c.json, c.pointer, "protocol").pointer);
      droppable = true;
    }
    n.set("protocol", Node::str(*protocol));
  }
  auto addresses = [&](const char* single, const char* plural, const char* key) {
    std::vector<std::string> list = o.strings(plural);
    if (auto s = o.string(single); s && list.empty()) {
      list.push_back(*s);
    }
    if (list.empty()) {
      return;
    }
    for (const std::string& a : list) {
      if (!is_prefix_or_address(a) && !is_builtin_tag(a)) {
        if (service_tags_.count(a) == 0) {
          finding("not-modelled",
                  "NSG rule " + name + " names the service tag '" + a +
                      "', whose prefixes are not in the snapshot (import `az network "
                      "list-service-tags` with it); the rule is left out",
                  c.file,
                  find_field(*c.json, c.pointer, list.size() > 1 ? plural : single).pointer);
          droppable = true;
          return;
        }
        used_service_tags_.push_back(a);
      }
    }
    if (list.size() == 1) {
      n.set(key, Node::str(list[0]));
    } else {
      n.set(key, Node::strs(list));
    }
  };
  auto ports = [&](const char* single, const char* plural, const char* key) {
    std::vector<std::string> list = o.strings(plural);
    if (auto s = o.string(single); s && list.empty()) {
      list.push_back(*s);
    }
    if (list.size() == 1) {
      n.set(key, Node::str(list[0]));
    } else if (!list.empty()) {
      n.set(key, Node::strs(list));
    }
  };
  addresses("sourceAddressPrefix", "sourceAddressPrefixes", "source");
  ports("sourcePortRange", "sourcePortRanges", "sourcePorts");
  addresses("destinationAddressPrefix", "destinationAddressPrefixes", "destination");
  ports("destinationPortRange", "destinationPortRanges", "destinationPorts");
  auto asgs = [&](const char* member, const char* key) {
    std::vector<std::string> names;
    for (const auto& [id, pointer] : o.refs(member)) {
      if (auto it = asg_names_.find(id_key(id)); it != asg_names_.end()) {
        names.push_back(it->second);
      } else {
        finding("dangling-reference",
                "application security group " + id + " is not in the snapshot; NSG rule " + name +
                    " is left out",
                c.file, pointer);
        droppable = true;
      }
    }
    if (!names.empty()) {
      n.set(key, Node::strs(names));
    }
  };
  asgs("sourceApplicationSecurityGroups", "sourceApplicationSecurityGroups");
  asgs("destinationApplicationSecurityGroups", "destinationApplicationSecurityGroups");
  if (droppable) {
    return Node::map();
  }
  return n;
}

void Importer::check_default_rules(Obj& nsg) {
  Field f = nsg.get("defaultSecurityRules");
  if (!f || !f.value->is_array()) {
    return;
  }
  // azure-behaviour A6: Azure writes the six default rules into every NSG; they cannot be
  // changed, and the engine has them built in. Anything else here is reported.
  std::set<std::string> seen;
  for (size_t i = 0; i < f.value->size(); ++i) {
    const Json& rule = (*f.value)[i];
    std::string pointer = f.pointer + "/" + std::to_string(i);
    Field name_field = find_field(rule, pointer, "name");
    std::string name = name_field && name_field.value->is_string()
                           ? name_field.value->get<std::string>()
                           : std::string();
    const DefaultRule* match = nullptr;
    for (const DefaultRule& d : kDefaultRules) {
      if (name == d.name) {
        match = &d;
      }
    }
    auto text = [&](const char* key) {
      Field v = find_field(rule, pointer, key);
      return v && v.value->is_string() ? v.value->get<std::string>() : std::string();
    };
    Field priority = find_field(rule, pointer, "priority");
    bool same = match != nullptr && priority && *priority.value == match->priority &&
                text("direction") == match->direction && text("access") == match->access &&
                text("protocol") == "*" && text("sourceAddressPrefix") == match->source &&
                text("destinationAddressPrefix") == match->destination &&
                text("sourcePortRange") == "*" && text("destinationPortRange") == "*";
    if (!same) {
      finding("nonstandard-default-rule",
              "default rule '" + name +
                  "' is not one of Azure's six default rules as documented; the engine uses "
                  "its built-in defaults",
              nsg.file(), pointer);
    }
    seen.insert(name);
  }
}

void Importer::map_nsgs(Node& out) {
  auto nsg_node = [&](const std::string& name, const std::string& id,
                      const std::vector<Child>& rules) {
    Node n = Node::map();
    n.set("name", Node::str(name));
    n.set("id", Node::str(id));
    Node list = Node::list();
    for (const Child& c : rules) {
      Node rule = map_nsg_rule(c);
      if (!rule.entries.empty()) {
        list.items.push_back(std::move(rule));
      }
    }
    n.set("rules", std::move(list));
    return n;
  };
  for (const Resource* r : of_type("microsoft.network/networksecuritygroups")) {
    Obj o(*this, *r->json, r->pointer, r->file);
    o.use({"securityRules", "subnets", "networkInterfaces", "flowLogs", "flushConnection"});
    check_default_rules(o);
    out.items.push_back(nsg_node(
        names_[r->key], r->id,
        children(*r, "securityRules", "microsoft.network/networksecuritygroups/securityrules")));
  }
  std::map<std::string, std::vector<Child>> orphans;
  for (const Resource* r : of_type("microsoft.network/networksecuritygroups/securityrules")) {
    std::string parent = parent_id(r->id);
    if (find(parent) == nullptr) {
      orphans[parent].push_back(Child{r->json, r->file, r->pointer});
    }
  }
  for (const auto& [parent, rules] : orphans) {
    finding("synthesised", "the NSG " + parent + " is not in the snapshot; made from its rules",
            rules.front().file, rules.front().pointer.empty() ? "/" : rules.front().pointer);
    out.items.push_back(nsg_node(last_segment(parent), parent, rules));
  }
}

void Importer::map_nat_gateways(Node& out) {
  for (const Resource* r : of_type("microsoft.network/natgateways")) {
    Obj o(*this, *r->json, r->pointer, r->file);
    o.use({"subnets", "sourceVirtualNetwork"});
    Node n = Node::map();
    n.set("name", Node::str(names_[r->key]));
    n.set("id", Node::str(r->id));
    if (Field f = o.get("sku"); f && f.value->is_object()) {
      Obj s(*this, *f.value, f.pointer, r->file);
      if (auto sku = s.string("name"); sku && *sku != "Standard") {
        n.set("sku", Node::str(*sku));
      }
      s.use({"tier"});
    }
    std::vector<std::string> ips;
    for (const char* member : {"publicIpAddresses", "publicIpAddressesV6"}) {
      for (const auto& [id, pointer] : o.refs(member)) {
        if (auto name = resolve_public_ip(id, r->file, pointer)) {
          ips.push_back(*name);
        }
      }
    }
    std::vector<std::string> prefixes;
    for (const char* member : {"publicIpPrefixes", "publicIpPrefixesV6"}) {
      for (const auto& [id, pointer] : o.refs(member)) {
        if (auto it = prefix_names_.find(id_key(id)); it != prefix_names_.end()) {
          prefixes.push_back(it->second);
        } else {
          finding("dangling-reference",
                  "public IP prefix " + id + " is not in the snapshot; the reference is left out",
                  r->file, pointer);
        }
      }
    }
    if (!ips.empty()) {
      n.set("publicIps", Node::strs(ips));
    }
    if (!prefixes.empty()) {
      n.set("publicIpPrefixes", Node::strs(prefixes));
    }
    if (auto idle = o.integer("idleTimeoutInMinutes")) {
      n.set("idleTimeoutInMinutes", Node::num(*idle));
    }
    out.items.push_back(std::move(n));
  }
}

void Importer::map_gateways(Node& out) {
  for (const Resource* r : of_type("microsoft.network/virtualnetworkgateways")) {
    Obj o(*this, *r->json, r->pointer, r->file);
    o.use({"gatewayType", "vpnType", "vpnGatewayGeneration", "sku", "activeActive", "enableBgp",
           "bgpSettings", "enablePrivateIpAddress", "vpnClientConfiguration", "natRules",
           "enableBgpRouteTranslationForNat", "allowRemoteVnetTraffic", "allowVirtualWanTraffic",
           "disableIPSecReplayProtection", "adminState", "autoScaleConfiguration",
           "inboundDnsForwardingEndpoint", "resiliencyModel"});
    Node n = Node::map();
    const std::string& name = names_[r->key];
    n.set("name", Node::str(name));
    n.set("id", Node::str(r->id));
    std::string vnet;
    if (Field f = o.get("ipConfigurations"); f && f.value->is_array()) {
      for (size_t i = 0; i < f.value->size(); ++i) {
        Obj ip(*this, (*f.value)[i], f.pointer + "/" + std::to_string(i), r->file);
        ip.use({"publicIPAddress", "privateIPAddress"});
        if (auto subnet = ip.ref("subnet")) {
          if (auto it = subnet_vnet_.find(id_key(*subnet)); it != subnet_vnet_.end()) {
            vnet = it->second;
          } else if (vnet.empty()) {
            finding("dangling-reference",
                    "subnet " + *subnet + " is not in the snapshot; the gateway's VNet is unknown",
                    r->file, find_field((*f.value)[i], ip.pointer(), "subnet").pointer);
          }
        }
      }
    }
    if (vnet.empty()) {
      finding("not-modelled",
              "virtual network gateway " + name + " has no VNet in the snapshot; left out", r->file,
              r->pointer.empty() ? "/" : r->pointer);
      continue;
    }
    n.set("vnet", Node::str(vnet));
    auto learned = learned_routes_.find(lower(name));
    if (learned == learned_routes_.end()) {
      learned = learned_routes_.find(lower(r->name));
    }
    if (learned != learned_routes_.end()) {
      std::vector<std::string> routes = learned->second;
      std::sort(routes.begin(), routes.end());
      routes.erase(std::unique(routes.begin(), routes.end()), routes.end());
      n.set("bgpRoutes", Node::strs(routes));
      learned_files_.erase(learned->first);
    }
    out.items.push_back(std::move(n));
  }
  for (const auto& [gateway, where] : learned_files_) {
    finding("dangling-reference",
            "learned routes of gateway '" + gateway +
                "', which is not in the snapshot (named by the REST example's "
                "virtualNetworkGatewayName or the file's name); skipped",
            where.first, where.second.empty() ? "/" : where.second);
  }
}

void Importer::map_private_endpoints(Node& out) {
  for (const Resource* r : of_type("microsoft.network/privateendpoints")) {
    Obj o(*this, *r->json, r->pointer, r->file);
    o.use({"customNetworkInterfaceName", "applicationSecurityGroups", "ipVersionType"});
    std::string name = names_[r->key];
    std::optional<std::string> subnet;
    if (auto id = o.ref("subnet")) {
      subnet = resolve_subnet(*id, r->file, find_field(*r->json, r->pointer, "subnet").pointer);
    }
    std::string address;
    if (Field f = o.get("customDnsConfigs"); f && f.value->is_array()) {
      for (const Json& config : *f.value) {
        if (address.empty() && config.is_object() && config.contains("ipAddresses") &&
            config["ipAddresses"].is_array() && !config["ipAddresses"].empty() &&
            config["ipAddresses"][0].is_string()) {
          address = config["ipAddresses"][0].get<std::string>();
        }
      }
    }
    if (Field f = o.get("ipConfigurations"); f && f.value->is_array()) {
      for (const Json& config : *f.value) {
        Field ip = find_field(config, "", "privateIPAddress");
        if (address.empty() && ip && ip.value->is_string()) {
          address = ip.value->get<std::string>();
        }
      }
    }
    for (const auto& [id, pointer] : o.refs("networkInterfaces")) {
      const Resource* nic = find(id);
      if (nic == nullptr || !address.empty()) {
        continue;
      }
      Field configs = find_field(*nic->json, nic->pointer, "ipConfigurations");
      if (configs && configs.value->is_array() && !configs.value->empty()) {
        Field ip = find_field((*configs.value)[0], "", "privateIPAddress");
        if (ip && ip.value->is_string()) {
          address = ip.value->get<std::string>();
        }
      }
    }
    std::string service;
    for (const char* member :
         {"privateLinkServiceConnections", "manualPrivateLinkServiceConnections"}) {
      Field f = o.get(member);
      if (!f || !f.value->is_array()) {
        continue;
      }
      for (size_t i = 0; i < f.value->size(); ++i) {
        Obj conn(*this, (*f.value)[i], f.pointer + "/" + std::to_string(i), r->file);
        conn.use({"privateLinkServiceConnectionState", "requestMessage"});
        std::vector<std::string> groups = conn.strings("groupIds");
        if (auto id = conn.string("privateLinkServiceId"); id && service.empty()) {
          service = *id + (groups.empty() ? std::string() : " (" + joined(groups) + ")");
        }
      }
    }
    if (!subnet || address.empty()) {
      if (address.empty()) {
        finding("not-modelled",
                "private endpoint " + name +
                    " has no private IP in the snapshot (customDnsConfigs, ipConfigurations or "
                    "its NIC); left out",
                r->file, r->pointer.empty() ? "/" : r->pointer);
      }
      continue;
    }
    // azure-behaviour D5: the endpoint's /32 InterfaceEndpoint route is the loader's.
    Node n = Node::map();
    n.set("name", Node::str(name));
    n.set("id", Node::str(r->id));
    n.set("subnet", Node::str(*subnet));
    n.set("address", Node::str(address));
    if (!service.empty()) {
      n.set("service", Node::str(service));
    }
    out.items.push_back(std::move(n));
  }
}

void Importer::map_asgs(Node& out) {
  for (const Resource* r : of_type("microsoft.network/applicationsecuritygroups")) {
    Obj o(*this, *r->json, r->pointer, r->file);
    Node n = Node::map();
    n.set("name", Node::str(names_[r->key]));
    n.set("id", Node::str(r->id));
    out.items.push_back(std::move(n));
  }
}

void Importer::map_service_tags(Node& out) {
  std::sort(used_service_tags_.begin(), used_service_tags_.end());
  used_service_tags_.erase(std::unique(used_service_tags_.begin(), used_service_tags_.end()),
                           used_service_tags_.end());
  for (const std::string& tag : used_service_tags_) {
    auto it = service_tags_.find(tag);
    if (it == service_tags_.end()) {
      continue;
    }
    Node n = Node::map();
    n.set("name", Node::str(tag));
    n.set("addressPrefixes", Node::strs(it->second));
    out.items.push_back(std::move(n));
  }
  const std::vector<const Resource*> files = of_type("microsoft.network/servicetags");
  if (!files.empty() && service_tags_.size() > used_service_tags_.size()) {
    finding("unused-field",
            std::to_string(service_tags_.size() - used_service_tags_.size()) +
                " service tags are named by no NSG rule, firewall rule or service endpoint; left "
                "out of the topology",
            files.front()->file, files.front()->pointer + "/values");
  }
  for (const Resource* r : files) {
    Obj o(*this, *r->json, r->pointer, r->file);
    o.use({"values", "changeNumber", "cloud", "nextLink"});
  }
}

}  // namespace egress::arm
