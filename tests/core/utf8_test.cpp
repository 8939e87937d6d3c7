// The UTF-8 check every reader of outside text uses: hand-picked cases, then every string of one to
// three bytes (and every 4-byte lead with each second byte) against an encoder written here: a
// string is one well-formed sequence exactly when it is the encoding of a scalar value.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "core/utf8.h"

namespace {

using soar::first_invalid_utf8;

std::string encode(std::uint32_t cp) {
  std::string out;
  auto put = [&](std::uint32_t byte) { out += static_cast<char>(byte); };
  if (cp < 0x80) {
    put(cp);
  } else if (cp < 0x800) {
    put(0xC0 | (cp >> 6)), put(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    put(0xE0 | (cp >> 12)), put(0x80 | ((cp >> 6) & 0x3F)), put(0x80 | (cp & 0x3F));
  } else {
    put(0xF0 | (cp >> 18)), put(0x80 | ((cp >> 12) & 0x3F)), put(0x80 | ((cp >> 6) & 0x3F)), put(0x80 | (cp & 0x3F));
  }
  return out;
}

TEST(Utf8, HandPickedCases) {
  EXPECT_EQ(first_invalid_utf8("plain ascii"), std::nullopt);
  EXPECT_EQ(first_invalid_utf8("\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80"), std::nullopt);  // é 日 😀
  EXPECT_EQ(first_invalid_utf8("\xF4\x8F\xBF\xBF"), std::nullopt);                      // U+10FFFF
  EXPECT_EQ(first_invalid_utf8("ab\x80"), 2u);              // stray continuation byte
  EXPECT_EQ(first_invalid_utf8("a\xC3"), 1u);               // truncated
  EXPECT_EQ(first_invalid_utf8("\xE0\x80\x80"), 0u);        // overlong
  EXPECT_EQ(first_invalid_utf8("\xF4\x90\x80\x80"), 0u);    // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("x\xED\xBF\xBF"), 1u);       // surrogate
  EXPECT_EQ(first_invalid_utf8("\xE6\x97"), 0u);            // truncated 3-byte
  EXPECT_EQ(first_invalid_utf8("\xE6\x97\x41"), 0u);        // bad continuation
  EXPECT_EQ(first_invalid_utf8("\xFF"), 0u);
}

TEST(Utf8, ExactlyTheEncodingsOfScalarValues) {
  std::set<std::string> encodings;
  for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp)
    if (cp < 0xD800 || cp > 0xDFFF) encodings.insert(encode(cp));
  int64_t checked = 0;
  auto check = [&](const std::string& s) {
    const bool one_sequence = soar::utf8_sequence_length(s, 0) == s.size();
    ASSERT_EQ(one_sequence, encodings.contains(s)) << std::hex << int(static_cast<unsigned char>(s[0]));
    ++checked;
  };
  for (std::uint32_t v = 0; v < (1u << 24); ++v) {
    // Every string of 1, 2 and 3 bytes.
    if (v < 256) check(std::string(1, char(v)));
    if (v < 65536) check({char(v >> 8), char(v)});
    check({char(v >> 16), char(v >> 8), char(v)});
  }
  for (unsigned lead = 0xF0; lead <= 0xFF; ++lead)
    for (unsigned second = 0; second < 256; ++second)
      for (unsigned tail : {0x80u, 0xBFu, 0x41u}) check({char(lead), char(second), char(tail), char(0x80)});
  EXPECT_GT(checked, 16'000'000);
}

TEST(Utf8, MaximalSubpartsAreWhatOneReplacementCharacterCovers) {
  // Unicode 3.9, table 3-8's example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64.
  const std::string s = "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64";
  EXPECT_EQ(soar::utf8_maximal_subpart(s, 1), 3u);  // F1 80 80
  EXPECT_EQ(soar::utf8_maximal_subpart(s, 4), 2u);  // E1 80
  EXPECT_EQ(soar::utf8_maximal_subpart(s, 6), 1u);  // C2
  EXPECT_EQ(soar::utf8_maximal_subpart(s, 8), 1u);  // 80
  EXPECT_EQ(soar::utf8_maximal_subpart("\xC0\xAF", 0), 1u);  // C0 can never lead
}

}  // namespace
