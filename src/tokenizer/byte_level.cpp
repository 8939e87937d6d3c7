#include "tokenizer/byte_level.h"

#include <array>
#include <unordered_map>

#include "tokenizer/utf8.h"

namespace soar::tok {

namespace {

struct Tables {
  std::array<std::string, 256> byte_to_chars;       // UTF-8 of the character standing for a byte
  std::unordered_map<char32_t, unsigned char> char_to_byte;

  Tables() {
    // GPT-2 bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the other 68 bytes
    // are shifted to U+0100.. in byte order.
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = printable ? static_cast<char32_t>(b) : next++;
      append_utf8(byte_to_chars[b], cp);
      char_to_byte.emplace(cp, static_cast<unsigned char>(b));
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

void bytes_to_byte_level(std::string_view bytes, std::string& out) {
  const Tables& t = tables();
  for (const char c : bytes) out += t.byte_to_chars[static_cast<unsigned char>(c)];
}

std::string byte_level_decode(const std::vector<std::string_view>& tokens) {
  const Tables& t = tables();
  std::string bytes;
  std::string token_bytes;
  for (const std::string_view token : tokens) {
    token_bytes.clear();
    bool in_alphabet = true;
    for (size_t pos = 0; pos < token.size();) {
      const size_t n = utf8_sequence_length(token, pos);
      if (n == 0) { in_alphabet = false; break; }
      const auto it = t.char_to_byte.find(decode_utf8(token, pos, n));
      if (it == t.char_to_byte.end()) { in_alphabet = false; break; }
      token_bytes += static_cast<char>(it->second);
      pos += n;
    }
    bytes += in_alphabet ? token_bytes : std::string(token);
  }
  return utf8_lossy(bytes);
}

}  // namespace soar::tok
