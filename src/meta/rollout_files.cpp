#include "meta/rollout_files.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace soar::meta {

std::optional<std::filesystem::path> step_rollout_dir(const MetaConfig& config, int64_t step) {
  if (config.rollouts_dir.empty() || !config.rollouts.keeps_step(step)) return std::nullopt;
  return config.rollouts_dir / cat("step_", step);
}

std::filesystem::path student_rollout_file(const std::filesystem::path& step_dir, int64_t dataset, int64_t student,
                                           const char* kind) {
  return step_dir / cat("dataset_", dataset) / cat("student_", student, "_", kind, ".jsonl");
}

JudgeFunction rollout_judge(const MetaTask& task) {
  if (task.judge) return task.judge;
  return [correct = task.correct](const Problem& problem, std::string_view completion) {
    return Judgement{correct(problem, completion) > 0 ? "correct" : "wrong", ""};
  };
}

std::string teacher_rollout_lines(int64_t step, const std::vector<TeacherSample>& samples,
                                  const std::vector<std::vector<TeacherRollout>>& datasets,
                                  const std::vector<double>& rewards, const std::vector<double>& advantages) {
  const size_t n = datasets.empty() ? 1 : datasets.front().size();
  std::string lines;
  for (size_t i = 0; i < samples.size(); ++i) {
    const TeacherSample& s = samples[i];
    nlohmann::ordered_json record = {{"step", step}, {"index", i}, {"round", s.round}, {"completion", s.text},
                             {"length", s.length}, {"finish", finish_reason_name(s.finish)}};
    if (!s.rejection.empty()) {
      record["verdict"] = "rejected", record["reason"] = s.rejection;
    } else if (s.accepted < 0) {
      record["verdict"] = "surplus";
    } else {
      const size_t k = static_cast<size_t>(s.accepted) / n, position = static_cast<size_t>(s.accepted) % n;
      const Problem& pair = datasets.at(k).at(position).problem;
      record["verdict"] = "accepted";
      record["dataset"] = k, record["position"] = position, record["id"] = pair.id;
      record["question"] = pair.problem, record["answer"] = pair.answer;
      if (k < rewards.size()) record["reward"] = rewards[k];
      if (k < advantages.size()) record["advantage"] = advantages[k];
    }
    lines += rollout_line(record);
  }
  return lines;
}

}  // namespace soar::meta
