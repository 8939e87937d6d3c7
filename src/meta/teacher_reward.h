// Teacher rewards: SOAR's grounded reward (the student's measured improvement on hard problems) and
// the intrinsic baselines computed from the student's success p on the teacher's own questions.
#pragma once

#include <string>
#include <vector>

namespace soar::meta {

enum class TeacherRewardKind {
  Grounded,      // SOAR: acc(student trained on X_i) - acc(baseline), on a sample of D_train
  Learnability,  // AZR: mean over the teacher's questions of (1 - p) when 0 < p < 1, else 0
  Uncertainty,   // R-Zero: mean over the teacher's questions of 1 - 2 |p - 1/2|
  None,          // base teacher: never updated
};

TeacherRewardKind parse_teacher_reward(const std::string& name);  // grounded, learnability, uncertainty, none
const char* teacher_reward_name(TeacherRewardKind kind);

// Intrinsic reward of one dataset from the baseline student's per-question success rates.
double intrinsic_reward(TeacherRewardKind kind, const std::vector<double>& success_per_question);

}  // namespace soar::meta
