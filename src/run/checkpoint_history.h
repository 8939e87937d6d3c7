// Older checkpoints of a run kept beside the one it resumes from. RUN/checkpoint is always the
// newest (the one a resumed run continues from); with --keep-checkpoints N the newest N are also kept
// as RUN/checkpoints/step_<S>, and with --snapshot-every M the checkpoint of every M-th step stays
// for good in RUN/snapshots/step_<S>. Each is a complete checkpoint directory (an HF model directory
// with its tokenizer, optimizer.pt and state.json), so any of them can be evaluated as a --model or
// copied back to RUN/checkpoint to resume from there.
//
// The copies are hard links: a checkpoint's files are never rewritten in place (a save writes a new
// staging directory and swaps it in, core/atomic_file.h), so a link keeps the old contents at no
// cost in disk space or time. Where links are not possible (another file system), files are copied.
#pragma once

#include <cstdint>
#include <filesystem>

namespace soar {

struct CheckpointRetention {
  int64_t keep = 1;            // newest checkpoints kept; 1: only RUN/checkpoint, no RUN/checkpoints/
  int64_t snapshot_every = 0;  // steps between kept-for-good snapshots; 0: none
};

// "step_00000040": the directory name of the checkpoint written after `step` steps.
std::string checkpoint_step_name(int64_t step);

// Call after `checkpoint` (RUN/checkpoint) has been written with `step` steps done. Adds it to
// run_dir/checkpoints/ and run_dir/snapshots/ as `retention` asks, each copy made atomically, and
// removes the checkpoints/ entries older than the newest `retention.keep`. Snapshots are never removed.
void keep_checkpoint_history(const std::filesystem::path& run_dir, const std::filesystem::path& checkpoint, int64_t step,
                             const CheckpointRetention& retention);

}  // namespace soar
