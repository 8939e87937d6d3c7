// soar train-rl: plain RLVR on a problem set, with append-only metrics, periodic atomic
// checkpoints and exact resume. With --synthetic it is the SOAR paper's fresh-student evaluation
// (appendix B.6): a base student trained on synthetic problems and D_train, as a curriculum
// (synthetic first) or mixed; `soar select-checkpoint` then picks its early-stopping step.
#include <iomanip>
#include <optional>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/device.h"
#include "core/error.h"
#include "model/checkpoint.h"
#include "options.h"
#include "recipe.h"
#include "rl/memory_plan.h"
#include "rl/rl_loop.h"
#include "core/metrics_log.h"
#include "run/rl_checkpoint.h"

namespace soar::app {

nlohmann::json pass_at_k_json(const std::map<int64_t, Interval>& pass);  // cmd_eval.cpp

namespace {

// What --synthetic adds to a run: the file, how it is combined with --problems, and the curriculum's
// first-phase length.
struct SyntheticOptions {
  std::string path;
  std::string mix = "curriculum";
  int64_t steps = 64;

  void add(CLI::App& command) {
    command.add_option("--synthetic", path, "JSONL synthetic problems (e.g. promoted_questions.jsonl or a teacher-sample "
                                            "output) to train on besides --problems, as --mix says");
    command.add_option("--mix", mix, "With --synthetic: curriculum (steps 1..S on the synthetic problems only, then "
                                     "--problems only) or mixed (every step draws from both sets together)")
        ->capture_default_str();
    command.add_option("--synthetic-steps", steps, "With --mix curriculum: S, the steps on the synthetic problems (< --steps)")
        ->capture_default_str();
  }

  // Refuses combinations that would silently do something else, before anything is loaded or written.
  void check(const CLI::App& command, int64_t total_steps) const {
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
      fail("--synthetic-steps ", steps, " must be below --steps ", total_steps, ": the curriculum would never reach the --problems set "
           "(train longer, shorten the synthetic phase, or use --mix mixed)");
    }
  }

