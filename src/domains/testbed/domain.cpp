#include "domains/testbed/domain.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "core/error.h"

namespace soar::testbed {
namespace {

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Drops high zeros of a least-significant-first digit string ("010" is 10, "0" stays "0").
std::string without_high_zeros(std::string digits) {
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  return digits;
}

// c - a for least-significant-first digit strings, or nullopt when c < a.
std::optional<std::string> difference_of(const std::string& c, const std::string& a) {
  std::string result;
  int borrow = 0;
  for (size_t i = 0; i < std::max(c.size(), a.size()); ++i) {
    int digit = (i < c.size() ? c[i] - '0' : 0) - (i < a.size() ? a[i] - '0' : 0) - borrow;
    borrow = digit < 0;
    result.push_back(static_cast<char>('0' + digit + 10 * borrow));
  }
  if (borrow) return std::nullopt;
  return without_high_zeros(result);
}

// A statement's field: 1..(its width) digits, then only '_' padding.
std::optional<std::string> parse_field(std::string_view f) {
  const size_t pad = std::min(f.find('_'), f.size());
  if (!all_digits(f.substr(0, pad)) || f.find_first_not_of('_', pad) != std::string_view::npos) return std::nullopt;
  return std::string(f.substr(0, pad));
}

}  // namespace

std::string_view trim_spaces(std::string_view text) {
  const char* space = " \t\r\n";
  size_t begin = text.find_first_not_of(space);
  if (begin == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(space);
  return text.substr(begin, end - begin + 1);
}

int AdditionProblem::level() const { return static_cast<int>(std::max({a.size(), b.size(), c.size()})); }

std::string pad_field(const std::string& digits) {
  if (digits.size() > static_cast<size_t>(kWidth)) fail("operand '", digits, "' is wider than the field width ", kWidth);
  return digits + std::string(kWidth - digits.size(), '_');
}

std::string AdditionProblem::statement() const {
  std::string text = pad_field(a) + "+" + pad_field(b);
  if (!c.empty()) text.append("+").append(pad_field(c));  // not "+" + ...: GCC 12 warns falsely (-Wrestrict)
  return text;
}

std::string AdditionProblem::answer() const {
  std::string sum;
  int carry = 0;
  auto digit_at = [](const std::string& number, size_t i) { return i < number.size() ? number[i] - '0' : 0; };
  for (size_t i = 0; i < static_cast<size_t>(level()); ++i) {
    const int digit = carry + digit_at(a, i) + digit_at(b, i) + digit_at(c, i);
    sum.push_back(static_cast<char>('0' + digit % 10));
    carry = digit / 10;  // up to 2 with three operands
  }
  if (carry) sum.push_back(static_cast<char>('0' + carry));
  return without_high_zeros(std::move(sum));  // the trailing (high) digits: "00" + "0" is "0", not "00"
}

AdditionProblem generate_problem(int level, SplitMix64& rng, int operands) {
  if (level < kMinLevel || level > kMaxLevel) fail("testbed level ", level, " is outside [", kMinLevel, ", ", kMaxLevel, "]");
  if (operands != 2 && operands != 3) fail("testbed problems have 2 or 3 operands, not ", operands);
  auto number = [&] {
    std::string digits;
    for (int i = 0; i < level; ++i) {
      const bool top = i == level - 1 && level > 1;
      digits.push_back(static_cast<char>(top ? '1' + rng.below(9) : '0' + rng.below(10)));
    }
    return digits;
  };
  AdditionProblem problem;
  problem.a = number();
  problem.b = number();
  if (operands == 3) problem.c = number();
  return problem;
}

std::optional<AdditionProblem> parse_statement(std::string_view text) {
  text = trim_spaces(text);
  const bool three = text.size() == 3 * kWidth + 2;
  if ((text.size() != 2 * kWidth + 1 && !three) || text[kWidth] != '+' || (three && text[2 * kWidth + 1] != '+')) return std::nullopt;
  auto a = parse_field(text.substr(0, kWidth)), b = parse_field(text.substr(kWidth + 1, kWidth));
  if (!a || !b) return std::nullopt;
  if (!three) return AdditionProblem{*a, *b};
  auto c = parse_field(text.substr(2 * kWidth + 2));
  if (!c) return std::nullopt;
  return AdditionProblem{*a, *b, *c};
}

bool check_answer(const AdditionProblem& problem, std::string_view answer) {
  return trim_spaces(answer) == problem.answer();
}

StudentTask parse_student_task(std::string_view name) {
  if (name == "sum") return StudentTask::sum;
  if (name == "sum-msd") return StudentTask::sum_msd;
  if (name == "difference") return StudentTask::difference;
  if (name == "interleaved") return StudentTask::interleaved;
  fail("student task '", name, "': expected sum (format 5), sum-msd (format 6), difference (format 7) or interleaved (format 8)");
}

const char* student_task_name(StudentTask task) {
  switch (task) {
    case StudentTask::sum: return "sum";
    case StudentTask::sum_msd: return "sum-msd";
    case StudentTask::difference: return "difference";
    case StudentTask::interleaved: return "interleaved";
  }
  return "?";
}


std::string difference_statement(std::string_view c, std::string_view a) {
  if (c.size() > static_cast<size_t>(kWidth) + 1) fail("operand '", c, "' is wider than the field width ", kWidth + 1);
  return std::string(c) + std::string(kWidth + 1 - c.size(), '_') + "-" + pad_field(std::string(a));
}

std::optional<StudentProblem> student_problem(const AdditionProblem& problem, std::string_view stated_sum, StudentTask task) {
  if (stated_sum.empty() || stated_sum.size() > static_cast<size_t>(kWidth) + 1 || !all_digits(stated_sum)) return std::nullopt;
  switch (task) {
    case StudentTask::sum:
    case StudentTask::interleaved: return StudentProblem{problem.statement(), std::string(stated_sum)};
    case StudentTask::sum_msd: return StudentProblem{problem.statement(), std::string(stated_sum.rbegin(), stated_sum.rend())};
    case StudentTask::difference:
      if (problem.operands() != 2) return std::nullopt;
      return StudentProblem{difference_statement(stated_sum, problem.a), without_high_zeros(problem.b)};
  }
  return std::nullopt;
}

StudentProblem true_student_problem(const AdditionProblem& problem, StudentTask task) {
  if (task == StudentTask::difference && problem.operands() != 2) fail("the difference task has two-operand problems only");
  return *student_problem(problem, problem.answer(), task);
}

namespace {

// The operands c and a of a difference statement "c-a", or nullopt.
std::optional<std::pair<std::string, std::string>> parse_difference(std::string_view statement) {
  statement = trim_spaces(statement);
  if (statement.size() != 2 * kWidth + 2 || statement[kWidth + 1] != '-') return std::nullopt;
  auto c = parse_field(statement.substr(0, kWidth + 1)), a = parse_field(statement.substr(kWidth + 2));
  if (!c || !a) return std::nullopt;
  return std::pair{std::move(*c), std::move(*a)};
}

}  // namespace

bool is_student_statement(std::string_view statement, StudentTask task) {
  return task == StudentTask::difference ? parse_difference(statement).has_value() : parse_statement(statement).has_value();
}

std::optional<std::string> true_student_answer(std::string_view statement, StudentTask task) {
  if (task != StudentTask::difference) {
    const auto problem = parse_statement(statement);
    if (!problem) return std::nullopt;
    return student_problem(*problem, problem->answer(), task)->answer;
  }
  const auto operands = parse_difference(statement);
  if (!operands) return std::nullopt;
  return difference_of(operands->first, operands->second);
}

std::string interleaved_sum_text(const AdditionProblem& problem, std::string_view stated_sum) {
  if (problem.operands() != 2) fail("the interleaved format has two-operand sums only");
  const size_t level = static_cast<size_t>(problem.level());
  if (stated_sum.size() != level && stated_sum.size() != level + 1) {
    fail("interleaved sum: the stated sum '", stated_sum, "' of a level-", level, " problem must have ", level, " or ", level + 1, " digits");
  }
  auto slot = [](const std::string& number, size_t i) { return i < number.size() ? number[i] : '_'; };
  std::string text;
  for (size_t i = 0; i < level; ++i) text += {slot(problem.a, i), slot(problem.b, i), stated_sum[i]};
  text += {'_', '_', stated_sum.size() > level ? stated_sum[level] : '0'};
  return text;
}

std::optional<InterleavedSum> parse_interleaved_sum(std::string_view text) {
  text = trim_spaces(text);
  if (text.size() % 3 != 0 || text.size() < 6 || text.size() > 3 * (static_cast<size_t>(kWidth) + 1)) return std::nullopt;
  const size_t triples = text.size() / 3;
  InterleavedSum sum;
  std::string c;
  for (size_t i = 0; i < triples; ++i) {
    const char a = text[3 * i], b = text[3 * i + 1], digit = text[3 * i + 2];
    if (digit < '0' || digit > '9') return std::nullopt;
    c.push_back(digit);
    const bool last = i + 1 == triples;
    if (last != (a == '_' && b == '_')) return std::nullopt;  // only the carry triple has no operand digit
    for (auto [slot, number] : {std::pair{a, &sum.problem.a}, std::pair{b, &sum.problem.b}}) {
      if (slot == '_') continue;
      if (slot < '0' || slot > '9' || number->size() != i) return std::nullopt;  // a digit after the operand ended
      number->push_back(slot);
    }
  }
  if (sum.problem.a.empty() || sum.problem.b.empty()) return std::nullopt;
  sum.stated_sum = without_high_zeros(std::move(c));
  return sum;
}

std::string to_little_endian(uint64_t value) {
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + value % 10));
    value /= 10;
  } while (value);
  return digits;
}

}  // namespace soar::testbed
