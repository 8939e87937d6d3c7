// Answer extraction. The markers are tried from most to least explicit; within one marker the last
// occurrence wins, because models restate and correct themselves before concluding.
#include "verify/extract.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

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

// ---- the last math in prose ----------------------------------------------------------------
// What a sentence like "The only solution is x = 3." or "... is $\frac{3}{2}$, attained at $a=b$."
// states: the math that ends last, either a $...$ / \(...\) / \[...\] span or an expression
// written in plain text. Spans joined by ",", "and", "or" are one list ("$1$, $4$ and $9$").

constexpr std::size_t kMaxSpan = 4000;  // a display span longer than this is not an answer
constexpr std::size_t kTail = 16384;    // how far from the end the last math is looked for
constexpr int kMaxJoined = 64;          // spans or plain tokens gathered into one answer

struct Span {
  std::size_t begin = 0, end = 0;  // the whole span, delimiters included
  std::string_view content;
};

// Where the span opened at s[i] closes; end == 0 when it does not. Inline spans stay on one line.
// `searched[kind]` is how far a failed search for that closer already went: no closer lies before
// it, so the next opener of the kind starts there and the scan of the whole text stays linear.
Span span_at(std::string_view s, std::size_t i, std::size_t (&searched)[4]) {
  std::string_view close;
  std::size_t open_size = 2;
  int kind;
  bool one_line = false;
  if (s.compare(i, 2, "$$") == 0) {
    close = "$$";
    kind = 0;
  } else if (s[i] == '$') {
    close = "$";
    open_size = 1;
    kind = 1;
    one_line = true;
  } else if (s.compare(i, 2, "\\(") == 0) {
    close = "\\)";
    kind = 2;
    one_line = true;
  } else if (s.compare(i, 2, "\\[") == 0) {
    close = "\\]";
    kind = 3;
  } else return {};
  std::size_t from = i + open_size;
  std::size_t limit = std::min(s.size(), from + kMaxSpan);
  for (std::size_t k = std::max(from, searched[kind]); k + close.size() <= limit; ++k) {
    if (one_line && s[k] == '\n') {
      searched[kind] = std::max(searched[kind], k);
      return {};
    }
    if (s[k] == '\\' && close[0] == '$') {
      ++k;
      continue;
    }  // "\$5" is a dollar sign
    if (s.compare(k, close.size(), close) == 0) {
      if (k == from) return {};
      return Span{i, k + close.size(), s.substr(from, k - from)};
    }
  }
  searched[kind] = std::max(searched[kind], limit > close.size() ? limit - close.size() : 0);
  return {};
}

// All math spans, in order (the last kMaxJoined are enough).
std::vector<Span> math_spans(std::string_view s) {
  std::vector<Span> spans;
  std::size_t searched[4] = {0, 0, 0, 0};
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] != '(' && s[i + 1] != '[') {
      i += 2;
      continue;
    }
    Span sp = (s[i] == '$' || s[i] == '\\') ? span_at(s, i, searched) : Span{};
    if (sp.end == 0) {
      ++i;
      continue;
    }
    spans.push_back(sp);
    if (spans.size() > 2 * static_cast<std::size_t>(kMaxJoined)) spans.erase(spans.begin(), spans.begin() + kMaxJoined);
    i = sp.end;
  }
  return spans;
}

// Only list glue between two spans: spaces, ',', ';', "and", "or".
bool list_glue(std::string_view between) {
  between = trim(between);
  if (!between.empty() && (between.front() == ',' || between.front() == ';')) between = trim(between.substr(1));
  return between.empty() || between == "and" || between == "or";
}

bool is_operator(char c) {
  return c == '+' || c == '-' || c == '*' || c == '/' || c == '^' || c == '=' || c == '<' || c == '>';
}

// A whitespace-free piece of plain text that can be (part of) an expression: digits, letters,
// operators, brackets, LaTeX commands. Whether it *is* math is decided by the caller.
bool math_chars(std::string_view t) {
  for (char c : t)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80 || is_operator(c) ||
          std::string_view("_.()[]{}!|,:'%\\").find(c) != std::string_view::npos))
      return false;
  return !t.empty();
}

// A digit that is a value, not an index: "a_{100}" and "x_1" name things, "100" and "2x" are values.
bool has_digit(std::string_view t) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '_') {
      if (i + 1 < t.size() && t[i + 1] == '{') {
        while (i < t.size() && t[i] != '}') ++i;
      } else {
        while (i + 1 < t.size() && std::isalnum(static_cast<unsigned char>(t[i + 1]))) ++i;
      }
    } else if (is_digit(t[i])) {
      return true;
    }
  }
  return false;
}

