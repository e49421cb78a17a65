#include "report/json_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace egress {
namespace {

// What every JSON output of the project writes for a string: nlohmann's dump, bad UTF-8
// replaced.
std::string nlohmann_string(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string text_of(const std::string& s) {
  std::string out;
  JsonText(out).string(s);
  return out;
}

struct StringCase {
  const char* what;
  std::string text;
  const char* expected;
};

TEST(JsonText, StringsAreWhatNlohmannWrites) {
  const StringCase cases[] = {
      {"empty", "", R"("")"},
      {"a name", "aks-vnet/aks-subnet", R"("aks-vnet/aks-subnet")"},
      {"every printable ASCII but the two", " !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~",
       R"(" !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~")"},
      {"a quote", "say \"hi\"", R"("say \"hi\"")"},
      {"a backslash", "C:\\x", R"("C:\\x")"},
      {"the short escapes", "\b\f\n\r\t", R"("\b\f\n\r\t")"},
      {"other control characters, lowercase hex", std::string("\x01\x1f\x00", 3),
       R"("\u0001\u001f\u0000")"},
      {"DEL is not escaped", "a\x7f", "\"a\x7f\""},
      {"UTF-8 as it is", "caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\""},
      {"a bad byte becomes U+FFFD",
       "az\xff"
       "fw",
       "\"az\xef\xbf\xbd"
       "fw\""},
      {"a cut sequence at the end", "x\xe2\x82", "\"x\xef\xbf\xbd\""},
  };
  for (const StringCase& c : cases) {
    EXPECT_EQ(text_of(c.text), c.expected) << c.what;
    EXPECT_EQ(text_of(c.text), nlohmann_string(c.text)) << c.what;
  }
}

TEST(JsonText, EveryByteAloneAndBetweenLettersMatchesNlohmann) {
  for (int b = 0; b < 256; ++b) {
    const std::string alone(1, static_cast<char>(b));
    const std::string between = "a" + alone + "b";
    EXPECT_EQ(text_of(alone), nlohmann_string(alone)) << "byte " << b;
    EXPECT_EQ(text_of(between), nlohmann_string(between)) << "byte " << b;
  }
}

TEST(JsonText, NumbersAreWhatNlohmannWrites) {
  const double doubles[] = {0.0,
                            -0.0,
                            1.0,
                            0.5,
                            1767225600.175169,
                            1767225600.0,
                            -1.5e-7,
                            1e300,
                            123456789012345678.0,
                            std::numeric_limits<double>::denorm_min(),
                            std::numeric_limits<double>::max(),
                            std::nan(""),
                            std::numeric_limits<double>::infinity()};
  for (double d : doubles) {
    std::string out;
    JsonText(out).number(d);
    EXPECT_EQ(out, nlohmann::json(d).dump()) << d;
  }
  const uint64_t integers[] = {
      0, 1, 9, 10, 65535, 4294967296ULL, std::numeric_limits<uint64_t>::max()};
  for (uint64_t v : integers) {
    std::string out;
    JsonText(out).number(v);
    EXPECT_EQ(out, nlohmann::json(v).dump()) << v;
  }
}

TEST(JsonText, CommasSeparateValuesAndKeysInNestedContainers) {
  std::string out = "prefix:";
  JsonText j(out);
  j.begin_object();
  j.key("a");
  j.begin_array();
  j.end_array();
  j.key("b");
  j.begin_array();
  j.number(uint64_t{1});
  j.begin_object();
  j.end_object();
  j.null();
  j.begin_array();
  j.string("x");
  j.string_or_null("");
  j.end_array();
  j.end_array();
  j.key("c");
  j.string_or_null("y");
  j.end_object();
  EXPECT_EQ(out, R"(prefix:{"a":[],"b":[1,{},null,["x",null]],"c":"y"})");
}

}  // namespace
}  // namespace egress
