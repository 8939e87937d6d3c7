// Rewards are functions (problem, completion text) -> score. The exact-match reward here is the
// RLVR engine's own; the math verifier (src/verify/) plugs in through the same signature.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "data/problems.h"

namespace soar {

using RewardFunction = std::function<double(const Problem& problem, std::string_view completion)>;

// The final answer a completion states: the content of its last \boxed{...}, else the text after
// its last "####" or "Answer:" marker (up to the end of that line), else the whole completion;
// surrounding whitespace removed.
std::string final_answer(std::string_view completion);

// 1 when final_answer(completion) equals the problem's answer exactly (after trimming), else 0.
RewardFunction exact_match_reward();

// 1 when the math verifier (src/verify/) judges the completion's answer equivalent to the
// problem's answer, else 0 (incorrect, unparseable, or undecidable within its budget).
RewardFunction math_verify_reward();

// The SOAR paper's shaped student reward (its appendix B.3), with y the completion and a the
// answer: 120 when y has a \boxed{} whose answer the math verifier accepts; 20 when boxed, not
// accepted, but a appears in the extracted answer; 10 when boxed and neither; 0 with no \boxed{}.
// A training reward only: accuracy is measured with math_verify_reward.
RewardFunction shaped_math_reward();

// "exact", "math" or "math-shaped".
RewardFunction reward_by_name(const std::string& name);

// What the verifier behind a reward makes of one completion, for the rollout logs
// (rl/rollout_log.h): the answer it extracted and its verdict, one of "correct", "wrong",
// "no_answer" (nothing to extract), "unparseable" (extracted, but not an expression the verifier
// reads) and "undecidable" (the comparison hit a limit).
struct Judgement {
  const char* verdict = "wrong";
  std::string answer;
};
using JudgeFunction = std::function<Judgement(const Problem& problem, std::string_view completion)>;

// The judge of reward `name`: final_answer and exact comparison for "exact", the math verifier for
// "math" and "math-shaped" (whose 10 and 20 are "wrong" answers with a box).
JudgeFunction judge_by_name(const std::string& name);

// The 1/0 reward that measures accuracy for a training reward: "math" for "math-shaped", else the same.
RewardFunction correctness_by_name(const std::string& name);

}  // namespace soar
