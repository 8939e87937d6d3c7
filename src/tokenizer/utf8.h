// UTF-8 helpers shared by the tokenizer stages. Kept here (not in core) because only the tokenizer
// walks text character by character; checking well-formedness is core's (core/utf8.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/utf8.h"  // the well-formedness check (also used outside the tokenizer)

namespace soar::tok {

// Decodes the (well-formed) sequence at text[pos]; the caller has validated the text.
char32_t decode_utf8(std::string_view text, size_t pos, size_t length);

void append_utf8(std::string& out, char32_t code_point);

// Converts arbitrary bytes to UTF-8 the way Rust's String::from_utf8_lossy (and Python's
// errors="replace") do: each maximal subpart of an ill-formed sequence becomes one U+FFFD.
std::string utf8_lossy(std::string_view bytes);

}  // namespace soar::tok
