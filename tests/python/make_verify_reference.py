#!/usr/bin/env python3
"""Reference verdicts of math-verify on generated answer pairs, for tests/verify/agreement_test.cpp.

    make_verify_reference.py OUT_DIR [--limit N]

Writes OUT_DIR/pairs.jsonl, one object per pair:
    family    which generator made it (fractions, radicals, sets, ...)
    gold      the gold answer (LaTeX, as in MATH)
    completion  a model-style completion holding the predicted answer
    truth     true/false: whether the answer equals the gold, known by construction
    mv        math-verify 0.9's verdict: true, false, or "timeout"/"error"

Deterministic (fixed seed, no clock). Each math-verify call runs in a worker process with a
timeout, because math-verify can hang on some inputs; a hung worker is replaced.
"""
import json
import multiprocessing as mp
import os
import random
import sys
from fractions import Fraction

SEED = 20260
TIMEOUT_S = 20


# ---------------------------------------------------------------- generators
def frac_tex(f, style="frac"):
    n, d = f.numerator, f.denominator
    sign = "-" if n < 0 else ""
    n = abs(n)
    if d == 1:
        return f"{sign}{n}"
    if style == "slash":
        return f"{sign}{n}/{d}"
    return f"{sign}\\{style}{{{n}}}{{{d}}}"


def terminating(f):
    d = f.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def decimal(f):
    s = f"{float(f):.10f}".rstrip("0").rstrip(".")
    return s


def gen_integers(r):
    out = []
    for _ in range(70):
        n = r.randint(-500, 100000)
        out.append(("integers", str(n), str(n), True))
        out.append(("integers", str(n), str(n + r.choice([-1, 1, 10])), False))
        if n >= 1000:
            out.append(("integers", str(n), f"{n:,}", True))
        out.append(("integers", str(n), f"{n}.0", True))
    return out


def gen_fractions(r):
    out = []
    for _ in range(100):
        d = r.randint(2, 40)
        n = r.randint(-60, 60)
        if n == 0:
            n = 1
        f = Fraction(n, d)
        if f.denominator == 1:
            continue
        g = frac_tex(f)
        out.append(("fractions", g, frac_tex(f, r.choice(["frac", "dfrac", "tfrac", "slash"])), True))
        k = r.randint(2, 5)
        out.append(("fractions", g, f"{'-' if f < 0 else ''}\\frac{{{abs(f.numerator) * k}}}{{{f.denominator * k}}}", True))
        out.append(("fractions", g, frac_tex(f + Fraction(1, f.denominator)), False))
        out.append(("fractions", g, frac_tex(1 / f), f == 1 / f))
        if terminating(f):
            out.append(("decimals", g, decimal(f), True))
        else:
            out.append(("decimals", g, f"{float(f):.4f}", False))
        if f > 1 and f.denominator > 1:
            w = f.numerator // f.denominator
            rest = f - w
            out.append(("mixed", g, f"{w}\\frac{{{rest.numerator}}}{{{rest.denominator}}}", True))
    return out


def gen_radicals(r):
    out = []
    squarefree = [2, 3, 5, 6, 7, 10, 11, 13, 14, 15]
    for _ in range(70):
        k = r.randint(2, 9)
        m = r.choice(squarefree)
        g = f"{k}\\sqrt{{{m}}}"
        out.append(("radicals", g, f"\\sqrt{{{k * k * m}}}", True))
        out.append(("radicals", g, f"\\sqrt{{{k * m}}}", False))
        # LaTeX reads \sqrt11 as \sqrt{1}1: the braceless form only means sqrt(m) for one digit.
        out.append(("radicals", g, f"{k}\\sqrt{m}", m < 10))
        out.append(("radicals", f"\\frac{{\\sqrt{{{m}}}}}{{{m}}}", f"\\frac{{1}}{{\\sqrt{{{m}}}}}", True))
        out.append(("radicals", f"\\frac{{{k}+\\sqrt{{{m}}}}}{{2}}", f"\\frac{{\\sqrt{{{m}}}+{k}}}{{2}}", True))
        out.append(("radicals", f"\\frac{{{k}+\\sqrt{{{m}}}}}{{2}}", f"\\frac{{{k}-\\sqrt{{{m}}}}}{{2}}", False))
    return out


