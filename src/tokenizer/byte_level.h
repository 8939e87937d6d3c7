// GPT-2's byte-level alphabet: every byte 0..255 is shown as one printable Unicode character so that
// BPE vocabularies can be stored as text. Used by the ByteLevel pre-tokenizer (bytes -> characters)
// and the ByteLevel decoder (characters -> bytes).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace soar::tok {

// Appends the byte-level characters (UTF-8) for each byte of `bytes`.
void bytes_to_byte_level(std::string_view bytes, std::string& out);

// The ByteLevel decoder as HF implements it: each token's characters are mapped back to bytes (a
// token holding a character outside the alphabet, e.g. an added token with a space, contributes
// its own UTF-8 bytes instead), the bytes are concatenated and then decoded lossily (U+FFFD).
std::string byte_level_decode(const std::vector<std::string_view>& tokens);

}  // namespace soar::tok
