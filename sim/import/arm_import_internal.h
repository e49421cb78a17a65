// The ARM importer's pieces (arm_import.cc: reading, ids, names, YAML; arm_map_network.cc and
// arm_map_compute.cc: one function per resource family). azure-behaviour A says what each
// resource becomes.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "egress/import/arm_import.h"
#include "egress/net/ip_address.h"
#include "import/arm_json_internal.h"

namespace YAML {
class Node;
}

namespace egress::arm {

/// A YAML value as the importer writes it: maps keep their insertion order, so the output is
/// in the schema's order and deterministic.
struct Node {
  enum class Kind : uint8_t { kMap, kList, kScalar, kRaw };
  Kind kind = Kind::kMap;
  // Not std::pair: clang 14 with libstdc++ 12 cannot instantiate pair<std::string, Node>
  // while Node is incomplete (pair's conditionally explicit default constructor).
  struct Entry;
  std::vector<Entry> entries;
  std::vector<Node> items;
  std::string text;

  static Node map();
  static Node list();
  static Node str(std::string s);
  static Node num(int64_t v);
  static Node boolean(bool v);
  static Node strs(const std::vector<std::string>& values);
  Node& set(std::string key, Node value);
  bool empty() const;
};

struct Node::Entry {
  std::string first;  // the key
  Node second;
};

inline Node Node::map() {
  return Node{};
}
inline Node Node::list() {
  Node n;
  n.kind = Kind::kList;
  return n;
}
inline Node Node::str(std::string s) {
  Node n;
  n.kind = Kind::kScalar;
  n.text = std::move(s);
  return n;
}
inline Node Node::num(int64_t v) {
  Node n;
  n.kind = Kind::kRaw;
  n.text = std::to_string(v);
  return n;
}
inline Node Node::boolean(bool v) {
  Node n;
  n.kind = Kind::kRaw;
  n.text = v ? "true" : "false";
  return n;
}
inline Node Node::strs(const std::vector<std::string>& values) {
  Node n = list();
  for (const std::string& v : values) {
    n.items.push_back(str(v));
  }
  return n;
}
inline bool Node::empty() const {
  return entries.empty() && items.empty();
}
inline Node& Node::set(std::string key, Node value) {
  entries.push_back(Entry{std::move(key), std::move(value)});
  return entries.back().second;
}

/// The topology YAML text of `root` (a map).
std::string emit_yaml(const Node& root);

/// Per line of emit_yaml(root): the `id` of the innermost element (list item map) the line is
/// in, "" outside any element with an id. Loader errors are placed with it.
std::vector<std::string> yaml_element_ids(const Node& root);

/// The yaml-cpp tree that parsing emit_yaml(root) gives (types, tags, scalars, order), without
/// the text round trip and without marks; nullopt when a map has a key twice.
std::optional<YAML::Node> yaml_tree(const Node& root);

/// A scalar as YAML writes it: plain when that reads back as the same string, else quoted.
std::string yaml_scalar(std::string_view text);

/// One ARM resource read from a file (a top-level item, or a standalone child such as a
/// subnet or a route).
struct Resource {
  const Json* json = nullptr;
  const JsonFile* file = nullptr;
  std::string pointer;
  std::string type;  // lower case: microsoft.network/virtualnetworks
  std::string id;    // as written
  std::string key;   // id_key(id)
  std::string name;  // as written; the element's name in the YAML may differ (disambiguated)
};

class Importer;

/// An ARM object being read: find_field in either shape, remembering every key it asked
/// for, so that what the model does not use becomes an `unused-field` finding when it closes
/// (keys of the short list in azure-behaviour A5 excepted).
class Obj {
 public:
  Obj(Importer& importer, const Json& json, std::string pointer, const JsonFile* file);
  Obj(const Obj&) = delete;
  Obj& operator=(const Obj&) = delete;
  ~Obj();

  Field get(std::string_view name);
  /// Marks keys as read on purpose (what they say is used elsewhere or checked).
  void use(std::initializer_list<std::string_view> names);
  /// A child object (`sku`, an item of `subnets`) as an Obj of its own.
  const Json& json() const { return json_; }
  const std::string& pointer() const { return pointer_; }
  const JsonFile* file() const { return file_; }

  // Typed reads: nullopt when absent or null; a `bad-value` error when of another type.
  std::optional<std::string> string(std::string_view name);
  std::optional<int64_t> integer(std::string_view name);
  std::optional<bool> boolean(std::string_view name);
  std::vector<std::string> strings(std::string_view name);
  /// The `id` of a reference member (`{"id": ...}`, or the id as a string).
  std::optional<std::string> ref(std::string_view name);
  /// The ids of a list of references.
  std::vector<std::pair<std::string, std::string>> refs(std::string_view name);  // id, pointer

 private:
  Importer& importer_;
  const Json& json_;
  std::string pointer_;
  const JsonFile* file_;
  std::vector<std::string> used_;
};

/// A child (subnet, route, rule) of a resource: either embedded in its parent or standalone.
struct Child {
  const Json* json = nullptr;
  const JsonFile* file = nullptr;
  std::string pointer;
};

class Importer {
 public:
  explicit Importer(const ImportOptions& options) : options_(options) {}
  /// Reads, maps, writes the YAML and loads it with the topology loader (from the tree the
  /// text parses to, yaml_tree; from the text itself when that finds errors, for positions).
  ImportResult run(std::span<const std::string> sources);

  /// Also parses the written text and checks it gives the tree that was loaded (tests, fuzzing):
  /// a difference is an `internal` error.
  bool verify_text_ = false;

