// The policy-gradient loss over completion tokens: PPO-style clipped importance ratio (which reduces
// to REINFORCE when the policy has not moved since sampling), an optional KL penalty to a frozen
// reference, and a choice of how token losses are aggregated.
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace soar {

enum class LossAggregation {
  SequenceSum,   // mean over sequences of the summed token losses (REINFORCE / RLOO paper)
  SequenceMean,  // mean over sequences of the per-sequence token mean (GRPO)
  TokenMean,     // sum over all tokens / number of tokens (DAPO)
  Constant,      // sum over all tokens / (sequences * max completion length) (Dr. GRPO)
};

LossAggregation parse_loss_aggregation(const std::string& name);  // "seq-sum", "seq-mean", "token-mean", "constant"

struct PolicyLossInputs {
  at::Tensor logprobs;      // [N, T] current policy, differentiable
  at::Tensor old_logprobs;  // [N, T] policy that sampled (no grad)
  at::Tensor ref_logprobs;  // [N, T] frozen reference, or undefined when kl_coef == 0
  at::Tensor advantages;    // [N]
  at::Tensor mask;          // [N, T] bool: completion tokens
};

struct PolicyLossOptions {
  LossAggregation aggregation = LossAggregation::SequenceSum;
  double clip_epsilon = 0.2;
  double kl_coef = 0.0;
  // Normalisers for the whole batch, so that micro-batches add up to the full-batch loss.
  double total_sequences = 0;      // SequenceSum, SequenceMean, Constant
  double total_tokens = 0;         // TokenMean
  double max_completion_length = 0;  // Constant
};

struct PolicyLossOutput {
  at::Tensor loss;       // scalar, this micro-batch's share of the batch loss
  double clipped_tokens = 0;
  double kl_sum = 0;     // summed over tokens (for logging)
};

PolicyLossOutput policy_loss(const PolicyLossInputs& inputs, const PolicyLossOptions& options);

}  // namespace soar
