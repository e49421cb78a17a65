// Errors as values. The library never throws across its API, never prints and never exits:
// every failure is a Diagnostic that says what went wrong and where (file, line, column).
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace egress {

/// A position in an input file. Lines and columns are 1-based; 0 means "not known".
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

/// One problem found in the input. `code` is stable and machine-readable (`unknown-key`,
/// `RouteTableInvalidNextHop`, ...); `message` is for people.
struct Diagnostic {
  std::string code;
  std::string message;
  SourceLocation where;
};

using Error = Diagnostic;

/// `FILE:LINE:COL: SEVERITY: MESSAGE`, the form compilers use, so editors can jump to it.
/// Parts of the location that are unknown are left out.
std::string format_diagnostic(const Diagnostic& d, const char* severity);

/// The value of a computation that can fail: either a T or an Error, never both.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const& { return std::get<1>(v_); }

  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace egress
