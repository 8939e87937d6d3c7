#!/usr/bin/env python3
"""The testbed's asymmetry table: per level, the student's pass@1 against the teacher's rate of
correct answers on the problems it writes, for one or more base models (docs/testbed.md, "the
asymmetric variant").

Each base-model directory holds the files the measuring commands wrote:
  levels.json   soar testbed levels --out   (the student's pass@1 per level)
  teacher.json  soar testbed teacher --out  (items and correct answers per level)
  edge/scan.json, optional: soar testbed hard-level --out edge  (the hard level H)
  edge/rl-train, edge/rl-curriculum, optional: the two RL arms of docs/testbed.md "Reproducing"

Usage: testbed_asymmetry.py DIR [DIR ...]
Prints one row per level: the student's pass@1 and the teacher's correct rate, mean +- sd over the
directories, then per directory; and, where scan.json exists, the check of the premise: at H, H-1
and H-2 the teacher is correct on >= 30 % of its problems while the student's pass@1 at H is < 1 %;
and, where the RL arms exist, the plateau and stepping-stone table: D_test pass@32 at every
evaluation of direct RL on D_train and of the curriculum, with the steps that had any reward.
"""
import argparse
import json
import statistics
import sys
from pathlib import Path


def load(directory):
    d = Path(directory)
    try:
        levels = {row["level"]: row["pass@1"] for row in json.loads((d / "levels.json").read_text()) if row.get("operands", 2) == 2}
        teacher = json.loads((d / "teacher.json").read_text())["levels"]
    except (OSError, KeyError, ValueError) as error:
        sys.exit(f"testbed_asymmetry: {d}: {error}")
    written = {int(k): (v["items"], v["correct"]) for k, v in teacher.items() if k.isdigit()}
    scan = d / "edge" / "scan.json"
    hard = json.loads(scan.read_text()).get("hard_level") if scan.exists() else None
    arms = {}
    for arm in ("rl-train", "rl-curriculum"):
        metrics = d / "edge" / arm / "metrics.jsonl"
        if metrics.exists():
            records = [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
            arms[arm] = {"evals": [r["pass_at_k"]["pass@32"]["mean"] for r in records if r.get("event") == "eval"],
                         "rewards": [r["reward"] for r in records if r.get("event") == "step"]}
    return {"name": d.name, "student": levels, "teacher": written, "hard": hard, "arms": arms}


def mean_sd(values):
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def teacher_rate(model, level):
    items, correct = model["teacher"].get(level, (0, 0))
    return correct / items if items else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+")
    args = parser.parse_args()
    models = [load(d) for d in args.dirs]
    levels = sorted({level for m in models for level in m["student"]})
    names = [m["name"] for m in models]
    print("| level | student pass@1 | teacher correct | " + " | ".join(f"{n}: student / teacher (items)" for n in names) + " |")
    print("| ---: | ---: | ---: | " + " | ".join("---" for _ in names) + " |")
    for level in levels:
        students = [m["student"][level] for m in models if level in m["student"]]
        rates = [r for r in (teacher_rate(m, level) for m in models) if r is not None]
        cells = []
        for m in models:
            rate = teacher_rate(m, level)
            items = m["teacher"].get(level, (0, 0))[0]
            cells.append(f"{m['student'].get(level, float('nan')):.3f} / " + (f"{rate:.2f} ({items})" if rate is not None else "- (0)"))
        print(f"| {level} | {mean_sd(students)} | {mean_sd(rates)} | " + " | ".join(cells) + " |")
    checked = [m for m in models if m["hard"]]
    if not checked:
        return
    print()
    print("| base model | H | student pass@1 at H | teacher correct at H, H-1, H-2 (items) | premise holds |")
    print("| --- | ---: | ---: | --- | --- |")
    for m in checked:
        h = m["hard"]
        rates = [(teacher_rate(m, level), m["teacher"].get(level, (0, 0))[0]) for level in (h, h - 1, h - 2)]
        holds = m["student"].get(h, 1.0) < 0.01 and all(r is not None and r >= 0.30 for r, _ in rates)
        shown = ", ".join(f"{r:.2f} ({n})" if r is not None else "- (0)" for r, n in rates)
        print(f"| {m['name']} | {h} | {m['student'].get(h, float('nan')):.4f} | {shown} | {'yes' if holds else 'no'} |")
    with_arms = [m for m in checked if len(m["arms"]) == 2]
    if not with_arms:
        return
    print()
    print("| base model | H | direct RL on D_train: pass@32 (steps with reward) | curriculum: pass@32 | curriculum reward, first -> last 20 steps |")
    print("| --- | ---: | --- | --- | --- |")
    for m in with_arms:
        direct, curriculum = m["arms"]["rl-train"], m["arms"]["rl-curriculum"]
        evals = lambda arm: " / ".join(f"{v:.3f}".rstrip("0").rstrip(".") if v else "0" for v in arm["evals"])
        rewarded = sum(r > 0 for r in direct["rewards"])
        first, last = curriculum["rewards"][:20], curriculum["rewards"][-20:]
        trend = f"{statistics.mean(first):.2f} -> {statistics.mean(last):.2f}" if first else "-"
        print(f"| {m['name']} | {m['hard']} | {evals(direct)} ({rewarded} of {len(direct['rewards'])}) | {evals(curriculum)} | {trend} |")


if __name__ == "__main__":
    main()
