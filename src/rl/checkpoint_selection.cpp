#include "rl/checkpoint_selection.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace soar {

std::vector<double> centered_moving_average(const std::vector<double>& values, int64_t window) {
  if (window < 1 || window % 2 == 0)
    fail("centered_moving_average: the window must be odd and at least 1 (centered on a step), got ", window);
  const auto n = int64_t(values.size());
  const int64_t half = window / 2;
  std::vector<double> out(values.size());
  for (int64_t t = 0; t < n; ++t) {
    // Summed afresh for each step rather than as a running sum, so no rounding error accumulates
    // along a long curve (n * window additions: nothing next to a training step).
    const int64_t first = std::max<int64_t>(0, t - half), last = std::min(n - 1, t + half);
    double sum = 0;
    for (int64_t i = first; i <= last; ++i) sum += values[std::size_t(i)];
    out[std::size_t(t)] = sum / double(last - first + 1);
  }
  return out;
}

int64_t select_checkpoint_step(const std::vector<double>& train_reward, const SelectionRule& rule) {
  if (train_reward.empty()) fail("select_checkpoint_step: no training rewards");
  if (!(rule.slope_fraction > 0.0 && rule.slope_fraction <= 1.0))
    fail("select_checkpoint_step: slope_fraction must lie in (0, 1], got ", rule.slope_fraction);
  for (std::size_t t = 0; t < train_reward.size(); ++t)
    if (!std::isfinite(train_reward[t]))
      fail("select_checkpoint_step: training reward at step ", t, " is ", train_reward[t]);
  std::vector<double> smooth = centered_moving_average(train_reward, rule.smoothing_window);

  const auto [low, high] = std::minmax_element(train_reward.begin(), train_reward.end());
  const double range = *high - *low;
  if (range == 0.0) return 0;  // a flat curve (or a single step): nothing to select between

  const auto n = int64_t(train_reward.size());
  std::vector<double> slope(std::size_t(n - 1));
  for (int64_t t = 0; t + 1 < n; ++t)
    slope[std::size_t(t)] = (smooth[std::size_t(t + 1)] - smooth[std::size_t(t)]) / range;
  const auto peak = std::max_element(slope.begin(), slope.end());  // the first maximum
  if (*peak <= 0.0) return 0;  // the reward never rises: the untrained step is as good as any
  const double threshold = rule.slope_fraction * *peak;
  const auto stop = std::find_if(peak + 1, slope.end(), [&](double s) { return s < threshold; });
  return stop == slope.end() ? n - 1 : int64_t(stop - slope.begin());
}

double mean_after(const std::vector<std::pair<int64_t, double>>& evaluations, int64_t step, int64_t window) {
  if (window < 1) fail("mean_after: the window must be at least 1 step, got ", window);
  double sum = 0;
  int64_t count = 0;
  for (const auto& [at, value] : evaluations) {
    if (at >= step && at - step < window) {  // at < step + window without overflow near INT64_MAX
      sum += value;
      ++count;
    }
  }
  if (count == 0)
    fail("mean_after: none of the ", evaluations.size(), " evaluations lies in steps [", step, ", ", step, " + ",
         window, "): evaluate at least once every ", window, " steps, and after the selected step");
  return sum / double(count);
}

}  // namespace soar
