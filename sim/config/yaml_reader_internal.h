// Typed, position-aware reading of yaml-cpp nodes for the topology loader. Private to
// sim/config: yaml-cpp types stay out of the public headers, and nothing here throws.
//
// Every reader reports what went wrong into a Diagnostics and returns nullopt, so that one
// pass over a file finds all of its errors rather than the first.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "egress/config/topology.h"
#include "egress/net/ip_address.h"
#include "egress/util/result.h"

namespace egress::internal {

/// 1-based position of a node; {0, 0} when yaml-cpp has none (InvalidNode's null mark).
Pos pos_of(const YAML::Node& node);
Pos pos_of(const YAML::Mark& mark);

/// `'text'` for a scalar (shortened, control characters escaped), else "a list", "a map",
/// "an empty value": what messages say a value was.
std::string describe(const YAML::Node& node);
/// `text` shortened to a readable length, control characters escaped.
std::string shorten(std::string_view text);
/// `'text'`, shortened and escaped.
std::string quote(std::string_view text);

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions), or `limit + 1`
/// when it exceeds `limit`. Cheap for long strings: only called to suggest near names.
size_t edit_distance(std::string_view a, std::string_view b, size_t limit);
/// The candidate closest to `word` within edit distance 2 (first in order on ties), or "" (also
/// for words over 64 characters or more than 1000 candidates).
std::string_view closest(std::string_view word, std::span<const std::string_view> candidates);

/// The errors of one load, plus a budget on the work a file can cause. Anchors and aliases let
/// a few kilobytes of YAML name the same list millions of times, so every map key and list item
/// visited is counted, and past `max_items` (or kMaxErrors errors) loading stops with one error.
/// load_document applies the same budget to the keys and items written, before any node is
/// built.
class Diagnostics {
 public:
  static constexpr size_t kDefaultMaxItems = 1'000'000;
  static constexpr size_t kMaxErrors = 1000;

  /// `limit_hint` ends the message that says `max_items` was reached: how to raise it.
  explicit Diagnostics(std::string file, size_t max_items = kDefaultMaxItems,
                       std::string limit_hint = {})
      : file_(std::move(file)), max_items_(max_items), limit_hint_(std::move(limit_hint)) {}

  void error(std::string code, std::string message, Pos where);
  /// Counts one node visited at `where`; false once the budget is spent (loading should stop).
  bool visit(Pos where);
  /// Reports too-large at `where` and stops: the file holds more than max_items() keys and
  /// items (`through_aliases`: counting each use of an alias).
  void too_many_items(Pos where, bool through_aliases);
  size_t max_items() const { return max_items_; }
  /// True once loading should stop: budget spent or too many errors.
  bool stopped() const { return stopped_; }
  bool empty() const { return errors_.empty(); }
  const std::string& file() const { return file_; }
  /// The errors sorted by position (stable, so one place keeps discovery order), duplicates
  /// (the same error reached twice through an alias) removed.
  std::vector<Diagnostic> take();

 private:
  std::string file_;
  size_t max_items_;
  std::string limit_hint_;
  std::vector<Diagnostic> errors_;
  size_t visits_ = 0;
  bool stopped_ = false;
};

/// Reports invalid-utf8 or yaml-syntax (a control character) at the first character YAML text
/// must not hold; false then. load_document checks this first.
bool check_yaml_characters(std::string_view text, Diagnostics& diags);

/// Parses text that must hold one YAML document. Returns its root (a Null node for an empty
/// file), or nullopt after reporting invalid-utf8 (with the byte values), yaml-syntax (control
/// characters, a syntax error, a second document) or too-large (more map keys and list items
/// than `diags` allows, counted by yaml-cpp's event parser before any node is built). Works
/// around yaml-cpp 0.7 hangs (see the definition).
std::optional<YAML::Node> load_document(std::string_view text, Diagnostics& diags);

/// A value in the file: a map field or an item of a list. `pos` is the value's position, or the
/// key's when the value is empty (yaml-cpp marks an empty value at the next token, which may be
/// lines away).
struct Field {
  std::string key;
  bool is_item = false;
  YAML::Node node;
  Pos key_pos;
  Pos pos;

