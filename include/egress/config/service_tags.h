// Azure's service tags as Azure publishes them (azure-behaviour C3): the JSON that
// `az network list-service-tags --location LOC -o json` prints, and the weekly download
// ServiceTags_Public_YYYYMMDD.json, both {"values": [{"name", "id", "properties":
// {"addressPrefixes": [...], ...}}, ...]}, read into the `serviceTags` entries of a topology.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "egress/config/topology.h"
#include "egress/util/result.h"

namespace egress {

/// The tags of one service tag document, in the document's order, each with its name, id and
/// address prefixes (IPv4 and IPv6; `pos` left empty). `file` names the input in errors.
/// Fails on malformed JSON (error `bad-json` at line:column), on a document without a
/// `values` array, on a value without a string `name` or an `addressPrefixes` array, and on a
/// prefix that does not parse (error `bad-service-tags`, the JSON pointer in the message, e.g.
/// `at /values/3/properties/addressPrefixes/7`). Fields it does not need (changeNumber, region,
/// systemService, networkFeatures, ...) are ignored.
Result<std::vector<ServiceTag>> parse_service_tags_json(std::string_view json_text,
                                                        const std::string& file);

}  // namespace egress