bool has_operator(std::string_view t) {
  for (char c : t)
    if (is_operator(c)) return true;
  return false;
}

// Balance of round/square brackets: < 0 when the token closes more than it opens.
int bracket_balance(std::string_view t) {
  int b = 0;
  for (char c : t) b += (c == '(' || c == '[' || c == '{') - (c == ')' || c == ']' || c == '}');
  return b;
}

// The token without the sentence punctuation and markdown around it ("4.", "**7**", "`x`").
// Brackets are left alone: the caller balances them over the whole expression.
std::string_view clean_token(std::string_view t) {
  for (int pass = 0; pass < 8 && !t.empty(); ++pass) {
    std::size_t before = t.size();
    while (!t.empty() && (t.back() == '.' || t.back() == ';' || t.back() == ':' || t.back() == '?' || t.back() == '`' ||
                          t.back() == '"'))
      t.remove_suffix(1);
    while (!t.empty() && (t.front() == '`' || t.front() == '"')) t.remove_prefix(1);
    if (t.size() >= 2 && t.substr(t.size() - 2) == "**") t.remove_suffix(2);
    if (t.size() >= 2 && t.substr(0, 2) == "**") t.remove_prefix(2);
    if (t.size() == before) break;
  }
  return t;
}

bool has_letter_outside_commands(std::string_view t) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '\\') {
      while (i + 1 < t.size() && std::isalpha(static_cast<unsigned char>(t[i + 1]))) ++i;
    } else if (std::isalpha(static_cast<unsigned char>(t[i]))) {
      return true;
    }
  }
  return false;
}

// Words of prose that are never a factor of an expression ("is -9", "are 2 and 3").
bool is_word(std::string_view t) {
  if (t.size() < 2) return false;
  for (char c : t)
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  return t.size() > 3 || t == "is" || t == "are" || t == "be" || t == "to" || t == "of" || t == "at" || t == "so" ||
         t == "as" || t == "by" || t == "in" || t == "on" || t == "if" || t == "the" || t == "was" || t == "for" ||
         t == "and" || t == "or" || t == "its" || t == "all" || t == "get" || t == "has";
}

// A condition after the answer: "is 0, which occurs when $a = b = c$", "is 1/a, where a > 0".
bool condition_before(std::string_view prose) {
  prose = trim(prose);
  std::size_t begin = prose.size();
  while (begin > 0 && std::isalpha(static_cast<unsigned char>(prose[begin - 1]))) --begin;
  std::string w;
  for (char c : prose.substr(begin)) w.push_back(lower(c));
  if ((w == "all" || w == "every" || w == "each" || w == "any") && begin > 0)  // "for all n >= 2"
    return condition_before(prose.substr(0, begin));
  return w == "when" || w == "where" || w == "if" || w == "whenever" || w == "unless" || w == "provided" ||
         w == "with" || w == "for";
}

