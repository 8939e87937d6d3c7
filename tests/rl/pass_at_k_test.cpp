#include "rl/pass_at_k.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/seed.h"

namespace soar {
namespace {

// C(n, k) exactly, for n <= 60 (C(60, 30) < 2^63); each step's division is exact because the running
// value is C(n-k+i, i).
uint64_t choose(uint64_t n, uint64_t k) {
  if (k > n) return 0;
  uint64_t result = 1;
  for (uint64_t i = 1; i <= k; ++i) result = result * (n - k + i) / i;
  return result;
}

TEST(PassAtK, MatchesExactBinomialsForSmallN) {
  for (int64_t n = 1; n <= 60; ++n)
    for (int64_t c = 0; c <= n; ++c)
      for (int64_t k = 1; k <= n; ++k) {
        long double expected = 1.0L - (long double)choose(uint64_t(n - c), uint64_t(k)) / (long double)choose(uint64_t(n), uint64_t(k));
        ASSERT_NEAR(pass_at_k(n, c, k), double(expected), 1e-14) << "n=" << n << " c=" << c << " k=" << k;
      }
}

TEST(PassAtK, PassAt1IsTheSuccessRate) {
  for (int64_t n : {1, 2, 7, 16, 128, 1000})
    for (int64_t c = 0; c <= n; ++c) ASSERT_NEAR(pass_at_k(n, c, 1), double(c) / double(n), 1e-15) << n << " " << c;
}

TEST(PassAtK, EdgeCases) {
  EXPECT_EQ(pass_at_k(10, 0, 5), 0.0);
  EXPECT_EQ(pass_at_k(10, 10, 1), 1.0);
  EXPECT_EQ(pass_at_k(10, 6, 5), 1.0);   // only 4 wrong samples: every 5-subset has a correct one
  EXPECT_EQ(pass_at_k(10, 1, 10), 1.0);  // k = n draws everything
  // A tiny pass@k keeps its relative precision: 1 correct in 10^6 samples, k = 1.
  EXPECT_NEAR(pass_at_k(1000000, 1, 1) / 1e-6, 1.0, 1e-12);
  // Monotone in c and in k.
  for (int64_t c = 0; c < 128; ++c) EXPECT_LE(pass_at_k(128, c, 8), pass_at_k(128, c + 1, 8));
  for (int64_t k = 1; k < 128; ++k) EXPECT_LE(pass_at_k(128, 3, k), pass_at_k(128, 3, k + 1));
}

TEST(PassAtK, RejectsImpossibleArguments) {
  EXPECT_THROW(pass_at_k(10, 2, 11), Error);  // k > n
  EXPECT_THROW(pass_at_k(10, 11, 1), Error);  // c > n
  EXPECT_THROW(pass_at_k(10, -1, 1), Error);
  EXPECT_THROW(pass_at_k(10, 1, 0), Error);
  EXPECT_THROW(pass_at_k(10, 1, -2), Error);
  EXPECT_THROW(pass_at_k(0, 0, 0), Error);
  EXPECT_THROW(pass_at_k(-5, 0, 1), Error);
  try {
    pass_at_k(10, 2, 11);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n=10 c=2 k=11"), std::string::npos) << e.what();
  }
}

std::vector<double> bernoulli(std::size_t n, double p, uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<double> values(n);
  for (double& v : values) v = rng.uniform() < p ? 1.0 : 0.0;
  return values;
}

TEST(Bootstrap, DeterministicFromTheSeed) {
  auto values = bernoulli(200, 0.3, 1);
  Interval a = bootstrap_mean(values, 1000, 0.95, 42);
  Interval b = bootstrap_mean(values, 1000, 0.95, 42);
  Interval c = bootstrap_mean(values, 1000, 0.95, 43);
  EXPECT_EQ(a.mean, b.mean);
  EXPECT_EQ(a.lower, b.lower);
  EXPECT_EQ(a.upper, b.upper);
  EXPECT_EQ(a.mean, c.mean);
  EXPECT_TRUE(a.lower != c.lower || a.upper != c.upper) << "a different seed should resample differently";
}

TEST(Bootstrap, IntervalContainsTheMeanAndShrinksWithMoreValues) {
  auto small = bernoulli(50, 0.4, 2), large = bernoulli(5000, 0.4, 3);
  Interval s = bootstrap_mean(small, 2000, 0.95, 7), l = bootstrap_mean(large, 2000, 0.95, 7);
  double small_mean = 0;
  for (double v : small) small_mean += v;
  EXPECT_DOUBLE_EQ(s.mean, small_mean / 50);
  for (Interval i : {s, l}) {
    EXPECT_LT(i.lower, i.mean);
    EXPECT_GT(i.upper, i.mean);
  }
  // Width ~ 2 * 1.96 * sqrt(p(1-p)/n): about 0.27 for n = 50, 0.027 for n = 5000.
  EXPECT_NEAR(s.upper - s.lower, 2 * 1.96 * std::sqrt(0.24 / 50), 0.05);
  EXPECT_NEAR(l.upper - l.lower, 2 * 1.96 * std::sqrt(0.24 / 5000), 0.005);
  // A lower confidence gives a narrower interval.
  Interval narrow = bootstrap_mean(small, 2000, 0.5, 7);
  EXPECT_LT(narrow.upper - narrow.lower, 0.5 * (s.upper - s.lower));

  // Constant values: the interval collapses onto them.
  std::vector<double> constant(30, 0.25);
  Interval k = bootstrap_mean(constant, 100, 0.95, 1);
  EXPECT_EQ(k.mean, 0.25);
  EXPECT_EQ(k.lower, 0.25);
  EXPECT_EQ(k.upper, 0.25);
}

// Over many independent data sets, a 95 % interval should cover the true p about 95 % of the time,
// and a 50 % interval about half the time.
TEST(Bootstrap, CoverageOnBernoulliData) {
  const double p = 0.3;
  const int trials = 200;
  for (double confidence : {0.95, 0.5}) {
    int covered = 0;
    for (int t = 0; t < trials; ++t) {
      auto values = bernoulli(100, p, derive_seed(99, "data/" + std::to_string(t)));
      Interval i = bootstrap_mean(values, 1000, confidence, derive_seed(99, "bootstrap/" + std::to_string(t)));
      covered += i.lower <= p && p <= i.upper;
    }
    // Three binomial standard deviations around the nominal rate (the percentile bootstrap runs a
    // little below nominal with 100 values, which this margin absorbs).
    double expected = confidence * trials, margin = 3 * std::sqrt(trials * confidence * (1 - confidence));
    EXPECT_NEAR(covered, expected, margin) << "confidence " << confidence;
  }
}

TEST(Bootstrap, RejectsBadArguments) {
  std::vector<double> values = {1, 0, 1};
  EXPECT_THROW(bootstrap_mean({}, 100, 0.95, 1), Error);
  EXPECT_THROW(bootstrap_mean(values, 0, 0.95, 1), Error);
  EXPECT_THROW(bootstrap_mean(values, 100, 1.0, 1), Error);
  EXPECT_THROW(bootstrap_mean(values, 100, 0.0, 1), Error);
  EXPECT_THROW(bootstrap_mean(values, 100, std::nan(""), 1), Error);
}

}  // namespace
}  // namespace soar
