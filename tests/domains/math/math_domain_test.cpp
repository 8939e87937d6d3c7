// The math domain's teacher format (the paper's B.1-B.2): what a rollout must contain to be accepted,
// the reason each rejection is counted under, and that no text makes the parser throw or return a
// bad pair.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/utf8.h"
#include "domains/math/math_domain.h"

namespace soar::meta {
namespace {

std::string rejection(std::string_view text) {
  ParsedRollout parsed = parse_math_rollout(text);
  EXPECT_FALSE(parsed.problem.has_value()) << text;
  return parsed.rejection;
}

std::pair<std::string, std::string> pair_of(std::string_view text) {
  ParsedRollout parsed = parse_math_rollout(text);
  EXPECT_TRUE(parsed.problem.has_value()) << text << " rejected: " << parsed.rejection;
  if (!parsed.problem) return {};
  EXPECT_TRUE(parsed.rejection.empty());
  return {parsed.problem->problem, parsed.problem->answer};
}

TEST(MathDomain, PaperPromptsAsWritten) {
  for (const char* part : {"Allowed topics: Algebra, Counting and Probability, Geometry", "Output exactly ONE problem",
                           "<question>[full math question]</question><answer>\\boxed{[answer]}</answer>",
                           "OUTSIDE the <question> and <answer> tags", "at least 2-3 steps of reasoning", "Begin now:"}) {
    EXPECT_NE(kMathTeacherPrompt.find(part), std::string_view::npos) << part;
  }
  EXPECT_NE(kMathStudentTemplate.find("User: {problem} Assistant: "), std::string_view::npos);
  EXPECT_NE(kMathStudentTemplate.find("The final answer is: \\boxed{[answer]}"), std::string_view::npos);
}

TEST(MathDomain, OnePairWithReasoningOutsideTheTags) {
  EXPECT_EQ(pair_of("Let me think of a problem about primes.\n<question>How many primes are below 20?</question>\n"
                    "<answer>The primes are 2, 3, 5, 7, 11, 13, 17, 19, so \\boxed{8}</answer>\nThat should work."),
            (std::pair<std::string, std::string>{"How many primes are below 20?", "8"}));
  // Multi-line question, whitespace trimmed; LaTeX in the box.
  EXPECT_EQ(pair_of("<question>\nLet f(x) = x^2.\nFind f(3) + \\frac{1}{2}.\n</question><answer>\\boxed{\\frac{19}{2}}</answer>"),
            (std::pair<std::string, std::string>{"Let f(x) = x^2.\nFind f(3) + \\frac{1}{2}.", "\\frac{19}{2}"}));
}

TEST(MathDomain, ThePaperPromptsOwnClosingTagIsAccepted) {
  // The paper's prompt writes "<question>[full math question]<question>": a model that copies it.
  EXPECT_EQ(pair_of("<question>What is 6 * 7?<question><answer>\\boxed{42}</answer>"),
            (std::pair<std::string, std::string>{"What is 6 * 7?", "42"}));
}

TEST(MathDomain, EveryMalformedRolloutIsRejectedWithItsReason) {
  EXPECT_EQ(rejection("Problem: What is 1 + 1?\nAnswer: 2"), "no <question> tag");
  EXPECT_EQ(rejection("<question>What is 1 + 1?"), "no closing question tag");
  EXPECT_EQ(rejection("<question>What is 1 + 1?</question> \\boxed{2}"), "no <answer> tag");
  EXPECT_EQ(rejection("<question>What is 1 + 1?</question><answer>\\boxed{2}"), "no </answer> tag");
  EXPECT_EQ(rejection("<question>What is 1 + 1?</question><answer>2</answer>"), "no \\boxed{} in the answer");
  EXPECT_EQ(rejection("<question> \n </question><answer>\\boxed{2}</answer>"), "empty question");
  EXPECT_EQ(rejection("<question>What?</question><answer>\\boxed{ }</answer>"), "empty boxed answer");
  EXPECT_EQ(rejection("<question>Q</question><answer>\\boxed{2}</answer><question>Another</question><answer>\\boxed{3}</answer>"),
            "more than one question");
  EXPECT_EQ(rejection("<question>" + std::string(kMaxMathProblemBytes + 1, 'x') + "</question><answer>\\boxed{1}</answer>"),
            "question too long");
  EXPECT_EQ(rejection("<question>Q</question><answer>\\boxed{" + std::string(kMaxMathAnswerBytes + 1, '7') + "}</answer>"),
            "answer too long");
  EXPECT_EQ(rejection("<question>bad \xff bytes</question><answer>\\boxed{1}</answer>"), "invalid UTF-8");
  // B.2: the boxed content must be parseable by the symbolic verifier.
  EXPECT_EQ(rejection("<question>Q</question><answer>\\boxed{\\frac{1}{}+)(}</answer>"), "answer not parseable");
  // An answer tag before the question does not count.
  EXPECT_EQ(rejection("<answer>\\boxed{2}</answer><question>What is 1 + 1?</question>"), "no <answer> tag");
}

// Any text: no throw, and every pair kept is non-empty, bounded and valid UTF-8. The texts are made
// of tags and content pieces, so that many of them are accepted.
TEST(MathDomain, AnyTextGivesWellFormedProblems) {
  const std::vector<std::string> pieces = {"<question>", "</question>", "<answer>", "</answer>", "\\boxed{", "}", " ",
                                           "42", "x", "\\frac{1}{2}", "$", "\xff", "\xc3\xa9", "\n", "<"};
  std::mt19937 rng(11);
  int64_t kept = 0;
  for (int round = 0; round < 3000; ++round) {
    // Mostly the right skeleton with noise in between, sometimes anything.
    std::string text;
    const bool skeleton = rng() % 2 == 0;
    const char* parts[] = {"<question>", "</question><answer>\\boxed{", "}</answer>"};
    for (int part = 0; part < 4; ++part) {
      const int length = static_cast<int>(rng() % 4);
      for (int i = 0; i < length; ++i) text += pieces[rng() % pieces.size()];
      if (skeleton && part < 3) text += parts[part];
      if (part == 1 && skeleton) text += std::to_string(rng() % 100);
    }
    ParsedRollout d;
    ASSERT_NO_THROW(d = parse_math_rollout(text)) << text;
    EXPECT_EQ(d.problem.has_value(), d.rejection.empty()) << text;
    if (d.problem) {
      const Problem& p = *d.problem;
      EXPECT_FALSE(p.problem.empty()) << text;
      EXPECT_FALSE(p.answer.empty()) << text;
      EXPECT_LE(p.problem.size(), kMaxMathProblemBytes);
      EXPECT_LE(p.answer.size(), kMaxMathAnswerBytes);
      EXPECT_FALSE(first_invalid_utf8(p.problem).has_value()) << text;
      EXPECT_FALSE(first_invalid_utf8(p.answer).has_value()) << text;
      ++kept;
    }
  }
  EXPECT_GT(kept, 100);  // the texts do make pairs, so the checks above see some
}

}  // namespace
}  // namespace soar::meta
