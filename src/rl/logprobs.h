// Per-token log-probabilities of completions under a policy, computed the way the sampler
// computes them (log_softmax of logits / temperature), only at completion positions.
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "model/causal_lm.h"
#include "rl/rollout.h"

namespace soar {

// Right-padded [prompt, completion, pad] sequences of a list of rollouts.
struct PackedRollouts {
  at::Tensor input_ids;        // [N, L] int64
  at::Tensor attention_mask;   // [N, L] int64, 1 = real token
  at::Tensor completion_mask;  // [N, L - 1] bool: position t predicts a completion token at t + 1
  at::Tensor targets;          // [N, L - 1] int64: the token at t + 1
};

PackedRollouts pack_rollouts(const std::vector<const Rollout*>& rollouts, at::Device device);

// [N, L - 1] float32 log-probabilities of the targets (0 outside completion_mask). Differentiable
// when called with grad enabled. temperature <= 0 means 1 (greedy sampling reports T = 1 values).
at::Tensor completion_logprobs(CausalLMImpl& policy, const PackedRollouts& batch, double temperature);

}  // namespace soar
