// Work bounds of the verifier. Every verdict is computed under these limits, and each one is checked
// *before* the work it bounds is started (never by interrupting it): model output is untrusted and a
// reward function that can hang or exhaust memory stalls the whole RL loop.
#pragma once

#include <cstddef>

namespace soar::verify {

struct Limits {
  // A completion longer than this is not scanned at all (Undecidable).
  std::size_t max_completion_bytes = 4u << 20;
  // An extracted answer (or a gold answer) longer than this is not parsed (Undecidable). Real
  // answers are short; long ones are rambling or attacks.
  std::size_t max_answer_chars = 2000;
  // Parser nesting depth (groups, fractions, roots, exponents, signs). Keeps recursion far from the
  // stack limit: each level costs about ten parser frames (~2 KB, more under ASan).
  int max_depth = 50;
  // AST nodes per answer.
  int max_nodes = 4000;
  // Digits in one numeric literal.
  int max_literal_digits = 500;
  // Decimal digits of any exact intermediate produced by a power or factorial, estimated before it
  // is computed (2006! has 5,761 digits; bigger results are judged by magnitude or structure).
  double max_result_digits = 20000;
  // Sum of the digits of all powers/factorials computed for one comparison.
  double max_total_digits = 100000;
  // |k| of x^k when x is not a number, and of integer exponents in general before expansion.
  long max_symbolic_exponent = 64;
  // Upper bound on the terms of an expanded expression, estimated before GiNaC::expand runs.
  double max_expanded_terms = 2000;
  // Number of \pm signs in one answer (each doubles the alternatives).
  int max_plus_minus = 3;
  // Number of items in a tuple/set/list answer.
  int max_items = 64;
  // Scalar comparisons per verification: unordered sets cost up to items^2 of them, and \pm
  // choices multiply that again.
  int max_comparisons = 600;
};

}  // namespace soar::verify
