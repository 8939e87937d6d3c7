#include "meta_run.h"

#include <chrono>
#include <iomanip>
#include <optional>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/device.h"
#include "core/error.h"
#include "domain_formats.h"
#include "meta/memory_plan.h"
#include "model/checkpoint.h"
#include "run/meta_checkpoint.h"
#include "core/metrics_log.h"
#include "core/progress.h"
#include "core/stop_signal.h"
#include "run_start.h"
#include "domains/testbed/datasets.h"
#include "domains/testbed/prompts.h"

namespace soar::app {
namespace fs = std::filesystem;
namespace {

// The math domain: the paper's teacher and student prompts (through --chat), the math verifier.
void set_math_task(meta::MetaTask& task, const MetaOptions& o, const Policy& policy) {
  const PromptFormat student = o.student_prompt.format(policy);
  TeacherFormat teacher = teacher_format("math", o.teacher_prompt, student, policy);
  task.teacher_prompt = std::move(teacher.prompt);
  task.parse = std::move(teacher.parse);
  task.encode_student = policy.prompt_encoder(student);
  task.reward = o.student_prompt.reward_function();
  task.correct = o.student_prompt.correctness_function();
  task.judge = o.student_prompt.judge_function();
  task.transform = corruption("math", o.corrupt);
}

// The testbed: one problem per teacher rollout ("Write 1 problems:"), exact match (binary: its
// answers are digit strings with no partial form to credit), the oracle and corruption arms.
void set_testbed_task(meta::MetaTask& task, const MetaOptions& o, int64_t n, const Policy& policy) {
  TeacherFormat teacher = teacher_format("testbed", "", {}, policy, o.student_task);
  task.teacher_prompt = std::move(teacher.prompt);
  task.parse = std::move(teacher.parse);
  task.encode_student = policy.prompt_encoder({testbed::kStudentTemplate, std::nullopt, ""});
  task.reward = task.correct = exact_match_reward();
  task.judge = judge_by_name("exact");
  if (!o.oracle_levels.empty()) {
    std::vector<int> levels = testbed::parse_levels(o.oracle_levels);
    task.oracle = [levels, n, student = o.student_task](uint64_t seed) {
      SplitMix64 rng(seed);
      return testbed::oracle_problems(levels, n, rng, student);
    };
  }
  task.transform = corruption("testbed", o.corrupt, o.student_task);
}

nlohmann::json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json to_json(const meta::OuterStepRecord& r) {
  nlohmann::json datasets = nlohmann::json::array();
  for (const auto& d : r.datasets) {
    nlohmann::json students = nlohmann::json::array();
    double success = 0, inner_samples = 0, measure_samples = 0;
    for (const auto& s : d.students) {
      students.push_back({{"student", s.student}, {"success", s.success}, {"reward", s.reward},
                          {"standard_error", s.standard_error}, {"inner_final_reward", s.inner_final_reward}});
      success += s.success / static_cast<double>(d.students.size());
      inner_samples += static_cast<double>(s.inner_samples);
      measure_samples += static_cast<double>(s.measure_samples);
    }
    datasets.push_back({{"questions", d.questions}, {"grounded_reward", optional_number(d.reward)},
                        {"student_success", d.students.empty() ? nlohmann::json(nullptr) : nlohmann::json(success)},
                        {"teacher_reward", d.teacher_reward}, {"distinct_bigrams", d.distinct_bigrams},
                        {"duplicate_rate", d.duplicate_rate}, {"vendi", d.vendi}, {"students", students},
                        {"inner_samples", inner_samples}, {"measure_samples", measure_samples + static_cast<double>(d.intrinsic_samples)}});
  }
  return {{"step", r.step}, {"baseline_success", optional_number(r.baseline_success)}, {"datasets", datasets},
          {"mean_reward", optional_number(r.mean_reward)}, {"promotion_average", r.promotion_average},
          {"promoted", r.promoted}, {"promoted_dataset", r.promoted_dataset}, {"promoted_student", r.promoted_student},
          {"inner_steps", r.inner_steps}, {"vendi", r.vendi},
          {"teacher", {{"sampled", r.teacher.sampled}, {"accepted", r.teacher.accepted}, {"rounds", r.teacher.rounds},
                       {"acceptance_rate", r.teacher.acceptance_rate}, {"rejections", r.teacher.rejections}}},
          {"samples", {{"teacher", r.teacher.sampled}, {"inner", r.inner_samples}, {"measure", r.measure_samples}}},
          {"seconds", {{"teacher", r.seconds_teacher}, {"inner", r.seconds_inner}, {"measure", r.seconds_measure},
                       {"update", r.seconds_update}}}};
}

// `seconds_per_step`: the mean over this invocation's outer steps so far, for the ETA.
void print_progress(const meta::OuterStepRecord& r, int64_t outer_steps, double seconds_per_step) {
  std::cerr << "outer step " << std::setw(3) << r.step << "/" << outer_steps << std::fixed << std::setprecision(3);
  if (r.baseline_success) std::cerr << "  baseline " << *r.baseline_success;
  if (r.mean_reward) std::cerr << "  mean R_k " << *r.mean_reward << " (moving avg " << r.promotion_average << ")";
  if (r.teacher.sampled > 0) {
    std::cerr << "  accepted " << r.teacher.accepted << "/" << r.teacher.sampled;
  }
  if (r.promoted) std::cerr << "  PROMOTED (dataset " << r.promoted_dataset << ", student " << r.promoted_student << ")";
  std::cerr << "  " << std::setprecision(1) << r.seconds_teacher + r.seconds_inner + r.seconds_measure + r.seconds_update
            << " s  ETA " << format_duration(seconds_per_step * static_cast<double>(outer_steps - r.step)) << "\n";
}

// Rank 0's run directory.
class RunDirectory {
 public:
  RunDirectory(const MetaOptions& o, std::vector<Problem> promoted) : o_(o), out_(o.out), promoted_(std::move(promoted)) {}

