// Tokenizer and recursive-descent parser for answers. Every recursive call goes through a depth
// guard and every node through a count check, so the cost of a parse is linear in the input and
// its stack use is bounded by Limits::max_depth.
#include "verify/latex_parser.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

namespace soar::verify::detail {
namespace {

struct ParseError {
  std::string message;
};
struct OverBudget {
  std::string message;
};

enum class Tok { End, Num, Letter, Word, Cmd, Char };

struct Token {
  Tok type = Tok::End;
  std::string text;
};

bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

template <std::size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& names) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

constexpr std::array<std::string_view, 17> kFunctions = {
    "sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "tanh", "ln", "log", "exp", "lg", "sqrt"};
constexpr std::array<std::string_view, 32> kGreek = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta",
    "theta", "vartheta", "kappa", "lambda", "mu", "nu", "xi", "rho",
    "sigma", "tau", "phi", "varphi", "chi", "psi", "omega", "Gamma",
    "Delta", "Theta", "Lambda", "Sigma", "Phi", "Omega", "Psi", "Xi"};
// Plain-text words that follow numbers as units ("5 cm"); longer words are words anyway.
constexpr std::array<std::string_view, 16> kShortUnits = {
    "cm", "mm", "km", "kg", "mg", "ft", "yd", "mph", "hr", "hrs", "min", "sec", "lb", "lbs", "oz", "sq"};
// Answers that are short words, not products of symbols ("no" is not n*o), in any case.
constexpr std::array<std::string_view, 5> kShortWords = {"yes", "no", "odd", "all", "none"};

std::string lower_case(std::string_view w) {
  std::string out(w);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Commands that only affect typesetting.
constexpr std::array<std::string_view, 20> kIgnored = {
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
    "displaystyle", "textstyle", "quad", "qquad", "circ", "degree", "limits", "nolimits", "middle", "hspace"};
// Commands whose braced argument is text or a styled group.
constexpr std::array<std::string_view, 16> kTextLike = {
    "text", "textbf", "textit", "textrm", "textsf", "texttt", "mbox", "mathrm",
    "mathbf", "mathit", "mathsf", "boldsymbol", "emph", "operatorname", "textnormal", "hbox"};

class Tokenizer {
 public:
  Tokenizer(std::string_view s, const Limits& limits) : s_(s), limits_(limits) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    tokenize(s_, out, 0);
    out.push_back({Tok::End, ""});
    return out;
  }

 private:
  void tokenize(std::string_view s, std::vector<Token>& out, int depth) {
    if (depth > 4) throw OverBudget{"\\text nested too deeply"};
    std::size_t i = 0;
    while (i < s.size()) {
      char c = s[i];
      if (std::isspace(static_cast<unsigned char>(c)) || c == '~' || c == '$' || c == '%') {
        ++i;
      } else if (is_digit(c) || (c == '.' && i + 1 < s.size() && is_digit(s[i + 1]))) {
        std::size_t j = i;
        while (j < s.size() && is_digit(s[j])) ++j;
        if (j + 1 < s.size() && s[j] == '.' && is_digit(s[j + 1])) {
          ++j;
          while (j < s.size() && is_digit(s[j])) ++j;
        }
        if (static_cast<long>(j - i) > limits_.max_literal_digits)
          throw OverBudget{"number literal of " + std::to_string(j - i) + " digits"};
        out.push_back({Tok::Num, std::string(s.substr(i, j - i))});
        i = j;
      } else if (is_alpha(c)) {
        std::size_t j = i;
        while (j < s.size() && is_alpha(s[j])) ++j;
        word(s.substr(i, j - i), out);
        i = j;
      } else if (c == '\\') {
        i = command(s, i, out, depth);
      } else {
        out.push_back({Tok::Char, std::string(1, c)});
        ++i;
      }
    }
  }

  void word(std::string_view w, std::vector<Token>& out) {
    if (w == "and" || w == "or") {
      out.push_back({Tok::Char, ","});
    } else if (w == "pi") {
      out.push_back({Tok::Cmd, "pi"});
    } else if (w == "inf" || w == "infty" || w == "infinity") {
      out.push_back({Tok::Cmd, "infty"});
    } else if (one_of(w, kFunctions)) {
      out.push_back({Tok::Cmd, std::string(w)});
    } else if (w.size() >= 4 || one_of(w, kShortUnits) || one_of(lower_case(w), kShortWords)) {
      std::string lower(w);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.push_back({Tok::Word, lower});
    } else {
      for (char c : w) out.push_back({Tok::Letter, std::string(1, c)});
    }
  }

  // Reads the command at s[i] == '\\'; returns the index after it.
  std::size_t command(std::string_view s, std::size_t i, std::vector<Token>& out, int depth) {
    std::size_t j = i + 1;
    if (j >= s.size()) throw ParseError{"trailing backslash"};
    if (!is_alpha(s[j])) {
      char c = s[j];
      if (c == '{' || c == '}') out.push_back({Tok::Cmd, std::string(1, c)});
      else if (c == '|') out.push_back({Tok::Char, "|"});
      else if (c == '\\') out.push_back({Tok::Char, "\\\\"});  // row break: a separator
      // \, \; \! \: \  \% \$ \( \) \[ \] are spacing, symbols or delimiters: dropped.
      return j + 1;
    }
    while (j < s.size() && is_alpha(s[j])) ++j;
    std::string name(s.substr(i + 1, j - i - 1));
    if (one_of(name, kIgnored)) {
      if ((name == "left" || name == "right") && j < s.size() && s[j] == '.') ++j;
      return j;
    }
    if (one_of(name, kTextLike)) return text_like(s, j, out, depth);
    if (name == "pmod") {  // "a \equiv 3 \pmod{4}": the modulus qualifies the relation, the value is 3
      while (j < s.size() && s[j] == ' ') ++j;
      if (j < s.size() && s[j] == '{') {
        int level = 0;
        for (; j < s.size(); ++j) {
          if (s[j] == '{') ++level;
          else if (s[j] == '}' && --level == 0) return j + 1;
        }
        throw ParseError{"unclosed \\pmod"};
      }
      return j;
    }
    if (name == "begin" || name == "end") return environment(s, j, name == "begin", out);
    if (name == "dfrac" || name == "tfrac" || name == "cfrac") name = "frac";
    else if (name == "dbinom" || name == "tbinom") name = "binom";
    else if (name == "leq" || name == "leqslant" || name == "le") name = "le";
    else if (name == "geq" || name == "geqslant" || name == "ge") name = "ge";
    else if (name == "neq" || name == "ne") name = "ne";
    else if (name == "lt") { out.push_back({Tok::Char, "<"}); return j; }
    else if (name == "gt") { out.push_back({Tok::Char, ">"}); return j; }
    else if (name == "cdot" || name == "times" || name == "ast") { out.push_back({Tok::Char, "*"}); return j; }
    else if (name == "div") { out.push_back({Tok::Char, "/"}); return j; }
    else if (name == "lvert" || name == "rvert" || name == "vert" || name == "mid") { out.push_back({Tok::Char, "|"}); return j; }
    else if (name == "lbrace") name = "{";
    else if (name == "rbrace") name = "}";
    else if (name == "infin") name = "infty";
    else if (name == "mp") name = "pm";
    else if (name == "varnothing") name = "emptyset";
    else if (name == "approx" || name == "equiv") { out.push_back({Tok::Char, "="}); return j; }
    out.push_back({Tok::Cmd, std::move(name)});
    return j;
  }

  // \begin{pmatrix} ... \end{pmatrix} (and bmatrix, vmatrix, matrix, array): one matrix token pair;
  // "&" separates cells and "\\" rows. Other environments are not answers.
  std::size_t environment(std::string_view s, std::size_t j, bool begin, std::vector<Token>& out) {
    if (j >= s.size() || s[j] != '{') throw ParseError{"\\begin/\\end without {name}"};
    std::size_t close = s.find('}', j);
    if (close == std::string_view::npos) throw ParseError{"unclosed environment name"};
    std::string_view env = s.substr(j + 1, close - j - 1);
    if (env != "pmatrix" && env != "bmatrix" && env != "matrix" && env != "vmatrix" && env != "array" &&
        env != "Bmatrix" && env != "smallmatrix")
      throw ParseError{"unsupported environment '" + std::string(env) + "'"};
    out.push_back({Tok::Cmd, begin ? "matrix_begin" : "matrix_end"});
    std::size_t k = close + 1;
    if (begin && env == "array" && k < s.size() && s[k] == '{') {  // column spec {cc}
      std::size_t spec = s.find('}', k);
      if (spec == std::string_view::npos) throw ParseError{"unclosed array column spec"};
      k = spec + 1;
    }
    return k;
  }

  // \text{...} and friends: words become one Word token, math inside is tokenized in place.
  std::size_t text_like(std::string_view s, std::size_t j, std::vector<Token>& out, int depth) {
    while (j < s.size() && s[j] == ' ') ++j;
    if (j >= s.size() || s[j] != '{') return j;  // "\text" alone: nothing to read
    std::size_t k = j + 1;
    int level = 1;
    while (k < s.size() && level > 0) {
      if (s[k] == '\\' && k + 1 < s.size()) { k += 2; continue; }
      if (s[k] == '{') ++level;
      else if (s[k] == '}') --level;
      ++k;
    }
    if (level != 0) throw ParseError{"unbalanced braces in \\text"};
    std::string_view content = s.substr(j + 1, k - j - 2);
    bool words_only = true;
    std::string lower;
    for (char c : content) {
      if (is_alpha(c)) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      else if (c == ' ' || c == '-' || c == '\'') lower.push_back(c == '-' ? ' ' : c);
      else if (c == '.' || c == ',' ) continue;  // punctuation in prose
      else { words_only = false; break; }
    }
    std::string trimmed;
    for (char c : lower) {
      if (c == ' ' && (trimmed.empty() || trimmed.back() == ' ')) continue;
      trimmed.push_back(c);
    }
    while (!trimmed.empty() && trimmed.back() == ' ') trimmed.pop_back();
    if (!words_only) {
      out.push_back({Tok::Char, "{"});
      tokenize(content, out, depth + 1);
      out.push_back({Tok::Char, "}"});
    } else if (trimmed.empty()) {
      // spacing-only \text{ }: nothing
    } else if (trimmed == "and" || trimmed == "or") {
      out.push_back({Tok::Char, ","});
    } else if (trimmed.size() == 1) {
      out.push_back({Tok::Letter, std::string(content.substr(content.find_first_not_of(' '), 1))});
    } else if (trimmed == "pi") {
      out.push_back({Tok::Cmd, "pi"});
    } else {
      out.push_back({Tok::Word, trimmed});
    }
    return k;
  }

  std::string_view s_;
  const Limits& limits_;
};

class Parser {
 public:
  Parser(std::vector<Token> tokens, const Limits& limits) : t_(std::move(tokens)), limits_(limits) {}

