// The appendix B.6 checkpoint rule on curves whose answer is worked out by hand. In the interior of a
// curve (12 <= t and t + 13 < n) the 25-step centered average gives
//   m[t+1] - m[t] = (r[t+13] - r[t-12]) / 25,
// which is what the expected indices below are computed from.
#include "rl/checkpoint_selection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/seed.h"

namespace soar {
namespace {

// r[t] = clamp(t - start, 0, length) for t = 0 .. n-1: flat until `start`, a slope-1 ramp, a plateau.
std::vector<double> ramp(int64_t n, int64_t start, int64_t length) {
  std::vector<double> r(static_cast<std::size_t>(n));
  for (int64_t t = 0; t < n; ++t) r[std::size_t(t)] = double(std::clamp<int64_t>(t - start, 0, length));
  return r;
}

TEST(CenteredMovingAverage, InteriorIsTheFullWindowMean) {
  std::vector<double> v = {1, 2, 4, 8, 16, 32, 64};
  auto m = centered_moving_average(v, 3);
  ASSERT_EQ(m.size(), v.size());
  EXPECT_DOUBLE_EQ(m[1], (1 + 2 + 4) / 3.0);
  EXPECT_DOUBLE_EQ(m[3], (4 + 8 + 16) / 3.0);
  EXPECT_DOUBLE_EQ(m[5], (16 + 32 + 64) / 3.0);
}

TEST(CenteredMovingAverage, EdgesAverageThePartOfTheWindowThatExists) {
  std::vector<double> v = {1, 2, 4, 8, 16, 32, 64};
  auto m = centered_moving_average(v, 5);
  EXPECT_DOUBLE_EQ(m[0], (1 + 2 + 4) / 3.0);  // window 0..2 of -2..2
  EXPECT_DOUBLE_EQ(m[1], (1 + 2 + 4 + 8) / 4.0);
  EXPECT_DOUBLE_EQ(m[2], (1 + 2 + 4 + 8 + 16) / 5.0);
  EXPECT_DOUBLE_EQ(m[5], (8 + 16 + 32 + 64) / 4.0);
  EXPECT_DOUBLE_EQ(m[6], (16 + 32 + 64) / 3.0);
  // A window wider than the curve: every step averages what exists within its reach.
  auto wide = centered_moving_average({3, 6}, 25);
  EXPECT_DOUBLE_EQ(wide[0], 4.5);
  EXPECT_DOUBLE_EQ(wide[1], 4.5);
  // Window 1 is the identity; an empty curve stays empty.
  EXPECT_EQ(centered_moving_average(v, 1), v);
  EXPECT_TRUE(centered_moving_average({}, 25).empty());
}

TEST(CenteredMovingAverage, RejectsWindowsWithoutACenter) {
  EXPECT_THROW(centered_moving_average({1, 2, 3}, 4), Error);
  EXPECT_THROW(centered_moving_average({1, 2, 3}, 0), Error);
  EXPECT_THROW(centered_moving_average({1, 2, 3}, -3), Error);
}

// r = min(t, 50), 150 steps. The interior slope is 1 until the window reaches the plateau
// (t + 13 > 50), then (50 - (t - 12)) / 25 = (62 - t) / 25 (the range 50 divides both sides and
// cancels). The maximum is 1 (first at t = 12: the truncated start window gives 0.5 before), so the
// rule wants (62 - t) / 25 < 0.15, i.e. t > 58.25: step 59, 9 steps past the end of the ramp (< 12).
TEST(SelectCheckpointStep, RampThenPlateauStopsWhereTheSmoothedRampEnds) {
  EXPECT_EQ(select_checkpoint_step(ramp(150, 0, 50)), 59);
  // A smaller fraction waits for a flatter slope: (62 - t) / 25 < 0.05 gives t > 60.75.
  EXPECT_EQ(select_checkpoint_step(ramp(150, 0, 50), {.slope_fraction = 0.05}), 61);
  // A narrower window (h = 2) sees the plateau later: (r[t+3] - r[t-2]) / 5 = (52 - t) / 5 < 0.15 at t = 52.
  EXPECT_EQ(select_checkpoint_step(ramp(150, 0, 50), {.smoothing_window = 5}), 52);
}

// The reading the header documents: a flat start is not "the earliest point below 15 %". The same ramp
// shifted by 50 steps: the answer shifts to 109, where the first-anywhere reading would give step 0.
TEST(SelectCheckpointStep, FlatStartBeforeTheRiseIsNotSelected) {
  EXPECT_EQ(select_checkpoint_step(ramp(200, 50, 50)), 109);
}

// r = sigmoid((t - 100) / 10), 300 steps: the interior slope is proportional to
// d(t) = sigmoid((t - 87) / 10) - sigmoid((t - 112) / 10), largest at t = 99.5 (0.55436 at t = 100).
// d(134) / d(100) = 0.1637 and d(135) / d(100) = 0.1497: the first below 0.15 is step 135.
TEST(SelectCheckpointStep, Sigmoid) {
  std::vector<double> r(300);
  for (std::size_t t = 0; t < r.size(); ++t) r[t] = 1.0 / (1.0 + std::exp(-(double(t) - 100.0) / 10.0));
  EXPECT_EQ(select_checkpoint_step(r), 135);
  // Rescaling the reward changes nothing: slopes are normalized by the observed range.
  for (double& v : r) v = 3.0 * v - 7.0;
  EXPECT_EQ(select_checkpoint_step(r), 135);
}

TEST(SelectCheckpointStep, DegenerateCurves) {
  EXPECT_EQ(select_checkpoint_step(std::vector<double>(300, 0.4)), 0);  // flat: range 0
  EXPECT_EQ(select_checkpoint_step({0.7}), 0);                          // one step
  // Decreasing: every smoothed slope is negative, S <= 0, so the untrained step 0.
  std::vector<double> down(100);
  for (std::size_t t = 0; t < down.size(); ++t) down[t] = 1.0 - double(t) / 100.0;
  EXPECT_EQ(select_checkpoint_step(down), 0);
  // Still rising at the end: r = t, the interior slope is 1 and the truncated end window's is 0.5,
  // never below 0.15: no step qualifies, so the last one.
  EXPECT_EQ(select_checkpoint_step(ramp(100, 0, 1000)), 99);
  // Falling after the rise (over-training): r = t up to 50, then 100 - t. The interior slope
  // (r[t+13] - r[t-12]) / 25 is 1 up to t = 37, then ((87 - t) - (t - 12)) / 25 = (99 - 2t) / 25, below
  // 0.15 for t > 47.625: step 48 (earlier than the plateau's 59, as the fall pulls the average down).
  std::vector<double> peak(150);
  for (std::size_t t = 0; t < peak.size(); ++t) peak[t] = t <= 50 ? double(t) : 100.0 - double(t);
  EXPECT_EQ(select_checkpoint_step(peak), 48);
}

// r = min(t, 50) + 0.5 (-1)^t. Over an odd window the alternation adds -(-1)^t / 25 to each interior
// slope (r[t+13] - r[t-12] gains 0.5 ((-1)^(t+13) - (-1)^(t-12)) = -(-1)^t), so on the ramp the slope
// is 26/25 at odd t (the maximum S) and 24/25 at even t; near the plateau it is (62 - t - (-1)^t) / 25,
// below 0.15 * 26 / 25 = 3.9 / 25 first at t = 58 (3 / 25; t = 57 gives 6 / 25).
TEST(SelectCheckpointStep, NoiseOnThePlateauIsSmoothedAway) {
  std::vector<double> r = ramp(150, 0, 50);
  for (std::size_t t = 0; t < r.size(); ++t) r[t] += t % 2 == 0 ? 0.5 : -0.5;
  EXPECT_EQ(select_checkpoint_step(r), 58);
  // Without smoothing the raw slopes alternate 0 and 2 along the ramp: S = 2 first at t = 1, and step 2
  // (slope 0) is already below 0.3. This is what the smoothing is for.
  EXPECT_EQ(select_checkpoint_step(r, {.smoothing_window = 1}), 2);
}

// Uniform noise of +-0.025 (5 % of the rise) on a ramp from 0 to 0.5 over 100 steps, then a plateau.
// An interior slope is 0.005 (r[t+13] - r[t-12] over the ramp) plus a noise of at most 2 * 0.025 / 25
// = 0.002, so S <= 0.007 and the threshold 0.15 S <= 0.00105, below every ramp slope (>= 0.003): no
// step is selected before the window reaches the plateau (t + 13 > 100, t >= 88). Past t = 112 the
// slope is pure noise, so the first step below the threshold comes soon after; the noiseless curve
// gives (112 - t) / 25 < 0.15, step 109. The upper bound 124 holds for these seeds (SplitMix64 draws
// the same numbers on every platform), not for every seed.
TEST(SelectCheckpointStep, RandomNoiseOnThePlateau) {
  int unsmoothed_outside = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SplitMix64 rng(seed);
    std::vector<double> r(400);
    for (std::size_t t = 0; t < r.size(); ++t)
      r[t] = 0.005 * double(std::min<std::size_t>(t, 100)) + 0.05 * (rng.uniform() - 0.5);
    int64_t step = select_checkpoint_step(r);
    EXPECT_GE(step, 88) << "seed " << seed;
    EXPECT_LE(step, 124) << "seed " << seed;
    // Without smoothing a raw slope is 0.005 plus a noise of up to +-0.05: the maximum is a noise
    // spike anywhere on the curve, and the step lands anywhere after it.
    int64_t raw = select_checkpoint_step(r, {.smoothing_window = 1});
    unsmoothed_outside += raw < 88 || raw > 124;
  }
  EXPECT_GE(unsmoothed_outside, 15) << "of 20 seeds";
}

// "Falls below" is strict. Without smoothing, {0, 4, 6, 8} has slopes 4/8, 2/8, 2/8 (exact in binary):
// at half the maximum slope, 2/8 is not below 4/8 * 0.5, so no step qualifies and the last is selected.
TEST(SelectCheckpointStep, ASlopeEqualToTheThresholdDoesNotStop) {
  EXPECT_EQ(select_checkpoint_step({0, 4, 6, 8}, {.smoothing_window = 1, .slope_fraction = 0.5}), 3);
  EXPECT_EQ(select_checkpoint_step({0, 4, 6, 8}, {.smoothing_window = 1, .slope_fraction = 0.51}), 1);
}

TEST(SelectCheckpointStep, RejectsBadInput) {
  EXPECT_THROW(select_checkpoint_step({}), Error);
  EXPECT_THROW(select_checkpoint_step({0, 1, std::nan("")}), Error);
  EXPECT_THROW(select_checkpoint_step({0, 1, INFINITY}), Error);
  EXPECT_THROW(select_checkpoint_step({0, 1, 2}, {.smoothing_window = 24}), Error);
  EXPECT_THROW(select_checkpoint_step({0, 1, 2}, {.slope_fraction = 0.0}), Error);
  EXPECT_THROW(select_checkpoint_step({0, 1, 2}, {.slope_fraction = 1.5}), Error);
  try {
    select_checkpoint_step({0, 1, std::nan("")});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("step 2"), std::string::npos) << e.what();
  }
}