def gen_pi(r):
    out = []
    for _ in range(40):
        f = Fraction(r.randint(1, 12), r.randint(1, 12))
        n, d = f.numerator, f.denominator
        g = f"\\frac{{{n}\\pi}}{{{d}}}" if d > 1 else f"{n}\\pi"
        out.append(("pi", g, f"\\frac{{{n}}}{{{d}}}\\pi" if d > 1 else f"{n} \\pi", True))
        out.append(("pi", g, f"{n}\\pi/{d}" if d > 1 else f"\\pi \\cdot {n}", True))
        out.append(("pi", g, f"\\frac{{{n + 1}\\pi}}{{{d}}}", False))
        out.append(("pi", g, f"{float(f) * 3.141592653589793:.2f}", False))
    return out


def gen_sets_tuples(r):
    out = []
    for _ in range(50):
        items = r.sample(range(-9, 20), r.randint(2, 4))
        g = "\\{" + ",".join(map(str, items)) + "\\}"
        perm = items[:]
        r.shuffle(perm)
        out.append(("sets", g, "\\{" + ", ".join(map(str, perm)) + "\\}", True))
        out.append(("sets", g, ", ".join(map(str, perm)), True))
        out.append(("sets", g, "\\{" + ",".join(map(str, items[:-1])) + "\\}", False))
        a, b = items[0], items[1]
        out.append(("tuples", f"({a},{b})", f"\\left({a}, {b}\\right)", True))
        out.append(("tuples", f"({a},{b})", f"({b},{a})", a == b))
        fa = Fraction(a, 2)
        out.append(("tuples", f"\\left({frac_tex(fa)}, {b}\\right)", f"({decimal(fa)}, {b})", True))
    return out


def gen_intervals(r):
    out = []
    for _ in range(50):
        a = r.randint(-10, 5)
        b = a + r.randint(1, 10)
        lo, hi = r.choice("(["), r.choice(")]")
        g = f"{lo}{a},{b}{hi}"
        out.append(("intervals", g, f"\\left{lo}{a}, {b}\\right{hi}", True))
        flip = {"(": "[", "[": "("}[lo]
        out.append(("intervals", g, f"{flip}{a},{b}{hi}", False))
        out.append(("intervals", f"(-\\infty,{a})\\cup({b},\\infty)", f"({b},\\infty)\\cup(-\\infty,{a})", True))
        out.append(("intervals", f"(-\\infty,{a})\\cup({b},\\infty)", f"(-\\infty,{a}]\\cup({b},\\infty)", False))
        op = "<" if lo == "(" else "\\le"
        op2 = "<" if hi == ")" else "\\le"
        out.append(("inequalities", f"{a} {op} x {op2} {b}", g, True))
        out.append(("inequalities", f"x > {a}", f"({a}, \\infty)", True))
        out.append(("inequalities", f"x > {a}", f"{a} < x", True))
        out.append(("inequalities", f"x > {a}", f"x \\ge {a}", False))
    return out


def gen_equations(r):
    out = []
    for _ in range(50):
        m, c = r.randint(-6, 6) or 1, r.randint(-9, 9)
        rhs = f"{m}x {'+' if c >= 0 else '-'} {abs(c)}"
        g = f"y = {rhs}"
        out.append(("equations", g, f"y={rhs.replace(' ', '')}", True))
        out.append(("equations", g, f"{rhs} = y", True))
        out.append(("equations", g, f"y = {m}x {'-' if c >= 0 else '+'} {abs(c) + 1}", False))
        out.append(("equations", g, f"z = {rhs}", False))
        v = r.randint(-20, 20)
        out.append(("named_values", str(v), f"x = {v}", True))
        out.append(("named_values", f"x = {v}", str(v), True))
        out.append(("named_values", str(v), f"x = {v + 1}", False))
    return out


