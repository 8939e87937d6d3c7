// Bridge from the verifier's AST to GiNaC expressions, with all size checks up front.
#include "verify/symbolic.h"

#include <ginac/ginac.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <complex>
#include <map>
#include <mutex>
#include <sstream>

namespace soar::verify::detail {
namespace {

std::mutex g_ginac_mutex;  // see symbolic.h: GiNaC's shared state needs serialised access

struct Budget {
  std::string message;
};
struct Unsupported {
  std::string message;
};

std::string str(const GiNaC::numeric& x) {
  std::ostringstream out;
  out << x;
  std::string s = out.str();
  return s.size() <= 40 ? s : s.substr(0, 37) + "...";
}

// A count for a message; doubles beyond long long range are UB to convert (a fuzzer find).
std::string approx(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", d);
  return buf;
}

constexpr double kLog10of2 = 0.30102999566398119521;

double digits(const GiNaC::numeric& x) {
  auto part = [](const GiNaC::numeric& r) {
    return (r.numer().int_length() + r.denom().int_length()) * kLog10of2;
  };
  return part(x.real()) + part(x.imag()) + 1;
}

class Builder {
 public:
  Builder(const Ast& ast, unsigned mask, const Limits& limits, double& spent,
          std::map<std::string, GiNaC::ex>& symbols)
      : ast_(ast), mask_(mask), limits_(limits), spent_(spent), symbols_(symbols) {}

  GiNaC::ex build(int i) {
    const Node& n = ast_.at(i);
    switch (n.kind) {
      case Kind::Number: return number(n.text);
      case Kind::Symbol: return symbol(n.text);
      case Kind::Pi: return GiNaC::Pi;
      case Kind::Euler: return GiNaC::exp(GiNaC::ex(1));
      case Kind::ImagUnit: return GiNaC::I;
      case Kind::Add: {
        GiNaC::ex s = 0;
        for (int k : n.kids) s += build(k);
        return s;
      }
      case Kind::Mul: {
        GiNaC::ex p = 1;
        for (int k : n.kids) p *= build(k);
        return p;
      }
      case Kind::Div: {
        GiNaC::ex d = build(n.kids[1]);
        if (d.is_zero()) throw Unsupported{"division by zero"};
        return build(n.kids[0]) / d;
      }
      case Kind::Neg: return -build(n.kids[0]);
      case Kind::Pow: return power(build(n.kids[0]), build(n.kids[1]));
      case Kind::Factorial:
      case Kind::DoubleFactorial: return factorial(build(n.kids[0]), n.kind == Kind::DoubleFactorial);
      case Kind::PlusMinus: {
        int sign = (mask_ >> n.pm_index) & 1u ? -1 : 1;
        if (n.kids.size() == 1) return sign * build(n.kids[0]);
        return build(n.kids[0]) + sign * build(n.kids[1]);
      }
      case Kind::Func: return function(n);
      default: throw Unsupported{"not a scalar"};
    }
  }

 private:
  GiNaC::ex number(const std::string& text) {
    std::size_t dot = text.find('.');
    if (dot == std::string::npos) return GiNaC::numeric(text.c_str());
    std::string all = text.substr(0, dot) + text.substr(dot + 1);
    std::size_t scale = text.size() - dot - 1;
    all.erase(0, std::min(all.find_first_not_of('0'), all.size() - 1));
    return GiNaC::numeric(all.c_str()) / GiNaC::pow(GiNaC::numeric(10), GiNaC::numeric(static_cast<long>(scale)));
  }

  GiNaC::ex symbol(const std::string& name) {
    auto it = symbols_.find(name);
    if (it == symbols_.end()) it = symbols_.emplace(name, GiNaC::realsymbol(name)).first;
    return it->second;
  }

  void spend(double d, const char* what) {
    if (d > limits_.max_result_digits)
      throw Budget{std::string(what) + " of about " + approx(d) + " digits"};
    spent_ += d;
    if (spent_ > limits_.max_total_digits) throw Budget{"total digits over budget"};
  }

  // Digits GiNaC may have to write out when it evaluates a power of `e`: every number in it, since
  // (a^(1/3))^64 becomes a^21 * a^(1/3) and (a*b)^n becomes a^n * b^n.
  static double size_digits(const GiNaC::ex& e) {
    double d = 0;
    for (GiNaC::const_preorder_iterator it = e.preorder_begin(); it != e.preorder_end(); ++it) {
      if (GiNaC::is_exactly_a<GiNaC::numeric>(*it)) d += digits(GiNaC::ex_to<GiNaC::numeric>(*it));
      else if (it->nops() == 0) d += 1;
    }
    return d;
  }

