#include "mining_run.h"

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>

#include "core/error.h"
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

MiningSummary mine_into(dist::Group& group, Policy& policy, const std::vector<Problem>& problems, const PromptOptions& prompt,
                        const SamplingOptions& sampling, const MiningSettings& settings, const std::filesystem::path& out) {
  const bool root = group.is_root();
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
  for (const std::string& id : split_ids(group.broadcast_bytes(done_ids, 0))) done.insert(id);
  EvalOptions options;
  options.group = &group;
  options.samples_per_problem = settings.samples;
  options.ks = {1};
  options.sampling = sampling.params(policy);
  options.max_batch_sequences = settings.batch;
  EvalCallbacks callbacks;
  callbacks.already_done = [&](const Problem& p) { return done.contains(p.id); };
  callbacks.on_problem_done = [&](const Problem& p, const ProblemResult& r) {
    if (log && !log->results().contains(p.id)) log->append(p.id, {r.samples, r.successes});
  };
  callbacks.show_progress = root;
  try {
    evaluate(*policy.model, problems, policy.prompt_encoder(prompt.format(policy)), policy.detokenizer(),
             prompt.correctness_function(), options, callbacks);
  } catch (const std::exception& e) {
    // Every finished problem is in the log already (the next run resumes after it); name the first that is not.
    const auto next = std::find_if(problems.begin(), problems.end(), [&](const Problem& p) { return !done.contains(p.id) && !(log && log->results().contains(p.id)); });
    fail("mining stopped at problem '", next == problems.end() ? std::string("?") : next->id, "' (or its batch)",
         log ? cat(" with ", log->results().size(), " of ", problems.size(), " problems in ", (out / "mining_log.jsonl").string()) : std::string(),
         ": ", e.what());
  }
  MiningSummary summary;
  std::string counts;
  if (root) {
    std::vector<Problem> hard = select_hard(problems, log->results(), settings.samples);
    write_problems(out / "hard.jsonl", hard);
    summary = summarize_mining(problems, log->results(), settings.samples);
    write_mining_summary(out / "summary.json", summary);
    if (!hard.empty()) {
      HardSplit split = split_hard_set_by_fraction(hard, settings.train_fraction, settings.split_seed);
      if (!split.train.empty()) write_problems(out / "train.jsonl", split.train);
      if (!split.test.empty()) write_problems(out / "test.jsonl", split.test);
      std::cout << "hard set: " << hard.size() << " of " << problems.size() << " problems (0/" << settings.samples << "); D_train "
                << split.train.size() << ", D_test " << split.test.size() << "\n";
    } else {
      std::cout << "hard set: empty: every problem was solved at least once in " << settings.samples << " samples\n";
    }
    std::ostringstream text;  // the rate exactly: every rank must hold the same summary
    text << std::setprecision(std::numeric_limits<double>::max_digits10) << summary.problems << ' ' << summary.min_samples << ' ' << summary.hard << ' ' << summary.solved << ' ' << summary.samples
         << ' ' << summary.successes << ' ' << summary.mean_success_rate;
    counts = text.str();
  }
  const std::string received_counts = group.broadcast_bytes(counts, 0);
  if (!root) {
    std::istringstream received(received_counts);
    received >> summary.problems >> summary.min_samples >> summary.hard >> summary.solved >> summary.samples >> summary.successes >>
        summary.mean_success_rate;
  }
  return summary;
}

}  // namespace soar::app
