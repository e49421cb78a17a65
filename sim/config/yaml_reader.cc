#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <charconv>
#include <sstream>
#include <unordered_set>

#include "config/yaml_reader_internal.h"

namespace egress::internal {
namespace {

constexpr size_t kMaxQuoted = 60;

// yaml-cpp tags plain scalars "?"; quoted and block scalars "!". Only plain text can be a YAML
// integer or boolean: `"3"` is a string, as in every YAML schema.
bool is_plain(const YAML::Node& node) {
  return node.Tag() == "?";
}

std::string type_error_got(const YAML::Node& node) {
  if (node.IsScalar() && !is_plain(node)) {
    return "the quoted string " + quote(node.Scalar());
  }
  return describe(node);
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equal_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

// Sees where documents start, and counts the map keys and list items as the event parser reads
// them, without building nodes: yaml-cpp's nodes take about 40 times the text, so a file with
// too many is refused before they exist. Counts what Diagnostics::visit counts, except that
// an alias is one item here.
class DocumentScan : public YAML::EventHandler {
 public:
  struct TooMany {
    YAML::Mark mark;
  };

  explicit DocumentScan(size_t max_items) : max_items_(max_items) {}

  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(mark);
    open_.push_back(Slot::kItem);
  }
  void OnSequenceEnd() override { open_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark);
    open_.push_back(Slot::kKey);
  }
  void OnMapEnd() override { open_.pop_back(); }

  std::vector<YAML::Mark> marks;

 private:
  // What the next node of each open list or map is.
  enum class Slot : uint8_t { kItem, kKey, kValue };

  void node(const YAML::Mark& mark) {
    if (open_.empty()) {
      return;
    }
    Slot& slot = open_.back();
    bool counted = slot != Slot::kValue;
    if (slot != Slot::kItem) {
      slot = slot == Slot::kKey ? Slot::kValue : Slot::kKey;
    }
    if (counted && ++items_ > max_items_) {
      throw TooMany{mark};
    }
  }

  size_t max_items_;
  size_t items_ = 0;
  std::vector<Slot> open_;
};

Pos at_least_1_1(Pos pos) {
  return pos.line > 0 ? pos : Pos{1, 1};
}

// yaml-cpp can mark an error past the end of its line (an escape cut by the end of the
// input: `"\` at 1:6 of a 4-byte file); a position names a character of the text or the end
// of its line.
Pos inside_text(Pos p, std::string_view text) {
  size_t start = 0;
  int line = 1;
  for (; line < p.line; ++line) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  size_t end = text.find('\n', start);
  size_t length = (end == std::string_view::npos ? text.size() : end) - start;
  return Pos{line, std::min(p.column, static_cast<int>(length) + 1)};
}

std::string hex_byte(unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("0x") + kHex[c >> 4] + kHex[c & 15];
}

std::string hex_bytes(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    if (!out.empty()) {
      out += ' ';
    }
    out += hex_byte(static_cast<unsigned char>(c));
  }
  return out;
}

std::string code_point(uint32_t cp) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string digits;
  for (int shift = cp > 0xffff ? 20 : 12; shift >= 0; shift -= 4) {
    digits += kHex[(cp >> shift) & 15];
  }
  return "U+" + digits;
}

// Why the UTF-8 sequence at the start of `rest` is invalid, or "" when it is a valid character
// (whose length is then `length`). RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF.
std::string utf8_problem(std::string_view rest, size_t& length) {
  auto lead = static_cast<unsigned char>(rest[0]);
  length = 1;
  if (lead < 0x80) {
    return {};
  }
  if (lead < 0xc0) {
    return "byte " + hex_byte(lead) + " continues a character that never started";
  }
  size_t need = lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : lead < 0xf8 ? 4 : 0;
  if (need == 0) {
    return "byte " + hex_byte(lead) + " never occurs in UTF-8";
  }
  uint32_t cp = lead & (0x7fU >> need);
  for (size_t i = 1; i < need; ++i) {
    if (i >= rest.size()) {
      return "byte " + hex_byte(lead) + " starts a " + std::to_string(need) +
             "-byte character but the file ends";
    }
    auto next = static_cast<unsigned char>(rest[i]);
    if ((next & 0xc0) != 0x80) {
      return "byte " + hex_byte(lead) + " starts a " + std::to_string(need) +
             "-byte character but byte " + hex_byte(next) + " follows";
    }
    cp = (cp << 6) | (next & 0x3fU);
  }
  std::string_view bytes = rest.substr(0, need);
  static constexpr uint32_t kLeast[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kLeast[need]) {
    return "bytes " + hex_bytes(bytes) + " are an overlong encoding of " + code_point(cp);
  }
  if (cp >= 0xd800 && cp <= 0xdfff) {
    return "bytes " + hex_bytes(bytes) + " encode " + code_point(cp) +
           ", a UTF-16 surrogate, which UTF-8 does not allow";
  }
  if (cp > 0x10ffff) {
    return "bytes " + hex_bytes(bytes) + " encode " + code_point(cp) + ", above U+10FFFF";
  }
  length = need;
  return {};
}

