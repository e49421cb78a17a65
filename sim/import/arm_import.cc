#include "egress/import/arm_import.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <regex>
#include <set>
#include <tuple>

#include "config/topology_loader_internal.h"
#include "egress/config/topology_loader.h"
#include "import/arm_import_internal.h"

namespace egress {
namespace arm {
namespace {

// azure-behaviour A5: members that cannot change where a packet goes (metadata, state, DNS,
// billing, NIC hardware): read past without a finding each.
constexpr std::string_view kIgnoredFields[] = {
    "etag",
    "eTag",
    "provisioningState",
    "resourceGuid",
    "location",
    "tags",
    "zones",
    "systemData",
    "extendedLocation",
    "resourceGroup",
    "subscriptionId",
    "tenantId",
    "managedBy",
    "plan",
    "identity",
    "kind",
    "description",
    "dnsSettings",
    "ddosSettings",
    "ipTags",
    "macAddress",
    "enableAcceleratedNetworking",
    "vnetEncryptionSupported",
    "auxiliaryMode",
    "auxiliarySku",
    "nicType",
    "dscpConfiguration",
    "tapConfigurations",
    "hostedWorkloads",
    "privateIPAllocationMethod",
    "privateIPAddressVersion",
    "publicIPAllocationMethod",
    "publicIPAddressVersion",
    "probes",
};

bool ignored(std::string_view key) {
  return std::find(std::begin(kIgnoredFields), std::end(kIgnoredFields), key) !=
         std::end(kIgnoredFields);
}

// Types the importer maps (lower case). Children are listed so that standalone ones (az
// network vnet subnet list, the REST example of one route) are read too.
constexpr std::string_view kKnownTypes[] = {
    "microsoft.network/virtualnetworks",
    "microsoft.network/virtualnetworks/subnets",
    "microsoft.network/virtualnetworks/virtualnetworkpeerings",
    "microsoft.network/routetables",
    "microsoft.network/routetables/routes",
    "microsoft.network/networksecuritygroups",
    "microsoft.network/networksecuritygroups/securityrules",
    "microsoft.network/natgateways",
    "microsoft.network/publicipaddresses",
    "microsoft.network/publicipprefixes",
    "microsoft.network/loadbalancers",
    "microsoft.network/loadbalancers/outboundrules",
    "microsoft.network/azurefirewalls",
    "microsoft.network/firewallpolicies",
    "microsoft.network/firewallpolicies/rulecollectiongroups",
    "microsoft.network/virtualnetworkgateways",
    "microsoft.network/privateendpoints",
    "microsoft.network/networkinterfaces",
    "microsoft.network/applicationsecuritygroups",
    "microsoft.network/servicetags",
    "microsoft.compute/virtualmachinescalesets",
    "microsoft.containerservice/managedclusters",
};

bool known_type(std::string_view type) {
  return std::find(std::begin(kKnownTypes), std::end(kKnownTypes), type) != std::end(kKnownTypes);
}

bool plain_safe(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  auto ok_first = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '/' || c == '.';
  };
  auto ok = [&](char c) {
    return ok_first(c) || c == '-' || c == ':' || c == '@' || c == '+' || c == '~' || c == '$' ||
           c == '(' || c == ')' || c == '*';
  };
  if (!ok_first(s.front()) || s.back() == ':') {
    return false;
  }
  for (char c : s) {
    if (!ok(c)) {
      return false;
    }
  }
  static constexpr std::string_view kWords[] = {
      "true", "false", "yes", "no", "on", "off", "null", "y", "n", ".inf", ".nan", "~", "=", "<<"};
  std::string l = lower(s);
  for (std::string_view w : kWords) {
    if (l == w) {
      return false;
    }
  }
  // Anything yaml-cpp or a reader could take for a number stays quoted: digits only, or a
  // decimal with one dot and nothing else. Addresses (two or more dots, or a slash) do not.
  bool digits_and_dots = std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+';
  });
  return !(digits_and_dots && std::count(s.begin(), s.end(), '.') <= 1);
}

// Where each element (a map with an `id`) starts and ends in the text, so that a loader error
// at a line of the YAML can name the ARM id of the element it is in (yaml_element_ids).
struct Marks {
  std::vector<std::pair<size_t, const std::string*>>* at = nullptr;  // offset, id from there on
  const std::string* id = nullptr;                                   // the enclosing element's
};

void emit(const Node& node, int indent, std::string& out, Marks marks);

const std::string* element_id(const Node& map, const std::string* outer) {
  for (const auto& [key, value] : map.entries) {
    if (key == "id" && value.kind == Node::Kind::kScalar) {
      return &value.text;
    }
  }
  return outer;
}

