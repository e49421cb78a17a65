#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>

#include "egress/util/byte_count.h"
#include "import/arm_json_internal.h"
#include "util/file_descriptor_internal.h"

namespace egress::arm {
namespace {

Error too_large(const std::string& file, std::optional<uint64_t> size, const ReadLimits& limits) {
  std::string message = "the file is ";
  if (size) {
    message += std::to_string(*size) + " bytes, ";
  }
  message += "over the limit of " + byte_count_text(limits.max_bytes) + " for a JSON file; set " +
             std::string(kMaxImportBytesVariable) + " to raise it";
  return Error{"file-too-large", std::move(message), SourceLocation{file, 0, 0}};
}

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 5:
// syntax error while parsing value - ..."; the part after the position is the reason.
std::string parse_reason(const char* what) {
  std::string_view text(what);
  size_t column = text.find(", column ");
  if (column != std::string_view::npos) {
    size_t colon = text.find(": ", column);
    if (colon != std::string_view::npos) {
      return std::string(text.substr(colon + 2));
    }
  }
  size_t bracket = text.find("] ");
  return std::string(bracket == std::string_view::npos ? text : text.substr(bracket + 2));
}

bool is_list(const Json& value) {
  return value.is_array();
}

void add_list_items(const Json& list, const std::string& pointer, FileItems& out) {
  out.items.reserve(out.items.size() + list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    out.items.push_back(Item{&list[i], pointer + "/" + std::to_string(i)});
  }
}

}  // namespace

Result<ReadLimits> parse_read_limits(std::string_view text) {
  Result<uint64_t> bytes =
      parse_byte_limit(text, kMaxImportBytesVariable, ReadLimits::kDefaultMaxBytes);
  if (!bytes) {
    return bytes.error();
  }
  ReadLimits limits;
  limits.max_bytes = *bytes;
  return limits;
}

std::pair<int, int> line_column(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, static_cast<int>(offset - line_start) + 1};
}

Result<Json> parse_json_text(std::string_view text, const std::string& file) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    // e.byte counts the bytes read, the offending one included: it is 1-based.
    size_t offset = e.byte == 0 ? 0 : e.byte - 1;
    auto [line, column] = line_column(text, offset);
    return Error{"json-syntax", parse_reason(e.what()), SourceLocation{file, line, column}};
  } catch (const std::bad_alloc&) {
    return Error{"io", "out of memory while parsing", SourceLocation{file, 0, 0}};
  } catch (const Json::exception& e) {
    return Error{"json-syntax", parse_reason(e.what()), SourceLocation{file, 0, 0}};
  }
}

Result<JsonFile> read_json_file(const std::string& path, const ReadLimits& limits) {
  const std::string name = path == "-" ? "<stdin>" : path;
  auto io_error = [&](const std::string& why) {
    return Error{"io", "cannot read '" + name + "': " + why, SourceLocation{name, 0, 0}};
  };
  std::string text;
  try {
    egress::internal::FileDescriptor file(path == "-" ? ::dup(STDIN_FILENO)
                                                      : ::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.fd < 0) {
      return io_error(std::strerror(errno));
    }
    // A regular file's size says it before anything is read; a pipe's is counted as it comes.
    struct stat st {};
    if (::fstat(file.fd, &st) == 0) {
      if (S_ISDIR(st.st_mode)) {
        return io_error(std::strerror(EISDIR));
      }
      if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > limits.max_bytes) {
        return too_large(name, static_cast<uint64_t>(st.st_size), limits);
      }
    }
    std::vector<char> buffer(size_t{1} << 16);
    for (;;) {
      ssize_t n = ::read(file.fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        return io_error(std::strerror(errno));
      }
      if (n == 0) {
        break;
      }
      if (text.size() + static_cast<size_t>(n) > limits.max_bytes) {
        return too_large(name, std::nullopt, limits);
      }
      text.append(buffer.data(), static_cast<size_t>(n));
    }
  } catch (const std::bad_alloc&) {
    return io_error("out of memory");
  }
  Result<Json> root = parse_json_text(text, name);
  if (!root) {
    return root.error();
  }
  return JsonFile{name, "", std::move(root).value()};
}

Result<std::vector<std::string>> expand_source(const std::string& source) {
  namespace fs = std::filesystem;
  if (source == "-") {
    return std::vector<std::string>{source};
  }
  std::error_code ec;
  fs::file_status status = fs::status(source, ec);
  if (ec || !fs::exists(status)) {
    return Error{
        "io",
        "cannot read '" + source + "': " + (ec ? ec.message() : std::string(std::strerror(ENOENT))),
        SourceLocation{source, 0, 0}};
  }
  if (!fs::is_directory(status)) {
    return std::vector<std::string>{source};
  }
  std::vector<std::string> files;
  fs::recursive_directory_iterator it(source, fs::directory_options::none, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& path = it->path();
    std::error_code file_ec;
    if (path.extension() == ".json" && it->is_regular_file(file_ec)) {
      files.push_back(path.generic_string());
    }
  }
  if (ec) {
    return Error{"io", "cannot read folder '" + source + "': " + ec.message(),
                 SourceLocation{source, 0, 0}};
  }
  std::sort(files.begin(), files.end());
  return files;
}

