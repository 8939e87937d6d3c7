// A training run's checkpoint: the model (an ordinary HF model directory), the optimizer's state
// and the next step, replaced atomically so that kill -9 at any moment leaves a complete
// checkpoint. Shared by RL runs (run/rl_checkpoint.h, a PolicyTrainer's state) and the testbed's
// pretraining (a plain AdamW); each says how its optimizer state is written and read.
#pragma once

#include <torch/serialize/archive.h>

#include <filesystem>
#include <functional>
#include <optional>

#include "model/causal_lm.h"

namespace soar {

using SaveOptimizerState = std::function<void(torch::serialize::OutputArchive&)>;
using LoadOptimizerState = std::function<void(torch::serialize::InputArchive&)>;

// Writes DIR.tmp (model, optimizer.pt, state.json last), then swaps it in for DIR. `add_files`, if
// set, writes more files into the staging directory (e.g. the tokenizer's).
void save_training_checkpoint(const std::filesystem::path& dir, CausalLMImpl& model, const SaveOptimizerState& save_optimizer,
                              int64_t next_step, const std::function<void(const std::filesystem::path&)>& add_files = {});

// Restores the model and optimizer in place and returns the next step, or nullopt if there is no
// checkpoint. A run killed between the two renames of a save leaves DIR.old, which is used. A
// damaged file stops with an error naming it.
std::optional<int64_t> load_training_checkpoint(const std::filesystem::path& dir, CausalLMImpl& model,
                                                const LoadOptimizerState& load_optimizer);

}  // namespace soar
