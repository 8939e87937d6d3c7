// The pretraining corpus, generated on the fly. Solved problems ("Q:..\nA:<sum>\n") appear only
// at levels 1..solved_max_level; problem sets in the teacher's format ("Write n problems:\n" and n
// items in the student's layout) appear at every level up to statement_max_level, with correct
// answers at solved levels and well-formed but random (never correct) answers above, so no correct
// hard answer is ever shown. Those random answers are not trained by default: the model never
// learns that an answer above the solved levels is noise, so it states what its carry circuit
// computes, as it would as a student. The base model can therefore solve easy levels, write
// problems of any level, and (measured, docs/testbed.md) not solve the hard ones.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/seed.h"
#include "domains/testbed/char_tokenizer.h"
#include "domains/testbed/domain.h"

namespace soar::testbed {

struct CorpusConfig {
  int solved_max_level = 5;            // E: highest level with solved problems
  int statement_max_level = kMaxLevel; // M: highest level of any statement
  double teacher_set_fraction = 0.10;  // of documents drawn (a set is ~3x longer than a solved problem)
  int max_set_size = 4;                // teacher sets hold 1..max_set_size problems
  // Train the (random) answers of teacher-set items above solved_max_level. Off: they are in the
  // text, so the set reads like a teacher's, but carry no loss, except the newline after an answer
  // of level + 1 digits (docs/testbed.md says why).
  bool train_hard_answers = false;
  // How many leading characters of such a hard answer are trained as "some digit": min(L, this);
  // 0 = all L. Capped, no answer position beyond it is ever a trained digit.
  int hard_digit_positions = 0;
  // Loss weight of the random choices in the statements of teacher-set items: every digit, and the
  // first '_' (where the first operand ends, i.e. the level). Everything else trained has weight 1,
  // the rest of the layout included. The digits are random: at full weight they are much of the
  // trained signal and their gradient noise delays learning to add (docs/testbed.md). Every
  // alternative at a choice point has the same weight (a digit or the first '_'), so the model's
  // distribution over statements and levels stays unbiased; weighting the digits alone made 2/3 of
  // the teacher's problems level 1 (measured).
  double set_statement_weight = 0.1;
  // Train solved problems on their answers only (the statement's random digits are unpredictable
  // noise that drowns the answer's gradient); teacher sets are always trained on every token, so
  // the model still learns to write statements of every level.
  bool answer_only_loss = true;
  // Fraction of solved problems whose shorter operand has a random length in [1, level]. With equal
  // lengths a sum digit is independent of each operand digit alone (a sparse-parity-like signal a
  // tiny model picks up slowly); where one operand has ended, the answer copies the other, which
  // teaches the fixed-offset lookups first.
  double uneven_fraction = 0.5;
  // Fraction of teacher sets whose problems have three operands (0: format 4, none). Their answers
  // are random and untrained above three_operand_solved_max_level (at every level when it is 0),
  // as two-operand answers above solved_max_level are.
  double three_operand_set_fraction = 0.0;
  // Highest level of solved three-operand problems (0: none). When set, a quarter of the solved
  // documents are three-operand problems of levels 1..this, and three-operand set items up to it
  // have correct, trained answers: the base model knows the three-operand circuit on short sums only.
  int three_operand_solved_max_level = 0;
  // The student's task (domain.h). sum is format 5: the student's items are the teacher's. For the
  // other tasks the solved problems are shown two ways: a fraction solved_teacher_item_fraction as
  // the teacher's items (the sum least significant digit first: "S:" for sum-msd, "A:" for
  // difference), the rest in the student's format (sum-msd: the sum most significant digit first;
  // difference: "c-a", answer b) at levels up to student_solved_max_level (0: solved_max_level).
  // Teacher sets are the teacher's items. So the base model learns both directions on the solved
  // levels and, past them, extrapolates each as far as it can: the teacher's is the one format 5
  // showed to reach several levels past E.
  StudentTask student_task = StudentTask::sum;
  double solved_teacher_item_fraction = 0.5;
  int student_solved_max_level = 0;

  void validate() const;  // soar::Error naming the field
};

// A solved problem: "Q:<statement>\nA:<answer>\n" in the student's format (solved_item), or, for
// tasks other than sum, the teacher's item (teacher_item).
std::string solved_document(const CorpusConfig& config, SplitMix64& rng);
// "Write n problems:\n" then n teacher items (teacher_item); answers correct up to the kind's
// solved level (E, or three_operand_solved_max_level), random (and never correct) above.
std::string teacher_set_document(const CorpusConfig& config, SplitMix64& rng);
bool is_teacher_set(std::string_view document);
// Tokens of the longest teacher set the config can draw, with <|bos|> and <|eos|>.
int64_t max_teacher_set_tokens(const CorpusConfig& config);

// One document's text (without special tokens), drawn from the mixture: a teacher set or a solved problem.
std::string sample_document(const CorpusConfig& config, SplitMix64& rng);

// The loss weight of every character of `document` (0 = not a prediction target): a solved
// document's answer (all of it without answer_only_loss) at 1; every character of a teacher set at
// 1 except the digits and first '_' of its items' statements (set_statement_weight) and, unless
// train_hard_answers, the answer digits of items above solved_max_level, and their newline unless
// the answer has the most digits a sum can have, level + 1 (0).
std::vector<float> document_targets(const CorpusConfig& config, std::string_view document);
// 1 where the target is the class "some digit" rather than one token (weight 1): the first L
// characters of an answer above level E (at most hard_digit_positions of them; unless train_hard_answers). Every sum of two level-L
// numbers has at least L digits, so this is true of every problem and reveals nothing about this
// one, while it teaches the model to write an answer there (trained only on the newline after
// L + 1 digits, the model learned to end hard answers anywhere, even before their first digit).
std::vector<uint8_t> document_digit_targets(const CorpusConfig& config, std::string_view document);

struct PackedRow {
  std::vector<int32_t> tokens;  // length + 1
  std::vector<float> target;    // length + 1: the token's loss weight as a prediction target (0 = none)
  std::vector<uint8_t> any_digit;  // length + 1: 1 where the target is "some digit" (weight 1)
};

// A packed training row of `length` + 1 tokens: <|bos|> doc <|eos|> <|bos|> doc ... Teacher sets
// are never cut: the row's documents are drawn from the mixture, the teacher sets among them go
// first (a set that would not fit whole is replaced by a solved problem), then the solved problems,
// the last of which is cut off. So the model sees every set end with <|eos|> after exactly n items.
// Depends only on (seed, step, row), so a resumed run sees exactly the data an uninterrupted run
// would.
PackedRow packed_row(const CorpusConfig& config, const CharVocab& vocab, uint64_t seed, int64_t step, int64_t row,
                     int64_t length);

}  // namespace soar::testbed
