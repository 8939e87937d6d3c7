// Evaluation statistics: the unbiased pass@k estimator and bootstrap confidence intervals.
#pragma once

#include <cstdint>
#include <span>

namespace soar {

// Probability that at least one of k completions drawn without replacement from n samples, c of them
// correct, is correct: 1 - C(n-c, k) / C(n, k) (Chen et al. 2021, "Evaluating Large Language Models
// Trained on Code"). Requires 1 <= k <= n and 0 <= c <= n; fails with soar::Error otherwise.
double pass_at_k(int64_t n, int64_t c, int64_t k);

struct Interval {
  double mean, lower, upper;
};

// Mean of `values` (one per problem) with a percentile-bootstrap confidence interval: `resamples`
// resamples of the problems with replacement, and the (1-confidence)/2 and (1+confidence)/2
// quantiles of their means (linear interpolation between order statistics). Deterministic for a
// given seed on every platform. Requires values non-empty, resamples >= 1, 0 < confidence < 1.
Interval bootstrap_mean(std::span<const double> values, int resamples, double confidence, uint64_t seed);

}  // namespace soar
