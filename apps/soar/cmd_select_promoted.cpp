// soar select-promoted: the paper's PS (promoted student, B.6): among the students a SOAR run
// promoted (RUN/promoted/step_<t>), the one with the best greedy accuracy on D_train. Writes
// RUN/promoted_student.json with every student's accuracy and the chosen one; evaluate it on D_test
// with `soar eval`.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/atomic_file.h"
#include "core/directory.h"
#include "core/error.h"
#include "options.h"
#include "rl/evaluate.h"

namespace soar::app {
namespace {

// The promoted students of a run, in promotion order.
std::vector<std::string> promoted_students(const std::filesystem::path& run) {
  std::vector<std::pair<int64_t, std::string>> found;
  for (const std::string& name : directory_entries(run / "promoted")) {
    if (name.rfind("step_", 0) != 0) continue;
    try {
      found.emplace_back(std::stoll(name.substr(5)), name);
    } catch (const std::exception&) {
      fail(run / "promoted" / name, " is not a promoted student's directory (step_<outer step>)");
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> names;
  for (const auto& item : found) names.push_back(item.second);
  return names;
}

}  // namespace

Action add_select_promoted_command(CLI::App& app) {
  struct Options {
    std::string run;
    ProblemOptions train;
    PromptOptions prompt;
    SamplingOptions sampling;
    std::string device = "cpu", dtype = "auto";
  };
  auto o = std::make_shared<Options>();
  CLI::App* command = app.add_subcommand("select-promoted", "The promoted student with the best greedy D_train accuracy (PS)");
  command->add_option("--run", o->run, "A `soar meta` run directory")->required();
  o->train.add(*command, "--train");
  o->prompt.add(*command);
  o->sampling.add(*command);
  command->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
  command->add_option("--dtype", o->dtype, "auto, float32 or bfloat16")->capture_default_str();
  return [o, command] {
    if (!command->parsed()) return;
    if (command->count("--temperature") > 0 && o->sampling.temperature != 0) fail("PS is selected by greedy accuracy: --temperature must be 0");
    const std::filesystem::path run = o->run;
    const std::vector<std::string> students = promoted_students(run);
    if (students.empty()) fail(run / "promoted", " holds no promoted student: the run promoted none, so there is no PS");
    const std::vector<Problem> problems = o->train.load();
    nlohmann::json table = nlohmann::json::array();
    std::string best;
    double best_accuracy = -1;
    for (const std::string& name : students) {
      Policy policy = PolicyOptions{(run / "promoted" / name).string(), o->device, o->dtype}.load();
      EvalOptions options{.samples_per_problem = 1, .ks = {1}, .sampling = o->sampling.params(policy)};
      options.sampling.temperature = 0;
      const EvalReport report =
          evaluate(*policy.model, problems, policy.prompt_encoder(o->prompt.format(policy)), policy.detokenizer(),
                   o->prompt.correctness_function(), options, {.show_progress = false});
      const double accuracy = report.pass_at_k.at(1).mean;
      std::cerr << "soar: " << name << ": greedy accuracy on " << o->train.path << " " << accuracy << "\n";
      table.push_back({{"student", "promoted/" + name}, {"accuracy", accuracy}});
      if (accuracy > best_accuracy) best_accuracy = accuracy, best = "promoted/" + name;  // ties: the earliest
    }
    write_text_atomically(run / "promoted_student.json",
                          nlohmann::json{{"students", table}, {"best", best}, {"accuracy", best_accuracy}}.dump(2) + "\n");
    std::cout << (run / best).string() << "\n";
  };
}

}  // namespace soar::app
