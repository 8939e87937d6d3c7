// `soar train-rl`'s run: loading, resuming, the RL loop with metrics, evaluations and checkpoints,
// the final model. cmd_train_rl.cpp declares the options.
#pragma once

#include <optional>
#include <string>

#include "options.h"
#include "recipe.h"
#include "run_start.h"
#include "rl/rl_loop.h"

namespace soar::app {

// What --synthetic adds to a run: the file, how it is combined with --problems, and the curriculum's
// first-phase length.
struct SyntheticOptions {
  std::string path;
  std::string mix = "curriculum";
  int64_t steps = 64;
  void add(CLI::App& command);
  // Refuses combinations that would silently do something else, before anything is loaded or written.
  void check(const CLI::App& command, int64_t total_steps) const;
  // Loads the synthetic problems into the loop: a curriculum's first phase, or the front of a mixed
  // problem set (ids must then differ from those of --problems).
  void apply(const ProblemOptions& real, std::vector<Problem>& problems, RLLoopOptions& loop, bool root) const;
  // The "phase" of a step's metrics record; nullopt without --synthetic (records as before).
  std::optional<std::string> phase(const RLStepResult& r) const;
};

struct TrainRlOptions {
  JobOptions job;
  TrainerConfig trainer;
  RLLoopOptions loop;
  std::string estimator = "rloo", aggregation = "seq-sum";
  SyntheticOptions synthetic;
  RolloutOptions rollouts;
  std::string eval_problems;
  int64_t eval_every = 0, eval_samples = 8, checkpoint_every = 10;
  ResumeOptions resume;
  RunRecipe recipe;  // the resolved configuration, written to OUT/config.toml
};

// Runs (or resumes) the RL run in options.job.out.
void run_train_rl(const TrainRlOptions& options);

}  // namespace soar::app
