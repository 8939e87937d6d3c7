#include "rl/rl_loop.h"

#include <chrono>
#include <random>

#include "core/error.h"
#include "core/seed.h"
#include "dist/fault.h"
#include "dist/tree_sum.h"

namespace soar {

void run_rl(CausalLMImpl& policy, PolicyTrainer& trainer, const std::vector<Problem>& problems,
            const PromptEncoder& encode, const Detokenizer& detokenize, const RewardFunction& reward,
            const RLLoopOptions& options, int64_t start_step,
            const std::function<void(const RLStepResult&)>& after_step) {
  if (problems.empty()) fail("RL needs at least one problem");
  if (options.prompts_per_step <= 0 || options.samples_per_prompt <= 0) fail("prompts per step and samples per prompt must be positive");
  if (options.chunks <= 0 || options.chunks > options.prompts_per_step) {
    fail("rollout chunks must be in [1, prompts per step = ", options.prompts_per_step, "], got ", options.chunks);
  }
  dist::Group single;
  dist::Group& group = options.group != nullptr ? *options.group : single;
  if (options.chunks < group.world_size()) {
    fail(options.chunks, " rollout chunks cannot keep ", group.world_size(), " processes busy: use at least as many chunks as processes");
  }
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

    // This process's chunks: each is a contiguous run of the chosen problems, sampled as one batch
    // with a seed named by (step, chunk), so which process samples it does not matter.
    RLStepResult result;
    result.step = step;
    std::vector<Rollout> rollouts;
    const dist::ChunkRange mine = dist::chunk_range(options.chunks, group.rank(), group.world_size());
    for (int64_t chunk = mine.first; chunk < mine.first + mine.count; ++chunk) {
      const dist::ChunkRange problem_range = dist::chunk_range(options.prompts_per_step, static_cast<int>(chunk), static_cast<int>(options.chunks));
      std::vector<std::vector<int32_t>> prompts;
      for (int64_t p = problem_range.first; p < problem_range.first + problem_range.count; ++p) {
        for (int64_t s = 0; s < options.samples_per_prompt; ++s) prompts.push_back(encoded[chosen[static_cast<size_t>(p)]]);
      }
      SamplingParams sampling = options.sampling;
      // One chunk keeps the stream name runs had before chunks existed.
      sampling.seed = derive_seed(options.sampling.seed, options.chunks == 1 ? cat("rl/sample/", step) : cat("rl/sample/", step, "/", chunk));
      std::vector<Completion> completions = sampler.generate(prompts, sampling);
      for (size_t i = 0; i < prompts.size(); ++i) {
        const int64_t p = problem_range.first + static_cast<int64_t>(i) / options.samples_per_prompt;
        const Problem& problem = problems[chosen[static_cast<size_t>(p)]];
        Completion& c = completions[i];
        result.generated_tokens += static_cast<int64_t>(c.tokens.size());
        rollouts.push_back({prompts[i], std::move(c.tokens), std::move(c.logprobs), reward(problem, c.text), p, chunk});
      }
    }
    auto t1 = clock::now();
    dist::kill_point(group.rank(), cat("rl/step/", step, "/sampled"));
    at::Tensor tokens = at::tensor({result.generated_tokens}, at::kLong);
    group.all_reduce_sum(tokens);
    result.generated_tokens = tokens.item<int64_t>();

    result.train = trainer.step(rollouts, {options.chunks, &group});
    auto t2 = clock::now();
    result.sample_seconds = std::chrono::duration<double>(t1 - t0).count();
    result.train_seconds = std::chrono::duration<double>(t2 - t1).count();
    if (after_step) after_step(result);
  }
}

}  // namespace soar