// `key: value`; `pad` false when "- " before it is already written.
void emit_flow_or_block(const std::string& key, const Node& value, int indent, std::string& out,
                        Marks marks, bool pad = true) {
  if (pad) {
    out.append(static_cast<size_t>(indent), ' ');
  }
  out += yaml_scalar(key);
  out += ':';
  switch (value.kind) {
    case Node::Kind::kScalar:
      out += ' ';
      out += yaml_scalar(value.text);
      out += '\n';
      return;
    case Node::Kind::kRaw:
      out += ' ';
      out += value.text;
      out += '\n';
      return;
    case Node::Kind::kList: {
      bool scalars = std::all_of(value.items.begin(), value.items.end(), [](const Node& n) {
        return n.kind == Node::Kind::kScalar || n.kind == Node::Kind::kRaw;
      });
      if (value.items.empty() || scalars) {
        out += " [";
        for (size_t i = 0; i < value.items.size(); ++i) {
          const Node& item = value.items[i];
          out += (i ? ", " : "");
          out += item.kind == Node::Kind::kRaw ? item.text : yaml_scalar(item.text);
        }
        out += "]\n";
        return;
      }
      out += '\n';
      emit(value, indent + 2, out, marks);
      return;
    }
    case Node::Kind::kMap: {
      if (value.entries.empty()) {
        out += " {}\n";
        return;
      }
      out += '\n';
      Marks inner = marks;
      if (marks.at != nullptr) {  // an element that is not in a list: `cluster`
        inner.id = element_id(value, marks.id);
        marks.at->emplace_back(out.size(), inner.id);
      }
      emit(value, indent + 2, out, inner);
      if (marks.at != nullptr) {
        marks.at->emplace_back(out.size(), marks.id);
      }
      return;
    }
  }
}

struct DuplicateKey {};

void emit(const Node& node, int indent, std::string& out, Marks marks) {
  if (node.kind == Node::Kind::kMap) {
    for (const auto& [key, value] : node.entries) {
      emit_flow_or_block(key, value, indent, out, marks);
    }
    return;
  }
  // A list of maps: "- " then the first entry, the rest under it.
  for (const Node& item : node.items) {
    if (item.kind != Node::Kind::kMap || item.entries.empty()) {
      out.append(static_cast<size_t>(indent), ' ');
      out += "- ";
      out += item.kind == Node::Kind::kRaw ? item.text : yaml_scalar(item.text);
      out += '\n';
      continue;
    }
    Marks inner = marks;
    if (marks.at != nullptr) {
      inner.id = element_id(item, marks.id);
      marks.at->emplace_back(out.size(), inner.id);
    }
    out.append(static_cast<size_t>(indent), ' ');
    out += "- ";
    emit_flow_or_block(item.entries[0].first, item.entries[0].second, indent + 2, out, inner,
                       false);
    for (size_t i = 1; i < item.entries.size(); ++i) {
      emit_flow_or_block(item.entries[i].first, item.entries[i].second, indent + 2, out, inner);
    }
    if (marks.at != nullptr) {
      marks.at->emplace_back(out.size(), marks.id);
    }
  }
}

}  // namespace

