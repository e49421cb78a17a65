// libFuzzer target: the migration-table parser on arbitrary text. It must never crash, and it
// returns either a table or errors, never both and never neither.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "egress/migrate/migration_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  egress::MigrationTableLoad load = egress::parse_migration_table(text, "fuzz.md");
  if (load.table.has_value() == !load.errors.empty()) {
    std::abort();
  }
  if (load.table) {
    for (auto from : {egress::OutboundType::kLoadBalancer, egress::OutboundType::kNone}) {
      (void)egress::check_migration(*load.table, egress::VnetMode::kByo, from,
                                    egress::OutboundType::kBlock);
    }
  }
  return 0;
}
