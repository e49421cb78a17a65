#include "json_text.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace egress {
namespace {

// What nlohmann's dump_escaped writes unchanged: printable ASCII but the quote and the
// backslash. Control characters, bytes of multi-byte characters and invalid UTF-8 (replaced
// by U+FFFD, as every dump in the project asks) go through nlohmann.
bool plain(std::string_view s) {
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b > 0x7e || b == '"' || b == '\\') {
      return false;
    }
  }
  return true;
}

}  // namespace

void JsonText::separate() {
  if (!first_) {
    out_ += ',';
  }
  first_ = false;
}

void JsonText::open(char bracket) {
  separate();
  out_ += bracket;
  first_ = true;
}

void JsonText::close(char bracket) {
  out_ += bracket;
  first_ = false;
}

void JsonText::key(std::string_view name) {
  separate();
  out_ += '"';
  out_ += name;
  out_ += "\":";
  first_ = true;
}

void JsonText::string(std::string_view s) {
  separate();
  if (plain(s)) {
    out_ += '"';
    out_ += s;
    out_ += '"';
    return;
  }
  out_ +=
      nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void JsonText::string_or_null(std::string_view s) {
  if (s.empty()) {
    null();
  } else {
    string(s);
  }
}

void JsonText::null() {
  separate();
  out_ += "null";
}

void JsonText::number(uint64_t v) {
  separate();
  char digits[20];
  out_.append(digits, std::to_chars(digits, digits + sizeof digits, v).ptr);
}

void JsonText::number(double v) {
  separate();
  // nlohmann's own shortest form (Grisu2, "1.0" for whole numbers, null for NaN): the digits
  // std::to_chars picks may differ from it.
  out_ += nlohmann::json(v).dump();
}

}  // namespace egress
