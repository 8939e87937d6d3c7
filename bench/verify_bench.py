#!/usr/bin/env python3
"""Realistic verification mix for bench/verify_bench.cpp, and math-verify's rate on it.

    verify_bench.py MIX_OUT [--n N] [--no-time]

Writes N (default 1000) gold/completion pairs, sampled deterministically from the generators of
tests/python/make_verify_reference.py (fractions, radicals, sets, intervals, equations, text, ...,
wrapped in boxed / "Final Answer" / markdown completions), to MIX_OUT as JSONL. Then times
math-verify 0.9 (parse gold, parse completion, verify) over the same mix in this process and prints
one JSON line: {"n": ..., "seconds": ..., "per_second": ...}.
"""
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "python"))
import make_verify_reference as ref  # noqa: E402


def main():
    out = sys.argv[1]
    n = int(sys.argv[sys.argv.index("--n") + 1]) if "--n" in sys.argv else 1000
    items = ref.pairs()
    random.Random(7).shuffle(items)
    items = items[:n]
    with open(out, "w") as f:
        for it in items:
            f.write(json.dumps({"gold": it["gold"], "completion": it["completion"]}, ensure_ascii=False) + "\n")
    if "--no-time" in sys.argv:
        return
    from math_verify import parse, verify

    verify(parse("$1$"), parse("$1$"))  # warm-up: imports and sympy caches
    t0 = time.perf_counter()
    for it in items:
        verify(parse("$" + it["gold"] + "$"), parse(it["completion"]))
    dt = time.perf_counter() - t0
    print(json.dumps({"n": len(items), "seconds": dt, "per_second": len(items) / dt}))


if __name__ == "__main__":
    main()
