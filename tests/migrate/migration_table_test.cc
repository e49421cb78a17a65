// The shipped migration table against the article it comes from, cell for cell, and the
// parser's errors.
#include "egress/migrate/migration_table.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace egress {
namespace {

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

const std::string kShipped =
    std::string(EGRESS_TOPOLOGIES_DIR) + "/migrations/aks-outbound-types.md";

// The article's own text, its table titles turned into the headings the parser looks for.
MigrationTable article_tables() {
  std::istringstream in(
      read(std::string(EGRESS_SHARED_DIR) + "/reference/003_9aba6115672b9ba2.txt"));
  std::string text;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Supported Migration Paths for ", 0) == 0) {
      line = "## " + line;
    } else if (line.rfind("Migration is only supported", 0) == 0) {
      line = "## end of tables";
    }
    text += line + "\n";
  }
  MigrationTableLoad load = parse_migration_table(text, "article");
  EXPECT_TRUE(load.errors.empty());
  return load.table.value_or(MigrationTable{});
}

TEST(MigrationTable, ShippedFileIsTheArticleCellForCell) {
  MigrationTableLoad shipped = load_migration_table(kShipped);
  ASSERT_TRUE(shipped.table) << format_diagnostic(shipped.errors.at(0), "error");
  MigrationTable article = article_tables();
  EXPECT_EQ(shipped.table->managed.cells, article.managed.cells);
  EXPECT_EQ(shipped.table->byo.cells, article.byo.cells);
  // 5 rows of 6 in each table.
  EXPECT_EQ(shipped.table->managed.cells.size(), 30U);
  EXPECT_EQ(shipped.table->byo.cells.size(), 30U);
  EXPECT_EQ(default_migration_table().managed.cells, shipped.table->managed.cells);
  EXPECT_EQ(default_migration_table().byo.cells, shipped.table->byo.cells);
}

struct Move {
  VnetMode mode;
  OutboundType from;
  OutboundType to;
  const char* cell;
};

using OT = OutboundType;
constexpr VnetMode kM = VnetMode::kManaged;
constexpr VnetMode kB = VnetMode::kByo;

// Transcribed by hand from 003_9aba6115672b9ba2.txt, every cell of both tables.
const Move kMoves[] = {
    {kM, OT::kLoadBalancer, OT::kLoadBalancer, "N/A"},
    {kM, OT::kLoadBalancer, OT::kManagedNatGateway, "Supported"},
    {kM, OT::kLoadBalancer, OT::kUserAssignedNatGateway, "Not Supported"},
    {kM, OT::kLoadBalancer, OT::kUserDefinedRouting, "Not Supported"},
    {kM, OT::kLoadBalancer, OT::kNone, "Supported"},
    {kM, OT::kLoadBalancer, OT::kBlock, "Supported"},
    {kM, OT::kManagedNatGateway, OT::kLoadBalancer, "Supported"},
    {kM, OT::kManagedNatGateway, OT::kManagedNatGateway, "N/A"},
    {kM, OT::kManagedNatGateway, OT::kUserAssignedNatGateway, "Not Supported"},
    {kM, OT::kManagedNatGateway, OT::kUserDefinedRouting, "Not Supported"},
    {kM, OT::kManagedNatGateway, OT::kNone, "Supported"},
    {kM, OT::kManagedNatGateway, OT::kBlock, "Supported"},
    {kM, OT::kUserAssignedNatGateway, OT::kLoadBalancer, "Not Supported"},
    {kM, OT::kUserAssignedNatGateway, OT::kManagedNatGateway, "Not Supported"},
    {kM, OT::kUserAssignedNatGateway, OT::kUserAssignedNatGateway, "N/A"},
    {kM, OT::kUserAssignedNatGateway, OT::kUserDefinedRouting, "Not Supported"},
    {kM, OT::kUserAssignedNatGateway, OT::kNone, "Not Supported"},
    {kM, OT::kUserAssignedNatGateway, OT::kBlock, "Not Supported"},
    {kM, OT::kNone, OT::kLoadBalancer, "Supported"},
    {kM, OT::kNone, OT::kManagedNatGateway, "Supported"},
    {kM, OT::kNone, OT::kUserAssignedNatGateway, "Not Supported"},
    {kM, OT::kNone, OT::kUserDefinedRouting, "Not Supported"},
    {kM, OT::kNone, OT::kNone, "N/A"},
    {kM, OT::kNone, OT::kBlock, "Supported"},
    {kM, OT::kBlock, OT::kLoadBalancer, "Supported"},
    {kM, OT::kBlock, OT::kManagedNatGateway, "Supported"},
    {kM, OT::kBlock, OT::kUserAssignedNatGateway, "Not Supported"},
    {kM, OT::kBlock, OT::kUserDefinedRouting, "Not Supported"},
    {kM, OT::kBlock, OT::kNone, "Supported"},
    {kM, OT::kBlock, OT::kBlock, "N/A"},
    {kB, OT::kLoadBalancer, OT::kLoadBalancer, "N/A"},
    {kB, OT::kLoadBalancer, OT::kManagedNatGateway, "Not Supported"},
    {kB, OT::kLoadBalancer, OT::kUserAssignedNatGateway, "Supported"},
    {kB, OT::kLoadBalancer, OT::kUserDefinedRouting, "Supported"},
    {kB, OT::kLoadBalancer, OT::kNone, "Supported"},
    {kB, OT::kLoadBalancer, OT::kBlock, "Not Supported"},
    {kB, OT::kManagedNatGateway, OT::kLoadBalancer, "Not Supported"},
    {kB, OT::kManagedNatGateway, OT::kManagedNatGateway, "N/A"},
    {kB, OT::kManagedNatGateway, OT::kUserAssignedNatGateway, "Not Supported"},
    {kB, OT::kManagedNatGateway, OT::kUserDefinedRouting, "Not Supported"},
    {kB, OT::kManagedNatGateway, OT::kNone, "Not Supported"},
    {kB, OT::kManagedNatGateway, OT::kBlock, "Not Supported"},
    {kB, OT::kUserAssignedNatGateway, OT::kLoadBalancer, "Supported"},
    {kB, OT::kUserAssignedNatGateway, OT::kManagedNatGateway, "Not Supported"},
    {kB, OT::kUserAssignedNatGateway, OT::kUserAssignedNatGateway, "N/A"},
    {kB, OT::kUserAssignedNatGateway, OT::kUserDefinedRouting, "Supported"},
    {kB, OT::kUserAssignedNatGateway, OT::kNone, "Supported"},
    {kB, OT::kUserAssignedNatGateway, OT::kBlock, "Not Supported"},
    {kB, OT::kUserDefinedRouting, OT::kLoadBalancer, "Supported"},
    {kB, OT::kUserDefinedRouting, OT::kManagedNatGateway, "Not Supported"},
    {kB, OT::kUserDefinedRouting, OT::kUserAssignedNatGateway, "Supported"},
    {kB, OT::kUserDefinedRouting, OT::kUserDefinedRouting, "N/A"},
    {kB, OT::kUserDefinedRouting, OT::kNone, "Supported"},
    {kB, OT::kUserDefinedRouting, OT::kBlock, "Not Supported"},
    {kB, OT::kNone, OT::kLoadBalancer, "Supported"},
    {kB, OT::kNone, OT::kManagedNatGateway, "Not Supported"},
    {kB, OT::kNone, OT::kUserAssignedNatGateway, "Supported"},
    {kB, OT::kNone, OT::kUserDefinedRouting, "Supported"},
    {kB, OT::kNone, OT::kNone, "N/A"},
    {kB, OT::kNone, OT::kBlock, "Not Supported"},
    // Rows the article does not have: managed userDefinedRouting, BYO block.
    {kM, OT::kUserDefinedRouting, OT::kLoadBalancer, "no cell"},
    {kB, OT::kBlock, OT::kLoadBalancer, "no cell"},
};

