// String rewrites that must happen before tokenizing, because they change how characters group
// (unicode symbols, "1{,}000", "30^{\circ}") or remove marks that carry no value (%, $, degrees).
#include "verify/normalize.h"

#include <array>
#include <cctype>
#include <utility>

#include "core/text.h"
#include "verify/extract.h"

namespace soar::verify::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// UTF-8 math symbols models emit, and their LaTeX spelling (trailing space ends the command).
constexpr std::array<std::pair<std::string_view, std::string_view>, 36> kUnicode = {{
    {"\u2212", "-"},
    {"\u2013", "-"},
    {"\u2014", "-"},
    {"\u00d7", "\\times "},
    {"\u00b7", "\\cdot "},
    {"\u22c5", "\\cdot "},
    {"\u00f7", "\\div "},
    {"\u03c0", "\\pi "},
    {"\u221e", "\\infty "},
    {"\u2264", "\\le "},
    {"\u2265", "\\ge "},
    {"\u2260", "\\ne "},
    {"\u00b1", "\\pm "},
    {"\u2213", "\\pm "},
    {"\u222a", "\\cup "},
    {"\u2208", "\\in "},
    {"\u00b0", ""},
    {"\u00b2", "^2"},
    {"\u00b3", "^3"},
    {"\u00bd", "\\frac12"},
    {"\u00bc", "\\frac14"},
    {"\u00be", "\\frac34"},
    {"\u00a0", " "},
    {"\u2009", " "},
    {"\u202f", " "},
    {"\u2003", " "},
    {"\u03b8", "\\theta "},
    {"\u03b1", "\\alpha "},
    {"\u03b2", "\\beta "},
    {"\u2205", "\\emptyset "},
    {"\u2062", ""},
    {"\u200b", ""},
    // Currency signs carry no value ("\$" is removed below).
    {"\u20ac", ""},
    {"\u00a3", ""},
    {"\u00a5", ""},
    {"\u20b9", ""},
}};

// "√2" -> "\sqrt2", "√25" -> "\sqrt{25}" (the unicode root covers the whole number).
void unicode_roots(std::string& s) {
  const std::string root = "\u221a";
  std::size_t at;
  while ((at = s.find(root)) != std::string::npos) {
    std::size_t j = at + root.size();
    std::size_t k = j;
    while (k < s.size() && is_digit(s[k])) ++k;
    if (k > j) s.replace(at, k - at, "\\sqrt{" + s.substr(j, k - j) + "}");
    else s.replace(at, root.size(), "\\sqrt ");
  }
}

// Degree marks: "30^\circ", "30^{\circ}", "30\degree" -> "30".
void strip_degrees(std::string& s) {
  for (std::string_view d : {"^{\\circ}", "^{ \\circ }", "^{\\circ }", "^\\circ", "\\circ", "\\degree",
                             "^{\\degree}"})
    replace_all(s, d, "");
}

// "1,000,000" (the whole answer) and "1{,}000" / "1\,000" / "1\!000" anywhere: digit groups.
void thousands(std::string& s) {
  replace_all(s, "{,}", "");
  for (std::string_view sep : {"\\,", "\\!", "\\ ", " "}) {
    std::size_t at = 0;
    while ((at = s.find(sep, at)) != std::string::npos) {
      std::size_t g = at + sep.size();
      bool group = at > 0 && is_digit(s[at - 1]) && g + 3 <= s.size() && is_digit(s[g]) &&
                   is_digit(s[g + 1]) && is_digit(s[g + 2]) && (g + 3 == s.size() || !is_digit(s[g + 3]));
      if (group) s.erase(at, sep.size());
      else at = g;
    }
  }
  std::size_t i = s[0] == '-' ? 1 : 0;
  std::size_t lead = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i - lead < 1 || i - lead > 3 || i >= s.size() || s[i] != ',') return;
  std::string out = s.substr(0, i);
  while (i < s.size() && s[i] == ',') {
    if (i + 4 > s.size() || !is_digit(s[i + 1]) || !is_digit(s[i + 2]) || !is_digit(s[i + 3])) return;
    if (i + 4 < s.size() && is_digit(s[i + 4])) return;
    out += s.substr(i + 1, 3);
    i += 4;
  }
  if (i < s.size() && s[i] == '.') {
    out += '.';
    ++i;
    std::size_t f = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == f) return;
    out += s.substr(f, i - f);
  }
  if (i == s.size()) s = out;
}

