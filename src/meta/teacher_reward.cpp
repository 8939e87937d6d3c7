#include "meta/teacher_reward.h"

#include <cmath>

#include "core/error.h"

namespace soar::meta {

TeacherRewardKind parse_teacher_reward(const std::string& name) {
  if (name == "grounded") return TeacherRewardKind::Grounded;
  if (name == "learnability") return TeacherRewardKind::Learnability;
  if (name == "uncertainty") return TeacherRewardKind::Uncertainty;
  if (name == "none") return TeacherRewardKind::None;
  fail("unknown teacher reward '", name, "' (grounded, learnability, uncertainty, none)");
}

const char* teacher_reward_name(TeacherRewardKind kind) {
  switch (kind) {
    case TeacherRewardKind::Grounded: return "grounded";
    case TeacherRewardKind::Learnability: return "learnability";
    case TeacherRewardKind::Uncertainty: return "uncertainty";
    case TeacherRewardKind::None: return "none";
  }
  return "none";
}

bool is_intrinsic(TeacherRewardKind kind) {
  return kind == TeacherRewardKind::Learnability || kind == TeacherRewardKind::Uncertainty;
}

double intrinsic_reward(TeacherRewardKind kind, const std::vector<double>& success_per_question) {
  if (success_per_question.empty()) return 0.0;  // a dataset with no parseable question earns nothing
  double total = 0;
  for (double p : success_per_question) {
    switch (kind) {
      case TeacherRewardKind::Learnability: total += (p > 0 && p < 1) ? 1 - p : 0; break;
      case TeacherRewardKind::Uncertainty: total += 1 - 2 * std::abs(p - 0.5); break;
      default: fail("intrinsic_reward: ", teacher_reward_name(kind), " is not an intrinsic reward");
    }
  }
  return total / static_cast<double>(success_per_question.size());
}

}  // namespace soar::meta
