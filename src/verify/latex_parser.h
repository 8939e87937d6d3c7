// A small recursive-descent parser for LaTeX and plain-text math answers. It is bounded by
// construction: nesting depth, node count, literal digits and list sizes are checked as it goes,
// so pathological input (100k nested braces, megabytes of digits) fails fast instead of recursing
// or allocating without end.
#pragma once

#include <string>
#include <string_view>

#include "verify/ast.h"
#include "verify/limits.h"

namespace soar::verify::detail {

enum class ParseStatus { Ok, Error, OverBudget };

struct ParseResult {
  ParseStatus status = ParseStatus::Error;
  Ast ast;
  std::string message;  // why parsing failed, naming the offending token
};

// `text` should already be normalised (normalize.h).
ParseResult parse_math(std::string_view text, const Limits& limits);

}  // namespace soar::verify::detail