  // Returns the teacher's texts of the step (datasets/step_<t>.txt).
  std::string write_step(const meta::OuterStepRecord& r, CausalLMImpl& baseline) {
    std::string texts, trained;
    for (size_t k = 0; k < r.teacher_texts.size(); ++k) {
      texts += cat("### dataset ", k, "\n");
      for (const std::string& text : r.teacher_texts[k]) texts += text + "\n### ---\n";
      for (const Problem& p : r.trained_datasets[k]) {
        trained += nlohmann::json{{"dataset", k}, {"id", p.id}, {"problem", p.problem}, {"answer", p.answer}}.dump() + "\n";
      }
    }
    write_text_atomically(out_ / "datasets" / cat("step_", r.step, ".txt"), texts);
    write_text_atomically(out_ / "datasets" / cat("step_", r.step, ".jsonl"), trained);
    if (!r.promoted) return texts;
    for (const auto& p : r.promoted_questions) {
      promoted_.push_back(p);
      promoted_.back().id = cat("step", r.step, "-", p.id);
    }
    write_problems(out_ / "promoted_questions.jsonl", promoted_);
    // Every promoted student is kept: the paper's PS is the best of them on D_train.
    save_model(baseline, out_ / "promoted" / cat("step_", r.step));
    copy_tokenizer_files(o_.policy.model_dir, out_ / "promoted" / cat("step_", r.step));
    return texts;
  }

  const std::vector<Problem>& promoted_questions() const { return promoted_; }

