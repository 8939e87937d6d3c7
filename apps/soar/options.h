// Command-line options shared by the soar subcommands, and their translation into library structs.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>

#include "data/problems.h"
#include "rl/reward.h"
#include "run/policy_dir.h"
#include "sampling/sampler.h"

namespace soar::app {

struct PolicyOptions {
  std::string model_dir;
  std::string device = "cpu";
  std::string dtype = "auto";  // auto: float32 on CPU, bfloat16 on CUDA
  void add(CLI::App& command);
  Policy load() const;
};

struct ProblemOptions {
  std::string path;
  bool skip_bad_lines = false;
  void add(CLI::App& command, const std::string& flag = "--problems");
  std::vector<Problem> load() const;
};

// How problems become prompts and how completions are scored.
struct PromptOptions {
  std::string template_text = "{problem}";
  std::string chat = "none";
  std::string system;
  std::string reward = "exact";
  void add(CLI::App& command);
  PromptFormat format() const;
  RewardFunction reward_function() const;
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
};

// Creates the output directory (and parents); errors name it.
void prepare_output_dir(const std::filesystem::path& dir);

}  // namespace soar::app
