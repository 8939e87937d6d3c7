#include "rl/pass_at_k.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/seed.h"

namespace soar {

double pass_at_k(int64_t n, int64_t c, int64_t k) {
  if (n < 1 || c < 0 || k < 1 || c > n || k > n)
    fail("pass@k needs 1 <= k <= n and 0 <= c <= n, got n=", n, " c=", c, " k=", k);
  if (c == 0) return 0.0;
  if (n - c < k) return 1.0;  // every k-subset contains a correct sample
  // C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k/i), the product form of Chen et al. Summed as
  // logarithms and finished with expm1, so a tiny pass@k (a product close to 1) keeps its relative
  // precision instead of being lost in 1 - product.
  long double log_fail = 0;
  for (int64_t i = n - c + 1; i <= n; ++i) log_fail += std::log1p(-(long double)k / (long double)i);
  return double(-std::expm1(log_fail));
}

Interval bootstrap_mean(std::span<const double> values, int resamples, double confidence, uint64_t seed) {
  if (values.empty()) fail("bootstrap_mean: no values");
  if (resamples < 1) fail("bootstrap_mean: resamples must be at least 1, got ", resamples);
  if (!(confidence > 0.0 && confidence < 1.0)) fail("bootstrap_mean: confidence must lie in (0, 1), got ", confidence);
  const std::size_t n = values.size();
  double sum = 0;
  for (double v : values) sum += v;

  SplitMix64 rng(seed);
  std::vector<double> means(static_cast<std::size_t>(resamples));
  for (double& mean : means) {
    double resample_sum = 0;
    for (std::size_t i = 0; i < n; ++i) resample_sum += values[rng.below(n)];
    mean = resample_sum / double(n);
  }
  std::sort(means.begin(), means.end());
  auto quantile = [&](double q) {  // "type 7": linear between order statistics
    double position = q * double(means.size() - 1);
    auto below = std::size_t(std::floor(position));
    std::size_t above = std::min(below + 1, means.size() - 1);
    return means[below] + (position - double(below)) * (means[above] - means[below]);
  };
  double alpha = 1.0 - confidence;
  return {sum / double(n), quantile(alpha / 2), quantile(1.0 - alpha / 2)};
}

}  // namespace soar
