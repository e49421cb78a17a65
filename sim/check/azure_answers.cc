// Reading Azure's answers for `check` (azure-behaviour F): the shapes az and the REST API
// print, told apart by their members. nlohmann's exceptions stay in this file.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "egress/check/azure_check.h"
#include "import/arm_json_internal.h"

namespace egress {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string text_of(const Json& j) {
  return j.is_string() ? j.get<std::string>() : std::string();
}

// A member of a resource in either shape: nested (`properties.X`, REST and Resource Graph) or
// flattened (`X`, az's network and aks commands). Returns the pointer suffix through `where`.
const Json* member(const Json& resource, const char* key, std::string& where) {
  auto props = resource.find("properties");
  if (props != resource.end() && props->is_object()) {
    auto it = props->find(key);
    if (it != props->end()) {
      where = std::string("/properties/") + key;
      return &*it;
    }
  }
  auto it = resource.find(key);
  if (it != resource.end()) {
    where = std::string("/") + key;
    return &*it;
  }
  return nullptr;
}

std::vector<std::string> strings(const Json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const Json& e : j) {
      if (e.is_string()) {
        out.push_back(e.get<std::string>());
      }
    }
  } else if (j.is_string()) {
    out.push_back(j.get<std::string>());
  }
  return out;
}

std::vector<std::string> ids(const Json& list) {
  std::vector<std::string> out;
  if (list.is_array()) {
    for (const Json& e : list) {
      if (e.is_object() && e.contains("id") && e["id"].is_string()) {
        out.push_back(e["id"].get<std::string>());
      }
    }
  }
  return out;
}

bool is_route_row(const Json& j) {
  // addressPrefix a list: a user route (az network route-table route list) has a string.
  return j.is_object() && j.contains("nextHopType") && j.contains("addressPrefix") &&
         j["addressPrefix"].is_array();
}

bool is_route_list(const Json& j) {
  return j.is_array() && !j.empty() && std::all_of(j.begin(), j.end(), is_route_row);
}

struct FileContext {
  SourceLocation where;
  std::string nic;                // REST wrapper's networkInterfaceName, or the export file name
  std::string subnet;             // the export file name
  const Json* request = nullptr;  // REST wrapper's request body (next hop)
};

constexpr int kMaxDepth = 8;

class Reader {
 public:
  explicit Reader(AzureAnswers& answers) : answers_(answers) {}

  // `depth` bounds the recursion: answers nest a list in a wrapper at most a few levels deep,
  // and a hostile file of nested arrays must not exhaust the stack.
  void visit(const Json& j, const std::string& pointer, const FileContext& ctx, int depth = 0) {
    if (depth > kMaxDepth) {
      return;
    }
    if (j.is_array()) {
      if (is_route_list(j)) {
        add_route_table(j, pointer, ctx);
        return;
      }
      for (size_t i = 0; i < j.size(); ++i) {
        visit(j[i], pointer + "/" + std::to_string(i), ctx, depth + 1);
      }
      return;
    }
    if (!j.is_object()) {
      return;
    }
    if (j.contains("parameters") && j.contains("responses") && j["responses"].is_object()) {
      unwrap(j, pointer, ctx, depth);
      return;
    }
    for (const char* list : {"value", "data"}) {
      auto it = j.find(list);
      if (it != j.end() && it->is_array() && !j.contains("type")) {
        visit(*it, pointer + "/" + list, ctx, depth + 1);
        return;
      }
    }
    if (j.contains("nextHopType") && !j.contains("addressPrefix")) {
      add_next_hop(j, ctx);
      return;
    }
    std::string type = text_of(j.value("type", Json()));
    if (iequals(type, "Microsoft.ContainerService/managedClusters")) {
      add_cluster(j, pointer, ctx);
    } else if (iequals(type, "Microsoft.Network/natGateways")) {
      add_nat_gateway(j, pointer, ctx);
    } else if (iequals(type, "Microsoft.Network/publicIPAddresses")) {
      std::string at;
      const Json* address = member(j, "ipAddress", at);
      answers_.public_ips.push_back(PublicIpAnswer{ctx.where, text_of(j.value("id", Json())),
                                                   text_of(j.value("name", Json())),
                                                   address ? text_of(*address) : ""});
    } else {
      ++answers_.other_resources;
    }
  }

 private:
  // The REST examples' wrapper: the answer is the 200 (else 201) body; the path parameters
  // say which NIC, the request body which flow.
  void unwrap(const Json& j, const std::string& pointer, const FileContext& ctx, int depth) {
    FileContext inner = ctx;
    const Json& params = j["parameters"];
    if (params.is_object()) {
      if (std::string nic = text_of(params.value("networkInterfaceName", Json())); !nic.empty()) {
        inner.nic = nic;
      }
      auto body = params.find("parameters");
      if (body != params.end() && body->is_object()) {
        inner.request = &*body;
      }
    }
    for (const char* status : {"200", "201"}) {
      auto response = j["responses"].find(status);
      if (response != j["responses"].end() && response->is_object() && response->contains("body")) {
        visit((*response)["body"], pointer + "/responses/" + status + "/body", inner, depth + 1);
        return;
      }
    }
  }

