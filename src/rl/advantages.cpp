#include "rl/advantages.h"

#include "core/error.h"

namespace soar {

AdvantageEstimator parse_advantage_estimator(const std::string& name) {
  if (name == "rloo") return AdvantageEstimator::RLOO;
  if (name == "grpo") return AdvantageEstimator::GRPO;
  if (name == "drgrpo") return AdvantageEstimator::DrGRPO;
  fail("unknown advantage estimator '", name, "' (rloo, grpo, drgrpo)");
}

at::Tensor compute_advantages(const at::Tensor& rewards, AdvantageEstimator estimator) {
  if (rewards.dim() != 2) fail("rewards must be [groups, samples], got ", rewards.dim(), " dimensions");
  const int64_t k = rewards.size(1);
  at::Tensor mean = rewards.mean(1, true);
  switch (estimator) {
    case AdvantageEstimator::RLOO:
      // r_i - (sum - r_i) / (k - 1) == k / (k - 1) * (r_i - mean); no baseline with one sample.
      if (k < 2) return at::zeros_like(rewards);
      return (rewards - mean) * (static_cast<double>(k) / static_cast<double>(k - 1));
    case AdvantageEstimator::GRPO: {
      if (k < 2) return at::zeros_like(rewards);
      at::Tensor std = rewards.std(1, /*unbiased=*/true, /*keepdim=*/true);
      return (rewards - mean) / (std + 1e-4);
    }
    case AdvantageEstimator::DrGRPO:
      return rewards - mean;
  }
  return rewards - mean;
}

}  // namespace soar
