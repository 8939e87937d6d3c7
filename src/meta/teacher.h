// The teacher's side of SOAR (docs: ../shared/docs/soar.md): sampling g candidate datasets from the
// teacher prompt and parsing each into question/answer problems. The teacher never sees the hard
// problems; it learns only through the reward of its update.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "data/problems.h"
#include "model/causal_lm.h"
#include "sampling/sampler.h"

namespace soar::meta {

struct ParsedDataset {
  std::vector<Problem> problems;  // well-formed items, in order
  int64_t malformed = 0;          // items dropped (counted, never fatal)
};

// Turns what the teacher wrote into problems; must not throw on any text.
using DatasetParser = std::function<ParsedDataset(std::string_view teacher_text)>;

// One candidate dataset X_i: the teacher's tokens (for its update) and the parsed problems.
struct TeacherSample {
  std::vector<int32_t> completion;
  std::vector<float> logprobs;
  std::string text;
  ParsedDataset dataset;
};

std::vector<TeacherSample> sample_datasets(CausalLMImpl& teacher, const std::vector<int32_t>& prompt,
                                           const Detokenizer& detokenize, const DatasetParser& parse, int64_t g,
                                           const SamplingParams& sampling);

}  // namespace soar::meta
