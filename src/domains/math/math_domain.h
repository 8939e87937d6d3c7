// The formats of SOAR's math domain (`soar meta --domain math`), as the paper writes them (soar.md,
// "Prompts"; the paper's appendix B.1-B.2). The teacher writes exactly one problem per rollout:
//
//   <question>full math question</question><answer>\boxed{answer}</answer>
//
// with any reasoning outside the tags. A rollout is accepted when it has both question tags, both
// answer tags, a \boxed{} in the answer, and a boxed content the math verifier can parse; anything
// else is rejected with a reason and resampled (meta/teacher.h). The paper's own prompt closes the
// question with a second "<question>" (a typo, kept by models that copy it): the parser accepts
// that as the closing tag too. The student prompt is the paper's "User: ... Assistant:" frame.
#pragma once

#include <cstdint>
#include <string_view>

#include "meta/rollout_parser.h"

namespace soar::meta {

// The paper's student prompt (B.1), used for fail@128 filtering, inner loops and evaluation.
inline constexpr std::string_view kMathStudentTemplate =
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The "
    "assistant first shows the complete reasoning process step by step, then provides the final answer in "
    "\\boxed{}. The assistant must always follow the format: 'User: [question] Assistant: [detailed reasoning] "
    "The final answer is: \\boxed{[answer]}.\n\nUser: {problem} Assistant: ";

// The paper's teacher prompt (B.1), with the question's closing tag written as one.
inline constexpr std::string_view kMathTeacherPrompt =
    "You are generating a new math problem for a math assistant. Allowed topics: Algebra, Counting and "
    "Probability, Geometry, Intermediate Algebra, Number Theory, Prealgebra, or Precalculus.\n\n"
    "Output rules (follow EXACTLY):\n"
    "- Provide the final formatted problem in this structure: "
    "<question>[full math question]</question><answer>\\boxed{[answer]}</answer>\n"
    "- Any explanations, steps, or reasoning about the problem goes OUTSIDE the <question> and <answer> tags.\n\n"
    "Constraints:\n"
    "- The problem must be original, challenging, and require at least 2-3 steps of reasoning.\n"
    "- Output exactly ONE problem. You MUST follow the specified format EXACTLY.\n\n"
    "Begin now:";

// Bounds on one pair; a longer question or answer is rejected.
inline constexpr std::size_t kMaxMathProblemBytes = 8000;
inline constexpr std::size_t kMaxMathAnswerBytes = 256;

// Never throws; linear in the text (the verifier's parse of the boxed answer is bounded by its limits).
ParsedRollout parse_math_rollout(std::string_view text);

}  // namespace soar::meta
