// Fuzz target for the mix file reader and the compact CLI lists: any bytes must give either a
// spec or errors (never both, never neither, never an exception or a crash), errors must carry
// a position and come sorted, and a spec must be one make_synth_source can check.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "../fuzz/fuzz_checks.h"
#include "egress/synth/synth.h"

namespace {

using egress::fuzz::check;

template <class T>
void check_flag(const egress::Result<T>& r) {
  check(r.ok() || (!r.error().message.empty() && r.error().code == "bad-value"),
        "flag error has a message");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  egress::SynthMixLoad r = egress::parse_synth_mix(text, "fuzz.yaml");
  check(r.spec.has_value() != !r.errors.empty(), "exactly one of spec and errors");
  egress::fuzz::check_load_errors(r.errors);
  if (r.spec) {
    // A mix that loaded is valid on its own; only topology lookups may still fail.
    egress::Topology empty;
    auto source = egress::make_synth_source(empty, *r.spec);
    check(!source.ok(), "no topology, so no sources");
    check(source.error().code == "synth-spec", "spec error code");
  }
  // The same bytes as compact flags: each parser answers with a value or a clear error.
  check_flag(egress::parse_source_list(text));
  check_flag(egress::parse_destination_list(text));
  check_flag(egress::parse_protocol_mix(text));
  return 0;
}
