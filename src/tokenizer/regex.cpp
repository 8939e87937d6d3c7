#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/regex.h"

#include <pcre2.h>

#include "core/error.h"

namespace soar::tok {

// Oniguruma's `\s` is exactly Unicode White_Space (25 code points, U+0085 included). PCRE2 10.42's
// `\s` under UCP also matches U+180E (MONGOLIAN VOWEL SEPARATOR, a format character since Unicode
// 6.3), which would split pre-tokens where HF does not; so `\s`/`\S` are spelled out. A `\S` inside
// a class cannot be spelled out and is rejected.
namespace {
constexpr std::string_view kWhiteSpace =
    R"(\t\n\x{0B}\f\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";
}  // namespace

std::string onig_compatible_pattern(std::string_view pattern) {
  std::string out;
  bool in_class = false;
  bool class_start = false;  // just after '[' or '[^', where ']' is literal
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[++i];
      if (e == 's') {
        out += in_class ? std::string(kWhiteSpace) : cat("[", kWhiteSpace, "]");
      } else if (e == 'S') {
        if (in_class) fail("\\S inside a character class is not supported");
        out += cat("[^", kWhiteSpace, "]");
      } else {
        out += c;
        out += e;
      }
      class_start = false;
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      class_start = true;
      out += c;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      continue;
    }
    if (in_class && c == ']' && !class_start) in_class = false;
    class_start = false;
    out += c;
  }
  return out;
}

struct Regex::Impl {
  pcre2_code* code = nullptr;
  bool jit = false;
};

Regex::Regex(std::string_view pattern, bool literal) : impl_(std::make_unique<Impl>()) {
  const std::string source = literal ? std::string(pattern) : onig_compatible_pattern(pattern);
  int error = 0;
  PCRE2_SIZE offset = 0;
  const uint32_t options = PCRE2_UTF | PCRE2_UCP | (literal ? PCRE2_LITERAL : 0);
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(source.data()), source.size(), options,
                              &error, &offset, nullptr);
  if (impl_->code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    fail("invalid regex: ", reinterpret_cast<const char*>(message), " at offset ", offset);
  }
  // JIT is an optimisation only; without it (or if it fails) the interpreter gives the same matches.
  impl_->jit = pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() { pcre2_code_free(impl_->code); }

void Regex::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
  using MatchData = std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)>;
  MatchData data(pcre2_match_data_create(1, nullptr), &pcre2_match_data_free);
  if (!data) fail("regex: out of memory");
  const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  while (start <= text.size()) {
    // The text was validated once by the caller; skip PCRE2's per-call UTF check.
    uint32_t options = PCRE2_NO_UTF_CHECK;
    int rc = pcre2_match(impl_->code, subject, text.size(), start, options, data.get(), nullptr);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
      rc = pcre2_match(impl_->code, subject, text.size(), start, options | PCRE2_NO_JIT, data.get(), nullptr);
    }
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof message);
      fail("regex match failed: ", reinterpret_cast<const char*>(message));
    }
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
    const size_t begin = ovector[0], end = ovector[1];
    out.emplace_back(begin, end);
    if (end > begin) {
      start = end;
    } else {  // empty match: step over one whole character
      if (end >= text.size()) break;
      size_t next = end + 1;
      while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
      start = next;
    }
  }
}

}  // namespace soar::tok
