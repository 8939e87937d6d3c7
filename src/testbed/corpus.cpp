#include "testbed/corpus.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "testbed/prompts.h"

namespace soar::testbed {
namespace {

int uniform_level(int low, int high, SplitMix64& rng) { return low + static_cast<int>(rng.below(high - low + 1)); }

// A plausible answer for a problem whose real answer the corpus must not reveal: the length a
// sum of two level-L numbers has (L or L + 1 digits, as often as real sums), top digit non-zero.
std::string random_answer(int level, SplitMix64& rng) {
  const int length = level + (rng.uniform() < 0.55 ? 1 : 0);
  std::string digits;
  for (int i = 0; i < length; ++i) {
    const bool top = i == length - 1 && length > 1;
    digits.push_back(static_cast<char>(top ? '1' + rng.below(9) : '0' + rng.below(10)));
  }
  return digits;
}

}  // namespace

void CorpusConfig::validate() const {
  if (solved_max_level < kMinLevel || solved_max_level > kMaxLevel) fail("corpus.solved_max_level = ", solved_max_level, " is outside [1, ", kMaxLevel, "]");
  if (statement_max_level < solved_max_level || statement_max_level > kMaxLevel) {
    fail("corpus.statement_max_level = ", statement_max_level, " must lie in [solved_max_level, ", kMaxLevel, "]");
  }
  if (!(uneven_fraction >= 0 && uneven_fraction <= 1)) fail("corpus.uneven_fraction = ", uneven_fraction, " is outside [0, 1]");
  if (!(teacher_set_fraction >= 0 && teacher_set_fraction <= 1)) fail("corpus.teacher_set_fraction = ", teacher_set_fraction, " is outside [0, 1]");
  if (max_set_size < 1 || max_set_size > 64) fail("corpus.max_set_size = ", max_set_size, " is outside [1, 64]");
}

std::string solved_document(const AdditionProblem& problem) {
  return student_prompt(problem.statement()) + problem.answer() + "\n";
}

std::string teacher_set_document(const CorpusConfig& config, SplitMix64& rng) {
  const int n = uniform_level(1, config.max_set_size, rng);
  // A set clusters around one level (as a teacher aiming at a difficulty would write it).
  const int center = uniform_level(kMinLevel, config.statement_max_level, rng);
  std::string text = teacher_prompt(n);
  for (int i = 0; i < n; ++i) {
    const int level = std::clamp(center + static_cast<int>(rng.below(3)) - 1, kMinLevel, config.statement_max_level);
    const AdditionProblem problem = generate_problem(level, rng);
    const std::string answer = level <= config.solved_max_level ? problem.answer() : random_answer(level, rng);
    text += problem.statement() + "=" + answer + "\n";
  }
  return text;
}

std::string sample_document(const CorpusConfig& config, SplitMix64& rng) {
  if (rng.uniform() < config.teacher_set_fraction) return teacher_set_document(config, rng);
  const int level = uniform_level(kMinLevel, config.solved_max_level, rng);
  AdditionProblem problem = generate_problem(level, rng);
  if (level > 1 && rng.uniform() < config.uneven_fraction) {
    // Shorten one operand, keeping its most significant digit non-zero; the level is unchanged.
    std::string& shorter = rng.below(2) ? problem.a : problem.b;
    shorter.resize(1 + rng.below(level));
    if (shorter.size() > 1 && shorter.back() == '0') shorter.back() = static_cast<char>('1' + rng.below(9));
  }
  return solved_document(problem);
}

PackedRow packed_row(const CorpusConfig& config, const CharVocab& vocab, uint64_t seed, int64_t step, int64_t row,
                     int64_t length) {
  SplitMix64 rng(derive_seed(seed, "corpus/" + std::to_string(step) + "/" + std::to_string(row)));
  PackedRow packed;
  packed.tokens.reserve(length + 64);
  packed.target.reserve(length + 64);
  while (static_cast<int64_t>(packed.tokens.size()) < length + 1) {
    const std::string doc = sample_document(config, rng);
    // In a solved document the prompt ends at "A:"; everything after it is the answer.
    const size_t answer_at = doc.rfind("Q:", 0) == 0 ? doc.find("\nA:") + 3 : 0;
    const bool mask_prompt = config.answer_only_loss && answer_at > 0;
    packed.tokens.push_back(CharVocab::kBos);
    packed.target.push_back(1);
    vocab.append_text(doc, packed.tokens);
    for (size_t i = 0; i < doc.size(); ++i) packed.target.push_back(!mask_prompt || i >= answer_at);
    packed.tokens.push_back(CharVocab::kEos);
    packed.target.push_back(1);
  }
  packed.tokens.resize(length + 1);
  packed.target.resize(length + 1);
  return packed;
}

}  // namespace soar::testbed
