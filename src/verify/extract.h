// Finding the final answer in a model's completion. Every scan here is linear in the input (or
// bounded by a fixed number of retries), so megabytes of text cost milliseconds, never more.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace soar::verify::detail {

// Content of the last balanced \boxed{...} / \fbox{...} (or "\boxed 5"); nullopt when none.
std::optional<std::string_view> last_boxed(std::string_view text);

// Removes what surrounds an answer but is not part of it: $...$, \(...\), \[...\], markdown
// emphasis (**73**), backticks, a leading ':' or '=', a trailing sentence period.
std::string strip_decoration(std::string_view s);

// Priority: last \boxed{} > last "#### n" (GSM8K) > last "answer is/answer:" line > last number
// (when fallback_to_last_number). The result is decoration-stripped, not yet normalised.
std::optional<std::string> extract(std::string_view completion, bool fallback_to_last_number);

}  // namespace soar::verify::detail
