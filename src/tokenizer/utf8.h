// UTF-8 helpers shared by the tokenizer stages. Kept here (not in core) because only the tokenizer
// walks text character by character.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace soar::tok {

// Byte length of the well-formed UTF-8 sequence starting at text[pos], or 0 if it is not
// well-formed (per Unicode Table 3-7: no overlongs, no surrogates, nothing above U+10FFFF).
size_t utf8_sequence_length(std::string_view text, size_t pos);

// Offset of the first byte that does not start a well-formed sequence, or nullopt if all is valid.
std::optional<size_t> first_invalid_utf8(std::string_view text);

// Decodes the (well-formed) sequence at text[pos]; the caller has validated the text.
char32_t decode_utf8(std::string_view text, size_t pos, size_t length);

void append_utf8(std::string& out, char32_t code_point);

// Converts arbitrary bytes to UTF-8 the way Rust's String::from_utf8_lossy (and Python's
// errors="replace") do: each maximal subpart of an ill-formed sequence becomes one U+FFFD.
std::string utf8_lossy(std::string_view bytes);

}  // namespace soar::tok
