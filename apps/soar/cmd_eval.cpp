// soar eval: pass@k with n samples per problem, per-problem results and a summary with CIs.
#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/error.h"
#include "core/atomic_file.h"
#include "options.h"
#include "recipe.h"
#include "rl/evaluate.h"
#include "rl/rollout_log.h"

namespace soar::app {

nlohmann::json pass_at_k_json(const std::map<int64_t, Interval>& pass) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, interval] : pass) {
    out[cat("pass@", k)] = {{"mean", interval.mean}, {"ci_low", interval.lower}, {"ci_high", interval.upper}};
  }
  return out;
}

Action add_eval_command(CLI::App& app) {
  struct Options {
    JobOptions job;
    int64_t samples = 8;
    std::vector<int64_t> ks = {1};
    int64_t batch = 64;
    RolloutOptions rollouts;
  };
  auto o = std::make_shared<Options>();
  CLI::App* command = app.add_subcommand("eval", "pass@k of a model on a problem set");
  o->job.add(*command, "Output directory (per_problem.jsonl, rollouts.jsonl, summary.json)");
  command->add_option("-n,--samples", o->samples, "Samples per problem (n >= every k)")->capture_default_str()->check(at_least(1));
  command->add_option("-k", o->ks, "k values for pass@k")->delimiter(',')->capture_default_str()->check(at_least(1));
  command->add_option("--batch", o->batch, "Sequences per generation batch")->capture_default_str()->check(at_least(1));
  o->rollouts.add(*command, "");
  return [o, command] {
    if (!command->parsed()) return;
    o->job.check_out(OutputKind::Directory);
    std::unique_ptr<dist::Group> group = join_run(o->job.policy);
    Policy policy = o->job.policy.load();
    std::vector<Problem> problems = o->job.load_problems(policy);
    if (group->is_root()) {
      prepare_output_dir(o->job.out);
      write_resolved_config(*command, o->job.out);
    }
    EvalOptions options;
    options.group = group.get();
    options.samples_per_problem = o->samples;
    options.ks = o->ks;
    options.sampling = o->job.sampling.params(policy);
    options.max_batch_sequences = o->batch;
    // Results are kept as each problem finishes, so that a failure part-way loses none of them.
    std::vector<ProblemResult> finished;
    EvalCallbacks callbacks{.on_problem_done = [&](const Problem&, const ProblemResult& r) { finished.push_back(r); },
                            .show_progress = group->is_root(),
                            .rollout_line = eval_rollout_line(o->rollouts.selection(o->job.sampling.seed), std::nullopt,
                                                              problems.size(), o->job.prompt.judge_function())};
    const std::filesystem::path out = o->job.out;
    const auto write_per_problem = [&] {
      std::string lines, rollouts;
      for (const auto& r : finished) {
        lines += nlohmann::json{{"id", r.id}, {"samples", r.samples}, {"successes", r.successes}}.dump() + "\n";
        rollouts += r.rollouts;
      }
      write_text_atomically(out / "per_problem.jsonl", lines);
      write_rollout_file(out / "rollouts.jsonl", rollouts);
    };
    EvalReport report;
    try {
      report = evaluate(*policy.model, problems, policy.prompt_encoder(o->job.prompt.format(policy)),
                        policy.detokenizer(), o->job.prompt.correctness_function(), options, callbacks);
    } catch (const std::exception& e) {
      const std::string& failed = problems.at(std::min(finished.size(), problems.size() - 1)).id;
      if (group->is_root() && !finished.empty()) {
        write_per_problem();
        write_text_atomically(out / "summary.json", nlohmann::json{{"incomplete", true}, {"problems_done", finished.size()},
                                                                   {"problems", problems.size()}, {"error", e.what()}}.dump(2) + "\n");
      }
      fail("evaluation stopped at problem '", failed, "' (or its batch) after ", finished.size(), " of ", problems.size(),
           " problems", finished.empty() ? std::string() : cat(" (their results are in ", (out / "per_problem.jsonl").string(), ")"),
           ": ", e.what());
    }
    if (!group->is_root()) return;
    write_per_problem();
    nlohmann::json summary = {{"problems", report.problems.size()}, {"samples_per_problem", o->samples},
                              {"generated_tokens", report.generated_tokens}, {"seconds", report.seconds},
                              {"pass_at_k", pass_at_k_json(report.pass_at_k)}};
    write_text_atomically(out / "summary.json", summary.dump(2) + "\n");
    for (const auto& [k, interval] : report.pass_at_k) {
      std::cout << "pass@" << k << " = " << interval.mean << "  [" << interval.lower << ", " << interval.upper << "]\n";
    }
  };
}

}  // namespace soar::app
