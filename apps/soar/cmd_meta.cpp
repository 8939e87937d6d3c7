// soar meta: the SOAR meta-loop (../shared/docs/soar.md, docs/meta.md) on a base model and a hard
// set D_train. The teacher and the student baseline both start as copies of --model. Defaults are
// the paper's (Algorithm 1, Table 3). Writes metrics.jsonl (one record per outer step), the
// teacher's accepted rollouts and the datasets the students trained on, the promoted questions
// (PQ), every promoted student, and the final teacher and student to the run directory. After
// every outer step an atomic checkpoint; the same command run again resumes after the last
// complete step.
#include <iomanip>
#include <optional>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "domain_formats.h"
#include "meta_run.h"
#include "recipe.h"
#include "core/error.h"
#include "meta/budget.h"
#include "domains/math/math_domain.h"
#include "meta/memory_plan.h"
#include "core/stop_signal.h"
#include "options.h"
#include "run_start.h"
#include "domains/testbed/prompts.h"

namespace soar::app {
namespace {

void add_loop_options(CLI::App& command, MetaOptions& o) {
  auto& c = o.config;
  command.add_option("-T,--outer-steps", c.outer_steps, "Outer steps T")->capture_default_str()->check(at_least(1));
  command.add_option("-g,--datasets", c.datasets, "Datasets per outer step g")->capture_default_str()->check(at_least(1));
  command.add_option("-n,--questions", c.questions, "Question/answer pairs per dataset n (one per teacher rollout)")
      ->capture_default_str()->check(at_least(1));
  command.add_option("-r,--students", c.students, "Students trained per dataset r; R_k is their mean")
      ->capture_default_str()->check(at_least(1));
  command.add_option("-K,--inner-steps", c.inner.steps, "Inner RLOO steps K")->capture_default_str()->check(at_least(1));
  command.add_option("--promoted-extra-steps", c.promoted_extra_steps, "Extra inner steps once a student was promoted (K + this)")
      ->capture_default_str()->check(at_least(0));
  command.add_option("--inner-prompts", c.inner.prompts_per_step, "Questions per inner step (batch)")
      ->capture_default_str()->check(at_least(1));
  command.add_option("--inner-samples", c.inner.samples_per_prompt, "Samples per question in RLOO (group)")
      ->capture_default_str()->check(between(2, 1 << 20));
  command.add_option("--teacher-max-rounds", c.teacher_max_rounds, "Rejection-sampling rounds before a step fails")
      ->capture_default_str()->check(at_least(1));
  command.add_option("--q-size", c.reward_problems, "M = |Q_R|: D_train problems drawn each step")
      ->capture_default_str()->check(at_least(1));
  command.add_option("--q-samples", c.reward_samples, "Samples per Q_R problem (1 with greedy measurement)")
      ->capture_default_str()->check(at_least(1));
  command.add_option("--intrinsic-samples", c.intrinsic_samples, "Student samples per question for the learnability reward")
      ->capture_default_str()->check(at_least(1));
  command.add_option("--tau", c.promotion.tau, "Promotion threshold tau")->capture_default_str()->check(any_finite());
  command.add_option("--window", c.promotion.window, "Promotion moving-average window (outer steps)")
      ->capture_default_str()->check(at_least(1));
  command.add_flag("--window-restart", c.promotion.restart_window,
                   "Not in the paper: promote only on a full window, and clear it after a promotion");
  command.add_option("--seed", c.seed, "Run seed")->capture_default_str();
}

void add_training_options(CLI::App& command, MetaOptions& o) {
  command.add_option("--teacher-lr", o.teacher_lr, "Teacher learning rate")->capture_default_str()->check(above(0));
  command.add_option("--student-lr", o.student_lr, "Inner-loop learning rate")->capture_default_str()->check(above(0));
  command.add_option("--teacher-warmup", o.teacher_warmup, "Teacher warm-up steps (then cosine decay over T)")
      ->capture_default_str()->check(at_least(0));
  command.add_option("--student-warmup", o.student_warmup, "Inner-loop warm-up steps (then cosine decay over the loop)")
      ->capture_default_str()->check(at_least(0));
  command.add_option("--min-lr-ratio", o.min_lr_ratio, "Where the cosine decay ends, as a fraction of the learning rate")
      ->capture_default_str()->check(between(0, 1));
  command.add_option("--teacher-kl", o.teacher_kl, "KL coefficient to the initial model (teacher)")
      ->capture_default_str()->check(at_least(0));
  command.add_option("--student-kl", o.student_kl, "KL coefficient to the initial model (inner loops)")
      ->capture_default_str()->check(at_least(0));
  command.add_option("--temperature", o.temperature, "Sampling temperature of teacher rollouts and inner loops")
      ->capture_default_str()->check(above(0));
  command.add_option("--measure-temperature", o.measure_temperature, "Temperature of the Q_R accuracy measurement (0: greedy)")
      ->capture_default_str()->check(at_least(0));
  command.add_option("--teacher-max-new-tokens", o.teacher_max_new_tokens,
                     "Token budget of a teacher rollout (0: the domain's: math 512, testbed one item)")
      ->capture_default_str()->check(at_least(0));
  command.add_option("--student-max-tokens", o.student_max_tokens,
                     "Token budget of a student answer (0: the domain's: math 1024, testbed 16)")
      ->capture_default_str()->check(at_least(0));
}

void add_task_options(CLI::App& command, MetaOptions& o) {
  o.policy.add(command);
  o.train.add(command, "--train");
  command.add_option("--out", o.out, "Run directory")->required();
  command.add_option("--domain", o.domain,
                     "Teacher/student formats: testbed (the built-in world) or math (a real model and a JSONL hard "
                     "set, answers judged by the math verifier)")
      ->capture_default_str();
  o.student_prompt.reward = "math-shaped";  // the math domain's default (the paper's); the testbed has its own
  o.student_prompt.add(command);
  command.add_option("--teacher-prompt", o.teacher_prompt, "--domain math: the teacher's prompt (default: the paper's)");
  command.add_option("--teacher-reward", o.teacher_reward,
                     "grounded (SOAR), learnability (the paper's Intrinsic-T), uncertainty (R-Zero, not in the "
                     "paper), none (base teacher)")
      ->capture_default_str();
  add_student_task_option(command, o.student_task);
  command.add_option("--oracle-levels", o.oracle_levels,
                     "Baseline: datasets of n fresh problems at these levels (e.g. 6-10) instead of the teacher's");
  command.add_option("--corrupt", o.corrupt,
                     "Ablation: none, answers (wrong answers: random digits on the testbed, another question's "
                     "inequivalent answer in math) or structure (scrambled questions, answers kept)")
      ->capture_default_str();
  command.add_flag("--dry-run", o.dry_run,
                   "Print the resolved configuration, the memory plan and the work of one outer step; load no model");
}

// Options that contradict each other or the domain, refused before anything loads.
void validate(const MetaOptions& o, const CLI::App& command) {
  if (o.domain != "math" && o.domain != "testbed") fail("--domain '", o.domain, "': expected testbed or math");
  corruption(o.domain, o.corrupt);  // refuses an unknown --corrupt name (the list is corruption()'s)
  if (o.domain == "math") {
    if (!o.oracle_levels.empty()) fail("--oracle-levels generates testbed problems: it needs --domain testbed");
    if (command.count("--student-task") > 0) fail("--student-task is the testbed's: it needs --domain testbed");
  } else {
    for (const char* option : {"--prompt-template", "--chat", "--system", "--reward", "--teacher-prompt"}) {
      if (command.count(option) > 0) fail(option, " applies to --domain math (the testbed has its own formats)");
    }
  }
  (void)meta::parse_teacher_reward(o.teacher_reward);
  if (!o.oracle_levels.empty() && o.teacher_reward != "none") {
    fail("--oracle-levels replaces the teacher: use it with --teacher-reward none");
  }
  if (o.measure_temperature == 0 && o.config.reward_samples > 1) {
    fail("--q-samples ", o.config.reward_samples, " with greedy measurement (--measure-temperature 0): greedy answers "
         "are all the same, use --q-samples 1");
  }
}

// The run's configuration from the options (token budgets resolved per domain); no model needed.
meta::MetaConfig resolve_config(const MetaOptions& o) {
  const bool math = o.domain == "math";
  meta::MetaConfig c = o.config;
  c.teacher_reward = meta::parse_teacher_reward(o.teacher_reward);
  c.rollouts = o.rollouts.selection(c.seed);
  if (o.rollouts.every > 0) c.rollouts_dir = std::filesystem::path(o.out) / "rollouts";
  const int64_t teacher_budget =
      o.teacher_max_new_tokens > 0 ? o.teacher_max_new_tokens : teacher_token_budget(o.domain);
  const int64_t student_budget = o.student_max_tokens > 0 ? o.student_max_tokens : math ? 1024 : 16;
  c.teacher_sampling = {.temperature = o.temperature, .max_new_tokens = teacher_budget};
  c.inner.sampling = {.temperature = o.temperature, .max_new_tokens = student_budget};
  if (!math) c.inner.sampling.stop_strings = {testbed::kStudentStop};
  c.measure_sampling = c.inner.sampling;
  c.measure_sampling.temperature = o.measure_temperature;
  c.intrinsic_sampling = c.inner.sampling;
  c.inner.trainer = {.learning_rate = o.student_lr, .warmup_steps = o.student_warmup, .min_lr_ratio = o.min_lr_ratio,
                     .micro_batch_size = 64, .kl_coef = o.student_kl, .temperature = o.temperature};
  c.teacher_trainer = {.learning_rate = o.teacher_lr, .warmup_steps = o.teacher_warmup, .total_steps = c.outer_steps,
                       .min_lr_ratio = o.min_lr_ratio, .micro_batch_size = 8, .kl_coef = o.teacher_kl,
                       .temperature = o.temperature};
  return c;
}

// --dry-run: what the run would hold and do, from config.json alone.
void print_dry_run(const MetaOptions& o, const meta::MetaConfig& c) {
  std::cout << "# soar meta: the resolved recipe (what --config takes)\n"
            << (o.recipe.text ? *o.recipe.text : "# (no recipe: " + o.recipe.unwritable + ")\n") << "\n"
            << "soar meta: the run's configuration in the paper's symbols\n" << config_json(o, c).dump(2) << "\n";
  const ModelConfig model = ModelConfig::from_file(std::filesystem::path(o.policy.model_dir) / "config.json");
  // The device is only named (a CPU build can plan a GPU run).
  const at::ScalarType dtype = o.policy.load_options().resolved_dtype();
  const auto plan = meta::meta_memory_plan(model, dtype, teacher_trained(o, c), needs_reference(o, c));
  std::cout << "\nmemory kept for the whole run (" << model.parameter_count() << " parameters, "
            << c10::toString(dtype) << ", before activations and KV caches):\n";
  for (const MemoryPart& part : plan) std::cout << "  " << std::setw(8) << std::fixed << std::setprecision(2) << part.bytes / 1e9 << " GB  " << part.what << "\n";
  std::cout << "  " << std::setw(8) << total_bytes(plan) / 1e9 << " GB  in all\n";
  const bool oracle = !o.oracle_levels.empty();
  std::cout << "\nwork of one outer step before any promotion:\n" << meta::describe_budget(meta::outer_step_budget(c, false, oracle));
  if (!meta::is_intrinsic(c.teacher_reward)) {
    std::cout << "after the first promotion:\n" << meta::describe_budget(meta::outer_step_budget(c, true, oracle));
  }
}

}  // namespace

Action add_meta_command(CLI::App& app) {
  auto o = std::make_shared<MetaOptions>();
  CLI::App* command = app.add_subcommand("meta", "Run SOAR: teacher, inner student loops, grounded reward, promotion");
  add_task_options(*command, *o);
  add_loop_options(*command, *o);
  add_training_options(*command, *o);
  o->rollouts.add(*command, "outer step");
  o->resume.add(*command, "outer step");
  return [o, command] {
    if (!command->parsed()) return;
    validate(*o, *command);
    if (o->domain == "math" && command->count("--prompt-template") == 0) {
      o->student_prompt.template_text = std::string(meta::kMathStudentTemplate);
    }
    const meta::MetaConfig config = resolve_config(*o);
    o->recipe = run_recipe(*command);
    if (o->dry_run) return print_dry_run(*o, config);
    install_stop_handlers(stop_grace_from_environment());
    run_meta_command(*o, config);
  };
}

}  // namespace soar::app
