// The formats of SOAR's math domain (`soar meta --domain math`): the student's default prompt,
// which asks for a \boxed{} answer (what the math verifier reads first), and the teacher's: a
// prompt asking for n practice problems, each written as
//
//   Problem: <statement, any number of lines>
//   Answer: <final answer, one line; a \boxed{} in it is unwrapped>
//
// (a "Solution:" part between them is allowed and left out of the statement), with the parser
// that turns what the teacher wrote into problems. The paper's prompts are not public; these are
// ours (config values: `--prompt-template`, `--teacher-prompt`). The teacher never sees the hard
// problems. Labels are read leniently, as instruction-tuned models decorate them ("**Problem 2:**",
// "1. Question:", "Final answer:").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "meta/parsed_dataset.h"

namespace soar::meta {

inline constexpr std::string_view kMathStudentTemplate =
    "{problem}\n\nPlease reason step by step, and put your final answer within \\boxed{}.";

inline constexpr std::string_view kMathTeacherTemplate =
    "Write {n} new math problems for a student to practise on. Each problem must be self-contained, "
    "well posed and have a single final answer that can be checked exactly (a number, an expression, "
    "an interval, ...). Write each one as\n\nProblem: <the problem>\nAnswer: <the final answer only>\n";

// Bounds on one item; a longer statement or answer is dropped as malformed.
inline constexpr std::size_t kMaxMathProblemBytes = 8000;
inline constexpr std::size_t kMaxMathAnswerBytes = 256;

// The template with every "{n}" replaced by n; throws soar::Error when it has no "{n}".
std::string math_teacher_prompt(std::string_view template_text, int64_t n);

// Never throws; linear in the text. Well-formed items become problems "0", "1", ... in order.
// Counted as malformed: a problem with no answer (another problem starts first, or the text
// ends), an answer with no problem, an empty or oversized statement or answer, invalid UTF-8.
// Text outside items (a preamble, closing remarks) is ignored.
ParsedDataset parse_math_dataset(std::string_view text);

}  // namespace soar::meta
