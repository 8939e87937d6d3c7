// Finding the final answer in a model's completion. Every scan here is linear in the input (or
// bounded by a fixed number of retries), so megabytes of text cost milliseconds, never more.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace soar::verify::detail {

// Content of the last balanced \boxed{...} / \fbox{...} (or "\boxed 5"); nullopt when none.
std::optional<std::string_view> last_boxed(std::string_view text);

// The boxed answer: the last box, with the boxes listed right before it when only list glue
// separates them ("\boxed{3}, \boxed{-5}" is "3, -5"); decoration-stripped. nullopt: no box.
std::optional<std::string> boxed_answer(std::string_view text);

// The math that ends last in prose: a $...$ / \(...\) / \[...\] span (with the spans listed
// right before it), or an expression in plain text after it ("... is 2^(n-1).", "(x, y) = (0, 0)").
// A condition right before it ("... is 0, which occurs when $a=b=c$") is skipped. `begin`, when
// given, receives where the math starts, so that a caller can look further left.
std::optional<std::string> last_math(std::string_view text, std::size_t* begin = nullptr);

// Removes what surrounds an answer but is not part of it: $...$, \(...\), \[...\], markdown
// emphasis (**73**), backticks, a leading ':' or '=', a trailing sentence period.
std::string strip_decoration(std::string_view s);

// Priority: the boxed answer > last "#### n" (GSM8K) > last "answer is/answer:" phrase > the last
// math (when fallback_to_last_math). The result is decoration-stripped, not yet normalised.
// `math_begin`, when given, is set only when the answer is the last math: where it starts.
std::optional<std::string> extract(std::string_view completion, bool fallback_to_last_math,
                                   std::size_t* math_begin = nullptr);

}  // namespace soar::verify::detail
