// Answer extraction. The markers are tried from most to least explicit; within one marker the last
// occurrence wins, because models restate and correct themselves before concluding.
#include "verify/extract.h"

#include <cctype>
#include <string>

namespace soar::verify::detail {
namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Matches the brace opened at s[open] ('{'); returns the index of its '}' or npos. Linear.
std::size_t match_brace(std::string_view s, std::size_t open) {
  int level = 0;
  for (std::size_t i = open; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size()) { ++i; continue; }  // \{ and \} do not nest
    if (c == '{') ++level;
    else if (c == '}' && --level == 0) return i;
  }
  return std::string_view::npos;
}

// Last position of needle at or before `before`, case-insensitive.
std::size_t rfind_nocase(std::string_view hay, std::string_view needle, std::size_t before) {
  if (needle.size() > hay.size()) return std::string_view::npos;
  std::size_t i = std::min(before, hay.size() - needle.size());
  while (true) {
    bool ok = true;
    for (std::size_t k = 0; k < needle.size() && ok; ++k) ok = lower(hay[i + k]) == needle[k];
    if (ok) return i;
    if (i == 0) return std::string_view::npos;
    --i;
  }
}

// The answer text that follows a marker: a $...$ span, or the rest of the line up to a sentence end.
std::string_view after_marker(std::string_view s) {
  s = trim(s);
  // "Answer:\n\n73": the answer may be on the next non-empty line.
  std::size_t eol = s.find('\n');
  std::string_view line = trim(s.substr(0, eol));
  if (line.empty()) return {};
  for (std::string_view open : {"$$", "$", "\\(", "\\["}) {
    if (line.substr(0, open.size()) == open) {
      std::string_view close = open == "\\(" ? "\\)" : open == "\\[" ? "\\]" : open;
      std::size_t end = line.find(close, open.size());
      while (end != std::string_view::npos && close[0] == '$' && line[end - 1] == '\\')  // "\$5" is a dollar sign
        end = line.find(close, end + 1);
      if (end != std::string_view::npos) return line.substr(0, end + close.size());
    }
  }
  // Cut at a sentence end: ". " followed by more prose ("... is 5. I hope it is correct."), or
  // where an explanation starts ("42 because ...").
  for (std::size_t i = 0; i + 1 < line.size(); ++i)
    if (line[i] == '.' && is_space(line[i + 1])) line = line.substr(0, i);
  for (std::string_view w : {" because", " since", " which", " as ", " so ", " therefore", " from ", " by "}) {
    std::size_t at = line.find(w);
    if (at != std::string_view::npos) line = line.substr(0, at);
  }
  return line;
}

std::optional<std::string_view> answer_phrase(std::string_view text) {
  std::size_t before = text.size();
  // Bounded retries: each looks further left for "answer" followed by ':' or 'is'.
  for (int tries = 0; tries < 64; ++tries) {
    std::size_t at = rfind_nocase(text, "answer", before);
    if (at == std::string_view::npos) return std::nullopt;
    std::size_t i = at + 6;
    while (i < text.size() && (text[i] == '*' || text[i] == '_' || text[i] == ' ' || text[i] == '\t')) ++i;
    bool marker = false;
    if (i < text.size() && text[i] == ':') { ++i; marker = true; }
    else if (i + 1 < text.size() && lower(text[i]) == 'i' && lower(text[i + 1]) == 's' &&
             (i + 2 == text.size() || !std::isalpha(static_cast<unsigned char>(text[i + 2])))) {
      i += 2;
      while (i < text.size() && (text[i] == ' ' || text[i] == ':')) ++i;
      marker = true;
    }
    if (marker) {
      while (i < text.size() && (text[i] == '*' || text[i] == '_' || text[i] == ' ' || text[i] == ':')) ++i;
      std::string_view a = after_marker(text.substr(i));
      if (!a.empty()) return a;
    }
    if (at == 0) return std::nullopt;
    before = at - 1;
  }
  return std::nullopt;
}

