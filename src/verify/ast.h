// The verifier's own expression tree. Answers are parsed into this bounded, library-free form first
// so that every size, depth and magnitude limit can be checked before GiNaC is asked to do work.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace soar::verify::detail {

enum class Kind : std::uint8_t {
  Number,      // text: decimal literal "12" or "3.25" (exact; no exponent notation)
  Symbol,      // text: name ("x", "x_1", "alpha")
  Pi,
  Euler,       // e
  Infinity,
  ImagUnit,    // i
  Add,         // kids: terms
  Mul,         // kids: factors; text "call" when written f(x)
  Div,         // kids: numerator, denominator
  Neg,         // kids: operand
  Pow,         // kids: base, exponent
  Factorial,   // kids: operand
  DoubleFactorial,
  Func,        // text: name (sqrt, root, sin, ln, log, abs, floor, ceil, binom, ...); kids: arguments
  PlusMinus,   // kids: [a, b] for a ± b, or [b] for ±b; pm_index numbers them in parse order
  Relation,    // kids: chain operands; text: one operator code per link (= < > l g n i)
  List,        // a bare comma list "1, 2": unordered
  Tuple,       // bracketed list with >= 2 items; open/close hold the brackets: (1,2] etc.
  Set,         // \{...\}
  Union,       // kids: intervals or sets joined by \cup
  Text,        // text: words, lower-cased and space-collapsed
};

struct Node {
  Kind kind;
  std::string text;
  std::vector<int> kids;
  char open = 0, close = 0;
  int pm_index = -1;
};

struct Ast {
  std::vector<Node> nodes;
  int root = -1;
  int plus_minus_count = 0;

  const Node& at(int i) const { return nodes[static_cast<std::size_t>(i)]; }
  // Canonical prefix form; two answers with the same form are the same answer.
  std::string canonical(int i) const;
  std::string canonical() const { return canonical(root); }
  // True when the subtree has no symbols (a constant, possibly irrational or huge).
  bool is_constant(int i) const;
};

}  // namespace soar::verify::detail
