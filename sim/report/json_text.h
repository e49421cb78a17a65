// JSON written straight into a string, value by value, for the outputs that write one record
// per flow (`replay --flows`, `merge --flows`, the server's streamed lines). Building an
// nlohmann document per record and dumping it was most of a replay with --flows: 100k
// records took 0.8 s, in allocations, frees and dump_escaped (bench/README.md, "Fifth
// round"). The bytes are nlohmann's, the rest of the project's JSON writer: strings that need
// nothing escaped (the usual names and addresses) are copied as they are, and the rest, and
// every double, are written by nlohmann itself, so the two can never disagree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace egress {

/// Appends to a caller's string. Commas are its business: after key(), the next call writes
/// the value; anything else in an object or array is preceded by a comma when it is not the
/// first. Keys are the caller's literals (ASCII, nothing to escape).
class JsonText {
 public:
  explicit JsonText(std::string& out) : out_(out) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  void key(std::string_view name);

  void string(std::string_view s);
  /// null for an empty string: the contract's "absent" for names and addresses.
  void string_or_null(std::string_view s);
  void null();
  void number(uint64_t v);
  void number(double v);

 private:
  void open(char bracket);
  void close(char bracket);
  void separate();

  std::string& out_;
  bool first_ = true;  // the next value is its container's first (or follows its key)
};

}  // namespace egress