std::string yaml_scalar(std::string_view text) {
  if (plain_safe(text)) {
    return std::string(text);
  }
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string emit_yaml(const Node& root) {
  std::string out;
  emit(root, 0, out, Marks{});
  return out;
}

std::vector<std::string> yaml_element_ids(const Node& root) {
  std::vector<std::pair<size_t, const std::string*>> at;
  std::string text;
  emit(root, 0, text, Marks{&at, nullptr});
  std::vector<std::string> ids;
  size_t next = 0;
  const std::string* id = nullptr;
  for (size_t line_start = 0; line_start < text.size();) {
    while (next < at.size() && at[next].first <= line_start) {
      id = at[next++].second;
    }
    ids.push_back(id == nullptr ? "" : *id);
    size_t end = text.find('\n', line_start);
    line_start = end == std::string::npos ? text.size() : end + 1;
  }
  return ids;
}

namespace {

// Builds the tree inside one yaml-cpp memory: a node made on its own (YAML::Node(text), or
// the key of `map["key"]`) has a memory of its own, merged into its parent's when inserted,
// which cost more than the parse this replaces. `store_` is a list in that memory whose items
// are the root and the keys; each key text is one node, in every map that has it, as an alias
// would be (the loader reads keys, never changes them).
class TreeBuilder {
 public:
  YAML::Node build(const Node& root) {
    YAML::Node tree = store_[0];
    tree = YAML::Node(YAML::NodeType::Map);  // defined before the next item of store_ is made
    fill_map(tree, root);
    return tree;
  }

 private:
  void fill_scalar(YAML::Node target, const std::string& text, bool raw) {
    target = text;
    // As the parser tags what emit_yaml writes: plain "?", quoted "!".
    target.SetTag(raw || plain_safe(text) ? "?" : "!");
  }

  YAML::Node key(const std::string& text) {
    auto [it, fresh] = keys_.try_emplace(text);
    if (fresh) {
      YAML::Node made = store_[++stored_];
      fill_scalar(made, text, false);
      it->second = made;
    }
    return it->second;
  }

  void fill_map(YAML::Node target, const Node& node) {
    for (size_t i = 0; i < node.entries.size(); ++i) {
      const auto& [name, value] = node.entries[i];
      for (size_t j = 0; j < i; ++j) {
        if (node.entries[j].first == name) {
          // target[key] would find the first; the parser keeps both.
          throw DuplicateKey{};
        }
      }
      fill(target[key(name)], value);
    }
  }

  void fill(YAML::Node target, const Node& node) {
    switch (node.kind) {
      case Node::Kind::kScalar:
        fill_scalar(target, node.text, false);
        return;
      case Node::Kind::kRaw:
        fill_scalar(target, node.text, true);
        return;
      case Node::Kind::kList:
        if (node.items.empty()) {
          target = YAML::Node(YAML::NodeType::Sequence);
          return;
        }
        for (size_t i = 0; i < node.items.size(); ++i) {
          const Node& item = node.items[i];
          // emit() writes an item that is not a map with entries as the scalar of its text.
          if (item.kind == Node::Kind::kMap && !item.entries.empty()) {
            fill_map(target[i], item);
          } else {
            fill_scalar(target[i], item.text, item.kind == Node::Kind::kRaw);
          }
        }
        return;
      case Node::Kind::kMap:
        if (node.entries.empty()) {
          target = YAML::Node(YAML::NodeType::Map);
          return;
        }
        fill_map(target, node);
        return;
    }
  }

  YAML::Node store_{YAML::NodeType::Sequence};
  size_t stored_ = 0;
  std::unordered_map<std::string, YAML::Node> keys_;
};

}  // namespace

std::optional<YAML::Node> yaml_tree(const Node& root) {
  try {
    TreeBuilder builder;
    return builder.build(root);
  } catch (const DuplicateKey&) {
    return std::nullopt;
  }
}

std::string parent_id(std::string_view id) {
  // .../providers/NS/TYPE/NAME[/CHILD/NAME2...]: the parent drops the last two segments.
  std::string lower_id = lower(id);
  size_t providers = lower_id.rfind("/providers/");
  if (providers == std::string::npos) {
    return "";
  }
  std::string_view rest = id.substr(providers + 11);
  size_t segments = static_cast<size_t>(std::count(rest.begin(), rest.end(), '/')) + 1;
  if (segments < 5) {
    return "";
  }
  size_t cut = id.rfind('/');
  cut = id.rfind('/', cut - 1);
  return std::string(id.substr(0, cut));
}

std::string type_of_id(std::string_view id) {
  std::string lower_id = lower(id);
  size_t providers = lower_id.rfind("/providers/");
  if (providers == std::string::npos) {
    return "";
  }
  std::string_view rest = std::string_view(lower_id).substr(providers + 11);
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= rest.size()) {
    size_t slash = rest.find('/', start);
    parts.push_back(
        rest.substr(start, slash == std::string_view::npos ? rest.npos : slash - start));
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  if (parts.size() < 3) {
    return "";
  }
  std::string out = std::string(parts[0]) + "/" + std::string(parts[1]);
  for (size_t i = 3; i + 1 < parts.size(); i += 2) {
    out += "/" + std::string(parts[i]);
  }
  return out;
}

std::string last_segment(std::string_view id) {
  std::string_view trimmed = id;
  while (!trimmed.empty() && trimmed.back() == '/') {
    trimmed.remove_suffix(1);
  }
  size_t slash = trimmed.rfind('/');
  return std::string(slash == std::string_view::npos ? trimmed : trimmed.substr(slash + 1));
}

bool is_builtin_tag(std::string_view tag) {
  return tag == "*" || tag == "Internet" || tag == "VirtualNetwork" || tag == "AzureLoadBalancer";
}

// --- Obj ---------------------------------------------------------------------------------

Obj::Obj(Importer& importer, const Json& json, std::string pointer, const JsonFile* file)
    : importer_(importer), json_(json), pointer_(std::move(pointer)), file_(file) {}

Obj::~Obj() {
  if (!json_.is_object()) {
    return;
  }
  auto report = [&](const Json& object, const std::string& base) {
    for (auto it = object.begin(); it != object.end(); ++it) {
      const std::string& key = it.key();
      if (key == "properties" || key == "id" || key == "name" || key == "type" || ignored(key) ||
          std::any_of(used_.begin(), used_.end(),
                      [&](const std::string& used) { return same_member_name(used, key); })) {
        continue;
      }
      // Empty members say nothing; an empty list of rules is the same as none.
      if (it->is_null() || ((it->is_array() || it->is_object()) && it->empty())) {
        continue;
      }
      importer_.finding(
          "unused-field",
          "'" + key + "' is not used by the model at " + base + "/" + pointer_token(key), file_,
          "");
    }
  };
  report(json_, pointer_);
  auto properties = json_.find("properties");
  if (properties != json_.end() && properties->is_object()) {
    report(*properties, pointer_ + "/properties");
  }
}

Field Obj::get(std::string_view name) {
  used_.emplace_back(name);
  return find_field(json_, pointer_, name);
}

void Obj::use(std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) {
    used_.emplace_back(n);
  }
}

