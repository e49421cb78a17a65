// The SVG writer: escaping of names from users' files, numbers written the same everywhere,
// and documents that parse.
#include "egress/report/svg.h"

#include <gtest/gtest.h>

#include <string>

#include "report/xml_check.h"

namespace egress {
namespace {

using report_test::xml_problem;

TEST(Svg, EscapesMarkupQuotesAndControlCharacters) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
      {"a & b", "a &amp; b"},
      {"say \"hi\" 'x'", "say &quot;hi&quot; &#39;x&#39;"},
      {std::string("bell\x07") + "nul" + std::string(1, '\0'), "bell?nul?"},
      {"tab\tline\n", "tab\tline\n"},
      {"über", "über"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(xml_escape(c.in), c.out) << c.in;
  }
}

TEST(Svg, NumbersHaveAtMostOneDecimal) {
  struct Case {
    double in;
    const char* out;
  };
  const Case cases[] = {{0, "0"},       {12, "12"},       {12.25, "12.3"},    {-0.04, "0"},
                        {-0.3, "-0.3"}, {-12.5, "-12.5"}, {1e9, "1000000000"}};
  for (const Case& c : cases) {
    EXPECT_EQ(svg_number(c.in), c.out) << c.in;
  }
}

TEST(Svg, DocumentParsesAndCarriesEscapedNames) {
  Svg svg(100, 50, "a <b> & c", "x\"y");
  svg.attribute("data-name", "<script>");
  svg.group("hop", "at <script>");
  svg.rect(1, 2, 3, 4, "#fff", "#000", 2);
  svg.text(5, 6, "<script>alert('x')</script>", 12, "middle", "#222", "bold");
  svg.end_group();
  svg.arrow(0, 0, 50, 0, "#555");
  svg.polyline({0, 0, 1.25, 2, 3, 4}, "red");
  const std::string standalone = svg.str(true);
  EXPECT_EQ(xml_problem(standalone), "");
  EXPECT_EQ(standalone.find("<script"), std::string::npos);
  EXPECT_NE(standalone.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_EQ(svg.str(false).find("xmlns"), std::string::npos);
  EXPECT_NE(standalone.find("points=\"0,0 1.3,2 3,4\""), std::string::npos);
  EXPECT_EQ(standalone, svg.str(true));
}

TEST(Svg, CheckerRejectsWhatAnUnescapedNameWouldMake) {
  EXPECT_NE(xml_problem("<svg><text>a < b</text></svg>"), "");
  EXPECT_NE(xml_problem("<svg><text>a & b</text></svg>"), "");
  EXPECT_NE(xml_problem("<svg><g></svg>"), "");
  EXPECT_NE(xml_problem("<svg a=\"<\"></svg>"), "");
  EXPECT_EQ(xml_problem("<svg a=\"&amp;\"><g/></svg>"), "");
}

}  // namespace
}  // namespace egress
