// Evaluation with n samples per problem: per-problem success counts, unbiased pass@k for each k,
// and the mean over problems with a bootstrap confidence interval. Hard-set mining is evaluation
// with n = K whose per-problem counts go to a resumable log.
#pragma once

#include <functional>
#include <map>
#include <vector>

#include "data/problems.h"
#include "distributed/group.h"
#include "model/causal_lm.h"
#include "rl/pass_at_k.h"
#include "rl/reward.h"
#include "sampling/sampler.h"

namespace soar {

// Turns a problem into prompt tokens (template, chat format, tokenizer: the caller's choice).
using PromptEncoder = std::function<std::vector<int32_t>(const Problem&)>;

struct EvalOptions {
  int64_t samples_per_problem = 8;      // n
  std::vector<int64_t> ks = {1};        // each k <= n
  SamplingParams sampling;              // its seed is the run seed; batches derive their own
  int64_t max_batch_sequences = 64;     // sequences per generate() call (whole problems per batch)
  int bootstrap_resamples = 1000;
  double confidence = 0.95;
  double success_threshold = 0.5;       // a sample counts as solved when its reward >= this
  // Processes sharing the work (nullptr: this one alone). Batch b goes to rank b % world size;
  // every rank ends with the whole report, identical to a one-process run.
  dist::Group* group = nullptr;
};

struct ProblemResult {
  std::string id;
  int64_t samples = 0;
  int64_t successes = 0;
  std::vector<std::string> completions;  // kept only when asked for
  std::string rollouts;                  // EvalCallbacks::rollout_line's lines for its samples
};

// One sample's rollout-log line (rl/rollout_log.h), or "" to keep none: problem `index`, sample
// `sample` of it, scored `reward`.
using EvalRolloutLine = std::function<std::string(size_t index, const Problem& problem, int64_t sample,
                                                  const Completion& completion, double reward)>;

struct EvalReport {
  std::vector<ProblemResult> problems;
  std::map<int64_t, Interval> pass_at_k;  // k -> mean over problems with CI
  int64_t generated_tokens = 0;
  double seconds = 0;
};

struct EvalCallbacks {
  // Problems already done (mining resume): skipped when their whole batch is done.
  std::function<bool(const Problem&)> already_done;
  // Called as each problem finishes, in order, on every rank (mining appends to its log here).
  std::function<void(const Problem&, const ProblemResult&)> on_problem_done;
  bool keep_completions = false;
  bool show_progress = true;
  EvalRolloutLine rollout_line;  // called on the rank that sampled; the lines reach every rank
};

// Problems are cut into fixed batches by their index, and each batch's sampling seed is derived
// from the run seed and the batch index, so a resumed run samples exactly what an uninterrupted
// one would, and any number of processes sample exactly what one would.
EvalReport evaluate(CausalLMImpl& model, const std::vector<Problem>& problems, const PromptEncoder& encode,
                    const Detokenizer& detokenize, const RewardFunction& reward, const EvalOptions& options,
                    const EvalCallbacks& callbacks = {});

// Mean pass@k over problems with a bootstrap interval, from per-problem counts.
std::map<int64_t, Interval> aggregate_pass_at_k(const std::vector<ProblemResult>& results, const std::vector<int64_t>& ks,
                                                int resamples, double confidence, uint64_t seed);

}  // namespace soar
