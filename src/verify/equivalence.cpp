// Structural equivalence: which parts of two answers must match and how (ordered, unordered,
// flipped), down to scalar comparisons. Recursion follows the trees, whose depth the parser bounds.
#include "verify/equivalence.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "verify/symbolic.h"

namespace soar::verify::detail {
namespace {

bool is_inequality(char op) { return op == '<' || op == '>' || op == 'l' || op == 'g'; }

class Comparer {
 public:
  Comparer(const Ast& g, const Ast& p, const Limits& limits, double tol)
      : g_(g), p_(p), limits_(limits), tol_(tol) {}

  Equivalence run() {
    Tri t = nodes(g_.root, p_.root);
    Equivalence e;
    e.result = t;
    e.over_budget = over_budget_;
    e.reason = reason_;
    return e;
  }

 private:
  const Node& G(int i) const { return g_.at(i); }
  const Node& P(int i) const { return p_.at(i); }

  Tri decide(Tri t, std::string why) {
    reason_ = std::move(why);
    return t;
  }

  // What names a value rather than being one: "x", "f(x)", "PQ", "S_1:S_2", "\frac{AM}{MC}", "(a,b,c)".
  static bool is_label(const Ast& a, int i) {
    const Node& n = a.at(i);
    auto all_symbols = [&](const Node& m) {
      for (int k : m.kids)
        if (a.at(k).kind != Kind::Symbol) return false;
      return !m.kids.empty();
    };
    switch (n.kind) {
      case Kind::Symbol: return true;
      case Kind::Mul: return n.text == "call" || all_symbols(n);
      case Kind::Div: return is_label(a, n.kids[0]) && is_label(a, n.kids[1]) && a.at(n.kids[0]).kind != Kind::Div;
      case Kind::Tuple: return n.open == '(' && all_symbols(n);
      default: return false;
    }
  }
  // "x = 3", "x \in (1,2)", "PQ = 3": a label on the left of a single link.
  static bool is_named_value(const Ast& a, int i) {
    const Node& n = a.at(i);
    if (n.kind != Kind::Relation || n.text.size() != 1 || (n.text[0] != '=' && n.text[0] != 'i')) return false;
    return is_label(a, n.kids[0]);
  }
  // "y = 2+3+4 = 9", "C(n,4) = \frac{n!}{4!(n-4)!}": a chain of '=' whose last side is the value.
  static bool is_equation_chain(const Ast& a, int i) {
    const Node& n = a.at(i);
    return n.kind == Kind::Relation && n.text.find_first_not_of('=') == std::string::npos;
  }
  static bool is_collection(Kind k) { return k == Kind::List || k == Kind::Set || k == Kind::Tuple; }

  Tri nodes(int gi, int pi) {
    const Node& g = G(gi);
    const Node& p = P(pi);
    if (g.kind == Kind::Text || p.kind == Kind::Text) {
      bool same = g.kind == Kind::Text && p.kind == Kind::Text && g.text == p.text;
      return decide(same ? Tri::Equal : Tri::NotEqual, same ? "same text" : "text differs");
    }
    if (auto t = solutions(gi, pi)) return *t;
    // A gold value accepts "x = value" and the last side of "expr = ... = value"; a gold
    // "x = value" (or "x = y = value") accepts the value.
    if (g.kind != Kind::Relation && is_named_value(p_, pi)) return nodes(gi, p.kids[1]);
    if (g.kind != Kind::Relation && is_equation_chain(p_, pi)) return nodes(gi, p.kids.back());
    if (p.kind != Kind::Relation && is_named_value(g_, gi)) return nodes(g.kids[1], pi);
    if (p.kind != Kind::Relation && labelled_chain(g_, gi)) return nodes(g.kids.back(), pi);
    if (g.kind == Kind::Relation) return relation(gi, pi);
    if (p.kind == Kind::Relation) return decide(Tri::NotEqual, "answer is a relation, gold is not");
    if (g.kind == Kind::Union || p.kind == Kind::Union) return unions(gi, pi);
    if (is_collection(g.kind) || is_collection(p.kind)) return collections(gi, pi);
    return scalar(gi, pi);
  }

