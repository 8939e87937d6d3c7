#include "core/utf8.h"

namespace soar {
namespace {

// Length of the longest prefix of text[pos..] that could still begin a well-formed sequence
// (the "maximal subpart"), and the full length if it is complete. Follows Unicode Table 3-7.
struct Prefix {
  std::size_t matched;   // bytes that fit the table so far
  std::size_t expected;  // bytes the lead byte announces (0 for a byte that cannot lead)
};

Prefix scan(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return {1, 1};
  std::size_t expected = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    expected = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    expected = 3;
    if (lead == 0xE0) lo = 0xA0;  // no overlongs
    if (lead == 0xED) hi = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    expected = 4;
    if (lead == 0xF0) lo = 0x90;  // no overlongs
    if (lead == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {0, 0};
  }
  std::size_t matched = 1;
  for (; matched < expected && pos + matched < text.size(); ++matched) {
    const unsigned char b = byte(matched);
    const bool ok = matched == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) break;
  }
  return {matched, expected};
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
  const Prefix p = scan(text, pos);
  return p.expected != 0 && p.matched == p.expected ? p.expected : 0;
}

std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t n = utf8_sequence_length(text, pos);
    if (n == 0) return pos;
    pos += n;
  }
  return std::nullopt;
}

std::size_t utf8_maximal_subpart(std::string_view text, std::size_t pos) {
  const Prefix p = scan(text, pos);
  return p.matched == 0 ? 1 : p.matched;
}

}  // namespace soar