std::optional<std::string> Obj::string(std::string_view name) {
  Field f = get(name);
  if (!f) {
    return std::nullopt;
  }
  if (!f.value->is_string()) {
    importer_.error(
        "bad-value",
        "expected a string, got " + std::string(f.value->type_name()) + " at " + f.pointer, file_,
        "");
    return std::nullopt;
  }
  return f.value->get<std::string>();
}

std::optional<int64_t> Obj::integer(std::string_view name) {
  Field f = get(name);
  if (!f) {
    return std::nullopt;
  }
  if (f.value->is_number_integer()) {
    return f.value->get<int64_t>();
  }
  // Some ARM members are numbers written as strings (translatedPort, capacity in az output).
  if (f.value->is_string()) {
    const std::string& s = f.value->get_ref<const std::string&>();
    if (!s.empty() && s.size() < 12 &&
        std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::stoll(s);
    }
  }
  importer_.error("bad-value", "expected an integer, got " + f.value->dump() + " at " + f.pointer,
                  file_, "");
  return std::nullopt;
}

std::optional<bool> Obj::boolean(std::string_view name) {
  Field f = get(name);
  if (!f) {
    return std::nullopt;
  }
  if (f.value->is_boolean()) {
    return f.value->get<bool>();
  }
  importer_.error("bad-value",
                  "expected true or false, got " + f.value->dump() + " at " + f.pointer, file_, "");
  return std::nullopt;
}

