// Reading an answer that is not bare math. Real golds and model answers are often sentences
// (CHAMP's golds: "100 (i.e., all values)", "3 is the only possible value"); short words inside
// them would otherwise parse as products of symbols ("is" = i*s) and the sentence as nonsense.
#include "verify/reading.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "verify/extract.h"
#include "verify/normalize.h"

namespace soar::verify::detail {
namespace {

// Words that occur in sentences and never as math: one of them, alone between spaces, makes a
// text a sentence. Short on purpose; a longer list would start catching variable names.
constexpr std::array<std::string_view, 40> kSentenceWords = {
    "is",   "are",  "was",   "were",   "the",      "of",        "to",     "for",      "with",  "only",
    "all",  "when", "where", "which",  "that",     "than",      "there",  "so",       "thus",  "hence",
    "be",   "at",   "least", "most",   "equal",    "equals",    "exists", "possible", "value", "values",
    "i.e.", "e.g.", "such",  "answer", "solution", "solutions", "number", "numbers",  "we",    "get"};

std::string lower_word(std::string_view t) {
  std::string w;
  for (char c : t) {
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '.')
      w.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  while (!w.empty() && w.back() == '.' && w != "i.e." && w != "e.g.") w.pop_back();
  return w;
}

}  // namespace

bool is_sentence(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    std::string_view token = s.substr(i, j - i);
    // Only tokens of letters and punctuation: "is" in "x_is" or "\is" is not a word.
    bool plain = !token.empty() && std::all_of(token.begin(), token.end(), [](char c) {
      return std::isalpha(static_cast<unsigned char>(c)) || c == '.' || c == ',' || c == '(' || c == ')' || c == ':';
    });
    if (plain && std::find(kSentenceWords.begin(), kSentenceWords.end(), lower_word(token)) != kSentenceWords.end())
      return true;
    i = j;
  }
  return false;
}

std::vector<std::string_view> alternatives(std::string_view gold) {
  std::vector<std::string_view> out;
  for (int k = 0; k < 3; ++k) {
    std::size_t at = std::string_view::npos, len = 0;
    for (std::string_view sep : {", or equivalently", " or equivalently", "; equivalently", ", equivalently"}) {
      std::size_t a = gold.find(sep);
      if (a < at) {
        at = a;
        len = sep.size();
      }
    }
    if (at == std::string_view::npos) break;
    out.push_back(gold.substr(0, at));
    gold.remove_prefix(at + len);
  }
  out.push_back(gold);
  return out;
}

std::string read_answer(std::string_view raw) {
  std::string s = normalize_answer(raw);
  if (!is_sentence(s)) return s;
  if (auto stated = extract(raw, true)) {
    std::string a = normalize_answer(*stated);
    if (!a.empty() && a.size() < s.size()) return a;
  }
  return s;
}

namespace {

// Strips a leading (or trailing) "\\le", "\\leq", "<=", "\\lt", "<"; returns whether it was closed
// (<=), nullopt when there is none.
std::optional<bool> strip_less(std::string_view& s, bool leading) {
  auto trim = [](std::string_view t) {
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    return t;
  };
  s = trim(s);
  for (auto [op, closed] : {std::pair<std::string_view, bool>{"\\leq", true},
                            {"\\le", true},
                            {"<=", true},
                            {"\\lt", false},
                            {"<", false}}) {
    if (s.size() <= op.size()) continue;
    if (leading ? s.substr(0, op.size()) == op : s.substr(s.size() - op.size()) == op) {
      s = trim(leading ? s.substr(op.size()) : s.substr(0, s.size() - op.size()));
      return closed;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> abs_chain_as_union(std::string_view s) {
  std::size_t a = s.find('|');
  std::size_t b = a == std::string_view::npos ? a : s.find('|', a + 1);
  if (b == std::string_view::npos || s.find('|', b + 1) != std::string_view::npos) return std::nullopt;
  std::string_view var = s.substr(a + 1, b - a - 1);
  if (var.empty() || var.size() > 8 || !std::isalpha(static_cast<unsigned char>(var[0]))) return std::nullopt;
  for (char c : var)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return std::nullopt;
  std::string_view lo = s.substr(0, a), hi = s.substr(b + 1);
  auto lo_closed = strip_less(lo, false), hi_closed = strip_less(hi, true);
  if (!lo_closed || !hi_closed || lo.empty() || hi.empty()) return std::nullopt;
  std::string l(lo), h(hi);
  std::string left = *hi_closed ? "[" : "(", right = *lo_closed ? "]" : ")";
  std::string left2 = *lo_closed ? "[" : "(", right2 = *hi_closed ? "]" : ")";
  return left + "-(" + h + "), -(" + l + ")" + right + " \\cup " + left2 + l + ", " + h + right2;
}

std::optional<std::string> last_side(std::string_view s) {
  int depth = 0;
  std::size_t last = std::string_view::npos;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '(' || c == '[' || c == '{') ++depth;
    else if (c == ')' || c == ']' || c == '}') --depth;
    else if (c == ',' || c == ';') return std::nullopt;  // "a=1, b=2" is a list, not a chain
    else if (c == '=' && depth == 0 && (i == 0 || (s[i - 1] != '<' && s[i - 1] != '>' && s[i - 1] != '!'))) last = i;
  }
  if (last == std::string_view::npos || last + 1 >= s.size()) return std::nullopt;
  std::string side(s.substr(last + 1));
  side.erase(0, side.find_first_not_of(' '));
  if (side.empty()) return std::nullopt;
  return side;
}

}  // namespace soar::verify::detail