class EveryCell : public ::testing::TestWithParam<Move> {};

TEST_P(EveryCell, AnswersAsTheArticle) {
  const Move m = GetParam();
  MigrationVerdict v = check_migration(default_migration_table(), m.mode, m.from, m.to);
  EXPECT_EQ(v.cell, m.cell);
  EXPECT_EQ(v.supported, std::string(m.cell) == "Supported");
  std::string title = m.mode == kM ? "Supported Migration Paths for Managed VNet"
                                   : "Supported Migration Paths for BYO VNet";
  EXPECT_EQ(v.table, title);
  if (std::string(m.cell) != "no cell") {
    EXPECT_EQ(v.text,
              title + ", row " + to_string(m.from) + ", column " + to_string(m.to) + ": " + m.cell);
    EXPECT_GT(v.where.line, 0);
  } else {
    EXPECT_EQ(v.text, title + ", row " + to_string(m.from) + ", column " + to_string(m.to) +
                          ": no such cell (the table does not list this move)");
  }
}

INSTANTIATE_TEST_SUITE_P(Article, EveryCell, ::testing::ValuesIn(kMoves));

struct BadTable {
  const char* name;
  const char* text;
  const char* error;
};

constexpr const char* kHeader =
    "## Supported Migration Paths for Managed VNet\n"
    "| From|To | loadBalancer | none |\n"
    "|---|---|---|\n";

class Errors : public ::testing::TestWithParam<BadTable> {};

TEST_P(Errors, SayWhereAndWhat) {
  MigrationTableLoad load = parse_migration_table(GetParam().text, "t.md");
  EXPECT_FALSE(load.table);
  ASSERT_FALSE(load.errors.empty());
  EXPECT_EQ(format_diagnostic(load.errors[0], "error"), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Table, Errors,
    ::testing::Values(
        BadTable{"bad_cell",
                 "## Supported Migration Paths for Managed VNet\n"
                 "| From|To | loadBalancer | none |\n|---|---|---|\n"
                 "| loadBalancer | N/A | Maybe |\n"
                 "## Supported Migration Paths for BYO VNet\n",
                 "t.md:4:24: error: 'Maybe' is not one of Supported, Not Supported, N/A"},
        BadTable{"bad_type",
                 "## Supported Migration Paths for Managed VNet\n"
                 "| From|To | loadBalancer | natGateway |\n|---|---|---|\n"
                 "## Supported Migration Paths for BYO VNet\n",
                 "t.md:2:28: error: 'natGateway' is not an outbound type (loadBalancer, "
                 "managedNATGateway, userAssignedNATGateway, userDefinedRouting, none, block)"},
        BadTable{"short_row",
                 "## Supported Migration Paths for Managed VNet\n"
                 "| From|To | loadBalancer | none |\n|---|---|---|\n"
                 "| none | Supported |\n"
                 "## Supported Migration Paths for BYO VNet\n",
                 "t.md:4:1: error: row none has 1 cells; the header has 2"},
        BadTable{"no_byo_table",
                 "## Supported Migration Paths for Managed VNet\n"
                 "| From|To | loadBalancer | none |\n|---|---|---|\n",
                 "t.md: error: no '## ... BYO VNet' table"}),
    [](const auto& row) { return std::string(row.param.name); });

}  // namespace
}  // namespace egress
