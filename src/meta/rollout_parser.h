// What a domain's parser makes of one teacher rollout (torch-free, so parsers can be fuzzed alone).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "data/problems.h"

namespace soar::meta {

// One rollout's question/answer pair, or why it was rejected.
struct ParsedRollout {
  std::optional<Problem> problem;  // id left empty: the loop names accepted pairs
  std::string rejection;           // a short, fixed reason (counted per step); empty when accepted
};

// Must not throw on any text.
using RolloutParser = std::function<ParsedRollout(std::string_view teacher_text)>;

}  // namespace soar::meta
