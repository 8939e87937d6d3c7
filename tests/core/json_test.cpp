// parse_json: every malformed input is a soar::Error naming its source, nesting is bounded before
// anything recurses over it, and duplicate keys are refused only when asked.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "core/json.h"

namespace {

std::string error_of(const std::string& text, std::string_view where, std::string_view what = {},
                     soar::JsonRules rules = {}) {
  try {
    soar::parse_json(text, where, what, rules);
  } catch (const soar::Error& e) {
    return e.what();
  }
  return "no error";
}

std::string nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(ParseJson, ReadsValidJson) {
  nlohmann::json value = soar::parse_json(R"({"a": [1, 2.5, "x", null], "b": {"c": true}})", "f.json");
  EXPECT_EQ(value["a"][1], 2.5);
  EXPECT_EQ(value["b"]["c"], true);
}

TEST(ParseJson, EveryNlohmannErrorIsASoarError) {
  // Syntax (parse_error) and a number out of range (out_of_range, which escaped callers that caught
  // only parse_error) alike.
  EXPECT_EQ(error_of(R"({"a": )", "f.json").rfind("f.json: not valid JSON: ", 0), 0u);
  std::string overflow = error_of(R"({"a": 1e99999})", "f.json");
  EXPECT_EQ(overflow.rfind("f.json: not valid JSON: ", 0), 0u) << overflow;
  EXPECT_NE(overflow.find("1e99999"), std::string::npos) << overflow;
  EXPECT_EQ(error_of("{} x", "f.json", "header").rfind("f.json: header is not valid JSON: ", 0), 0u);
  EXPECT_EQ(error_of("[", "").rfind("not valid JSON: ", 0), 0u);
}

TEST(ParseJson, NestingIsBounded) {
  soar::JsonRules rules{.max_depth = 8};
  EXPECT_NO_THROW(soar::parse_json(nested(8), "f.json", {}, rules));
  EXPECT_EQ(error_of(nested(9), "f.json", {}, rules), "f.json: nests deeper than 8 levels");
  EXPECT_EQ(error_of(R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{}}}}}}}}})", "f.json", "index", rules),
            "f.json: index nests deeper than 8 levels");
  // A million levels parse without recursion but would overflow the stack when copied or printed.
  EXPECT_EQ(error_of(nested(1'000'000), "f.json"), "f.json: nests deeper than 64 levels");
}

TEST(ParseJson, DuplicateKeysOnlyWhenAsked) {
  const std::string text = R"({"a": 1, "b": {"c": 2, "c": 3}})";
  EXPECT_EQ(soar::parse_json(text, "f.json")["b"]["c"], 3);  // the last one, as Python keeps
  EXPECT_EQ(error_of(text, "f.json", "header", {.reject_duplicate_keys = true}),
            "f.json: header has duplicate key \"c\" (inside a nested object)");
  EXPECT_EQ(error_of(R"({"a": 1, "a": 2})", "f.json", {}, {.reject_duplicate_keys = true}),
            "f.json: has duplicate key \"a\"");
}

}  // namespace