 private:
  const MetaOptions& o_;
  fs::path out_;
  std::vector<Problem> promoted_;
};

}  // namespace

bool teacher_trained(const MetaOptions& o, const meta::MetaConfig& c) {
  return c.teacher_reward != meta::TeacherRewardKind::None && o.oracle_levels.empty();
}

bool needs_reference(const MetaOptions& o, const meta::MetaConfig& c) {
  return c.inner.trainer.kl_coef > 0 || (teacher_trained(o, c) && c.teacher_trainer.kl_coef > 0);
}

nlohmann::json config_json(const MetaOptions& o, const meta::MetaConfig& c) {
  return {{"domain", o.domain}, {"teacher_reward", o.teacher_reward}, {"T", c.outer_steps}, {"g", c.datasets},
          {"n", c.questions}, {"r", c.students}, {"K", c.inner.steps}, {"promoted_extra_steps", c.promoted_extra_steps},
          {"inner_batch", c.inner.prompts_per_step}, {"inner_group", c.inner.samples_per_prompt}, {"M", c.reward_problems},
          {"q_samples", c.reward_samples}, {"measure_temperature", c.measure_sampling.temperature},
          {"intrinsic_samples", c.intrinsic_samples}, {"tau", c.promotion.tau}, {"window", c.promotion.window},
          {"window_restart", c.promotion.restart_window}, {"teacher_lr", c.teacher_trainer.learning_rate},
          {"student_lr", c.inner.trainer.learning_rate}, {"teacher_warmup", c.teacher_trainer.warmup_steps},
          {"student_warmup", c.inner.trainer.warmup_steps}, {"min_lr_ratio", c.inner.trainer.min_lr_ratio},
          {"teacher_kl", c.teacher_trainer.kl_coef}, {"student_kl", c.inner.trainer.kl_coef},
          {"temperature", c.inner.sampling.temperature}, {"teacher_max_new_tokens", c.teacher_sampling.max_new_tokens},
          {"student_max_tokens", c.inner.sampling.max_new_tokens}, {"teacher_max_rounds", c.teacher_max_rounds},
          {"reward", o.domain == "math" ? o.student_prompt.reward : "exact"}, {"seed", c.seed},
          {"oracle_levels", o.oracle_levels}, {"corrupt", o.corrupt}, {"model", o.policy.model_dir},
          {"train", o.train.path}};
}

namespace {

// The model copies of a run, all from --model: the baseline is the loaded policy itself.
struct RunModels {
  Policy policy;
  CausalLM teacher{nullptr}, scratch{nullptr};
  std::optional<CausalLM> reference;  // the initial model, when a KL coefficient anchors to it
};

RunModels load_models(const MetaOptions& o, const PolicyOptions& policy_options, meta::MetaConfig& config) {
  RunModels m{policy_options.load()};
  CausalLMImpl& model = *m.policy.model;
  require_memory("a SOAR run", meta::meta_memory_plan(model.config(), model.dtype(), teacher_trained(o, config),
                                                      needs_reference(o, config)),
                 model.config(), model.dtype(), model.device(), available_memory_bytes(model.device()));
  const std::vector<int32_t> eos = m.policy.eos_token_ids();
  for (SamplingParams* s : {&config.teacher_sampling, &config.inner.sampling, &config.measure_sampling, &config.intrinsic_sampling}) {
    s->eos_token_ids = eos;
  }
  m.teacher = copy_of(model);
  m.scratch = copy_of(model);
  if (needs_reference(o, config)) m.reference = copy_of(model);
  return m;
}

meta::MetaTask make_task(const MetaOptions& o, const meta::MetaConfig& config, const Policy& policy) {
  meta::MetaTask task;
  task.detokenize = policy.detokenizer();
  task.reward_set = o.train.load();
  if (o.domain == "math") {
    set_math_task(task, o, policy);
  } else {
    set_testbed_task(task, o, config.questions, policy);
  }
  return task;
}

// Restores a checkpoint of OUT, if any, into the models, the teacher's optimizer and the window.
MetaRunState resume(const fs::path& out, RunModels& m, PolicyTrainer& teacher_trainer, meta::Promotion& promotion,
                    dist::Group& group) {
  MetaRunState state;
  if (auto saved = load_meta_checkpoint(out / "checkpoint", *m.teacher, teacher_trainer, *m.policy.model)) {
    state = *saved;
    teacher_trainer.set_steps_done(state.teacher_updates);
    promotion.restore(state.promotion_window);
    if (group.is_root()) std::cerr << "soar: resuming " << out << " after outer step " << state.next_step << "\n";
  }
  require_same_on_all_ranks(group, "the starting teacher, student and step",
                            cat(state.next_step, "/", parameter_fingerprint(*m.teacher), "/",
                                parameter_fingerprint(*m.policy.model)));
  return state;
}

void save_final_models(const MetaOptions& o, RunModels& m) {
  for (auto [name, model] : {std::pair{"student", m.policy.model.get()}, {"teacher", m.teacher.get()}}) {
    save_model(*model, fs::path(o.out) / name);
    copy_tokenizer_files(o.policy.model_dir, fs::path(o.out) / name);
  }
  std::cerr << "soar: SOAR run written to " << o.out << "\n";
}

}  // namespace

void run_meta_command(const MetaOptions& o, const meta::MetaConfig& resolved) {
  PolicyOptions policy_options = o.policy;
  std::unique_ptr<dist::Group> group = join_run(policy_options);
  const bool root = group->is_root();
  meta::MetaConfig config = resolved;
  config.group = group.get();
  RunModels m = load_models(o, policy_options, config);
  const fs::path out = o.out;
  const RunStart run = start_run(*group, out, {{"--train", o.train.path}, {"--model", o.policy.model_dir}}, o.recipe,
                                 {.may_differ = {"outer-steps", "out", "device", "rollouts-every", "rollouts-sample"},
                                  .allow_changes = o.resume.allow_config_change},
                                 config.outer_steps, o.resume);
  if (run.finished) {
    if (root) std::cerr << "soar: " << out.string() << " has finished its " << config.outer_steps << " outer steps already: nothing to "
                        << "do; give a larger -T to continue it, or another --out\n";
    return;
  }
  if (root) prepare_output_dir(out / "datasets");
  const meta::MetaTask task = make_task(o, config, m.policy);
  TrainerConfig teacher_trainer_config = config.teacher_trainer;
  if (!teacher_trained(o, config)) teacher_trainer_config.kl_coef = 0;  // never stepped
  PolicyTrainer teacher_trainer(*m.teacher, teacher_trainer_config, m.reference ? m.reference->get() : nullptr);
  meta::Promotion promotion(config.promotion);
  const MetaRunState state = resume(out, m, teacher_trainer, promotion, *group);
  // The outer steps after the checkpoint are redone: their rollouts are written afresh.
  if (root) remove_rollouts_after(out / "rollouts", "step_", state.next_step);
  // Only rank 0 writes; the others compute the same records.
  std::optional<MetricsLog> metrics;
  std::optional<RunDirectory> directory;
  if (root) {
    metrics.emplace(out / "metrics.jsonl");
    directory.emplace(o, state.promoted_questions);
    nlohmann::json record = config_json(o, config);
    record["event"] = "config", record["start_step"] = state.next_step;
    metrics->append(record);
  }
  meta::MetaProgress progress{.start_step = state.next_step, .promotions = state.promotions};
  CausalLMImpl& baseline = *m.policy.model;
  const meta::MetaModels models{*m.teacher, baseline, *m.scratch, m.reference ? m.reference->get() : nullptr};
  const auto started = std::chrono::steady_clock::now();
  meta::run_meta(models, teacher_trainer, promotion, task, config, progress, [&](const meta::OuterStepRecord& r) {
    progress.promotions += r.promoted ? 1 : 0;
    if (root) {
      metrics->append(to_json(r));
      metrics->add_text("teacher/datasets", r.step, "```\n" + directory->write_step(r, baseline) + "```");
      save_meta_checkpoint(out / "checkpoint", *m.teacher, teacher_trainer, baseline,
                           {.next_step = r.step,
                            .teacher_updates = teacher_trainer.steps_done(),
                            .promotions = progress.promotions,
                            .promotion_window = promotion.recent(),
                            .promoted_questions = directory->promoted_questions()});
      keep_checkpoint_history(out, out / "checkpoint", r.step, o.resume.retention);
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      print_progress(r, config.outer_steps, elapsed / static_cast<double>(r.step - state.next_step));
    }
    if (r.step != config.outer_steps && stop_agreed(*group)) {
      throw_stop(cat("outer step ", r.step, " of ", config.outer_steps),
                 cat("checkpoint in ", (out / "checkpoint").string(), "; run the same command again to resume"));
    }
  });
  if (!root) return;
  if (group->distributed()) {
    std::cerr << "soar: rank 0 took part in " << group->collectives() << " collectives and sent "
              << group->bytes_sent() / 1e6 << " MB\n";
  }
  save_final_models(o, m);
  mark_run_finished(out, config.outer_steps);
}

}  // namespace soar::app
