// Invariants the fuzz targets share: a violation aborts, which libFuzzer reports as a crash
// with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "egress/util/result.h"

namespace egress::fuzz {

inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

/// What every YAML loader promises of its errors: none `internal` (an exception it did not
/// expect), each with a code, a message and a position, sorted by position.
inline void check_load_errors(const std::vector<Diagnostic>& errors) {
  int line = 0;
  int column = 0;
  for (const Diagnostic& d : errors) {
    check(d.code != "internal", d.message.c_str());
    check(!d.code.empty() && !d.message.empty(), "error has a code and a message");
    check(d.where.line >= 1 && d.where.column >= 1, "error has a position");
    check(d.where.line > line || (d.where.line == line && d.where.column >= column),
          "errors sorted by position");
    line = d.where.line;
    column = d.where.column;
    check(!format_diagnostic(d, "error").empty(), "formatted");
  }
}

}  // namespace egress::fuzz
