"""Writes Vendi scores of fixed text sets for diversity_reference_test.

Usage: make_vendi_reference.py OUT_DIR

OUT_DIR/vendi.json is a list of {"name", "ngram", "texts", "vendi_score"}. The score comes from the
vendi_score package (Friedman & Dieng's own implementation: scipy's eigvalsh of K / n, entropy over
the positive eigenvalues), given a kernel built here from the definition in src/meta/diversity.h:
cosine similarity of character n-gram counts, over Unicode code points, a text shorter than n being
its own single n-gram. Nothing is shared with the C++ code but that definition.
"""

import json
import math
import os
import sys
import warnings
from collections import Counter

from vendi_score import vendi

# vendi_score 0.0.3 checks for scipy.sparse.csr.csr_matrix, a path SciPy deprecates (not our concern).
warnings.filterwarnings("ignore", message=".*scipy.sparse.csr.*", category=DeprecationWarning)


def ngram_counts(text, n):
    if len(text) < n:
        return Counter([text])
    return Counter(text[i:i + n] for i in range(len(text) - n + 1))


def cosine_kernel(n):
    def k(a, b):
        ca, cb = ngram_counts(a, n), ngram_counts(b, n)
        dot = sum(count * cb[gram] for gram, count in ca.items())
        return dot / math.sqrt(sum(c * c for c in ca.values()) * sum(c * c for c in cb.values()))
    return k


MATH = [
    "What is the remainder when 2^100 is divided by 7?",
    "Find all real x such that x^2 - 5x + 6 = 0.",
    "A circle has area 49\u03c0. What is its circumference?",
    "How many positive divisors does 360 have?",
    "Compute the sum of the first 50 positive odd integers.",
    "If f(x) = 3x + 2 and g(x) = x^2, what is f(g(2))?",
    "The probability of rain on each of 3 days is 1/4. What is the probability it rains on at least one day?",
    "Simplify \\sqrt{50} + \\sqrt{18}.",
]

NEAR_DUPLICATES = [
    "What is the remainder when 2^100 is divided by 7?",
    "What is the remainder when 2^101 is divided by 7?",
    "What is the remainder when 3^100 is divided by 7?",
    "What is the remainder when 2^100 is divided by 9?",
    "What is the remainder when 2^{100} is divided by 7?",
    "Find the remainder when 2^100 is divided by 7.",
]


def templated():
    # 40 questions from 4 templates: the kind of set a collapsed teacher produces.
    out = []
    for i in range(10):
        out.append(f"Find x if {i + 2}x + {3 * i + 1} = {5 * i + 20}.")
        out.append(f"What is the sum of the first {10 + i} positive integers?")
        out.append(f"A rectangle has sides {i + 3} and {2 * i + 5}. What is its area?")
        out.append(f"How many ways can {i + 4} people sit in a row?")
    return out


def text_sets():
    yield "identical", 3, ["Solve for x: 2x = 10."] * 4
    yield "disjoint", 3, ["abcabc", "defdef", "ghighi", "jkljkl"]
    yield "single", 3, [MATH[0]]
    yield "math", 3, MATH
    yield "math_unigrams", 1, MATH
    yield "math_bigrams", 2, MATH
    yield "math_4grams", 4, MATH
    yield "near_duplicates", 3, NEAR_DUPLICATES
    yield "math_and_near_duplicates", 3, MATH + NEAR_DUPLICATES[1:]
    yield "templated", 3, templated()
    yield "unicode", 3, ["Let \u03b1 = \u221a2.", "Let \u03b2 = \u221a3.", "x\u00b2 + y\u00b2 = 1",
                         "x\u00b2 \u2212 y\u00b2 = 1", "\u03c0\u03c0"]
    yield "short_texts", 3, ["", "", "ab", "abc", "ab ", "7", "abcd"]


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    for name, n, texts in text_sets():
        score = float(vendi.score(texts, cosine_kernel(n)))
        rows.append({"name": name, "ngram": n, "texts": texts, "vendi_score": score})
    with open(os.path.join(out_dir, "vendi.json.tmp"), "w", encoding="utf-8") as f:
        json.dump(rows, f, ensure_ascii=False, indent=1)
    os.replace(os.path.join(out_dir, "vendi.json.tmp"), os.path.join(out_dir, "vendi.json"))
    scores = ", ".join(f"{r['name']} {r['vendi_score']:.6f}" for r in rows)
    print(f"wrote {len(rows)} Vendi scores to {out_dir}: {scores}")


if __name__ == "__main__":
    main()
