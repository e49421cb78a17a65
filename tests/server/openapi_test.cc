// docs/openapi.json against the server: every route is in it, and every example request is
// answered with the example's status and a body of the example's JSON shape.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "server_test_util.h"

namespace egress {
namespace {

using namespace egress::testing;
using Json = nlohmann::json;

Json document() {
  std::ifstream in(EGRESS_OPENAPI);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_EQ(s.str(), openapi_document()) << "the built-in document is docs/openapi.json";
  return Json::parse(s.str());
}

std::string lower(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

// Empty when `got` has the shape of `want`: the same JSON types, every key of an object of
// `want` in `got`, an array's items like the example's first.
std::string shape_difference(const Json& want, const Json& got, const std::string& at) {
  if (want.is_number() && got.is_number()) {
    return {};
  }
  if (want.type() != got.type()) {
    return at + ": " + want.type_name() + " expected, got " + got.type_name();
  }
  if (want.is_object()) {
    for (const auto& [key, value] : want.items()) {
      if (!got.contains(key)) {
        return at + "/" + key + ": missing";
      }
      if (std::string d = shape_difference(value, got[key], at + "/" + key); !d.empty()) {
        return d;
      }
    }
  }
  if (want.is_array() && !want.empty()) {
    for (size_t i = 0; i < got.size(); ++i) {
      if (std::string d = shape_difference(want[0], got[i], at + "/" + std::to_string(i));
          !d.empty()) {
        return d;
      }
    }
  }
  return {};
}

TEST(OpenApi, EveryRouteIsDocumented) {
  Json doc = document();
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  for (const RouteInfo& r : route_table()) {
    ASSERT_TRUE(doc["paths"].contains(r.path)) << r.path;
    EXPECT_TRUE(doc["paths"][r.path].contains(lower(r.method))) << r.method << " " << r.path;
  }
  size_t operations = 0;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      ++operations;
      bool served = false;
      for (const RouteInfo& r : route_table()) {
        served = served || (r.path == path && lower(r.method) == method);
      }
      EXPECT_TRUE(served) << method << " " << path << " is documented but not served";
      EXPECT_TRUE(op.contains("x-egress-example")) << method << " " << path;
    }
  }
  EXPECT_EQ(operations, route_table().size());
}

TEST(OpenApi, ExamplesAreAnsweredAsWritten) {
  Json doc = document();
  ServerOptions options;
  options.token = "example-token";
  auto server = start_server(options);
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      const Json& example = op["x-egress-example"];
      const std::string target = example["target"];
      std::string body;
      if (example.contains("body")) {
        body = example["body"].is_string() ? example["body"].get<std::string>()
                                           : example["body"].dump();
      }
      Client c(server->port());
      Reply r = c.request(http::string_to_verb(std::string(method == "get"   ? "GET"
                                                           : method == "put" ? "PUT"
                                                                             : "POST")),
                          target, body, "example-token");
      const unsigned status = example["status"];
      ASSERT_EQ(r.status, status) << method << " " << target << "\n" << r.body;
      const Json& content = op["responses"][std::to_string(status)]["content"];
      ASSERT_FALSE(content.empty()) << method << " " << path;
      const std::string type = content.begin().key();
      EXPECT_EQ(r.content_type.substr(0, type.size()), type) << method << " " << target;
      const Json& want = content.begin().value()["example"];
      if (type == "application/json" || type == "application/problem+json") {
        EXPECT_EQ(shape_difference(want, Json::parse(r.body), ""), "") << method << " " << target;
      } else if (type == "application/x-ndjson") {
        std::istringstream lines(r.body);
        std::string first;
        std::getline(lines, first);
        EXPECT_EQ(shape_difference(Json::parse(want.get<std::string>().substr(
                                       0, want.get<std::string>().find('\n'))),
                                   Json::parse(first), ""),
                  "")
            << method << " " << target;
      } else {
        EXPECT_FALSE(r.body.empty());
      }
    }
  }
}

}  // namespace
}  // namespace egress