  Ast run() {
    auto items = list();
    if (peek().type != Tok::End) throw ParseError{"unexpected '" + peek().text + "'"};
    if (items.empty()) throw ParseError{"empty answer"};
    ast_.root = items.size() == 1 ? items[0] : make(Kind::List, "", items);
    return std::move(ast_);
  }

 private:
  // Every cycle of the grammar passes through primary(), exponent() or a sign in signed_factor(),
  // so guarding those bounds the recursion: depth = nesting of groups, fractions, roots and signs.
  struct Depth {
    explicit Depth(Parser& p) : p(p) {
      if (++p.depth_ > p.limits_.max_depth)
        throw OverBudget{"nesting deeper than " + std::to_string(p.limits_.max_depth)};
    }
    ~Depth() { --p.depth_; }
    Parser& p;
  };

  const Token& peek(std::size_t k = 0) const { return t_[std::min(pos_ + k, t_.size() - 1)]; }
  Token next() {
    Token t = peek();
    if (pos_ < t_.size() - 1) ++pos_;
    return t;
  }
  bool is_char(const Token& t, std::string_view c) const { return t.type == Tok::Char && t.text == c; }
  bool is_cmd(const Token& t, std::string_view c) const { return t.type == Tok::Cmd && t.text == c; }
  bool accept_char(std::string_view c) {
    if (!is_char(peek(), c)) return false;
    next();
    return true;
  }
  void expect(Tok type, std::string_view text, const char* context) {
    const Token& t = peek();
    if (t.type != type || t.text != text)
      throw ParseError{std::string("expected '") + std::string(text) + "' " + context + ", got '" +
                       (t.type == Tok::End ? std::string("end") : t.text) + "'"};
    next();
  }

