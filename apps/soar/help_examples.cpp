#include "help_examples.h"

#include <map>

#include "core/error.h"

namespace soar::app {
namespace {

// Paths as in docs/usage.md: a testbed model from `soar pretrain`, problem sets from `soar testbed
// problems` or `soar mine`, the recipes under configs/.
const std::map<std::string, std::string>& examples() {
  static const std::map<std::string, std::string> table = {
      {"sample",
       "soar sample --model runs/base/model --problems hard/test.jsonl -n 4 --temperature 1 --out samples.jsonl"},
      {"eval",
       "soar eval --model runs/base/model --problems hard/test.jsonl -n 32 -k 1 -k 8 -k 32 --out runs/eval-base\n"
       "  soar eval --config configs/paper-math-eval.toml --model runs/paper-math/student --out runs/eval-student"},
      {"mine",
       "soar mine --model runs/base/model --problems pool.jsonl -n 128 --train-fraction 0.5 --out hard\n"
       "  soar mine --config configs/paper-math-mine.toml"},
      {"train-rl",
       "soar train-rl --model runs/base/model --problems hard/train.jsonl --steps 200 --out runs/hard-only\n"
       "  soar train-rl --config configs/paper-math-hard-only.toml\n"
       "  (run the same command again to resume from OUT/checkpoint; --resume insists on one)"},
      {"pretrain", "soar pretrain --out runs/base   (the testbed's base model; its model is runs/base/model)"},
      {"meta",
       "soar meta --config configs/testbed.toml --model runs/base/model --train hard/train.jsonl --out runs/soar\n"
       "  soar meta --config configs/paper-math.toml --dry-run\n"
       "  (run the same command again to resume from OUT/checkpoint; --resume insists on one)"},
      {"teacher-sample", "soar teacher-sample --model runs/soar/teacher --domain testbed -n 128 --out sampled.jsonl"},
      {"select-promoted", "soar select-promoted --run runs/soar --train hard/train.jsonl"},
      {"launch", "soar launch --nproc 2 -- train-rl --model runs/base/model --problems hard/train.jsonl --out runs/hard-only"},
      {"select-checkpoint", "soar select-checkpoint runs/hard-only"},
      {"report",
       "soar report runs/hard-only   (writes runs/hard-only/report/report.md, report.html and the plots)\n"
       "  soar report runs/demo/experiment --out runs/demo/report --title demo"},
      {"convert", "soar convert --gguf smollm2-135m-instruct.gguf --out models/smollm2"},
      {"testbed problems", "soar testbed problems --levels 9-12 --count 64 --seed 1 --out pool.jsonl"},
      {"testbed levels", "soar testbed levels --model runs/base/model --levels 1-16"},
      {"testbed teacher", "soar testbed teacher --model runs/base/model --out teacher.json"},
      {"testbed hard-level", "soar testbed hard-level --model runs/base/model --levels 9-16 --out hard-levels"},
  };
  return table;
}

std::string command_path(const CLI::App& command) {
  std::string path = command.get_name();
  for (const CLI::App* parent = command.get_parent(); parent && parent->get_parent(); parent = parent->get_parent()) {
    path = parent->get_name() + " " + path;
  }
  return path;
}

}  // namespace

std::string help_example(const std::string& path) {
  const auto found = examples().find(path);
  return found == examples().end() ? "" : found->second;
}

void add_help_example(CLI::App& command) {
  const std::string path = command_path(command);
  const std::string example = help_example(path);
  if (example.empty()) fail("soar ", path, " has no help example (apps/soar/help_examples.cpp)");
  command.footer("\nExample:\n  " + example + "\n");
}

}  // namespace soar::app
