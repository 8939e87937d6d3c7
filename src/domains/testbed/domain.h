// The testbed's reasoning domain: little-endian addition in fixed-width fields. Numbers are
// written least-significant digit first ("21" is twelve) and padded with '_' to kWidth characters,
// so answer digit i sits at the same distance from operand digit i at every level: the model can
// learn one carry circuit for all lengths instead of one per length. The difficulty knob is the
// level L: the operands have exactly L digits. A problem has two operands, or three (`c`): the
// three-operand sums are a kind of problem the two-operand solved levels do not contain in any
// form (docs/testbed.md, "three-operand sums"). Answers are bare digit strings, so the checker and
// the RLVR engine's exact-match reward agree. docs/testbed.md says why this domain and format.
//
// What the student solves of the teacher's sum is a choice (StudentTask): the sum itself (format 5),
// the sum most significant digit first (format 6), the difference c - a (format 7), or the sum with
// the teacher writing it digit-interleaved (format 8); the last three are meant to make writing a
// correct problem/answer pair easier than solving the problem.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/seed.h"

namespace soar::testbed {

inline constexpr int kMinLevel = 1;
inline constexpr int kWidth = 16;      // every operand field is this wide
inline constexpr int kMaxLevel = kWidth;

struct AdditionProblem {
  std::string a, b;  // decimal digits, least significant first
  std::string c;     // a third operand, or empty for a two-operand problem

  int operands() const { return c.empty() ? 2 : 3; }
  int level() const;              // the longest operand's length
  std::string statement() const;  // "a___+b___" (+ "+c___"), e.g. "74______________+53______________" (47 + 35)
  std::string answer() const;     // the sum, least significant first, without trailing (high) zeros
};

// What the student is asked about a problem the teacher states as a sum a + b (docs/testbed.md,
// "the student tasks"). The teacher always writes "a+b" and the sum c least significant digit first,
// the direction its pretraining makes easy; the task decides what the student must solve:
//   sum (format 5): "a+b", answer c least significant digit first. The teacher's item is exactly the
//     student's prompt and answer: it can state correctly what it can solve, and no more.
//   sum-msd (format 6): "a+b", answer c most significant digit first (the usual order), which needs
//     every carry before the first digit. The teacher's items say "S:" before their (lsd) answer.
//   difference (format 7): "c-a", answer b: the inverse problem of the teacher's sum. Its corpus
//     shows differences solved only up to a lower level than sums, so the teacher constructs
//     correct problems (by adding) past the levels where the student can solve them (by
//     subtracting).
//   interleaved (format 8): the student's task is format 5's sum, but the teacher writes its item
//     with the digits interleaved (interleaved_sum_text): each sum digit right after the two
//     operand digits it depends on, so the teacher computes locally what the student must compute
//     across the fixed-width fields. The asymmetry is built into how each writes, as when a person
//     writes a problem forwards from its construction and a solver works backwards from the statement.
enum class StudentTask { sum, sum_msd, difference, interleaved };
inline constexpr StudentTask kStudentTasks[] = {StudentTask::sum, StudentTask::sum_msd, StudentTask::difference,
                                                StudentTask::interleaved};
// "sum", "sum-msd", "difference" or "interleaved"; soar::Error otherwise.
StudentTask parse_student_task(std::string_view name);
const char* student_task_name(StudentTask task);

// A problem as the student sees it: its statement and its answer in the student's format.
struct StudentProblem {
  std::string statement, answer;
};
// The student's problem made from a sum a + b whose stated sum (least significant digit first) is
// `stated_sum`: for sum and sum-msd the statement "a+b" with the stated sum (in the task's order), for
// difference "c-a" with c the stated sum and answer b. A wrong stated sum makes a wrong problem.
// nullopt when the stated sum cannot be stated (not 1..kWidth + 1 digits).
std::optional<StudentProblem> student_problem(const AdditionProblem& problem, std::string_view stated_sum, StudentTask task);
// student_problem with the true sum; soar::Error for a three-operand problem and the difference task.
StudentProblem true_student_problem(const AdditionProblem& problem, StudentTask task);
// Whether `statement` is well formed in the task's format ("a+b" or "c-a").
bool is_student_statement(std::string_view statement, StudentTask task);
// The true answer of a student's statement in the task's format, or nullopt when it does not parse
// (or, for a difference, when c < a: no answer is correct).
std::optional<std::string> true_student_answer(std::string_view statement, StudentTask task);

// A difference statement: "c-a" with c in a field kWidth + 1 wide (a sum of two level-16 numbers
// has 17 digits) and a in kWidth, both least significant digit first and '_'-padded.
std::string difference_statement(std::string_view c, std::string_view a);

// Format 8's teacher text of a two-operand sum a + b with stated sum c (least significant digit
// first, L or L + 1 digits for level L): for each digit position i < L the triple a_i b_i c_i ('_'
// where an operand has ended), then the carry triple "__" c_L ('0' when c has L digits). E.g. 47 +
// 35 = 82: "752438__0"; 5 + 5 = 10: "550__1". soar::Error for a stated sum of another length or a
// three-operand problem.
std::string interleaved_sum_text(const AdditionProblem& problem, std::string_view stated_sum);
struct InterleavedSum {
  AdditionProblem problem;
  std::string stated_sum;  // the c digits and the carry, without high zeros ("0" carry dropped)
};
// Reads interleaved_sum_text back: triples of which only the last is "__<digit>", every other with
// a digit as its third character, each operand's slots 1.. digits then only '_', at most kWidth + 1
// triples. nullopt for anything else; never throws.
std::optional<InterleavedSum> parse_interleaved_sum(std::string_view text);

// `operands` (2 or 3) operands of exactly `level` digits whose most significant digit is non-zero
// (at level 1 any digit), each digit uniform. Deterministic given the generator state.
AdditionProblem generate_problem(int level, SplitMix64& rng, int operands = 2);

// Reads a statement back into a problem: two or three fields of exactly kWidth characters, each
// 1..kWidth digits followed only by '_' padding, joined by '+' (surrounding spaces allowed).
// Returns nullopt for anything else, so teacher-written text can be checked without throwing.
std::optional<AdditionProblem> parse_statement(std::string_view text);

// True when `answer` (surrounding whitespace ignored) is exactly problem.answer() (least significant
// digit first).
bool check_answer(const AdditionProblem& problem, std::string_view answer);

// Little-endian digit strings <-> numbers (for tests and docs; only when the value fits in 64 bits).
std::string to_little_endian(uint64_t value);

std::string pad_field(const std::string& digits);  // digits + '_' up to kWidth

std::string_view trim_spaces(std::string_view text);

}  // namespace soar::testbed