  // "x = y = 0": labels, then the value they all name.
  static bool labelled_chain(const Ast& a, int i) {
    if (!is_equation_chain(a, i) || a.at(i).text.size() < 2) return false;
    const Node& n = a.at(i);
    for (std::size_t k = 0; k + 1 < n.kids.size(); ++k)
      if (a.at(n.kids[k]).kind != Kind::Symbol) return false;
    return true;
  }

  // ---- solutions: labelled values ---------------------------------------------------------
  // One solution is the values its labels name, in the order written: "x=1, y=2", "(x,y)=(1,2)",
  // "x=y=0". Several: "x=1, y=1 and x=3, y=2" (a repeated label starts the next one),
  // "a=3,b=1; a=5,b=1", "(x,y)=(1,1), (x,y)=(3,2)". The bare form is the values alone: "(1,2)",
  // "(1,1), (3,2)", "1, 2".
  using Solution = std::vector<std::pair<std::string, int>>;

  static bool labelled_item(const Ast& a, int i, std::vector<Solution>& out) {
    const Node& n = a.at(i);
    if (labelled_chain(a, i)) {
      Solution s;
      for (std::size_t k = 0; k + 1 < n.kids.size(); ++k) s.emplace_back(a.canonical(n.kids[k]), n.kids.back());
      out.push_back(std::move(s));
      out.emplace_back();  // complete: what follows starts the next solution
      return true;
    }
    if (!is_named_value(a, i) || n.text[0] != '=') return false;
    const Node& lhs = a.at(n.kids[0]);
    const Node& rhs = a.at(n.kids[1]);
    if (lhs.kind == Kind::Tuple) {
      if (rhs.kind != Kind::Tuple || rhs.kids.size() != lhs.kids.size()) return false;
      Solution s;
      for (std::size_t k = 0; k < lhs.kids.size(); ++k) s.emplace_back(a.canonical(lhs.kids[k]), rhs.kids[k]);
      out.push_back(std::move(s));
      out.emplace_back();
      return true;
    }
    // A single "x = v" joins the current solution unless x is already in it.
    std::string label = a.canonical(n.kids[0]);
    bool repeat = false;
    if (!out.empty())
      for (const auto& entry : out.back()) repeat = repeat || entry.first == label;
    if (out.empty() || repeat) out.emplace_back();
    out.back().emplace_back(label, n.kids[1]);
    return true;
  }

  static std::optional<std::vector<Solution>> labelled(const Ast& a, int i) {
    std::vector<Solution> out;
    const Node& n = a.at(i);
    if (is_collection(n.kind) && !(n.kind == Kind::Tuple && n.open != '(')) {
      for (int k : n.kids) {
        if (a.at(k).kind == Kind::Tuple && a.at(k).open == '(' && out.size() >= 2 && out.back().empty() &&
            out[out.size() - 2].size() == a.at(k).kids.size()) {
          // "(x, y) = (1, 1) and (3, 2)": a bare tuple after a labelled one takes its labels.
          Solution s = out[out.size() - 2];
          for (std::size_t j = 0; j < s.size(); ++j) s[j].second = a.at(k).kids[j];
          out.push_back(std::move(s));
          out.emplace_back();
        } else if (is_collection(a.at(k).kind)) {  // "(x=1, y=2) and (x=2, y=1)": one solution per group
          std::vector<Solution> inner;
          for (int m : a.at(k).kids)
            if (!labelled_item(a, m, inner)) return std::nullopt;
          if (inner.size() != 1) return std::nullopt;
          out.push_back(std::move(inner[0]));
          out.emplace_back();  // the next item starts a new solution
        } else if (!labelled_item(a, k, out)) {
          return std::nullopt;
        }
      }
    } else if (!labelled_item(a, i, out)) {
      return std::nullopt;
    }
    std::erase_if(out, [](const Solution& s) { return s.empty(); });
    return out;
  }