  // --- diagnostics ---
  void finding(std::string code, std::string message, const JsonFile* file,
               const std::string& pointer);
  void error(std::string code, std::string message, const JsonFile* file,
             const std::string& pointer);

 private:
  friend class Obj;

  // arm_import.cc
  void collect(const Snapshot& snapshot);
  void collect_item(const JsonFile& file, const FileItems& items, const Item& item);
  void index_resources();
  void assign_names();
  std::string unique_name(const std::string& type, const Resource& r) const;
  const Resource* find(const std::string& id) const;
  std::vector<const Resource*> of_type(std::string_view type) const;
  std::vector<Child> children(const Resource& parent, std::string_view embedded_key,
                              std::string_view child_type);
  Node build();
  bool load_back(const Node& root, const std::string& yaml);
  /// Each element's ARM id (lower case) -> its JSON file and pointer, for errors about the YAML.
  std::unordered_map<std::string, std::pair<const JsonFile*, std::string>> json_places() const;

  // arm_map_network.cc
  void map_public_ips(Node& out);
  void map_public_ip_prefixes(Node& out);
  void map_vnets(Node& out);
  Node map_subnet(const Child& child, const std::string& vnet_name);
  void map_route_tables(Node& out);
  void map_nsgs(Node& out);
  Node map_nsg_rule(const Child& child);
  void check_default_rules(Obj& nsg);
  void map_nat_gateways(Node& out);
  void map_gateways(Node& out);
  void map_private_endpoints(Node& out);
  void map_asgs(Node& out);
  void map_service_tags(Node& out);
  void index_network();

  // Reference resolution: the YAML name of what `id` names, or a `dangling-reference`
  // (`unallocated-public-ip`) finding at `pointer` and nullopt.
  std::optional<std::string> resolve(std::string_view type, const std::string& id,
                                     std::string_view what, const JsonFile* file,
                                     const std::string& pointer);
  std::optional<std::string> resolve_public_ip(const std::string& id, const JsonFile* file,
                                               const std::string& pointer);
  std::optional<std::string> resolve_subnet(const std::string& id, const JsonFile* file,
                                            const std::string& pointer);

  // arm_map_compute.cc
  void map_rule_collection(const Json& collection, const std::string& pointer, const JsonFile* file,
                           std::string_view kind, std::optional<int64_t> group_priority,
                           void* out_rules);
  void map_policy(const Resource& policy, std::vector<std::string>& private_ranges,
                  void* out_rules);
  void map_load_balancers(Node& out);
  void map_firewalls(Node& appliances);
  void map_nics(Node& hosts, Node& appliances);
  void map_cluster(Node& root);
  void index_compute();

 public:
  // --- shared state (the maps from ARM ids, lower-cased, to YAML names) ---
  const ImportOptions& options_;
  std::vector<Diagnostic> findings_;
  std::vector<Diagnostic> errors_;
  size_t resource_count_ = 0;

  std::vector<Resource> resources_;                     // sorted by key, deduplicated
  std::unordered_map<std::string, size_t> by_key_;      // id key -> resources_ index
  std::unordered_map<std::string, std::string> names_;  // id key -> YAML name
  std::unordered_map<std::string, std::vector<size_t>> standalone_children_;  // parent key
  std::map<std::string, std::vector<std::pair<const JsonFile*, std::string>>> unknown_types_;

  // Subresources and resolved references.
  std::unordered_map<std::string, std::string> subnet_names_;     // subnet key -> VNET/SUBNET
  std::unordered_map<std::string, std::string> subnet_vnet_;      // subnet key -> vnet name
  std::unordered_map<std::string, std::string> subnet_nat_;       // subnet key -> NAT gw name
  std::unordered_map<std::string, std::string> public_ip_names_;  // allocated ones only
  std::unordered_map<std::string, std::string> unallocated_ips_;  // key -> name
  std::unordered_map<std::string, std::string> prefix_names_;
  std::unordered_map<std::string, std::string> asg_names_;
  std::unordered_map<std::string, std::vector<std::string>> pool_members_;  // pool key
  std::vector<std::string> next_hop_ips_;  // VirtualAppliance next hops of every route
  std::map<std::string, std::vector<std::string>> learned_routes_;  // gateway name (lower)
  std::map<std::string, std::pair<const JsonFile*, std::string>> learned_files_;
  std::map<std::string, std::vector<std::string>> service_tags_;  // name -> prefixes
  std::vector<std::string> used_service_tags_;
  std::vector<std::string> firewall_ips_;  // private IPs of firewalls: not hosts or NVAs
  std::set<std::string> mapped_policies_;  // policies already read for findings
  std::set<std::string> mapped_groups_;
  std::vector<std::string> node_pool_names_;
  const Resource* cluster_ = nullptr;
  std::string node_resource_group_;  // lower case
  Node synthesised_vnets_ = Node::list();
  Node synthesised_lbs_ = Node::list();
  Node synthesised_nats_ = Node::list();
  std::string managed_subnet_;  // VNET/SUBNET of the managed VNet's node subnet, when made
  std::string cluster_lb_key_;  // key of the cluster's load balancer when in the snapshot
  std::string cluster_nat_name_;
};

/// `/subscriptions/S/resourceGroups/RG/providers/NS/TYPE/NAME/CHILD/NAME2` -> the id up to
/// NAME ("" when the id has no parent).
std::string parent_id(std::string_view id);

/// The type of an id's resource, lower case, from its path (`microsoft.network/
/// virtualnetworks/subnets`).
std::string type_of_id(std::string_view id);

/// The last segment of an id.
std::string last_segment(std::string_view id);

bool is_builtin_tag(std::string_view tag);

}  // namespace egress::arm
