// Equivalence of two parsed answers. The gold answer guides the comparison (as math-verify does):
// its shape decides whether the prediction is read as a value, an equation, an interval, a set or
// a tuple. Scalars go through exact numbers, then the symbolic difference, then random points.
#pragma once

#include <string>

#include "verify/ast.h"
#include "verify/limits.h"
#include "verify/numeric.h"

namespace soar::verify::detail {

struct Equivalence {
  Tri result = Tri::Unknown;
  bool over_budget = false;  // Unknown because a limit stopped the work
  std::string reason;
};

Equivalence equivalent(const Ast& gold, const Ast& predicted, const Limits& limits, double tolerance);

}  // namespace soar::verify::detail