  static std::vector<std::vector<int>> bare(const Ast& a, int i) {
    const Node& n = a.at(i);
    if (n.kind == Kind::Tuple && n.open == '(') return {n.kids};
    if (n.kind == Kind::List || n.kind == Kind::Set) {
      std::vector<std::vector<int>> out;
      for (int k : n.kids) {
        if (a.at(k).kind != Kind::Tuple || a.at(k).open != '(') return {n.kids};  // "1, 2": one solution
        out.push_back(a.at(k).kids);
      }
      return out;
    }
    return {{i}};
  }

  // Only where labels are what differs: several labels or several solutions on one side.
  std::optional<Tri> solutions(int gi, int pi) {
    auto gl = labelled(g_, gi), pl = labelled(p_, pi);
    auto worth = [](const std::optional<std::vector<Solution>>& l) {
      return l && !l->empty() && (l->size() > 1 || l->front().size() > 1);
    };
    if (!worth(gl) && !worth(pl)) return std::nullopt;
    if (gl && pl) {
      if (gl->size() != pl->size()) return decide(Tri::NotEqual, "different number of solutions");
      std::vector<bool> used(pl->size(), false);
      for (const Solution& gs : *gl) {
        bool matched = false;
        for (std::size_t k = 0; k < pl->size() && !matched; ++k) {
          const Solution& ps = (*pl)[k];
          if (used[k] || ps.size() != gs.size()) continue;
          bool all = true;
          for (const auto& entry : gs) {  // (no structured binding: clang 14 cannot capture one)
            auto it = std::find_if(ps.begin(), ps.end(), [&](const auto& e) { return e.first == entry.first; });
            all = all && it != ps.end() && nodes(entry.second, it->second) == Tri::Equal;
          }
          if (all) used[k] = matched = true;
        }
        if (!matched) return decide(Tri::NotEqual, "a labelled solution has no match");
      }
      return decide(Tri::Equal, "same labelled solutions");
    }
    // One side labelled, the other bare: values in the labelled side's order.
    bool gold_labelled = gl.has_value();
    const std::vector<Solution>& l = gold_labelled ? *gl : *pl;
    std::vector<std::vector<int>> b = gold_labelled ? bare(p_, pi) : bare(g_, gi);
    // "x = 1, x = 2" against "1, 2": one variable, so each listed value is a solution.
    bool one_label = std::all_of(l.begin(), l.end(), [](const Solution& s) { return s.size() == 1; });
    if (one_label && b.size() == 1 && b[0].size() == l.size() && l.size() > 1) {
      std::vector<std::vector<int>> split;
      for (int v : b[0]) split.push_back({v});
      b = std::move(split);
    }
    if (l.size() != b.size()) return decide(Tri::NotEqual, "different number of solutions");
    std::vector<bool> used(b.size(), false);
    for (const Solution& s : l) {
      bool matched = false;
      for (std::size_t k = 0; k < b.size() && !matched; ++k) {
        if (used[k] || b[k].size() != s.size()) continue;
        bool all = true;
        for (std::size_t j = 0; j < s.size() && all; ++j)
          all = (gold_labelled ? nodes(s[j].second, b[k][j]) : nodes(b[k][j], s[j].second)) == Tri::Equal;
        if (all) used[k] = matched = true;
      }
      if (!matched) return decide(Tri::NotEqual, "a solution has no match");
    }
    return decide(Tri::Equal, "same solutions, labels dropped");
  }

  // ---- collections ------------------------------------------------------------------------
  std::vector<int> items(const Ast& a, int i) const {
    const Node& n = a.at(i);
    if (is_collection(n.kind)) return n.kids;
    return {i};
  }

