#include "domains/testbed/domain.h"

#include <algorithm>

#include "core/error.h"

namespace soar::testbed {
namespace {

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
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
  // Trailing characters are the high digits: drop zeros there ("00" + "0" is "0", not "00").
  while (sum.size() > 1 && sum.back() == '0') sum.pop_back();
  return sum;
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
  auto field = [](std::string_view f) -> std::optional<std::string> {
    const size_t pad = std::min(f.find('_'), f.size());
    if (!all_digits(f.substr(0, pad)) || f.find_first_not_of('_', pad) != std::string_view::npos) return std::nullopt;
    return std::string(f.substr(0, pad));
  };
  auto a = field(text.substr(0, kWidth)), b = field(text.substr(kWidth + 1, kWidth));
  if (!a || !b) return std::nullopt;
  if (!three) return AdditionProblem{*a, *b};
  auto c = field(text.substr(2 * kWidth + 2));
  if (!c) return std::nullopt;
  return AdditionProblem{*a, *b, *c};
}

bool check_answer(const AdditionProblem& problem, std::string_view answer) {
  return trim_spaces(answer) == problem.answer();
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
