// Fuzz target for the ARM importer (`egress-sim import`, include/egress/import/arm_import.h) and
// the answers `check` reads: any bytes as one JSON file must give a topology or errors, never
// an exception or a crash. Errors name the file and have a code and a message, and an import
// with errors has no YAML (no partial topology). An import without errors gives YAML that loads
// without errors (the importer's promise) and is the yaml-cpp tree the importer loaded, the
// same bytes again give the same YAML
// (deterministic), and `check` of that topology against the same file's answers completes.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "egress/check/azure_check.h"
#include "egress/config/topology_loader.h"
#include "egress/import/arm_import.h"
#include "fuzz_checks.h"
#include "import/arm_import_internal.h"

namespace {

using egress::fuzz::check;

const std::string& input_path() {
  static const std::string path =
      "/tmp/egress_fuzz_arm_import_" + std::to_string(::getpid()) + ".json";
  return path;
}

void check_errors(const std::vector<egress::Diagnostic>& errors) {
  for (const egress::Diagnostic& d : errors) {
    check(d.code != "internal", d.message.c_str());
    check(!d.code.empty() && !d.message.empty(), "error has a code and a message");
    check(d.where.file.empty() || d.where.file == input_path(), "error names the input file");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FILE* f = std::fopen(input_path().c_str(), "wb");
  check(f != nullptr, "temporary file");
  check(size == 0 || std::fwrite(data, 1, size, f) == size, "temporary file written");
  std::fclose(f);
  const std::vector<std::string> sources = {input_path()};

  // verify_text_: the written text parses to the tree the importer loaded (arm_import.cc).
  const egress::ImportOptions options;
  egress::arm::Importer importer(options);
  importer.verify_text_ = true;
  egress::ImportResult first = importer.run(sources);
  check_errors(first.errors);
  if (!first.errors.empty()) {
    check(first.yaml.empty(), "no partial YAML with errors");
  } else {
    egress::LoadResult loaded = egress::parse_topology(first.yaml, "imported.yaml");
    check(loaded.errors.empty() && loaded.topology.has_value(), "imported YAML loads");
    egress::ImportResult again = egress::import_azure(sources, egress::ImportOptions{});
    check(again.yaml == first.yaml, "import is deterministic");

    egress::AnswersLoad answers = egress::read_azure_answers(sources);
    check_errors(answers.errors);
    if (answers.errors.empty()) {
      egress::CheckResult r =
          egress::check_against_azure(*loaded.topology, answers.answers, egress::CheckOptions{});
      for (const egress::Diagnostic& d : r.errors) {
        check(!d.message.empty(), "check error has a message");
      }
      check(!egress::format_check(r).empty(), "check formats");
    }
  }
  std::remove(input_path().c_str());
  return 0;
}
