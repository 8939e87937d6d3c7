#include "run/checkpoint_history.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/directory.h"
#include "core/error.h"

namespace soar {
namespace fs = std::filesystem;
namespace {

// Hard-links (else copies) every file below `from` into `to`, which must not exist yet.
void link_tree(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const std::string& name : directory_entries(from)) {
    const fs::path source = from / name, target = to / name;
    if (fs::is_directory(fs::symlink_status(source))) {
      link_tree(source, target);
    } else if (::link(source.c_str(), target.c_str()) != 0) {
      if (errno != EXDEV && errno != EPERM && errno != EMLINK) {
        fail(target.string(), ": cannot link to ", source.string(), ": ", std::strerror(errno));
      }
      fs::copy_file(source, target);
    }
  }
}

// checkpoint_dir/step_<S> replaced by a link copy of `checkpoint`, atomically.
void add_copy(const fs::path& checkpoint, const fs::path& history_dir, int64_t step) {
  fs::create_directories(history_dir);
  replace_directory_atomically(history_dir / checkpoint_step_name(step),
                               [&](const fs::path& staging) { link_tree(checkpoint, staging); });
}

// The steps of history_dir's step_<S> entries, oldest first; leftovers of an interrupted copy
// (step_<S>.tmp, .old) are not entries.
std::vector<int64_t> history_steps(const fs::path& history_dir) {
  std::vector<int64_t> steps;
  if (!fs::exists(history_dir)) return steps;
  for (const std::string& entry : directory_entries(history_dir)) {
    if (const auto step = numbered_entry(entry, "step_", {""})) steps.push_back(*step);
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

}  // namespace

std::string checkpoint_step_name(int64_t step) {
  char name[32];
  std::snprintf(name, sizeof name, "step_%08lld", static_cast<long long>(step));
  return name;
}

void keep_checkpoint_history(const fs::path& run_dir, const fs::path& checkpoint, int64_t step,
                             const CheckpointRetention& retention) {
  if (retention.snapshot_every > 0 && step % retention.snapshot_every == 0) add_copy(checkpoint, run_dir / "snapshots", step);
  if (retention.keep <= 1) return;
  const fs::path history = run_dir / "checkpoints";
  add_copy(checkpoint, history, step);
  std::vector<int64_t> steps = history_steps(history);
  // Newer entries than `step` belong to a run that was resumed from an earlier checkpoint and
  // redoes those steps: they are stale.
  for (int64_t s : steps) {
    if (s > step) remove_tree(history / checkpoint_step_name(s));
  }
  std::erase_if(steps, [&](int64_t s) { return s > step; });
  for (size_t i = 0; i + static_cast<size_t>(retention.keep) < steps.size(); ++i) {
    remove_tree(history / checkpoint_step_name(steps[i]));
  }
}

}  // namespace soar
