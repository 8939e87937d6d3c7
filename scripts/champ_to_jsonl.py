#!/usr/bin/env python3
"""Writes the CHAMP problems (PyPI champ-dataset 1.0.0: 270 competition problems) as a soar problem
set, one {"id", "problem", "answer", "category"} a line.

    champ_to_jsonl.py OUT.jsonl [--limit N]

The problem is the dataset's `text` and the gold its `answer`: both are the `raw_` fields with
CHAMP's `@@...@@` math markers removed, and the answer is kept exactly as the dataset writes it,
prose included ("5/14, or approximately 35.7%", "0 is the only possible value", "No"). That is the
gold the verifier's CHAMP agreement test was measured on (tests/python/make_champ_reference.py,
docs/verifier.md), and the verifier reads such golds as the math they state. The problems are in
the dataset's natural order (category, then number), so `--limit N` takes the first N of the
first categories; it is meant for tests, not for a representative sample.
"""
import argparse
import json
import os


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--limit", type=int, default=0, help="only the first N problems (0: all)")
    args = parser.parse_args()

    import champ_dataset

    ds = champ_dataset.load("v0")
    ids = sorted(ds.problems, key=lambda k: (k.rsplit("_", 1)[0], int(k.rsplit("_", 1)[1])))
    if args.limit > 0:
        ids = ids[:args.limit]
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        for pid in ids:
            p = ds.problems[pid]
            record = {"id": pid, "problem": p.text.strip(), "answer": p.answer.strip(), "category": p.category}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(tmp, args.out)  # a killed run leaves no half-written problem set
    print(f"champ_to_jsonl: {len(ids)} problems -> {args.out}")


if __name__ == "__main__":
    main()
