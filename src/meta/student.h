// The student's side of SOAR: measuring success on a sample of the hard problems, and the inner loop
// that trains a copy of the student baseline on one teacher dataset.
#pragma once

#include <vector>

#include "rl/evaluate.h"
#include "rl/rl_loop.h"
#include "rl/trainer.h"

namespace soar::meta {

struct SuccessEstimate {
  double mean = 0;                   // mean over problems of successes / samples
  std::vector<double> per_problem;   // success rate of each problem, in order
  int64_t samples = 0;
  int64_t generated_tokens = 0;
  std::string rollouts;              // the rollout log's lines, when asked for
};

// Success of `policy` on `problems` with `samples_per_problem` samples each (seeded; temperature 0
// is greedy decoding, as the paper measures Q_R). `correct` scores a completion 1 or 0.
// `rollout_line`, if set, gives the lines of SuccessEstimate::rollouts (rl/rollout_log.h).
SuccessEstimate measure_success(CausalLMImpl& policy, const std::vector<Problem>& problems, const PromptEncoder& encode,
                                const Detokenizer& detokenize, const RewardFunction& correct, int64_t samples_per_problem,
                                const SamplingParams& sampling, const EvalRolloutLine& rollout_line = {});

// Grounded teacher reward r_i = acc_i - acc_0 on the same problems, with the standard error of the
// paired per-problem differences (the two estimates share Q_t, so their noise is correlated).
struct Improvement {
  double reward = 0;
  double standard_error = 0;
};
Improvement paired_improvement(const SuccessEstimate& student, const SuccessEstimate& baseline);

struct InnerLoopConfig {
  int64_t steps = 10;              // K (the meta-loop adds promoted_extra_steps once it has promoted)
  int64_t prompts_per_step = 8;    // the paper's batch of 8 questions
  int64_t samples_per_prompt = 32; // the paper's group of 32
  TrainerConfig trainer;           // its total_steps is set to the loop's own length (cosine over it)
  SamplingParams sampling;
};

// Trains `student` in place with RLOO on `dataset` for `config.steps` steps, rewarded against the
// dataset's (the teacher's) answers, with a fresh optimizer; `reference` is the KL anchor (the
// initial model) when config.trainer.kl_coef > 0. Returns the mean reward of each step.
// `rollout_log`, if set, keeps the loop's completions (rl/rl_loop.h).
std::vector<double> train_student(CausalLMImpl& student, const std::vector<Problem>& dataset, const PromptEncoder& encode,
                                  const Detokenizer& detokenize, const RewardFunction& reward,
                                  const InnerLoopConfig& config, uint64_t seed, CausalLMImpl* reference = nullptr,
                                  const RLRolloutLog* rollout_log = nullptr);

}  // namespace soar::meta
