#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "import/arm_json_internal.h"
#include "import/scratch_dir.h"

namespace egress::arm {
namespace {

namespace fs = std::filesystem;

const std::string kExamples = std::string(EGRESS_SHARED_DIR) + "/arm-examples";

TEST(LineColumn, CountsLinesAndColumnsFromOne) {
  EXPECT_EQ(line_column("abc", 0), std::make_pair(1, 1));
  EXPECT_EQ(line_column("abc", 2), std::make_pair(1, 3));
  EXPECT_EQ(line_column("a\nbc", 2), std::make_pair(2, 1));
  EXPECT_EQ(line_column("a\nbc", 3), std::make_pair(2, 2));
  EXPECT_EQ(line_column("a\n", 99), std::make_pair(2, 1));
}

TEST(ParseJsonText, SyntaxErrorsAtLineAndColumn) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"{\n  \"a\": tru,\n}",
       "f.json:2:11: error: syntax error while parsing value - invalid "
       "literal; last read: '\"a\": tru,'"},
      {"[1, 2",
       "f.json:1:6: error: syntax error while parsing array - unexpected end of "
       "input; expected ']'"},
      {"",
       "f.json:1:1: error: syntax error while parsing value - unexpected end of input; "
       "expected '[', '{', or a literal"},
      {"{\"a\": 1} x",
       "f.json:1:10: error: syntax error while parsing value - invalid "
       "literal; last read: '1} x'; expected end of input"},
  };
  for (const Case& c : cases) {
    Result<Json> r = parse_json_text(c.text, "f.json");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().code, "json-syntax");
    EXPECT_EQ(format_diagnostic(r.error(), "error"), c.expected) << c.text;
  }
}

TEST(ParseReadLimits, NumbersWithSuffixes) {
  EXPECT_EQ(parse_read_limits("1000")->max_bytes, 1000U);
  EXPECT_EQ(parse_read_limits("2K")->max_bytes, 2048U);
  EXPECT_EQ(parse_read_limits("256M")->max_bytes, uint64_t{256} << 20);
  EXPECT_EQ(parse_read_limits("1g")->max_bytes, uint64_t{1} << 30);
  for (const char* bad : {"", "0", "M", "-1", "1.5M", "99999999999999"}) {
    Result<ReadLimits> r = parse_read_limits(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message,
              std::string("EGRESS_MAX_IMPORT_BYTES: expected a number of bytes like 268435456 "
                          "or 256M (K, M, G: powers of 1024), got '") +
                  bad + "'");
  }
}

TEST(ReadJsonFile, TooLargeNamesTheVariable) {
  ScratchDir dir("egress_arm_json", "large");
  std::string path = dir.write("big.json", "[" + std::string(2000, ' ') + "]");
  ReadLimits limits;
  limits.max_bytes = 1024;
  Result<JsonFile> r = read_json_file(path, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "file-too-large");
  EXPECT_EQ(format_diagnostic(r.error(), "error"),
            path +
                ": error: the file is 2002 bytes, over the limit of 1 KiB for a JSON file; "
                "set EGRESS_MAX_IMPORT_BYTES to raise it");
}