// The text must be UTF-8 without control characters but tab, LF and CR, as YAML requires.
// yaml-cpp 0.7 checks neither: NUL bytes can make it run for minutes, 0x04 silently ends a
// scalar, and invalid UTF-8 passes into names and messages. Refusing them first also catches
// UTF-16 files. Columns count bytes, as yaml-cpp's marks do.
bool check_characters(std::string_view text, Diagnostics& diags) {
  bool utf16_bom = text.size() >= 2 && ((text[0] == '\xff' && text[1] == '\xfe') ||
                                        (text[0] == '\xfe' && text[1] == '\xff'));
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      line_start = ++i;
      continue;
    }
    std::string code;
    std::string message;
    size_t length = 1;
    if (c >= 0x80) {
      std::string problem = utf8_problem(text.substr(i), length);
      if (!problem.empty()) {
        code = "invalid-utf8";
        message = "invalid UTF-8: " + problem;
      }
    } else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
      code = "yaml-syntax";
      message = "control character " + hex_byte(c) + " is not allowed in YAML text";
    }
    if (!code.empty()) {
      if (utf16_bom) {
        message += "; is the file UTF-16? Save it as UTF-8";
      }
      diags.error(std::move(code), std::move(message),
                  Pos{line, static_cast<int>(i - line_start) + 1});
      return false;
    }
    i += length;
  }
  return true;
}

}  // namespace

bool check_yaml_characters(std::string_view text, Diagnostics& diags) {
  return check_characters(text, diags);
}

std::optional<YAML::Node> load_document(std::string_view text, Diagnostics& diags) {
  if (!check_characters(text, diags)) {
    return std::nullopt;
  }
  std::string owned(text);
  try {
    // yaml-cpp 0.7's LoadAll loops forever, allocating, on a stray token such as a ',' at the
    // start of a line (jbeder/yaml-cpp#1040, fixed upstream by #1319): the parser reports a
    // document without consuming the token. So look at the first two documents only, with the
    // event parser, and build nodes for the first with Load.
    std::istringstream in(owned);
    YAML::Parser parser(in);
    DocumentScan scan(diags.max_items());
    if (!parser.HandleNextDocument(scan)) {
      return YAML::Node(YAML::NodeType::Null);
    }
    if (parser.HandleNextDocument(scan) && scan.marks.size() >= 2) {
      const YAML::Mark& mark = scan.marks[1];
      size_t at = mark.pos >= 0 ? static_cast<size_t>(mark.pos) : text.size();
      std::string_view rest = at < text.size() ? text.substr(at) : std::string_view();
      if (rest.substr(0, 3) == "---") {
        diags.error("yaml-syntax",
                    "a topology file holds one YAML document; another one starts here",
                    at_least_1_1(pos_of(mark)));
      } else {
        std::string_view token = rest.substr(0, rest.find_first_of(" \t\r\n"));
        // The first "document" starts at the same token when the parser is stuck on it.
        bool stuck = scan.marks[0].pos == mark.pos;
        diags.error("yaml-syntax",
                    "unexpected " + quote(token) + (stuck ? "" : " after the end of the document"),
                    at_least_1_1(pos_of(mark)));
      }
      return std::nullopt;
    }
    return YAML::Load(owned);
  } catch (const DocumentScan::TooMany& e) {
    diags.too_many_items(at_least_1_1(pos_of(e.mark)), false);
    return std::nullopt;
  } catch (const YAML::DeepRecursion& e) {
    // Its own message is "bad file", and its depth counts parser calls, not levels.
    diags.error("yaml-syntax", "lists and maps are nested too deeply",
                at_least_1_1(pos_of(e.mark)));
    return std::nullopt;
  } catch (const YAML::ParserException& e) {
    // yaml-cpp quotes the offending character as it is; its end of input is 0x04.
    std::string message;
    for (char c : e.msg) {
      auto u = static_cast<unsigned char>(c);
      message += u < 0x20 || u == 0x7f ? hex_byte(u) : std::string(1, c);
    }
    diags.error("yaml-syntax", message, inside_text(at_least_1_1(pos_of(e.mark)), text));
    return std::nullopt;
  }
}

