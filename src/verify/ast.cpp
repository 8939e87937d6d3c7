// Canonical text of a parsed answer: equal forms mean equal answers, whatever the spacing, brace
// style or \left/\right decoration of the input. Recursion depth is bounded by the parser's limit.
#include "verify/ast.h"

#include <algorithm>

namespace soar::verify::detail {
namespace {

// "007.500" -> "7.5": literals that denote the same number print the same.
std::string canonical_number(const std::string& s) {
  std::size_t dot = std::min(s.find('.'), s.size());
  std::size_t lead = 0;
  while (lead < dot && s[lead] == '0') ++lead;
  std::size_t end = s.size();
  if (dot < s.size()) {
    while (end > dot + 1 && s[end - 1] == '0') --end;
    if (end == dot + 1) end = dot;  // "5." and "5.00" are 5
  }
  std::string out = lead == dot ? std::string(1, '0') : s.substr(lead, dot - lead);
  if (end > dot) out.append(s, dot, end - dot);
  return out;
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Add: return "add";
    case Kind::Mul: return "mul";
    case Kind::Div: return "div";
    case Kind::Neg: return "neg";
    case Kind::Pow: return "pow";
    case Kind::Factorial: return "fact";
    case Kind::DoubleFactorial: return "fact2";
    case Kind::PlusMinus: return "pm";
    case Kind::Relation: return "rel";
    case Kind::List: return "list";
    case Kind::Tuple: return "tuple";
    case Kind::Set: return "set";
    case Kind::Union: return "union";
    default: return "?";
  }
}

}  // namespace

std::string Ast::canonical(int i) const {
  const Node& n = at(i);
  switch (n.kind) {
    case Kind::Number: return canonical_number(n.text);
    case Kind::Symbol: return n.text;
    case Kind::Pi: return "pi";
    case Kind::Euler: return "e";
    case Kind::Infinity: return "oo";
    case Kind::ImagUnit: return "I";
    case Kind::Text: return "\"" + n.text + "\"";
    default: break;
  }
  std::string out = n.kind == Kind::Func ? n.text : kind_name(n.kind);
  if (n.kind == Kind::Relation) out += ":" + n.text;
  if (n.kind == Kind::Tuple) out += std::string(1, n.open) + n.close;
  out += "(";
  for (std::size_t k = 0; k < n.kids.size(); ++k) {
    if (k) out += ",";
    out += canonical(n.kids[k]);
  }
  return out + ")";
}

bool Ast::is_constant(int i) const {
  const Node& n = at(i);
  if (n.kind == Kind::Symbol || n.kind == Kind::Text) return false;
  for (int k : n.kids)
    if (!is_constant(k)) return false;
  return true;
}

}  // namespace soar::verify::detail
