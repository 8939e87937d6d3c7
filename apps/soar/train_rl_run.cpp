#include "train_rl_run.h"

#include <chrono>
#include <cstdio>
#include <iomanip>
#include <nlohmann/json.hpp>

#include "core/device.h"
#include "core/error.h"
#include "core/metrics_log.h"
#include "core/progress.h"
#include "model/checkpoint.h"
#include "rl/memory_plan.h"
#include "core/stop_signal.h"
#include "run/rl_checkpoint.h"
#include "run_start.h"

namespace soar::app {

nlohmann::json pass_at_k_json(const std::map<int64_t, Interval>& pass);  // cmd_eval.cpp

void SyntheticOptions::add(CLI::App& command) {
  command.add_option("--synthetic", path, "JSONL synthetic problems (e.g. promoted_questions.jsonl or a teacher-sample "
                                          "output) to train on besides --problems, as --mix says");
  command.add_option("--mix", mix, "With --synthetic: curriculum (steps 1..S on the synthetic problems only, then "
                                   "--problems only) or mixed (every step draws from both sets together)")
      ->capture_default_str();
  command.add_option("--synthetic-steps", steps, "With --mix curriculum: S, the steps on the synthetic problems (< --steps)")
      ->capture_default_str()->check(at_least(1));
}

void SyntheticOptions::check(const CLI::App& command, int64_t total_steps) const {
  if (path.empty()) {
    for (const char* flag : {"--mix", "--synthetic-steps"}) {
      if (command.get_option(flag)->count() > 0) fail(flag, " needs --synthetic FILE (the synthetic problems to mix in)");
    }
    return;
  }
  if (mix != "curriculum" && mix != "mixed") fail("--mix must be curriculum or mixed, got '", mix, "'");
  if (mix == "mixed") {
    if (command.get_option("--synthetic-steps")->count() > 0) {
      fail("--synthetic-steps applies to --mix curriculum only: a mixed run draws from both sets at every step");
    }
    return;
  }
  if (steps < 1) fail("--synthetic-steps must be at least 1, got ", steps);
  if (steps >= total_steps) {
    fail("--synthetic-steps ", steps, " must be below --steps ", total_steps,
         ": the curriculum would never reach the --problems set (train longer, shorten the synthetic phase, or use "
         "--mix mixed)");
  }
}

void SyntheticOptions::apply(const ProblemOptions& real, std::vector<Problem>& problems, RLLoopOptions& loop, bool root) const {
  if (path.empty()) return;
  std::vector<Problem> synthetic = ProblemOptions{path, real.skip_bad_lines}.load();
  if (root) {
    std::cerr << "soar: " << synthetic.size() << " synthetic problems from " << path << ", " << problems.size() << " from "
              << real.path << ": "
              << (mix == "mixed" ? std::string("every step draws from both")
                                 : cat("steps 1-", steps, " on the synthetic problems, then the others"))
              << "\n";
  }
  if (mix == "mixed") {
    problems = concatenate_problem_sets(synthetic, path, problems, real.path);
  } else {
    loop.curriculum = RLCurriculum{std::move(synthetic), steps};
  }
}

std::optional<std::string> SyntheticOptions::phase(const RLStepResult& r) const {
  if (path.empty()) return std::nullopt;
  if (mix == "mixed") return "mixed";
  return r.from_curriculum ? "synthetic" : "real";
}

namespace {

TrainerConfig trainer_config(const TrainRlOptions& o) {
  TrainerConfig c = o.trainer;
  c.estimator = parse_advantage_estimator(o.estimator);
  c.aggregation = parse_loss_aggregation(o.aggregation);
  c.temperature = o.job.sampling.temperature;  // the log-probs are taken at the sampling temperature
  c.max_completion_length = o.job.sampling.max_new_tokens;
  return c;
}

RLLoopOptions loop_options(const TrainRlOptions& o, const Policy& policy, dist::Group& group) {
  RLLoopOptions loop = o.loop;
  loop.sampling = o.job.sampling.params(policy);
  loop.seed = o.job.sampling.seed;
  loop.group = &group;
  if (loop.chunks == 0) {
    loop.chunks = group.world_size();
    if (group.distributed() && group.is_root()) {
      std::cerr << "soar: " << loop.chunks << " rollout chunks (one per process); pass --rollout-chunks to make the run "
                << "independent of the process count\n";
    }
  }
  return loop;
}

// Restores OUT/checkpoint, if any; every rank must start from the same weights and step.
int64_t resume(const std::filesystem::path& out, Policy& policy, PolicyTrainer& trainer, dist::Group& group) {
  int64_t start = 0;
  if (auto resumed = load_rl_checkpoint(out / "checkpoint", *policy.model, trainer)) {
    start = *resumed;
    trainer.set_steps_done(start);
    if (group.is_root()) std::cerr << "soar: resuming from " << (out / "checkpoint") << " at step " << start << "\n";
  }
  require_same_on_all_ranks(group, "the starting model and step", cat(start, "/", parameter_fingerprint(*policy.model)));
  return start;
}

nlohmann::json step_record(const RLStepResult& r, const TrainRlOptions& o) {
  nlohmann::json record = {{"event", "step"}, {"step", r.step + 1}, {"reward", r.train.mean_reward}, {"loss", r.train.loss},
                           {"grad_norm", r.train.grad_norm}, {"lr", r.train.learning_rate}, {"kl", r.train.kl},
                           {"clip_fraction", r.train.clip_fraction}, {"tokens", r.generated_tokens},
                           {"reward_std", r.rollouts.reward_std}, {"no_signal_groups", r.rollouts.no_signal_groups},
                           {"length_mean", r.rollouts.length_mean}, {"length_max", r.rollouts.length_max},
                           {"truncated", r.rollouts.truncated}, {"entropy", r.rollouts.entropy},
                           {"sample_seconds", r.sample_seconds}, {"train_seconds", r.train_seconds}};
  if (auto phase = o.synthetic.phase(r)) record["phase"] = *phase;
  return record;
}

// `seconds_per_step`: the mean over this invocation's steps so far, for the ETA.
void print_step(const RLStepResult& r, const nlohmann::json& record, int64_t steps, double seconds_per_step) {
  const double eta = seconds_per_step * static_cast<double>(steps - r.step - 1);
  std::cerr << "step " << std::setw(4) << r.step + 1 << "/" << steps << "  reward " << std::fixed << std::setprecision(3)
            << r.train.mean_reward << " ± " << r.rollouts.reward_std << "  loss " << r.train.loss << "  len "
            << std::setprecision(1) << r.rollouts.length_mean << "  " << std::setprecision(0)
            << r.generated_tokens / std::max(1e-9, r.sample_seconds) << " tok/s sampling  " << std::setprecision(2)
            << r.train_seconds << " s train  ETA " << format_duration(eta)
            << (record.contains("phase") ? cat("  (", record["phase"].get<std::string>(), ")") : "") << "\n";
}

// pass@1 and pass@eval_samples on --eval-problems, appended to the metrics (rank 0).
struct Evaluator {
  const TrainRlOptions& o;
  Policy& policy;
  const std::vector<Problem>& problems;
  const PromptEncoder& encode;
  const RLLoopOptions& loop;
  std::optional<MetricsLog>& metrics;

