#include "domains/testbed/corpus.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "domains/testbed/prompts.h"

namespace soar::testbed {
namespace {

int uniform_level(int low, int high, SplitMix64& rng) { return low + static_cast<int>(rng.below(high - low + 1)); }

// A plausible answer for a problem whose real answer the corpus must not reveal: the length a
// sum of level-L numbers has (L or L + 1 digits, about as often as real sums: 55 % of two-operand
// and 85 % of three-operand sums have L + 1), top digit non-zero, and never the true sum (drawn
// again in the rare case it is).
std::string random_answer(const AdditionProblem& problem, SplitMix64& rng) {
  const int level = problem.level();
  const double longer = problem.operands() == 3 ? 0.85 : 0.55;
  for (;;) {
    const int length = level + (rng.uniform() < longer ? 1 : 0);
    std::string digits;
    for (int i = 0; i < length; ++i) {
      const bool top = i == length - 1 && length > 1;
      digits.push_back(static_cast<char>(top ? '1' + rng.below(9) : '0' + rng.below(10)));
    }
    if (!check_answer(problem, digits)) return digits;
  }
}

// Whether the corpus shows this kind of problem solved (with its true answer).
bool solved_kind(const CorpusConfig& config, int level, int operands) {
  return level <= (operands == 3 ? config.three_operand_solved_max_level : config.solved_max_level);
}

// A solved two-operand problem of `level`; a fraction uneven_fraction of them with one operand
// shortened (its most significant digit kept non-zero; the level is unchanged).
AdditionProblem solved_problem(const CorpusConfig& config, int level, SplitMix64& rng) {
  AdditionProblem problem = generate_problem(level, rng);
  if (level > 1 && rng.uniform() < config.uneven_fraction) {
    std::string& shorter = rng.below(2) ? problem.a : problem.b;
    shorter.resize(1 + rng.below(level));
    if (shorter.size() > 1 && shorter.back() == '0') shorter.back() = static_cast<char>('1' + rng.below(9));
  }
  return problem;
}

int student_max_level(const CorpusConfig& config) {
  return config.student_solved_max_level > 0 ? config.student_solved_max_level : config.solved_max_level;
}

// A solved problem as the student's item, or (tasks other than sum, solved_teacher_item_fraction of
// them) as the teacher's item. A problem above the student's solved levels is replaced by a fresh
// one within them (drawn only then, so corpora whose student levels are E are unchanged).
std::string solved_text(const CorpusConfig& config, AdditionProblem problem, SplitMix64& rng) {
  if (config.student_task == StudentTask::sum) return solved_item(problem);
  if (rng.uniform() < config.solved_teacher_item_fraction) {  // (difference has no three-operand problems: validate())
    return teacher_item(problem, problem.answer(), config.student_task);
  }
  if (problem.level() > student_max_level(config)) problem = solved_problem(config, uniform_level(kMinLevel, student_max_level(config), rng), rng);
  return solved_item(problem, config.student_task);
}

}  // namespace

std::string solved_document(const CorpusConfig& config, SplitMix64& rng) {
  // Drawn only when three-operand solved problems are on, so format 4's corpus is unchanged.
  if (config.three_operand_solved_max_level > 0 && rng.uniform() < 0.25) {
    return solved_text(config, generate_problem(uniform_level(kMinLevel, config.three_operand_solved_max_level, rng), rng, 3), rng);
  }
  return solved_text(config, solved_problem(config, uniform_level(kMinLevel, config.solved_max_level, rng), rng), rng);
}

namespace {

// One "Q:<statement>\n<tag><answer>\n" item of a teacher set, by positions in the document.
struct SetItem {
  size_t statement_at, statement_end;  // the statement, after "Q:"
  size_t answer_at, answer_end;        // the answer, after its tag (answer_end: its newline or the end)
  std::optional<AdditionProblem> problem;
};

std::vector<SetItem> set_items(std::string_view document) {
  std::vector<SetItem> items;
  for (size_t q = document.find("Q:"); q != std::string_view::npos; q = document.find("Q:", q + 2)) {
    const size_t newline = document.find('\n', q);
    if (newline == std::string_view::npos) break;
    const size_t answer_at = std::min(newline + 3, document.size());
    items.push_back({q + 2, newline, answer_at, std::min(document.find('\n', answer_at), document.size()),
                     parse_statement(document.substr(q + 2, newline - q - 2))});
  }
  return items;
}

// Whether the item's answer is a hard one (a kind the corpus never shows solved), whose random
// digits are not trained as tokens.
bool untrained_answer(const CorpusConfig& config, const SetItem& item) {
  return !config.train_hard_answers && item.problem && !solved_kind(config, item.problem->level(), item.problem->operands());
}

}  // namespace

void CorpusConfig::validate() const {
  if (solved_max_level < kMinLevel || solved_max_level > kMaxLevel) fail("corpus.solved_max_level = ", solved_max_level, " is outside [1, ", kMaxLevel, "]");
  if (statement_max_level < solved_max_level || statement_max_level > kMaxLevel) {
    fail("corpus.statement_max_level = ", statement_max_level, " must lie in [solved_max_level, ", kMaxLevel, "]");
  }
  if (!(uneven_fraction >= 0 && uneven_fraction <= 1)) fail("corpus.uneven_fraction = ", uneven_fraction, " is outside [0, 1]");
  if (!(teacher_set_fraction >= 0 && teacher_set_fraction <= 1)) fail("corpus.teacher_set_fraction = ", teacher_set_fraction, " is outside [0, 1]");
  if (!(set_statement_weight >= 0 && set_statement_weight <= 1)) fail("corpus.set_statement_weight = ", set_statement_weight, " is outside [0, 1]");
  if (hard_digit_positions < 0 || hard_digit_positions > kMaxLevel) fail("corpus.hard_digit_positions = ", hard_digit_positions, " is outside [0, ", kMaxLevel, "]");
  if (max_set_size < 1 || max_set_size > 64) fail("corpus.max_set_size = ", max_set_size, " is outside [1, 64]");
  if (!(three_operand_set_fraction >= 0 && three_operand_set_fraction <= 1)) {
    fail("corpus.three_operand_set_fraction = ", three_operand_set_fraction, " is outside [0, 1]");
  }
  if (!(solved_teacher_item_fraction >= 0 && solved_teacher_item_fraction <= 1)) {
    fail("corpus.solved_teacher_item_fraction = ", solved_teacher_item_fraction, " is outside [0, 1]");
  }
  if (student_solved_max_level < 0 || student_solved_max_level > solved_max_level) {
    fail("corpus.student_solved_max_level = ", student_solved_max_level, " is outside [0, solved_max_level]");
  }
  if ((student_task == StudentTask::difference || student_task == StudentTask::interleaved) &&
      (three_operand_set_fraction > 0 || three_operand_solved_max_level > 0)) {
    fail("corpus: the ", student_task_name(student_task), " task has two-operand problems only (three_operand_* must be 0)");
  }
  if (three_operand_solved_max_level < 0 || three_operand_solved_max_level > solved_max_level) {
    fail("corpus.three_operand_solved_max_level = ", three_operand_solved_max_level, " is outside [0, solved_max_level]");
  }
}

std::string teacher_set_document(const CorpusConfig& config, SplitMix64& rng) {
  const int n = uniform_level(1, config.max_set_size, rng);
  // A set clusters around one level (as a teacher aiming at a difficulty would write it).
  const int center = uniform_level(kMinLevel, config.statement_max_level, rng);
  // Drawn only when three-operand sets are on, so format 4's corpus is unchanged.
  const int operands = config.three_operand_set_fraction > 0 && rng.uniform() < config.three_operand_set_fraction ? 3 : 2;
  std::string text = teacher_prompt(n);
  for (int i = 0; i < n; ++i) {
    const int level = std::clamp(center + static_cast<int>(rng.below(3)) - 1, kMinLevel, config.statement_max_level);
    const AdditionProblem problem = generate_problem(level, rng, operands);
    text += teacher_item(problem, solved_kind(config, level, operands) ? problem.answer() : random_answer(problem, rng),
                         config.student_task);
  }
  return text;
}

bool is_teacher_set(std::string_view document) { return document.substr(0, 6) == "Write "; }

int64_t max_teacher_set_tokens(const CorpusConfig& config) {
  const int item = config.three_operand_set_fraction > 0 ? kTeacherItemMaxCharsThreeOperands : kTeacherItemMaxChars;
  return 2 + static_cast<int64_t>(teacher_prompt(config.max_set_size).size()) + int64_t{config.max_set_size} * item;
}

std::string sample_document(const CorpusConfig& config, SplitMix64& rng) {
  if (rng.uniform() < config.teacher_set_fraction) return teacher_set_document(config, rng);
  return solved_document(config, rng);
}

namespace {

// Format 8's targets of one item line "W:<triples>" at [at, end) (end: its newline or the
// document's end), written into target / any_digit. A solved document (not in a set) trains its sum
// digits, carry digit and newline only (with answer_only_loss). In a set: the operand slots are the
// statement's random choices (set_statement_weight), the first '_' of the carry triple among them
// (it ends the level); the sum and carry digits are trained at solved levels and, above them
// (unless train_hard_answers), only as "some digit" (every slot holds one whatever the sum);
// everything else at 1.
void interleaved_item_targets(const CorpusConfig& config, std::string_view document, size_t at, size_t end, bool in_set,
                              std::vector<float>& target, std::vector<uint8_t>& any_digit) {
  if (!in_set && !config.answer_only_loss) return;
  const auto sum = parse_interleaved_sum(document.substr(at + 2, end - at - 2));
  if (!sum) return;  // not the corpus's own text: leave the default targets
  const size_t slots = (end - at - 2) / 3 * 3;
  const bool hard = in_set && !config.train_hard_answers && !solved_kind(config, sum->problem.level(), 2);
  const size_t digits = slots / 3;  // sum digits and the carry
  const size_t trained_digits = config.hard_digit_positions > 0 ? std::min<size_t>(digits, config.hard_digit_positions) : digits;
  if (!in_set) std::fill(target.begin() + at, target.begin() + at + 2, 0);
  for (size_t k = 0; k < slots; ++k) {
    const size_t i = at + 2 + k;
    if (k % 3 != 2) {  // an operand slot
      const bool carry_triple = k + 3 >= slots;
      target[i] = !in_set ? 0.0f : carry_triple && k % 3 == 1 ? 1.0f : static_cast<float>(config.set_statement_weight);
      continue;
    }
    if (!hard) continue;
    target[i] = 0;
    any_digit[i] = k / 3 < trained_digits;
  }
}

// Whether `document` is in format 8's teacher text: a set, or a solved problem as the teacher's item.
bool interleaved_document(const CorpusConfig& config, std::string_view document) {
  return config.student_task == StudentTask::interleaved && (is_teacher_set(document) || document.substr(0, 2) == teacher_answer_tag(StudentTask::interleaved));
}

// The targets of every "W:" item line of a format-8 document.
void interleaved_targets(const CorpusConfig& config, std::string_view document, std::vector<float>& target,
                         std::vector<uint8_t>& any_digit) {
  for (size_t at = 0; at < document.size();) {
    const size_t end = std::min(document.find('\n', at), document.size());
    if (document.substr(at, 2) == teacher_answer_tag(StudentTask::interleaved)) interleaved_item_targets(config, document, at, end, is_teacher_set(document), target, any_digit);
    at = end + 1;
  }
}

}  // namespace

std::vector<float> document_targets(const CorpusConfig& config, std::string_view document) {
  std::vector<float> target(document.size(), 1.0f);
  if (interleaved_document(config, document)) {
    std::vector<uint8_t> any_digit(document.size(), 0);
    interleaved_targets(config, document, target, any_digit);
    return target;
  }
  if (!is_teacher_set(document)) {
    // In a solved document the prompt ends at the answer's tag ("A:", or "S:" for a teacher item);
    // everything after it is the answer.
    const size_t answer_at = document.find('\n');
    if (config.answer_only_loss && answer_at != std::string_view::npos) std::fill(target.begin(), target.begin() + answer_at + 3, 0);
    return target;
  }
  // Items are "Q:<statement>\n<tag><answer>\n": down-weight the statement's random choices; untrain the
  // answer above level E.
  for (const SetItem& item : set_items(document)) {
    // The random choices of a statement: every digit, and where the first field ends (its first
    // '_'). The rest of the layout ('_' padding, '+', the second field's end) follows from them.
    const size_t first_pad = document.find('_', item.statement_at);
    for (size_t i = item.statement_at; i < item.statement_end; ++i) {
      const bool digit = document[i] >= '0' && document[i] <= '9';
      if (digit || i == first_pad) target[i] = static_cast<float>(config.set_statement_weight);
    }
    if (!untrained_answer(config, item)) continue;
    std::fill(target.begin() + item.answer_at, target.begin() + item.answer_end, 0);
    // The newline is trained only after level + 1 digits, the most any sum of two (or three)
    // level-L numbers has: a rule true of every problem, so it reveals nothing about this one, and
    // it teaches the model to end an answer it cannot compute (untrained, it wrote hundreds of digits at levels
    // 8-12 and no set with such an item ended). Where the sum may end (after L digits) stays
    // untrained: the random length says nothing about the true one.
    if (item.answer_end < document.size() &&
        item.answer_end - item.answer_at != static_cast<size_t>(item.problem->level()) + 1) {
      target[item.answer_end] = 0;
    }
  }
  return target;
}

std::vector<uint8_t> document_digit_targets(const CorpusConfig& config, std::string_view document) {
  std::vector<uint8_t> any_digit(document.size(), 0);
  if (interleaved_document(config, document)) {
    std::vector<float> target(document.size(), 1.0f);
    interleaved_targets(config, document, target, any_digit);
    return any_digit;
  }
  if (!is_teacher_set(document)) return any_digit;
  for (const SetItem& item : set_items(document)) {
    if (!untrained_answer(config, item)) continue;
    const int level = item.problem->level();
    const size_t positions = config.hard_digit_positions > 0 ? std::min(level, config.hard_digit_positions) : level;
    std::fill(any_digit.begin() + item.answer_at, any_digit.begin() + std::min(item.answer_end, item.answer_at + positions), 1);
  }
  return any_digit;
}

PackedRow packed_row(const CorpusConfig& config, const CharVocab& vocab, uint64_t seed, int64_t step, int64_t row,
                     int64_t length) {
  SplitMix64 rng(derive_seed(seed, "corpus/" + std::to_string(step) + "/" + std::to_string(row)));
  PackedRow packed;
  packed.tokens.reserve(length + 64);
  packed.target.reserve(length + 64);
  packed.any_digit.reserve(length + 64);
  // Draw documents until they fill the row; teacher sets go first and whole.
  std::vector<std::string> sets, solved;
  int64_t total = 0, set_tokens = 0;
  while (total < length + 1) {
    std::string doc = sample_document(config, rng);
    const int64_t tokens = static_cast<int64_t>(doc.size()) + 2;
    if (is_teacher_set(doc)) {
      if (set_tokens + tokens > length + 1) {
        doc = solved_document(config, rng);  // it would be cut: a solved problem instead
      } else {
        set_tokens += tokens;
        sets.push_back(std::move(doc));
        total += tokens;
        continue;
      }
    }
    total += static_cast<int64_t>(doc.size()) + 2;
    solved.push_back(std::move(doc));
  }
  for (const auto* group : {&sets, &solved}) {
    for (const std::string& doc : *group) {
      packed.tokens.push_back(CharVocab::kBos);
      packed.target.push_back(1);
      vocab.append_text(doc, packed.tokens);
      const std::vector<float> target = document_targets(config, doc);
      packed.target.insert(packed.target.end(), target.begin(), target.end());
      const std::vector<uint8_t> any_digit = document_digit_targets(config, doc);
      packed.any_digit.push_back(0);  // <|bos|>
      packed.any_digit.insert(packed.any_digit.end(), any_digit.begin(), any_digit.end());
      packed.any_digit.push_back(0);  // <|eos|>
      packed.tokens.push_back(CharVocab::kEos);
      packed.target.push_back(1);
    }
  }
  packed.tokens.resize(length + 1);
  packed.target.resize(length + 1);
  packed.any_digit.resize(length + 1);
  return packed;
}

}  // namespace soar::testbed
