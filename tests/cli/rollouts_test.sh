#!/usr/bin/env bash
# Rollout logs (docs/usage.md, "Rollouts"): train-rl keeps steps x prompts x samples records whose
# mean reward is the step's reward in metrics.jsonl, --rollouts-every/--rollouts-sample thin them,
# a resumed run rewrites the steps it redoes (same files as the uninterrupted run, no leftovers),
# eval's records agree with per_problem.jsonl, and meta keeps its inner loops and Q_R answers.
# Usage: rollouts_test.sh SOAR_BINARY REFERENCE_DIR WORK_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/problem_files.sh"
soar=$1 reference=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
failures=0
result() {  # result NAME: the status of the command before it
  if [[ $? -eq 0 ]]; then echo "ok   $1"; else echo "FAIL $1"; failures=$((failures + 1)); fi
}
write_letter_problems
train() {  # train OUT STEPS [options...]
  local out=$1 steps=$2; shift 2
  "$soar" --threads 1 train-rl --model "$reference/dist_model/model" --problems letters.jsonl --steps "$steps" \
    --prompts-per-step 4 -k 4 --max-new-tokens 2 --lr 3e-3 --checkpoint-every 2 --seed 7 --out "$out" "$@" > "$out.log" 2>&1 \
    || { echo "train-rl $out failed"; cat "$out.log"; exit 1; }
}

# Every step: 4 steps x 4 problems x 4 samples, every field, the step's mean reward as in metrics.jsonl.
train rl 4
python3 - rl <<'EOF'
import json, sys, glob
run = sys.argv[1]
metrics = {r["step"]: r for r in map(json.loads, open(f"{run}/metrics.jsonl")) if r.get("event") == "step"}
files = sorted(glob.glob(f"{run}/rollouts/step_*.jsonl"))
assert [f.split("/")[-1] for f in files] == [f"step_{s:06d}.jsonl" for s in range(1, 5)], files
fields = {"step", "id", "sample", "prompt", "gold", "completion", "reward", "verdict", "answer", "advantage", "length", "finish"}
for step, f in enumerate(files, 1):
    records = [json.loads(line) for line in open(f)]
    assert len(records) == 16, (f, len(records))
    for r in records:
        assert set(r) == fields, (f, set(r) ^ fields)
        assert r["step"] == step and r["verdict"] in ("correct", "wrong", "no_answer") and r["finish"] in ("eos", "stop", "length")
        assert (r["verdict"] == "correct") == (r["reward"] == 1.0), r
        assert 1 <= r["length"] <= 2 and 0 <= r["sample"] < 4
    mean = sum(r["reward"] for r in records) / len(records)
    assert abs(mean - metrics[step]["reward"]) < 1e-12, (f, mean, metrics[step]["reward"])
    for i in range(0, 16, 4):  # RLOO advantages of a group sum to 0
        assert abs(sum(r["advantage"] for r in records[i:i + 4])) < 1e-9, records[i:i + 4]
EOF
result train-rl-every-step

# Every 2nd step (and the first), 2 problems' groups of each.
train thin 4 --rollouts-every 2 --rollouts-sample 2
python3 - thin <<'EOF'
import json, sys, glob
files = sorted(glob.glob(f"{sys.argv[1]}/rollouts/step_*.jsonl"))
assert [f.split("/")[-1] for f in files] == ["step_000001.jsonl", "step_000002.jsonl", "step_000004.jsonl"], files
for f in files:
    records = [json.loads(line) for line in open(f)]
    assert len(records) == 8 and len({r["id"] for r in records}) <= 2, (f, len(records))
EOF
result train-rl-every-and-sample
train none 2 --rollouts-every 0
[[ ! -e none/rollouts ]]
result train-rl-rollouts-off

