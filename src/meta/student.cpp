#include "meta/student.h"

#include <cmath>

#include "core/error.h"

namespace soar::meta {

SuccessEstimate measure_success(CausalLMImpl& policy, const std::vector<Problem>& problems, const PromptEncoder& encode,
                                const Detokenizer& detokenize, const RewardFunction& correct, int64_t samples_per_problem,
                                const SamplingParams& sampling, const EvalRolloutLine& rollout_line) {
  EvalOptions options;
  options.samples_per_problem = samples_per_problem;
  options.ks = {1};
  options.sampling = sampling;
  options.max_batch_sequences = 256;
  options.bootstrap_resamples = 1;
  EvalReport report = evaluate(policy, problems, encode, detokenize, correct, options,
                               {.show_progress = false, .rollout_line = rollout_line});
  SuccessEstimate estimate;
  for (const auto& r : report.problems) {
    estimate.rollouts += r.rollouts;
    double rate = static_cast<double>(r.successes) / static_cast<double>(r.samples);
    estimate.per_problem.push_back(rate);
    estimate.mean += rate;
    estimate.samples += r.samples;
  }
  if (!estimate.per_problem.empty()) estimate.mean /= static_cast<double>(estimate.per_problem.size());
  estimate.generated_tokens = report.generated_tokens;
  return estimate;
}

Improvement paired_improvement(const SuccessEstimate& student, const SuccessEstimate& baseline) {
  const size_t m = student.per_problem.size();
  if (m == 0 || m != baseline.per_problem.size()) fail("a grounded reward needs both success estimates on the same problems");
  Improvement out;
  out.reward = student.mean - baseline.mean;
  if (m > 1) {
    double sum_sq = 0;
    for (size_t j = 0; j < m; ++j) {
      double d = student.per_problem[j] - baseline.per_problem[j] - out.reward;
      sum_sq += d * d;
    }
    out.standard_error = std::sqrt(sum_sq / static_cast<double>(m - 1) / static_cast<double>(m));
  }
  return out;
}

std::vector<double> train_student(CausalLMImpl& student, const std::vector<Problem>& dataset, const PromptEncoder& encode,
                                  const Detokenizer& detokenize, const RewardFunction& reward,
                                  const InnerLoopConfig& config, uint64_t seed, CausalLMImpl* reference,
                                  const RLRolloutLog* rollout_log) {
  std::vector<double> rewards;
  if (dataset.empty()) return rewards;  // an empty dataset leaves the student as it was
  // A fresh optimizer per inner loop: every student starts from the baseline's weights only.
  TrainerConfig trainer_config = config.trainer;
  trainer_config.total_steps = config.steps;
  PolicyTrainer trainer(student, trainer_config, trainer_config.kl_coef > 0 ? reference : nullptr);
  RLLoopOptions loop{.steps = config.steps,
                     .prompts_per_step = config.prompts_per_step,
                     .samples_per_prompt = config.samples_per_prompt,
                     .sampling = config.sampling,
                     .seed = seed,
                     .rollout_log = rollout_log};
  loop.sampling.seed = seed;
  run_rl(student, trainer, dataset, encode, detokenize, reward, loop, 0,
         [&](const RLStepResult& r) { rewards.push_back(r.train.mean_reward); });
  return rewards;
}

}  // namespace soar::meta
