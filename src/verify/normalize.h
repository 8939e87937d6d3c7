// Text-level normalisation of an answer before it is parsed: unicode math symbols to LaTeX,
// degree/percent/currency marks, thousands separators, digit-group spaces, a wrapping \boxed{}.
// What is structural (\left, \text{units}, \dfrac, ...) is left to the tokenizer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace soar::verify::detail {

std::string normalize_answer(std::string_view raw);

// Whether the answer is a percentage: "%", or "pct" / "percent" after the number.
bool mentions_percent(std::string_view raw);

// Spacing- and delimiter-free form for the exact-text fast path: equal keys are equal answers.
std::string text_key(std::string_view normalized);

// Words of a prose answer, lower-cased, LaTeX commands and punctuation removed ("\text{No
// Solution}." -> "no solution"): compared with a gold text answer.
std::string plain_words(std::string_view normalized);

// A multiple-choice letter A-E written alone, possibly decorated: "B", "(B)", "\text{(B)}",
// "Option B". With lenient, also a leading "(B) 12" / "B) 12" as in "(B) 12 apples".
std::optional<char> choice_letter(std::string_view normalized, bool lenient);

}  // namespace soar::verify::detail
