#include "egress/report/json_report.h"

#include <nlohmann/json.hpp>

namespace egress {
namespace {

// ordered_json keeps keys in insertion order: the key order of cli.md is part of the contract.
using Json = nlohmann::ordered_json;

// Names come from user files and need not be valid UTF-8; replacing bad bytes keeps dump()
// from throwing, so the library never throws across its API.
std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json string_or_null(const std::string& s) {
  return s.empty() ? Json(nullptr) : Json(s);
}

Json string_or_null(const char* s) {
  return *s == '\0' ? Json(nullptr) : Json(s);
}

Json address_or_null(const std::optional<IpAddress>& ip) {
  return ip ? Json(ip->to_string()) : Json(nullptr);
}

Json route_to_json(const RouteRef& route) {
  Json j = Json::object();
  j["table"] = string_or_null(route.table);
  j["name"] = string_or_null(route.name);
  j["prefix"] = route.prefix.to_string();
  j["source"] = to_string(route.source);
  j["nextHopType"] = to_string(route.next_hop_type);
  j["nextHopIp"] = address_or_null(route.next_hop_ip);
  return j;
}

Json hop_to_json(const Hop& hop) {
  Json j = Json::object();
  j["at"] = hop.at;
  if (hop.route) {
    j["route"] = route_to_json(*hop.route);
  }
  if (!hop.rule.empty()) {
    j["rule"] = hop.rule;
  }
  if (hop.action != HopAction::kNone) {
    j["action"] = to_string(hop.action);
  }
  if (!hop.ip.empty()) {
    j["ip"] = ip_text(hop);
  }
  if (!hop.note.empty()) {
    j["note"] = hop.note;
  }
  return j;
}

// `j` may hold keys that come first (-o jsonl's subnet).
Json effective_route_json(const EffectiveRoute& r, Json j) {
  j["source"] = to_string(r.source);
  j["state"] = r.active ? "Active" : "Invalid";
  j["addressPrefix"] = r.prefix.to_string();
  j["nextHopType"] = to_string(r.next_hop_type);
  j["nextHopIpAddress"] = address_or_null(r.next_hop_ip);
  j["name"] = string_or_null(r.name);
  return j;
}

Json diagnostic_to_json(const Diagnostic& d, Json j = Json::object()) {
  j["code"] = d.code;
  j["message"] = d.message;
  j["file"] = d.where.file;
  j["line"] = d.where.line;
  j["column"] = d.where.column;
  return j;
}

}  // namespace

namespace {

// The documented keys of a flow result, in cli.md's order, up to and including hops.
Json flow_json(const FlowResult& result) {
  Json j = Json::object();
  j["proto"] = to_string(result.flow.proto);
  j["src"] = result.flow.src.to_string();
  j["sport"] = result.flow.sport;
  j["dst"] = result.flow.dst.to_string();
  j["dport"] = result.flow.dport;
  if (!result.host.empty()) {
    // Only when known, so records of flows without one stay as they were.
    j["host"] = result.host;
  }
  j["verdict"] = to_string(result.verdict);
  j["reason"] = string_or_null(to_string(result.reason));
  j["via"] = string_or_null(to_string(result.via));
  j["resource"] = string_or_null(result.resource);
  j["snatIp"] = string_or_null(snat_ip_text(result));
  j["snatPort"] = result.snat_port ? Json(*result.snat_port) : Json(nullptr);
  j["egressIps"] = egress_ip_texts(result);
  Json hops = Json::array();
  for (const Hop& hop : result.hops) {
    hops.push_back(hop_to_json(hop));
  }
  j["hops"] = std::move(hops);
  return j;
}

// Capture time in seconds to the microsecond, as cli.md's example writes it: a double holds
// a 2020s timestamp to about 0.2 us, so finer digits would be noise.
Json seconds(int64_t ns) {
  return Json(static_cast<double>(ns / 1000) / 1e6);
}

}  // namespace

std::string flow_to_json(const FlowResult& result) {
  Json j = flow_json(result);
  // Not in cli.md's example: which modelled rules decided the flow (models.h). Kept last so
  // the documented keys keep their positions.
  j["models"] = result.models.id_strings();
  return dump(j);
}

std::string flow_record_to_json(const FlowRecord& record) {
  Json j = flow_json(record.result);
  j["first"] = seconds(record.stats.first_ns);
  j["last"] = seconds(record.stats.last_ns);
  j["packets"] = record.stats.packets;
  j["bytes"] = record.stats.bytes;
  j["models"] = record.result.models.id_strings();
  return dump(j);
}

std::string routes_to_json(const Topology& topology, Index subnet,
                           const std::vector<EffectiveRoute>& routes) {
  Json j = Json::object();
  j["subnet"] =
      subnet < topology.subnets.size() ? Json(topology.subnets[subnet].full_name) : Json(nullptr);
  Json list = Json::array();
  for (const EffectiveRoute& r : routes) {
    list.push_back(effective_route_json(r, Json::object()));
  }
  j["routes"] = std::move(list);
  return dump(j);
}

std::string diagnostics_to_json(const std::vector<Diagnostic>& errors,
                                const std::vector<Diagnostic>& findings) {
  Json j = Json::object();
  Json error_list = Json::array();
  for (const Diagnostic& d : errors) {
    error_list.push_back(diagnostic_to_json(d));
  }
  Json finding_list = Json::array();
  for (const Diagnostic& d : findings) {
    finding_list.push_back(diagnostic_to_json(d));
  }
  j["errors"] = std::move(error_list);
  j["findings"] = std::move(finding_list);
  return dump(j);
}

std::string routes_to_jsonl(const Topology& topology, Index subnet,
                            const std::vector<EffectiveRoute>& routes) {
  const Json name =
      subnet < topology.subnets.size() ? Json(topology.subnets[subnet].full_name) : Json(nullptr);
  std::string out;
  for (const EffectiveRoute& r : routes) {
    out += dump(effective_route_json(r, Json{{"subnet", name}})) + "\n";
  }
  return out;
}

std::string diagnostics_to_jsonl(const std::vector<Diagnostic>& errors,
                                 const std::vector<Diagnostic>& findings) {
  std::string out;
  for (const Diagnostic& d : errors) {
    out += dump(diagnostic_to_json(d, Json{{"severity", "error"}})) + "\n";
  }
  for (const Diagnostic& d : findings) {
    out += dump(diagnostic_to_json(d, Json{{"severity", "warning"}})) + "\n";
  }
  return out;
}

}  // namespace egress
