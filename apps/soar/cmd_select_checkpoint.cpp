// soar select-checkpoint RUN_DIR: the SOAR paper's early-stopping rule (appendix B.6) applied to a
// `soar train-rl` run. It reads RUN_DIR/metrics.jsonl, selects a step from the training reward curve
// (rl/checkpoint_selection.h) and averages each test pass@k over the evaluations in the window that
// follows it; writes RUN_DIR/selection.json and prints a table.
//
// Step convention: steps are counted as "steps done", the numbering of train-rl's eval records (eval
// step e measured the model after e RL updates; e = 0 is the base model). Step record s (1-based) holds
// the mean reward of the rollouts sampled by the model after s - 1 updates, so the reward curve's
// index t is that of the model after t updates, and the selected index t is reported as step t: its
// window holds the evaluations with step in [t, t + average_window).
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "rl/checkpoint_selection.h"

namespace soar::app {
namespace {

// One run's metrics. A resumed run appends again the steps it redoes after its checkpoint (and the
// final evaluation when resumed after the end), so a later record of a step replaces an earlier one.
struct RunMetrics {
  std::map<int64_t, double> rewards;                   // step record's "step" -> mean training reward
  std::map<int64_t, std::string> phases;               // step -> "synthetic", "real" or "mixed" (absent: plain run)
  std::map<int64_t, std::map<int64_t, double>> evals;  // eval step -> k -> pass@k mean
};

int64_t pass_at_k_index(const std::string& key, const std::string& where) {
  size_t used = 0;
  if (key.rfind("pass@", 0) == 0 && key.size() > 5) {
    try {
      const int64_t k = std::stoll(key.substr(5), &used);
      if (used == key.size() - 5 && k >= 1) return k;
    } catch (const std::exception&) {
    }
  }
  fail(where, ": pass_at_k key '", key, "' is not pass@K");
}

void read_record(const nlohmann::json& record, const std::string& where, RunMetrics& metrics) {
  const std::string event = record.value("event", "");
  if (event != "step" && event != "eval") return;  // other events are not part of the curve
  if (!record.contains("step") || !record["step"].is_number_integer())
    fail(where, ": a ", event, " record without an integer \"step\"");
  const auto step = record["step"].get<int64_t>();
  if (event == "step") {
    if (step < 1) fail(where, ": step records count steps done from 1, got step ", step);
    if (!record.contains("reward") || !record["reward"].is_number())
      fail(where, ": step ", step, " has no numeric \"reward\"");
    metrics.rewards[step] = record["reward"].get<double>();
    if (record.contains("phase")) metrics.phases[step] = record["phase"].get<std::string>();
    return;
  }
  if (step < 0) fail(where, ": eval records count steps done from 0, got step ", step);
  if (!record.contains("pass_at_k") || !record["pass_at_k"].is_object())
    fail(where, ": eval at step ", step, " has no \"pass_at_k\" object");
  std::map<int64_t, double> pass;
  for (const auto& [key, value] : record["pass_at_k"].items()) {
    if (!value.is_object() || !value.contains("mean") || !value["mean"].is_number())
      fail(where, ": ", key, " has no numeric \"mean\"");
    pass[pass_at_k_index(key, where)] = value["mean"].get<double>();
  }
  metrics.evals[step] = std::move(pass);
}

RunMetrics read_metrics(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) fail("no metrics file ", file, ": RUN_DIR must be the --out directory of a `soar train-rl` run");
  RunMetrics metrics;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = cat(file.string(), ":", number);
    nlohmann::json record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded()) fail(where, ": not valid JSON");
    if (!record.is_object()) fail(where, ": not a JSON object");
    try {
      read_record(record, where, metrics);
    } catch (const nlohmann::json::exception& e) {  // a field of the wrong type
      fail(where, ": ", e.what());
    }
  }
  return metrics;
}

// The reward curve the rule runs on: rewards[i] measures the model after first_step + i updates.
struct Curve {
  std::vector<double> rewards;
  int64_t first_step = 0;
};

