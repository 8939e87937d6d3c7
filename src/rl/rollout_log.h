// Completions kept on disk, so that a run that scores 0 can be told apart: truncation (finish
// "length"), a bad extraction (verdict "no_answer"/"unparseable" with the answer shown) or a weak
// model ("wrong"). JSON Lines, one record per completion; one file per step (train-rl), per run
// (eval) or per outer step and student (meta), each written whole and atomically, so a killed run
// never leaves a torn file and a resumed one rewrites the step it redoes. Large files are gzipped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/problems.h"
#include "rl/evaluate.h"
#include "rl/reward.h"
#include "sampling/sampler.h"

namespace soar {

// Which steps and problems keep their completions: the first step and every `every`-th (0: none),
// and of those steps `sample` problems' groups, drawn from the seed and the step (0: all).
struct RolloutSelection {
  int64_t every = 1;
  int64_t sample = 0;
  uint64_t seed = 0;
  bool keeps_step(int64_t step) const;  // `step` 1-based, as in metrics.jsonl
  // Which of `count` problems step `step` keeps; the same on every process.
  std::vector<bool> kept_problems(int64_t step, int64_t count) const;
};

// One completion's record. `step` is absent for eval; `advantage` where no update used it.
struct RolloutRecord {
  std::optional<int64_t> step;
  const Problem* problem = nullptr;
  int64_t sample = 0;  // index among the problem's samples
  const Completion* completion = nullptr;
  double reward = 0;
  std::optional<double> advantage;
};

// The JSON object of a record: step, id, sample, prompt (the problem's text, before any template),
// gold, completion, reward, verdict and answer (from `judge`), advantage, length (completion
// tokens) and finish ("eos", "stop" or "length").
// Fields keep this order in the file (ordered_json), so that a line reads from its step and id on.
nlohmann::ordered_json rollout_json(const RolloutRecord& record, const JudgeFunction& judge);

// `record` as one line of JSON Lines. Text that is not UTF-8 (a completion cut inside a character,
// a model emitting stray bytes) gets U+FFFD in place of the bad bytes rather than failing the run.
std::string rollout_line(const nlohmann::ordered_json& record);

// Evaluation's records (EvalCallbacks::rollout_line): every sample of the problems `select` keeps
// of `count`, drawn as for step `step` (absent: eval's own draw, and no "step" field).
EvalRolloutLine eval_rollout_line(const RolloutSelection& select, std::optional<int64_t> step, size_t count,
                                  JudgeFunction judge);

// Files of at least this size are gzipped: a train-rl step of a real model (64 problems x 8
// samples x ~2 KB) shrinks ~4x, while the small files of testbed runs and evaluations stay plain
// for grep and less. zlib's fastest level takes ~10 ms of CPU per MiB (docs/benchmarks.md), far
// below the step that wrote it.
inline constexpr size_t kGzipRolloutBytes = size_t{1} << 20;

// Writes `lines` atomically to `path` (…/x.jsonl), or gzipped to `path`.gz when they reach
// kGzipRolloutBytes; removes the other of the two (a redone step's earlier file). Returns the path
// written. Throws soar::Error naming the file.
std::filesystem::path write_rollout_file(const std::filesystem::path& path, std::string_view lines);

// The text of a file write_rollout_file wrote (plain or gzipped, by its name). For tests and tools.
std::string read_rollout_file(const std::filesystem::path& path);

// Removes the entries of directory `dir` named <prefix><N>[.jsonl[.gz]] with N > `step`: what a run
// resumed after `step` would otherwise keep from the steps it is about to redo, with other options.
void remove_rollouts_after(const std::filesystem::path& dir, const std::string& prefix, int64_t step);

}  // namespace soar