  Tri collections(int gi, int pi) {
    const Node& g = G(gi);
    const Node& p = P(pi);
    auto gs = items(g_, gi);
    auto ps = items(p_, pi);
    if (g.kind == Kind::Tuple && p.kind == Kind::Tuple && (g.open != p.open || g.close != p.close))
      return decide(Tri::NotEqual, "different brackets");
    // A tuple is ordered; gold tuple vs bare list "1, 2" compares in order too.
    bool ordered = (g.kind == Kind::Tuple && (p.kind == Kind::Tuple || p.kind == Kind::List)) ||
                   (p.kind == Kind::Tuple && g.kind == Kind::List);
    if ((g.kind == Kind::Tuple && p.kind == Kind::Set) || (g.kind == Kind::Set && p.kind == Kind::Tuple))
      return decide(Tri::NotEqual, "set vs tuple");
    // "\pm 2" against "2, -2": the sign choices of one side against the items of the other.
    if (!is_collection(g.kind) && !pm_nodes(g_, gi).empty() && p.kind != Kind::Tuple) return pm_set(gi, ps, true);
    if (!is_collection(p.kind) && !pm_nodes(p_, pi).empty() && g.kind != Kind::Tuple) return pm_set(pi, gs, false);
    if (gs.size() != ps.size()) return decide(Tri::NotEqual, "different number of items");
    if (ordered) {
      for (std::size_t k = 0; k < gs.size(); ++k) {
        Tri t = nodes(gs[k], ps[k]);
        if (t != Tri::Equal) return t;
      }
      return decide(Tri::Equal, "items equal in order");
    }
    return unordered(gs, ps);
  }

  // Each gold item matched with a distinct predicted item (greedy is exact for an equivalence).
  Tri unordered(const std::vector<int>& gs, const std::vector<int>& ps) {
    std::vector<bool> used(ps.size(), false);
    std::vector<bool> done(gs.size(), false);
    // Identical items pair up first, by text alone: a shuffled long set costs no comparisons.
    for (std::size_t i = 0; i < gs.size(); ++i) {
      std::string key = g_.canonical(gs[i]);
      for (std::size_t k = 0; k < ps.size() && !done[i]; ++k)
        if (!used[k] && p_.canonical(ps[k]) == key) used[k] = done[i] = true;
    }
    bool unknown = false;
    for (std::size_t i = 0; i < gs.size(); ++i) {
      if (done[i]) continue;
      int gi = gs[i];
      bool matched = false;
      for (std::size_t k = 0; k < ps.size() && !matched; ++k) {
        if (used[k]) continue;
        Tri t = nodes(gi, ps[k]);
        if (t == Tri::Equal) used[k] = matched = true;
        else if (t == Tri::Unknown) unknown = true;
      }
      if (!matched) return unknown ? Tri::Unknown : decide(Tri::NotEqual, "an item has no match");
    }
    return decide(Tri::Equal, "same items");
  }

  Tri unions(int gi, int pi) {
    if (G(gi).kind != Kind::Union || P(pi).kind != Kind::Union)
      return decide(Tri::NotEqual, "union vs non-union");
    if (G(gi).kids.size() != P(pi).kids.size()) return decide(Tri::NotEqual, "different number of parts");
    return unordered(G(gi).kids, P(pi).kids);
  }

  // ---- relations ----------------------------------------------------------------------------
  struct Interval {
    int lo = -1, hi = -1;  // -1: unbounded
    bool lo_closed = false, hi_closed = false;
    std::string var;
  };