  void operator()(int64_t step) const {
    if (problems.empty()) return;
    EvalOptions options;
    options.samples_per_problem = o.eval_samples;
    options.ks = {1, o.eval_samples};
    options.sampling = loop.sampling;
    options.group = loop.group;
    EvalReport report = evaluate(*policy.model, problems, encode, policy.detokenizer(), o.job.prompt.correctness_function(),
                                 options, {.show_progress = false});
    if (!metrics) return;
    metrics->append({{"event", "eval"}, {"step", step}, {"pass_at_k", pass_at_k_json(report.pass_at_k)}});
    std::cerr << "eval after step " << step << ": pass@1 = " << report.pass_at_k.at(1).mean << "\n";
  }
};

// OUT/rollouts/step_<N>.jsonl[.gz] for the kept steps (rank 0); a resumed run first drops the
// files of the steps it redoes, which it may keep differently.
RLRolloutLog rollout_log(const TrainRlOptions& o, const std::filesystem::path& dir, int64_t start, bool root) {
  if (root) remove_rollouts_after(dir, "step_", start);
  return {o.rollouts.selection(o.job.sampling.seed), o.job.prompt.judge_function(), [dir](int64_t step, const std::string& lines) {
            char name[32];
            std::snprintf(name, sizeof name, "step_%06lld.jsonl", static_cast<long long>(step));
            write_rollout_file(dir / name, lines);
          }};
}

}  // namespace

void run_train_rl(const TrainRlOptions& o) {
  JobOptions job = o.job;
  std::unique_ptr<dist::Group> group = join_run(job.policy);
  const bool root = group->is_root();
  Policy policy = job.policy.load();
  std::vector<Problem> problems = job.load_problems(policy);
  RLLoopOptions loop = loop_options(o, policy, *group);
  o.synthetic.apply(job.problems, problems, loop, root);  // before the run directory is touched
  std::vector<Problem> eval_problems;
  if (!o.eval_problems.empty()) eval_problems = ProblemOptions{o.eval_problems, job.problems.skip_bad_lines}.load();
  const std::filesystem::path out = job.out;
  const RunStart run = start_run(*group, out, {{"--problems", job.problems.path}, {"--synthetic", o.synthetic.path},
                                               {"--eval-problems", o.eval_problems}, {"--model", job.policy.model_dir}},
                                 o.recipe, {.may_differ = {"steps", "out", "device", "checkpoint-every", "eval-every",
                                                           "rollouts-every", "rollouts-sample"},
                                            .allow_changes = o.resume.allow_config_change},
                                 loop.steps, o.resume);
  if (run.finished) {
    if (root) std::cerr << "soar: " << out.string() << " has finished its " << loop.steps << " steps already (model in " << (out / "model").string()
                        << "): nothing to do; give more --steps to continue it, or another --out\n";
    return;
  }
  const TrainerConfig config = trainer_config(o);
  const CausalLMImpl& model = *policy.model;
  require_memory("training", training_memory_plan(model.config(), model.dtype(), config.kl_coef > 0), model.config(),
                 model.dtype(), model.device(), available_memory_bytes(model.device()));
  CausalLM reference{nullptr};
  if (config.kl_coef > 0) reference = copy_of(*policy.model);  // frozen before any update
  PolicyTrainer trainer(*policy.model, config, reference ? reference.get() : nullptr);
  const int64_t start = resume(out, policy, trainer, *group);
  std::optional<MetricsLog> metrics;  // only rank 0 writes; the others compute the same numbers
  if (root) metrics.emplace(out / "metrics.jsonl");
  const PromptEncoder encode = policy.prompt_encoder(job.prompt.format(policy));
  const RLRolloutLog rollouts = rollout_log(o, out / "rollouts", start, root);
  if (o.rollouts.every > 0) loop.rollout_log = &rollouts;
  const Evaluator run_eval{o, policy, eval_problems, encode, loop, metrics};
  if (start == 0) run_eval(0);
  const auto started = std::chrono::steady_clock::now();
  run_rl(*policy.model, trainer, problems, encode, policy.detokenizer(), job.prompt.reward_function(), loop, start,
         [&](const RLStepResult& r) {
           const int64_t done = r.step + 1;
           if (root) {
             const nlohmann::json record = step_record(r, o);
             metrics->append(record);
             const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
             print_step(r, record, loop.steps, elapsed / static_cast<double>(done - start));
           }
           const bool stop = done != loop.steps && stop_agreed(*group);
           if (root && (stop || (o.checkpoint_every > 0 && (done % o.checkpoint_every == 0 || done == loop.steps)))) {
             save_rl_checkpoint(out / "checkpoint", *policy.model, trainer, done, job.policy.model_dir);
             keep_checkpoint_history(out, out / "checkpoint", done, o.resume.retention);
           }
           if (stop) {
             throw_stop(cat("step ", done, " of ", loop.steps),
                        cat("checkpoint in ", (out / "checkpoint").string(), "; run the same command again to resume"));
           }
           if (o.eval_every > 0 && done % o.eval_every == 0 && done != loop.steps) run_eval(done);
         });
  run_eval(loop.steps);
  if (!root) return;
  if (group->distributed()) {
    std::cerr << "soar: rank 0 took part in " << group->collectives() << " collectives and sent "
              << group->bytes_sent() / 1e6 << " MB\n";
  }
  save_model(*policy.model, out / "model");
  copy_tokenizer_files(job.policy.model_dir, out / "model");
  mark_run_finished(out, loop.steps);
  std::cerr << "soar: trained model written to " << (out / "model") << "\n";
}

}  // namespace soar::app
