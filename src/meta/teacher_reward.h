// Teacher rewards: SOAR's grounded reward (the student's measured improvement on hard problems) and
// the intrinsic baselines computed from the student's success p on the teacher's own questions.
#pragma once

#include <string>
#include <vector>

namespace soar::meta {

enum class TeacherRewardKind {
  Grounded,      // SOAR: R_k, the mean improvement of X_k's r students on Q_R
  Learnability,  // the paper's Intrinsic-T (B.4, after AZR): mean over X_k's questions of 1 - p, 0 when p = 0
  Uncertainty,   // R-Zero's 1 - 2 |p - 1/2| (not in the paper: an extra arm)
  None,          // base teacher: never updated (inner loops and promotions still run)
};

TeacherRewardKind parse_teacher_reward(const std::string& name);  // grounded, learnability, uncertainty, none
const char* teacher_reward_name(TeacherRewardKind kind);

// The intrinsic teachers (learnability, uncertainty): rewarded from the student's success on the
// teacher's own questions, so they run no inner loop, no Q_R measurement and no promotion.
bool is_intrinsic(TeacherRewardKind kind);

// Intrinsic reward of one dataset from the baseline student's per-question success rates.
double intrinsic_reward(TeacherRewardKind kind, const std::vector<double>& success_per_question);

}  // namespace soar::meta