std::vector<std::string> Obj::strings(std::string_view name) {
  std::vector<std::string> out;
  Field f = get(name);
  if (!f) {
    return out;
  }
  if (f.value->is_string()) {
    out.push_back(f.value->get<std::string>());
    return out;
  }
  if (!f.value->is_array()) {
    importer_.error(
        "bad-value",
        "expected a list of strings, got " + std::string(f.value->type_name()) + " at " + f.pointer,
        file_, "");
    return out;
  }
  for (size_t i = 0; i < f.value->size(); ++i) {
    const Json& item = (*f.value)[i];
    if (!item.is_string()) {
      importer_.error("bad-value",
                      "expected a string, got " + std::string(item.type_name()) + " at " +
                          f.pointer + "/" + std::to_string(i),
                      file_, "");
      continue;
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<std::string> Obj::ref(std::string_view name) {
  Field f = get(name);
  if (!f) {
    return std::nullopt;
  }
  if (f.value->is_string()) {
    return f.value->get<std::string>();
  }
  if (f.value->is_object()) {
    auto id = f.value->find("id");
    if (id != f.value->end() && id->is_string()) {
      return id->get<std::string>();
    }
    if (id == f.value->end() || id->is_null()) {
      return std::nullopt;
    }
  }
  importer_.error("bad-value", "expected a reference {\"id\": ...} at " + f.pointer, file_, "");
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> Obj::refs(std::string_view name) {
  std::vector<std::pair<std::string, std::string>> out;
  Field f = get(name);
  if (!f) {
    return out;
  }
  if (!f.value->is_array()) {
    importer_.error("bad-value", "expected a list of references at " + f.pointer, file_, "");
    return out;
  }
  for (size_t i = 0; i < f.value->size(); ++i) {
    const Json& item = (*f.value)[i];
    std::string pointer = f.pointer + "/" + std::to_string(i);
    if (item.is_object() && item.contains("id") && item["id"].is_string()) {
      out.emplace_back(item["id"].get<std::string>(), pointer);
    } else if (item.is_string()) {
      out.emplace_back(item.get<std::string>(), pointer);
    } else {
      importer_.error("bad-value", "expected a reference {\"id\": ...} at " + pointer, file_, "");
    }
  }
  return out;
}

// --- Importer ------------------------------------------------------------------------------

void Importer::finding(std::string code, std::string message, const JsonFile* file,
                       const std::string& pointer) {
  if (!pointer.empty()) {
    message += " at " + pointer;
  }
  findings_.push_back(Diagnostic{std::move(code), std::move(message),
                                 SourceLocation{file ? file->path : "", 0, 0}});
}

void Importer::error(std::string code, std::string message, const JsonFile* file,
                     const std::string& pointer) {
  if (!pointer.empty()) {
    message += " at " + pointer;
  }
  errors_.push_back(Diagnostic{std::move(code), std::move(message),
                               SourceLocation{file ? file->path : "", 0, 0}});
}

void Importer::collect_item(const JsonFile& file, const FileItems& items, const Item& item) {
  const Json& v = *item.value;
  if (!v.is_object()) {
    finding("not-a-resource", "a " + std::string(v.type_name()) + " where a resource was expected",
            &file, item.pointer.empty() ? "/" : item.pointer);
    return;
  }
  auto type = v.find("type");
  std::string inferred;
  if ((type == v.end() || !type->is_string()) && v.contains("id") && v["id"].is_string() &&
      v.contains("properties")) {
    // azure-behaviour A1: some REST examples leave out `type`; the id's path says it.
    inferred = type_of_id(v["id"].get<std::string>());
  }
  if (inferred.empty() && (type == v.end() || !type->is_string())) {
    if (v.contains("network") && v.contains("nextHop")) {
      // A learned route (az network vnet-gateway list-learned-routes): its gateway is named by
      // the export folder's file name, the REST example's parameters, or the file's name.
      std::string gateway;
      if (items.parameters != nullptr && items.parameters->contains("virtualNetworkGatewayName") &&
          (*items.parameters)["virtualNetworkGatewayName"].is_string()) {
        gateway = (*items.parameters)["virtualNetworkGatewayName"].get<std::string>();
      } else {
        gateway = std::filesystem::path(file.path).stem().string();
      }
      auto origin_field = v.find("origin");
      std::string origin = origin_field != v.end() && origin_field->is_string()
                               ? origin_field->get<std::string>()
                               : std::string();
      auto network = v.find("network");
      if (network != v.end() && network->is_string() && lower(origin) != "network") {
        learned_routes_[lower(gateway)].push_back(network->get<std::string>());
      }
      learned_files_.emplace(lower(gateway), std::make_pair(&file, item.pointer));
      return;
    }
    if (v.contains("nextHopType")) {
      unknown_types_["(answers) " + file.path].emplace_back(&file, item.pointer);
      return;
    }
    finding("not-a-resource", "an object without a 'type': not an ARM resource, skipped", &file,
            item.pointer.empty() ? "/" : item.pointer);
    return;
  }
  ++resource_count_;
  const std::string written = inferred.empty() ? type->get<std::string>() : inferred;
  std::string t = lower(written);
  auto id = v.find("id");
  if (id == v.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    error("missing-id", "a resource of type " + written + " without an 'id'", &file,
          item.pointer.empty() ? "/" : item.pointer);
    return;
  }
  if (!known_type(t)) {
    unknown_types_[written].emplace_back(&file, item.pointer);
    return;
  }
  Resource r;
  r.json = &v;
  r.file = &file;
  r.pointer = item.pointer;
  r.type = t;
  r.id = id->get<std::string>();
  r.key = id_key(r.id);
  r.name = v.contains("name") && v["name"].is_string() ? v["name"].get<std::string>()
                                                       : last_segment(r.id);
  resources_.push_back(std::move(r));
}

void Importer::collect(const Snapshot& snapshot) {
  std::vector<const JsonFile*> check_answers;
  for (const Snapshot::FileEntry& entry : snapshot.entries) {
    const JsonFile& file = *entry.file;
    if (file.relative.rfind("effective-routes/", 0) == 0) {
      check_answers.push_back(&file);
      continue;
    }
    // json::value() throws when the member is there but not a string.
    if (file.root.is_object() && file.root.contains("tool") && file.root["tool"].is_string() &&
        file.root["tool"].get<std::string>() == "azure-export.sh") {
      continue;  // the export's manifest: what was asked for, not a resource
    }
    for (const Item& item : entry.items.items) {
      collect_item(file, entry.items, item);
    }
  }
  if (!check_answers.empty()) {
    finding("check-input",
            std::to_string(check_answers.size()) +
                " file(s) under effective-routes/ hold Azure's answers for `egress-sim check`, "
                "not resources; import skips them",
            check_answers.front(), "");
  }
}

void Importer::index_resources() {
  std::sort(resources_.begin(), resources_.end(), [](const Resource& a, const Resource& b) {
    if (a.key != b.key) {
      return a.key < b.key;
    }
    if (a.file->path != b.file->path) {
      return a.file->path < b.file->path;
    }
    return a.pointer < b.pointer;
  });
  std::vector<Resource> unique;
  unique.reserve(resources_.size());
  for (Resource& r : resources_) {
    if (!unique.empty() && unique.back().key == r.key) {
      const Resource& kept = unique.back();
      if (*kept.json != *r.json) {
        // azure-behaviour A2: one id, two different bodies (two snapshots mixed, or the REST
        // examples' shared placeholder ids): the first by file name is kept.
        finding("duplicate-resource-id",
                r.id + " is also defined in " + kept.file->path + " at " +
                    (kept.pointer.empty() ? "/" : kept.pointer) +
                    " with other content; that one (first by file name) is used, this one "
                    "skipped",
                r.file, r.pointer.empty() ? "/" : r.pointer);
      }
      continue;
    }
    unique.push_back(std::move(r));
  }
  resources_ = std::move(unique);
  by_key_.reserve(resources_.size());
  for (size_t i = 0; i < resources_.size(); ++i) {
    by_key_.emplace(resources_[i].key, i);
    std::string parent = parent_id(resources_[i].id);
    if (!parent.empty()) {
      standalone_children_[id_key(parent)].push_back(i);
    }
  }
}

std::string Importer::unique_name(const std::string& type, const Resource& r) const {
  (void)type;
  std::string group = resource_group_of(r.id);
  return group.empty() ? r.name : r.name + "@" + group;
}

void Importer::assign_names() {
  // azure-behaviour A3: names are the resources' own; two of one kind with one name (in
  // different resource groups) become NAME@GROUP.
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> groups;
  for (size_t i = 0; i < resources_.size(); ++i) {
    const Resource& r = resources_[i];
    if (!parent_id(r.id).empty()) {
      continue;  // children are named inside their parent
    }
    groups[{r.type, lower(r.name)}].push_back(i);
  }
  for (const auto& [kind, members] : groups) {
    if (members.size() == 1) {
      names_[resources_[members[0]].key] = resources_[members[0]].name;
      continue;
    }
    std::set<std::string> taken;
    for (size_t i : members) {
      const Resource& r = resources_[i];
      std::string name = unique_name(kind.first, r);
      for (int n = 2; taken.count(lower(name)) != 0; ++n) {
        name = unique_name(kind.first, r) + "#" + std::to_string(n);
      }
      taken.insert(lower(name));
      names_[r.key] = name;
      finding("duplicate-name",
              std::to_string(members.size()) + " resources of type " + r.type + " are named '" +
                  r.name + "'; this one (" + r.id + ") is '" + name + "' in the topology",
              r.file, r.pointer.empty() ? "/" : r.pointer);
    }
  }
}

const Resource* Importer::find(const std::string& id) const {
  auto it = by_key_.find(id_key(id));
  return it == by_key_.end() ? nullptr : &resources_[it->second];
}

std::vector<const Resource*> Importer::of_type(std::string_view type) const {
  std::vector<const Resource*> out;
  for (const Resource& r : resources_) {
    if (r.type == type) {
      out.push_back(&r);
    }
  }
  return out;
}

std::vector<Child> Importer::children(const Resource& parent, std::string_view embedded_key,
                                      std::string_view child_type) {
  std::vector<Child> out;
  std::set<std::string> seen;
  Field embedded = find_field(*parent.json, parent.pointer, embedded_key);
  if (embedded && embedded.value->is_array()) {
    for (size_t i = 0; i < embedded.value->size(); ++i) {
      const Json& item = (*embedded.value)[i];
      out.push_back(Child{&item, parent.file, embedded.pointer + "/" + std::to_string(i)});
      if (item.is_object() && item.contains("id") && item["id"].is_string()) {
        seen.insert(id_key(item["id"].get<std::string>()));
      }
    }
  }
  auto standalone = standalone_children_.find(parent.key);
  if (standalone != standalone_children_.end()) {
    for (size_t i : standalone->second) {
      const Resource& r = resources_[i];
      if (r.type != child_type || seen.count(r.key) != 0) {
        continue;
      }
      out.push_back(Child{r.json, r.file, r.pointer});
    }
  }
  return out;
}

Node Importer::build() {
  index_network();
  index_compute();
  Node root = Node::map();
  root.set("version", Node::num(1));
  std::string name = options_.name;
  if (name.empty()) {
    name = cluster_ == nullptr ? "imported" : cluster_->name;
  }
  root.set("name", Node::str(name));
  map_cluster(root);

  Node vnets = Node::list();
  map_vnets(vnets);
  Node route_tables = Node::list();
  map_route_tables(route_tables);
  Node public_ips = Node::list();
  map_public_ips(public_ips);
  Node prefixes = Node::list();
  map_public_ip_prefixes(prefixes);
  Node appliances = Node::list();
  map_firewalls(appliances);
  Node hosts = Node::list();
  map_nics(hosts, appliances);
  Node nat_gateways = Node::list();
  map_nat_gateways(nat_gateways);
  Node load_balancers = Node::list();
  map_load_balancers(load_balancers);
  Node gateways = Node::list();
  map_gateways(gateways);
  Node nsgs = Node::list();
  map_nsgs(nsgs);
  Node private_endpoints = Node::list();
  map_private_endpoints(private_endpoints);
  Node asgs = Node::list();
  map_asgs(asgs);
  Node tags = Node::list();
  map_service_tags(tags);

  for (Node& v : synthesised_vnets_.items) {
    vnets.items.push_back(std::move(v));
  }
  for (Node& n : synthesised_nats_.items) {
    nat_gateways.items.push_back(std::move(n));
  }
  for (Node& lb : synthesised_lbs_.items) {
    load_balancers.items.push_back(std::move(lb));
  }
  std::pair<const char*, Node*> sections[] = {
      {"vnets", &vnets},
      {"routeTables", &route_tables},
      {"publicIps", &public_ips},
      {"publicIpPrefixes", &prefixes},
      {"appliances", &appliances},
      {"natGateways", &nat_gateways},
      {"loadBalancers", &load_balancers},
      {"hosts", &hosts},
      {"gateways", &gateways},
      {"nsgs", &nsgs},
      {"privateEndpoints", &private_endpoints},
      {"applicationSecurityGroups", &asgs},
      {"serviceTags", &tags},
  };
  for (auto& [key, node] : sections) {
    if (!node->items.empty()) {
      root.set(key, std::move(*node));
    }
  }
  return root;
}

std::unordered_map<std::string, std::pair<const JsonFile*, std::string>> Importer::json_places()
    const {
  std::unordered_map<std::string, std::pair<const JsonFile*, std::string>> places;
  for (const Resource& r : resources_) {
    places.emplace(r.key, std::make_pair(r.file, r.pointer));
  }
  // Children embedded in their parents (subnets, rules, frontends): objects with an id and a
  // body; references ({"id": ...} alone) are not where anything is defined.
  std::function<void(const Json&, const std::string&, const JsonFile*)> walk =
      [&](const Json& json, const std::string& pointer, const JsonFile* file) {
        if (json.is_array()) {
          for (size_t i = 0; i < json.size(); ++i) {
            walk(json[i], pointer + "/" + std::to_string(i), file);
          }
          return;
        }
        if (!json.is_object()) {
          return;
        }
        auto id = json.find("id");
        if (id != json.end() && id->is_string() &&
            (json.contains("name") || json.contains("properties"))) {
          places.emplace(id_key(id->get<std::string>()), std::make_pair(file, pointer));
        }
        for (auto it = json.begin(); it != json.end(); ++it) {
          walk(*it, pointer + "/" + pointer_token(it.key()), file);
        }
      };
  for (const Resource& r : resources_) {
    walk(*r.json, r.pointer, r.file);
  }
  return places;
}

namespace {

// The first place where two yaml-cpp trees differ (type, tag, text, order), or "".
std::string tree_difference(const YAML::Node& a, const YAML::Node& b, const std::string& path) {
  if (a.Type() != b.Type()) {
    return path + ": node types differ";
  }
  if (a.IsScalar()) {
    if (a.Scalar() != b.Scalar() || a.Tag() != b.Tag()) {
      return path + ": '" + a.Scalar() + "' (" + a.Tag() + ") vs '" + b.Scalar() + "' (" + b.Tag() +
             ")";
    }
    return "";
  }
  if (a.size() != b.size()) {
    return path + ": sizes differ";
  }
  if (a.IsSequence()) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::string d = tree_difference(a[i], b[i], path + "/" + std::to_string(i)); !d.empty()) {
        return d;
      }
    }
    return "";
  }
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end() && ib != b.end(); ++ia, ++ib) {
    std::string key = ia->first.IsScalar() ? ia->first.Scalar() : "?";
    if (std::string d = tree_difference(ia->first, ib->first, path + "/" + key + " (key)");
        !d.empty()) {
      return d;
    }
    if (std::string d = tree_difference(ia->second, ib->second, path + "/" + key); !d.empty()) {
      return d;
    }
  }
  return "";
}

}  // namespace

