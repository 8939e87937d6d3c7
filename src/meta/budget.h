// What one outer step of a SOAR run samples and trains, from its configuration alone (soar.md,
// "Cost"): printed by `soar meta --dry-run` and used for the paper-scale cost in docs/benchmarks.md.
#pragma once

#include <cstdint>
#include <string>

#include "meta/meta_loop.h"

namespace soar::meta {

struct StageBudget {
  int64_t sequences = 0;   // sampled (or, for training, trained) sequences
  int64_t max_tokens = 0;  // their generated tokens at most: sequences x the stage's token budget
};

struct StepBudget {
  StageBudget teacher;        // g n accepted rollouts (more when some are rejected: divide by the acceptance rate)
  StageBudget inner_sampled;  // g r inner loops x K steps x batch x group
  StageBudget inner_trained;  // the same sequences, each one forward and backward (plus a reference forward with KL)
  StageBudget measure;        // Q_R answers: (1 + g r) M samples, or the intrinsic teachers' g n x samples
  StageBudget promotion;      // a promoted student is trained again on its owner rank: one inner loop
  int64_t inner_loops = 0;
  int64_t inner_steps = 0;    // K, or K + promoted_extra_steps after the first promotion
};

// `promoted`: the budget of a step after the first promotion (K + extra inner steps, and the
// retraining of a promoted student); `oracle`: the datasets come from a generator, not the teacher.
StepBudget outer_step_budget(const MetaConfig& config, bool promoted, bool oracle = false);

// A table of the budget, one stage a line, for people.
std::string describe_budget(const StepBudget& budget);

}  // namespace soar::meta
