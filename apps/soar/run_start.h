// The start of a resumable run (train-rl, meta) in its run directory: the --out path checked, the
// directory locked for this run alone, its checkpoint found, a finished run recognised, and the
// resolved configuration compared with that of the run that wrote the checkpoint before the new one
// is written. Rank 0 does the file work; every rank learns the outcome.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "core/output_path.h"
#include "core/run_lock.h"
#include "distributed/group.h"
#include "recipe.h"
#include "run/checkpoint_history.h"

namespace soar::app {

struct RunStart {
  std::unique_ptr<RunLock> lock;           // held by rank 0 until the run ends
  std::optional<int64_t> checkpoint_step;  // the next step of OUT/checkpoint, if there is one
  bool finished = false;                   // OUT/finished.json says the run reached `steps` already
};

// The options of a resumable command (train-rl, meta) about resuming and the checkpoints it keeps.
struct ResumeOptions {
  bool required = false;             // --resume: fail unless OUT has a checkpoint
  bool allow_config_change = false;  // --allow-config-change
  CheckpointRetention retention;     // --keep-checkpoints, --snapshot-every
  // `step`: what the command counts ("step", "outer step").
  void add(CLI::App& command, const std::string& step);
  // The keys of these options, which may differ between a run and its resumption (start_run allows them).
  static std::set<std::string> keys();
};

// `steps`: the steps (outer steps for meta) this invocation asks for. A finished run (finished.json
// with at least `steps`) is reported and left alone: the caller returns without touching it.
// `resume.required`: a run directory without a checkpoint (and not finished) is refused. The keys of
// ResumeOptions may always differ on resume, besides `check.may_differ`.
RunStart start_run(dist::Group& group, const std::filesystem::path& out, const std::vector<NamedInput>& inputs,
                   const RunRecipe& recipe, const ResumeCheck& check, int64_t steps, const ResumeOptions& resume);

// Marks the run finished after its last step and final files (OUT/finished.json), atomically.
void mark_run_finished(const std::filesystem::path& out, int64_t steps);

// Whether rank 0 received SIGTERM/SIGINT (core/stop_signal.h), agreed by every rank so that all stop
// after the same step.
bool stop_agreed(dist::Group& group);

}  // namespace soar::app
