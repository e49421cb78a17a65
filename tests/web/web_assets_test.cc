#include "web_assets.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace egress::web {
namespace {

std::string read_web_file(const std::string& name) {
  std::ifstream in(std::string(EGRESS_WEB_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<WebAsset> find(std::string_view path) {
  for (const WebAsset& asset : web_assets()) {
    if (asset.path == path)
      return asset;
  }
  return std::nullopt;
}

TEST(WebAssets, EachFileIsEmbeddedByteForByteWithItsContentType) {
  struct Case {
    const char* path;
    const char* file;
    const char* content_type;
  };
  const Case cases[] = {
      {"/", "index.html", "text/html; charset=utf-8"},
      {"/index.html", "index.html", "text/html; charset=utf-8"},
      {"/app.js", "app.js", "text/javascript; charset=utf-8"},
      {"/style.css", "style.css", "text/css; charset=utf-8"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    std::optional<WebAsset> asset = find(c.path);
    ASSERT_TRUE(asset.has_value());
    EXPECT_EQ(asset->content_type, c.content_type);
    EXPECT_EQ(asset->body, read_web_file(c.file));
  }
  EXPECT_EQ(web_assets().size(), std::size(cases));
}

TEST(WebAssets, PathsAreSortedAndUnique) {
  auto assets = web_assets();
  EXPECT_TRUE(std::is_sorted(assets.begin(), assets.end(),
                             [](const WebAsset& a, const WebAsset& b) { return a.path < b.path; }));
  std::set<std::string_view> paths;
  for (const WebAsset& asset : assets) {
    EXPECT_TRUE(paths.insert(asset.path).second) << asset.path;
  }
}

TEST(WebAssets, EtagsAreQuotedAndFollowTheBody) {
  const std::regex quoted_hex("\"[0-9a-f]{20}\"");
  for (const WebAsset& asset : web_assets()) {
    SCOPED_TRACE(asset.path);
    EXPECT_TRUE(std::regex_match(std::string(asset.etag), quoted_hex)) << asset.etag;
  }
  EXPECT_EQ(find("/")->etag, find("/index.html")->etag);
  EXPECT_NE(find("/app.js")->etag, find("/style.css")->etag);
}

// The page works from the server alone: whatever index.html loads (src=, href= of scripts,
// styles and icons) is a relative path the table has, a data: URL, or one of the server's own
// /v1/ answers; nothing names another origin.
TEST(WebAssets, ThePageLoadsNothingTheServerDoesNotHave) {
  const std::string html(find("/index.html")->body);
  const std::regex reference("(src|href)=\"([^\"]*)\"");
  int references = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), reference);
       it != std::sregex_iterator(); ++it) {
    const std::string url = (*it)[2].str();
    SCOPED_TRACE(url);
    ++references;
    if (url.starts_with("data:") || url.starts_with("#") || url.starts_with("v1/"))
      continue;
    EXPECT_EQ(url.find(':'), std::string::npos) << "names a scheme";
    EXPECT_FALSE(url.starts_with("//")) << "names a host";
    EXPECT_TRUE(find("/" + url).has_value()) << "not embedded";
  }
  EXPECT_GE(references, 3);  // the icon, the style sheet and the script at least
  const std::string script(find("/app.js")->body);
  EXPECT_EQ(script.find("http://"), std::string::npos);
  EXPECT_EQ(script.find("https://"), std::string::npos);
}

}  // namespace
}  // namespace egress::web