  int make(Kind kind, std::string text = {}, std::vector<int> kids = {}) {
    if (static_cast<int>(ast_.nodes.size()) >= limits_.max_nodes)
      throw OverBudget{"more than " + std::to_string(limits_.max_nodes) + " nodes"};
    ast_.nodes.push_back(Node{kind, std::move(text), std::move(kids)});
    return static_cast<int>(ast_.nodes.size()) - 1;
  }
  Kind kind(int i) const { return ast_.nodes[static_cast<std::size_t>(i)].kind; }

  // item (',' item)* up to (not including) a closer; separators ',', ';' and a row break.
  std::vector<int> list() {
    std::vector<int> items;
    if (at_closer()) return items;
    while (true) {
      items.push_back(relation());
      if (static_cast<int>(items.size()) > limits_.max_items)
        throw OverBudget{"more than " + std::to_string(limits_.max_items) + " items"};
      if (accept_char(",") || accept_char(";") || accept_char("\\\\")) continue;
      break;
    }
    return items;
  }
  bool at_closer() const {
    const Token& t = peek();
    return t.type == Tok::End || is_char(t, ")") || is_char(t, "]") || is_char(t, "}") || is_cmd(t, "}");
  }

  // Relation operator code at the cursor, consuming it; 0 when none.
  char relop() {
    const Token& t = peek();
    char code = 0;
    std::size_t len = 1;
    if (is_char(t, "=")) code = '=';
    else if (is_char(t, "<")) { code = '<'; if (is_char(peek(1), "=")) { code = 'l'; len = 2; } }
    else if (is_char(t, ">")) { code = '>'; if (is_char(peek(1), "=")) { code = 'g'; len = 2; } }
    else if (is_char(t, "!") && is_char(peek(1), "=")) { code = 'n'; len = 2; }
    else if (is_cmd(t, "le")) code = 'l';
    else if (is_cmd(t, "ge")) code = 'g';
    else if (is_cmd(t, "ne")) code = 'n';
    else if (is_cmd(t, "in")) code = 'i';
    for (std::size_t k = 0; code && k < len; ++k) next();
    return code;
  }

