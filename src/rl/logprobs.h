// Per-token log-probabilities of completions under a policy, computed the way the sampler
// computes them (log_softmax of logits / temperature), only at completion positions.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <vector>

#include "model/causal_lm.h"
#include "model/shared_prefix.h"
#include "rl/rollout.h"

namespace soar {

// The rollouts of a micro-batch whose rows share prompts, for CausalLMImpl::hidden_states_shared_prefix:
// each distinct prompt but its last token is a prefix, computed once; a row's suffix is the
// prompt's last token and the completion but its last token, so that suffix position j predicts
// completion token j.
struct SharedPrompts {
  SharedPrefixBatch batch;
  at::Tensor predicts;  // [N, S] bool: suffix position j predicts a completion token
  at::Tensor targets;   // [N, S] int64: that token
};

// Right-padded [prompt, completion, pad] sequences of a list of rollouts.
struct PackedRollouts {
  at::Tensor input_ids;        // [N, L] int64
  at::Tensor attention_mask;   // [N, L] int64, 1 = real token
  at::Tensor completion_mask;  // [N, L - 1] bool: position t predicts a completion token at t + 1
  at::Tensor targets;          // [N, L - 1] int64: the token at t + 1
  std::optional<SharedPrompts> shared;  // set where the log-probs are computed with shared prompts
};

// With share_prompts, rows with the same prompt (of at least 2 tokens) are also laid out to share
// it (PackedRollouts::shared) when there are fewer distinct prompts than rows.
PackedRollouts pack_rollouts(const std::vector<const Rollout*>& rollouts, at::Device device, bool share_prompts = false);

// [N, L - 1] float32 log-probabilities of the targets (0 outside completion_mask). Differentiable
// when called with grad enabled. temperature <= 0 means 1 (greedy sampling reports T = 1 values).
// Uses the shared prompts where the batch has them, except for a policy with activation
// checkpointing under grad (checkpointing covers the whole-row forward only).
at::Tensor completion_logprobs(CausalLMImpl& policy, const PackedRollouts& batch, double temperature);

}  // namespace soar
