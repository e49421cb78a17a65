// Reading Azure Resource Manager JSON as users have it (azure-behaviour A1): one file or a
// folder of them, each file with a size limit, parse errors at FILE:LINE:COL, and the items of
// every shape az, the REST API, Resource Graph and the REST examples print, each with its
// file and JSON pointer. Shared by `import` (arm_import.cc) and `check`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "egress/import/arm_import.h"
#include "egress/util/result.h"

namespace egress::arm {

using Json = nlohmann::json;

/// What one JSON file may cost. nlohmann::json takes about 10 times the text; a whole
/// subscription from Resource Graph is tens of megabytes.
struct ReadLimits {
  static constexpr uint64_t kDefaultMaxBytes = uint64_t{256} << 20;
  uint64_t max_bytes = kDefaultMaxBytes;
};

/// ReadLimits from the text of kMaxImportBytesVariable (EGRESS_MAX_IMPORT_BYTES): a positive number
/// of bytes with an optional K, M or G suffix (powers of 1024), as EGRESS_MAX_TOPOLOGY_BYTES.
Result<ReadLimits> parse_read_limits(std::string_view max_bytes_text);

/// 1-based line and column of the byte at 0-based `offset` in `text` (clamped to the text).
std::pair<int, int> line_column(std::string_view text, size_t offset);

/// `text` parsed; a syntax error is `json-syntax` at FILE:LINE:COL. Errors name `file`.
Result<Json> parse_json_text(std::string_view text, const std::string& file);

/// One JSON file read whole. `path` is how diagnostics name it; `relative` is its path below
/// the folder it was found in (empty when it was named itself).
struct JsonFile {
  std::string path;
  std::string relative;
  Json root;
};

/// Reads and parses one file ("-": standard input, named `<stdin>`). Errors: `io` (cannot
/// read), `file-too-large` (over limits.max_bytes, found before reading when the size is
/// known), `json-syntax`.
Result<JsonFile> read_json_file(const std::string& path, const ReadLimits& limits);

/// The files a source names: itself when it is a file (or "-"), every regular `*.json` below
/// it, sorted by path, when it is a folder (the layout of tools/azure-export.sh). `io` when
/// it does not exist; an empty folder is an empty list.
Result<std::vector<std::string>> expand_source(const std::string& source);

/// How a file holds its items (azure-behaviour A1).
enum class Shape : uint8_t {
  kObject,     // one object: az ... show, REST GET
  kArray,      // az ... list, older az graph query
  kValueList,  // {"value": [...]}: REST list, az effective routes, learned routes
  kGraph,      // {"data": [...], "count": N}: az graph query
};

/// One item of a file: a resource (or an answer such as an effective route) with where it is.
struct Item {
  const Json* value = nullptr;
  std::string pointer;  // JSON pointer in the file: "" is the whole file
};

/// The items of a parsed file. A REST example (`parameters` + `responses`) is unwrapped to
/// `responses."200".body`, else "201"; `parameters` then says what was asked for (the NIC
/// of an effective route table, the gateway of learned routes).
struct FileItems {
  Shape shape = Shape::kObject;
  std::vector<Item> items;
  const Json* parameters = nullptr;  // the REST example's `parameters`, when a wrapper
  std::string body_pointer;          // "" or "/responses/200/body"
};

/// Items of `root`. Error `no-body` (at the wrapper) for a REST example without a 200 or 201
/// body; `not-arm` for a scalar or an object of no known shape is left to the caller: such an
/// object is one kObject item.
Result<FileItems> file_items(const Json& root, const std::string& file);

/// `s` with A-Z in lower case: ARM ids, names and member names compare ignoring case.
std::string lower(std::string_view s);

/// Whether two JSON member names are one to ARM, which compares them ignoring case.
bool same_member_name(std::string_view a, std::string_view b);

/// A field of an ARM object in either shape: nested (`properties.NAME`, the REST API) or
/// flattened (`NAME` at the top, az network/aks). `pointer` is the object's own pointer;
/// the result's is the field's. Nested wins when both are present.
struct Field {
  const Json* value = nullptr;
  std::string pointer;
  explicit operator bool() const { return value != nullptr && !value->is_null(); }
};
Field find_field(const Json& object, const std::string& pointer, std::string_view name);

/// RFC 6901 escaping of one reference token (`~` -> `~0`, `/` -> `~1`).
std::string pointer_token(std::string_view key);

/// ARM ids compare ignoring case (azure-behaviour A2): the key of an id.
std::string id_key(std::string_view id);

/// The `resourceGroups/NAME` part of an ARM id ("" when it has none).
std::string resource_group_of(std::string_view id);

/// Every source read: files in order (folders expanded, sorted), parsed, with their items.
/// Errors are per file (unreadable, too large, malformed: the rest is still read); `notes`
/// are for files that hold no resources by design (the export's manifest).
struct Snapshot {
  std::vector<std::unique_ptr<JsonFile>> files;
  struct FileEntry {
    const JsonFile* file = nullptr;
    FileItems items;
  };
  std::vector<FileEntry> entries;  // one per file read, in order
  std::vector<Diagnostic> errors;
};

Snapshot read_sources(std::span<const std::string> sources, const ReadLimits& limits);

}  // namespace egress::arm