  int relation() {
    std::vector<int> operands{union_()};
    std::string ops;
    while (char op = relop()) {
      ops.push_back(op);
      operands.push_back(union_());
    }
    if (ops.empty()) return operands[0];
    return make(Kind::Relation, ops, operands);
  }

  bool is_setlike(int i) const { return kind(i) == Kind::Tuple || kind(i) == Kind::Set; }

  int union_() {
    std::vector<int> parts{additive()};
    while (true) {
      bool letter_u = peek().type == Tok::Letter && peek().text == "U" && is_setlike(parts.back()) &&
                      (is_char(peek(1), "(") || is_char(peek(1), "[") || is_cmd(peek(1), "{"));
      if (!is_cmd(peek(), "cup") && !letter_u) break;
      next();
      parts.push_back(additive());
    }
    return parts.size() == 1 ? parts[0] : make(Kind::Union, "", parts);
  }

  int plus_minus(std::vector<int> kids) {
    if (ast_.plus_minus_count >= limits_.max_plus_minus)
      throw OverBudget{"more than " + std::to_string(limits_.max_plus_minus) + " \\pm signs"};
    int n = make(Kind::PlusMinus, "", std::move(kids));
    ast_.nodes[static_cast<std::size_t>(n)].pm_index = ast_.plus_minus_count++;
    return n;
  }

