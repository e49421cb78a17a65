#include "egress/migrate/migration_table.h"

#include <fstream>
#include <sstream>

namespace egress {

// The shipped table, generated at build time from topologies/migrations/aks-outbound-types.md.
extern const char* const kDefaultMigrationTableText;

namespace {

constexpr const char* kDefaultFile = "aks-outbound-types.md (built in)";

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) {
    return "";
  }
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

struct Cell {
  std::string text;
  int column = 0;  // 1-based, where the text starts
};

// `| a | b |` -> cells with their columns.
std::vector<Cell> split_row(const std::string& line) {
  std::vector<Cell> cells;
  size_t start = line.find('|');
  while (start != std::string::npos) {
    size_t end = line.find('|', start + 1);
    if (end == std::string::npos) {
      std::string rest = trim(std::string_view(line).substr(start + 1));
      if (!rest.empty()) {
        cells.push_back(Cell{rest, static_cast<int>(start) + 2});
      }
      break;
    }
    std::string_view raw = std::string_view(line).substr(start + 1, end - start - 1);
    size_t lead = raw.find_first_not_of(" \t");
    cells.push_back(Cell{trim(raw), static_cast<int>(start) + 2 +
                                        static_cast<int>(lead == std::string::npos ? 0 : lead)});
    start = end;
  }
  return cells;
}

std::optional<MigrationCell> parse_cell(const std::string& s) {
  if (s == "Supported") {
    return MigrationCell::kSupported;
  }
  if (s == "Not Supported") {
    return MigrationCell::kNotSupported;
  }
  if (s == "N/A") {
    return MigrationCell::kNotApplicable;
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(MigrationCell c) {
  switch (c) {
    case MigrationCell::kSupported:
      return "Supported";
    case MigrationCell::kNotSupported:
      return "Not Supported";
    case MigrationCell::kNotApplicable:
      return "N/A";
  }
  return "";
}

MigrationTableLoad parse_migration_table(std::string_view text, const std::string& file) {
  MigrationTableLoad out;
  MigrationTable table;
  table.file = file;
  auto error = [&](int line, int column, std::string message) {
    out.errors.push_back(
        Diagnostic{"migration-table", std::move(message), SourceLocation{file, line, column}});
  };

  MigrationGrid* grid = nullptr;
  bool seen_managed = false;
  bool seen_byo = false;
  std::vector<std::optional<OutboundType>> columns;
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind("## ", 0) == 0) {
      std::string title = trim(std::string_view(line).substr(3));
      columns.clear();
      if (title.ends_with("Managed VNet")) {
        grid = &table.managed;
        seen_managed = true;
      } else if (title.ends_with("BYO VNet")) {
        grid = &table.byo;
        seen_byo = true;
      } else {
        grid = nullptr;
        continue;
      }
      grid->title = title;
      grid->cells.clear();
      continue;
    }
    if (grid == nullptr || trim(line).rfind('|', 0) != 0) {
      continue;
    }
    std::vector<Cell> cells = split_row(line);
    if (cells.empty() || cells[0].text.find_first_not_of("-: ") == std::string::npos) {
      continue;  // the |---| separator
    }
    if (columns.empty()) {
      // The header: `From|To` (which the pipe splits in two) then the target types.
      size_t first = 1;
      if (cells.size() > 1 && cells[0].text == "From" && cells[1].text == "To") {
        first = 2;
      }
      for (size_t i = first; i < cells.size(); ++i) {
        std::optional<OutboundType> t = parse_outbound_type(cells[i].text);
        if (!t) {
          error(number, cells[i].column,
                "'" + cells[i].text +
                    "' is not an outbound type (loadBalancer, "
                    "managedNATGateway, userAssignedNATGateway, userDefinedRouting, none, block)");
        }
        columns.push_back(t);
      }
      continue;
    }
    std::optional<OutboundType> from = parse_outbound_type(cells[0].text);
    if (!from) {
      error(number, cells[0].column, "'" + cells[0].text + "' is not an outbound type");
      continue;
    }
    if (cells.size() != columns.size() + 1) {
      error(number, 1,
            "row " + cells[0].text + " has " + std::to_string(cells.size() - 1) +
                " cells; the header has " + std::to_string(columns.size()));
      continue;
    }
    for (size_t i = 1; i < cells.size(); ++i) {
      std::optional<MigrationCell> c = parse_cell(cells[i].text);
      if (!c) {
        error(number, cells[i].column,
              "'" + cells[i].text + "' is not one of Supported, Not Supported, N/A");
        continue;
      }
      if (columns[i - 1]) {
        grid->cells[{*from, *columns[i - 1]}] = *c;
        grid->where[{*from, *columns[i - 1]}] = SourceLocation{file, number, cells[i].column};
      }
    }
  }
  if (!seen_managed) {
    error(0, 0, "no '## ... Managed VNet' table");
  }
  if (!seen_byo) {
    error(0, 0, "no '## ... BYO VNet' table");
  }
  if (out.errors.empty()) {
    out.table = std::move(table);
  }
  return out;
}

MigrationTableLoad load_migration_table(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    MigrationTableLoad out;
    out.errors.push_back(
        Diagnostic{"io", "cannot read the migration table", SourceLocation{path, 0, 0}});
    return out;
  }
  std::ostringstream text;
  text << f.rdbuf();
  return parse_migration_table(text.str(), path);
}

const MigrationTable& default_migration_table() {
  static const MigrationTable table = [] {
    MigrationTableLoad load = parse_migration_table(kDefaultMigrationTableText, kDefaultFile);
    return load.table ? *load.table : MigrationTable{};
  }();
  return table;
}

MigrationVerdict check_migration(const MigrationTable& table, VnetMode mode, OutboundType from,
                                 OutboundType to) {
  const MigrationGrid& grid = mode == VnetMode::kManaged ? table.managed : table.byo;
  MigrationVerdict v;
  v.table = grid.title;
  auto it = grid.cells.find({from, to});
  v.cell = it == grid.cells.end() ? "no cell" : to_string(it->second);
  v.supported = it != grid.cells.end() && it->second == MigrationCell::kSupported;
  if (auto w = grid.where.find({from, to}); w != grid.where.end()) {
    v.where = w->second;
  }
  v.text = grid.title + ", row " + to_string(from) + ", column " + to_string(to) + ": " +
           (it == grid.cells.end() ? "no such cell (the table does not list this move)" : v.cell);
  return v;
}

}  // namespace egress
