// The two ablations of the paper's third finding on the math domain (`soar meta --domain math
// --corrupt answers|structure`): questions whose answers are wrong but well formed, and answers
// whose questions no longer state a problem. Applied to each parsed dataset before its inner loop;
// the teacher is still updated on what it wrote. The testbed's counterparts are in
// src/domains/testbed/datasets.h.
#pragma once

#include <vector>

#include "core/seed.h"
#include "data/problems.h"

namespace soar::meta {

// Each question keeps its statement and gets, at random, the answer of another question of the same
// dataset that the math verifier does not judge equivalent to its own: a wrong answer of the kind
// the teacher writes. A question with no such answer in its dataset is dropped.
std::vector<Problem> corrupt_math_answers(const std::vector<Problem>& problems, SplitMix64& rng);

// Each question keeps its answer and has its statement's words shuffled (its characters when it has
// a single word), so the words remain but no longer state a problem; a shuffle that gives the
// statement back is redone. A statement no shuffle changes (one repeated character) is dropped.
std::vector<Problem> corrupt_math_structure(const std::vector<Problem>& problems, SplitMix64& rng);

}  // namespace soar::meta