TEST(MeanAfter, AveragesTheEvaluationsInTheHalfOpenWindow) {
  // Evaluations every 50 steps, out of order; value = step / 50.
  std::vector<std::pair<int64_t, double>> evals = {{150, 3}, {0, 0}, {50, 1}, {100, 2}, {200, 4}, {250, 5}, {300, 6}};
  EXPECT_DOUBLE_EQ(mean_after(evals, 59, 200), (2 + 3 + 4 + 5) / 4.0);  // 100, 150, 200, 250
  EXPECT_DOUBLE_EQ(mean_after(evals, 100, 200), (2 + 3 + 4 + 5) / 4.0);  // 300 = 100 + 200 is out
  EXPECT_DOUBLE_EQ(mean_after(evals, 100, 201), (2 + 3 + 4 + 5 + 6) / 5.0);
  EXPECT_DOUBLE_EQ(mean_after(evals, 0, 1), 0.0);
  EXPECT_DOUBLE_EQ(mean_after(evals, 280, 200), 6.0);
}

TEST(MeanAfter, FailsWhenNoEvaluationFallsInTheWindow) {
  std::vector<std::pair<int64_t, double>> evals = {{0, 0.1}, {100, 0.2}};
  EXPECT_THROW(mean_after(evals, 1, 99), Error);  // [1, 100)
  EXPECT_THROW(mean_after(evals, 101, 200), Error);
  EXPECT_THROW(mean_after({}, 0, 200), Error);
  EXPECT_THROW(mean_after(evals, 0, 0), Error);
  try {
    mean_after(evals, 101, 200);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[101, 101 + 200)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace soar
