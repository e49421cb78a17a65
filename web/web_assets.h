#pragma once

#include <span>
#include <string_view>

namespace egress::web {

// One file of the page `egress-sim serve` answers at `/`, embedded into the binary at build
// time (web/CMakeLists.txt) so that the server needs nothing on disk and the page asks for
// nothing from another origin.
struct WebAsset {
  std::string_view path;          // as requested: "/", "/index.html", "/app.js", ...
  std::string_view content_type;  // e.g. "text/html; charset=utf-8"
  std::string_view body;
  std::string_view etag;  // a strong validator, quoted: a hash of the body
};

// Every embedded file, sorted by path; "/" is index.html's body again, so that a lookup by
// the request's path is all a server needs.
std::span<const WebAsset> web_assets();

}  // namespace egress::web
