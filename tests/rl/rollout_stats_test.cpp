// The per-step rollout statistics against figures worked out by hand.
#include "rl/rollout_stats.h"

#include <gtest/gtest.h>

#include <cmath>

namespace {

soar::Rollout rollout(double reward, int64_t group, int64_t chunk, size_t length, bool truncated = false) {
  soar::Rollout r;
  r.reward = reward;
  r.group = group;
  r.chunk = chunk;
  r.completion.assign(length, 1);
  r.sampler_logprobs.assign(length, -0.5f);
  r.truncated = truncated;
  return r;
}

TEST(RolloutStats, SpreadSignalLengthsTruncationEntropy) {
  // Group 0 (chunk 0): rewards 1, 0 (a signal); group 1 (chunk 1): 1, 1 (none); group 2 (chunk 1): 0, 0 (none).
  std::vector<soar::Rollout> rollouts = {rollout(1, 0, 0, 2), rollout(0, 0, 0, 4, true), rollout(1, 1, 1, 6),
                                         rollout(1, 1, 1, 8, true), rollout(0, 2, 1, 2), rollout(0, 2, 1, 2)};
  rollouts[0].sampler_logprobs = {-1.0f, -2.0f};
  soar::dist::Group alone;
  const soar::RolloutStats s = soar::rollout_stats(rollouts, alone);
  EXPECT_DOUBLE_EQ(s.reward_std, 0.5);  // mean 1/2 of 0/1 rewards
  EXPECT_DOUBLE_EQ(s.no_signal_groups, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.length_mean, 24.0 / 6.0);
  EXPECT_DOUBLE_EQ(s.length_max, 8.0);
  EXPECT_DOUBLE_EQ(s.truncated, 2.0 / 6.0);
  EXPECT_DOUBLE_EQ(s.entropy, (3.0 + 22 * 0.5) / 24.0);  // mean -log p over all sampled tokens
}

TEST(RolloutStats, NoRolloutsAndNoLogprobs) {
  soar::dist::Group alone;
  const soar::RolloutStats empty = soar::rollout_stats({}, alone);
  EXPECT_EQ(empty.reward_std, 0);
  EXPECT_EQ(empty.length_max, 0);
  soar::Rollout r = rollout(2, 0, 0, 3);
  r.sampler_logprobs.clear();
  EXPECT_EQ(soar::rollout_stats({r}, alone).entropy, 0);
  EXPECT_EQ(soar::rollout_stats({r}, alone).no_signal_groups, 1);  // one sample: nothing to compare
}

}  // namespace