  int additive() {
    std::vector<int> terms;
    if (accept_char("-")) terms.push_back(make(Kind::Neg, "", {multiplicative()}));
    else if (accept_char("+")) terms.push_back(multiplicative());
    else if (is_cmd(peek(), "pm")) { next(); terms.push_back(plus_minus({multiplicative()})); }
    else terms.push_back(multiplicative());
    while (true) {
      if (accept_char("+")) terms.push_back(multiplicative());
      else if (accept_char("-")) terms.push_back(make(Kind::Neg, "", {multiplicative()}));
      else if (is_cmd(peek(), "pm")) {
        next();
        int lhs = terms.size() == 1 ? terms[0] : make(Kind::Add, "", terms);
        terms = {plus_minus({lhs, multiplicative()})};
      } else break;
    }
    return terms.size() == 1 ? terms[0] : make(Kind::Add, "", terms);
  }

  bool starts_implicit_factor() const {
    const Token& t = peek();
    switch (t.type) {
      case Tok::Letter:
        // "(a,b) U (c,d)" is a union, not a product with U.
        return !(t.text == "U" && (is_char(peek(1), "(") || is_char(peek(1), "[") || is_cmd(peek(1), "{")));
      case Tok::Num: case Tok::Word: return true;
      case Tok::Char: return t.text == "(" || t.text == "{" || (t.text == "|" && abs_depth_ == 0);
      case Tok::Cmd:
        return t.text == "frac" || t.text == "sqrt" || t.text == "binom" || t.text == "pi" ||
               t.text == "infty" || t.text == "lfloor" || t.text == "lceil" ||
               one_of(t.text, kFunctions) || one_of(t.text, kGreek);
      default: return false;
    }
  }

  bool is_integer_literal(int i) const {
    const Node& n = ast_.nodes[static_cast<std::size_t>(i)];
    return n.kind == Kind::Number && n.text.find('.') == std::string::npos;
  }

  int multiplicative() {
    std::size_t start = pos_;
    std::vector<int> factors{signed_factor()};
    bool literal_first = t_[start].type == Tok::Num && pos_ == start + 1;
    while (true) {
      if (accept_char("*")) {
        factors.push_back(signed_factor());
      } else if (accept_char("/") || accept_char(":")) {  // "3:2" is the ratio 3/2
        int num = factors.size() == 1 ? factors[0] : make(Kind::Mul, "", factors);
        factors = {make(Kind::Div, "", {num, signed_factor()})};
      } else if (starts_implicit_factor()) {
        bool frac_next = is_cmd(peek(), "frac");
        int f = power();
        // "2\frac{1}{2}" is the mixed number 2 1/2 (MATH convention), not 2 * 1/2.
        const Node& fn = ast_.nodes[static_cast<std::size_t>(f)];
        if (frac_next && literal_first && factors.size() == 1 && is_integer_literal(factors[0]) &&
            fn.kind == Kind::Div && is_integer_literal(fn.kids[0]) && is_integer_literal(fn.kids[1])) {
          factors[0] = make(Kind::Add, "", {factors[0], f});
        } else {
          factors.push_back(f);
        }
      } else {
        break;
      }
    }
    // Words multiplied with math are units ("5 \text{cm}"): dropped. Words alone are a text answer.
    std::vector<int> math, words;
    // "12 \text{cm}^2": a word raised to a power is a unit too.
    auto is_unit = [&](int f) {
      return kind(f) == Kind::Text ||
             (kind(f) == Kind::Pow && kind(ast_.nodes[static_cast<std::size_t>(f)].kids[0]) == Kind::Text);
    };
    for (int f : factors) (is_unit(f) ? words : math).push_back(f);
    if (math.empty() && factors.size() == 1) return factors[0];
    if (math.empty()) {
      std::string joined;
      for (int w : words) joined += (joined.empty() ? "" : " ") + ast_.nodes[static_cast<std::size_t>(w)].text;
      return make(Kind::Text, joined);
    }
    return math.size() == 1 ? math[0] : make(Kind::Mul, "", math);
  }