std::optional<std::string_view> last_number(std::string_view s) {
  std::size_t end = s.size();
  while (end > 0 && !is_digit(s[end - 1])) --end;
  if (end == 0) return std::nullopt;
  std::size_t begin = end;
  // digits with ',' thousands separators and one '.', then an optional "a/" in front.
  while (begin > 0 && (is_digit(s[begin - 1]) ||
                       ((s[begin - 1] == ',' || s[begin - 1] == '.') && begin >= 2 && is_digit(s[begin - 2]))))
    --begin;
  if (begin >= 2 && s[begin - 1] == '/' && is_digit(s[begin - 2])) {
    --begin;
    while (begin > 0 && is_digit(s[begin - 1])) --begin;
  }
  if (begin > 0 && s[begin - 1] == '-') --begin;
  return s.substr(begin, end - begin);
}

}  // namespace

std::optional<std::string_view> last_boxed(std::string_view text) {
  std::size_t before = text.size();
  // A truncated last \boxed{ is skipped for the one before it; bounded to keep this linear.
  for (int tries = 0; tries < 4; ++tries) {
    std::size_t a = text.rfind("\\boxed", before);
    std::size_t b = text.rfind("\\fbox", before);
    std::size_t at = a == std::string_view::npos ? b : b == std::string_view::npos ? a : std::max(a, b);
    if (at == std::string_view::npos) return std::nullopt;
    std::size_t i = at + (at == a ? 6 : 5);
    while (i < text.size() && text[i] == ' ') ++i;
    if (i < text.size() && text[i] == '{') {
      std::size_t close = match_brace(text, i);
      if (close != std::string_view::npos) return text.substr(i + 1, close - i - 1);
    } else if (i < text.size() && i > at + 5 + (at == a) && !std::isalpha(static_cast<unsigned char>(text[i]))) {
      // "\boxed 5": the argument runs to the next space or '$'.
      std::size_t j = i;
      while (j < text.size() && !is_space(text[j]) && text[j] != '$') ++j;
      if (j > i) return text.substr(i, j - i);
    }
    if (at == 0) return std::nullopt;
    before = at - 1;
  }
  return std::nullopt;
}

std::string strip_decoration(std::string_view s) {
  s = trim(s);
  // Markdown emphasis and code marks are never part of an answer at either end ("**73**.").
  auto mark = [](char c) { return c == '*' || c == '_' || c == '`'; };
  // Each pass removes one layer; 16 layers is far beyond real answers and keeps this bounded.
  for (int pass = 0; pass < 16; ++pass) {
    std::string_view before = s;
    while (!s.empty() && mark(s.front())) s.remove_prefix(1);
    while (!s.empty() && mark(s.back())) s.remove_suffix(1);
    s = trim(s);
    for (std::string_view d : {"$$", "$"}) {
      if (s.size() >= 2 * d.size() && s.substr(0, d.size()) == d && s.substr(s.size() - d.size()) == d) {
        s = trim(s.substr(d.size(), s.size() - 2 * d.size()));
        break;
      }
    }
    if (s.size() >= 4 && (s.substr(0, 2) == "\\(" || s.substr(0, 2) == "\\[") &&
        (s.substr(s.size() - 2) == "\\)" || s.substr(s.size() - 2) == "\\]"))
      s = trim(s.substr(2, s.size() - 4));
    if (!s.empty() && (s.front() == ':' || s.front() == '=')) s = trim(s.substr(1));
    if (!s.empty() && s.back() == '.' && !(s.size() >= 2 && s[s.size() - 2] == '.')) s = trim(s.substr(0, s.size() - 1));
    // A trailing "$." or "**." after the period came off.
    if (s == before) break;
  }
  return std::string(s);
}

std::optional<std::string> extract(std::string_view text, bool fallback_to_last_number) {
  if (auto boxed = last_boxed(text)) return strip_decoration(*boxed);
  std::size_t hashes = text.rfind("####");
  if (hashes != std::string_view::npos) {
    std::string_view rest = text.substr(hashes + 4);
    std::string a = strip_decoration(rest.substr(0, rest.find('\n')));
    if (!a.empty()) return a;
  }
  if (auto phrase = answer_phrase(text)) {
    std::string a = strip_decoration(*phrase);
    if (!a.empty()) return a;
  }
  if (fallback_to_last_number) {
    if (auto n = last_number(text)) return std::string(*n);
  }
  return std::nullopt;
}

}  // namespace soar::verify::detail
