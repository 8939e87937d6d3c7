// soar meta: the SOAR meta-loop (../shared/docs/soar.md) on a base model and a hard set D_train.
// The teacher and the student baseline both start as copies of --model. Writes metrics.jsonl (one
// record per outer step), the teacher's generated datasets, the promoted questions (PQ), and the
// final teacher and student to the run directory. After every outer step an atomic checkpoint;
// the same command run again resumes after the last complete step.
#include <iomanip>
#include <optional>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/atomic_file.h"
#include "core/device.h"
#include "core/error.h"
#include "meta/math_corruption.h"
#include "meta/math_domain.h"
#include "meta/memory_plan.h"
#include "meta/meta_loop.h"
#include "model/checkpoint.h"
#include "options.h"
#include "run/meta_checkpoint.h"
#include "run/metrics.h"
#include "testbed/datasets.h"
#include "testbed/prompts.h"

namespace soar::app {
namespace {

// The testbed's teacher format: "Write n problems:\n" then items "Q:<statement>\nA:<answer>\n".
meta::DatasetParser testbed_parser() {
  return [](std::string_view text) {
    testbed::TeacherSet set = testbed::parse_teacher_set(text);
    meta::ParsedDataset dataset;
    dataset.malformed = set.malformed_lines;
    for (size_t i = 0; i < set.items.size(); ++i) {
      const auto& item = set.items[i];
      nlohmann::json extra = {{"level", item.problem.level()}, {"answer_correct", item.correct}};
      dataset.problems.push_back({std::to_string(i), item.problem.statement(), item.stated_answer, extra.dump()});
    }
    return dataset;
  };
}

nlohmann::json to_json(const meta::OuterStepRecord& r) {
  nlohmann::json datasets = nlohmann::json::array();
  for (const auto& d : r.datasets) {
    datasets.push_back({{"questions", d.questions}, {"malformed", d.malformed}, {"grounded_reward", d.grounded_reward},
                        {"standard_error", d.standard_error}, {"student_success", d.student_success},
                        {"teacher_reward", d.teacher_reward}, {"distinct_bigrams", d.distinct_bigrams},
                        {"duplicate_rate", d.duplicate_rate}, {"inner_final_reward", d.inner_final_reward},
                        {"inner_samples", d.inner_samples}, {"measure_samples", d.measure_samples}});
  }
  return {{"step", r.step}, {"baseline_success", r.baseline_success}, {"datasets", datasets}, {"promoted", r.promoted},
          {"promoted_dataset", r.promoted_dataset}, {"promotion_average", r.promotion_average},
          {"samples", {{"teacher", r.teacher_samples}, {"inner", r.inner_samples}, {"measure", r.measure_samples}}},
          {"seconds", {{"teacher", r.seconds_teacher}, {"inner", r.seconds_inner}, {"measure", r.seconds_measure},
                       {"update", r.seconds_update}}}};
}

struct MetaOptions {
  PolicyOptions policy;
  ProblemOptions train;
  PromptOptions student_prompt;  // --domain math: the student's prompt and reward
  std::string teacher_prompt = std::string(meta::kMathTeacherTemplate);
  std::string out, domain = "testbed", teacher_reward = "grounded";
  std::string oracle_levels, corrupt = "none";
  int64_t questions = 4;  // n: the testbed corpus has teacher sets of 1-4 problems (docs/testbed.md)
  int64_t teacher_max_new_tokens = 0;  // 0: the longest set of n well-formed testbed items; math: 256 n
  double teacher_lr = 1e-4, student_lr = 3e-4, temperature = 1.0;
  int64_t student_max_tokens = 16;
  meta::MetaConfig config;
};

// The math domain's prompts and reward, resolved from the options before the model loads (a
// mistake in them fails at once).
struct MathFormats {
  PromptFormat student;
  std::string teacher_request;
  RewardFunction reward;
};

MathFormats math_formats(const MetaOptions& o, const CLI::App& command) {
  MathFormats f;
  f.student = o.student_prompt.format();
  if (command.count("--prompt-template") == 0) f.student.template_text = std::string(meta::kMathStudentTemplate);
  f.teacher_request = meta::math_teacher_prompt(o.teacher_prompt, o.questions);
  f.reward = reward_by_name(command.count("--reward") > 0 ? o.student_prompt.reward : "math");
  return f;
}

void set_math_task(meta::MetaTask& task, const MathFormats& f, const std::string& corrupt, const Policy& policy) {
  // The teacher's request goes through the same chat format (and system message) as the student's prompts.
  const PromptFormat teacher_format{"{problem}", f.student.chat, f.student.system};
  task.teacher_prompt = policy.prompt_encoder(teacher_format)({"teacher prompt", f.teacher_request});
  task.parse = meta::parse_math_dataset;
  task.encode_student = policy.prompt_encoder(f.student);
  task.reward = f.reward;
  if (corrupt != "none") {
    const bool answers = corrupt == "answers";
    task.transform = [answers](const std::vector<Problem>& problems, uint64_t seed) {
      SplitMix64 rng(seed);
      return answers ? meta::corrupt_math_answers(problems, rng) : meta::corrupt_math_structure(problems, rng);
    };
  }
}

// The testbed's formats, its exact checker, and its oracle-curriculum and corruption arms.
void set_testbed_task(meta::MetaTask& task, const MetaOptions& o, int64_t completions_per_dataset, const Policy& policy) {
  task.teacher_prompt = policy.tokenizer->encode(testbed::teacher_prompt(static_cast<int>(o.questions)), true);
  task.parse = testbed_parser();
  task.encode_student = policy.prompt_encoder({testbed::kStudentTemplate, std::nullopt, ""});
  task.reward = exact_match_reward();
  if (!o.oracle_levels.empty()) {
    std::vector<int> levels = testbed::parse_levels(o.oracle_levels);
    const int64_t count = o.questions * completions_per_dataset;  // as many as the teacher's m completions
    task.oracle = [levels, count](uint64_t seed) {
      SplitMix64 rng(seed);
      return testbed::oracle_problems(levels, count, rng);
    };
  }
  if (o.corrupt == "answers") {
    task.transform = [](const std::vector<Problem>& problems, uint64_t seed) {
      SplitMix64 rng(seed);
      return testbed::corrupt_answers(problems, rng);
    };
  } else if (o.corrupt == "structure") {
    task.transform = [](const std::vector<Problem>& problems, uint64_t seed) {
      SplitMix64 rng(seed);
      return testbed::corrupt_structure(problems, rng);
    };
  }
}

}  // namespace

Action add_meta_command(CLI::App& app) {
  auto o = std::make_shared<MetaOptions>();
  auto& c = o->config;
  c.inner.prompts_per_step = 16;
  c.inner.samples_per_prompt = 8;
  c.promotion = {0.01, 3};
  CLI::App* command = app.add_subcommand("meta", "Run SOAR: teacher, inner student loops, grounded reward, promotion");
  o->policy.add(*command);
  o->train.add(*command, "--train");
  command->add_option("--out", o->out, "Run directory")->required();
  command->add_option("--domain", o->domain,
                      "Teacher/student formats: testbed (the built-in world) or math (a real model and a JSONL hard "
                      "set, answers judged by the math verifier)")
      ->capture_default_str();
  o->student_prompt.add(*command);
  command->add_option("--teacher-prompt", o->teacher_prompt,
                      "--domain math: the teacher's request; {n} is replaced by the number of problems")
      ->capture_default_str();
  command->add_option("--teacher-reward", o->teacher_reward, "grounded (SOAR), learnability (AZR), uncertainty (R-Zero), none (base teacher)")->capture_default_str();
  command->add_option("-T,--outer-steps", c.outer_steps, "Outer steps T")->capture_default_str();
  command->add_option("-g,--datasets", c.datasets, "Datasets per outer step g")->capture_default_str();
  command->add_option("-n,--questions", o->questions, "Questions per dataset n (in the teacher prompt)")->capture_default_str();
  command->add_option("-m,--teacher-completions", c.completions_per_dataset,
                      "Teacher completions per dataset m: a dataset holds the problems of m completions (up to m n)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  command->add_option("--teacher-max-new-tokens", o->teacher_max_new_tokens,
                      "Token budget of a teacher completion (0: the longest set of n testbed items; math: 256 n)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command->add_option("-K,--inner-steps", c.inner.steps, "Inner RLOO steps K")->capture_default_str();
  command->add_option("--inner-prompts", c.inner.prompts_per_step, "Questions per inner step")->capture_default_str();
  command->add_option("--inner-samples", c.inner.samples_per_prompt, "Samples per question in RLOO")->capture_default_str();
  command->add_option("--student-lr", o->student_lr, "Inner-loop learning rate")->capture_default_str();
  command->add_option("--student-max-tokens", o->student_max_tokens,
                      "Token budget of a student answer (default: 16 for the testbed, 1024 for math)")
      ->check(CLI::PositiveNumber);
  command->add_option("--teacher-lr", o->teacher_lr, "Teacher learning rate")->capture_default_str();
  command->add_option("--q-size", c.reward_problems, "|Q_t|: D_train problems per reward estimate")->capture_default_str();
  command->add_option("--q-samples", c.reward_samples, "Samples per problem in the reward estimate")->capture_default_str();
  command->add_option("--tau", c.promotion.tau, "Promotion threshold tau")->capture_default_str();
  command->add_option("--window", c.promotion.window, "Promotion window (outer steps)")->capture_default_str();
  command->add_option("--temperature", o->temperature, "Sampling temperature (teacher and student)")->capture_default_str();
  command->add_option("--seed", c.seed, "Run seed")->capture_default_str();
  command->add_option("--oracle-levels", o->oracle_levels,
                      "Baseline: datasets of n fresh problems at these levels (e.g. 6-10) instead of the teacher's");
  command->add_option("--corrupt", o->corrupt,
                      "Ablation: none, answers (wrong answers: random digits on the testbed, another question's "
                      "inequivalent answer in math) or structure (scrambled questions, answers kept)")
      ->capture_default_str();
  return [o, command] {
    if (!command->parsed()) return;
    const bool math = o->domain == "math";
    if (!math && o->domain != "testbed") fail("--domain '", o->domain, "': expected testbed or math");
    if (o->corrupt != "none" && o->corrupt != "answers" && o->corrupt != "structure") {
      fail("--corrupt '", o->corrupt, "': expected none, answers or structure");
    }
    if (math) {
      if (!o->oracle_levels.empty()) fail("--oracle-levels generates testbed problems: it needs --domain testbed");
    } else {
      for (const char* option : {"--prompt-template", "--chat", "--system", "--reward", "--teacher-prompt"}) {
        if (command->count(option) > 0) fail(option, " applies to --domain math (the testbed has its own formats)");
      }
    }
    std::optional<MathFormats> math_task_formats;
    if (math) math_task_formats = math_formats(*o, *command);
    meta::MetaConfig config = o->config;
    config.teacher_reward = meta::parse_teacher_reward(o->teacher_reward);
    std::unique_ptr<dist::Group> group = join_run(o->policy);
    const bool root = group->is_root();
    config.group = group.get();
    Policy policy = o->policy.load();
    const bool teacher_trained = config.teacher_reward != meta::TeacherRewardKind::None && o->oracle_levels.empty();
    const CausalLMImpl& model = *policy.model;
    require_memory("a SOAR run", meta::meta_memory_plan(model.config(), model.dtype(), teacher_trained), model.config(),
                   model.dtype(), model.device(), available_memory_bytes(model.device()));
    CausalLM teacher = copy_of(*policy.model), scratch = copy_of(*policy.model), best = copy_of(*policy.model);
    std::filesystem::path out = o->out;
    if (root) prepare_output_dir(out / "datasets");

    meta::MetaTask task;
    task.detokenize = policy.detokenizer();
    task.reward_set = o->train.load();
    if (math) {
      set_math_task(task, *math_task_formats, o->corrupt, policy);
    } else {
      set_testbed_task(task, *o, config.completions_per_dataset, policy);
    }
    std::vector<int32_t> eos = policy.eos_token_ids();
    const int64_t teacher_budget = o->teacher_max_new_tokens > 0 ? o->teacher_max_new_tokens
                                   : math                         ? 256 * o->questions
                                                                  : testbed::teacher_max_new_tokens(o->questions);
    const int64_t student_budget = math && command->count("--student-max-tokens") == 0 ? 1024 : o->student_max_tokens;
    config.teacher_sampling = {.temperature = o->temperature, .max_new_tokens = teacher_budget, .eos_token_ids = eos};
    config.student_sampling = {.temperature = o->temperature, .max_new_tokens = student_budget, .eos_token_ids = eos};
    if (!math) config.student_sampling.stop_strings = {testbed::kStudentStop};
    config.inner.sampling = config.student_sampling;
    config.inner.trainer = {.learning_rate = o->student_lr, .micro_batch_size = 64, .temperature = o->temperature};
    config.teacher_trainer = {.learning_rate = o->teacher_lr, .micro_batch_size = 8, .temperature = o->temperature};
    PolicyTrainer teacher_trainer(*teacher, config.teacher_trainer);
    meta::Promotion promotion(config.promotion);

    std::vector<Problem> promoted_questions;
    int64_t start = 0;
    if (auto state = load_meta_checkpoint(out / "checkpoint", *teacher, teacher_trainer, *policy.model)) {
      start = state->next_step;
      teacher_trainer.set_steps_done(state->teacher_updates);
      promotion.restore(state->promotion_window);
      promoted_questions = state->promoted_questions;
      if (root) std::cerr << "soar: resuming " << out << " after outer step " << start << "\n";
    }
    require_same_on_all_ranks(*group, "the starting teacher, student and step",
                              cat(start, "/", parameter_fingerprint(*teacher), "/", parameter_fingerprint(*policy.model)));
    // Only rank 0 writes; the others compute the same records.
    std::optional<MetricsLog> metrics;
    if (root) metrics.emplace(out / "metrics.jsonl");
    if (root) metrics->append({{"event", "config"}, {"teacher_reward", o->teacher_reward}, {"T", config.outer_steps}, {"g", config.datasets},
                    {"n", o->questions}, {"m", config.completions_per_dataset}, {"K", config.inner.steps}, {"q_size", config.reward_problems},
                    {"q_samples", config.reward_samples}, {"tau", config.promotion.tau}, {"window", config.promotion.window},
                    {"seed", config.seed}, {"domain", o->domain}, {"oracle_levels", o->oracle_levels}, {"corrupt", o->corrupt}, {"model", o->policy.model_dir}, {"train", o->train.path}, {"start_step", start}});
    meta::run_meta(*teacher, *policy.model, *scratch, *best, teacher_trainer, promotion, task, config, start,
                   [&](const meta::OuterStepRecord& r) {
                     if (!root) return;
                     metrics->append(to_json(r));
                     std::string texts;
                     for (size_t i = 0; i < r.teacher_texts.size(); ++i) texts += cat("### dataset ", i, "\n", r.teacher_texts[i], "\n");
                     write_text_atomically(out / "datasets" / cat("step_", r.step, ".txt"), texts);
                     std::string trained;
                     for (size_t i = 0; i < r.trained_datasets.size(); ++i) {
                       for (const Problem& p : r.trained_datasets[i]) {
                         trained += nlohmann::json{{"dataset", i}, {"problem", p.problem}, {"answer", p.answer}}.dump() + "\n";
                       }
                     }
                     write_text_atomically(out / "datasets" / cat("step_", r.step, ".jsonl"), trained);
                     if (r.promoted) {
                       for (const auto& p : r.promoted_questions) {
                         promoted_questions.push_back(p);
                         promoted_questions.back().id = cat("step", r.step, "-", p.id);
                       }
                       write_problems(out / "promoted_questions.jsonl", promoted_questions);
                     }
                     save_meta_checkpoint(out / "checkpoint", *teacher, teacher_trainer, *policy.model,
                                          {r.step, teacher_trainer.steps_done(), promotion.recent(), promoted_questions});
                     double best_reward = -1;
                     int64_t questions = 0, malformed = 0;
                     for (const auto& d : r.datasets) {
                       best_reward = std::max(best_reward, d.grounded_reward);
                       questions += d.questions;
                       malformed += d.malformed;
                     }
                     std::cerr << "outer step " << std::setw(3) << r.step << "/" << config.outer_steps << "  baseline "
                               << std::fixed << std::setprecision(3) << r.baseline_success << "  best reward " << best_reward
                               << "  parsed " << questions << " (" << malformed << " malformed)"
                               << (r.promoted ? "  PROMOTED" : "") << "  " << std::setprecision(1)
                               << r.seconds_teacher + r.seconds_inner + r.seconds_measure + r.seconds_update << " s\n";
                   });
    if (!root) return;
    if (group->distributed()) {
      std::cerr << "soar: rank 0 took part in " << group->collectives() << " collectives and sent "
                << group->bytes_sent() / 1e6 << " MB\n";
    }
    save_model(*policy.model, out / "student");
    copy_tokenizer_files(o->policy.model_dir, out / "student");
    save_model(*teacher, out / "teacher");
    copy_tokenizer_files(o->policy.model_dir, out / "teacher");
    std::cerr << "soar: SOAR run written to " << out << "\n";
  };
}

}  // namespace soar::app
