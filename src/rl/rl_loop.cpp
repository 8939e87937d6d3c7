#include "rl/rl_loop.h"

#include <chrono>
#include <random>
#include <unordered_map>

#include "core/error.h"
#include "core/seed.h"
#include "distributed/fault.h"
#include "rl/rollout_stats.h"
#include "distributed/tree_sum.h"

namespace soar {

std::vector<size_t> draw_problem_indices(size_t set_size, uint64_t seed, int64_t step, int64_t count) {
  if (set_size == 0) fail("cannot draw problems from an empty set");
  std::mt19937_64 rng(derive_seed(seed, cat("rl/problems/", step)));
  std::vector<size_t> order(set_size);
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<size_t> chosen;
  for (int64_t i = 0; i < count; ++i) chosen.push_back(order[static_cast<size_t>(i) % order.size()]);
  return chosen;
}

std::vector<Problem> concatenate_problem_sets(const std::vector<Problem>& first, const std::string& first_name,
                                              const std::vector<Problem>& second, const std::string& second_name) {
  std::unordered_map<std::string_view, size_t> first_ids;
  for (size_t i = 0; i < first.size(); ++i) first_ids.emplace(first[i].id, i);
  for (const Problem& p : second) {
    if (first_ids.count(p.id) != 0) {
      fail("problem id '", p.id, "' is in both ", first_name, " and ", second_name,
           ": a mixed problem set needs distinct ids (rename the ids of one file)");
    }
  }
  std::vector<Problem> all = first;
  all.insert(all.end(), second.begin(), second.end());
  return all;
}

namespace {

struct EncodedSet {
  const std::vector<Problem>* problems;
  std::vector<std::vector<int32_t>> prompts;
};

EncodedSet encode_set(const std::vector<Problem>& problems, const PromptEncoder& encode) {
  EncodedSet set{&problems, {}};
  for (const Problem& p : problems) set.prompts.push_back(encode(p));
  return set;
}

void check_options(const std::vector<Problem>& problems, const RLLoopOptions& options, const dist::Group& group) {
  if (problems.empty()) fail("RL needs at least one problem");
  if (options.curriculum && options.curriculum->problems.empty()) {
    fail("the curriculum's first phase needs at least one problem");
  }
  if (options.curriculum && options.curriculum->steps < 0) {
    fail("the curriculum's first phase cannot last ", options.curriculum->steps, " steps");
  }
  if (options.prompts_per_step <= 0 || options.samples_per_prompt <= 0) fail("prompts per step and samples per prompt must be positive");
  if (options.chunks <= 0 || options.chunks > options.prompts_per_step) {
    fail("rollout chunks must be in [1, prompts per step = ", options.prompts_per_step, "], got ", options.chunks);
  }
  if (options.chunks < group.world_size()) {
    fail(options.chunks, " rollout chunks cannot keep ", group.world_size(), " processes busy: use at least as many chunks as processes");
  }
}

// Samples and scores this process's chunks of one step: each chunk is a contiguous run of the
// chosen problems, sampled as one batch with a seed named by (step, chunk), so which process
// samples it does not matter. Adds the tokens generated to `generated_tokens`; with `kept`, keeps
// each rollout's completion there too (its text and finish reason; the tokens moved to the rollout).
std::vector<Rollout> sample_chunks(Sampler& sampler, const EncodedSet& set, const std::vector<size_t>& chosen,
                                   const RewardFunction& reward, const RLLoopOptions& options, dist::Group& group,
                                   int64_t step, int64_t& generated_tokens, std::vector<Completion>* kept) {
  std::vector<Rollout> rollouts;
  const dist::ChunkRange mine = dist::chunk_range(options.chunks, group.rank(), group.world_size());
  for (int64_t chunk = mine.first; chunk < mine.first + mine.count; ++chunk) {
    const dist::ChunkRange problem_range = dist::chunk_range(options.prompts_per_step, static_cast<int>(chunk), static_cast<int>(options.chunks));
    std::vector<std::vector<int32_t>> prompts;
    for (int64_t p = problem_range.first; p < problem_range.first + problem_range.count; ++p) {
      for (int64_t s = 0; s < options.samples_per_prompt; ++s) prompts.push_back(set.prompts[chosen[static_cast<size_t>(p)]]);
    }
    SamplingParams sampling = options.sampling;
    // One chunk keeps the stream name runs had before chunks existed.
    sampling.seed = derive_seed(options.sampling.seed, options.chunks == 1 ? cat("rl/sample/", step) : cat("rl/sample/", step, "/", chunk));
    std::vector<Completion> completions = sampler.generate(prompts, sampling);
    for (size_t i = 0; i < prompts.size(); ++i) {
      const int64_t p = problem_range.first + static_cast<int64_t>(i) / options.samples_per_prompt;
      const Problem& problem = (*set.problems)[chosen[static_cast<size_t>(p)]];
      Completion& c = completions[i];
      generated_tokens += static_cast<int64_t>(c.tokens.size());
      rollouts.push_back({prompts[i], std::move(c.tokens), std::move(c.logprobs), reward(problem, c.text), p, chunk,
                          c.finish == FinishReason::Length});
      if (kept) kept->push_back({{}, {}, std::move(c.text), c.finish});
    }
  }
  return rollouts;
}

// The JSON lines of this process's rollouts of the kept problems; `completions` parallel to `rollouts`.
std::string rollout_lines(const std::vector<Rollout>& rollouts, std::vector<Completion>& completions,
                          const std::vector<double>& advantages, const EncodedSet& set, const std::vector<size_t>& chosen,
                          const RLLoopOptions& options, int64_t step) {
  const RLRolloutLog& log = *options.rollout_log;
  const std::vector<bool> kept = log.select.kept_problems(step, options.prompts_per_step);
  std::string lines;
  for (size_t i = 0; i < rollouts.size(); ++i) {
    const Rollout& r = rollouts[i];
    if (!kept[static_cast<size_t>(r.group)]) continue;
    Completion& c = completions[i];
    c.tokens = r.completion;  // for the length: only the kept ones are copied
    const RolloutRecord record{step, &(*set.problems)[chosen[static_cast<size_t>(r.group)]],
                               static_cast<int64_t>(i) % options.samples_per_prompt, &c, r.reward, advantages.at(i)};
    lines += rollout_line(rollout_json(record, log.judge));
  }
  return lines;
}

// Hands a kept step's lines of every process to the log on the root; the others send theirs.
void keep_rollouts(const std::string& mine, const RLLoopOptions& options, dist::Group& group, int64_t step) {
  if (!group.distributed()) return options.rollout_log->write(step, mine);
  std::string all;
  // Each process holds a contiguous run of chunks, so rank order is chunk order.
  for (const std::string& part : group.all_gather_bytes(mine)) all += part;
  if (group.is_root()) options.rollout_log->write(step, all);
}

}  // namespace

void run_rl(CausalLMImpl& policy, PolicyTrainer& trainer, const std::vector<Problem>& problems,
            const PromptEncoder& encode, const Detokenizer& detokenize, const RewardFunction& reward,
            const RLLoopOptions& options, int64_t start_step,
            const std::function<void(const RLStepResult&)>& after_step) {
  dist::Group single;
  dist::Group& group = options.group != nullptr ? *options.group : single;
  check_options(problems, options, group);
  require_same_temperature(trainer.config(), options.sampling.temperature, "the RL loop");
  Sampler sampler(policy, detokenize);
  const EncodedSet main_set = encode_set(problems, encode);
  const EncodedSet first_phase = options.curriculum ? encode_set(options.curriculum->problems, encode) : EncodedSet{};

  for (int64_t step = start_step; step < options.steps; ++step) {
    using clock = std::chrono::steady_clock;
    auto t0 = clock::now();
    RLStepResult result;
    result.step = step;
    // The phase, like the draw, depends on the step alone (resume and processes agree).
    result.from_curriculum = options.curriculum && step < options.curriculum->steps;
    const EncodedSet& set = result.from_curriculum ? first_phase : main_set;
    const std::vector<size_t> chosen = draw_problem_indices(set.prompts.size(), options.seed, step, options.prompts_per_step);
    const bool keep = options.rollout_log != nullptr && options.rollout_log->select.keeps_step(step + 1);
    std::vector<Completion> completions;
    std::vector<Rollout> rollouts =
        sample_chunks(sampler, set, chosen, reward, options, group, step, result.generated_tokens, keep ? &completions : nullptr);
    auto t1 = clock::now();
    dist::kill_point(group.rank(), cat("rl/step/", step, "/sampled"));
    at::Tensor tokens = at::tensor({result.generated_tokens}, at::kLong);
    group.all_reduce_sum(tokens);
    result.generated_tokens = tokens.item<int64_t>();

    result.rollouts = rollout_stats(rollouts, group);
    result.train = trainer.step(rollouts, {options.chunks, &group});
    auto t2 = clock::now();
    result.sample_seconds = std::chrono::duration<double>(t1 - t0).count();
    result.train_seconds = std::chrono::duration<double>(t2 - t1).count();
    if (keep) {
      keep_rollouts(rollout_lines(rollouts, completions, result.train.advantages, set, chosen, options, step + 1), options,
                    group, step + 1);
    }
    if (after_step) after_step(result);
  }
}

}  // namespace soar
