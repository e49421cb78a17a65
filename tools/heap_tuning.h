// The C library's heap, set up for the commands that stream a capture through tables of
// hundreds of megabytes (replay, synth, merge).
#pragma once

namespace egress {

/// Starts this process again, once, with glibc's malloc tunables for large tables set in
/// GLIBC_TUNABLES (glibc reads them only at start). Returns when they are set already, when
/// EGRESS_SIM_HEAP_TUNED is in the environment (set it to keep the C library's defaults), or
/// when the process cannot start itself again.
void restart_with_heap_tunables(char** argv);

}  // namespace egress
