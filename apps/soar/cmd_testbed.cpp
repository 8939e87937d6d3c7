// soar testbed: the built-in domain's tools. `problems` writes problem sets by level as JSONL (for
// mine, eval and train-rl); `levels` measures a model's success per level; `teacher` samples
// problem sets with the teacher prompt and measures how parseable, spread and correct they are;
// `hard-level` places a model's hard set by mining levels from the highest down.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>

#include "commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/seed.h"
#include "domain_formats.h"
#include "mining_run.h"
#include "options.h"
#include "rl/evaluate.h"
#include "domains/testbed/datasets.h"
#include "domains/testbed/domain.h"
#include "domains/testbed/prompts.h"

namespace soar::app {
namespace {

// Names a level of a kind in ids and seed labels: "L7" (two operands, as always), "T7" (three).
std::string level_tag(int level, int operands) { return (operands == 3 ? "T" : "L") + std::to_string(level); }

// As the `task`'s student sees them, with their true answers.
std::vector<Problem> level_problems(int level, int64_t count, uint64_t seed, int operands, testbed::StudentTask task) {
  if (operands == 3 && task == testbed::StudentTask::difference) fail("--operands 3: the difference task has two-operand problems only");
  const std::string tag = level_tag(level, operands);
  SplitMix64 rng(derive_seed(seed, "testbed/problems/" + tag));
  std::vector<Problem> problems;
  for (int64_t i = 0; i < count; ++i) {
    const testbed::AdditionProblem p = testbed::generate_problem(level, rng, operands);
    const testbed::StudentProblem student = testbed::true_student_problem(p, task);
    problems.push_back({cat(tag, "-s", seed, "-", i), student.statement, student.answer,
                        operands == 3 ? cat(R"({"level":)", level, R"(,"operands":3})") : cat(R"({"level":)", level, "}")});
  }
  return problems;
}

void add_operands_option(CLI::App& command, int& operands) {
  command.add_option("--operands", operands, "Operands per problem (2, or 3: the sums the corpus never solves)")
      ->check(CLI::IsMember({2, 3}))
      ->capture_default_str();
}

Action add_problems(CLI::App& parent) {
  struct Options {
    std::string levels, out;
    int64_t count = 100;
    uint64_t seed = 1;
    int operands = 2;
    testbed::StudentTask task = testbed::StudentTask::sum;
  };
  auto o = std::make_shared<Options>();
  CLI::App* command = parent.add_subcommand("problems", "Write problems of given levels as JSONL ({id, problem, answer, level})");
  add_operands_option(*command, o->operands);
  add_student_task_option(*command, o->task);
  command->add_option("--levels,--level", o->levels, "Levels, e.g. 7 or 5-7 or 2,4")->required();
  command->add_option("--count", o->count, "Problems per level")->capture_default_str()->check(at_least(1));
  command->add_option("--seed", o->seed, "Seed")->capture_default_str();
  command->add_option("--out", o->out, "Output JSONL file")->required();
  return [o, command] {
    if (!command->parsed()) return;
    check_output_path(o->out, OutputKind::File);
    std::vector<Problem> all;
    for (int level : testbed::parse_levels(o->levels)) {
      auto problems = level_problems(level, o->count, o->seed, o->operands, o->task);
      all.insert(all.end(), problems.begin(), problems.end());
    }
    write_problems(o->out, all);
    std::cerr << "soar testbed problems: wrote " << all.size() << " problems to " << o->out << "\n";
  };
}

Action add_levels(CLI::App& parent) {
  struct Options {
    PolicyOptions policy;
    std::string levels = "1-" + std::to_string(testbed::kMaxLevel), out;
    int64_t count = 64, samples = 8, batch = 256;
    uint64_t seed = 1;
    double temperature = 1.0;
    int operands = 2;
    testbed::StudentTask task = testbed::StudentTask::sum;
  };
  auto o = std::make_shared<Options>();
  CLI::App* command = parent.add_subcommand("levels", "Success of a model per level with the student prompt (fresh problems)");
  o->policy.add(*command);
  add_operands_option(*command, o->operands);
  add_student_task_option(*command, o->task);
  command->add_option("--levels", o->levels, "Levels, e.g. 1-5 or 7")->capture_default_str();
  command->add_option("--count", o->count, "Problems per level")->capture_default_str()->check(at_least(1));
  command->add_option("-n,--samples", o->samples, "Samples per problem")->capture_default_str()->check(at_least(1));
  command->add_option("--seed", o->seed, "Seed of problems (offset by 1000 from `problems`) and sampling")->capture_default_str();
  command->add_option("--temperature", o->temperature, "Sampling temperature")->capture_default_str()->check(between(0, 100));
  command->add_option("--batch", o->batch, "Sequences per generation batch")->capture_default_str()->check(at_least(1));
  command->add_option("--out", o->out, "Write the table as JSON here");
  return [o, command] {
    if (!command->parsed()) return;
    if (!o->out.empty()) check_output_path(o->out, OutputKind::File, {{"--model", o->policy.model_dir}});
    Policy policy = o->policy.load();
    PromptFormat format;
    format.template_text = testbed::kStudentTemplate;
    nlohmann::json table = nlohmann::json::array();
    std::cout << "level  pass@1   pass@" << o->samples << "  never-solved  seconds\n";
    for (int level : testbed::parse_levels(o->levels)) {
      // Offset seed: these problems must not be the ones `problems --seed S` writes for D_train/D_test.
      std::vector<Problem> problems = level_problems(level, o->count, o->seed + 1000, o->operands, o->task);
      EvalOptions options;
      options.samples_per_problem = o->samples;
      options.ks = {1, o->samples};
      options.max_batch_sequences = o->batch;
      options.sampling.temperature = o->temperature;
      options.sampling.max_new_tokens = level + 4;
      options.sampling.stop_strings = {testbed::kStudentStop};
      options.sampling.eos_token_ids = policy.eos_token_ids();
      options.sampling.seed = derive_seed(o->seed, "testbed/levels/" + level_tag(level, o->operands));
      EvalReport report = evaluate(*policy.model, problems, policy.prompt_encoder(format), policy.detokenizer(),
                                   testbed::checked_reward(o->task), options, {.show_progress = false});
      int64_t never = 0;
      for (const auto& r : report.problems) never += r.successes == 0;
      const double p1 = report.pass_at_k.at(1).mean, pn = report.pass_at_k.at(o->samples).mean;
      std::cout << std::setw(5) << level << "  " << std::fixed << std::setprecision(4) << p1 << "  " << pn << "  " << std::setw(5)
                << never << "/" << problems.size() << "  " << std::setprecision(1) << report.seconds << std::endl;
      table.push_back({{"level", level}, {"operands", o->operands}, {"student_task", testbed::student_task_name(o->task)},
                       {"problems", problems.size()}, {"samples", o->samples}, {"pass@1", p1},
                       {cat("pass@", o->samples), pn}, {"never_solved", never}, {"seconds", report.seconds}});
    }
    if (!o->out.empty()) write_text_atomically(o->out, table.dump(2) + "\n");
  };
}

struct TeacherOptions {
  PolicyOptions policy;
  int64_t sets = 100, n = 4, batch = 100;
  uint64_t seed = 1;
  double temperature = 1.0;
  int operands = 2;
  testbed::StudentTask task = testbed::StudentTask::sum;
  std::string out;
};

// What the teacher's sets hold: completeness, parse rate, duplicates, correctness per level.
struct TeacherSetStats {
  int64_t exact_sets = 0, usable_sets = 0, items = 0, malformed = 0, duplicates = 0;
  std::map<std::pair<int, int>, std::pair<int64_t, int64_t>> by_level;  // {operands, level} -> {items, correct}
};

TeacherSetStats sample_teacher_sets(const TeacherOptions& o, Policy& policy) {
  Sampler sampler(*policy.model, policy.detokenizer());
  const std::vector<int32_t> prompt = policy.tokenizer->encode(testbed::teacher_prompt(static_cast<int>(o.n)), true);
  TeacherSetStats stats;
  std::set<std::string> seen;
  for (int64_t done = 0; done < o.sets; done += o.batch) {
    const int64_t size = std::min(o.batch, o.sets - done);
    SamplingParams params;
    params.temperature = o.temperature;
    // n of the longest well-formed items and <|eos|>.
    params.max_new_tokens = testbed::teacher_max_new_tokens(o.n, o.operands);
    params.eos_token_ids = policy.eos_token_ids();
    params.seed = derive_seed(o.seed, "testbed/teacher/" + std::to_string(done));
    for (const Completion& c : sampler.generate(std::vector<std::vector<int32_t>>(size, prompt), params)) {
      const testbed::TeacherSet set = testbed::parse_teacher_set(c.text, o.task);
      const bool complete = c.finish == FinishReason::Eos;
      stats.exact_sets += complete && set.malformed_lines == 0 && static_cast<int64_t>(set.items.size()) == o.n;
      stats.usable_sets += !set.items.empty();
      stats.malformed += set.malformed_lines;
      for (const auto& item : set.items) {
        ++stats.items;
        stats.duplicates += !seen.insert(item.problem.statement()).second;
        auto& [count, correct] = stats.by_level[{item.problem.operands(), item.problem.level()}];
        ++count;
        correct += item.correct;
      }
    }
  }
  return stats;
}

void report_teacher_sets(const TeacherOptions& o, const TeacherSetStats& s) {
  nlohmann::json levels = nlohmann::json::object();
  std::cout << "sets " << o.sets << ": exactly n well-formed " << s.exact_sets << ", at least one item " << s.usable_sets
            << "; items " << s.items << ", malformed lines " << s.malformed << ", duplicate statements " << s.duplicates << "\n";
  std::cout << "operands  level  items  correct\n";
  for (const auto& [kind, counts] : s.by_level) {
    const auto [operands, level] = kind;
    std::cout << std::setw(8) << operands << "  " << std::setw(5) << level << "  " << std::setw(5) << counts.first << "  "
              << std::fixed << std::setprecision(3) << static_cast<double>(counts.second) / counts.first << "\n";
    // Two-operand levels keep their plain keys ("7"); three-operand ones are "3x7".
    levels[operands == 3 ? cat("3x", level) : std::to_string(level)] = {{"items", counts.first}, {"correct", counts.second}};
  }
  if (o.out.empty()) return;
  nlohmann::json summary = {{"student_task", testbed::student_task_name(o.task)}, {"sets", o.sets}, {"n", o.n},
                            {"temperature", o.temperature}, {"exact_sets", s.exact_sets},
                            {"usable_sets", s.usable_sets}, {"items", s.items}, {"malformed_lines", s.malformed},
                            {"duplicate_statements", s.duplicates}, {"levels", levels}};
  write_text_atomically(o.out, summary.dump(2) + "\n");
}

Action add_teacher(CLI::App& parent) {
  auto o = std::make_shared<TeacherOptions>();
  CLI::App* command = parent.add_subcommand("teacher", "Sample problem sets with the teacher prompt; parse rate, level spread, correctness");
  o->policy.add(*command);
  command->add_option("--sets", o->sets, "Problem sets to sample")->capture_default_str()->check(at_least(1));
  command->add_option("--n", o->n, "Problems asked for per set")->capture_default_str()->check(at_least(1));
  command->add_option("--seed", o->seed, "Sampling seed")->capture_default_str();
  command->add_option("--temperature", o->temperature, "Sampling temperature")->capture_default_str()->check(between(0, 100));
  command->add_option("--batch", o->batch, "Sets per generation batch")->capture_default_str()->check(at_least(1));
  command->add_option("--max-operands", o->operands, "Token budget for items of up to this many operands (3 for models whose corpus had three-operand sets)")
      ->check(CLI::IsMember({2, 3}))
      ->capture_default_str();
  add_student_task_option(*command, o->task);
  command->add_option("--out", o->out, "Write the summary as JSON here");
  return [o, command] {
    if (!command->parsed()) return;
    if (!o->out.empty()) check_output_path(o->out, OutputKind::File, {{"--model", o->policy.model_dir}});
    Policy policy = o->policy.load();
    report_teacher_sets(*o, sample_teacher_sets(*o, policy));
  };
}

struct HardLevelOptions {
  PolicyOptions policy;
  PromptOptions prompt;
  SamplingOptions sampling;
  MiningSettings mining;
  std::string levels = "9-" + std::to_string(testbed::kMaxLevel), out;
  int64_t count = 128, max_successes = 1;
  uint64_t problem_seed = 1;
  testbed::StudentTask task = testbed::StudentTask::sum;
};

// Writes OUT/scan.json and returns the hard level, or fails saying why none can be placed.
int choose_hard_level(const HardLevelOptions& o, const std::vector<std::pair<int, MiningSummary>>& mined) {
  const std::filesystem::path out = o.out;
  std::vector<testbed::LevelSuccesses> scan;
  nlohmann::json scanned = nlohmann::json::array();
  for (const auto& [level, summary] : mined) {
    scan.push_back({level, summary.successes});
    scanned.push_back({{"level", level}, {"problems", summary.problems}, {"samples", summary.samples},
                       {"successes", summary.successes}, {"hard", summary.hard}});
  }
  const std::optional<int> hard_level = testbed::lowest_quiet_level(scan, o.max_successes);
  const nlohmann::json result = {{"max_successes", o.max_successes}, {"samples_per_problem", o.mining.samples},
                                 {"levels", scanned}, {"hard_level", hard_level ? nlohmann::json(*hard_level) : nlohmann::json()}};
  write_text_atomically(out / "scan.json", result.dump(2) + "\n");
  if (!hard_level) {
    const int64_t successes = scan.front().successes;
    fail("level ", mined.front().first, " already had ", successes, successes == 1 ? " success" : " successes",
         " (more than --max-successes ", o.max_successes,
         "): the model is not past its edge at any scanned level; scan higher levels (", (out / "scan.json").string(), ")");
  }
  const auto chosen = std::find_if(mined.begin(), mined.end(), [&](const auto& entry) { return entry.first == *hard_level; });
  if (chosen->second.hard == 0) {  // possible only with very small pools: a quiet level whose few problems were all solved
    fail("level ", *hard_level, " is the hard level but none of its ", o.count, " problems was failed ", o.mining.samples,
         " times: use a larger --count");
  }
  if (scan.back().successes <= o.max_successes) {
    std::cerr << "soar testbed hard-level: every scanned level was quiet; level " << *hard_level
              << " is the lowest scanned, the model's edge may lie lower\n";
  }
  return *hard_level;
}

}  // namespace

// Scans levels from the highest down, mining a fresh pool of each (as `problems` + `mine` would),
// and stops at the first level with more than --max-successes successes; the hard level is the one
// above it (testbed::lowest_quiet_level; docs/testbed.md, table 9). Each level's mining lands in
// OUT/L<level> (resumable), the scan in OUT/scan.json.
Action add_hard_level(CLI::App& parent) {
  auto o = std::make_shared<HardLevelOptions>();
  o->prompt.template_text = testbed::kStudentTemplate;
  o->sampling.stop = {testbed::kStudentStop};
  o->sampling.max_new_tokens = testbed::kWidth + 4;  // the longest answer (kWidth + 1 digits) and its newline
  CLI::App* command = parent.add_subcommand(
      "hard-level", "Place a model's hard set: mine levels from the highest down until one has more than --max-successes successes");
  o->policy.add(*command);
  o->prompt.add(*command);
  o->sampling.add(*command);
  command->add_option("--levels", o->levels, "Levels to scan (scanned from the highest down)")->capture_default_str();
  add_student_task_option(*command, o->task);
  command->add_option("--count", o->count, "Problems per level")->capture_default_str()->check(at_least(1));
  command->add_option("--problem-seed", o->problem_seed, "Seed of the problems (as `problems --seed`)")->capture_default_str();
  command->add_option("--max-successes", o->max_successes, "Successes a level may have in its K samples per problem and still be hard")
      ->check(at_least(0))
      ->capture_default_str();
  add_samples_per_problem_option(*command, o->mining.samples, "Samples per problem: the K of fail@K");
  command->add_option("--batch", o->mining.batch, "Sequences per generation batch")->capture_default_str()->check(at_least(1));
  command->add_option("--train-fraction", o->mining.train_fraction, "Fraction of the hard set for D_train")->capture_default_str()->check(between(0, 1));
  command->add_option("--split-seed", o->mining.split_seed, "Seed of the train/test split")->capture_default_str();
  command->add_option("--out", o->out, "Output directory (L<level>/ per scanned level, scan.json)")->required();
  return [o, command] {
    if (!command->parsed()) return;
    check_output_path(o->out, OutputKind::Directory, {{"--model", o->policy.model_dir}});
    std::vector<int> levels = testbed::parse_levels(o->levels);
    std::sort(levels.rbegin(), levels.rend());
    levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
    std::unique_ptr<dist::Group> group = join_run(o->policy);
    Policy policy = o->policy.load();
    const std::filesystem::path out = o->out;
    std::vector<std::pair<int, MiningSummary>> mined;  // per scanned level, highest first
    for (int level : levels) {
      if (group->is_root()) std::cerr << "soar testbed hard-level: level " << level << "\n";
      mined.emplace_back(level, mine_into(*group, policy, level_problems(level, o->count, o->problem_seed, 2, o->task), o->prompt,
                                          o->sampling, o->mining, out / level_tag(level, 2)));
      if (mined.back().second.successes > o->max_successes) break;
    }
    if (!group->is_root()) return;
    const int hard_level = choose_hard_level(*o, mined);
    const std::filesystem::path chosen = out / level_tag(hard_level, 2);
    std::cout << "hard level " << hard_level << ": " << (chosen / "train.jsonl").string() << ", "
              << (chosen / "test.jsonl").string() << "\n";
  };
}

Action add_testbed_command(CLI::App& app) {
  CLI::App* command = app.add_subcommand("testbed", "The built-in testbed domain: problem sets, per-level success, teacher sets, hard-set placement");
  command->require_subcommand(1);
  std::vector<Action> actions = {add_problems(*command), add_levels(*command), add_teacher(*command), add_hard_level(*command)};
  return [actions] {
    for (const auto& action : actions) action();
  };
}

}  // namespace soar::app
