// Checkpoints of an RL run: the policy (an ordinary HF model directory), the optimizer state and
// the next step, replaced atomically so that kill -9 at any moment leaves a complete checkpoint.
#pragma once

#include <torch/optim/adamw.h>

#include <filesystem>
#include <optional>

#include "model/causal_lm.h"
#include "rl/trainer.h"

namespace soar {

// The same for a PolicyTrainer, whose optimizer file also holds its float32 master weights when
// the policy is in a lower precision, so that a resumed run continues from the exact same state.
void save_rl_checkpoint(const std::filesystem::path& dir, CausalLMImpl& policy, PolicyTrainer& trainer,
                        int64_t next_step, const std::filesystem::path& tokenizer_from);
std::optional<int64_t> load_rl_checkpoint(const std::filesystem::path& dir, CausalLMImpl& policy, PolicyTrainer& trainer);

// Writes DIR.tmp, then swaps it in for DIR. `tokenizer_from` (may be empty) supplies tokenizer files.
void save_rl_checkpoint(const std::filesystem::path& dir, CausalLMImpl& policy, torch::optim::AdamW& optimizer,
                        int64_t next_step, const std::filesystem::path& tokenizer_from);

// Restores policy and optimizer in place and returns the next step, or nullopt if there is no
// checkpoint. A run killed between the two renames of a save leaves DIR.old, which is used.
std::optional<int64_t> load_rl_checkpoint(const std::filesystem::path& dir, CausalLMImpl& policy,
                                          torch::optim::AdamW& optimizer);

}  // namespace soar
