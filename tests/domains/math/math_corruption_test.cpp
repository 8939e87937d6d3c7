// The math domain's ablations: wrong-but-well-formed answers, and statements that no longer state
// a problem, checked with the math verifier and by counting words.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/utf8.h"
#include "domains/math/math_corruption.h"
#include "verify/verify.h"

namespace soar::meta {
namespace {

std::vector<Problem> dataset() {
  return {{"0", "What is 1 + 1?", "2"},
          {"1", "Halve one.", "\\frac{1}{2}"},
          {"2", "What is 0.25 doubled?", "0.5"},  // equivalent to problem 1's answer
          {"3", "Solve x + 1 = 4.", "3"},
          {"4", "Écrivez trois.", "3"}};
}

TEST(MathCorruption, AnswersBecomeOtherQuestionsWrongAnswers) {
  const std::vector<Problem> original = dataset();
  for (uint64_t seed = 0; seed < 20; ++seed) {
    SplitMix64 rng(seed);
    const std::vector<Problem> corrupted = corrupt_math_answers(original, rng);
    ASSERT_EQ(corrupted.size(), original.size());  // every question has some inequivalent answer here
    for (size_t i = 0; i < corrupted.size(); ++i) {
      EXPECT_EQ(corrupted[i].id, original[i].id);
      EXPECT_EQ(corrupted[i].problem, original[i].problem);
      EXPECT_NE(verify::compare_answers(original[i].answer, corrupted[i].answer).verdict, verify::Verdict::Correct)
          << original[i].answer << " -> " << corrupted[i].answer;
      EXPECT_TRUE(std::any_of(original.begin(), original.end(), [&](const Problem& p) { return p.answer == corrupted[i].answer; }));
    }
  }
  SplitMix64 a(7), b(7);
  const auto first = corrupt_math_answers(original, a), second = corrupt_math_answers(original, b);
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].answer, second[i].answer);  // a function of the seed
}

TEST(MathCorruption, AQuestionWithNoWrongAnswerAvailableIsDropped) {
  SplitMix64 rng(1);
  // Three ways of writing one half, and one other answer: only pairs with the other one exist.
  const std::vector<Problem> same = {{"0", "a", "1/2"}, {"1", "b", "0.5"}, {"2", "c", "\\frac{1}{2}"}};
  EXPECT_TRUE(corrupt_math_answers(same, rng).empty());
  EXPECT_TRUE(corrupt_math_answers({{"0", "a", "7"}}, rng).empty());
}

std::vector<std::string> sorted_words(const std::string& text) {
  std::vector<std::string> words;
  size_t start = text.find_first_not_of(" \n");
  while (start != std::string::npos) {
    const size_t end = text.find_first_of(" \n", start);
    words.push_back(text.substr(start, end == std::string::npos ? end : end - start));
    start = end == std::string::npos ? end : text.find_first_not_of(" \n", end);
  }
  std::sort(words.begin(), words.end());
  return words;
}

TEST(MathCorruption, StructureKeepsAnswersAndWordsButNotTheirOrder) {
  const std::vector<Problem> original = {{"0", "Let f(x) = x^2.\nFind f(3).", "9"},
                                         {"1", "Évaluez", "0"},      // one word: its characters are shuffled
                                         {"2", "aaaa", "1"},         // nothing to shuffle: dropped
                                         {"3", "two words", "2"}};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    SplitMix64 rng(seed);
    const std::vector<Problem> corrupted = corrupt_math_structure(original, rng);
    ASSERT_EQ(corrupted.size(), 3u);
    EXPECT_EQ(corrupted[0].answer, "9");
    EXPECT_EQ(sorted_words(corrupted[0].problem), sorted_words(original[0].problem));
    EXPECT_NE(corrupted[0].problem, "Let f(x) = x^2. Find f(3).");
    EXPECT_FALSE(first_invalid_utf8(corrupted[1].problem).has_value()) << corrupted[1].problem;
    EXPECT_EQ(corrupted[1].problem.size(), original[1].problem.size());
    EXPECT_NE(corrupted[1].problem, "Évaluez");
    EXPECT_EQ(corrupted[2].id, "3");
    EXPECT_EQ(corrupted[2].problem, "words two");
  }
}

}  // namespace
}  // namespace soar::meta
