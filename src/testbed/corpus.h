// The pretraining corpus, generated on the fly. Solved problems ("Q:..\nA:<sum>\n") appear only
// at levels 1..solved_max_level; problem sets in the teacher's format appear at every level up to
// statement_max_level, with correct answers at solved levels and well-formed but random answers
// above, so no correct hard answer is ever shown. The base model can therefore solve easy levels,
// write problems of any level, and (measured, docs/testbed.md) not solve the hard ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/seed.h"
#include "testbed/char_tokenizer.h"
#include "testbed/domain.h"

namespace soar::testbed {

struct CorpusConfig {
  int solved_max_level = 5;            // E: highest level with solved problems
  int statement_max_level = 12;        // M: highest level of any statement
  double teacher_set_fraction = 0.05;  // of documents (a set is ~6x longer than a solved problem)
  int max_set_size = 4;                // teacher sets hold 1..max_set_size problems
  // Train solved problems on their answers only (the statement's random digits are unpredictable
  // noise that drowns the answer's gradient); teacher sets are always trained on every token, so
  // the model still learns to write statements of every level.
  bool answer_only_loss = true;
  // Fraction of solved problems whose shorter operand has a random length in [1, level]. With equal
  // lengths a sum digit is independent of each operand digit alone (a sparse-parity-like signal a
  // tiny model picks up slowly); where one operand has ended, the answer copies the other, which
  // teaches the fixed-offset lookups first.
  double uneven_fraction = 0.5;

  void validate() const;  // soar::Error naming the field
};

// "Q:<statement>\nA:<answer>\n"
std::string solved_document(const AdditionProblem& problem);
// "Write n problems:\n" then n lines "a+b=c"; answers correct at levels <= E, random above.
std::string teacher_set_document(const CorpusConfig& config, SplitMix64& rng);

// One document's text (without special tokens), drawn from the mixture.
std::string sample_document(const CorpusConfig& config, SplitMix64& rng);

struct PackedRow {
  std::vector<int32_t> tokens;  // length + 1
  std::vector<uint8_t> target;  // length + 1: 1 where the token is a prediction target
};

// A packed training row of `length` + 1 tokens: <|bos|> doc <|eos|> <|bos|> doc ... (the last
// document cut off). Depends only on (seed, step, row), so a resumed run sees exactly the data
// an uninterrupted run would.
PackedRow packed_row(const CorpusConfig& config, const CharVocab& vocab, uint64_t seed, int64_t step, int64_t row,
                     int64_t length);

}  // namespace soar::testbed
