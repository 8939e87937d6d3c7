// soar mine: fail@K hard-set mining, resumable, then a deterministic train/test split.
#include <nlohmann/json.hpp>

#include <optional>
#include <set>

#include "commands.h"
#include "core/error.h"
#include "data/mining.h"
#include "options.h"
#include "rl/evaluate.h"

namespace soar::app {
namespace {

std::vector<std::string> split_ids(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace


Action add_mine_command(CLI::App& app) {
  struct Options {
    JobOptions job;
    int64_t samples = 128;
    int64_t batch = 128;
    double train_fraction = 0.5;
    uint64_t split_seed = 0;
  };
  auto o = std::make_shared<Options>();
  CLI::App* command = app.add_subcommand("mine", "Keep the problems the model never solves in K samples (fail@K)");
  o->job.add(*command, "Output directory (mining_log.jsonl, hard.jsonl, train.jsonl, test.jsonl, summary.json)");
  command->add_option("-K,--samples", o->samples, "Samples per problem (K)")->capture_default_str();
  command->add_option("--batch", o->batch, "Sequences per generation batch")->capture_default_str();
  command->add_option("--train-fraction", o->train_fraction, "Fraction of the hard set for D_train")->capture_default_str();
  command->add_option("--split-seed", o->split_seed, "Seed of the train/test split")->capture_default_str();
  return [o, command] {
    if (!command->parsed()) return;
    std::unique_ptr<dist::Group> group = join_run(o->job.policy);
    const bool root = group->is_root();
    Policy policy = o->job.policy.load();
    std::vector<Problem> problems = o->job.problems.load();
    std::filesystem::path out = o->job.out;
    // Rank 0 owns the log; the others learn from it which problems are done.
    std::optional<MiningLog> log;
    std::string done_ids;
    if (root) {
      prepare_output_dir(out);
      log.emplace(out / "mining_log.jsonl");
      if (!log->results().empty()) std::cerr << "soar: resuming: " << log->results().size() << " problems already mined\n";
      for (const auto& [id, result] : log->results()) done_ids += id + '\0';
    }
    std::set<std::string> done;
    for (const std::string& id : split_ids(group->broadcast_bytes(done_ids, 0))) done.insert(id);
    EvalOptions options;
    options.group = group.get();
    options.samples_per_problem = o->samples;
    options.ks = {1};
    options.sampling = o->job.sampling.params(policy);
    options.max_batch_sequences = o->batch;
    EvalCallbacks callbacks;
    callbacks.already_done = [&](const Problem& p) { return done.contains(p.id); };
    callbacks.on_problem_done = [&](const Problem& p, const ProblemResult& r) {
      if (log && !log->results().contains(p.id)) log->append(p.id, {r.samples, r.successes});
    };
    callbacks.show_progress = root;
    evaluate(*policy.model, problems, policy.prompt_encoder(o->job.prompt.format()), policy.detokenizer(),
             o->job.prompt.reward_function(), options, callbacks);
    if (!root) return;
    std::vector<Problem> hard = select_hard(problems, log->results(), o->samples);
    write_problems(out / "hard.jsonl", hard);
    MiningSummary summary = summarize_mining(problems, log->results(), o->samples);
    write_mining_summary(out / "summary.json", summary);
    if (!hard.empty()) {
      HardSplit split = split_hard_set_by_fraction(hard, o->train_fraction, o->split_seed);
      if (!split.train.empty()) write_problems(out / "train.jsonl", split.train);
      if (!split.test.empty()) write_problems(out / "test.jsonl", split.test);
      std::cout << "hard set: " << hard.size() << " of " << problems.size() << " problems (0/" << o->samples
                << "); D_train " << split.train.size() << ", D_test " << split.test.size() << "\n";
    } else {
      std::cout << "hard set: empty: every problem was solved at least once in " << o->samples << " samples\n";
    }
  };
}

}  // namespace soar::app
