#include "egress/server/server.h"
#include "web_assets.h"

namespace egress {

// The web page (web/), embedded at build time by web/CMakeLists.txt.
StaticAssets embedded_static_assets() {
  StaticAssets assets;
  for (const web::WebAsset& asset : web::web_assets()) {
    assets[std::string(asset.path)] = {std::string(asset.content_type), std::string(asset.body)};
  }
  return assets;
}

}  // namespace egress