Pos pos_of(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) {
    return Pos{};
  }
  return Pos{mark.line + 1, mark.column + 1};
}

Pos pos_of(const YAML::Node& node) {
  return node.IsDefined() ? pos_of(node.Mark()) : Pos{};
}

std::string shorten(std::string_view text) {
  std::string out;
  size_t shown = std::min(text.size(), kMaxQuoted);
  for (size_t i = 0; i < shown; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (shown < text.size()) {
    out += "...";
  }
  return out;
}

std::string quote(std::string_view text) {
  return "'" + shorten(text) + "'";
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) {
    return "an empty value";
  }
  if (node.IsSequence()) {
    return "a list";
  }
  if (node.IsMap()) {
    return "a map";
  }
  return quote(node.Scalar());
}

size_t edit_distance(std::string_view a, std::string_view b, size_t limit) {
  size_t diff = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (diff > limit) {
    return limit + 1;
  }
  // Three rows of the optimal-string-alignment table: transpositions look two rows back.
  std::vector<size_t> two(b.size() + 1);
  std::vector<size_t> one(b.size() + 1);
  std::vector<size_t> cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    one[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({one[j] + 1, cur[j - 1] + 1, one[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], two[j - 2] + 1);
      }
    }
    std::swap(two, one);
    std::swap(one, cur);
  }
  return std::min(one[b.size()], limit + 1);
}

std::string_view closest(std::string_view word, std::span<const std::string_view> candidates) {
  constexpr size_t kLimit = 2;
  // Suggestions are for typos in hand-written files; the bounds keep a huge generated file from
  // paying for a quadratic distance per name per error.
  constexpr size_t kMaxWord = 64;
  constexpr size_t kMaxCandidates = 1000;
  if (word.size() > kMaxWord || candidates.size() > kMaxCandidates) {
    return {};
  }
  std::string_view best;
  size_t best_distance = kLimit + 1;
  for (std::string_view c : candidates) {
    size_t d = edit_distance(word, c, kLimit);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

void Diagnostics::error(std::string code, std::string message, Pos where) {
  if (stopped_) {
    return;
  }
  if (errors_.size() >= kMaxErrors) {
    stopped_ = true;
    errors_.push_back(
        Diagnostic{"too-many-errors",
                   "more than " + std::to_string(kMaxErrors) + " errors; stopped reading here",
                   SourceLocation{file_, where.line, where.column}});
    return;
  }
  errors_.push_back(Diagnostic{std::move(code), std::move(message),
                               SourceLocation{file_, where.line, where.column}});
}

bool Diagnostics::visit(Pos where) {
  if (stopped_) {
    return false;
  }
  if (++visits_ > max_items_) {
    too_many_items(where, true);
    return false;
  }
  return true;
}

void Diagnostics::too_many_items(Pos where, bool through_aliases) {
  std::string message =
      "the file holds more than " + std::to_string(max_items_) + " map keys and list items";
  if (through_aliases) {
    message += " (an alias counts each time it is used)";
  }
  message += "; stopped reading here";
  if (!limit_hint_.empty()) {
    message += " (" + limit_hint_ + ")";
  }
  errors_.push_back(
      Diagnostic{"too-large", std::move(message), SourceLocation{file_, where.line, where.column}});
  stopped_ = true;
}

std::vector<Diagnostic> Diagnostics::take() {
  std::vector<Diagnostic> out;
  std::unordered_set<std::string> seen;
  for (auto& d : errors_) {
    std::string key = std::to_string(d.where.line) + ":" + std::to_string(d.where.column) + ":" +
                      d.code + ":" + d.message;
    if (seen.insert(std::move(key)).second) {
      out.push_back(std::move(d));
    }
  }
  errors_.clear();
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
  });
  return out;
}