  bool is_null() const { return !node.IsDefined() || node.IsNull(); }
  /// How messages name it: `'key'`, or `each item of 'key'`.
  std::string label() const { return is_item ? "each item of '" + key + "'" : "'" + key + "'"; }
};

/// A map of fields with its keys checked: unknown keys (with a suggestion for typos) and
/// duplicate keys (yaml-cpp keeps every copy) are reported; the first copy of a key is used.
class MapReader {
 public:
  /// `node` must be a map. `what` names the element in messages ("subnet").
  MapReader(const YAML::Node& node, std::string what, std::span<const std::string_view> keys,
            Diagnostics& diags);

  /// Reports bad-type and returns nullopt unless `field` holds a map.
  static std::optional<MapReader> open(const Field& field, std::string what,
                                       std::span<const std::string_view> keys, Diagnostics& diags);

  Pos pos() const { return pos_; }
  const std::string& what() const { return what_; }
  /// The field, or nullopt when it is absent or written empty (`key:`, `key: null`), which
  /// optional fields treat alike.
  std::optional<Field> get(std::string_view key) const;
  /// The field when written, even empty (the typed reader then reports it); missing-field at
  /// the map's position when absent.
  std::optional<Field> require(std::string_view key) const;
  /// Whether the key is written at all.
  bool has(std::string_view key) const { return fields_.find(std::string(key)) != fields_.end(); }

 private:
  std::string what_;
  Pos pos_;
  Diagnostics* diags_;
  std::unordered_map<std::string, Field> fields_;
};

/// Calls `fn` for each item of a list field, as a Field labelled `each item of 'key'`.
/// Reports bad-type when the value is not a list; stops early once `diags` has stopped.
void for_each_item(const Field& field, Diagnostics& diags,
                   const std::function<void(const Field&)>& fn);
/// Like for_each_item, also reporting bad-value for an empty list (`what_empty_means` says what
/// leaving the field out does, e.g. "leave it out to match any port"; may be empty).
void for_each_item_nonempty(const Field& field, Diagnostics& diags,
                            std::string_view what_empty_means,
                            const std::function<void(const Field&)>& fn);

/// A scalar's text, or bad-type. Any plain or quoted scalar is text: a name like `1` is fine.
std::optional<std::string> read_string(const Field& field, Diagnostics& diags);
/// A non-empty string, for names and references.
std::optional<std::string> read_name(const Field& field, Diagnostics& diags);
/// A YAML boolean: plain true or false (also True, TRUE). `yes`, `on` and quoted "true" are not.
std::optional<bool> read_bool(const Field& field, Diagnostics& diags);
/// A plain decimal integer in [min, max]; bad-type for other text, bad-value out of range.
std::optional<int64_t> read_int(const Field& field, int64_t min, int64_t max, Diagnostics& diags);

enum class Case : uint8_t {
  kExact,
  kExactOrLower,  // `Tcp` or `tcp`, as Azure writes it and as people type it
  kIgnore,
};
/// The index in `names` of the field's value: bad-type when not a scalar, bad-value when not
/// one of them (listed in the message, with `hint` appended when not empty).
std::optional<size_t> read_enum(const Field& field, std::span<const std::string_view> names,
                                Case match, Diagnostics& diags, std::string_view hint = {});
/// Whether `text` is `name` under `match`.
bool enum_matches(std::string_view text, std::string_view name, Case match);

/// An IPv4 or IPv6 address (bad-address).
std::optional<IpAddress> read_address(const Field& field, Diagnostics& diags);
/// A CIDR prefix, with Prefix::parse's code and message after `'key': ` (bad-prefix,
/// host-bits).
std::optional<Prefix> read_prefix(const Field& field, Diagnostics& diags);

/// Runs `load` with a safety net: nodes are read only through the checked accessors above, so
/// an exception escaping it is a bug, reported as one `internal` error instead of a crash.
template <class Load>
void run_guarded(Diagnostics& diags, Load&& load) {
  try {
    load();
  } catch (const YAML::Exception& e) {
    diags.error("internal", "unexpected YAML error: " + e.msg, pos_of(e.mark));
  } catch (const std::exception& e) {
    diags.error("internal", std::string("unexpected error while loading: ") + e.what(), {});
  } catch (...) {
    diags.error("internal", "unexpected error while loading", {});
  }
}

}  // namespace egress::internal
