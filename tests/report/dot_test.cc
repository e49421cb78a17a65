// trace --dot: DOT text for Graphviz users, with names escaped into its quoted strings.
#include "egress/report/dot.h"

#include <gtest/gtest.h>

#include <string>

#include "report/report_fixtures.h"

namespace egress {
namespace {

TEST(Dot, EscapesQuotesBackslashesAndLineEnds) {
  EXPECT_EQ(dot_escape("plain"), "plain");
  EXPECT_EQ(dot_escape("a\"b"), "a\\\"b");
  EXPECT_EQ(dot_escape("c:\\x"), "c:\\\\x");
  EXPECT_EQ(dot_escape("one\ntwo"), "one\\ntwo");
  EXPECT_EQ(dot_escape(std::string("bell\x07")), "bell?");
}

TEST(Dot, OneNodePerHopThenTheVerdictInOrder) {
  const std::string dot = trace_to_dot(report_test::example_flow());
  EXPECT_EQ(dot.rfind("digraph path {\n", 0), 0U);
  EXPECT_NE(dot.find("  hop0 [label=\"pod\\nsnat-to-node\\nnow 10.0.4.5\"];\n"), std::string::npos);
  EXPECT_NE(dot.find("  hop2 [label=\"azfw\\nsnat\\nrule allow-https\\nnow 20.1.2.3\"];\n"),
            std::string::npos);
  EXPECT_NE(dot.find("  verdict [label=\"egress\\nas 20.1.2.3\""), std::string::npos);
  EXPECT_NE(dot.find("  hop0 -> hop1;\n  hop1 -> hop2;\n  hop2 -> verdict;\n}\n"),
            std::string::npos);
}

TEST(Dot, NamesCannotEndTheString) {
  FlowResult r = report_test::denied_flow();
  r.hops[0].at = "x\"]; evil [label=\"y";
  const std::string dot = trace_to_dot(r);
  EXPECT_NE(dot.find("label=\"x\\\"]; evil [label=\\\"y\\ndeny"), std::string::npos);
}

}  // namespace
}  // namespace egress
