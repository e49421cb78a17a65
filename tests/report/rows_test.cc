// The flat forms: -o parsing, CSV quoting, TSV escaping, and columns that match the JSON keys.
#include "egress/report/rows.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "egress/report/json_report.h"
#include "report_fixtures.h"

namespace egress {
namespace {

using report_test::example_flow;
using report_test::ip;

TEST(Rows, ParsesEveryFormatAndNothingElse) {
  struct Case {
    const char* text;
    std::optional<OutputFormat> format;
  };
  const Case cases[] = {
      {"table", OutputFormat::kTable}, {"json", OutputFormat::kJson},
      {"jsonl", OutputFormat::kJsonl}, {"csv", OutputFormat::kCsv},
      {"tsv", OutputFormat::kTsv},     {"JSON", std::nullopt},
      {"", std::nullopt},              {"yaml", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(parse_output_format(c.text), c.format) << c.text;
  }
}

TEST(Rows, CsvQuotesAndTsvEscapesOnlyWhatNeedsIt) {
  struct Case {
    std::string cell;
    std::string csv;
    std::string tsv;
  };
  const Case cases[] = {
      {"plain", "plain", "plain"},
      {"", "", ""},
      {"a,b", "\"a,b\"", "a,b"},
      {"say \"hi\"", "\"say \"\"hi\"\"\"", "say \"hi\""},
      {"two\nlines", "\"two\nlines\"", "two\\nlines"},
      {"cr\r", "\"cr\r\"", "cr\\r"},
      {"tab\there", "tab\there", "tab\\there"},
      {"back\\slash", "back\\slash", "back\\\\slash"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(delimited_line({c.cell, "x"}, OutputFormat::kCsv), c.csv + ",x\n") << c.cell;
    EXPECT_EQ(delimited_line({c.cell, "x"}, OutputFormat::kTsv), c.tsv + "\tx\n") << c.cell;
  }
}

TEST(Rows, RenderPutsTheHeaderFirst) {
  Rows rows{{"a", "b"}, {{"1", "2"}, {"3", ""}}};
  EXPECT_EQ(render_delimited(rows, OutputFormat::kCsv), "a,b\n1,2\n3,\n");
  EXPECT_EQ(render_delimited(rows, OutputFormat::kTsv), "a\tb\n1\t2\n3\t\n");
}

// A column per JSON key, in the JSON's order, so the two forms never drift apart.
TEST(Rows, FlowColumnsAreTheJsonKeys) {
  FlowRecord record;
  record.result = example_flow();
  record.stats = FlowStats{1'700'000'000'000'000'000, 1'700'000'003'500'000'000, 12, 5120};
  nlohmann::ordered_json json = nlohmann::ordered_json::parse(flow_record_to_json(record));
  std::vector<std::string> keys;
  for (const auto& item : json.items()) {
    keys.push_back(item.key());
  }
  EXPECT_EQ(flow_record_columns(), keys);
  EXPECT_EQ(flow_record_cells(record).size(), keys.size());

  nlohmann::ordered_json trace = nlohmann::ordered_json::parse(flow_to_json(record.result));
  std::vector<std::string> trace_keys;
  for (const auto& item : trace.items()) {
    trace_keys.push_back(item.key());
  }
  EXPECT_EQ(flow_columns(), trace_keys);
}

TEST(Rows, DiagnosticsCarryTheirSeverityAndPosition) {
  Diagnostic error{"unknown-key", "unknown key 'x'", {"t.yaml", 3, 5}};
  Diagnostic finding{"RouteTableInvalidNextHop", "route r: bad", {"t.yaml", 9, 1}};
  Diagnostic unplaced{"io", "cannot read", {"t.yaml", 0, 0}};
  Rows rows = diagnostics_rows({error, unplaced}, {finding});
  EXPECT_EQ(render_delimited(rows, OutputFormat::kCsv),
            "severity,code,message,file,line,column\n"
            "error,unknown-key,unknown key 'x',t.yaml,3,5\n"
            "error,io,cannot read,t.yaml,,\n"
            "warning,RouteTableInvalidNextHop,route r: bad,t.yaml,9,1\n");
  EXPECT_EQ(diagnostics_to_jsonl({error}, {finding}),
            "{\"severity\":\"error\",\"code\":\"unknown-key\",\"message\":\"unknown key 'x'\","
            "\"file\":\"t.yaml\",\"line\":3,\"column\":5}\n"
            "{\"severity\":\"warning\",\"code\":\"RouteTableInvalidNextHop\",\"message\":"
            "\"route r: bad\",\"file\":\"t.yaml\",\"line\":9,\"column\":1}\n");
}

TEST(Rows, DiffRowsFlattenBothSides) {
  DiffReport diff;
  FlowChange change;
  change.flow = FlowKey{Protocol::kUdp, ip("10.0.0.4"), 5353, ip("1.1.1.1"), 53};
  change.before = DiffSide{Verdict::kEgress, Reason::kNone, Via::kLoadBalancer, "kubernetes",
                           {"20.0.0.1", "20.0.0.2"}};
  change.after = DiffSide{Verdict::kDropped, Reason::kNsgDeny, Via::kNone, "", {}};
  diff.changes = {change};
  EXPECT_EQ(render_delimited(diff_rows(diff), OutputFormat::kCsv),
            "proto,src,sport,dst,dport,beforeVerdict,beforeReason,beforeVia,beforeResource,"
            "beforeEgressIps,afterVerdict,afterReason,afterVia,afterResource,afterEgressIps\n"
            "udp,10.0.0.4,5353,1.1.1.1,53,egress,,loadBalancer,kubernetes,20.0.0.1;20.0.0.2,"
            "dropped,nsg-deny,,,\n");
}

}  // namespace
}  // namespace egress