bool Importer::load_back(const Node& root, const std::string& yaml) {
  const std::string file = "<imported topology>";
  LoadLimits limits;
  limits.max_bytes = std::max<uint64_t>(limits.max_bytes, yaml.size() * 2);
  // The tree the text parses to, loaded without the parse: the parse was three quarters of an
  // import's time. verify_text_ (the tests and the fuzz target) proves the two are the same.
  std::optional<YAML::Node> tree;
  try {
    tree = yaml_tree(root);
  } catch (const YAML::Exception& e) {
    errors_.push_back(Diagnostic{"internal", "cannot build the YAML tree: " + e.msg, {}});
    return false;
  }
  // A map with a key twice (the parser keeps both copies; the loader reports duplicate-key):
  // the text itself.
  LoadResult loaded = tree ? internal::load_topology_tree(*tree, yaml, file, limits)
                           : parse_topology(yaml, file, limits);
  if (verify_text_ && tree) {
    std::string difference;
    try {
      difference = tree_difference(YAML::Load(yaml), *tree, "");
    } catch (const YAML::Exception& e) {
      difference = "the text does not parse: " + e.msg;
    }
    LoadResult from_text = parse_topology(yaml, file, limits);
    if (difference.empty() && from_text.topology.has_value() != loaded.topology.has_value()) {
      difference = "the text loads differently";
    }
    if (!difference.empty()) {
      errors_.push_back(
          Diagnostic{"internal", "the written YAML is not the tree loaded: " + difference, {}});
      return false;
    }
  }
  if (loaded.topology) {
    return true;
  }
  // The importer wrote something the loader refuses: an importer bug or a combination the
  // schema cannot hold; never a silent partial import. The text gives the errors' lines, and
  // the lines the elements and so the JSON that made them.
  LoadResult from_text = parse_topology(yaml, file, limits);
  if (from_text.topology) {
    errors_.push_back(
        Diagnostic{"internal",
                   "the imported topology loads from its text but not from its tree: " +
                       (loaded.errors.empty() ? std::string() : loaded.errors.front().message),
                   {}});
    return false;
  }
  const std::vector<std::string> ids = yaml_element_ids(root);
  const auto places = json_places();
  // Line 1 is the comment before emit_yaml's text.
  auto place_of = [&](int line) -> const std::pair<const JsonFile*, std::string>* {
    if (line < 2 || static_cast<size_t>(line - 2) >= ids.size() || ids[line - 2].empty()) {
      return nullptr;
    }
    auto it = places.find(id_key(ids[line - 2]));
    return it == places.end() ? nullptr : &it->second;
  };
  auto shown = [](const std::string& pointer) { return pointer.empty() ? "/" : pointer; };
  for (Diagnostic& d : from_text.errors) {
    std::string message = "the imported topology does not load: ";
    // "line N, column M" in a loader message: the YAML's place, which the user never saw.
    static const std::regex kLineColumn(R"(line (\d+), column \d+)");
    std::smatch m;
    std::string rest = d.message;
    while (std::regex_search(rest, m, kLineColumn)) {
      message += m.prefix();
      const auto* other = place_of(std::stoi(m[1].str()));
      message += other == nullptr ? m[0].str() : shown(other->second) + " in " + other->first->path;
      rest = m.suffix();
    }
    message += rest;
    if (const auto* place = place_of(d.where.line)) {
      error("import-does-not-load", std::move(message), place->first, shown(place->second));
      continue;
    }
    // An element the importer made up (the managed VNet) has no JSON: the line of the text,
    // which the user does not see, only in the message.
    if (d.where.line > 0) {
      message += " (line " + std::to_string(d.where.line) + " of the imported topology)";
    }
    errors_.push_back(Diagnostic{"import-does-not-load", std::move(message), {}});
  }
  return false;
}

