"""Writes the demo's report.md (to stdout) from its run directory: pass@k on D_test for each
model, the base model's per-level table, and SOAR's outer steps."""
import json
import os
import sys

run, hard_level, seed = sys.argv[1], sys.argv[2], sys.argv[3]


def lines(path):
    with open(path) as f:
        return [line for line in f if line.strip()]


print("# soar demo report\n")
print(f"Testbed level {hard_level}, seed {seed}. Hard set: {len(lines(os.path.join(run, 'hard/train.jsonl')))} D_train + "
      f"{len(lines(os.path.join(run, 'hard/test.jsonl')))} D_test problems (0/128 for the base model).\n")
print("| model | D_test pass@1 | pass@8 | pass@32 |")
print("| --- | --- | --- | --- |")
for who in ("base", "hard-only", "soar"):
    summary = json.load(open(os.path.join(run, f"eval-{who}", "summary.json")))["pass_at_k"]
    cells = [f"{summary[k]['mean']:.3f} [{summary[k]['ci_low']:.3f}, {summary[k]['ci_high']:.3f}]"
             for k in ("pass@1", "pass@8", "pass@32")]
    print(f"| {who} | " + " | ".join(cells) + " |")
print("\nPer-level success of the base model:\n\n```")
print(open(os.path.join(run, "levels.txt")).read().rstrip())
print("```\n")
print(f"SOAR outer steps (metrics: {run}/soar/metrics.jsonl; generated datasets: {run}/soar/datasets/):\n")
print("| step | baseline success on Q_t | best grounded reward (± s.e.) | questions parsed / malformed | promoted |")
print("| --- | --- | --- | --- | --- |")
for line in lines(os.path.join(run, "soar/metrics.jsonl")):
    record = json.loads(line)
    if "datasets" not in record:
        continue
    best = max(record["datasets"], key=lambda d: d["grounded_reward"])
    parsed = sum(d["questions"] for d in record["datasets"])
    malformed = sum(d["malformed"] for d in record["datasets"])
    print(f"| {record['step']} | {record['baseline_success']:.3f} | {best['grounded_reward']:+.3f} ± "
          f"{best['standard_error']:.3f} | {parsed} / {malformed} | {record['promoted']} |")
print("\nA small-budget demonstration on 2 cores, not the measured result: docs/testbed.md has the "
      "testbed's measurements and what is still open.")
