#include "rl/evaluate.h"

#include <chrono>

#include "core/error.h"
#include "core/progress.h"
#include "core/seed.h"

namespace soar {

std::map<int64_t, Interval> aggregate_pass_at_k(const std::vector<ProblemResult>& results, const std::vector<int64_t>& ks,
                                                int resamples, double confidence, uint64_t seed) {
  std::map<int64_t, Interval> out;
  if (results.empty()) return out;
  for (int64_t k : ks) {
    std::vector<double> values;
    for (const auto& r : results) values.push_back(pass_at_k(r.samples, r.successes, k));
    out[k] = bootstrap_mean(values, resamples, confidence, derive_seed(seed, cat("bootstrap/pass@", k)));
  }
  return out;
}

EvalReport evaluate(CausalLMImpl& model, const std::vector<Problem>& problems, const PromptEncoder& encode,
                    const Detokenizer& detokenize, const RewardFunction& reward, const EvalOptions& options,
                    const EvalCallbacks& callbacks) {
  const int64_t n = options.samples_per_problem;
  if (n <= 0) fail("samples per problem must be positive, got ", n);
  for (int64_t k : options.ks) {
    if (k <= 0 || k > n) fail("pass@", k, " needs 1 <= k <= n = ", n, " samples per problem");
  }
  const auto start = std::chrono::steady_clock::now();
  const int64_t problems_per_batch = std::max<int64_t>(1, options.max_batch_sequences / n);
  Sampler sampler(model, detokenize);
  EvalReport report;
  std::optional<Progress> progress;
  if (callbacks.show_progress) progress.emplace("evaluate", static_cast<int64_t>(problems.size()), "tok");

  for (size_t first = 0; first < problems.size(); first += problems_per_batch) {
    const size_t last = std::min(problems.size(), first + static_cast<size_t>(problems_per_batch));
    bool all_done = static_cast<bool>(callbacks.already_done);
    for (size_t i = first; i < last && all_done; ++i) all_done = callbacks.already_done(problems[i]);
    if (all_done) {
      if (progress) progress->advance(static_cast<int64_t>(last - first));
      continue;
    }
    std::vector<std::vector<int32_t>> prompts;
    for (size_t i = first; i < last; ++i) {
      std::vector<int32_t> prompt = encode(problems[i]);
      for (int64_t s = 0; s < n; ++s) prompts.push_back(prompt);
    }
    SamplingParams sampling = options.sampling;
    sampling.seed = derive_seed(options.sampling.seed, cat("evaluate/batch/", first / problems_per_batch));
    std::vector<Completion> completions = sampler.generate(prompts, sampling);
    int64_t tokens = 0;
    for (size_t i = first; i < last; ++i) {
      ProblemResult result{problems[i].id, n, 0, {}};
      for (int64_t s = 0; s < n; ++s) {
        const Completion& c = completions[(i - first) * n + s];
        tokens += static_cast<int64_t>(c.tokens.size());
        if (reward(problems[i], c.text) >= options.success_threshold) ++result.successes;
        if (callbacks.keep_completions) result.completions.push_back(c.text);
      }
      if (callbacks.on_problem_done) callbacks.on_problem_done(problems[i], result);
      report.problems.push_back(std::move(result));
    }
    report.generated_tokens += tokens;
    if (progress) progress->advance(static_cast<int64_t>(last - first), tokens);
  }
  if (progress) progress->finish();
  report.pass_at_k = aggregate_pass_at_k(report.problems, options.ks, options.bootstrap_resamples, options.confidence,
                                         options.sampling.seed);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace soar
