// Fuzz target for address and prefix parsing: no crash, and what parses prints back to text that
// parses to the same value.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "egress/net/ip_address.h"
#include "fuzz_checks.h"

using egress::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  egress::Result<egress::Prefix> prefix = egress::Prefix::parse(text);
  bool has_nul = text.find('\0') != std::string_view::npos;
  if (prefix) {
    check(!has_nul, "text with a NUL parsed as a prefix");
    check(prefix->length >= 0 && prefix->length <= prefix->address.width(), "length in range");
    check(prefix->address.masked(prefix->length) == prefix->address, "no host bits");
    auto again = egress::Prefix::parse(prefix->to_string());
    check(again.ok() && *again == *prefix, "prefix round trip");
  } else {
    const egress::Error& e = prefix.error();
    check(e.code == "bad-prefix" || e.code == "host-bits", "prefix error code");
    check(!e.message.empty(), "prefix error message");
  }
  if (auto address = egress::IpAddress::parse(text)) {
    check(!has_nul, "text with a NUL parsed as an address");
    auto again = egress::IpAddress::parse(address->to_string());
    check(again.has_value() && *again == *address, "address round trip");
    check(egress::Prefix::host(*address).contains(*address), "host prefix holds its address");
  }
  return 0;
}