  int signed_factor() {
    if (accept_char("-")) {
      Depth d(*this);
      return make(Kind::Neg, "", {signed_factor()});
    }
    if (accept_char("+")) {
      Depth d(*this);
      return signed_factor();
    }
    return power();
  }

  int power() {
    int base = postfix();
    while (accept_char("^")) {
      base = make(Kind::Pow, "", {base, exponent()});
      base = factorials(base);
    }
    return base;
  }

  int exponent() {
    Depth d(*this);  // exponents recurse into themselves ("2^{-{-{...}}}") without primary()
    const Token& t = peek();
    if (is_char(t, "-")) { next(); return make(Kind::Neg, "", {exponent()}); }
    if (is_char(t, "+")) { next(); return exponent(); }
    if (is_char(t, "{")) return primary();
    if (t.type == Tok::Num) { return make(Kind::Number, next().text); }  // plain 2^10 means 2^{10}
    if (t.type == Tok::Letter || t.type == Tok::Cmd || is_char(t, "(")) return primary();
    throw ParseError{"bad exponent '" + t.text + "'"};
  }

  int factorials(int base) {
    while (is_char(peek(), "!") && !is_char(peek(1), "=")) {
      next();
      if (is_char(peek(), "!") && !is_char(peek(1), "=")) {
        next();
        base = make(Kind::DoubleFactorial, "", {base});
      } else {
        base = make(Kind::Factorial, "", {base});
      }
    }
    return base;
  }

  int postfix() {
    return factorials(primary());
  }

  std::string subscript() {
    if (!accept_char("_")) return {};
    std::string sub;
    if (accept_char("{")) {
      while (!is_char(peek(), "}")) {
        if (peek().type == Tok::End) throw ParseError{"unclosed subscript"};
        sub += next().text;
        if (sub.size() > 64) throw OverBudget{"subscript too long"};
      }
      next();
    } else {
      if (peek().type == Tok::End) throw ParseError{"empty subscript"};
      Token t = next();
      sub = t.type == Tok::Num ? t.text.substr(0, 1) : t.text;
    }
    return "_" + sub;
  }

  // A group in parentheses/brackets: a parenthesised expression, or a tuple/interval.
  int bracketed(char open) {
    auto items = list();
    const Token& t = peek();
    if (!is_char(t, ")") && !is_char(t, "]"))
      throw ParseError{std::string("unclosed '") + open + "'"};
    char close = next().text[0];
    if (items.empty()) throw ParseError{std::string("empty '") + open + close + "'"};
    if (items.size() == 1) {
      if ((open == '(' && close == ')') || (open == '[' && close == ']')) return items[0];
      throw ParseError{std::string("half-open bracket around one item '") + open + "..." + close + "'"};
    }
    int n = make(Kind::Tuple, "", items);
    ast_.nodes[static_cast<std::size_t>(n)].open = open;
    ast_.nodes[static_cast<std::size_t>(n)].close = close;
    return n;
  }

  int braced() {
    auto items = list();
    expect(Tok::Char, "}", "to close '{'");
    if (items.empty()) throw ParseError{"empty braces"};
    return items.size() == 1 ? items[0] : make(Kind::List, "", items);
  }

