#include "meta/budget.h"

#include <iomanip>
#include <sstream>

namespace soar::meta {

StepBudget outer_step_budget(const MetaConfig& config, bool promoted, bool oracle) {
  const int64_t g = config.datasets, n = config.questions, r = config.students;
  StepBudget b;
  if (!oracle) b.teacher = {g * n, g * n * config.teacher_sampling.max_new_tokens};
  const int64_t student_tokens = config.inner.sampling.max_new_tokens;
  if (is_intrinsic(config.teacher_reward)) {
    b.measure = {g * n * config.intrinsic_samples, g * n * config.intrinsic_samples * config.intrinsic_sampling.max_new_tokens};
    return b;
  }
  b.inner_steps = config.inner.steps + (promoted ? config.promoted_extra_steps : 0);
  b.inner_loops = g * r;
  const int64_t per_loop = b.inner_steps * config.inner.prompts_per_step * config.inner.samples_per_prompt;
  b.inner_sampled = {b.inner_loops * per_loop, b.inner_loops * per_loop * student_tokens};
  b.inner_trained = b.inner_sampled;
  const int64_t answers = (1 + g * r) * config.reward_problems * config.reward_samples;
  b.measure = {answers, answers * config.measure_sampling.max_new_tokens};
  if (promoted) b.promotion = {per_loop, per_loop * student_tokens};
  return b;
}

std::string describe_budget(const StepBudget& b) {
  std::ostringstream out;
  auto line = [&](const char* stage, const StageBudget& s, const std::string& note) {
    out << "  " << std::left << std::setw(26) << stage << std::right << std::setw(12) << s.sequences << " sequences  ≤ "
        << std::setw(14) << s.max_tokens << " tokens  " << note << "\n";
  };
  line("teacher rollouts", b.teacher, "(accepted; divide by the acceptance rate for all drawn)");
  line("inner-loop samples", b.inner_sampled, "(" + std::to_string(b.inner_loops) + " loops x " + std::to_string(b.inner_steps) + " steps)");
  line("inner-loop training", b.inner_trained, "(forward + backward)");
  line("accuracy measurements", b.measure, "");
  if (b.promotion.sequences > 0) line("promotion (retrain)", b.promotion, "(on a step that promotes)");
  return out.str();
}

}  // namespace soar::meta
