// Checkpoints of a SOAR run after each outer step: teacher (weights + optimizer), student baseline,
// promotion window, promoted questions and the next step, swapped in atomically as one directory
// so that kill -9 at any moment leaves the last complete outer step.
#pragma once

#include "rl/trainer.h"

#include <deque>
#include <filesystem>
#include <optional>
#include <vector>

#include "data/problems.h"
#include "model/causal_lm.h"

namespace soar {

struct MetaRunState {
  int64_t next_step = 0;
  int64_t teacher_updates = 0;  // the teacher trainer's step count (its learning-rate schedule)
  int64_t promotions = 0;       // from the first on, inner loops take K + extra steps
  std::deque<double> promotion_window;
  std::vector<Problem> promoted_questions;
};

void save_meta_checkpoint(const std::filesystem::path& dir, CausalLMImpl& teacher, PolicyTrainer& teacher_trainer,
                          CausalLMImpl& student, const MetaRunState& state);

// Restores the models and optimizer in place; nullopt when there is no checkpoint.
std::optional<MetaRunState> load_meta_checkpoint(const std::filesystem::path& dir, CausalLMImpl& teacher,
                                                 PolicyTrainer& teacher_trainer, CausalLMImpl& student);

}  // namespace soar