ImportResult Importer::run(std::span<const std::string> sources) {
  ImportResult result;
  ReadLimits limits;
  limits.max_bytes = options_.max_file_bytes;
  Snapshot snapshot = read_sources(sources, limits);
  errors_ = std::move(snapshot.errors);
  collect(snapshot);
  index_resources();
  assign_names();
  Node root = build();
  for (auto& [type, places] : unknown_types_) {
    // The first by file name and pointer, whatever the order of the sources.
    std::sort(places.begin(), places.end(), [](const auto& a, const auto& b) {
      return std::tie(a.first->path, a.second) < std::tie(b.first->path, b.second);
    });
    std::string where = places.front().second.empty() ? "/" : places.front().second;
    if (type.front() == '(') {
      finding("check-input",
              std::to_string(places.size()) +
                  " effective route(s) or next hop answer(s): Azure's answers for `egress-sim "
                  "check`, not resources; skipped, the first",
              places.front().first, where);
      continue;
    }
    finding("unknown-type",
            std::to_string(places.size()) + " resource(s) of type " + type +
                " skipped (not modelled), the first",
            places.front().first, where);
  }
  result.resources = resource_count_;
  // Findings in file order, then as found; the files' order is their names', not the
  // command line's.
  std::stable_sort(
      findings_.begin(), findings_.end(),
      [](const Diagnostic& a, const Diagnostic& b) { return a.where.file < b.where.file; });
  if (errors_.empty() && resource_count_ == 0) {
    // Files of answers only (effective routes, next hops) read fine and hold no network.
    findings_.push_back(Diagnostic{"empty-import",
                                   "no Azure resources in the input (" +
                                       std::to_string(snapshot.entries.size()) +
                                       " file(s) read): the topology is empty",
                                   {}});
  }
  if (errors_.empty()) {
    std::string yaml =
        "# Imported by egress-sim import from Azure Resource Manager JSON; ids are ARM ids.\n" +
        emit_yaml(root);
    if (load_back(root, yaml)) {
      result.yaml = std::move(yaml);
    }
  }
  if (options_.strict && !findings_.empty() && errors_.empty()) {
    result.yaml.clear();
    for (const Diagnostic& d : findings_) {
      errors_.push_back(d);
    }
    findings_.clear();
  }
  result.findings = std::move(findings_);
  result.errors = std::move(errors_);
  return result;
}

}  // namespace arm

Result<uint64_t> parse_max_import_bytes(std::string_view text) {
  Result<arm::ReadLimits> limits = arm::parse_read_limits(text);
  if (!limits) {
    return limits.error();
  }
  return limits->max_bytes;
}

ImportResult import_azure(std::span<const std::string> sources, const ImportOptions& options) {
  try {
    arm::Importer importer(options);
    return importer.run(sources);
  } catch (const std::bad_alloc&) {
    ImportResult result;
    result.errors.push_back(Diagnostic{"internal", "out of memory while importing", {}});
    return result;
  } catch (const std::exception& e) {
    // nlohmann::json throws on a type it did not expect; each read checks types first, so
    // this is an importer bug, reported, never a crash.
    ImportResult result;
    result.errors.push_back(Diagnostic{"internal", std::string("import failed: ") + e.what(), {}});
    return result;
  }
}

}  // namespace egress
