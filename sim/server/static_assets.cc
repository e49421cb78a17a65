#include "egress/server/server.h"

namespace egress {

// The web page's build step (web/CMakeLists.txt) fills this from its generated file; without
// it the server has no page and answers 404 outside /v1/.
StaticAssets embedded_static_assets() {
  return {};
}

}  // namespace egress