// The last expression written in plain text: the last token with a digit or a LaTeX command,
// extended left over operators ("n * (n-1) / 4"), open brackets ("(x, y) = (0, 0)") and list glue
// ("1, 4, and 9"). An expression with letters counts only at the end of its sentence or as a
// labelled value ("x=3"): in "2,001,000 terms in the expansion of (x+y+z)^1999 when ..." the
// formula restates the question and the number is the answer.
std::optional<std::string> last_plain_expression(std::string_view s, std::string_view* first_token) {
  std::vector<std::string_view> tokens;  // right to left
  std::size_t end = s.size();
  // Only the tail matters; 256 tokens back is far beyond any real expression and bounds the work.
  while (end > 0 && tokens.size() < 256) {
    while (end > 0 && is_space(s[end - 1])) --end;
    std::size_t begin = end;
    while (begin > 0 && !is_space(s[begin - 1])) --begin;
    if (begin == end) break;
    tokens.push_back(s.substr(begin, end - begin));
    end = begin;
  }
  auto is_math = [](std::string_view t) {
    // A truncated "\boxed{..." is not an answer, and neither is what it holds.
    if (t.find("\\boxed") != std::string_view::npos || t.find("\\fbox") != std::string_view::npos) return false;
    return math_chars(t) &&
           (has_digit(t) || t.find('\\') != std::string_view::npos || (has_operator(t) && t.size() > 1));
  };
  auto core = [](std::string_view t) {
    t = clean_token(t);
    if (!t.empty() && t.back() == ',') t.remove_suffix(1);
    return t;
  };
  std::size_t k = 0;
  bool words_after = false;
  std::size_t restated = tokens.size();  // the last expression with letters followed by words
  for (; k < tokens.size(); ++k) {
    std::string_view t = core(tokens[k]);
    char end_mark = tokens[k].back();
    bool sentence_end =
        !words_after || end_mark == '.' || end_mark == '!' || end_mark == '?' || end_mark == ';' || end_mark == ',';
    if (is_math(t)) {
      // "... terms in the expansion of (x+y+z)^1999.": a formula after "of"/"in" restates the question.
      std::string_view before = k + 1 < tokens.size() ? tokens[k + 1] : std::string_view();
      bool restating = before == "of" || before == "in";
      if (!has_letter_outside_commands(t) || t.find('=') != std::string_view::npos || (sentence_end && !restating))
        break;
      if (restated == tokens.size()) restated = k;
    }
    words_after = true;
  }
  // No plain number anywhere: the expression is the answer after all ("There are 2^(n-1) ways").
  if (k == tokens.size()) k = restated;
  if (k == tokens.size()) return std::nullopt;
  std::vector<std::string> group{std::string(core(tokens[k]))};
  std::string_view first_joined = tokens[k];
  int balance = bracket_balance(group[0]);
  bool pending_comma = false;
  for (std::size_t j = k + 1; j < tokens.size() && static_cast<int>(group.size()) < kMaxJoined; ++j) {
    std::string_view prev = tokens[j];
    const std::string& first = group.back();
    bool glue_word = (prev == "and" || prev == "or") && j + 1 < tokens.size();
    std::string_view before_glue = glue_word ? clean_token(tokens[j + 1]) : std::string_view();
    // An operator between the pieces joins them ("n * (n-1)"); a sign does not ("is -9").
    // A LaTeX command is a prefix of what follows it ("\\pm 2", "\\frac x2", "100 \\cdot 99!").
    bool standalone_op =
        (first.size() == 1 && is_operator(first[0])) || first[0] == '\\' || (prev[0] == '\\' && !is_word(prev));
    bool joins = pending_comma || balance < 0 || standalone_op || is_operator(prev.back()) || prev.back() == '(' ||
                 (prev.back() == ',' && is_math(prev.substr(0, prev.size() - 1))) ||
                 (glue_word && is_math(core(before_glue)));
    if (!joins) break;
    if (glue_word) {  // "1, 4, and 9", "3 or 5": the word is a separator
      pending_comma = true;
      continue;
    }
    std::string piece(balance < 0 ? prev : clean_token(prev));
    if (!math_chars(piece) || is_word(piece)) break;
    if (pending_comma && piece.back() != ',') piece += ',';
    pending_comma = false;
    group.push_back(piece);
    first_joined = prev;
    balance += bracket_balance(piece);
  }
  *first_token = first_joined;
  std::string out;
  for (auto it = group.rbegin(); it != group.rend(); ++it) out += (out.empty() ? "" : " ") + *it;
  // "(which is 9)": a closing bracket opened in the prose before is not part of the answer.
  while (balance < 0 && !out.empty() && (out.back() == ')' || out.back() == ']')) {
    out.pop_back();
    ++balance;
  }
  while (balance > 0 && !out.empty() && (out.front() == '(' || out.front() == '[')) {
    out.erase(0, 1);
    --balance;
  }
  return out;
}

}  // namespace

// The math that ends last in the text: a span (with the spans listed before it) or a plain
// expression written after the last span.
namespace {

struct Found {
  std::string text;
  std::size_t begin = 0;  // where it starts in the text searched
};

Found plain_at(std::string_view s, std::size_t offset, std::string text, std::string_view first_token) {
  return Found{std::move(text), offset + static_cast<std::size_t>(first_token.data() - s.data())};
}

std::optional<Found> last_math_candidate(std::string_view s) {
  std::vector<Span> spans = math_spans(s);
  std::size_t after = spans.empty() ? 0 : spans.back().end;
  std::string_view first_token;
  if (auto plain = last_plain_expression(s.substr(after), &first_token))
    return plain_at(s.substr(after), after, std::move(*plain), first_token);
  if (spans.empty()) return std::nullopt;
  std::size_t first = spans.size() - 1;
  while (first > 0 && spans.size() - first < static_cast<std::size_t>(kMaxJoined) &&
         list_glue(s.substr(spans[first - 1].end, spans[first].begin - spans[first - 1].end)))
    --first;
  std::string out;
  for (std::size_t k = first; k < spans.size(); ++k) {
    if (!out.empty()) out += ", ";
    out += trim(spans[k].content);
  }
  return Found{std::move(out), spans[first].begin};
}

}  // namespace

