#include "server/topology_set.h"

#include <filesystem>
#include <utility>

#include "egress/config/topology_checks.h"
#include "egress/config/topology_loader.h"

namespace egress {

std::string topology_name(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}

bool valid_topology_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.') {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

namespace {

CompiledTopology compile_loaded(std::string name, LoadResult loaded) {
  CompiledTopology out;
  if (!loaded.errors.empty() || !loaded.topology) {
    out.errors = std::move(loaded.errors);
    return out;
  }
  auto entry = std::make_shared<ServedTopology>();
  entry->name = std::move(name);
  entry->findings = check_topology(*loaded.topology);
  entry->topology = std::make_shared<const Topology>(std::move(*loaded.topology));
  Result<Engine> engine = Engine::build(entry->topology);
  if (!engine) {
    out.errors.push_back(engine.error());
    return out;
  }
  entry->engine = std::make_shared<const Engine>(std::move(engine).value());
  out.loaded = std::move(entry);
  return out;
}

}  // namespace

CompiledTopology compile_topology(std::string name, std::string_view yaml,
                                  const std::string& file) {
  return compile_loaded(std::move(name), parse_topology(yaml, file));
}

Result<std::shared_ptr<const TopologySet>> load_topology_set(
    const std::vector<std::string>& paths) {
  auto set = std::make_shared<TopologySet>();
  std::vector<Diagnostic> errors;
  for (const std::string& path : paths) {
    std::string name = topology_name(path);
    if (set->by_name.count(name) != 0) {
      errors.push_back({"duplicate-name",
                        "a topology named '" + name + "' is loaded already (names are file stems)",
                        {path, 0, 0}});
      continue;
    }
    CompiledTopology compiled = compile_loaded(name, load_topology_file(path));
    if (!compiled.loaded) {
      errors.insert(errors.end(), compiled.errors.begin(), compiled.errors.end());
      continue;
    }
    set->by_name.emplace(name, std::move(compiled.loaded));
  }
  if (!errors.empty()) {
    Diagnostic first = errors.front();
    for (size_t i = 1; i < errors.size(); ++i) {
      first.message += "\n" + format_diagnostic(errors[i], "error");
    }
    return first;
  }
  return std::shared_ptr<const TopologySet>(std::move(set));
}

std::shared_ptr<const TopologySet> TopologyRegistry::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return set_;
}

void TopologyRegistry::replace(std::shared_ptr<const TopologySet> set) {
  std::lock_guard<std::mutex> lock(mutex_);
  set_ = std::move(set);
}

void TopologyRegistry::put(std::shared_ptr<const ServedTopology> entry) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto next = std::make_shared<TopologySet>(*set_);
  next->by_name[entry->name] = std::move(entry);
  set_ = std::move(next);
}

}  // namespace egress