def gen_polynomials(r):
    out = []
    for _ in range(40):
        a, b = r.randint(1, 9), r.randint(-9, 9) or 1
        g = f"(x + {a})(x {'+' if b >= 0 else '-'} {abs(b)})"
        s, p = a + b, a * b
        exp = f"x^2 {'+' if s >= 0 else '-'} {abs(s)}x {'+' if p >= 0 else '-'} {abs(p)}"
        out.append(("polynomials", g, exp, True))
        out.append(("polynomials", g, exp.replace("x^2", "2x^2"), False))
        out.append(("polynomials", f"\\frac{{x^2 - {a * a}}}{{x - {a}}}", f"x + {a}", True))
        out.append(("polynomials", f"{a}x^{{{b % 5 + 2}}}", f"{a} x^{b % 5 + 2}", True))
    return out


def gen_latex_variants(r):
    out = []
    for _ in range(40):
        n = r.randint(1, 359)
        out.append(("units", str(n), f"{n}^\\circ", True))
        out.append(("units", f"{n}^\\circ", str(n), True))
        out.append(("units", str(n), f"{n}\\%", True))
        out.append(("units", str(n), f"\\${n}", True))
        out.append(("units", str(n), f"{n} \\text{{ cm}}", True))
        out.append(("units", str(n), f"{n + 1} \\text{{ cm}}", False))
        k = r.randint(2, 9)
        out.append(("latex_ops", str(n * k), f"{n} \\cdot {k}", True))
        out.append(("latex_ops", str(n * k), f"{n} \\times {k}", True))
    return out


def gen_text_choice(r):
    out = []
    words = ["Monday", "Tuesday", "even", "odd", "yes", "no", "north", "east", "circle", "parabola"]
    for _ in range(40):
        w, v = r.sample(words, 2)
        out.append(("text", f"\\text{{{w}}}", w, True))
        out.append(("text", f"\\text{{{w}}}", f"\\text{{{w}}}", True))
        out.append(("text", f"\\text{{{w}}}", v, False))
        c, d = r.sample("ABCDE", 2)
        out.append(("choice", c, f"({c})", True))
        out.append(("choice", f"\\text{{({c})}}", c, True))
        out.append(("choice", c, d, False))
    return out


def gen_plus_minus(r):
    out = []
    for _ in range(40):
        a = r.randint(1, 30)
        m = r.choice([2, 3, 5, 7])
        out.append(("plus_minus", f"\\pm {a}", f"{a}, -{a}", True))
        out.append(("plus_minus", f"\\pm {a}", f"{a}", False))
        out.append(("plus_minus", f"{a} \\pm \\sqrt{{{m}}}", f"{a}+\\sqrt{{{m}}}, {a}-\\sqrt{{{m}}}", True))
    return out


def gen_known_failures(r):
    """Variations on the documented failure cases of math-verify and the MATH checker."""
    out = []
    for _ in range(30):
        k = r.randint(3, 97)
        out.append(("exact_vs_rounded", f"\\frac{{1}}{{{k}}}", f"{1 / k:.6f}", terminating(Fraction(1, k)) and
                    Fraction(f"{1 / k:.6f}") == Fraction(1, k)))
        n = r.randint(1990, 2100)
        out.append(("tiny_factorials", f"\\frac{{1}}{{{n}!}}", f"\\frac{{1}}{{{n + 2}!}}", False))
        out.append(("tiny_factorials", f"\\frac{{1}}{{{n}!}}", f"\\frac{{{n + 1}}}{{{n + 1}!}}", True))
        e = r.randint(200, 400)
        out.append(("big_integers", f"2^{{{e}}}", str(2 ** e + r.choice([-1, 1])), False))
        out.append(("big_integers", f"2^{{{e}}}", str(2 ** e), True))
        a = r.randint(2, 30)
        out.append(("plus_minus_drop", f"\\pm {a}", str(a), False))
        out.append(("plus_minus_drop", f"\\pm\\sqrt{{{a}}}", f"\\sqrt{{{a}}}", False))
        v = r.choice("abnkt")
        out.append(("radical_forms", f"\\sqrt{{\\frac{{{a}}}{{{v}}}}}", f"\\frac{{\\sqrt{{{a}}}}}{{\\sqrt{{{v}}}}}", True))
        out.append(("radical_forms", f"\\sqrt{{1/{v}}}", f"\\frac{{1}}{{\\sqrt{{{v}}}}}", True))
        m = r.choice([2, 3, 5, 7])
        out.append(("sqrt_parens", str(a), f"{a}\\sqrt({m})", False))
        out.append(("sqrt_parens", f"{a}\\sqrt{{{m}}}", f"{a}\\sqrt({m})", True))
        c = r.randint(-9, 9)
        out.append(("equation_lhs", f"x = {c}", f"y = {c}", False))
        out.append(("equation_lhs", f"y = {a}x + {abs(c)}", f"x = {a}x + {abs(c)}", False))
        out.append(("interval_policy", f"({c}, \\infty)", f"x > {c}", False))
        out.append(("interval_policy", f"x > {c}", f"({c}, \\infty)", True))
    return out


