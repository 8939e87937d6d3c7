// Advantages and policy-gradient loss against hand-computed values, and a real learning test:
// RL raises the reward of a tiny model on a toy task from < 0.2 to > 0.8.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "rl/advantages.h"
#include "rl/policy_loss.h"
#include "rl/trainer.h"
#include "sampling/sampler.h"
#include "toy_task.h"

namespace soar {
namespace {

// The trainer's log-prob temperature must be the sampler's (1 for greedy draws): otherwise the
// PPO ratio would not start at 1 and every update would be silently wrong.
TEST(Trainer, RefusesATemperatureOtherThanTheSamplers) {
  EXPECT_NO_THROW(require_same_temperature({.temperature = 0.7}, 0.7, "x"));
  EXPECT_NO_THROW(require_same_temperature({.temperature = 1.0}, 0.0, "x"));  // greedy log-probs are at T = 1
  EXPECT_THROW(require_same_temperature({.temperature = 1.0}, 0.7, "x"), Error);
  EXPECT_THROW(require_same_temperature({.temperature = 0.7}, 0.0, "x"), Error);
  try {
    require_same_temperature({.temperature = 1.0}, 0.5, "the RL loop");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the RL loop samples at temperature 0.5"), std::string::npos) << e.what();
  }
}

TEST(Advantages, RlooIsRewardMinusMeanOfOthers) {
  at::Tensor rewards = at::tensor({1.0, 0.0, 0.0, 1.0, 0.5, 0.5, 0.5, 0.5}, at::kDouble).view({2, 4});
  at::Tensor a = compute_advantages(rewards, AdvantageEstimator::RLOO);
  // Group 0: r0 = 1, others mean 1/3 -> 2/3; r1 = 0, others mean 2/3 -> -2/3.
  EXPECT_NEAR(a[0][0].item<double>(), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(a[0][1].item<double>(), -2.0 / 3.0, 1e-12);
  EXPECT_NEAR(a[0][3].item<double>(), 2.0 / 3.0, 1e-12);
  EXPECT_TRUE(at::allclose(a[1], at::zeros({4}, at::kDouble)));  // no signal in a constant group
}

TEST(Advantages, GrpoNormalisesByGroupStd) {
  at::Tensor rewards = at::tensor({1.0, 0.0, 0.0, 1.0}, at::kDouble).view({1, 4});
  at::Tensor a = compute_advantages(rewards, AdvantageEstimator::GRPO);
  double std = std::sqrt(1.0 / 3.0);  // unbiased std of {1, 0, 0, 1}
  EXPECT_NEAR(a[0][0].item<double>(), 0.5 / (std + 1e-4), 1e-9);
  EXPECT_NEAR(a[0][1].item<double>(), -0.5 / (std + 1e-4), 1e-9);
  at::Tensor dr = compute_advantages(rewards, AdvantageEstimator::DrGRPO);
  EXPECT_NEAR(dr[0][0].item<double>(), 0.5, 1e-12);
  EXPECT_THROW(parse_advantage_estimator("ppo"), Error);
}

// Two sequences of 3 token slots; sequence 0 has 2 completion tokens, sequence 1 has 3.
PolicyLossInputs small_case(at::Tensor& leaf) {
  leaf = at::tensor({-1.0f, -2.0f, -0.5f, -0.3f, -0.7f, -1.1f}).view({2, 3}).set_requires_grad(true);
  at::Tensor mask = at::tensor({1, 1, 0, 1, 1, 1}).view({2, 3}).to(at::kBool);
  return {leaf, leaf.detach().clone(), {}, at::tensor({2.0f, -1.0f}), mask};
}

TEST(PolicyLoss, GradientsMatchHandComputedValues) {
  struct Case {
    LossAggregation aggregation;
    std::vector<float> grad;  // d loss / d logprob, by hand: -A_i * weight of the token
  };
  // seq-sum: -A_i / N; seq-mean: -A_i / (N * n_i); token-mean: -A_i / total tokens; constant: -A_i / (N * 4).
  const std::vector<Case> cases = {
      {LossAggregation::SequenceSum, {-1.0f, -1.0f, 0.0f, 0.5f, 0.5f, 0.5f}},
      {LossAggregation::SequenceMean, {-0.5f, -0.5f, 0.0f, 1.0f / 6, 1.0f / 6, 1.0f / 6}},
      {LossAggregation::TokenMean, {-0.4f, -0.4f, 0.0f, 0.2f, 0.2f, 0.2f}},
      {LossAggregation::Constant, {-0.25f, -0.25f, 0.0f, 0.125f, 0.125f, 0.125f}},
  };
  for (const auto& c : cases) {
    at::Tensor leaf;
    PolicyLossInputs inputs = small_case(leaf);
    PolicyLossOutput out = policy_loss(inputs, {.aggregation = c.aggregation, .total_sequences = 2, .total_tokens = 5,
                                                .max_completion_length = 4});
    out.loss.backward();
    at::Tensor expected = at::tensor(c.grad).view({2, 3});
    EXPECT_TRUE(at::allclose(leaf.grad(), expected, 1e-6, 1e-7)) << static_cast<int>(c.aggregation) << "\n" << leaf.grad();
  }
}

TEST(PolicyLoss, ClippedRatioStopsTheGradient) {
  at::Tensor leaf;
  PolicyLossInputs inputs = small_case(leaf);
  // The policy moved up by 0.5 nats on every token since sampling: ratio e^0.5 > 1.2. For A > 0 the
  // clipped term is smaller and wins (no gradient); for A < 0 the unclipped term wins.
  inputs.old_logprobs = inputs.old_logprobs - 0.5;
  PolicyLossOutput out = policy_loss(inputs, {.aggregation = LossAggregation::SequenceSum, .clip_epsilon = 0.2, .total_sequences = 2});
  out.loss.backward();
  const float r = std::exp(0.5f);
  at::Tensor expected = at::tensor({0.0f, 0.0f, 0.0f, 0.5f * r, 0.5f * r, 0.5f * r}).view({2, 3});
  EXPECT_TRUE(at::allclose(leaf.grad(), expected, 1e-5, 1e-6)) << leaf.grad();
  EXPECT_DOUBLE_EQ(out.clipped_tokens, 2.0);
}

TEST(PolicyLoss, KlPenaltyIsK3Estimator) {
  at::Tensor leaf;
  PolicyLossInputs inputs = small_case(leaf);
  inputs.advantages = at::zeros({2});
  inputs.ref_logprobs = inputs.old_logprobs + 0.1;
  PolicyLossOutput out = policy_loss(inputs, {.kl_coef = 0.5, .total_sequences = 2});
  double k3 = std::exp(0.1) - 0.1 - 1;
  EXPECT_NEAR(out.loss.item<double>(), 0.5 * 5 * k3 / 2, 1e-6);
  EXPECT_NEAR(out.kl_sum, 5 * k3, 1e-6);
}

TEST(Trainer, LearningRateWarmupThenCosine) {
  ModelConfig config;
  config.vocab_size = 8, config.hidden_size = 8, config.intermediate_size = 8, config.num_hidden_layers = 1;
  config.num_attention_heads = 2, config.num_key_value_heads = 1, config.head_dim = 4;
  CausalLM model(config);
  PolicyTrainer trainer(*model, {.learning_rate = 1.0, .warmup_steps = 4, .total_steps = 14, .min_lr_ratio = 0.1});
  EXPECT_DOUBLE_EQ(trainer.learning_rate_at(0), 0.25);
  EXPECT_DOUBLE_EQ(trainer.learning_rate_at(3), 1.0);
  EXPECT_DOUBLE_EQ(trainer.learning_rate_at(4), 1.0);
  EXPECT_NEAR(trainer.learning_rate_at(9), 0.55, 1e-12);
  EXPECT_NEAR(trainer.learning_rate_at(14), 0.1, 1e-12);
}

TEST(Trainer, RlRaisesRewardOnAToyTask) {
  ToyTaskResult result = run_toy_task(at::kCPU);
  EXPECT_LT(result.before, 0.2);
  EXPECT_GT(result.after, 0.8);
}

}  // namespace
}  // namespace soar