MapReader::MapReader(const YAML::Node& node, std::string what,
                     std::span<const std::string_view> keys, Diagnostics& diags)
    : what_(std::move(what)), pos_(pos_of(node)), diags_(&diags) {
  // Range-for keeps each key-value pair alive; `it->first` would refer into a temporary.
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    Pos key_pos = pos_of(key);
    if (!diags.visit(key_pos)) {
      return;
    }
    if (!key.IsScalar()) {
      diags.error("bad-type", "keys in " + what_ + " must be strings, got " + describe(key),
                  key_pos);
      continue;
    }
    const std::string& name = key.Scalar();
    if (std::find(keys.begin(), keys.end(), name) == keys.end()) {
      std::string message = "unknown key " + quote(name) + " in " + what_ + "; expected one of: ";
      for (size_t i = 0; i < keys.size(); ++i) {
        message += (i == 0 ? "" : ", ");
        message += keys[i];
      }
      if (name == "<<") {
        message += " (YAML merge keys are not supported)";
      } else if (auto near = closest(name, keys); !near.empty()) {
        message += "; did you mean '" + std::string(near) + "'?";
      }
      diags.error("unknown-key", std::move(message), key_pos);
      continue;
    }
    if (auto first = fields_.find(name); first != fields_.end()) {
      diags.error("duplicate-key",
                  "duplicate key " + quote(name) + "; first given at line " +
                      std::to_string(first->second.key_pos.line) + ", column " +
                      std::to_string(first->second.key_pos.column),
                  key_pos);
      continue;
    }
    Field field{name, false, entry.second, key_pos, key_pos};
    if (!field.is_null()) {
      Pos value_pos = pos_of(entry.second);
      field.pos = value_pos.line > 0 ? value_pos : key_pos;
    }
    fields_.emplace(name, std::move(field));
  }
}

std::optional<MapReader> MapReader::open(const Field& field, std::string what,
                                         std::span<const std::string_view> keys,
                                         Diagnostics& diags) {
  if (!field.node.IsMap()) {
    diags.error("bad-type", field.label() + " must be a map, got " + describe(field.node),
                field.pos);
    return std::nullopt;
  }
  return MapReader(field.node, std::move(what), keys, diags);
}

std::optional<Field> MapReader::get(std::string_view key) const {
  auto it = fields_.find(std::string(key));
  if (it == fields_.end() || it->second.is_null()) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<Field> MapReader::require(std::string_view key) const {
  auto it = fields_.find(std::string(key));
  if (it == fields_.end()) {
    diags_->error("missing-field", what_ + " is missing required field '" + std::string(key) + "'",
                  pos_);
    return std::nullopt;
  }
  return it->second;
}

void for_each_item(const Field& field, Diagnostics& diags,
                   const std::function<void(const Field&)>& fn) {
  if (!field.node.IsSequence()) {
    diags.error("bad-type", field.label() + " must be a list, got " + describe(field.node),
                field.pos);
    return;
  }
  for (const YAML::Node& element : field.node) {
    Pos pos = pos_of(element);
    if (pos.line == 0) {
      pos = field.pos;
    }
    if (!diags.visit(pos)) {
      return;
    }
    fn(Field{field.key, true, element, field.key_pos, pos});
  }
}

void for_each_item_nonempty(const Field& field, Diagnostics& diags,
                            std::string_view what_empty_means,
                            const std::function<void(const Field&)>& fn) {
  if (field.node.IsSequence() && field.node.size() == 0) {
    std::string message = field.label() + " must not be an empty list";
    if (!what_empty_means.empty()) {
      message += "; " + std::string(what_empty_means);
    }
    diags.error("bad-value", std::move(message), field.pos);
    return;
  }
  for_each_item(field, diags, fn);
}

std::optional<std::string> read_string(const Field& field, Diagnostics& diags) {
  if (!field.node.IsScalar()) {
    diags.error("bad-type", field.label() + " must be a string, got " + describe(field.node),
                field.pos);
    return std::nullopt;
  }
  return field.node.Scalar();
}

std::optional<std::string> read_name(const Field& field, Diagnostics& diags) {
  auto text = read_string(field, diags);
  if (text && text->empty()) {
    diags.error("bad-value", field.label() + " must not be empty", field.pos);
    return std::nullopt;
  }
  return text;
}

std::optional<bool> read_bool(const Field& field, Diagnostics& diags) {
  if (field.node.IsScalar() && is_plain(field.node)) {
    const std::string& s = field.node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") {
      return true;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
      return false;
    }
  }
  diags.error("bad-type",
              field.label() + " must be true or false, got " + type_error_got(field.node),
              field.pos);
  return std::nullopt;
}