  GiNaC::ex power(const GiNaC::ex& b, const GiNaC::ex& e) {
    if (!GiNaC::is_exactly_a<GiNaC::numeric>(e)) {  // symbolic exponent: nothing is evaluated now
      if (b.is_zero()) throw Unsupported{"0 to a symbolic power"};
      return GiNaC::pow(b, e);
    }
    const GiNaC::numeric& en = GiNaC::ex_to<GiNaC::numeric>(e);
    if (!en.is_rational()) throw Unsupported{"non-rational exponent"};
    GiNaC::numeric p = abs(en.numer());
    if (en.denom() > 1000) throw Budget{"root of degree over 1000"};
    if (b.is_zero() && !en.is_positive()) throw Unsupported{"0 to a power <= 0"};
    bool numeric_base = GiNaC::is_exactly_a<GiNaC::numeric>(b);
    if (!numeric_base && p > limits_.max_symbolic_exponent)
      throw Budget{"exponent of " + std::to_string(p.int_length()) + " bits on a non-number exceeds " +
                   std::to_string(limits_.max_symbolic_exponent)};
    // Result size ~ p * size(b); compared in double first so that a huge p cannot overflow.
    double pd = p.to_double();
    double bd = size_digits(b);
    if (pd > 1e12 || pd * bd > limits_.max_result_digits)
      throw Budget{"power of about " + approx(pd * bd) + " digits"};
    spend(pd * bd, "power");
    return GiNaC::pow(b, e);
  }

  GiNaC::ex factorial(const GiNaC::ex& x, bool twice) {
    if (!GiNaC::is_exactly_a<GiNaC::numeric>(x)) {
      if (twice) throw Unsupported{"symbolic double factorial"};
      return GiNaC::factorial(x);
    }
    const GiNaC::numeric& n = GiNaC::ex_to<GiNaC::numeric>(x);
    if (!n.is_nonneg_integer()) throw Unsupported{"factorial of " + str(n)};
    if (n > 1000000) throw Budget{"factorial of a number of " + std::to_string(n.int_length()) + " bits"};
    double v = n.to_double();
    double d = (twice ? log_gamma(v / 2 + 1) + v / 2 * std::log(2.0) : log_gamma(v + 1)) / std::log(10.0);
    spend(d, "factorial");
    return twice ? GiNaC::ex(GiNaC::doublefactorial(n)) : GiNaC::ex(GiNaC::factorial(n));
  }

  // GiNaC throws (and leaks the half-built object) at poles: log(0), tan(pi/2), 1/log(1). Poles of
  // constant arguments are found first with the double evaluator.
  void check_pole(const Node& n) {
    const std::string& f = n.text;
    if (!ast_.is_constant(n.kids[0])) return;
    std::complex<double> v = evaluate(Side{&ast_, n.kids[0], mask_}, 0);
    auto near = [](double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)); };
    if (f == "ln" || f == "log") {
      if (std::abs(v) < 1e-12) throw Unsupported{"log of 0"};
      if (n.kids.size() > 1 && ast_.is_constant(n.kids[1])) {
        std::complex<double> base = evaluate(Side{&ast_, n.kids[1], mask_}, 0);
        if (std::abs(base) < 1e-12 || std::abs(base - 1.0) < 1e-12) throw Unsupported{"log base 0 or 1"};
      }
    }
    double half_turns = v.real() / (M_PI / 2);  // poles of tan/sec at odd multiples, cot/csc at even
    bool odd = near(half_turns, std::round(half_turns)) && std::fmod(std::abs(std::round(half_turns)), 2.0) == 1.0;
    bool even = near(half_turns, std::round(half_turns)) && std::fmod(std::abs(std::round(half_turns)), 2.0) == 0.0;
    if (std::abs(v.imag()) < 1e-12 && (((f == "tan" || f == "sec") && odd) || ((f == "cot" || f == "csc") && even)))
      throw Unsupported{f + " at a pole"};
    if ((f == "arctan") && std::abs(v.real()) < 1e-12 && near(std::abs(v.imag()), 1.0)) throw Unsupported{"arctan at a pole"};
  }