  void add_route_table(const Json& rows, const std::string& pointer, const FileContext& ctx) {
    EffectiveRouteAnswer answer{ctx.where, ctx.nic, ctx.subnet, {}};
    for (size_t i = 0; i < rows.size(); ++i) {
      const Json& r = rows[i];
      AzureRouteRow row;
      row.source = text_of(r.value("source", Json()));
      row.state = text_of(r.value("state", Json()));
      row.address_prefixes = strings(r["addressPrefix"]);
      row.next_hop_type = text_of(r["nextHopType"]);
      row.next_hop_ips = strings(r.value("nextHopIpAddress", Json()));
      row.name = text_of(r.value("name", Json()));
      row.pointer = pointer + "/" + std::to_string(i);
      answer.rows.push_back(std::move(row));
    }
    answers_.route_tables.push_back(std::move(answer));
  }

  void add_next_hop(const Json& j, const FileContext& ctx) {
    NextHopAnswer answer;
    answer.where = ctx.where;
    // az network watcher show-next-hop prints only the answer; the REST wrapper (or members
    // written beside the answer) carries the request.
    const Json& request = ctx.request != nullptr ? *ctx.request : j;
    answer.source_ip = text_of(request.value("sourceIPAddress", Json()));
    answer.destination_ip = text_of(request.value("destinationIPAddress", Json()));
    answer.target_nic_id = text_of(request.value("targetNicResourceId", Json()));
    answer.next_hop_type = text_of(j["nextHopType"]);
    answer.next_hop_ip = text_of(j.value("nextHopIpAddress", Json()));
    answer.route_table_id = text_of(j.value("routeTableId", Json()));
    answers_.next_hops.push_back(std::move(answer));
  }

  void add_cluster(const Json& j, const std::string& pointer, const FileContext& ctx) {
    std::string at;
    const Json* profile = member(j, "networkProfile", at);
    if (profile == nullptr || !profile->is_object()) {
      ++answers_.other_resources;
      return;
    }
    struct Part {
      const char* key;
      EgressIpAnswer::Kind kind;
    };
    for (Part part : {Part{"loadBalancerProfile", EgressIpAnswer::Kind::kLoadBalancerProfile},
                      Part{"natGatewayProfile", EgressIpAnswer::Kind::kNatGatewayProfile}}) {
      auto p = profile->find(part.key);
      if (p == profile->end() || !p->is_object() || !p->contains("effectiveOutboundIPs")) {
        continue;
      }
      EgressIpAnswer answer;
      answer.where = ctx.where;
      answer.kind = part.kind;
      answer.resource = text_of(j.value("name", Json()));
      answer.resource_id = text_of(j.value("id", Json()));
      answer.pointer = pointer + at + "/" + part.key + "/effectiveOutboundIPs";
      answer.ids = ids((*p)["effectiveOutboundIPs"]);
      answers_.egress_ips.push_back(std::move(answer));
    }
  }

  void add_nat_gateway(const Json& j, const std::string& pointer, const FileContext& ctx) {
    EgressIpAnswer answer;
    answer.where = ctx.where;
    answer.kind = EgressIpAnswer::Kind::kNatGateway;
    answer.resource = text_of(j.value("name", Json()));
    answer.resource_id = text_of(j.value("id", Json()));
    std::string at;
    if (const Json* ips = member(j, "publicIpAddresses", at)) {
      answer.pointer = pointer + at;
      answer.ids = ids(*ips);
    }
    if (const Json* prefixes = member(j, "publicIpPrefixes", at)) {
      for (std::string& id : ids(*prefixes)) {
        answer.ids.push_back(std::move(id));
      }
    }
    answers_.egress_ips.push_back(std::move(answer));
  }

  AzureAnswers& answers_;
};

// The export folder names each table VNET~SUBNET~NIC.json (tools/azure-export.sh).
void names_from_export(const std::string& path, FileContext& ctx) {
  fs::path p(path);
  if (p.parent_path().filename() != "effective-routes") {
    return;
  }
  std::string stem = p.stem().string();
  size_t first = stem.find('~');
  size_t second = first == std::string::npos ? first : stem.find('~', first + 1);
  if (second != std::string::npos) {
    ctx.subnet = stem.substr(0, first) + "/" + stem.substr(first + 1, second - first - 1);
    ctx.nic = stem.substr(second + 1);
  }
}

}  // namespace

AnswersLoad read_azure_answers(std::span<const std::string> paths, uint64_t max_bytes) {
  AnswersLoad load;
  Reader reader(load.answers);
  // File limits, folders, line:column parse errors: import's reading (arm_json_internal.h).
  arm::Snapshot snapshot = arm::read_sources(paths, arm::ReadLimits{max_bytes});
  load.errors = std::move(snapshot.errors);
  for (const arm::Snapshot::FileEntry& entry : snapshot.entries) {
    FileContext ctx;
    ctx.where = SourceLocation{entry.file->path, 0, 0};
    names_from_export(entry.file->path, ctx);
    reader.visit(entry.file->root, "", ctx);
  }
  return load;
}

}  // namespace egress
