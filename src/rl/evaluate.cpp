#include "rl/evaluate.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

#include "core/error.h"
#include "core/progress.h"
#include "core/seed.h"
#include "distributed/fault.h"

namespace soar {
namespace {

// One batch's results, serialised to go from the rank that sampled it to every rank.
struct BatchResults {
  std::vector<std::pair<size_t, ProblemResult>> problems;  // problem index, result
  int64_t tokens = 0;
};

void put_number(std::string& out, uint64_t value) { out.append(reinterpret_cast<const char*>(&value), sizeof value); }
void put_text(std::string& out, const std::string& text) {
  put_number(out, text.size());
  out += text;
}

struct Reader {
  const std::string& in;
  size_t at = 0;
  uint64_t number() {
    if (at + sizeof(uint64_t) > in.size()) fail("corrupt evaluation results received from another rank");
    uint64_t value = 0;
    std::memcpy(&value, in.data() + at, sizeof value);
    at += sizeof value;
    return value;
  }
  std::string text() {
    const uint64_t size = number();
    if (at + size > in.size()) fail("corrupt evaluation results received from another rank");
    std::string out = in.substr(at, size);
    at += size;
    return out;
  }
};

std::string encode_results(const BatchResults& results) {
  std::string out;
  put_number(out, static_cast<uint64_t>(results.tokens));
  put_number(out, results.problems.size());
  for (const auto& [index, r] : results.problems) {
    put_number(out, index);
    put_text(out, r.id);
    put_number(out, static_cast<uint64_t>(r.samples));
    put_number(out, static_cast<uint64_t>(r.successes));
    put_number(out, r.completions.size());
    for (const std::string& c : r.completions) put_text(out, c);
    put_text(out, r.rollouts);
  }
  return out;
}

BatchResults decode_results(const std::string& bytes, size_t problem_count) {
  Reader in{bytes};
  BatchResults results;
  results.tokens = static_cast<int64_t>(in.number());
  const uint64_t count = in.number();
  for (uint64_t p = 0; p < count; ++p) {
    const size_t index = in.number();
    if (index >= problem_count) fail("corrupt evaluation results received from another rank");
    ProblemResult r;
    r.id = in.text();
    r.samples = static_cast<int64_t>(in.number());
    r.successes = static_cast<int64_t>(in.number());
    const uint64_t completions = in.number();
    for (uint64_t c = 0; c < completions; ++c) r.completions.push_back(in.text());
    r.rollouts = in.text();
    results.problems.emplace_back(index, std::move(r));
  }
  return results;
}

}  // namespace

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

  dist::Group single;
  dist::Group& group = options.group != nullptr ? *options.group : single;
  const size_t batch_count = (problems.size() + static_cast<size_t>(problems_per_batch) - 1) / static_cast<size_t>(problems_per_batch);
  const size_t world = static_cast<size_t>(group.world_size());
  // Problems [first, last) of batch b.
  const auto batch_range = [&](size_t b) {
    const size_t first = std::min(problems.size(), b * static_cast<size_t>(problems_per_batch));
    return std::pair{first, std::min(problems.size(), first + static_cast<size_t>(problems_per_batch))};
  };
  // Rounds of one batch per rank; after each round every rank receives every result of the round.
  for (size_t round_first = 0; round_first < batch_count; round_first += world) {
    std::string mine;
    const size_t batch = round_first + static_cast<size_t>(group.rank());
    const auto [first, last] = batch_range(batch);
    bool all_done = static_cast<bool>(callbacks.already_done);
    for (size_t i = first; i < last && all_done; ++i) all_done = callbacks.already_done(problems[i]);
    if (batch < batch_count && !all_done) {
      dist::kill_point(group.rank(), cat("eval/batch/", batch));
      std::vector<std::vector<int32_t>> prompts;
      for (size_t i = first; i < last; ++i) {
        std::vector<int32_t> prompt = encode(problems[i]);
        for (int64_t s = 0; s < n; ++s) prompts.push_back(prompt);
      }
      SamplingParams sampling = options.sampling;
      sampling.seed = derive_seed(options.sampling.seed, cat("evaluate/batch/", batch));
      std::vector<Completion> completions = sampler.generate(prompts, sampling);
      BatchResults results;
      for (size_t i = first; i < last; ++i) {
        ProblemResult result{problems[i].id, n, 0, {}};
        for (int64_t s = 0; s < n; ++s) {
          const Completion& c = completions[(i - first) * n + s];
          results.tokens += static_cast<int64_t>(c.tokens.size());
          const double score = reward(problems[i], c.text);
          if (score >= options.success_threshold) ++result.successes;
          if (callbacks.keep_completions) result.completions.push_back(c.text);
          if (callbacks.rollout_line) result.rollouts += callbacks.rollout_line(i, problems[i], s, c, score);
        }
        results.problems.emplace_back(i, std::move(result));
      }
      mine = encode_results(results);
    }
    std::vector<std::string> gathered = group.all_gather_bytes(mine);
    for (size_t r = 0; r < gathered.size() && round_first + r < batch_count; ++r) {
      const auto [batch_first, batch_last] = batch_range(round_first + r);
      const size_t batch_size = batch_last - batch_first;
      if (gathered[r].empty()) {  // every problem of this batch was already done
        if (progress) progress->advance(static_cast<int64_t>(batch_size));
        continue;
      }
      BatchResults results = decode_results(gathered[r], problems.size());
      for (auto& [index, result] : results.problems) {
        if (callbacks.on_problem_done) callbacks.on_problem_done(problems[index], result);
        report.problems.push_back(std::move(result));
      }
      report.generated_tokens += results.tokens;
      if (progress) progress->advance(static_cast<int64_t>(batch_size), results.tokens);
    }
  }
  if (progress) progress->finish();
  report.pass_at_k = aggregate_pass_at_k(report.problems, options.ks, options.bootstrap_resamples, options.confidence,
                                         options.sampling.seed);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace soar
