#include "run_start.h"

#include <fstream>
#include <iostream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/exception_text.h"
#include "core/metrics_log.h"
#include "core/stop_signal.h"
#include "options.h"

namespace soar::app {
namespace fs = std::filesystem;
namespace {

// `key` of a small JSON file written by soar; nullopt if the file does not exist.
std::optional<int64_t> read_step(const fs::path& file, const char* key) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  try {
    return nlohmann::json::parse(in).at(key).get<int64_t>();
  } catch (const std::exception& e) {
    fail(file, " is corrupt (", exception_text(e), ")");
  }
}

}  // namespace

RunStart start_run(dist::Group& group, const fs::path& out, const std::vector<NamedInput>& inputs, const RunRecipe& recipe,
                   const ResumeCheck& check, int64_t steps, const ResumeOptions& resume) {
  RunStart start;
  // Rank 0's findings for the other ranks: "ok <finished> <checkpoint step or -1>", or "error <why>"
  // so that every rank stops at once (not after the collective timeout) when rank 0 refuses the run.
  std::string outcome;
  if (group.is_root()) {
    try {
      check_output_path(out, OutputKind::Directory, inputs);
      start.lock = std::make_unique<RunLock>(out);
      const std::optional<int64_t> finished = read_step(out / "finished.json", "steps");
      if (const std::optional<fs::path> checkpoint = complete_directory(out / "checkpoint", "state.json")) {
        start.checkpoint_step = read_step(*checkpoint / "state.json", "next_step");
      }
      start.finished = finished && *finished >= steps;
      if (resume.required && !start.checkpoint_step && !start.finished) {
        fail("--resume: ", out.string(), " has no checkpoint to resume from (no ", (out / "checkpoint" / "state.json").string(),
             "); leave out --resume to start a new run there");
      }
      if (!start.finished) {
        if (start.checkpoint_step) {
          ResumeCheck with_resume_keys = check;
          with_resume_keys.may_differ.merge(ResumeOptions::keys());
          check_resumed_recipe(recipe, out, with_resume_keys);
        }
        write_run_recipe(recipe, out);
        const int64_t from = start.checkpoint_step.value_or(0);
        if (const int64_t dropped = drop_records_after_step(out / "metrics.jsonl", from); dropped > 0) {
          std::cerr << "soar: " << (out / "metrics.jsonl").string() << ": removed " << dropped << " record(s) of steps after "
                    << (from == 0 ? std::string("the start") : cat("step ", from)) << " (written after the last checkpoint by a "
                    << "run that was killed; this run writes them again)\n";
        }
      }
      outcome = cat("ok ", start.finished ? 1 : 0, " ", start.checkpoint_step.value_or(-1));
    } catch (const std::exception& e) {
      if (!group.distributed()) throw;
      outcome = cat("error ", exception_text(e));
    }
  }
  if (group.distributed()) outcome = group.broadcast_bytes(outcome, 0);
  if (outcome.rfind("error ", 0) == 0) fail(outcome.substr(6));
  if (!group.is_root()) {
    std::istringstream received(outcome.substr(3));
    int finished = 0;
    int64_t step = -1;
    received >> finished >> step;
    start.finished = finished != 0;
    if (step >= 0) start.checkpoint_step = step;
  }
  return start;
}

void mark_run_finished(const fs::path& out, int64_t steps) {
  write_text_atomically(out / "finished.json", nlohmann::json{{"steps", steps}}.dump() + "\n");
}

bool stop_agreed(dist::Group& group) {
  if (!group.distributed()) return stop_requested();
  return group.broadcast_bytes(stop_requested() ? "1" : "0", 0) == "1";
}

void ResumeOptions::add(CLI::App& command, const std::string& step) {
  command.add_flag("--resume", required,
                   cat("Require OUT/checkpoint and continue from it: the model, optimizer and data position after the "
                       "last checkpointed ", step, " (without --resume the same command resumes when OUT has a "
                       "checkpoint and starts afresh when it has none)"))
      ->configurable(false);
  command.add_flag("--allow-config-change", allow_config_change,
                   "Resume a run whose checkpoint was written with other settings (the differences are printed)")
      ->configurable(false);
  command.add_option("--keep-checkpoints", retention.keep,
                     "Newest checkpoints kept, as OUT/checkpoints/step_<N>/ (1: only OUT/checkpoint, the newest)")
      ->capture_default_str()
      ->check(at_least(1));
  command.add_option("--snapshot-every", retention.snapshot_every,
                     cat("Also keep the checkpoint of every Nth ", step, " for good, as OUT/snapshots/step_<N>/ (0: none)"))
      ->capture_default_str()
      ->check(at_least(0));
}

std::set<std::string> ResumeOptions::keys() { return {"resume", "allow-config-change", "keep-checkpoints", "snapshot-every"}; }

}  // namespace soar::app
