// Checkpoints of an RL run (model/training_checkpoint.h): the policy with its tokenizer files, the
// PolicyTrainer's state (its optimizer file also holds the float32 master weights when the policy
// is in a lower precision, so that a resumed run continues from the exact same state) and the next
// step.
#pragma once

#include <filesystem>
#include <optional>

#include "model/causal_lm.h"
#include "rl/trainer.h"

namespace soar {

// `tokenizer_from` (may be empty) supplies the tokenizer files.
void save_rl_checkpoint(const std::filesystem::path& dir, CausalLMImpl& policy, PolicyTrainer& trainer,
                        int64_t next_step, const std::filesystem::path& tokenizer_from);
std::optional<int64_t> load_rl_checkpoint(const std::filesystem::path& dir, CausalLMImpl& policy, PolicyTrainer& trainer);

}  // namespace soar