def gen_misc_forms(r):
    """Forms seen in MATH answers: matrices/vectors, complex numbers, scientific notation, roots of
    higher order, trig values, logarithms, functions of x, symbolic fractions."""
    out = []
    for _ in range(40):
        a, b, c, d = (r.randint(-9, 9) for _ in range(4))
        vec = f"\\begin{{pmatrix}} {a} \\\\ {b} \\end{{pmatrix}}"
        out.append(("matrices", vec, f"\\begin{{pmatrix}}{a}\\\\{b}\\end{{pmatrix}}", True))
        out.append(("matrices", vec, f"\\begin{{pmatrix}} {b} \\\\ {a} \\end{{pmatrix}}", a == b))
        mat = f"\\begin{{pmatrix}} {a} & {b} \\\\ {c} & {d} \\end{{pmatrix}}"
        out.append(("matrices", mat, f"\\begin{{bmatrix}} {a} & {b} \\\\ {c} & {d} \\end{{bmatrix}}", True))
        out.append(("matrices", mat, f"\\begin{{pmatrix}} {a} & {c} \\\\ {b} & {d} \\end{{pmatrix}}", b == c))
        out.append(("complex", f"{a} + {abs(b) + 1}i", f"{abs(b) + 1}i + {a}", True))
        out.append(("complex", f"{a} + {abs(b) + 1}i", f"{a} - {abs(b) + 1}i", False))
        m = r.randint(1, 9)
        e = r.randint(2, 6)
        out.append(("scientific", f"{m}.5 \\times 10^{{{e}}}", str(int((m + 0.5) * 10 ** e)), True))
        out.append(("scientific", f"{m}.5 \\times 10^{{{e}}}", str(int((m + 0.5) * 10 ** (e - 1))), False))
        k = r.randint(2, 5)
        out.append(("roots", f"\\sqrt[{k}]{{{m ** k}}}", str(m), True))
        out.append(("roots", f"\\sqrt[{k}]{{{m}}}", f"{m}^{{1/{k}}}", True))
        out.append(("roots", f"\\sqrt[{k}]{{{m}}}", f"{m}^{{{k}}}", m == 1))
        ang = r.choice([(6, "\\frac{1}{2}", "\\frac{\\sqrt{3}}{2}"), (4, "\\frac{\\sqrt{2}}{2}", "\\frac{\\sqrt{2}}{2}"),
                        (3, "\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}")])
        out.append(("trig", f"\\sin\\frac{{\\pi}}{{{ang[0]}}}", ang[1], True))
        out.append(("trig", f"\\cos\\left(\\frac{{\\pi}}{{{ang[0]}}}\\right)", ang[2], True))
        out.append(("trig", f"\\sin\\frac{{\\pi}}{{{ang[0]}}}", ang[2], ang[0] == 4))
        out.append(("logs", f"\\log_{{2}} {2 ** m}", str(m), True))
        out.append(("logs", f"\\ln({m + 1}) + \\ln({k})", f"\\ln({(m + 1) * k})", True))
        out.append(("logs", f"\\ln({m + 1}) + \\ln({k})", f"\\ln({m + 1 + k})", (m + 1) * k == m + 1 + k))
        out.append(("symbolic_fractions", f"\\frac{{{k}x}}{{{m + 1}}}", f"\\frac{{{k}}}{{{m + 1}}}x", True))
        out.append(("symbolic_fractions", f"\\frac{{x+{k}}}{{x}}", f"1 + \\frac{{{k}}}{{x}}", True))
        out.append(("symbolic_fractions", f"\\frac{{x+{k}}}{{x}}", f"\\frac{{{k}}}{{x}}", False))
        out.append(("functions", f"f(x) = {k}x + {m}", f"{k}x+{m}", True))
        out.append(("functions", f"{k}x^2", f"{k}x^{{2}}", True))
        out.append(("functions", f"{k}\\sin x\\cos x", f"\\frac{{{k}}}{{2}}\\sin 2x", True))
        pc = r.randint(1, 99)
        out.append(("percent", f"{pc}\\%", str(pc), True))
        out.append(("percent", f"{pc}\\%", decimal(Fraction(pc, 100)), True))
        out.append(("percent", f"{pc}\\%", decimal(Fraction(pc + 1, 100)), False))
        out.append(("ratios", f"{k}:{m + 1}", f"\\frac{{{k}}}{{{m + 1}}}", True))
        out.append(("case", "k", "K", False))
    return out