  GiNaC::ex function(const Node& n) {
    const std::string& f = n.text;
    check_pole(n);
    GiNaC::ex x = build(n.kids[0]);
    if (f == "sin") return GiNaC::sin(x);
    if (f == "cos") return GiNaC::cos(x);
    if (f == "tan") return GiNaC::tan(x);
    if (f == "sec") return 1 / GiNaC::cos(x);
    if (f == "csc") return 1 / GiNaC::sin(x);
    if (f == "cot") return GiNaC::cos(x) / GiNaC::sin(x);
    if (f == "arcsin") return GiNaC::asin(x);
    if (f == "arccos") return GiNaC::acos(x);
    if (f == "arctan") return GiNaC::atan(x);
    if (f == "sinh") return GiNaC::sinh(x);
    if (f == "cosh") return GiNaC::cosh(x);
    if (f == "tanh") return GiNaC::tanh(x);
    if (f == "ln") return GiNaC::log(x);
    if (f == "exp") return GiNaC::exp(x);
    if (f == "abs") return GiNaC::abs(x);
    if (f == "log") {
      GiNaC::ex base = GiNaC::log(build(n.kids[1]));
      if (base.is_zero()) throw Unsupported{"log base 1"};
      return GiNaC::log(x) / base;
    }
    if (f == "binom") {
      GiNaC::ex k = build(n.kids[1]);
      if (GiNaC::is_exactly_a<GiNaC::numeric>(x) && GiNaC::is_exactly_a<GiNaC::numeric>(k)) {
        const auto& nn = GiNaC::ex_to<GiNaC::numeric>(x);
        const auto& kn = GiNaC::ex_to<GiNaC::numeric>(k);
        if (!nn.is_integer() || !kn.is_integer()) throw Unsupported{"binomial of non-integers"};
        if (nn > 1000000) throw Budget{"binomial of a number of " + std::to_string(nn.int_length()) + " bits"};
        double nv = nn.to_double(), kv = kn.to_double();
        if (kv >= 0 && kv <= nv)
          spend((log_gamma(nv + 1) - log_gamma(kv + 1) - log_gamma(nv - kv + 1)) / std::log(10.0), "binomial");
        return GiNaC::binomial(x, k);
      }
      throw Unsupported{"symbolic binomial"};
    }
    throw Unsupported{"function " + f};
  }

  const Ast& ast_;
  unsigned mask_;
  const Limits& limits_;
  double& spent_;
  std::map<std::string, GiNaC::ex>& symbols_;
};

// Upper bound on the number of terms after expand(), computed without expanding. With
// `denominators`, (sum)^-k counts as (sum)^k: normal() expands denominators too (a fuzzer find:
// normal() of 20/(... (x+1)^20 (...)^20) asked GiNaC for a vector of 5e11 terms).
double expanded_terms(const GiNaC::ex& e, bool denominators = false) {
  if (GiNaC::is_exactly_a<GiNaC::add>(e)) {
    double s = 0;
    for (const auto& t : e) s += expanded_terms(t, denominators);
    return s;
  }
  if (GiNaC::is_exactly_a<GiNaC::mul>(e)) {
    double p = 1;
    for (const auto& t : e) p *= expanded_terms(t, denominators);
    return p;
  }
  if (GiNaC::is_exactly_a<GiNaC::power>(e)) {
    const GiNaC::ex& k = e.op(1);
    double base = expanded_terms(e.op(0), denominators);
    bool integer = GiNaC::is_exactly_a<GiNaC::numeric>(k) && GiNaC::ex_to<GiNaC::numeric>(k).is_integer();
    bool counted = integer && (GiNaC::ex_to<GiNaC::numeric>(k).is_positive() || denominators);
    if (counted && !std::isfinite(base)) return base;
    // lgamma(base + k) - lgamma(base) cancels to nothing for a huge base (3.9e17 gave 1 term: a
    // fuzzer find); with k >= 2 there are at least base^2 / 2 terms anyway.
    if (counted && base > 1e6) return base * base;
    if (counted && base > 1) {
      double kd = std::abs(GiNaC::ex_to<GiNaC::numeric>(k).to_double());
      // multinomial: C(base + k - 1, k) terms
      return std::exp(log_gamma(base + kd) - log_gamma(kd + 1) - log_gamma(base));
    }
    // expand() also expands inside the exponent ("x^{(a+b)^{20}}": a fuzzer find).
    return std::max(base, expanded_terms(k, denominators));
  }
  // A function's arguments are expanded too; the function itself stays one term.
  double inner = 1;
  for (std::size_t i = 0; i < e.nops(); ++i) inner = std::max(inner, expanded_terms(e.op(i), denominators));
  return inner;
}

