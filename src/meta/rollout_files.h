// The meta-loop's rollout logs (rl/rollout_log.h): for each kept outer step t, under
// MetaConfig::rollouts_dir/step_<t>/, the teacher's rollouts with their acceptance verdicts
// (teacher.jsonl), the baseline's Q_R answers (baseline_measure.jsonl), and per dataset k and
// student j its inner loop's and its Q_R measurement's completions
// (dataset_<k>/student_<j>_inner.jsonl, ..._measure.jsonl). Every file is rewritten whole, so a
// redone outer step replaces its files.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "meta/meta_loop.h"

namespace soar::meta {

// The directory of outer step `step` (1-based) when it keeps its rollouts, else nullopt.
std::optional<std::filesystem::path> step_rollout_dir(const MetaConfig& config, int64_t step);

std::filesystem::path student_rollout_file(const std::filesystem::path& step_dir, int64_t dataset, int64_t student,
                                           const char* kind);  // kind: "inner" or "measure"

// The task's judge, or one that says "correct"/"wrong" from task.correct.
JudgeFunction rollout_judge(const MetaTask& task);

// One line per teacher rollout of step `step`: round, completion, length, finish, verdict
// ("accepted"; "rejected" with the parser's reason; "surplus": acceptable, beyond the g n needed);
// accepted ones add their dataset, position, question and answer, and, when given (one per
// dataset), the dataset's teacher reward and RLOO advantage.
std::string teacher_rollout_lines(int64_t step, const std::vector<TeacherSample>& samples,
                                  const std::vector<std::vector<TeacherRollout>>& datasets,
                                  const std::vector<double>& rewards, const std::vector<double>& advantages);

}  // namespace soar::meta
