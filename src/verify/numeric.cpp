// Floating-point evaluation. Deterministic: symbol values come from a hash of the symbol name and
// the point index, never from a shared RNG, so every thread gets the same verdicts.
#include "verify/numeric.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <vector>

namespace soar::verify::detail {
namespace {

using C = std::complex<double>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kPositivePoints = 6;
constexpr int kMixedPoints = 4;

std::uint64_t hash(const std::string& name, int point) {
  std::uint64_t h = 1469598103934665603ull;
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  h ^= static_cast<std::uint64_t>(point + 1) * 0x9E3779B97F4A7C15ull;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  return h;
}

// Positive points in (0.6, 2.5), away from 0 and 1 where many expressions coincide; mixed points
// in +-(0.3, 2.5).
double symbol_value(const std::string& name, int point) {
  std::uint64_t h = hash(name, point);
  double u = static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
  if (point < kPositivePoints) return 0.6 + 1.9 * u;
  // The first and last mixed points make every symbol negative (|x| vs x must differ there).
  bool all_negative = point == kPositivePoints || point == kPositivePoints + kMixedPoints - 1;
  double sign = all_negative || (h & 8) ? -1.0 : 1.0;
  return sign * (0.3 + 2.2 * u);
}

bool finite(C z) { return std::isfinite(z.real()) && std::isfinite(z.imag()); }
bool real(C z) { return std::abs(z.imag()) <= 1e-12 * std::max(1.0, std::abs(z.real())); }

// Real odd roots of negative reals ("\sqrt[3]{-8}" is -2, as a reader means it), else principal.
C power(C b, C e) {
  if (real(b) && b.real() < 0 && real(e) && e.real() != 0) {
    double inv = 1.0 / e.real();
    double n = std::round(inv);
    if (std::abs(inv - n) < 1e-9 && std::fmod(std::abs(n), 2.0) == 1.0) return -std::pow(-b.real(), e.real());
  }
  if (real(b) && real(e) && b.real() >= 0) return std::pow(b.real(), e.real());
  if (real(b) && real(e) && std::abs(e.real() - std::round(e.real())) == 0) return std::pow(b.real(), e.real());
  return std::pow(b, e);
}

double double_factorial(double n) {
  if (n < -1 || n != std::floor(n)) return kNaN;
  if (n > 400) return kInf;
  double r = 1;
  for (double k = n; k > 1; k -= 2) r *= k;
  return r;
}

C eval(const Ast& ast, int i, unsigned mask, int point) {
  const Node& n = ast.at(i);
  auto kid = [&](std::size_t k) { return eval(ast, n.kids[k], mask, point); };
  switch (n.kind) {
    case Kind::Number: return std::strtod(n.text.c_str(), nullptr);
    case Kind::Symbol: return symbol_value(n.text, point);
    case Kind::Pi: return M_PI;
    case Kind::Euler: return M_E;
    case Kind::ImagUnit: return C(0, 1);
    case Kind::Infinity: return kInf;
    case Kind::Add: {
      C s = 0;
      for (std::size_t k = 0; k < n.kids.size(); ++k) s += kid(k);
      return s;
    }
    case Kind::Mul: {
      C p = 1;
      for (std::size_t k = 0; k < n.kids.size(); ++k) p *= kid(k);
      return p;
    }
    case Kind::Div: {
      C d = kid(1);
      if (d == C(0)) return kNaN;
      return kid(0) / d;
    }
    case Kind::Neg: return -kid(0);
    case Kind::Pow: return power(kid(0), kid(1));
    case Kind::Factorial: {
      C x = kid(0);
      if (!real(x) || x.real() < 0) return kNaN;
      if (x.real() > 171) return kInf;
      return std::tgamma(x.real() + 1);
    }
    case Kind::DoubleFactorial: {
      C x = kid(0);
      return real(x) ? double_factorial(x.real()) : kNaN;
    }
    case Kind::PlusMinus: {
      double sign = (mask >> n.pm_index) & 1u ? -1.0 : 1.0;
      if (n.kids.size() == 1) return sign * kid(0);
      return kid(0) + sign * kid(1);
    }
    case Kind::Func: {
      const std::string& f = n.text;
      C x = kid(0);
      if (f == "sin") return std::sin(x);
      if (f == "cos") return std::cos(x);
      if (f == "tan") return std::tan(x);
      if (f == "sec") return 1.0 / std::cos(x);
      if (f == "csc") return 1.0 / std::sin(x);
      if (f == "cot") return 1.0 / std::tan(x);
      if (f == "arcsin") return std::asin(x);
      if (f == "arccos") return std::acos(x);
      if (f == "arctan") return std::atan(x);
      if (f == "sinh") return std::sinh(x);
      if (f == "cosh") return std::cosh(x);
      if (f == "tanh") return std::tanh(x);
      if (f == "ln") return std::log(x);
      if (f == "exp") return std::exp(x);
      if (f == "abs") return std::abs(x);
      if (f == "floor") return real(x) ? C(std::floor(x.real())) : C(kNaN);
      if (f == "ceil") return real(x) ? C(std::ceil(x.real())) : C(kNaN);
      if (f == "log") return std::log(x) / std::log(kid(1));
      if (f == "binom") {
        C k = kid(1);
        if (!real(x) || !real(k)) return kNaN;
        // Gamma(n+1) / (Gamma(k+1) Gamma(n-k+1)), signs kept: Gamma is negative on (-1, 0) etc.
        int s1 = 0, s2 = 0, s3 = 0;
        double l = lgamma_r(x.real() + 1, &s1) - lgamma_r(k.real() + 1, &s2) - lgamma_r(x.real() - k.real() + 1, &s3);
        return static_cast<double>(s1 * s2 * s3) * std::exp(l);
      }
      return kNaN;
    }
    default: return kNaN;  // relations, collections, text are not scalars
  }
}

bool close(C a, C b, double tol) {
  double scale = std::max({1.0, std::abs(a), std::abs(b)});
  return std::abs(a - b) <= tol * scale;
}

}  // namespace

double log_gamma(double x) {
  int sign = 0;
  return lgamma_r(x, &sign);
}

C evaluate(const Side& s, int point) { return eval(*s.ast, s.node, s.pm_mask, point); }

Tri numeric_equal(const Side& a, const Side& b, double tol) {
  bool constant = a.ast->is_constant(a.node) && b.ast->is_constant(b.node);
  int points = constant ? 1 : kPositivePoints + kMixedPoints;
  int agreed = 0;
  for (int p = 0; p < points; ++p) {
    C x = evaluate(a, p), y = evaluate(b, p);
    bool fx = finite(x), fy = finite(y);
    if (p < kPositivePoints) {
      if (fx && fy) {
        if (!close(x, y, tol)) return Tri::NotEqual;
        ++agreed;
      } else if (fx != fy && !(std::isnan(x.real()) || std::isnan(y.real()))) {
        return Tri::NotEqual;  // one side finite, the other infinite
      }
    } else if (fx && fy && real(x) && real(y)) {
      if (!close(x, y, tol)) return Tri::NotEqual;
    }
  }
  if (constant) return agreed == 1 ? Tri::Equal : Tri::Unknown;
  return agreed >= 3 ? Tri::Equal : Tri::Unknown;
}

int proportional(const Side& al, const Side& ar, const Side& bl, const Side& br, double tol) {
  std::optional<C> ratio;
  int used = 0;
  for (int p = 0; p < kPositivePoints + kMixedPoints; ++p) {
    C da = evaluate(al, p) - evaluate(ar, p);
    C db = evaluate(bl, p) - evaluate(br, p);
    if (!finite(da) || !finite(db)) continue;
    bool za = std::abs(da) <= tol, zb = std::abs(db) <= tol;
    if (za != zb) return 0;
    if (za) continue;
    C r = da / db;
    if (!ratio) ratio = r;
    else if (!close(r, *ratio, 1e3 * tol)) return 0;
    ++used;
  }
  if (!ratio || used < 3 || !real(*ratio)) return 0;
  return ratio->real() > 0 ? 1 : -1;
}

std::optional<Magnitude> magnitude(const Side& s) {
  const Ast& ast = *s.ast;
  const Node& n = ast.at(s.node);
  auto kid = [&](std::size_t k) { return magnitude(Side{s.ast, n.kids[k], s.pm_mask}); };
  constexpr double kLog10E = 0.43429448190325182765;
  switch (n.kind) {
    case Kind::Number: {
      // Leading digits and the digit count: exact enough for any literal length.
      std::size_t dot = n.text.find('.');
      std::string digits = n.text;
      if (dot != std::string::npos) digits.erase(dot, 1);
      std::size_t first = digits.find_first_not_of('0');
      if (first == std::string::npos) return Magnitude{0, -kInf};
      std::size_t int_len = dot == std::string::npos ? n.text.size() : dot;
      double lead = std::strtod(digits.substr(first, 17).c_str(), nullptr);
      double exponent = static_cast<double>(int_len) - static_cast<double>(first) -
                        static_cast<double>(std::min<std::size_t>(17, digits.size() - first));
      return Magnitude{1, std::log10(lead) + exponent};
    }
    case Kind::Pi: return Magnitude{1, std::log10(M_PI)};
    case Kind::Euler: return Magnitude{1, kLog10E};
    case Kind::Neg: {
      auto m = kid(0);
      if (m) m->sign = -m->sign;
      return m;
    }
    case Kind::Mul:
    case Kind::Div: {
      Magnitude r{1, 0};
      for (std::size_t k = 0; k < n.kids.size(); ++k) {
        auto m = kid(k);
        if (!m || (m->sign == 0 && n.kind == Kind::Div && k == 1)) return std::nullopt;
        r.sign *= m->sign;
        r.log10 += (n.kind == Kind::Div && k == 1) ? -m->log10 : m->log10;
      }
      if (r.sign == 0) return Magnitude{0, -kInf};
      return std::isfinite(r.log10) ? std::optional<Magnitude>(r) : std::nullopt;
    }
    case Kind::Pow: {
      auto b = kid(0);
      if (!b || b->sign == 0) return std::nullopt;
      C e = evaluate(Side{s.ast, n.kids[1], s.pm_mask}, 0);
      if (!finite(e) || !real(e)) {
        // The exponent itself is beyond double range: only its magnitude is known.
        auto me = kid(1);
        if (!me || me->sign <= 0 || b->sign < 0 || me->log10 > 300) return std::nullopt;
        e = std::pow(10.0, me->log10);
      }
      double ev = e.real();
      bool integer = ev == std::floor(ev);
      if (b->sign < 0 && !integer) return std::nullopt;
      int sign = (b->sign < 0 && std::fmod(std::abs(ev), 2.0) == 1.0) ? -1 : 1;
      double l = ev * b->log10;
      return std::isfinite(l) ? std::optional<Magnitude>(Magnitude{sign, l}) : std::nullopt;
    }
    case Kind::Factorial:
    case Kind::DoubleFactorial: {
      auto m = kid(0);
      if (!m || m->sign < 0 || m->log10 > 300) return std::nullopt;
      double x = m->sign == 0 ? 0 : std::pow(10.0, m->log10);
      if (x < 1e15) {  // small enough to be evaluated exactly as a double
        C v = evaluate(Side{s.ast, n.kids[0], s.pm_mask}, 0);
        if (!real(v) || v.real() != std::floor(v.real())) return std::nullopt;
        x = v.real();
      }
      double l;
      if (n.kind == Kind::Factorial) {
        l = log_gamma(x + 1) * kLog10E;
      } else if (std::fmod(x, 2.0) == 0) {  // (2k)!! = 2^k k!
        double k = x / 2;
        l = k * std::log10(2.0) + log_gamma(k + 1) * kLog10E;
      } else {  // (2k-1)!! = (2k)! / (2^k k!)
        double k = (x + 1) / 2;
        l = (log_gamma(2 * k + 1) - log_gamma(k + 1)) * kLog10E - k * std::log10(2.0);
      }
      return std::isfinite(l) ? std::optional<Magnitude>(Magnitude{1, l}) : std::nullopt;
    }
    case Kind::Add: {
      std::vector<Magnitude> terms;
      for (std::size_t k = 0; k < n.kids.size(); ++k) {
        auto m = kid(k);
        if (!m) return std::nullopt;
        if (m->sign != 0) terms.push_back(*m);
      }
      if (terms.empty()) return Magnitude{0, -kInf};
      std::sort(terms.begin(), terms.end(), [](auto& x, auto& y) { return x.log10 > y.log10; });
      bool same_sign = std::all_of(terms.begin(), terms.end(), [&](auto& t) { return t.sign == terms[0].sign; });
      // With mixed signs, only a term that dwarfs the rest fixes the magnitude.
      if (!same_sign && terms.size() > 1 && terms[1].log10 > terms[0].log10 - 30) return std::nullopt;
      double sum = 0;
      for (auto& t : terms) sum += t.sign * terms[0].sign * std::pow(10.0, t.log10 - terms[0].log10);
      return Magnitude{terms[0].sign, terms[0].log10 + std::log10(sum)};
    }
    default: return std::nullopt;
  }
}

}  // namespace soar::verify::detail
