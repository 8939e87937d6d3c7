#include "tokenizer/added_tokens.h"

#include <algorithm>

#include <utf8proc.h>

#include "tokenizer/utf8.h"

namespace soar::tok {

namespace {

char32_t char_before(std::string_view text, size_t end) {
  size_t begin = end - 1;
  while (begin > 0 && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80) --begin;
  return decode_utf8(text, begin, end - begin);
}

// Rust's char::is_alphanumeric (Alphabetic or Numeric), approximated by letter/number categories,
// plus '_': HF's test for "is this added token glued to a word" (single_word).
bool is_word_char(char32_t c) {
  if (c == U'_') return true;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

// Rust's char::is_whitespace: the Unicode White_Space property.
bool is_white_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

}  // namespace

void AddedTokenMatcher::add(const AddedToken& token, std::string content) {
  if (content.empty()) return;
  const auto first = static_cast<unsigned char>(content.front());
  entries_.push_back({std::move(content), &token});
  auto& bucket = by_first_byte_[first];
  bucket.push_back(entries_.size() - 1);
  std::stable_sort(bucket.begin(), bucket.end(), [&](size_t a, size_t b) {
    return entries_[a].content.size() > entries_[b].content.size();
  });
}

void AddedTokenMatcher::split(std::string_view text, std::vector<Segment>& out) const {
  size_t emitted = 0;  // text before this has been emitted
  size_t pos = 0;      // where the next (non-overlapping) match search starts
  while (pos < text.size()) {
    // Leftmost-longest: the first position with any match, and the longest token there.
    const Entry* found = nullptr;
    size_t start = pos;
    for (; start < text.size() && !found; ++start) {
      for (const size_t i : by_first_byte_[static_cast<unsigned char>(text[start])]) {
        if (text.substr(start).starts_with(entries_[i].content)) {
          found = &entries_[i];
          break;
        }
      }
    }
    if (!found) break;
    --start;
    size_t stop = start + found->content.size();
    pos = stop;
    const AddedToken& token = *found->token;
    if (token.single_word) {
      const bool word_before = start > 0 && is_word_char(char_before(text, start));
      const size_t n = stop < text.size() ? utf8_sequence_length(text, stop) : 0;
      const bool word_after = n > 0 && is_word_char(decode_utf8(text, stop, n));
      if (word_before || word_after) continue;  // part of a longer word: not this token
    }
    if (token.lstrip) {
      while (start > emitted && is_white_space(char_before(text, start))) {
        do { --start; } while ((static_cast<unsigned char>(text[start]) & 0xC0) == 0x80);
      }
    }
    if (token.rstrip) {
      for (size_t n; stop < text.size() && (n = utf8_sequence_length(text, stop)) > 0 &&
                     is_white_space(decode_utf8(text, stop, n));) {
        stop += n;
      }
    }
    if (start > emitted) out.push_back({text.substr(emitted, start - emitted), -1});
    out.push_back({text.substr(start, stop - start), token.id});
    emitted = stop;
    pos = std::max(pos, stop);
  }
  if (emitted < text.size()) out.push_back({text.substr(emitted), -1});
}

}  // namespace soar::tok
