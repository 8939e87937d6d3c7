#include "domains/math/math_corruption.h"

#include <string>
#include <string_view>
#include <utility>

#include "core/utf8.h"
#include "verify/verify.h"

namespace soar::meta {
namespace {

template <typename T>
void shuffle(std::vector<T>& items, SplitMix64& rng) {  // Fisher-Yates
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng.below(i)]);
}

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  size_t start = text.find_first_not_of(" \t\r\n");
  while (start != std::string_view::npos) {
    const size_t end = text.find_first_of(" \t\r\n", start);
    words.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    start = end == std::string_view::npos ? end : text.find_first_not_of(" \t\r\n", end);
  }
  return words;
}

// Code points, so that a shuffle keeps the text valid UTF-8 (an invalid byte stays a unit of its own).
std::vector<std::string> characters_of(std::string_view text) {
  std::vector<std::string> characters;
  for (size_t at = 0; at < text.size();) {
    const size_t length = std::max<size_t>(1, utf8_sequence_length(text, at));
    characters.emplace_back(text.substr(at, length));
    at += length;
  }
  return characters;
}

std::string joined(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out.append(i == 0 ? "" : separator).append(parts[i]);
  return out;
}

}  // namespace

std::vector<Problem> corrupt_math_answers(const std::vector<Problem>& problems, SplitMix64& rng) {
  std::vector<Problem> out;
  for (size_t i = 0; i < problems.size(); ++i) {
    std::vector<size_t> wrong;
    for (size_t j = 0; j < problems.size(); ++j) {
      if (j != i && verify::compare_answers(problems[i].answer, problems[j].answer).verdict != verify::Verdict::Correct) {
        wrong.push_back(j);
      }
    }
    if (wrong.empty()) continue;
    Problem corrupted = problems[i];
    corrupted.answer = problems[wrong[rng.below(wrong.size())]].answer;
    out.push_back(std::move(corrupted));
  }
  return out;
}

std::vector<Problem> corrupt_math_structure(const std::vector<Problem>& problems, SplitMix64& rng) {
  std::vector<Problem> out;
  for (const Problem& problem : problems) {
    std::vector<std::string> words = words_of(problem.problem);
    const bool by_words = words.size() > 1;
    std::vector<std::string> units = by_words ? std::move(words) : characters_of(problem.problem);
    const std::string separator = by_words ? " " : "";
    const std::string original = joined(units, separator);
    std::string scrambled = original;
    // Redone while it gives the statement back; with two distinct units a shuffle differs half the time.
    for (int attempt = 0; attempt < 64 && scrambled == original; ++attempt) {
      shuffle(units, rng);
      scrambled = joined(units, separator);
    }
    if (scrambled == original) continue;  // nothing to shuffle (one repeated unit)
    Problem corrupted = problem;
    corrupted.problem = std::move(scrambled);
    out.push_back(std::move(corrupted));
  }
  return out;
}

}  // namespace soar::meta