Result<FileItems> file_items(const Json& root, const std::string& file) {
  FileItems out;
  const Json* body = &root;
  if (root.is_object() && root.contains("responses") && root.contains("parameters")) {
    const Json& responses = root["responses"];
    for (const char* status : {"200", "201"}) {
      if (responses.is_object() && responses.contains(status) && responses[status].is_object() &&
          responses[status].contains("body")) {
        body = &responses[status]["body"];
        out.body_pointer = std::string("/responses/") + status + "/body";
        break;
      }
    }
    if (out.body_pointer.empty()) {
      return Error{"no-body",
                   "a REST example without a 200 or 201 response body: nothing to import "
                   "at /responses",
                   SourceLocation{file, 0, 0}};
    }
    if (root["parameters"].is_object()) {
      out.parameters = &root["parameters"];
    }
  }
  if (is_list(*body)) {
    out.shape = Shape::kArray;
    add_list_items(*body, out.body_pointer, out);
  } else if (body->is_object() && body->contains("value") && is_list((*body)["value"]) &&
             !body->contains("type")) {
    out.shape = Shape::kValueList;
    add_list_items((*body)["value"], out.body_pointer + "/value", out);
  } else if (body->is_object() && body->contains("data") && is_list((*body)["data"]) &&
             !body->contains("type")) {
    out.shape = Shape::kGraph;
    add_list_items((*body)["data"], out.body_pointer + "/data", out);
  } else {
    out.shape = Shape::kObject;
    out.items.push_back(Item{body, out.body_pointer});
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

bool same_member_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

namespace {

// The member `name` of `object`: exactly as written, else ignoring case. ARM reads member
// names ignoring case, and az spells some as its SDK does (`vnetSubnetId` for the REST
// `vnetSubnetID`, `enableNodePublicIp`): azure-behaviour A1.
const Json* member(const Json& object, std::string_view name, std::string& key) {
  auto it = object.find(name);
  if (it != object.end()) {
    key = name;
    return &*it;
  }
  for (auto m = object.begin(); m != object.end(); ++m) {
    if (same_member_name(m.key(), name)) {
      key = m.key();
      return &*m;
    }
  }
  return nullptr;
}

}  // namespace

Field find_field(const Json& object, const std::string& pointer, std::string_view name) {
  Field out;
  if (!object.is_object()) {
    return out;
  }
  std::string key;
  auto properties = object.find("properties");
  if (properties != object.end() && properties->is_object()) {
    if (const Json* value = member(*properties, name, key)) {
      out.value = value;
      out.pointer = pointer + "/properties/" + pointer_token(key);
      return out;
    }
  }
  if (const Json* value = member(object, name, key)) {
    out.value = value;
    out.pointer = pointer + "/" + pointer_token(key);
  }
  return out;
}

std::string pointer_token(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string id_key(std::string_view id) {
  std::string out(id);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  while (out.size() > 1 && out.back() == '/') {
    out.pop_back();
  }
  return out;
}

std::string resource_group_of(std::string_view id) {
  std::string lower = id_key(id);
  constexpr std::string_view kSegment = "/resourcegroups/";
  size_t at = lower.find(kSegment);
  if (at == std::string::npos) {
    return "";
  }
  size_t start = at + kSegment.size();
  size_t end = id.find('/', start);
  return std::string(id.substr(start, end == std::string_view::npos ? id.npos : end - start));
}

Snapshot read_sources(std::span<const std::string> sources, const ReadLimits& limits) {
  Snapshot snapshot;
  for (const std::string& source : sources) {
    Result<std::vector<std::string>> files = expand_source(source);
    if (!files) {
      snapshot.errors.push_back(files.error());
      continue;
    }
    const bool folder = files->size() != 1 || (*files)[0] != source;
    for (const std::string& path : *files) {
      Result<JsonFile> file = read_json_file(path, limits);
      if (!file) {
        snapshot.errors.push_back(file.error());
        continue;
      }
      if (folder) {
        file->relative = std::filesystem::path(path).lexically_relative(source).generic_string();
      }
      auto owned = std::make_unique<JsonFile>(std::move(file).value());
      Result<FileItems> items = file_items(owned->root, owned->path);
      if (!items) {
        snapshot.errors.push_back(items.error());
        continue;
      }
      snapshot.entries.push_back(Snapshot::FileEntry{owned.get(), std::move(items).value()});
      snapshot.files.push_back(std::move(owned));
    }
  }
  return snapshot;
}

}  // namespace egress::arm
