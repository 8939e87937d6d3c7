// Command-line options shared by the soar subcommands, and their translation into library structs.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>

#include "core/output_path.h"
#include "data/problems.h"
#include "distributed/group.h"
#include "rl/reward.h"
#include "rl/rollout_log.h"
#include "run/policy_dir.h"
#include "sampling/sampler.h"

namespace soar::app {

// Parse-time bounds of numeric options. CLI11's PositiveNumber and Range accept NaN (every
// comparison with NaN is false) and say little; these refuse non-finite values and name the bound.
CLI::Validator at_least(double low);                // [low, inf)
CLI::Validator above(double low);                   // (low, inf)
CLI::Validator between(double low, double high);    // [low, high]
CLI::Validator above_up_to(double low, double high);  // (low, high]
CLI::Validator any_finite();                            // any finite number

struct PolicyOptions {
  std::string model_dir;
  std::string device = "cpu";
  std::string dtype = "auto";  // auto: float32 on CPU, bfloat16 on CUDA
  void add(CLI::App& command);
  // The device and dtype the flags ask for (the device only named, not checked to exist).
  LoadOptions load_options() const;
  Policy load() const;
};

struct ProblemOptions {
  std::string path;
  bool skip_bad_lines = false;
  void add(CLI::App& command, const std::string& flag = "--problems");
  std::vector<Problem> load() const;
  // The problems whose prompt and `max_new_tokens` fit the model's context, checked before any
  // sampling: one that does not is an error naming its id, or with --skip-bad-lines is skipped and
  // reported.
  std::vector<Problem> fitting(std::vector<Problem> problems, const Policy& policy, const PromptFormat& format,
                               int64_t max_new_tokens) const;
};

// How problems become prompts and how completions are scored.
struct PromptOptions {
  std::string template_text = "{problem}";
  std::string chat = "auto";
  std::string system;
  std::string reward = "exact";
  void add(CLI::App& command);
  PromptFormat format(const Policy& policy) const;  // --chat auto reads policy.dir's chat template
  RewardFunction reward_function() const;       // what RL trains on
  RewardFunction correctness_function() const;  // 1 or 0: what evaluation and mining count as solved
  JudgeFunction judge_function() const;          // verdicts and extracted answers for the rollout logs
};

struct SamplingOptions {
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t top_k = 0;
  int64_t max_new_tokens = 256;
  uint64_t seed = 0;
  std::vector<std::string> stop;
  void add(CLI::App& command);
  SamplingParams params(const Policy& policy) const;
};

// What every "model on a problem set" command takes: the policy, the problems, the prompt and
// reward, sampling, and where the output goes.
struct JobOptions {
  PolicyOptions policy;
  ProblemOptions problems;
  PromptOptions prompt;
  SamplingOptions sampling;
  std::string out;
  void add(CLI::App& command, const std::string& out_help);
  // Refuses an --out that is not a `kind` or is the problem file or model (core/output_path.h).
  void check_out(OutputKind kind) const;
  // --problems, each checked to fit the model's context with --max-new-tokens (ProblemOptions::fitting).
  std::vector<Problem> load_problems(const Policy& policy) const;
};

// Joins the distributed run this process was started in (RANK/WORLD_SIZE/... from torchrun or
// `soar launch`); a plain invocation gets a group of one. On CUDA, rank r of a host uses
// cuda:LOCAL_RANK (the policy's device is rewritten before it is loaded).
std::unique_ptr<dist::Group> join_run(PolicyOptions& policy);

// Throws soar::Error naming the ranks whose `fingerprint` (of what they loaded) differs from
// rank 0's, e.g. a resumed checkpoint that is not on every host.
void require_same_on_all_ranks(dist::Group& group, const std::string& what, const std::string& fingerprint);
// A fingerprint of a model's parameters (their bytes, hashed).
std::string parameter_fingerprint(CausalLMImpl& model);

// `--samples` (samples per problem) with `-n` as in eval and sample, and the old spelling `-K`
// (which in `soar meta` is the paper's K, inner steps) kept as an alias that warns.
void add_samples_per_problem_option(CLI::App& command, int64_t& samples, const std::string& help);

// Which completions a run keeps in its rollout logs (rl/rollout_log.h, docs/usage.md "Rollouts").
struct RolloutOptions {
  int64_t every = 1, sample = 0;
  // `step`: what the command's step is ("step", "outer step"); empty for eval, which has one
  // "step" and takes --rollouts-sample only.
  void add(CLI::App& command, const std::string& step);
  RolloutSelection selection(uint64_t seed) const { return {every, sample, seed}; }
};

// Creates the output directory (and parents); errors name it.
void prepare_output_dir(const std::filesystem::path& dir);

}  // namespace soar::app