// "all": every step record, which must be steps 1..n. "real": only the steps that trained on
// --problems (a curriculum's second phase; every step of a run without --synthetic).
Curve reward_curve(const RunMetrics& metrics, const std::string& which, const std::filesystem::path& file) {
  if (metrics.rewards.empty())
    fail("no training step records ({\"event\":\"step\"}) in ", file, ": nothing to select from");
  Curve curve;
  int64_t expected = 0;
  for (const auto& [step, reward] : metrics.rewards) {
    const auto phase = metrics.phases.find(step);
    if (which == "real" && phase != metrics.phases.end() && phase->second != "real") continue;
    if (curve.rewards.empty()) {
      if (which == "all" && step != 1) fail("the step records of ", file, " start at step ", step, ", not 1");
      curve.first_step = step - 1;
      expected = step;
    }
    if (step != expected) fail("the step records of ", file, " skip step ", expected, " (found ", step, " next)");
    curve.rewards.push_back(reward);
    ++expected;
  }
  if (curve.rewards.empty()) {
    fail("no step of phase \"real\" in ", file,
         ": a mixed run's rewards mix both problem sets (use --reward-curve all)");
  }
  return curve;
}

// "0, 10, 20, ..., 1500": the steps, the middle left out past a dozen.
std::string step_list(const std::vector<int64_t>& steps) {
  if (steps.empty()) return "none";
  std::string out;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps.size() > 12 && i >= 6 && i + 6 < steps.size()) {
      if (i == 6) out += ", ...";
      continue;
    }
    out += cat(i == 0 ? "" : ", ", steps[i]);
  }
  return out;
}

// The evaluation steps in [first, first + window).
std::vector<int64_t> steps_in_window(const RunMetrics& metrics, int64_t first, int64_t window,
                                     const std::filesystem::path& file) {
  std::vector<int64_t> all, inside;
  for (const auto& [step, pass] : metrics.evals) {
    all.push_back(step);
    if (step >= first && step - first < window) inside.push_back(step);
  }
  if (all.empty()) {
    fail("no evaluation records in ", file, ": run train-rl with --eval-problems FILE and an --eval-every below the ",
         "--average-window of ", window, " steps");
  }
  if (inside.empty()) {
    fail("no evaluation in steps [", first, ", ", first + window, ") of ", file,
         ", the window after the selected step ", first, ": evaluations exist at steps ", step_list(all),
         "; rerun train-rl with an --eval-every below ", window, " (or widen --average-window)");
  }
  return inside;
}

// Applies the rule and averages every pass@k over the window after the selected step.
nlohmann::json select(const RunMetrics& metrics, const Curve& curve, const SelectionRule& rule,
                      const std::string& which, const std::filesystem::path& file) {
  const int64_t selected = curve.first_step + select_checkpoint_step(curve.rewards, rule);
  const std::vector<int64_t> inside = steps_in_window(metrics, selected, rule.average_window, file);
  std::map<int64_t, std::vector<std::pair<int64_t, double>>> by_k;  // k -> (eval step, pass@k mean)
  for (const auto& [step, pass] : metrics.evals) {
    for (const auto& [k, mean] : pass) by_k[k].emplace_back(step, mean);
  }
  nlohmann::json pass_at_k = nlohmann::json::object();
  for (const auto& [k, evaluations] : by_k) {
    int64_t count = 0;
    for (const auto& [step, mean] : evaluations) count += step >= selected && step - selected < rule.average_window;
    if (count == 0) continue;  // this k was not evaluated in the window
    pass_at_k[cat("pass@", k)] = {{"mean", mean_after(evaluations, selected, rule.average_window)},
                                  {"evaluations", count}};
  }
  return {{"selected_step", selected},
          {"step_convention",
           "steps done: the model after this many RL updates, as in the eval records of metrics.jsonl; "
           "the reward of step record s measures the model after s - 1 updates"},
          {"rule",
           {{"smoothing", rule.smoothing_window},
            {"slope_fraction", rule.slope_fraction},
            {"average_window", rule.average_window},
            {"reward_curve", which}}},
          {"reward_curve_steps",
           {{"first", curve.first_step + 1}, {"last", curve.first_step + int64_t(curve.rewards.size())}}},
          {"window", {{"first", selected}, {"end", selected + rule.average_window}}},
          {"evaluation_steps", inside},
          {"evaluations_averaged", inside.size()},
          {"pass_at_k", pass_at_k}};
}

