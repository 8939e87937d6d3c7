// Floating-point evaluation of answer trees: the last-resort equality check at deterministic
// pseudo-random points, and log-magnitudes for constants too large to compute exactly
// (2^(10^10), 3000!): bounded work whatever the values, since doubles saturate to inf instead of
// growing.
#pragma once

#include <complex>
#include <optional>

#include "verify/ast.h"

namespace soar::verify::detail {

enum class Tri { Equal, NotEqual, Unknown };

// One side of a comparison: a subtree and the choice of signs for its \pm nodes (bit pm_index).
struct Side {
  const Ast* ast;
  int node;
  unsigned pm_mask = 0;
};

// Value at evaluation point `point` (symbols get values derived from their name and the point:
// the same name gets the same value on both sides). Non-scalars evaluate to NaN.
std::complex<double> evaluate(const Side& s, int point);

// Equality at random points: positive points (where radicals and logs are real) must all agree;
// mixed-sign points count where both sides are real. tolerance is relative.
Tri numeric_equal(const Side& a, const Side& b, double tolerance);

// For equations/inequalities: is a(p) == c * b(p) for one constant c at all points? Returns the
// sign of c (+1/-1), or 0 when not proportional or undecidable.
int proportional(const Side& a_lhs, const Side& a_rhs, const Side& b_lhs, const Side& b_rhs, double tolerance);

// sign and log10|value| of a constant, when they can be bounded without exact arithmetic.
struct Magnitude {
  int sign;
  double log10;
};
std::optional<Magnitude> magnitude(const Side& s);

// ln|Gamma(x)| without touching the global `signgam` that std::lgamma writes (a data race that
// ThreadSanitizer found when many threads verify at once).
double log_gamma(double x);

}  // namespace soar::verify::detail