  // "x > 2", "2 < x <= 5": the interval of the variable; nullopt for other relations.
  static std::optional<Interval> as_interval(const Ast& a, int i) {
    const Node& n = a.at(i);
    if (n.kind != Kind::Relation) return std::nullopt;
    for (char op : n.text)
      if (!is_inequality(op)) return std::nullopt;
    auto less = [](char op) { return op == '<' || op == 'l'; };
    Interval r;
    if (n.text.size() == 1) {
      int x = n.kids[0], v = n.kids[1];
      bool var_left = a.at(x).kind == Kind::Symbol;
      if (!var_left && a.at(v).kind != Kind::Symbol) return std::nullopt;
      if (!var_left) std::swap(x, v);
      r.var = a.at(x).text;
      bool upper = less(n.text[0]) == var_left;  // x < v or v > x: v is the upper bound
      bool closed = n.text[0] == 'l' || n.text[0] == 'g';
      if (upper) { r.hi = v; r.hi_closed = closed; }
      else { r.lo = v; r.lo_closed = closed; }
      return r;
    }
    if (n.text.size() == 2 && less(n.text[0]) == less(n.text[1]) && a.at(n.kids[1]).kind == Kind::Symbol) {
      r.var = a.at(n.kids[1]).text;
      int first = n.kids[0], last = n.kids[2];
      bool c1 = n.text[0] == 'l' || n.text[0] == 'g', c2 = n.text[1] == 'l' || n.text[1] == 'g';
      if (less(n.text[0])) { r.lo = first; r.lo_closed = c1; r.hi = last; r.hi_closed = c2; }
      else { r.lo = last; r.lo_closed = c2; r.hi = first; r.hi_closed = c1; }
      return r;
    }
    return std::nullopt;
  }

  // "(a, b]" as an interval; the infinite ends become unbounded.
  std::optional<Interval> tuple_interval(const Ast& a, int i) const {
    const Node& n = a.at(i);
    if (n.kind != Kind::Tuple || n.kids.size() != 2) return std::nullopt;
    Interval r;
    r.lo = infinity_sign(a, n.kids[0]) == -1 ? -1 : n.kids[0];
    r.hi = infinity_sign(a, n.kids[1]) == 1 ? -1 : n.kids[1];
    r.lo_closed = n.open == '[';
    r.hi_closed = n.close == ']';
    return r;
  }

  Tri intervals(const Interval& gi, const Interval& pi) {
    bool g_unb_lo = gi.lo < 0, g_unb_hi = gi.hi < 0;
    if (g_unb_lo != (pi.lo < 0) || g_unb_hi != (pi.hi < 0)) return decide(Tri::NotEqual, "different unbounded ends");
    if ((!g_unb_lo && gi.lo_closed != pi.lo_closed) || (!g_unb_hi && gi.hi_closed != pi.hi_closed))
      return decide(Tri::NotEqual, "different open/closed ends");
    if (!g_unb_lo) {
      Tri t = nodes(gi.lo, pi.lo);
      if (t != Tri::Equal) return t;
    }
    if (!g_unb_hi) {
      Tri t = nodes(gi.hi, pi.hi);
      if (t != Tri::Equal) return t;
    }
    return decide(Tri::Equal, "same interval");
  }

