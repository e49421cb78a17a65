#include <string>

#include "egress/server/server.h"

namespace egress {

namespace {
#include "openapi_json.inc"
}  // namespace

const std::string& openapi_document() {
  static const std::string document(reinterpret_cast<const char*>(kOpenApiJson),
                                    sizeof kOpenApiJson);
  return document;
}

}  // namespace egress