// expand() also rewrites symbolic exponents: b^(x+n) -> b^x * b^n, then evaluates b^n or expands
// (sum)^n. With n = 10^20 that never returns (a fuzzer find). So a power with a non-numeric
// exponent is only expanded when its base is not a sum/product and every number in the exponent is
// a small rational.
bool safe_to_expand(const GiNaC::ex& e, long max_exponent) {
  for (GiNaC::const_preorder_iterator it = e.preorder_begin(); it != e.preorder_end(); ++it) {
    if (!GiNaC::is_exactly_a<GiNaC::power>(*it) || GiNaC::is_exactly_a<GiNaC::numeric>(it->op(1))) continue;
    if (GiNaC::is_exactly_a<GiNaC::add>(it->op(0)) || GiNaC::is_exactly_a<GiNaC::mul>(it->op(0))) return false;
    const GiNaC::ex& exponent = it->op(1);
    for (GiNaC::const_preorder_iterator k = exponent.preorder_begin(); k != exponent.preorder_end(); ++k) {
      if (!GiNaC::is_exactly_a<GiNaC::numeric>(*k)) continue;
      const GiNaC::numeric& n = GiNaC::ex_to<GiNaC::numeric>(*k);
      if (!n.is_rational() || abs(n.numer()) > max_exponent || n.denom() > max_exponent) return false;
    }
  }
  return true;
}

}  // namespace

SymbolicResult symbolic_compare(const Side& a, const Side& b, const Limits& limits) {
  SymbolicResult r;
  std::lock_guard<std::mutex> lock(g_ginac_mutex);
  try {
    double spent = 0;
    // One symbol table for both sides: "x" on the left is "x" on the right.
    std::map<std::string, GiNaC::ex> symbols;
    Builder ba(*a.ast, a.pm_mask, limits, spent, symbols);
    GiNaC::ex ea = ba.build(a.node);
    Builder bb(*b.ast, b.pm_mask, limits, spent, symbols);
    GiNaC::ex eb = bb.build(b.node);
    if (GiNaC::is_exactly_a<GiNaC::numeric>(ea) && GiNaC::is_exactly_a<GiNaC::numeric>(eb)) {
      const auto& na = GiNaC::ex_to<GiNaC::numeric>(ea);
      const auto& nb = GiNaC::ex_to<GiNaC::numeric>(eb);
      if (na.is_crational() && nb.is_crational()) {
        r.exact = true;
        r.result = na == nb ? Tri::Equal : Tri::NotEqual;
        r.reason = na == nb ? "equal exact numbers" : "different exact numbers";
        return r;
      }
    }
    GiNaC::ex diff = ea - eb;
    if (diff.is_zero()) {
      r.result = Tri::Equal;
      r.reason = "symbolic difference is zero";
      return r;
    }
    if (!safe_to_expand(diff, limits.max_symbolic_exponent)) {
      r.over_budget = true;
      r.reason = "symbolic exponent too large to expand";
      return r;
    }
    double terms = expanded_terms(diff);
    // NaN-safe: a base estimate that overflowed to inf gives inf - inf in the multinomial (a
    // fuzzer find), and NaN > limit is false.
    if (!(terms <= limits.max_expanded_terms)) {
      r.over_budget = true;
      r.reason = "expansion to about " + approx(terms) + " terms not attempted";
      return r;
    }
    GiNaC::ex expanded = diff.expand();
    if (expanded.is_zero()) {
      r.result = Tri::Equal;
      r.reason = "expanded difference is zero";
      return r;
    }
    if (GiNaC::is_exactly_a<GiNaC::numeric>(expanded) && GiNaC::ex_to<GiNaC::numeric>(expanded).is_crational()) {
      r.result = Tri::NotEqual;
      r.reason = "difference is a nonzero constant";
      return r;
    }
    // normal() cancels rational functions; its gcd work is kept small by the size of the input.
    if (expanded.nops() <= 40 && a.ast->nodes.size() + b.ast->nodes.size() <= 120 &&
        expanded_terms(diff, true) <= limits.max_expanded_terms) {
      if (diff.normal().is_zero()) {
        r.result = Tri::Equal;
        r.reason = "normalised difference is zero";
        return r;
      }
    }
    r.reason = "symbolic difference not shown zero";
  } catch (const Budget& e) {
    r.over_budget = true;
    r.reason = e.message;
  } catch (const Unsupported& e) {
    r.reason = e.message;
  } catch (const std::exception& e) {  // GiNaC/CLN domain errors (pole, division by zero)
    r.reason = std::string("GiNaC: ") + e.what();
  }
  return r;
}

}  // namespace soar::verify::detail