TEST(ReadJsonFile, MissingFileIsIo) {
  Result<JsonFile> r = read_json_file("/nonexistent/x.json", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(format_diagnostic(r.error(), "error"),
            "/nonexistent/x.json: error: cannot read '/nonexistent/x.json': No such file or "
            "directory");
}

TEST(FileItems, EveryShape) {
  struct Case {
    std::string text;
    Shape shape;
    std::vector<std::string> pointers;
  };
  const std::vector<Case> cases = {
      {R"({"id":"/a","type":"t"})", Shape::kObject, {""}},
      {R"([{"id":"/a"},{"id":"/b"}])", Shape::kArray, {"/0", "/1"}},
      {R"({"value":[{"id":"/a"}],"nextLink":null})", Shape::kValueList, {"/value/0"}},
      {R"({"count":2,"data":[{"id":"/a"},{"id":"/b"}],"skip_token":null})",
       Shape::kGraph,
       {"/data/0", "/data/1"}},
      {R"({"parameters":{},"responses":{"200":{"body":{"id":"/a"}}}})",
       Shape::kObject,
       {"/responses/200/body"}},
      {R"({"parameters":{},"responses":{"201":{"body":{"value":[{"id":"/a"}]}},"202":{}}})",
       Shape::kValueList,
       {"/responses/201/body/value/0"}},
      {R"({"parameters":{},"responses":{"200":{"body":{"id":"/a"}},"201":{"body":{"id":"/b"}}}})",
       Shape::kObject,
       {"/responses/200/body"}},
  };
  for (const Case& c : cases) {
    Json root = Json::parse(c.text);
    Result<FileItems> items = file_items(root, "f.json");
    ASSERT_TRUE(items.ok()) << c.text;
    EXPECT_EQ(items->shape, c.shape) << c.text;
    std::vector<std::string> pointers;
    for (const Item& item : items->items) {
      pointers.push_back(item.pointer);
      EXPECT_EQ(&root.at(Json::json_pointer(item.pointer)), item.value) << item.pointer;
    }
    EXPECT_EQ(pointers, c.pointers) << c.text;
  }
}

TEST(FileItems, WrapperWithoutBodyIsAnError) {
  Json root = Json::parse(R"({"parameters":{},"responses":{"202":{"headers":{}}}})");
  Result<FileItems> items = file_items(root, "f.json");
  ASSERT_FALSE(items.ok());
  EXPECT_EQ(format_diagnostic(items.error(), "error"),
            "f.json: error: a REST example without a 200 or 201 response body: nothing to "
            "import at /responses");
}

TEST(FindField, NestedAndFlattenedShapes) {
  Json nested = Json::parse(R"({"name":"n","properties":{"addressPrefix":"10.0.0.0/24"}})");
  Json flat = Json::parse(R"({"name":"n","addressPrefix":"10.0.0.0/24","resourceGroup":"rg"})");
  Field a = find_field(nested, "/value/3", "addressPrefix");
  Field b = find_field(flat, "/3", "addressPrefix");
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(*a.value, "10.0.0.0/24");
  EXPECT_EQ(*b.value, "10.0.0.0/24");
  EXPECT_EQ(a.pointer, "/value/3/properties/addressPrefix");
  EXPECT_EQ(b.pointer, "/3/addressPrefix");
  EXPECT_FALSE(find_field(flat, "", "missing"));
  EXPECT_EQ(find_field(flat, "", "a/b~c").pointer, "");
  EXPECT_EQ(pointer_token("a/b~c"), "a~1b~0c");
}

TEST(Ids, CaseInsensitiveKeysAndResourceGroups) {
  EXPECT_EQ(id_key("/subscriptions/S/resourceGroups/RG1/providers/X/"),
            "/subscriptions/s/resourcegroups/rg1/providers/x");
  EXPECT_EQ(resource_group_of("/subscriptions/s/resourcegroups/MC_rg/providers/x"), "MC_rg");
  EXPECT_EQ(resource_group_of("/subscriptions/s"), "");
}

TEST(ReadSources, FolderSortedAndRelative) {
  ScratchDir dir("egress_arm_json", "folder");
  dir.write("resources/rg1/vnets.json", R"([{"id":"/v"}])");
  dir.write("manifest.json", R"({"tool":"azure-export.sh","format":1})");
  dir.write("resources/rg1/nics.json", R"([])");
  dir.write("resources/rg1/notes.txt", "not json");
  std::vector<std::string> sources = {dir.str()};
  Snapshot s = read_sources(sources, {});
  ASSERT_TRUE(s.errors.empty());
  std::vector<std::string> relative;
  for (const auto& entry : s.entries) {
    relative.push_back(entry.file->relative);
  }
  EXPECT_EQ(relative, (std::vector<std::string>{"manifest.json", "resources/rg1/nics.json",
                                                "resources/rg1/vnets.json"}));
}

TEST(ReadSources, BadFilesAreErrorsAndTheRestIsRead) {
  ScratchDir dir("egress_arm_json", "bad");
  std::string good = dir.write("good.json", R"({"id":"/v"})");
  std::string bad = dir.write("bad.json", "{\"id\": }");
  std::vector<std::string> sources = {bad, good, dir.str() + "/missing.json"};
  Snapshot s = read_sources(sources, {});
  ASSERT_EQ(s.errors.size(), 2U);
  EXPECT_EQ(format_diagnostic(s.errors[0], "error"),
            bad +
                ":1:8: error: syntax error while parsing value - unexpected '}'; expected "
                "'[', '{', or a literal");
  EXPECT_EQ(s.errors[1].code, "io");
  ASSERT_EQ(s.entries.size(), 1U);
  EXPECT_EQ(s.entries[0].file->path, good);
}

TEST(ReadSources, EveryArmExampleReads) {
  std::vector<std::string> sources = {kExamples};
  Snapshot s = read_sources(sources, {});
  EXPECT_TRUE(s.errors.empty());
  ASSERT_EQ(s.entries.size(), 20U);
  for (const auto& entry : s.entries) {
    EXPECT_NE(entry.items.parameters, nullptr) << entry.file->path;
    EXPECT_FALSE(entry.items.items.empty()) << entry.file->path;
  }
}

}  // namespace
}  // namespace egress::arm
