// What a domain's parser makes of a teacher completion (torch-free, so parsers can be fuzzed alone).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "data/problems.h"

namespace soar::meta {

struct ParsedDataset {
  std::vector<Problem> problems;  // well-formed items, in order
  int64_t malformed = 0;          // items dropped (counted, never fatal)
};

// Turns what the teacher wrote into problems; must not throw on any text.
using DatasetParser = std::function<ParsedDataset(std::string_view teacher_text)>;

}  // namespace soar::meta
