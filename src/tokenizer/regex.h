// PCRE2 wrapper for the Split and ByteLevel pre-tokenizer patterns. HF compiles these with
// Oniguruma; PCRE2 with UTF + UCP has the same backtracking semantics (incl. the lookahead in
// `\s+(?!\S)`) and differs in two ways: `\s` (fixed by onig_compatible_pattern) and the Unicode
// version of \p{L}/\p{N} (PCRE2 10.42 has Unicode 14, HF's Oniguruma 16; see docs/tokenizer.md).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace soar::tok {

class Regex {
 public:
  // Compiles `pattern` (a literal string when `literal`); throws soar::Error with PCRE2's message.
  Regex(std::string_view pattern, bool literal);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Appends the [begin, end) byte ranges of all non-overlapping matches, left to right.
  // `text` must be valid UTF-8. Safe to call from several threads at once.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Rewrites Oniguruma's `\s`/`\S` so that PCRE2 gives them Oniguruma's meaning (exposed for tests).
std::string onig_compatible_pattern(std::string_view pattern);

}  // namespace soar::tok