  // Loads the synthetic problems into the loop: a curriculum's first phase, or the front of a mixed
  // problem set (ids must then differ from those of --problems).
  void apply(const ProblemOptions& real, std::vector<Problem>& problems, RLLoopOptions& loop, bool root) const {
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

  // The "phase" of a step's metrics record; nullopt without --synthetic (records as before).
  std::optional<std::string> phase(const RLStepResult& r) const {
    if (path.empty()) return std::nullopt;
    if (mix == "mixed") return "mixed";
    return r.from_curriculum ? "synthetic" : "real";
  }
};

}  // namespace

Action add_train_rl_command(CLI::App& app) {
  struct Options {
    JobOptions job;
    TrainerConfig trainer;
    RLLoopOptions loop;
    std::string estimator = "rloo", aggregation = "seq-sum";
    SyntheticOptions synthetic;
    std::string eval_problems;
    int64_t eval_every = 0, eval_samples = 8, checkpoint_every = 10;
  };
  auto o = std::make_shared<Options>();
  o->loop.chunks = 0;
  CLI::App* command = app.add_subcommand("train-rl", "RL with verifiable rewards (RLOO/GRPO) on a problem set");
  o->job.add(*command, "Run directory (metrics.jsonl, checkpoint/, model/)");
  command->add_option("--steps", o->loop.steps, "RL steps")->capture_default_str();
  command->add_option("--prompts-per-step", o->loop.prompts_per_step, "Problems per step")->capture_default_str();
  command->add_option("-k,--samples-per-prompt", o->loop.samples_per_prompt, "Samples per problem (k)")->capture_default_str();
  command->add_option("--lr", o->trainer.learning_rate, "Learning rate")->capture_default_str();
  command->add_option("--weight-decay", o->trainer.weight_decay, "AdamW weight decay")->capture_default_str();
  command->add_option("--warmup-steps", o->trainer.warmup_steps, "Linear warm-up steps")->capture_default_str();
  command->add_option("--cosine-steps", o->trainer.total_steps, "Cosine decay length (0 = constant lr)")->capture_default_str();
  command->add_option("--max-grad-norm", o->trainer.max_grad_norm, "Gradient clipping (<= 0: off)")->capture_default_str();
  command->add_option("--micro-batch", o->trainer.micro_batch_size, "Sequences per forward/backward")->capture_default_str();
  command->add_option("--ppo-epochs", o->trainer.ppo_epochs, "Optimiser steps per batch of rollouts")->capture_default_str();
  command->add_option("--clip", o->trainer.clip_epsilon, "PPO ratio clip epsilon")->capture_default_str();
  command->add_option("--kl", o->trainer.kl_coef, "KL penalty to the initial model (k3)")->capture_default_str();
  command->add_option("--estimator", o->estimator, "rloo, grpo or drgrpo")->capture_default_str();
  command->add_option("--aggregation", o->aggregation, "seq-sum, seq-mean, token-mean or constant")->capture_default_str();
  command->add_option("--eval-problems", o->eval_problems, "JSONL problems evaluated every --eval-every steps");
  command->add_option("--eval-every", o->eval_every, "Steps between evaluations (0 = only at the end)")->capture_default_str();
  command->add_option("--eval-samples", o->eval_samples, "Samples per evaluation problem")->capture_default_str();
  command->add_option("--checkpoint-every", o->checkpoint_every, "Steps between checkpoints")->capture_default_str();
  command->add_option("--rollout-chunks", o->loop.chunks,
                      "Fixed parts each step's problems are cut into, the unit spread over processes (0 = one per "
                      "process; the same value gives the same run at any power-of-two process count dividing it)")
      ->capture_default_str();
  o->synthetic.add(*command);
  return [o, command] {
    if (!command->parsed()) return;
    o->synthetic.check(*command, o->loop.steps);
    std::unique_ptr<dist::Group> group = join_run(o->job.policy);
    const bool root = group->is_root();
    Policy policy = o->job.policy.load();
    std::vector<Problem> problems = o->job.problems.load();
    o->synthetic.apply(o->job.problems, problems, o->loop, root);  // before the run directory is touched
    std::vector<Problem> eval_problems;
    if (!o->eval_problems.empty()) eval_problems = ProblemOptions{o->eval_problems, o->job.problems.skip_bad_lines}.load();
    std::filesystem::path out = o->job.out;
    if (root) {
      prepare_output_dir(out);
      write_resolved_config(*command, out);
    }

    TrainerConfig trainer_config = o->trainer;
    trainer_config.estimator = parse_advantage_estimator(o->estimator);
    trainer_config.aggregation = parse_loss_aggregation(o->aggregation);
    trainer_config.temperature = o->job.sampling.temperature;
    trainer_config.max_completion_length = o->job.sampling.max_new_tokens;
    const CausalLMImpl& model = *policy.model;
    require_memory("training", training_memory_plan(model.config(), model.dtype(), trainer_config.kl_coef > 0),
                   model.config(), model.dtype(), model.device(), available_memory_bytes(model.device()));
    CausalLM reference{nullptr};
    if (trainer_config.kl_coef > 0) reference = copy_of(*policy.model);  // frozen before any update
    PolicyTrainer trainer(*policy.model, trainer_config, reference ? reference.get() : nullptr);

    RLLoopOptions loop = o->loop;
    loop.sampling = o->job.sampling.params(policy);
    loop.seed = o->job.sampling.seed;
    loop.group = group.get();
    if (loop.chunks == 0) {
      loop.chunks = group->world_size();
      if (group->distributed() && root) {
        std::cerr << "soar: " << loop.chunks << " rollout chunks (one per process); pass --rollout-chunks to make the run "
                  << "independent of the process count\n";
      }
    }
    int64_t start = 0;
    if (auto resumed = load_rl_checkpoint(out / "checkpoint", *policy.model, trainer)) {
      start = *resumed;
      trainer.set_steps_done(start);
      if (root) std::cerr << "soar: resuming from " << (out / "checkpoint") << " at step " << start << "\n";
    }
    // Every rank must start from the same weights and step (a checkpoint every host can see).
    require_same_on_all_ranks(*group, "the starting model and step",
                              cat(start, "/", parameter_fingerprint(*policy.model)));
    // Only rank 0 writes; the others compute the same numbers.
    std::optional<MetricsLog> metrics;
    if (root) metrics.emplace(out / "metrics.jsonl");
    PromptEncoder encode = policy.prompt_encoder(o->job.prompt.format());
    auto run_eval = [&](int64_t step) {
      if (eval_problems.empty()) return;
      EvalOptions options;
      options.samples_per_problem = o->eval_samples;
      options.ks = {1, o->eval_samples};
      options.sampling = loop.sampling;
      options.group = group.get();
      EvalReport report = evaluate(*policy.model, eval_problems, encode, policy.detokenizer(), o->job.prompt.correctness_function(), options,
                                   {.show_progress = false});
      if (!root) return;
      metrics->append({{"event", "eval"}, {"step", step}, {"pass_at_k", pass_at_k_json(report.pass_at_k)}});
      std::cerr << "eval after step " << step << ": pass@1 = " << report.pass_at_k.at(1).mean << "\n";
    };
    if (start == 0) run_eval(0);
    run_rl(*policy.model, trainer, problems, encode, policy.detokenizer(), o->job.prompt.reward_function(), loop, start,
           [&](const RLStepResult& r) {
             const int64_t done = r.step + 1;
             if (root) {
               nlohmann::json record = {{"event", "step"}, {"step", done}, {"reward", r.train.mean_reward}, {"loss", r.train.loss},
                                        {"grad_norm", r.train.grad_norm}, {"lr", r.train.learning_rate}, {"kl", r.train.kl},
                                        {"clip_fraction", r.train.clip_fraction}, {"tokens", r.generated_tokens},
                                        {"sample_seconds", r.sample_seconds}, {"train_seconds", r.train_seconds}};
               if (auto phase = o->synthetic.phase(r)) record["phase"] = *phase;
               metrics->append(record);
               std::cerr << "step " << std::setw(4) << done << "/" << loop.steps << "  reward " << std::fixed
                         << std::setprecision(3) << r.train.mean_reward << "  loss " << r.train.loss << "  "
                         << std::setprecision(0) << r.generated_tokens / std::max(1e-9, r.sample_seconds)
                         << " tok/s sampling  " << std::setprecision(2) << r.train_seconds << " s train"
                         << (record.contains("phase") ? cat("  (", record["phase"].get<std::string>(), ")") : "") << "\n";
               if (o->checkpoint_every > 0 && (done % o->checkpoint_every == 0 || done == loop.steps)) {
                 save_rl_checkpoint(out / "checkpoint", *policy.model, trainer, done, o->job.policy.model_dir);
               }
             }
             if (o->eval_every > 0 && done % o->eval_every == 0 && done != loop.steps) run_eval(done);
           });
    run_eval(loop.steps);
    if (!root) return;
    if (group->distributed()) {
      std::cerr << "soar: rank 0 took part in " << group->collectives() << " collectives and sent "
                << group->bytes_sent() / 1e6 << " MB\n";
    }
    save_model(*policy.model, out / "model");
    copy_tokenizer_files(o->job.policy.model_dir, out / "model");
    std::cerr << "soar: trained model written to " << (out / "model") << "\n";
  };
}

}  // namespace soar::app
