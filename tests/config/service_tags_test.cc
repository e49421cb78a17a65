#include "egress/config/service_tags.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "egress/config/topology_loader.h"

namespace egress {
namespace {

const std::string kExcerpt =
    std::string(EGRESS_TEST_DATA_DIR) + "/service_tags/ServiceTags_Public_excerpt.json";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ServiceTags, ReadsAzuresPublishedFile) {
  auto tags = parse_service_tags_json(read_file(kExcerpt), kExcerpt);
  ASSERT_TRUE(tags.ok()) << format_diagnostic(tags.error(), "error");
  ASSERT_EQ(tags->size(), 4U);
  struct Want {
    const char* name;
    size_t prefixes;
    const char* first;
    const char* last;
  };
  const Want want[] = {
      {"Storage.WestEurope", 102, "13.69.40.16/28", "2603:1020:207::/48"},
      {"MicrosoftContainerRegistry.WestEurope", 7, "13.69.64.80/29", "2603:1020:206:c02::88/125"},
      {"ActionGroup.EastUS", 8, "20.42.64.36/30", "2603:1030:210:402::178/125"},
      {"AzureCloud.eastus", 656, "4.156.0.0/15", "2a01:111:f403:f900::/62"},
  };
  for (size_t i = 0; i < 4; ++i) {
    const ServiceTag& t = (*tags)[i];
    EXPECT_EQ(t.name, want[i].name);
    EXPECT_EQ(t.id, want[i].name);  // Azure's file gives each tag its name as id
    ASSERT_EQ(t.address_prefixes.size(), want[i].prefixes) << t.name;
    EXPECT_EQ(t.address_prefixes.front().to_string(), want[i].first);
    EXPECT_EQ(t.address_prefixes.back().to_string(), want[i].last);
  }
}

struct BadJson {
  const char* name;
  const char* json;
  const char* error;
};

class BadServiceTags : public ::testing::TestWithParam<BadJson> {};

TEST_P(BadServiceTags, ReportsExactly) {
  auto tags = parse_service_tags_json(GetParam().json, "tags.json");
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ("[" + tags.error().code + "] " + format_diagnostic(tags.error(), "error"),
            GetParam().error);
}

const BadJson kBad[] = {
    {"Malformed", "{\"values\": [\n  {\"name\": }\n]}",
     "[bad-json] tags.json:2:12: error: malformed JSON: syntax error while parsing value - "
     "unexpected '}'; expected '[', '{', or a literal"},
    {"NoValues", "{\"value\": []}",
     "[bad-service-tags] tags.json: error: expected Azure's service tag document, an object with "
     "a 'values' array (az network list-service-tags -o json, or ServiceTags_Public_*.json)"},
    {"NoName", "{\"values\": [{\"id\": \"x\"}]}",
     "[bad-service-tags] tags.json: error: a service tag without a 'name' string at /values/0"},
    {"NoPrefixes", "{\"values\": [{\"name\": \"Sql\", \"properties\": {}}]}",
     "[bad-service-tags] tags.json: error: service tag 'Sql' has no 'addressPrefixes' array at "
     "/values/0/properties"},
    {"BadPrefix",
     "{\"values\": [{\"name\": \"Sql\", \"properties\": {\"addressPrefixes\": [\"1.2.3.0/24\", "
     "\"1.2.3.4/24\"]}}]}",
     "[bad-service-tags] tags.json: error: service tag 'Sql': '1.2.3.4/24' has host bits set; "
     "did you mean 1.2.3.0/24? at /values/0/properties/addressPrefixes/1"},
    {"PrefixNotAString",
     "{\"values\": [{\"name\": \"Sql\", \"properties\": {\"addressPrefixes\": [7]}}]}",
     "[bad-service-tags] tags.json: error: service tag 'Sql': a prefix that is not a string at "
     "/values/0/properties/addressPrefixes/0"},
};

INSTANTIATE_TEST_SUITE_P(ServiceTags, BadServiceTags, ::testing::ValuesIn(kBad),
                         [](const auto& test) { return std::string(test.param.name); });

}  // namespace
}  // namespace egress
