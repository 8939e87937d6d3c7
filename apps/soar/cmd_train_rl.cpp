// soar train-rl: plain RLVR on a problem set, with append-only metrics, periodic atomic
// checkpoints and exact resume.
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
#include "run/metrics.h"
#include "run/rl_checkpoint.h"

namespace soar::app {

nlohmann::json pass_at_k_json(const std::map<int64_t, Interval>& pass);  // cmd_eval.cpp

Action add_train_rl_command(CLI::App& app) {
  struct Options {
    JobOptions job;
    TrainerConfig trainer;
    RLLoopOptions loop;
    std::string estimator = "rloo", aggregation = "seq-sum";
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
  return [o, command] {
    if (!command->parsed()) return;
    std::unique_ptr<dist::Group> group = join_run(o->job.policy);
    const bool root = group->is_root();
    Policy policy = o->job.policy.load();
    std::vector<Problem> problems = o->job.problems.load();
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
               metrics->append({{"event", "step"}, {"step", done}, {"reward", r.train.mean_reward}, {"loss", r.train.loss},
                                {"grad_norm", r.train.grad_norm}, {"lr", r.train.learning_rate}, {"kl", r.train.kl},
                                {"clip_fraction", r.train.clip_fraction}, {"tokens", r.generated_tokens},
                                {"sample_seconds", r.sample_seconds}, {"train_seconds", r.train_seconds}});
               std::cerr << "step " << std::setw(4) << done << "/" << loop.steps << "  reward " << std::fixed
                         << std::setprecision(3) << r.train.mean_reward << "  loss " << r.train.loss << "  "
                         << std::setprecision(0) << r.generated_tokens / std::max(1e-9, r.sample_seconds)
                         << " tok/s sampling  " << std::setprecision(2) << r.train_seconds << " s train\n";
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
