#include "domains/testbed/datasets.h"

#include <sstream>

#include "core/error.h"
#include "domains/testbed/domain.h"

namespace soar::testbed {
namespace {

template <typename T>
void shuffle(std::vector<T>& items, SplitMix64& rng) {
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng.below(i)]);
}

std::string shuffle_text(const std::string& text, SplitMix64& rng) {
  std::vector<char> chars(text.begin(), text.end());
  shuffle(chars, rng);
  return {chars.begin(), chars.end()};
}

}  // namespace

std::vector<int> parse_levels(const std::string& text) {
  std::vector<int> levels;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    const size_t dash = part.find('-');
    try {
      const int low = std::stoi(part.substr(0, dash));
      const int high = dash == std::string::npos ? low : std::stoi(part.substr(dash + 1));
      if (low < kMinLevel || high > kMaxLevel || low > high) throw std::out_of_range(part);
      for (int level = low; level <= high; ++level) levels.push_back(level);
    } catch (const std::exception&) {
      fail("levels: '", part, "' is not a level or range within [", kMinLevel, ", ", kMaxLevel, "] (e.g. 3,5-7)");
    }
  }
  if (levels.empty()) fail("levels: the list is empty");
  return levels;
}

std::vector<Problem> oracle_problems(const std::vector<int>& levels, int64_t count, SplitMix64& rng, StudentTask task) {
  if (levels.empty()) fail("oracle problems need at least one level");
  std::vector<Problem> problems;
  for (int64_t i = 0; i < count; ++i) {
    const int level = levels[rng.below(levels.size())];
    AdditionProblem p = generate_problem(level, rng);
    const StudentProblem student = true_student_problem(p, task);
    problems.push_back({std::to_string(i), student.statement, student.answer, cat("{\"level\":", level, "}")});
  }
  return problems;
}

std::vector<Problem> corrupt_answers(const std::vector<Problem>& problems, SplitMix64& rng) {
  std::vector<Problem> out = problems;
  for (Problem& p : out) {
    const std::string original = p.answer;
    const size_t length = std::max<size_t>(1, original.size());
    do {
      p.answer.clear();
      for (size_t i = 0; i < length; ++i) p.answer += static_cast<char>('0' + rng.below(10));
    } while (p.answer == original);
  }
  return out;
}

std::vector<Problem> corrupt_structure(const std::vector<Problem>& problems, SplitMix64& rng, StudentTask task) {
  std::vector<Problem> out = problems;
  for (Problem& p : out) {
    // Almost every shuffle breaks the fixed-width fields; retry the rare one that still parses.
    std::string scrambled = p.problem;
    for (int attempt = 0; attempt < 64 && is_student_statement(scrambled, task); ++attempt) scrambled = shuffle_text(p.problem, rng);
    if (is_student_statement(scrambled, task)) fail("could not scramble the statement '", p.problem, "'");
    p.problem = scrambled;
  }
  return out;
}

std::optional<int> lowest_quiet_level(const std::vector<LevelSuccesses>& highest_first, int64_t max_successes) {
  std::optional<int> level;
  for (const LevelSuccesses& scanned : highest_first) {
    if (scanned.successes > max_successes) break;
    level = scanned.level;
  }
  return level;
}

}  // namespace soar::testbed
