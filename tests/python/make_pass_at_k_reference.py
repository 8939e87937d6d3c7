"""Writes exact pass@k values for pass_at_k_reference_test.

Usage: make_pass_at_k_reference.py OUT_DIR

OUT_DIR/pass_at_k.json is a list of {"n", "c", "k", "pass_at_k"}, where pass_at_k is
1 - C(n-c, k) / C(n, k) computed exactly with math.comb and Fraction, then rounded once to the
nearest double, so the C++ estimator is compared with the true value, not with another float formula.
"""

import json
import math
import os
import sys
from fractions import Fraction


def exact_pass_at_k(n, c, k):
    return 1 - Fraction(math.comb(n - c, k), math.comb(n, k))


def grid():
    for n in (1, 2, 3, 5, 10, 16, 32, 64, 100, 128, 200, 256, 1000):
        cs = sorted({0, 1, 2, 3, n // 4, n // 2, n - 2, n - 1, n} & set(range(n + 1)))
        ks = sorted({1, 2, 3, 5, 8, 10, 16, 32, 64, 100, 128, n // 2, n - 1, n} & set(range(1, n + 1)))
        for c in cs:
            for k in ks:
                yield n, c, k


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    rows = [{"n": n, "c": c, "k": k, "pass_at_k": float(exact_pass_at_k(n, c, k))} for n, c, k in grid()]
    with open(os.path.join(out_dir, "pass_at_k.json.tmp"), "w") as f:
        json.dump(rows, f)
    os.replace(os.path.join(out_dir, "pass_at_k.json.tmp"), os.path.join(out_dir, "pass_at_k.json"))
    print(f"wrote {len(rows)} pass@k reference values to {out_dir}")


if __name__ == "__main__":
    main()