  // Argument of \frac, \sqrt, \binom: a braced group or a single token (\frac12 = 1/2).
  int argument() {
    Token& t = t_[pos_];
    if (is_char(t, "{")) { next(); return braced(); }
    if (t.type == Tok::Num) {
      if (t.text.size() > 1 && is_digit(t.text[0])) {
        std::string first = t.text.substr(0, 1);
        t.text.erase(0, 1);
        return make(Kind::Number, first);
      }
      return make(Kind::Number, next().text);
    }
    if (t.type == Tok::Letter || t.type == Tok::Cmd || is_char(t, "(")) return primary();
    throw ParseError{"bad argument '" + (t.type == Tok::End ? std::string("end") : t.text) + "'"};
  }

  // Rows of cells up to \end{...}: a Tuple 'm' of Tuples 'r', compared in order like tuples.
  int matrix() {
    std::vector<int> rows;
    std::vector<int> cells;
    auto end_row = [&] {
      if (cells.empty()) return;
      int row = make(Kind::Tuple, "", cells);
      ast_.nodes[static_cast<std::size_t>(row)].open = ast_.nodes[static_cast<std::size_t>(row)].close = 'r';
      rows.push_back(row);
      cells.clear();
    };
    while (!is_cmd(peek(), "matrix_end")) {
      if (peek().type == Tok::End) throw ParseError{"unclosed matrix"};
      if (accept_char("\\\\")) { end_row(); continue; }
      cells.push_back(relation());
      if (static_cast<int>(cells.size() + rows.size()) > limits_.max_items)
        throw OverBudget{"matrix larger than " + std::to_string(limits_.max_items) + " items"};
      if (!accept_char("&") && !is_char(peek(), "\\\\") && !is_cmd(peek(), "matrix_end"))
        throw ParseError{"unexpected '" + peek().text + "' in matrix"};
    }
    next();
    end_row();
    if (rows.empty()) throw ParseError{"empty matrix"};
    int m = make(Kind::Tuple, "", rows);
    ast_.nodes[static_cast<std::size_t>(m)].open = ast_.nodes[static_cast<std::size_t>(m)].close = 'm';
    return m;
  }

  int function(std::string name) {
    int fpow = -1;
    int log_base = -1;
    for (int k = 0; k < 2; ++k) {
      if (accept_char("^")) fpow = exponent();
      else if (name == "log" && is_char(peek(), "_")) { next(); log_base = argument(); }
    }
    // "\sin(x)", or "\sin 2x" = sin(2x): implicit factors up to an operator or the next function
    // ("\sin x \cos x" is sin(x) cos(x)).
    int arg;
    if (is_char(peek(), "(")) {
      arg = primary();
    } else {
      std::vector<int> factors{power()};
      while (starts_implicit_factor() && !(peek().type == Tok::Cmd && one_of(peek().text, kFunctions)))
        factors.push_back(power());
      arg = factors.size() == 1 ? factors[0] : make(Kind::Mul, "", factors);
    }
    if (name == "lg") { name = "log"; log_base = make(Kind::Number, "10"); }
    if (fpow >= 0 && kind(fpow) == Kind::Neg && is_integer_literal(ast_.nodes[static_cast<std::size_t>(fpow)].kids[0]) &&
        ast_.nodes[static_cast<std::size_t>(ast_.nodes[static_cast<std::size_t>(fpow)].kids[0])].text == "1") {
      name = "arc" + name;  // \sin^{-1} x is arcsin x
      fpow = -1;
    }
    int f;
    if (name == "sqrt") f = make(Kind::Pow, "", {arg, make(Kind::Div, "", {make(Kind::Number, "1"), make(Kind::Number, "2")})});
    else if (name == "log" && log_base >= 0) f = make(Kind::Func, "log", {arg, log_base});
    else f = make(Kind::Func, name == "log" ? "ln" : name, {arg});
    return fpow >= 0 ? make(Kind::Pow, "", {f, fpow}) : f;
  }

