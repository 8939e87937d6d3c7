// The testbed's reasoning domain: little-endian addition in fixed-width fields. Numbers are
// written least-significant digit first ("21" is twelve) and padded with '_' to kWidth characters,
// so answer digit i sits at the same distance from operand digit i at every level: the model can
// learn one carry circuit for all lengths instead of one per length. The difficulty knob is the
// level L: the operands have exactly L digits. A problem has two operands, or three (`c`): the
// three-operand sums are a kind of problem the two-operand solved levels do not contain in any
// form (docs/testbed.md, "three-operand sums"). Answers are bare digit strings, so the checker and
// the RLVR engine's exact-match reward agree. docs/testbed.md says why this domain and format.
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

// `operands` (2 or 3) operands of exactly `level` digits whose most significant digit is non-zero
// (at level 1 any digit), each digit uniform. Deterministic given the generator state.
AdditionProblem generate_problem(int level, SplitMix64& rng, int operands = 2);

// Reads a statement back into a problem: two or three fields of exactly kWidth characters, each
// 1..kWidth digits followed only by '_' padding, joined by '+' (surrounding spaces allowed).
// Returns nullopt for anything else, so teacher-written text can be checked without throwing.
std::optional<AdditionProblem> parse_statement(std::string_view text);

// True when `answer` (surrounding whitespace ignored) is exactly problem.answer().
bool check_answer(const AdditionProblem& problem, std::string_view answer);

// Little-endian digit strings <-> numbers (for tests and docs; only when the value fits in 64 bits).
std::string to_little_endian(uint64_t value);

std::string pad_field(const std::string& digits);  // digits + '_' up to kWidth

std::string_view trim_spaces(std::string_view text);

}  // namespace soar::testbed
