// The two prompt formats SOAR needs on the testbed, and reading what the model writes back.
//
// Student: the problem statement in "Q:{problem}\nA:"; the model answers on the same line and the
// answer ends at the newline (sample with stop "\n"). The answer is the bare little-endian sum, so
// the RLVR engine's exact-match reward (final_answer == answer) scores it unchanged.
//
// Teacher: "Write {n} problems:\n"; the model writes n items in exactly the student's layout,
// "Q:<statement>\nA:<answer>\n", and then <|eos|>. The same layout means the answer digits sit at
// the same offsets from the operand digits as when the model answers a student prompt, so what it
// can solve as a student it can also state as a teacher. parse_teacher_set turns any text into the
// well-formed items it contains, counting every other line as malformed; it never throws.
//
// The student task (domain.h) decides what the student is asked about the teacher's sum: with
// sum-msd (format 6) the student answers most significant digit first, while the teacher's items
// keep the answer least significant digit first and say so with another tag,
// "Q:<statement>\nS:<answer>\n"; with difference (format 7) the student gets "Q:c-a\nA:" and
// answers b. The teacher always writes the easy direction; its pair reaches the student as the
// student's problem (student_problem). With interleaved (format 8) the student's prompt is format 5's
// and the teacher writes each item on one line, "W:<interleaved_sum_text>\n" (domain.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "meta/rollout_parser.h"
#include "rl/reward.h"
#include "domains/testbed/domain.h"

namespace soar::testbed {

inline constexpr const char* kStudentTemplate = "Q:{problem}\nA:";
inline constexpr const char* kStudentStop = "\n";

std::string student_prompt(std::string_view statement);
// The student's answer: the completion up to its first newline, surrounding spaces removed.
std::string student_answer(std::string_view completion);

// 1 when the student's answer is the true answer of the problem's statement for `task` (the domain's
// checker, independent of problem.answer, e.g. a teacher's possibly wrong answer); 0 when it is not
// or the statement does not parse.
RewardFunction checked_reward(StudentTask task = StudentTask::sum);

// "Q:<statement>\nA:<answer>\n": a generated sum, solved, as the task's student sees it.
std::string solved_item(const AdditionProblem& problem, StudentTask task = StudentTask::sum);

std::string teacher_prompt(int n);
// The tag before a teacher item's answer: "A:" (lsd: the student's own), "S:" (msd); for
// interleaved the tag of the item's only line, "W:".
const char* teacher_answer_tag(StudentTask task);
// One item of a teacher set: "Q:<statement>\n<tag><answer>\n", the answer least significant digit
// first (with lsd: the student's prompt and answer); for interleaved "W:<interleaved_sum_text>\n".
std::string teacher_item(const AdditionProblem& problem, std::string_view answer, StudentTask task = StudentTask::sum);
// The longest well-formed item: "Q:" + statement + "\n" + "A:" + (kWidth + 1 digits) + "\n",
// with a two-operand statement, and with a three-operand one.
inline constexpr int kTeacherItemMaxChars = 2 + (2 * kWidth + 1) + 1 + 2 + (kWidth + 1) + 1;
inline constexpr int kTeacherItemMaxCharsThreeOperands = kTeacherItemMaxChars + kWidth + 1;
// An interleaved item, "W:" + kWidth + 1 triples + "\n", is shorter: the bounds hold for every task.
static_assert(2 + 3 * (kWidth + 1) + 1 <= kTeacherItemMaxChars);
// Tokens a teacher needs to write n well-formed items of up to `operands` operands and <|eos|>
// (one token per character).
inline constexpr int64_t teacher_max_new_tokens(int64_t n, int operands = 2) {
  return n * (operands == 3 ? kTeacherItemMaxCharsThreeOperands : kTeacherItemMaxChars) + 1;
}

struct TeacherItem {
  AdditionProblem problem;
  std::string stated_answer;  // what the teacher wrote after the tag (least significant digit first)
  bool correct = false;       // stated_answer == problem.answer()
};

struct TeacherSet {
  std::vector<TeacherItem> items;
  // Non-empty lines that are not part of a well-formed item: a line "Q:<statement>" immediately
  // followed by a line "<tag><1..kWidth+1 digits>" (spaces around either part allowed); for
  // interleaved a line "W:<text parse_interleaved_sum reads>".
  int malformed_lines = 0;
};

TeacherSet parse_teacher_set(std::string_view text, StudentTask task = StudentTask::sum);

// SOAR's teacher rollouts on the testbed: one problem each (the paper's shape), asked for with
// teacher_prompt(1). Accepted when the text is exactly one well-formed item; rejected as "no
// well-formed item", "more than one problem", "malformed lines" (or, for difference, "not a
// two-operand sum"). The pair is the student's problem made from the item (student_problem); its
// extra_json records the item's level and whether the teacher's sum is the true sum.
meta::ParsedRollout parse_teacher_rollout(std::string_view text, StudentTask task = StudentTask::sum);

}  // namespace soar::testbed