# A resumed run rewrites what it redoes: stale files of steps after the checkpoint (another layout,
# a plain and a gzipped one) are gone, and the files equal the uninterrupted run's.
train resumed 2
printf 'stale\n' > resumed/rollouts/step_000003.jsonl
printf 'stale\n' | gzip > resumed/rollouts/step_000004.jsonl.gz
printf 'stale\n' > resumed/rollouts/step_000009.jsonl
train resumed 4
grep -q "resuming" resumed.log && diff -r rl/rollouts resumed/rollouts
result train-rl-resume-rewrites

# eval: every sample of every problem; per problem, the correct records are its successes.
"$soar" --threads 1 eval --model "$reference/dist_model/model" --problems letters.jsonl -n 3 --max-new-tokens 2 --seed 5 \
  --out ev > ev.log 2>&1 || { echo "eval failed"; cat ev.log; exit 1; }
python3 - ev 24 8 <<'EOF'
import json, sys, collections
run, count, problems = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
records = [json.loads(line) for line in open(f"{run}/rollouts.jsonl")]
assert len(records) == count and len({r["id"] for r in records}) == problems, len(records)
assert all("step" not in r and r["advantage"] is None for r in records)
correct = collections.Counter(r["id"] for r in records if r["reward"] >= 0.5)
for p in map(json.loads, open(f"{run}/per_problem.jsonl")):
    assert correct[p["id"]] == p["successes"], (p, correct[p["id"]])
EOF
result eval-rollouts-match-per-problem
"$soar" --threads 1 eval --model "$reference/dist_model/model" --problems letters.jsonl -n 3 --max-new-tokens 2 --seed 5 \
  --rollouts-sample 2 --out ev2 > ev2.log 2>&1 && python3 -c "
import json; r = [json.loads(l) for l in open('ev2/rollouts.jsonl')]
assert len(r) == 6 and len({x['id'] for x in r}) == 2, len(r)"
result eval-rollouts-sample

# meta (the oracle arm: no teacher rollouts): per kept outer step, the baseline's Q_R answers and per
# student its inner loop (K x prompts x samples) and its Q_R answers; a resumed run's files equal
# the uninterrupted run's.
write_good_problems
meta() { "$soar" --threads 1 meta --model "$reference/cli_model/model" --train good.jsonl -T "$1" -g 2 -n 2 -r 2 -K 2 \
           --teacher-reward none --oracle-levels 1-2 --student-max-tokens 4 --inner-prompts 2 --inner-samples 3 --q-size 2 \
           --tau -1 --window 1 --promoted-extra-steps 1 --seed 3 --out "$2" > "$2.log" 2>&1 || { echo "meta $2 failed"; cat "$2.log"; exit 1; }; }
meta 2 meta-straight
meta 1 meta-resumed && meta 2 meta-resumed
python3 - meta-straight <<'EOF'
import json, sys, os
run = sys.argv[1]
lines = lambda path: [json.loads(l) for l in open(path)]
assert sorted(os.listdir(f"{run}/rollouts")) == ["step_1", "step_2"]
for t in (1, 2):
    d = f"{run}/rollouts/step_{t}"
    assert not os.path.exists(f"{d}/teacher.jsonl")  # the oracle writes the datasets
    assert len(lines(f"{d}/baseline_measure.jsonl")) == 2
    for k in range(2):
        for j in range(2):
            inner = lines(f"{d}/dataset_{k}/student_{j}_inner.jsonl")
            steps = 2 if t == 1 else 3  # K, then K + 1 once a student was promoted
            assert len(inner) == steps * 2 * 3 and sorted({r["step"] for r in inner}) == list(range(1, steps + 1)), len(inner)
            measure = lines(f"{d}/dataset_{k}/student_{j}_measure.jsonl")
            assert len(measure) == 2 and all(r["step"] == t for r in measure)
EOF
result meta-rollouts
grep -q "resuming" meta-resumed.log && diff -r meta-straight/rollouts meta-resumed/rollouts
result meta-resume-rewrites
echo "rollouts: $failures failure(s)"
exit $((failures > 0))
