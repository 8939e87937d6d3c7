// How an answer text is read before it is parsed: the one policy shared by verify() (on the text
// extracted from a completion) and compare_answers() (on the answer and on the gold):
//   - a gold with alternatives ("C(10, 5), or equivalently 252") is each alternative;
//   - a sentence that states a value ("0 is the only possible value", "The limit exists and is
//     equal to 3", "The answer is $5$") is read as the math it states, with the extraction a
//     completion gets (extract.h); a text without sentence words is read whole.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace soar::verify::detail {

// Whether a text is a sentence: it holds a word that occurs in prose and never in math ("is",
// "the", "value", ...). A text that is not one is an answer, read whole.
bool is_sentence(std::string_view text);

// "A, or equivalently B" -> {A, B}; otherwise {text}. At most 4 alternatives.
std::vector<std::string_view> alternatives(std::string_view gold);

// The normalised answer: the text itself, or the math its sentence states (see above).
std::string read_answer(std::string_view raw);

// "p \bmod 7 = 0", "f = 2^floor(n/2)": the last side of an '=' chain when the whole does not parse
// (math-verify does the same); nullopt when there is no top-level '='.
std::optional<std::string> last_side(std::string_view normalized);

// "2 \\le |w| \\le 5/2" as the set it is: "[-(5/2), -(2)] \\cup [2, 5/2]" (brackets follow < and \\le);
// nullopt for any other text. Used for a gold such chain against an answer written as a union.
std::optional<std::string> abs_chain_as_union(std::string_view normalized);

}  // namespace soar::verify::detail