std::optional<int64_t> read_int(const Field& field, int64_t min, int64_t max, Diagnostics& diags) {
  auto range = [&] {
    return field.label() + " must be an integer from " + std::to_string(min) + " to " +
           std::to_string(max);
  };
  if (field.node.IsScalar() && is_plain(field.node)) {
    const std::string& s = field.node.Scalar();
    size_t start = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    bool digits =
        s.size() > start && std::all_of(s.begin() + static_cast<std::ptrdiff_t>(start), s.end(),
                                        [](char c) { return c >= '0' && c <= '9'; });
    if (digits) {
      int64_t value = 0;
      const char* first = s.data() + (s[0] == '+' ? 1 : 0);
      auto [end, ec] = std::from_chars(first, s.data() + s.size(), value);
      if (ec != std::errc() || end != s.data() + s.size() || value < min || value > max) {
        diags.error("bad-value", range() + ", got " + shorten(s), field.pos);
        return std::nullopt;
      }
      return value;
    }
  }
  diags.error("bad-type", field.label() + " must be an integer, got " + type_error_got(field.node),
              field.pos);
  return std::nullopt;
}

bool enum_matches(std::string_view text, std::string_view name, Case match) {
  switch (match) {
    case Case::kExact:
      return text == name;
    case Case::kExactOrLower: {
      if (text == name) {
        return true;
      }
      std::string lowered(name);
      std::transform(lowered.begin(), lowered.end(), lowered.begin(), lower);
      return text == lowered;
    }
    case Case::kIgnore:
      return equal_ignore_case(text, name);
  }
  return false;
}

std::optional<size_t> read_enum(const Field& field, std::span<const std::string_view> names,
                                Case match, Diagnostics& diags, std::string_view hint) {
  std::string expected = " must be one of ";
  for (size_t i = 0; i < names.size(); ++i) {
    expected += (i == 0 ? "" : ", ");
    expected += names[i];
  }
  if (!field.node.IsScalar()) {
    diags.error("bad-type", field.label() + expected + "; got " + describe(field.node), field.pos);
    return std::nullopt;
  }
  const std::string& text = field.node.Scalar();
  for (size_t i = 0; i < names.size(); ++i) {
    if (enum_matches(text, names[i], match)) {
      return i;
    }
  }
  std::string message = field.label() + expected + "; got " + quote(text);
  if (!hint.empty()) {
    message += " ";
    message += hint;
  } else {
    auto near = std::find_if(names.begin(), names.end(),
                             [&](std::string_view n) { return equal_ignore_case(text, n); });
    std::string_view suggestion = near != names.end() ? *near : closest(text, names);
    if (!suggestion.empty()) {
      message += "; did you mean '" + std::string(suggestion) + "'?";
    }
  }
  diags.error("bad-value", std::move(message), field.pos);
  return std::nullopt;
}

std::optional<IpAddress> read_address(const Field& field, Diagnostics& diags) {
  auto text = read_string(field, diags);
  if (!text) {
    return std::nullopt;
  }
  if (auto address = IpAddress::parse(*text)) {
    return address;
  }
  std::string message = "'" + field.key +
                        "': expected an IPv4 or IPv6 address like 10.0.0.4 or fd00::4, got " +
                        quote(*text);
  if (text->find('/') != std::string::npos) {
    message += " (an address takes no /length)";
  }
  diags.error("bad-address", std::move(message), field.pos);
  return std::nullopt;
}

std::optional<Prefix> read_prefix(const Field& field, Diagnostics& diags) {
  auto text = read_string(field, diags);
  if (!text) {
    return std::nullopt;
  }
  auto prefix = Prefix::parse(*text);
  if (!prefix) {
    diags.error(prefix.error().code, "'" + field.key + "': " + prefix.error().message, field.pos);
    return std::nullopt;
  }
  return *prefix;
}

}  // namespace egress::internal