  Tri relation(int gi, int pi) {
    const Node& g = G(gi);
    const Node& p = P(pi);
    if (auto gint = as_interval(g_, gi)) {
      // A gold inequality accepts the matching interval (not the reverse: see nodes()).
      if (auto pint = tuple_interval(p_, pi)) return intervals(*gint, *pint);
      if (auto pint = as_interval(p_, pi)) {
        if (pint->var != gint->var) return decide(Tri::NotEqual, "different variables");
        return intervals(*gint, *pint);
      }
      if (is_named_value(p_, pi) && p.text == "i") return relation(gi, p.kids[1]);
    }
    if (p.kind != Kind::Relation) return decide(Tri::NotEqual, "gold is a relation, answer is not");
    if (g.text.size() != 1 || p.text.size() != 1) {
      if (g.text != p.text || g.kids.size() != p.kids.size()) return decide(Tri::NotEqual, "different relation chains");
      for (std::size_t k = 0; k < g.kids.size(); ++k) {
        Tri t = nodes(g.kids[k], p.kids[k]);
        if (t != Tri::Equal) return t;
      }
      return decide(Tri::Equal, "same relation chain");
    }
    // Normalise both to "L op R" with op in {<, <=, =, !=, in} by flipping > and >=.
    auto norm = [](char op, int l, int r, int& L, int& R) {
      L = l; R = r;
      if (op == '>' || op == 'g') { std::swap(L, R); return op == '>' ? '<' : 'l'; }
      return op;
    };
    int gl, gr, pl, pr;
    char gop = norm(g.text[0], g.kids[0], g.kids[1], gl, gr);
    char pop = norm(p.text[0], p.kids[0], p.kids[1], pl, pr);
    if (gop != pop) return decide(Tri::NotEqual, "different relation");
    Tri straight = both(gl, pl, gr, pr);
    if (straight == Tri::Equal) return decide(Tri::Equal, "same sides");
    if (gop == '=' || gop == 'n') {
      if (both(gl, pr, gr, pl) == Tri::Equal) return decide(Tri::Equal, "same sides, flipped");
    }
    if (gop == 'i') return straight;
    // Same solution set: L1 - R1 = c (L2 - R2), with c > 0 for inequalities. Not with a function
    // call: "f(x)" is evaluated as the product f*x, which says nothing about f.
    if (has_call(g_, gi) || has_call(p_, pi)) return decide(Tri::NotEqual, "relations differ");
    int c = proportional(Side{&g_, gl}, Side{&g_, gr}, Side{&p_, pl}, Side{&p_, pr}, tol_ * 1e2);
    if (c != 0 && (gop == '=' || gop == 'n' || c > 0)) return decide(Tri::Equal, "proportional relations");
    return decide(Tri::NotEqual, "relations differ");
  }

  static bool has_call(const Ast& a, int i) {
    const Node& n = a.at(i);
    if (n.kind == Kind::Mul && n.text == "call") return true;
    for (int k : n.kids)
      if (has_call(a, k)) return true;
    return false;
  }

  Tri both(int g1, int p1, int g2, int p2) {
    std::string saved = reason_;
    Tri a = nodes(g1, p1);
    if (a != Tri::Equal) { reason_ = saved; return a; }
    Tri b = nodes(g2, p2);
    if (b != Tri::Equal) reason_ = saved;
    return b;
  }

  // ---- scalars ------------------------------------------------------------------------------
  // +1 for oo, -1 for -oo, 0 otherwise.
  static int infinity_sign(const Ast& a, int i) {
    const Node& n = a.at(i);
    if (n.kind == Kind::Infinity) return 1;
    if (n.kind == Kind::Neg && a.at(n.kids[0]).kind == Kind::Infinity) return -1;
    return 0;
  }

  static std::vector<int> pm_nodes(const Ast& a, int i, std::vector<int> acc = {}) {
    const Node& n = a.at(i);
    if (n.kind == Kind::PlusMinus) acc.push_back(n.pm_index);
    for (int k : n.kids) acc = pm_nodes(a, k, std::move(acc));
    return acc;
  }

  // Scalars with \pm are the set of their sign choices: "\pm 2" is {2, -2}, not 2.
  Tri scalar(int gi, int pi) {
    auto gpm = pm_nodes(g_, gi), ppm = pm_nodes(p_, pi);
    if (gpm.empty() && ppm.empty()) return value(Side{&g_, gi}, Side{&p_, pi});
    auto gm = sign_choices(g_, gi), pmm = sign_choices(p_, pi);
    auto covered = [&](bool gold_side) {
      for (unsigned a : gold_side ? gm : pmm) {
        bool found = false;
        for (unsigned b : gold_side ? pmm : gm) {
          Tri t = gold_side ? value(Side{&g_, gi, a}, Side{&p_, pi, b}) : value(Side{&g_, gi, b}, Side{&p_, pi, a});
          if (t == Tri::Equal) { found = true; break; }
        }
        if (!found) return false;
      }
      return true;
    };
    bool ok = covered(true) && covered(false);
    return decide(ok ? Tri::Equal : Tri::NotEqual, ok ? "same values for every sign of \\pm" : "\\pm values differ");
  }

