// The testbed's baseline and ablation datasets, checked with the domain's own checker.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "domains/testbed/datasets.h"
#include "domains/testbed/domain.h"

namespace soar::testbed {
namespace {

TEST(Datasets, ParseLevels) {
  EXPECT_EQ(parse_levels("3,5-7"), (std::vector<int>{3, 5, 6, 7}));
  EXPECT_THROW(parse_levels("0-3"), Error);
  EXPECT_THROW(parse_levels("7-5"), Error);
  EXPECT_THROW(parse_levels("x"), Error);
  EXPECT_THROW(parse_levels(""), Error);
}

// Table 9's rule: the lowest level of the unbroken run of quiet levels from the top.
TEST(Datasets, HardLevelIsTheLowestOfTheQuietLevelsFromTheTop) {
  // Seed 2's scan in docs/testbed.md: 0, 0, 0 successes at 16-14, 10 at 13 -> 14.
  EXPECT_EQ(lowest_quiet_level({{16, 0}, {15, 0}, {14, 0}, {13, 10}}, 1), 14);
  EXPECT_EQ(lowest_quiet_level({{16, 1}, {15, 71}}, 1), 16);   // one success still counts as quiet
  EXPECT_EQ(lowest_quiet_level({{16, 1}, {15, 71}}, 0), std::nullopt);  // the top level is already loud
  // A quiet level below a loud one does not count: the run from the top is what matters.
  EXPECT_EQ(lowest_quiet_level({{16, 0}, {15, 2}, {14, 0}}, 1), 16);
  EXPECT_EQ(lowest_quiet_level({{12, 0}, {11, 0}}, 1), 11);  // the scan ended before the edge
  EXPECT_EQ(lowest_quiet_level({}, 1), std::nullopt);
}

TEST(Datasets, OracleProblemsAreCorrectAndAtTheRequestedLevels) {
  SplitMix64 rng(1);
  std::vector<Problem> problems = oracle_problems({6, 8}, 400, rng);
  ASSERT_EQ(problems.size(), 400u);
  std::set<int> seen;
  for (const Problem& p : problems) {
    auto parsed = parse_statement(p.problem);
    ASSERT_TRUE(parsed) << p.problem;
    EXPECT_TRUE(check_answer(*parsed, p.answer));
    seen.insert(parsed->level());
  }
  EXPECT_EQ(seen, (std::set<int>{6, 8}));
  // Format 6: the same problems, answers most significant digit first.
  SplitMix64 again(1);
  const std::vector<Problem> msd = oracle_problems({6, 8}, 400, again, StudentTask::sum_msd);
  for (size_t i = 0; i < problems.size(); ++i) {
    ASSERT_EQ(msd[i].problem, problems[i].problem);
    ASSERT_EQ(msd[i].answer, std::string(problems[i].answer.rbegin(), problems[i].answer.rend()));
  }
}

TEST(Datasets, CorruptedAnswersKeepQuestionsAndAreAlwaysWrong) {
  SplitMix64 rng(2);
  std::vector<Problem> original = oracle_problems({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 600, rng);
  std::vector<Problem> corrupted = corrupt_answers(original, rng);
  ASSERT_EQ(corrupted.size(), original.size());
  for (size_t i = 0; i < original.size(); ++i) {
    EXPECT_EQ(corrupted[i].problem, original[i].problem);
    EXPECT_EQ(corrupted[i].answer.size(), original[i].answer.size());
    EXPECT_FALSE(check_answer(*parse_statement(corrupted[i].problem), corrupted[i].answer));
  }
}

TEST(Datasets, CorruptedStructureKeepsAnswersAndSymbolsButNeverParses) {
  SplitMix64 rng(3);
  std::vector<Problem> original = oracle_problems({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 600, rng);
  std::vector<Problem> corrupted = corrupt_structure(original, rng);
  for (size_t i = 0; i < original.size(); ++i) {
    EXPECT_EQ(corrupted[i].answer, original[i].answer);
    EXPECT_FALSE(parse_statement(corrupted[i].problem)) << corrupted[i].problem;
    std::string a = corrupted[i].problem, b = original[i].problem;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b);
  }
}

}  // namespace
}  // namespace soar::testbed
