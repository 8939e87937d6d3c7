// What a step's rollouts say beyond the mean reward (the per-step metrics TRL and verl users read):
// the spread of rewards, the share of groups that carry no learning signal (every sample of a
// problem scored the same: RLOO/GRPO advantages are all 0), completion lengths, truncation, and an
// estimate of the sampling distribution's token entropy (the mean -log p of the sampled tokens, an
// unbiased estimate of H at the sampling temperature).
#pragma once

#include <vector>

#include "distributed/group.h"
#include "rl/rollout.h"

namespace soar {

struct RolloutStats {
  double reward_std = 0;        // population standard deviation over every rollout
  double no_signal_groups = 0;  // share of groups whose rewards are all equal
  double length_mean = 0, length_max = 0;  // completion tokens
  double truncated = 0;         // share stopped by the token budget
  double entropy = 0;           // nats per token; 0 when the sampler's log-probs are unknown
};

// Over the rollouts of every process of `group` (each passes its own).
RolloutStats rollout_stats(const std::vector<Rollout>& rollouts, dist::Group& group);

}  // namespace soar