std::optional<std::string> last_math(std::string_view text, std::size_t* begin) {
  // The final answer is stated at the end: only the tail is read, which bounds the work of the
  // retries here and in verify() on megabytes of prose.
  std::size_t base = text.size() > kTail ? text.size() - kTail : 0;
  std::string_view s = text.substr(base);
  // A condition ("which occurs when $a = b = c$") is skipped for the math before it; a few times.
  for (int tries = 0; tries < 4; ++tries) {
    std::optional<Found> f = last_math_candidate(s);
    if (!f) return std::nullopt;
    // Only a condition on a variable is skipped: "for all 50 indices" still states 50.
    bool condition = condition_before(s.substr(0, f->begin)) && has_letter_outside_commands(f->text);
    if (tries == 3 || !condition) {
      if (begin) *begin = base + f->begin;
      return std::move(f->text);
    }
    s = s.substr(0, f->begin);
  }
  return std::nullopt;
}

namespace {

struct Box {
  std::size_t at = 0, end = 0;  // "\boxed" .. one past the closing brace
  std::string_view content;
};

// The last balanced \boxed{...} / \fbox{...} (or "\boxed 5") starting at or before `before`.
std::optional<Box> box_before(std::string_view text, std::size_t before) {
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
      if (close != std::string_view::npos) return Box{at, close + 1, text.substr(i + 1, close - i - 1)};
    } else if (i < text.size() && i > at + 5 + (at == a) && !std::isalpha(static_cast<unsigned char>(text[i]))) {
      // "\boxed 5": the argument runs to the next space or '$'.
      std::size_t j = i;
      while (j < text.size() && !is_space(text[j]) && text[j] != '$') ++j;
      if (j > i) return Box{at, j, text.substr(i, j - i)};
    }
    if (at == 0) return std::nullopt;
    before = at - 1;
  }
  return std::nullopt;
}

// Between two boxes of one answer ("$\boxed{3}$, $\boxed{-5}$", "\boxed{1} and \boxed{2}"): only
// math delimiters and list glue.
bool box_glue(std::string_view between) {
  std::string g;
  for (std::size_t i = 0; i < between.size(); ++i) {
    if (between[i] == '$') continue;
    if (between[i] == '\\' && i + 1 < between.size() &&
        (between[i + 1] == '(' || between[i + 1] == ')' || between[i + 1] == '[' || between[i + 1] == ']')) {
      ++i;
      continue;
    }
    g.push_back(between[i]);
  }
  for (std::string_view q : {"\\qquad", "\\quad"}) {
    std::size_t at;
    while ((at = g.find(q)) != std::string::npos) g.erase(at, q.size());
  }
  return list_glue(g);
}

}  // namespace

std::optional<std::string_view> last_boxed(std::string_view text) {
  if (auto box = box_before(text, text.size())) return box->content;
  return std::nullopt;
}

std::optional<std::string> boxed_answer(std::string_view text) {
  std::optional<Box> last = box_before(text, text.size());
  if (!last) return std::nullopt;
  std::vector<std::string_view> items{last->content};
  std::size_t at = last->at;
  while (at > 0 && static_cast<int>(items.size()) < kMaxJoined) {
    std::optional<Box> prev = box_before(text, at - 1);
    if (!prev || prev->end > at || !box_glue(text.substr(prev->end, at - prev->end))) break;
    items.push_back(prev->content);
    at = prev->at;
  }
  if (items.size() == 1) return strip_decoration(items[0]);
  std::string out;
  for (auto it = items.rbegin(); it != items.rend(); ++it) out += (out.empty() ? "" : ", ") + strip_decoration(*it);
  return out;
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

std::optional<std::string> extract(std::string_view text, bool fallback_to_last_math, std::size_t* math_begin) {
  if (auto boxed = boxed_answer(text)) return boxed;
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
  if (fallback_to_last_math) {
    if (auto m = last_math(text, math_begin)) {
      std::string a = strip_decoration(*m);
      if (!a.empty()) return a;
    }
  }
  return std::nullopt;
}

}  // namespace soar::verify::detail
