// Plain RLVR: each step samples k completions for a batch of problems, scores them with the
// reward function and takes one trainer step. SOAR's inner loops and the "hard-only" baseline are
// this loop with different problems and rewards.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "rl/evaluate.h"
#include "rl/rollout_log.h"
#include "rl/rollout_stats.h"
#include "rl/trainer.h"

namespace soar {

// A two-phase curriculum: steps [0, steps) draw their problems from `problems`, the later steps
// from run_rl's own problems. The phase is a function of the step alone, so resuming inside
// either phase, and every process of a distributed run, see the same switch.
struct RLCurriculum {
  std::vector<Problem> problems;
  int64_t steps = 0;
};

// Keeping the completions of the steps `select` keeps (rl/rollout_log.h).
struct RLRolloutLog {
  RolloutSelection select;
  JudgeFunction judge;
  // Called on the group's root with a kept step's JSON lines (1-based step): every process's
  // records, gathered in chunk order.
  std::function<void(int64_t step, const std::string& lines)> write;
};

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
  std::optional<RLCurriculum> curriculum;  // nullopt: every step draws from run_rl's problems
  const RLRolloutLog* rollout_log = nullptr;  // nullptr: no completion is kept
};

struct RLStepResult {
  int64_t step = 0;           // 0-based index of the step just taken
  bool from_curriculum = false;  // its problems came from options.curriculum (the first phase)
  TrainStats train;
  RolloutStats rollouts;         // over all processes
  int64_t generated_tokens = 0;  // over all processes
  double sample_seconds = 0;     // this process's
  double train_seconds = 0;
};

// The problems step `step` draws: `count` indices into a set of `set_size` problems, a fresh
// permutation per step from the stream derive_seed(seed, "rl/problems/<step>"), cycled when
// count > set_size. Both curriculum phases use this stream, so after the switch a curriculum run
// draws exactly what a run on the second phase's problems alone would draw at that step.
std::vector<size_t> draw_problem_indices(size_t set_size, uint64_t seed, int64_t step, int64_t count);

// The problem set of a mixed run: `first` then `second`, ids kept. Throws soar::Error naming both
// sets (`first_name`, `second_name`: e.g. their files) and the id when an id appears in both.
std::vector<Problem> concatenate_problem_sets(const std::vector<Problem>& first, const std::string& first_name,
                                              const std::vector<Problem>& second, const std::string& second_name);

// Runs steps [start_step, options.steps). Every random choice of step s depends only on the seed and
// s, so a run resumed at s (with the model and optimizer state saved after step s - 1) continues
// exactly as the uninterrupted run. `after_step` sees each step's result (metrics, checkpoints).
void run_rl(CausalLMImpl& policy, PolicyTrainer& trainer, const std::vector<Problem>& problems,
            const PromptEncoder& encode, const Detokenizer& detokenize, const RewardFunction& reward,
            const RLLoopOptions& options, int64_t start_step,
            const std::function<void(const RLStepResult&)>& after_step);

}  // namespace soar
