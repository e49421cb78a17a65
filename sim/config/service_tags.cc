#include "egress/config/service_tags.h"

#include <nlohmann/json.hpp>

namespace egress {
namespace {

using Json = nlohmann::json;

// 1-based line and column of byte `offset` in `text`.
SourceLocation location_of(std::string_view text, size_t offset, const std::string& file) {
  SourceLocation where{file, 1, 1};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++where.line;
      where.column = 1;
    } else {
      ++where.column;
    }
  }
  return where;
}

Error bad(const std::string& file, std::string message) {
  return Error{"bad-service-tags", std::move(message), SourceLocation{file, 0, 0}};
}

}  // namespace

Result<std::vector<ServiceTag>> parse_service_tags_json(std::string_view json_text,
                                                        const std::string& file) {
  Json doc;
  try {
    doc = Json::parse(json_text.begin(), json_text.end());
  } catch (const Json::parse_error& e) {
    // byte is 1-based and points just past the offending character.
    size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    std::string what = e.what();
    if (auto colon = what.rfind(": "); colon != std::string::npos) {
      what = what.substr(colon + 2);
    }
    return Error{"bad-json", "malformed JSON: " + what, location_of(json_text, offset, file)};
  } catch (const std::exception&) {
    return Error{"bad-json", "malformed JSON", SourceLocation{file, 0, 0}};
  }
  if (!doc.is_object() || !doc.contains("values") || !doc["values"].is_array()) {
    return bad(file,
               "expected Azure's service tag document, an object with a 'values' array (az "
               "network list-service-tags -o json, or ServiceTags_Public_*.json)");
  }
  std::vector<ServiceTag> tags;
  const Json& values = doc["values"];
  for (size_t i = 0; i < values.size(); ++i) {
    const Json& v = values[i];
    std::string at = "/values/" + std::to_string(i);
    if (!v.is_object() || !v.contains("name") || !v["name"].is_string() ||
        v["name"].get_ref<const std::string&>().empty()) {
      return bad(file, "a service tag without a 'name' string at " + at);
    }
    ServiceTag tag;
    tag.name = v["name"].get<std::string>();
    if (v.contains("id") && v["id"].is_string()) {
      tag.id = v["id"].get<std::string>();
    }
    if (!v.contains("properties") || !v["properties"].is_object() ||
        !v["properties"].contains("addressPrefixes") ||
        !v["properties"]["addressPrefixes"].is_array()) {
      return bad(file, "service tag '" + tag.name + "' has no 'addressPrefixes' array at " + at +
                           "/properties");
    }
    const Json& prefixes = v["properties"]["addressPrefixes"];
    for (size_t k = 0; k < prefixes.size(); ++k) {
      std::string pointer = at + "/properties/addressPrefixes/" + std::to_string(k);
      if (!prefixes[k].is_string()) {
        return bad(file,
                   "service tag '" + tag.name + "': a prefix that is not a string at " + pointer);
      }
      const std::string& text = prefixes[k].get_ref<const std::string&>();
      auto prefix = Prefix::parse(text);
      if (!prefix) {
        return bad(file,
                   "service tag '" + tag.name + "': " + prefix.error().message + " at " + pointer);
      }
      tag.address_prefixes.push_back(*prefix);
    }
    tags.push_back(std::move(tag));
  }
  return tags;
}

}  // namespace egress
