// Character n-gram embeddings and the Vendi score on sets whose score is known in closed form.
#include "meta/diversity.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"

namespace soar::meta {
namespace {

// Two texts of cosine similarity c: K / 2 = [[1, c], [c, 1]] / 2 has eigenvalues (1 +- c) / 2.
double two_text_score(double c) {
  double a = (1 + c) / 2, b = (1 - c) / 2;
  return std::exp(-(a * std::log(a) + (b > 0 ? b * std::log(b) : 0.0)));
}

TEST(CharNgramCounts, CountsOverlappingRunsOfCodePoints) {
  using Counts = std::map<std::string, int64_t>;
  EXPECT_EQ(char_ngram_counts("abcab", 3), (Counts{{"abc", 1}, {"bca", 1}, {"cab", 1}}));
  EXPECT_EQ(char_ngram_counts("aaaa", 3), (Counts{{"aaa", 2}}));
  EXPECT_EQ(char_ngram_counts("abab", 1), (Counts{{"a", 2}, {"b", 2}}));
  // Multi-byte characters are one character each: "x²+π" is 4 characters, 2 trigrams.
  EXPECT_EQ(char_ngram_counts("x\u00b2+\u03c0", 3), (Counts{{"x\u00b2+", 1}, {"\u00b2+\u03c0", 1}}));
  // Shorter than n (the empty text too): the whole text is its one n-gram.
  EXPECT_EQ(char_ngram_counts("ab", 3), (Counts{{"ab", 1}}));
  EXPECT_EQ(char_ngram_counts("", 3), (Counts{{"", 1}}));
  EXPECT_EQ(char_ngram_counts("\u03c0\u03c0", 3), (Counts{{"\u03c0\u03c0", 1}}));
  // A stray byte is a character of its own rather than an error.
  EXPECT_EQ(char_ngram_counts("a\xff" "b", 2), (Counts{{"a\xff", 1}, {"\xff" "b", 1}}));
  EXPECT_THROW(char_ngram_counts("abc", 0), Error);
}

TEST(VendiScore, EqualTextsCountOnce) {
  for (int n : {1, 2, 5, 17}) {
    std::vector<std::string> texts(std::size_t(n), "What is the sum of the first 10 primes?");
    EXPECT_NEAR(vendi_score(texts), 1.0, 1e-12) << n << " equal texts";
  }
}

TEST(VendiScore, TextsWithNoCommonNgramCountFully) {
  // No trigram in common, and no letter either.
  std::vector<std::string> texts = {"abcabc", "defdef", "ghighi", "jkljkl", "xyz"};
  EXPECT_NEAR(vendi_score(texts), 5.0, 1e-12);
  // The same texts as unigrams are still disjoint; "abcabc" and "cbacba" share every character.
  EXPECT_NEAR(vendi_score(texts, 1), 5.0, 1e-12);
  EXPECT_NEAR(vendi_score({"abcabc", "cbacba"}, 1), 1.0, 1e-12);
  EXPECT_NEAR(vendi_score({"abcabc", "cbacba"}, 3), 2.0, 1e-12);
}

TEST(VendiScore, TwoTextsOfKnownCosine) {
  // {abc, bcd} and {abc, bce}: one trigram of two in common, c = 1/2, eigenvalues 3/4 and 1/4.
  EXPECT_NEAR(vendi_score({"abcd", "abce"}), two_text_score(0.5), 1e-12);
  EXPECT_NEAR(two_text_score(0.5), std::exp(-(0.75 * std::log(0.75) + 0.25 * std::log(0.25))), 1e-15);
  // {aaa: 2} and {aaa: 1, aab: 1}: c = 2 / (2 sqrt 2) = 1 / sqrt 2.
  EXPECT_NEAR(vendi_score({"aaaa", "aaab"}), two_text_score(1 / std::sqrt(2.0)), 1e-12);
  // Counts, not presence: {aaa: 3, aab: 1} against {aaa: 1, aab: 1} gives c = 4 / (sqrt 10 sqrt 2)
  // = 2 / sqrt 5 (sets of n-grams would be equal, c = 1).
  EXPECT_NEAR(vendi_score({"aaaaab", "aaab"}), two_text_score(2 / std::sqrt(5.0)), 1e-12);
  // Texts shorter than n: two equal short texts are the same, two different ones are disjoint.
  EXPECT_NEAR(vendi_score({"ab", "ab"}), 1.0, 1e-12);
  EXPECT_NEAR(vendi_score({"", ""}), 1.0, 1e-12);
  EXPECT_NEAR(vendi_score({"ab", "abc"}), 2.0, 1e-12);
}

TEST(VendiScore, EmptySetScoresZero) {
  EXPECT_EQ(vendi_score({}), 0.0);
  EXPECT_THROW(vendi_score({"abc"}, 0), Error);
}

TEST(VendiScore, PermutationInvariantAndBetweenOneAndN) {
  std::vector<std::string> texts = {
      "What is 3 + 4?", "What is 3 + 5?", "Compute the area of a circle of radius 2.",
      "Find x if 2x + 1 = 7.", "Find x if 2x + 3 = 7.", "How many primes are below 20?"};
  const double score = vendi_score(texts);
  EXPECT_GT(score, 1.5);
  EXPECT_LT(score, double(texts.size()) - 0.5);  // near-duplicates count less than twice
  std::sort(texts.begin(), texts.end());
  int permutations = 0;
  do {
    ASSERT_NEAR(vendi_score(texts), score, 1e-12);
    ++permutations;
  } while (std::next_permutation(texts.begin(), texts.end()));
  EXPECT_EQ(permutations, 720);
  // Adding a duplicate adds less than a new text does.
  auto with_duplicate = texts, with_new = texts;
  with_duplicate.push_back(texts[0]);
  with_new.push_back("Let f(x) = x^2. What is f(f(3))?");
  EXPECT_LT(vendi_score(with_duplicate), vendi_score(with_new));
}

}  // namespace
}  // namespace soar::meta