void print_selection(const nlohmann::json& s, std::ostream& out) {
  const auto& rule = s["rule"];
  out << "selected step " << s["selected_step"] << " (steps done) from the training reward of steps "
      << s["reward_curve_steps"]["first"] << ".." << s["reward_curve_steps"]["last"] << " (curve "
      << rule["reward_curve"].get<std::string>() << ", smoothing " << rule["smoothing"] << ", slope fraction "
      << rule["slope_fraction"] << ")\n";
  out << "test pass@k averaged over " << s["evaluations_averaged"] << " evaluation(s) in steps ["
      << s["window"]["first"] << ", " << s["window"]["end"] << "):\n";
  for (const auto& [key, value] : s["pass_at_k"].items()) {
    out << "  " << std::left << std::setw(10) << key << std::fixed << std::setprecision(4)
        << value["mean"].get<double>() << "\n";
  }
}

}  // namespace

Action add_select_checkpoint_command(CLI::App& app) {
  struct Options {
    std::string run_dir;
    SelectionRule rule;
    std::string reward_curve = "all";
  };
  auto o = std::make_shared<Options>();
  CLI::App* command = app.add_subcommand(
      "select-checkpoint",
      "Early-stopping step of a train-rl run (SOAR appendix B.6) and its test pass@k, from RUN_DIR/metrics.jsonl");
  command->add_option("run_dir", o->run_dir, "The --out directory of a train-rl run; selection.json is written there")
      ->required();
  command
      ->add_option("--smoothing", o->rule.smoothing_window,
                   "Centered moving average of the training reward, in steps (odd)")
      ->capture_default_str();
  command
      ->add_option("--slope-fraction", o->rule.slope_fraction,
                   "Select the first step after the steepest rise whose slope is below this fraction of it")
      ->capture_default_str();
  command
      ->add_option("--average-window", o->rule.average_window,
                   "Average test pass@k over the evaluations in [selected step, selected step + this)")
      ->capture_default_str();
  command
      ->add_option("--reward-curve", o->reward_curve,
                   "all: every step's reward; real: only steps that trained on --problems (after a curriculum's "
                   "synthetic phase)")
      ->capture_default_str();
  return [o, command] {
    if (!command->parsed()) return;
    const SelectionRule& rule = o->rule;
    if (rule.smoothing_window < 1 || rule.smoothing_window % 2 == 0)
      fail("--smoothing must be odd and at least 1, got ", rule.smoothing_window);
    if (!(rule.slope_fraction > 0 && rule.slope_fraction <= 1))
      fail("--slope-fraction must lie in (0, 1], got ", rule.slope_fraction);
    if (rule.average_window < 1) fail("--average-window must be at least 1, got ", rule.average_window);
    if (o->reward_curve != "all" && o->reward_curve != "real")
      fail("--reward-curve must be all or real, got '", o->reward_curve, "'");
    const std::filesystem::path dir = o->run_dir, file = dir / "metrics.jsonl";
    const RunMetrics metrics = read_metrics(file);
    const nlohmann::json selection =
        select(metrics, reward_curve(metrics, o->reward_curve, file), rule, o->reward_curve, file);
    write_text_atomically(dir / "selection.json", selection.dump(2) + "\n");
    print_selection(selection, std::cout);
    std::cerr << "soar: selection written to " << (dir / "selection.json") << "\n";
  };
}

}  // namespace soar::app
