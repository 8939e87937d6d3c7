// The math domain's teacher format: what counts as an item, what is dropped and counted, and that
// no text makes the parser throw or return a bad problem.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/utf8.h"
#include "meta/math_domain.h"

namespace soar::meta {
namespace {

std::vector<std::pair<std::string, std::string>> items(const ParsedDataset& d) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : d.problems) out.emplace_back(p.problem, p.answer);
  return out;
}

TEST(MathDomain, PromptSaysHowMany) {
  EXPECT_EQ(math_teacher_prompt("Write {n} problems ({n} in all).", 64), "Write 64 problems (64 in all).");
  EXPECT_NE(math_teacher_prompt(kMathTeacherTemplate, 3).find("Write 3 new math problems"), std::string::npos);
  EXPECT_THROW(math_teacher_prompt("Write problems.", 3), Error);
}

TEST(MathDomain, ItemsInOrderWithMultiLineStatements) {
  ParsedDataset d = parse_math_dataset(
      "Here are two problems.\n\nProblem: What is 2 + 3?\nAnswer: 5\n\nProblem: Let f(x) = x^2.\nFind f(3).\nAnswer: 9\n"
      "I hope these help!");
  EXPECT_EQ(items(d), (std::vector<std::pair<std::string, std::string>>{{"What is 2 + 3?", "5"},
                                                                         {"Let f(x) = x^2.\nFind f(3).", "9"}}));
  EXPECT_EQ(d.malformed, 0);
  EXPECT_EQ(d.problems[0].id, "0");
  EXPECT_EQ(d.problems[1].id, "1");
  EXPECT_EQ(d.problems[1].extra_json, "{}");
}

TEST(MathDomain, DecoratedLabelsAndAnswers) {
  ParsedDataset d = parse_math_dataset(
      "**Problem 1:** Compute 1/2 + 1/2.\n**Answer:** $1$\n"
      "2. Question: Solve x^2 = 4 for x > 0.\nFinal answer: \\boxed{2}.\n"
      "### Problem 3\n: not a label\n"
      "### PROBLEM 3: What is \\frac{1}{2} of 3?\n- answer 3: \\(\\frac{3}{2}\\)\n"
      "Problem #4 (geometry): A square has side 2. Its area?\nAnswer (area): 4\n"
      "Problem 5 (a remark much longer than forty characters, not a label): x\n");
  EXPECT_EQ(items(d), (std::vector<std::pair<std::string, std::string>>{
                          {"Compute 1/2 + 1/2.", "1"},
                          {"Solve x^2 = 4 for x > 0.", "2"},
                          {"What is \\frac{1}{2} of 3?", "\\frac{3}{2}"},
                          {"A square has side 2. Its area?", "4"}}));
  EXPECT_EQ(d.malformed, 0);
}

// A statement that starts on the line after its label, or ends before a blank line, has no newline
// at either end.
TEST(MathDomain, StatementsAreTrimmedOfBlankLines) {
  ParsedDataset d = parse_math_dataset("Problem:\nWhat is 3 + 4?\n\nAnswer: 7\n");
  EXPECT_EQ(items(d), (std::vector<std::pair<std::string, std::string>>{{"What is 3 + 4?", "7"}}));
}

TEST(MathDomain, SolutionIsKeptOutOfTheStatement) {
  ParsedDataset d = parse_math_dataset("Problem: What is 6 * 7?\nSolution: 6 * 7 = 42.\nSo it is 42.\nAnswer: 42\n");
  EXPECT_EQ(items(d), (std::vector<std::pair<std::string, std::string>>{{"What is 6 * 7?", "42"}}));
}

TEST(MathDomain, NotALabelWithoutAColon) {
  ParsedDataset d = parse_math_dataset("Problem: Two trains leave.\nProblem solving needs care here.\nAnswer: 3\n");
  EXPECT_EQ(items(d), (std::vector<std::pair<std::string, std::string>>{{"Two trains leave.\nProblem solving needs care here.", "3"}}));
}

