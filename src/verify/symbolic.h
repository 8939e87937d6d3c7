// Exact and symbolic comparison with GiNaC: exact rationals (CLN) when both sides are numbers,
// else the expanded/normalised symbolic difference. Every power, factorial and expansion is sized
// before GiNaC computes it; anything over Limits is reported as over budget, not attempted.
//
// GiNaC is not thread-safe (non-atomic reference counts on shared expression nodes and global
// flyweights), so all GiNaC work in the process runs under one mutex; parsing, extraction and the
// numeric checks run outside it.
#pragma once

#include <string>

#include "verify/limits.h"
#include "verify/numeric.h"

namespace soar::verify::detail {

struct SymbolicResult {
  Tri result = Tri::Unknown;
  bool over_budget = false;  // a limit stopped the work: Unknown means "not attempted"
  bool exact = false;        // both sides were exact numbers: the result is final either way
  std::string reason;
};

SymbolicResult symbolic_compare(const Side& a, const Side& b, const Limits& limits);

}  // namespace soar::verify::detail
