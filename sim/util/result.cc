#include "egress/util/result.h"

namespace egress {

std::string format_diagnostic(const Diagnostic& d, const char* severity) {
  std::string out;
  if (!d.where.file.empty()) {
    out += d.where.file;
    if (d.where.line > 0) {
      out += ":" + std::to_string(d.where.line);
      if (d.where.column > 0) {
        out += ":" + std::to_string(d.where.column);
      }
    }
    out += ": ";
  }
  out += severity;
  out += ": ";
  out += d.message;
  return out;
}

}  // namespace egress
