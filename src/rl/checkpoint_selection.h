// Student checkpoint selection, SOAR paper appendix B.6: smooth the training reward curve with a
// centered moving average, take its discrete slopes normalized by the range of the observed rewards,
// and stop at the first step where the slope has fallen below a fraction of its maximum; test
// performance is then averaged over a window of evaluations following that step.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace soar {

struct SelectionRule {
  int64_t smoothing_window = 25;  // odd: the centered average spans t - 12 .. t + 12
  double slope_fraction = 0.15;   // stop where the slope is below this fraction of the maximum slope
  int64_t average_window = 200;   // steps of test evaluations averaged from the selected step on
};

// out[t] = mean of values[t - h .. t + h], h = window / 2, where at the ends the window is cut to
// the part that exists (values[0 .. t + h] near the start), so out[t] is a mean of real values, not
// of padding (pandas' rolling(window, center=True, min_periods=1)). `window` must be odd and >= 1.
std::vector<double> centered_moving_average(const std::vector<double>& values, int64_t window);

// The 0-based index of the selected step of `train_reward` (one mean training reward per step).
// With m = centered_moving_average(train_reward, rule.smoothing_window), the slope at step t is
// s_t = (m[t+1] - m[t]) / (max(train_reward) - min(train_reward)), for t = 0 .. n-2, and S = max_t s_t
// is reached first at t*. The selected step is the first t > t* with s_t < slope_fraction * S.
//
// Our reading of "the earliest point where the normalized slope falls below 15% of the maximum
// observed slope": the slope *falls* below the threshold after having reached its maximum, so a flat
// start before the reward rises is not selected. Degenerate curves:
//  - one step, or a flat curve (range 0): step 0;
//  - S <= 0 (the smoothed reward never rises): step 0, since training never helped;
//  - no step after t* qualifies (still rising at the end): the last step, n - 1.
// Fails on an empty curve, a non-finite reward, an even or non-positive smoothing window, or a
// slope_fraction outside (0, 1].
int64_t select_checkpoint_step(const std::vector<double>& train_reward, const SelectionRule& rule = {});

// Mean of the values of `evaluations` ((step, value) pairs from periodic test evaluations, in any
// order) whose step lies in [step, step + window). Fails when window < 1 or no evaluation falls in it.
double mean_after(const std::vector<std::pair<int64_t, double>>& evaluations, int64_t step, int64_t window);

}  // namespace soar