// "12 m^2", "3 m" (from "12 m²"): a unit of length, area or volume after a number, at the end.
// Only with the space: "3m" stays the product 3m. Two-letter units (cm, km) are words already.
void strip_metre(std::string& s) {
  for (std::string_view unit : {" m^2", " m^3", " m^{2}", " m^{3}", " m"}) {
    if (s.size() > unit.size() && s.compare(s.size() - unit.size(), unit.size(), unit) == 0 &&
        is_digit(s[s.size() - unit.size() - 1])) {
      s.erase(s.size() - unit.size());
      return;
    }
  }
}

// "15 pct", "15 percent": the percent sign in words.
void percent_words(std::string& s) {
  for (std::string_view w : {" percent", "percent", " pct", "pct"}) {
    if (s.size() > w.size() && s.compare(s.size() - w.size(), w.size(), w) == 0 &&
        is_digit(s[s.size() - w.size() - 1])) {
      s.erase(s.size() - w.size());
      return;
    }
  }
}

}  // namespace

bool mentions_percent(std::string_view raw) {
  std::string_view end = raw;
  while (!end.empty() && (end.back() == ' ' || end.back() == '.' || end.back() == '$' || end.back() == '}'))
    end.remove_suffix(1);
  auto ends_with = [&](std::string_view w) { return end.size() >= w.size() && end.substr(end.size() - w.size()) == w; };
  return raw.find('%') != std::string_view::npos || ends_with("pct") || ends_with("percent");
}

std::string normalize_answer(std::string_view raw) {
  std::string s(raw);
  if (auto boxed = last_boxed(s)) s = std::string(*boxed);
  s = strip_decoration(s);
  for (const auto& [from, to] : kUnicode)
    if (s.find(from) != std::string::npos) replace_all(s, from, to);
  unicode_roots(s);
  strip_degrees(s);
  replace_all(s, "\\%", "");
  replace_all(s, "\\$", "");
  percent_words(s);
  strip_metre(s);
  if (!s.empty()) thousands(s);
  return strip_decoration(s);
}

std::string text_key(std::string_view normalized) {
  std::string s(normalized);
  for (std::string_view noise : {"\\left", "\\right", "\\!", "\\,", "\\;", "\\:", "\\ ", "\\displaystyle", "$"})
    replace_all(s, noise, "");
  replace_all(s, "\\dfrac", "\\frac");
  replace_all(s, "\\tfrac", "\\frac");
  std::string out;
  for (char c : s)
    if (!std::isspace(static_cast<unsigned char>(c))) out.push_back(c);
  return out;
}

std::string plain_words(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\') {  // drop the command name, keep its argument
      while (i + 1 < s.size() && std::isalpha(static_cast<unsigned char>(s[i + 1]))) ++i;
      c = ' ';
    }
    if (std::isalnum(static_cast<unsigned char>(c))) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    else if (c != '\'' && !out.empty() && out.back() != ' ') out.push_back(' ');
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::optional<char> choice_letter(std::string_view s, bool lenient) {
  std::string t(s);
  for (std::string_view w : {"\\textbf{", "\\text{", "\\mathrm{", "\\mathbf{", "Option", "option", "Choice",
                             "choice", "OPTION"})
    replace_all(t, w, "");
  std::string core;
  for (char c : t)
    if (!std::isspace(static_cast<unsigned char>(c))) core.push_back(c);
  auto letter = [](char c) { return c >= 'A' && c <= 'E'; };
  // Exactly one letter, with only brackets, braces, ':' or '.' around it.
  std::optional<char> found;
  bool clean = true;
  for (char c : core) {
    if (letter(c)) {
      if (found) { clean = false; break; }
      found = c;
    } else if (!(c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' || c == ':' || c == '.')) {
      clean = false;
      break;
    }
  }
  if (clean && found) return found;
  if (!lenient) return std::nullopt;
  // "(B) 12 apples", "B) 12": a leading labelled choice.
  if (core.size() >= 3 && core[0] == '(' && letter(core[1]) && core[2] == ')') return core[1];
  if (core.size() >= 2 && letter(core[0]) && core[1] == ')') return core[0];
  return std::nullopt;
}

}  // namespace soar::verify::detail
