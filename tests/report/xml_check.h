// A small XML well-formedness check for the SVG the reports draw: tags nest and close, attribute
// values are quoted, and every & starts an entity XML knows. Enough to catch an unescaped name
// or an unclosed element; not a validator.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace egress::report_test {

/// Empty when `xml` is well-formed, else what is wrong and where.
inline std::string xml_problem(std::string_view xml) {
  std::vector<std::string> open;
  auto entity_ok = [&](size_t at) {
    for (std::string_view e : {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"}) {
      if (xml.substr(at, e.size()) == e) {
        return true;
      }
    }
    return false;
  };
  size_t i = 0;
  while (i < xml.size()) {
    const char c = xml[i];
    if (c == '&' && !entity_ok(i)) {
      return "bad & at " + std::to_string(i);
    }
    if (c == '>') {
      return "stray > at " + std::to_string(i);
    }
    if (c != '<') {
      ++i;
      continue;
    }
    if (xml.substr(i, 5) == "<?xml") {
      const size_t end = xml.find("?>", i);
      if (end == std::string_view::npos) {
        return "unclosed declaration";
      }
      i = end + 2;
      continue;
    }
    const bool closing = i + 1 < xml.size() && xml[i + 1] == '/';
    size_t j = i + (closing ? 2 : 1);
    const size_t name_start = j;
    while (j < xml.size() && xml[j] != ' ' && xml[j] != '>' && xml[j] != '/' && xml[j] != '\n') {
      ++j;
    }
    std::string name(xml.substr(name_start, j - name_start));
    if (name.empty()) {
      return "empty tag name at " + std::to_string(i);
    }
    // Attributes: name="value" with no < or raw & in the value.
    bool self_closing = false;
    while (j < xml.size() && xml[j] != '>') {
      if (xml[j] == '"') {
        const size_t end = xml.find('"', j + 1);
        if (end == std::string_view::npos) {
          return "unclosed attribute in <" + name + ">";
        }
        for (size_t k = j + 1; k < end; ++k) {
          if (xml[k] == '<' || (xml[k] == '&' && !entity_ok(k))) {
            return "bad character in an attribute of <" + name + ">";
          }
        }
        j = end + 1;
        continue;
      }
      if (xml[j] == '<') {
        return "< inside <" + name + ">";
      }
      if (xml[j] == '=' && (j + 1 >= xml.size() || xml[j + 1] != '"')) {
        return "unquoted attribute in <" + name + ">";
      }
      self_closing = xml[j] == '/';
      ++j;
    }
    if (j == xml.size()) {
      return "unclosed tag <" + name + ">";
    }
    if (closing) {
      if (open.empty() || open.back() != name) {
        return "</" + name + "> closes " + (open.empty() ? "nothing" : "<" + open.back() + ">");
      }
      open.pop_back();
    } else if (!self_closing) {
      open.push_back(name);
    }
    i = j + 1;
  }
  return open.empty() ? "" : "<" + open.back() + "> never closed";
}

inline size_t count(std::string_view text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace egress::report_test
