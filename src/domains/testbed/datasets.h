// Problem sets for SOAR's baselines and ablations on the testbed, made without the teacher model:
// the oracle curriculum (fresh problems at chosen levels, correct answers), and the two corruptions
// of a teacher's dataset that separate "answers matter" from "structure matters" (soar.md finding 3);
// and the rule that places a base model's hard set (lowest_quiet_level).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/seed.h"
#include "data/problems.h"
#include "domains/testbed/domain.h"

namespace soar::testbed {

// "3,5-7" -> {3, 5, 6, 7}; soar::Error naming the part that is not a level or range.
std::vector<int> parse_levels(const std::string& text);

// `count` problems, each at a level drawn uniformly from `levels`, as the task's student sees them,
// with their true answers.
std::vector<Problem> oracle_problems(const std::vector<int>& levels, int64_t count, SplitMix64& rng,
                                     StudentTask task = StudentTask::sum);

// Keeps each question, replaces its answer by a random digit string of the same length that is not
// the stated answer (a plausible but wrong answer).
std::vector<Problem> corrupt_answers(const std::vector<Problem>& problems, SplitMix64& rng);

// Keeps each answer, scrambles its question: the statement's characters (digits, padding, '+') are
// shuffled, so it has the same length and symbols but no longer states a well-formed problem of
// the task (checked: a shuffle that still parses is redone).
std::vector<Problem> corrupt_structure(const std::vector<Problem>& problems, SplitMix64& rng,
                                       StudentTask task = StudentTask::sum);

// Where a base model's hard set lies (docs/testbed.md, table 9): levels mined from the highest
// down, each with the successes of its fail@K pool. The hard level is the lowest level L such that
// L and every level above it had at most `max_successes` (direct RL finds nothing to learn from
// there); nullopt when the first (highest) level already had more.
struct LevelSuccesses {
  int level = 0;
  int64_t successes = 0;
};
std::optional<int> lowest_quiet_level(const std::vector<LevelSuccesses>& highest_first, int64_t max_successes);

}  // namespace soar::testbed
