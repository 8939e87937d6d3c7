// `soar meta`'s run: loading the policy, wiring the domain (math or testbed), resuming, and writing
// the run directory after every outer step. cmd_meta.cpp declares and validates the options.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "domains/math/math_domain.h"
#include "domains/testbed/domain.h"
#include "meta/meta_loop.h"
#include "options.h"
#include "recipe.h"
#include "run_start.h"

namespace soar::app {

struct MetaOptions {
  PolicyOptions policy;
  ProblemOptions train;
  PromptOptions student_prompt;  // --domain math: the student's prompt and reward
  std::string teacher_prompt = std::string(meta::kMathTeacherPrompt);
  std::string out, domain = "testbed", teacher_reward = "grounded";
  std::string oracle_levels, corrupt = "none";
  testbed::StudentTask student_task = testbed::StudentTask::sum;  // --domain testbed
  int64_t teacher_max_new_tokens = 0;  // 0: the domain's (math 512, the paper's; testbed: one item)
  int64_t student_max_tokens = 0;      // 0: the domain's (math 1,024, the paper's; testbed 16)
  double teacher_lr = 1e-5, student_lr = 1e-5, min_lr_ratio = 0.0;
  int64_t teacher_warmup = 20, student_warmup = 0;
  double teacher_kl = 0.001, student_kl = 0.001;
  double temperature = 1.0, measure_temperature = 0.0;
  RolloutOptions rollouts;
  bool dry_run = false;
  ResumeOptions resume;
  RunRecipe recipe;         // the resolved configuration (written to OUT/config.toml)
  meta::MetaConfig config;  // the loop's options as parsed; resolved into a full config by cmd_meta
};

// Whether the run trains its teacher, and whether it keeps the initial model as a KL anchor.
bool teacher_trained(const MetaOptions& options, const meta::MetaConfig& config);
bool needs_reference(const MetaOptions& options, const meta::MetaConfig& config);

// The run's configuration as written first into metrics.jsonl (and printed by --dry-run).
nlohmann::json config_json(const MetaOptions& options, const meta::MetaConfig& config);

// Runs (or resumes) the SOAR run `config` (resolved from `options`) in options.out.
void run_meta_command(const MetaOptions& options, const meta::MetaConfig& config);

}  // namespace soar::app
