// Well-formed UTF-8 as Unicode Table 3-7 defines it (no overlong forms, no surrogates, nothing above
// U+10FFFF): the one check every reader of outside text uses (problem sets, mining logs,
// safetensors headers, the tokenizer).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace soar {

// Byte length of the well-formed sequence starting at text[pos], or 0 if it is not well-formed.
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos);

// Offset of the first byte that does not start a well-formed sequence, or nullopt if all is valid.
std::optional<std::size_t> first_invalid_utf8(std::string_view text);

// For an ill-formed sequence at text[pos]: the bytes of its "maximal subpart" (Unicode 3.9), the
// run that one U+FFFD replaces (at least 1), as Rust's from_utf8_lossy and Python's "replace" do.
std::size_t utf8_maximal_subpart(std::string_view text, std::size_t pos);

}  // namespace soar
