// soar mine: fail@K hard-set mining, resumable, then a deterministic train/test split.
#include "commands.h"
#include "mining_run.h"
#include "options.h"
#include "recipe.h"

namespace soar::app {

Action add_mine_command(CLI::App& app) {
  struct Options {
    JobOptions job;
    MiningSettings mining;
  };
  auto o = std::make_shared<Options>();
  CLI::App* command = app.add_subcommand("mine", "Keep the problems the model never solves in K samples (fail@K)");
  o->job.add(*command, "Output directory (mining_log.jsonl, hard.jsonl, train.jsonl, test.jsonl, summary.json)");
  add_samples_per_problem_option(*command, o->mining.samples, "Samples per problem: the K of fail@K");
  command->add_option("--batch", o->mining.batch, "Sequences per generation batch")->capture_default_str()->check(at_least(1));
  command->add_option("--train-fraction", o->mining.train_fraction, "Fraction of the hard set for D_train")->capture_default_str()->check(between(0, 1));
  command->add_option("--split-seed", o->mining.split_seed, "Seed of the train/test split")->capture_default_str();
  return [o, command] {
    if (!command->parsed()) return;
    o->job.check_out(OutputKind::Directory);
    std::unique_ptr<dist::Group> group = join_run(o->job.policy);
    Policy policy = o->job.policy.load();
    if (group->is_root()) {
      prepare_output_dir(o->job.out);
      write_resolved_config(*command, o->job.out);
    }
    mine_into(*group, policy, o->job.load_problems(policy), o->job.prompt, o->job.sampling, o->mining, o->job.out);
  };
}

}  // namespace soar::app
