// JSON written straight into a string, value by value, for the outputs that write one record
// per flow (`replay --flows`, `merge --flows`, the server's streamed lines). An nlohmann
// document built and dumped per record was nearly half the calling thread's time in a replay
// with --flows; without it, 100k records' replay took 0.72 s instead of 1.07 (bench/README.md,
// "Fifth round"). The bytes are nlohmann's, the rest of the project's JSON writer: strings
// that need nothing escaped (the usual names and addresses) are copied as they are, and the
// rest, and every double, are written by nlohmann itself, so the two cannot disagree.
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
