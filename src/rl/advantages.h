// Advantages from the rewards of the k samples of each prompt.
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace soar {

enum class AdvantageEstimator {
  RLOO,    // r_i - mean of the other k-1 rewards (leave-one-out; the SOAR paper's choice)
  GRPO,    // (r_i - mean) / (std + eps), std unbiased over the group
  DrGRPO,  // r_i - mean (no std normalisation: Dr. GRPO)
};

AdvantageEstimator parse_advantage_estimator(const std::string& name);  // "rloo", "grpo", "drgrpo"

// rewards [G, k] -> advantages [G, k] (float64 in, same dtype out).
at::Tensor compute_advantages(const at::Tensor& rewards, AdvantageEstimator estimator);

}  // namespace soar
