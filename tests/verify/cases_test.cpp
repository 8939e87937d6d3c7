// The curated verdict table (tests/verify/cases.jsonl): every documented failure of math-verify and
// the MATH checker, extraction formats, normalisations, structures, relations and budget limits.
// Each line: gold, input (an answer or a whole completion), mode, expected verdict, note.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "verify/verify.h"

namespace {

using soar::verify::Verdict;

Verdict parse_verdict(const std::string& s, int line) {
  if (s == "correct") return Verdict::Correct;
  if (s == "incorrect") return Verdict::Incorrect;
  if (s == "unparseable") return Verdict::Unparseable;
  if (s == "undecidable") return Verdict::Undecidable;
  ADD_FAILURE() << "cases.jsonl line " << line << ": unknown verdict '" << s << "'";
  return Verdict::Unparseable;
}

TEST(VerifyCases, CuratedTable) {
  soar::verify::set_undecidable_log({});
  std::ifstream in(std::string(SOAR_SOURCE_DIR) + "/tests/verify/cases.jsonl");
  ASSERT_TRUE(in) << "cannot open tests/verify/cases.jsonl";
  std::string text;
  int line = 0, passed = 0;
  while (std::getline(in, text)) {
    ++line;
    if (text.empty()) continue;
    auto c = nlohmann::json::parse(text);
    std::string gold = c.at("gold"), input = c.at("input"), mode = c.at("mode");
    Verdict want = parse_verdict(c.at("expect"), line);
    auto r = mode == "completion" ? soar::verify::verify(gold, input) : soar::verify::compare_answers(gold, input);
    if (r.verdict == want) {
      ++passed;
    } else {
      ADD_FAILURE() << "line " << line << " [" << c.at("note").get<std::string>() << "]\n  gold:  " << gold
                    << "\n  input: " << input.substr(0, 200) << "\n  want " << soar::verify::to_string(want) << ", got "
                    << soar::verify::to_string(r.verdict) << " (extracted '" << r.extracted.substr(0, 80)
                    << "', reason: " << r.reason.substr(0, 200) << ")";
    }
  }
  EXPECT_GE(line, 300) << "the table must hold at least 300 cases";
  std::printf("case table: %d/%d passed\n", passed, line);
}

}  // namespace