  int primary() {
    Depth d(*this);
    Token t = next();
    switch (t.type) {
      case Tok::End: throw ParseError{"unexpected end of answer"};
      case Tok::Num: return make(Kind::Number, t.text);
      case Tok::Word: return make(Kind::Text, t.text);
      case Tok::Letter: {
        std::string sub = subscript();
        if (sub.empty() && t.text == "i") return make(Kind::ImagUnit);
        if (sub.empty() && t.text == "e") return make(Kind::Euler);
        int sym = make(Kind::Symbol, t.text + sub);
        // "f(x)": still the product f*x for evaluation, but marked so that "f(x) = 3x" is read as a
        // named value like "y = 3x".
        if (is_char(peek(), "(") && peek(1).type == Tok::Letter && is_char(peek(2), ")")) {
          next();
          int arg = make(Kind::Symbol, next().text);
          next();
          return make(Kind::Mul, "call", {sym, arg});
        }
        return sym;
      }
      case Tok::Char:
        if (t.text == "(" || t.text == "[") return bracketed(t.text[0]);
        if (t.text == "{") return braced();
        if (t.text == "|") {
          ++abs_depth_;
          int a = additive();
          --abs_depth_;
          expect(Tok::Char, "|", "to close '|'");
          return make(Kind::Func, "abs", {a});
        }
        throw ParseError{"unexpected '" + t.text + "'"};
      case Tok::Cmd: break;
    }
    const std::string& c = t.text;
    if (c == "frac") { int a = argument(); return make(Kind::Div, "", {a, argument()}); }
    if (c == "binom") { int a = argument(); return make(Kind::Func, "binom", {a, argument()}); }
    if (c == "sqrt") {
      if (accept_char("[")) {
        int n = additive();
        expect(Tok::Char, "]", "to close \\sqrt[");
        int x = argument();
        return make(Kind::Pow, "", {x, make(Kind::Div, "", {make(Kind::Number, "1"), n})});
      }
      return make(Kind::Pow, "", {argument(), make(Kind::Div, "", {make(Kind::Number, "1"), make(Kind::Number, "2")})});
    }
    if (c == "matrix_begin") return matrix();
    if (c == "pi") return make(Kind::Pi);
    if (c == "infty") return make(Kind::Infinity);
    if (c == "emptyset") return make(Kind::Set);
    if (c == "{") {
      auto items = list();
      expect(Tok::Cmd, "}", "to close '\\{'");
      return make(Kind::Set, "", items);
    }
    if (c == "lfloor" || c == "lceil") {
      int a = additive();
      expect(Tok::Cmd, c == "lfloor" ? "rfloor" : "rceil", "to close the bracket");
      return make(Kind::Func, c == "lfloor" ? "floor" : "ceil", {a});
    }
    if (one_of(c, kGreek)) return make(Kind::Symbol, c + subscript());
    if (one_of(c, kFunctions)) return function(c);
    throw ParseError{"unsupported command '\\" + c + "'"};
  }

  std::vector<Token> t_;
  std::size_t pos_ = 0;
  const Limits& limits_;
  Ast ast_;
  int depth_ = 0;
  int abs_depth_ = 0;
};

}  // namespace

ParseResult parse_math(std::string_view text, const Limits& limits) {
  ParseResult r;
  if (text.size() > limits.max_answer_chars) {
    r.status = ParseStatus::OverBudget;
    r.message = "answer of " + std::to_string(text.size()) + " chars exceeds " +
                std::to_string(limits.max_answer_chars);
    return r;
  }
  try {
    Tokenizer tokenizer(text, limits);
    Parser parser(tokenizer.run(), limits);
    r.ast = parser.run();
    r.status = ParseStatus::Ok;
  } catch (const ParseError& e) {
    r.status = ParseStatus::Error;
    r.message = e.message;
  } catch (const OverBudget& e) {
    r.status = ParseStatus::OverBudget;
    r.message = e.message;
  }
  return r;
}

}  // namespace soar::verify::detail
