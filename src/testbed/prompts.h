// The two prompt formats SOAR needs on the testbed, and reading what the model writes back.
//
// Student: the problem statement in "Q:{problem}\nA:"; the model answers on the same line and the
// answer ends at the newline (sample with stop "\n"). The answer is the bare little-endian sum, so
// the RLVR engine's exact-match reward (final_answer == answer) scores it unchanged.
//
// Teacher: "Write {n} problems:\n"; the model writes n lines "<statement>=<answer>" and
// then <|eos|>. parse_teacher_set turns any text into the well-formed items it contains, counting
// every other line as malformed; it never throws.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rl/reward.h"
#include "testbed/domain.h"

namespace soar::testbed {

inline constexpr const char* kStudentTemplate = "Q:{problem}\nA:";
inline constexpr const char* kStudentStop = "\n";

std::string student_prompt(std::string_view statement);
// The student's answer: the completion up to its first newline, surrounding spaces removed.
std::string student_answer(std::string_view completion);

// 1 when the student's answer is the true sum of the problem's statement (the domain's checker,
// independent of problem.answer, e.g. a teacher's possibly wrong answer); 0 when it is not or the
// statement does not parse.
RewardFunction checked_reward();

std::string teacher_prompt(int n);

struct TeacherItem {
  AdditionProblem problem;
  std::string stated_answer;  // what the teacher wrote after '='
  bool correct = false;       // stated_answer == problem.answer()
};

struct TeacherSet {
  std::vector<TeacherItem> items;
  int malformed_lines = 0;  // non-empty lines that are not "<statement>=<digits>"
};

TeacherSet parse_teacher_set(std::string_view text);

}  // namespace soar::testbed
