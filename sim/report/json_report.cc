#include "egress/report/json_report.h"

#include <nlohmann/json.hpp>

#include "json_text.h"

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

Json address_or_null(const std::optional<IpAddress>& ip) {
  return ip ? Json(ip->to_string()) : Json(nullptr);
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

void route_text(JsonText& j, const RouteRef& route) {
  j.begin_object();
  j.key("table");
  j.string_or_null(route.table);
  j.key("name");
  j.string_or_null(route.name);
  j.key("prefix");
  j.string(route.prefix.to_string());
  j.key("source");
  j.string(to_string(route.source));
  j.key("nextHopType");
  j.string(to_string(route.next_hop_type));
  j.key("nextHopIp");
  if (route.next_hop_ip) {
    j.string(route.next_hop_ip->to_string());
  } else {
    j.null();
  }
  j.end_object();
}

void hop_text(JsonText& j, const Hop& hop) {
  j.begin_object();
  j.key("at");
  j.string(hop.at);
  if (hop.route) {
    j.key("route");
    route_text(j, *hop.route);
  }
  if (!hop.rule.empty()) {
    j.key("rule");
    j.string(hop.rule);
  }
  if (hop.action != HopAction::kNone) {
    j.key("action");
    j.string(to_string(hop.action));
  }
  if (!hop.ip.empty()) {
    j.key("ip");
    j.string(ip_text(hop));
  }
  if (!hop.note.empty()) {
    j.key("note");
    j.string(hop.note);
  }
  j.end_object();
}

// The documented keys of a flow result, in cli.md's order, up to and including hops; the
// object is left open for the keys that follow.
void flow_text(JsonText& j, const FlowResult& result) {
  j.begin_object();
  j.key("proto");
  j.string(to_string(result.flow.proto));
  j.key("src");
  j.string(result.flow.src.to_string());
  j.key("sport");
  j.number(uint64_t{result.flow.sport});
  j.key("dst");
  j.string(result.flow.dst.to_string());
  j.key("dport");
  j.number(uint64_t{result.flow.dport});
  if (!result.host.empty()) {
    // Only when known, so records of flows without one stay as they were.
    j.key("host");
    j.string(result.host);
  }
  j.key("verdict");
  j.string(to_string(result.verdict));
  j.key("reason");
  j.string_or_null(to_string(result.reason));
  j.key("via");
  j.string_or_null(to_string(result.via));
  j.key("resource");
  j.string_or_null(result.resource);
  j.key("snatIp");
  j.string_or_null(snat_ip_text(result));
  j.key("snatPort");
  if (result.snat_port) {
    j.number(uint64_t{*result.snat_port});
  } else {
    j.null();
  }
  j.key("egressIps");
  j.begin_array();
  for (const ResultAddress& ip : result.egress_ips) {
    j.string(to_string(ip, result.resource));
  }
  j.end_array();
  j.key("hops");
  j.begin_array();
  for (const Hop& hop : result.hops) {
    hop_text(j, hop);
  }
  j.end_array();
}

// Not in cli.md's example: which modelled rules decided the flow (models.h). Kept last so the
// documented keys keep their positions.
void models_text(JsonText& j, const ModelSet& models) {
  j.key("models");
  j.begin_array();
  for (std::string_view id : models.ids()) {
    j.string(id);
  }
  j.end_array();
}

// Capture time in seconds to the microsecond, as cli.md's example writes it: a double holds
// a 2020s timestamp to about 0.2 us, so finer digits would be noise.
double seconds(int64_t ns) {
  return static_cast<double>(ns / 1000) / 1e6;
}

}  // namespace

std::string flow_to_json(const FlowResult& result) {
  std::string out;
  JsonText j(out);
  flow_text(j, result);
  models_text(j, result.models);
  j.end_object();
  return out;
}

void append_flow_record_json(const FlowRecord& record, std::string& out) {
  JsonText j(out);
  flow_text(j, record.result);
  j.key("first");
  j.number(seconds(record.stats.first_ns));
  j.key("last");
  j.number(seconds(record.stats.last_ns));
  j.key("packets");
  j.number(uint64_t{record.stats.packets});
  j.key("bytes");
  j.number(uint64_t{record.stats.bytes});
  models_text(j, record.result.models);
  j.end_object();
}

std::string flow_record_to_json(const FlowRecord& record) {
  std::string out;
  append_flow_record_json(record, out);
  return out;
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