TEST(MathDomain, MalformedItemsAreDroppedAndCounted) {
  const std::string long_answer(kMaxMathAnswerBytes + 1, '7');
  const std::string long_statement(kMaxMathProblemBytes + 1, 'x');
  ParsedDataset d = parse_math_dataset(
      "Answer: 3\n"                                  // an answer to no problem
      "Problem: no answer follows\n"                 // another problem starts first
      "Problem: What is 1 + 1?\nAnswer: 2\n"         // fine
      "Problem: empty answer\nAnswer: \n"            // nothing stated
      "Problem: empty box\nAnswer: \\boxed{}\n"      // nothing stated
      "Problem:   \nAnswer: 4\n"                     // no statement
      "Problem: long answer\nAnswer: " + long_answer + "\n" +
      "Problem: " + long_statement + "\nAnswer: 1\n" +
      "Problem: bad \xff bytes\nAnswer: 1\n"         // invalid UTF-8
      "Problem: What is 2 + 2?\nAnswer: 4\n"         // fine
      "Problem: cut off by the token limit");
  EXPECT_EQ(items(d), (std::vector<std::pair<std::string, std::string>>{{"What is 1 + 1?", "2"}, {"What is 2 + 2?", "4"}}));
  EXPECT_EQ(d.malformed, 9);
  EXPECT_EQ(d.problems[1].id, "1");  // ids count the kept items
}

TEST(MathDomain, WrittenItemsParseBack) {
  const std::vector<std::pair<std::string, std::string>> written = {
      {"Find all real x with |x - 1| < 2.", "(-1, 3)"}, {"Simplify \\sqrt{8}.", "2\\sqrt{2}"}, {"Évaluez 3 × 4.", "12"}};
  std::string text = "Sure!\n";
  for (const auto& [problem, answer] : written) text += "Problem: " + problem + "\nAnswer: " + answer + "\n\n";
  EXPECT_EQ(items(parse_math_dataset(text)), written);
}

// Any text: no throw, and every problem kept is non-empty, bounded and valid UTF-8. The texts are
// lines of label-like prefixes, separators and content pieces, so that many of them are items.
TEST(MathDomain, AnyTextGivesWellFormedProblems) {
  const std::vector<std::string> prefixes = {"Problem", "problem 12", "**Answer**", "Answer", "Final answer", "Solution",
                                             "1. Question", "", "x", "# Problem"};
  const std::vector<std::string> separators = {":", "", " :", "**:"};
  const std::vector<std::string> pieces = {" ", "42", "x", "\\boxed{", "}", "$", "\xff", "\xc3\xa9", "**", "\r", ":"};
  std::mt19937 rng(11);
  int64_t kept = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const int lines = static_cast<int>(rng() % 8);
    for (int line = 0; line < lines; ++line) {
      text += prefixes[rng() % prefixes.size()] + separators[rng() % separators.size()];
      const int length = static_cast<int>(rng() % 6);
      for (int i = 0; i < length; ++i) text += pieces[rng() % pieces.size()];
      text += "\n";
    }
    ParsedDataset d;
    ASSERT_NO_THROW(d = parse_math_dataset(text)) << text;
    EXPECT_GE(d.malformed, 0);
    for (const auto& p : d.problems) {
      EXPECT_FALSE(p.problem.empty()) << text;
      EXPECT_FALSE(p.answer.empty()) << text;
      EXPECT_LE(p.problem.size(), kMaxMathProblemBytes);
      EXPECT_LE(p.answer.size(), kMaxMathAnswerBytes);
      EXPECT_FALSE(first_invalid_utf8(p.problem).has_value()) << text;
      EXPECT_FALSE(first_invalid_utf8(p.answer).has_value()) << text;
    }
    kept += static_cast<int64_t>(d.problems.size());
  }
  EXPECT_GT(kept, 100);  // the lines do make items, so the checks above see some
}

}  // namespace
}  // namespace soar::meta