def wrap(r, answer):
    """A completion around the answer, in the formats models use."""
    style = r.randrange(6)
    if style == 0:
        return f"Let's compute step by step. Therefore the result is $\\boxed{{{answer}}}$."
    if style == 1:
        return f"Working... so we conclude.\n\nFinal Answer: The final answer is ${answer}$. I hope it is correct."
    if style == 2:
        return f"Some reasoning with 17 and 23.\nThe answer is $\\boxed{{{answer}}}$"
    if style == 3:
        return f"\\[ \\boxed{{{answer}}} \\]"
    if style == 4:
        return f"We try $x=1$ first, which fails. Then \\boxed{{0}} is wrong too. In the end: \\boxed{{{answer}}}."
    return f"\\boxed{{{answer}}}"


def pairs():
    r = random.Random(SEED)
    out = []
    for gen in (gen_integers, gen_fractions, gen_radicals, gen_pi, gen_sets_tuples, gen_intervals, gen_equations,
                gen_polynomials, gen_latex_variants, gen_text_choice, gen_plus_minus, gen_known_failures, gen_misc_forms):
        for family, gold, pred, truth in gen(r):
            out.append({"family": family, "gold": gold, "completion": wrap(r, pred), "answer": pred, "truth": truth})
    # Markdown-emphasised final answers, without \\boxed (math-verify's documented miss on **73**).
    for _ in range(40):
        n = r.randint(1, 999)
        out.append({"family": "markdown", "gold": str(n), "completion": f"Adding up, the total is **{n}**",
                    "answer": f"**{n}**", "truth": True})
        out.append({"family": "markdown", "gold": str(n), "completion": f"**Answer:** {n + 1}",
                    "answer": f"{n + 1}", "truth": False})
    return out


# ---------------------------------------------------------------- math-verify
def judge(item):
    from math_verify import parse, verify

    gold = parse("$" + item["gold"] + "$")
    pred = parse(item["completion"])
    return bool(verify(gold, pred))


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: make_verify_reference.py OUT_DIR [--limit N]")
    out_dir = sys.argv[1]
    limit = int(sys.argv[sys.argv.index("--limit") + 1]) if "--limit" in sys.argv else None
    os.makedirs(out_dir, exist_ok=True)
    items = pairs()
    if limit:
        items = items[:limit]
    ctx = mp.get_context("fork")
    pool = ctx.Pool(1)
    counts = {}
    with open(os.path.join(out_dir, "pairs.jsonl.tmp"), "w") as f:
        for item in items:
            try:
                item["mv"] = pool.apply_async(judge, (item,)).get(TIMEOUT_S)
            except mp.TimeoutError:
                item["mv"] = "timeout"
                pool.terminate()
                pool = ctx.Pool(1)
            except Exception as e:  # noqa: BLE001 - recorded, not fatal
                item["mv"] = "error"
                item["mv_error"] = repr(e)[:200]
            counts[str(item["mv"])] = counts.get(str(item["mv"]), 0) + 1
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    pool.terminate()
    os.replace(os.path.join(out_dir, "pairs.jsonl.tmp"), os.path.join(out_dir, "pairs.jsonl"))
    print(f"{len(items)} pairs; math-verify verdicts: {counts}")


if __name__ == "__main__":
    main()
