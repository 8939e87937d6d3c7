// Plain RLVR: each step samples k completions for a batch of problems, scores them with the
// reward function and takes one trainer step. SOAR's inner loops and the "hard-only" baseline are
// this loop with different problems and rewards.
#pragma once

#include <functional>

#include "rl/evaluate.h"
#include "rl/trainer.h"

namespace soar {

struct RLLoopOptions {
  int64_t steps = 100;
  int64_t prompts_per_step = 16;
  int64_t samples_per_prompt = 8;  // k
  SamplingParams sampling;         // its seed is the run seed; each step derives its own
  uint64_t seed = 0;               // which problems each step draws
  // Each step's problems are cut into this many fixed chunks, each sampled as its own batch from
  // its own stream; processes share the chunks (trainer.h StepLayout). The same value gives the
  // same run at every world size W with W a power of two dividing it.
  int64_t chunks = 1;
  dist::Group* group = nullptr;    // nullptr: this process alone
};

struct RLStepResult {
  int64_t step = 0;           // 0-based index of the step just taken
  TrainStats train;
  int64_t generated_tokens = 0;  // over all processes
  double sample_seconds = 0;     // this process's
  double train_seconds = 0;
};

// Runs steps [start_step, options.steps). Every random choice of step s depends only on the seed and
// s, so a run resumed at s (with the model and optimizer state saved after step s - 1) continues
// exactly as the uninterrupted run. `after_step` sees each step's result (metrics, checkpoints).
void run_rl(CausalLMImpl& policy, PolicyTrainer& trainer, const std::vector<Problem>& problems,
            const PromptEncoder& encode, const Detokenizer& detokenize, const RewardFunction& reward,
            const RLLoopOptions& options, int64_t start_step,
            const std::function<void(const RLStepResult&)>& after_step);

}  // namespace soar
