// soar train-rl: plain RLVR on a problem set, with append-only metrics, periodic atomic
// checkpoints and exact resume. With --synthetic it is the SOAR paper's fresh-student evaluation
// (appendix B.6): a base student trained on synthetic problems and D_train, as a curriculum
// (synthetic first) or mixed; `soar select-checkpoint` then picks its early-stopping step.
#include "commands.h"
#include "core/stop_signal.h"
#include "recipe.h"
#include "run_start.h"
#include "train_rl_run.h"

namespace soar::app {
namespace {

void add_training_options(CLI::App& command, TrainRlOptions& o) {
  command.add_option("--steps", o.loop.steps, "RL steps")->capture_default_str()->check(at_least(1));
  command.add_option("--prompts-per-step", o.loop.prompts_per_step, "Problems per step")->capture_default_str()->check(at_least(1));
  command.add_option("-k,--samples-per-prompt", o.loop.samples_per_prompt, "Samples per problem (k >= 2: RLOO and GRPO compare the samples of one problem)")->capture_default_str()->check(between(2, 1 << 20));
  command.add_option("--lr", o.trainer.learning_rate, "Learning rate")->capture_default_str()->check(above(0));
  command.add_option("--weight-decay", o.trainer.weight_decay, "AdamW weight decay")->capture_default_str()->check(at_least(0));
  command.add_option("--warmup-steps", o.trainer.warmup_steps, "Linear warm-up steps")->capture_default_str()->check(at_least(0));
  command.add_option("--cosine-steps", o.trainer.total_steps, "Cosine decay length (0 = constant lr)")->capture_default_str()->check(at_least(0));
  command.add_option("--max-grad-norm", o.trainer.max_grad_norm, "Gradient clipping (<= 0: off)")->capture_default_str()->check(any_finite());
  command.add_option("--micro-batch", o.trainer.micro_batch_size, "Sequences per forward/backward")->capture_default_str()->check(at_least(1));
  command.add_option("--ppo-epochs", o.trainer.ppo_epochs, "Optimiser steps per batch of rollouts")->capture_default_str()->check(at_least(1));
  command.add_option("--clip", o.trainer.clip_epsilon, "PPO ratio clip epsilon")->capture_default_str()->check(above(0));
  command.add_option("--kl", o.trainer.kl_coef, "KL penalty to the initial model (k3)")->capture_default_str()->check(at_least(0));
  command.add_option("--estimator", o.estimator, "rloo, grpo or drgrpo")->capture_default_str();
  command.add_option("--aggregation", o.aggregation, "seq-sum, seq-mean, token-mean or constant")->capture_default_str();
}

void add_run_options(CLI::App& command, TrainRlOptions& o) {
  command.add_option("--eval-problems", o.eval_problems, "JSONL problems evaluated every --eval-every steps");
  command.add_option("--eval-every", o.eval_every, "Steps between evaluations (0 = only at the end)")->capture_default_str()->check(at_least(0));
  command.add_option("--eval-samples", o.eval_samples, "Samples per evaluation problem")->capture_default_str()->check(at_least(1));
  command.add_option("--checkpoint-every", o.checkpoint_every, "Steps between checkpoints")->capture_default_str()->check(at_least(0));
  command.add_option("--rollout-chunks", o.loop.chunks,
                     "Fixed parts each step's problems are cut into, the unit spread over processes (0 = one per "
                     "process->check(at_least(0)); the same value gives the same run at any power-of-two process count dividing it)")
      ->capture_default_str();
}

}  // namespace

Action add_train_rl_command(CLI::App& app) {
  auto o = std::make_shared<TrainRlOptions>();
  o->loop.chunks = 0;
  CLI::App* command = app.add_subcommand("train-rl", "RL with verifiable rewards (RLOO/GRPO) on a problem set");
  o->job.add(*command, "Run directory (metrics.jsonl, checkpoint/, model/; docs/runs.md); the same command run again resumes there");
  add_training_options(*command, *o);
  add_run_options(*command, *o);
  o->synthetic.add(*command);
  o->rollouts.add(*command, "step");
  o->resume.add(*command, "step");
  return [o, command] {
    if (!command->parsed()) return;
    o->synthetic.check(*command, o->loop.steps);
    o->recipe = run_recipe(*command);
    install_stop_handlers(stop_grace_from_environment());
    run_train_rl(*o);
  };
}

}  // namespace soar::app