  std::vector<unsigned> sign_choices(const Ast& a, int i) const {
    std::vector<unsigned> out{0};
    for (int bit : pm_nodes(a, i)) {
      std::size_t n = out.size();
      for (std::size_t k = 0; k < n; ++k) out.push_back(out[k] | (1u << bit));
    }
    return out;
  }

  // Set equality between the values of a \pm scalar and the items of a list.
  Tri pm_set(int pm_node, const std::vector<int>& others, bool pm_is_gold) {
    const Ast& pa = pm_is_gold ? g_ : p_;
    const Ast& oa = pm_is_gold ? p_ : g_;
    auto masks = sign_choices(pa, pm_node);
    for (int o : others)
      if (!pm_nodes(oa, o).empty() || is_collection(oa.at(o).kind) || oa.at(o).kind == Kind::Relation)
        return decide(Tri::NotEqual, "\\pm against a list of non-scalars");
    auto eq = [&](unsigned mask, int o) {
      Side s{&pa, pm_node, mask}, t{&oa, o};
      return (pm_is_gold ? value(s, t) : value(t, s)) == Tri::Equal;
    };
    for (unsigned m : masks) {
      bool found = false;
      for (int o : others) found = found || eq(m, o);
      if (!found) return decide(Tri::NotEqual, "a \\pm value is not listed");
    }
    for (int o : others) {
      bool found = false;
      for (unsigned m : masks) found = found || eq(m, o);
      if (!found) return decide(Tri::NotEqual, "a listed value is not a \\pm value");
    }
    return decide(Tri::Equal, "\\pm values match the list");
  }

  Tri value(const Side& g, const Side& p) {
    if (++comparisons_ > limits_.max_comparisons) {
      over_budget_ = true;
      return decide(Tri::Unknown, "more than " + std::to_string(limits_.max_comparisons) + " comparisons");
    }
    int gi = infinity_sign(*g.ast, g.node), pi = infinity_sign(*p.ast, p.node);
    if (gi != 0 || pi != 0) return decide(gi == pi ? Tri::Equal : Tri::NotEqual, "infinities");
    if (g.pm_mask == 0 && p.pm_mask == 0 && g.ast->canonical(g.node) == p.ast->canonical(p.node))
      return decide(Tri::Equal, "same expression");
    SymbolicResult s = symbolic_compare(g, p, limits_);
    if (s.result != Tri::Unknown) return decide(s.result, s.reason);
    bool constant = g.ast->is_constant(g.node) && p.ast->is_constant(p.node);
    if (s.over_budget && constant) {
      // Too large to compute: compare orders of magnitude, which can prove a difference only.
      auto mg = magnitude(g), mp = magnitude(p);
      if (mg && mp && (mg->sign != mp->sign ||
                       std::abs(mg->log10 - mp->log10) > 1e-9 * std::max(1.0, std::abs(mg->log10))))
        return decide(Tri::NotEqual, "magnitudes differ (" + s.reason + ")");
      over_budget_ = true;
      return decide(Tri::Unknown, s.reason);
    }
    Tri t = numeric_equal(g, p, constant ? tol_ : tol_ * 10);
    if (t != Tri::Unknown) return decide(t, t == Tri::Equal ? "numerically equal" : "numerically different");
    if (s.over_budget) over_budget_ = true;
    return decide(Tri::Unknown, s.reason.empty() ? "not decided" : s.reason);
  }

  const Ast& g_;
  const Ast& p_;
  const Limits& limits_;
  double tol_;
  bool over_budget_ = false;
  int comparisons_ = 0;
  std::string reason_;
};

}  // namespace

Equivalence equivalent(const Ast& gold, const Ast& predicted, const Limits& limits, double tolerance) {
  return Comparer(gold, predicted, limits, tolerance).run();
}

}  // namespace soar::verify::detail
