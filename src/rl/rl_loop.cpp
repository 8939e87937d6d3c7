#include "rl/rl_loop.h"

#include <chrono>
#include <random>

#include "core/error.h"
#include "core/seed.h"

namespace soar {

void run_rl(CausalLMImpl& policy, PolicyTrainer& trainer, const std::vector<Problem>& problems,
            const PromptEncoder& encode, const Detokenizer& detokenize, const RewardFunction& reward,
            const RLLoopOptions& options, int64_t start_step,
            const std::function<void(const RLStepResult&)>& after_step) {
  if (problems.empty()) fail("RL needs at least one problem");
  if (options.prompts_per_step <= 0 || options.samples_per_prompt <= 0) fail("prompts per step and samples per prompt must be positive");
  Sampler sampler(policy, detokenize);
  std::vector<std::vector<int32_t>> encoded;
  for (const Problem& p : problems) encoded.push_back(encode(p));

  for (int64_t step = start_step; step < options.steps; ++step) {
    using clock = std::chrono::steady_clock;
    auto t0 = clock::now();
    // Problems for this step: a fresh permutation per step, from the step's own stream.
    std::mt19937_64 rng(derive_seed(options.seed, cat("rl/problems/", step)));
    std::vector<size_t> order(problems.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<size_t> chosen;
    for (int64_t i = 0; i < options.prompts_per_step; ++i) chosen.push_back(order[static_cast<size_t>(i) % order.size()]);

    std::vector<std::vector<int32_t>> prompts;
    for (size_t index : chosen) {
      for (int64_t s = 0; s < options.samples_per_prompt; ++s) prompts.push_back(encoded[index]);
    }
    SamplingParams sampling = options.sampling;
    sampling.seed = derive_seed(options.sampling.seed, cat("rl/sample/", step));
    std::vector<Completion> completions = sampler.generate(prompts, sampling);
    auto t1 = clock::now();

    RLStepResult result;
    result.step = step;
    std::vector<Rollout> rollouts;
    for (size_t i = 0; i < prompts.size(); ++i) {
      const Problem& problem = problems[chosen[i / options.samples_per_prompt]];
      Completion& c = completions[i];
      result.generated_tokens += static_cast<int64_t>(c.tokens.size());
      rollouts.push_back({prompts[i], std::move(c.tokens), std::move(c.logprobs), reward(problem, c.text),
                          static_cast<int64_t>(i / options.samples_per_prompt)});
    }
    result.train = trainer.step(rollouts);
    auto t2 = clock::now();
    result.sample_seconds = std::chrono::duration<double>(t1 - t0).count();
    result.train_seconds = std::chrono::duration<double>(t2 - t1).count();
    if (after_step) after_step(result);
  }
}

}  // namespace soar
