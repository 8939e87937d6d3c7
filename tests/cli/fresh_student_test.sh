#!/usr/bin/env bash
# The fresh-student evaluation of the SOAR paper (appendix B.6) end to end:
#  - train-rl --synthetic: a curriculum trains on the synthetic problems for --synthetic-steps steps,
#    then on --problems, and records each step's phase; a mixed run draws from both at every step;
#    a plain run's records have no phase; a curriculum run killed inside and after the synthetic phase
#    and resumed equals the uninterrupted run (model bytes, metrics, selection), and two processes
#    (soar launch) equal one;
#  - select-checkpoint on that run writes selection.json whose pass@k is the mean of the evaluations
#    it lists; on a hand-written metrics.jsonl (a ramp, then a plateau, evaluations every step) it
#    selects the hand-computed step and averages the hand-computed pass@k;
#  - the refusals of both commands, each with the reason in its message.
# Training uses the dist_model fixture (a vocabulary of a-d): its random policy answers a one-letter
# question right a quarter of the time, so steps have rewards and gradients and the comparisons are
# not vacuous (the byte-level cli_model scores 0 everywhere).
# Usage: fresh_student_test.sh SOAR_BINARY MODEL_DIR WORK_DIR
set -uo pipefail
soar=$(realpath "$1") model=$(realpath "$2") work=$3
source "$(dirname "${BASH_SOURCE[0]}")/../distributed/run_inputs.sh"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
failures=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; [[ -f out.txt ]] && cat out.txt; failures=$((failures + 1)); }
refused() {  # refused NAME EXPECTED_TEXT -- command...: exit 1 with EXPECTED_TEXT in its output
  local name=$1 expected=$2; shift 3
  "$@" > out.txt 2>&1; local rc=$?
  if [[ $rc -eq 1 ]] && grep -qF -- "$expected" out.txt; then pass "$name"; else echo "(exit $rc, expected '$expected')"; fail "$name"; fi
}
py() { python3 -c "$@"; }  # py SCRIPT ARGS...: exits 0 when the check holds

write_letters train.jsonl
# Synthetic questions whose answer ("zz") a one-token completion never gives: their steps score 0.
for i in $(seq 0 7); do printf '{"id": "s%d", "problem": "%s", "answer": "zz"}\n' "$i" "$(printf 'dcba' | cut -c$((i % 4 + 1)))"; done > syn.jsonl
train() {  # train OUT [train-rl options...]
  local out=$1; shift
  "$soar" --threads 1 train-rl --model "$model" --problems train.jsonl --steps 6 --prompts-per-step 4 -k 4 --max-new-tokens 1 \
    --lr 3e-3 --seed 7 --checkpoint-every 1 --eval-problems train.jsonl --eval-samples 4 --eval-every 1 --out "$out" "$@"
}

# A curriculum of 3 synthetic steps out of 6: the phases, and rewards that show where problems came from.
train cur --synthetic syn.jsonl --synthetic-steps 3 > cur.log 2>&1 || { echo "train-rl failed:"; tail -n 20 cur.log; }
if py '
import json, sys
steps = [json.loads(l) for l in open("cur/metrics.jsonl") if json.loads(l)["event"] == "step"]
evals = [json.loads(l)["step"] for l in open("cur/metrics.jsonl") if json.loads(l)["event"] == "eval"]
phases = [(r["step"], r["phase"]) for r in steps]
expected = [(1, "synthetic"), (2, "synthetic"), (3, "synthetic"), (4, "real"), (5, "real"), (6, "real")]
sys.exit(not (phases == expected and evals == list(range(7))
              and all(r["reward"] == 0 for r in steps[:3]) and sum(r["reward"] for r in steps[3:]) > 0
              and any(r["grad_norm"] > 0 for r in steps)))'; then
  pass curriculum-phases-in-metrics
else
  fail curriculum-phases-in-metrics; cat cur/metrics.jsonl
fi
train mix --synthetic syn.jsonl --mix mixed > mix.log 2>&1
train plain > plain.log 2>&1
if py '
import json, sys
phase = lambda run: [json.loads(l).get("phase") for l in open(run + "/metrics.jsonl") if json.loads(l)["event"] == "step"]
sys.exit(not (phase("mix") == ["mixed"] * 6 and phase("plain") == [None] * 6))'; then
  pass mixed-and-plain-phases
else
  fail mixed-and-plain-phases
fi

# select-checkpoint on the curriculum run: its pass@k are the means of the evaluations it lists.
"$soar" select-checkpoint cur > out.txt 2>&1
if grep -q "selected step" out.txt && py '
import json, sys
s = json.load(open("cur/selection.json"))
evals = {json.loads(l)["step"]: json.loads(l)["pass_at_k"] for l in open("cur/metrics.jsonl") if json.loads(l)["event"] == "eval"}
first = s["selected_step"]
inside = [e for e in sorted(evals) if first <= e < first + 200]
ok = 0 <= first <= 6 and s["evaluation_steps"] == inside and s["evaluations_averaged"] == len(inside)
for key in ("pass@1", "pass@4"):
    mean = sum(evals[e][key]["mean"] for e in inside) / len(inside)
    ok = ok and abs(s["pass_at_k"][key]["mean"] - mean) < 1e-12 and s["pass_at_k"][key]["evaluations"] == len(inside)
ok = ok and s["rule"] == {"smoothing": 25, "slope_fraction": 0.15, "average_window": 200, "reward_curve": "all"}
sys.exit(not ok)'; then
  pass select-checkpoint-on-a-run
else
  fail select-checkpoint-on-a-run; cat cur/selection.json
fi
"$soar" select-checkpoint cur --reward-curve real > out.txt 2>&1
py 'import json, sys; s = json.load(open("cur/selection.json")); sys.exit(not (s["reward_curve_steps"] == {"first": 4, "last": 6} and s["selected_step"] >= 3))' \
  && pass select-checkpoint-real-phase-only || fail select-checkpoint-real-phase-only

# Killed inside (step 2 of 3 synthetic) and after the switch (step 5), then resumed: equal to the
# uninterrupted run. The hook kills the process after sampling 0-based step N, so N steps are saved.
"$soar" select-checkpoint cur > /dev/null 2>&1
for kill_at in 1 4; do
  run=resumed$kill_at
  export SOAR_TEST_KILL_AT="0:rl/step/$kill_at/sampled"
  train $run --synthetic syn.jsonl --synthetic-steps 3 > $run.log 2>&1
  killed=$?
  unset SOAR_TEST_KILL_AT
  train $run --synthetic syn.jsonl --synthetic-steps 3 >> $run.log 2>&1
  "$soar" select-checkpoint $run > /dev/null 2>&1
  if [[ $killed -ne 0 ]] && grep -q "resuming from .* at step $kill_at" $run.log \
     && cmp -s cur/model/model.safetensors $run/model/model.safetensors \
     && diff <(metrics cur/metrics.jsonl) <(metrics $run/metrics.jsonl) > /dev/null && cmp -s cur/selection.json $run/selection.json; then
    pass "curriculum-resumed-at-step-$kill_at-equals-uninterrupted"
  else
    echo "(killed: exit $killed)"; fail "curriculum-resumed-at-step-$kill_at-equals-uninterrupted"; tail -n 5 $run.log
  fi
done

# Two processes (soar launch, Gloo on loopback) run the same curriculum as one, given the same chunks.
export SOAR_DIST_TIMEOUT=30
train one --synthetic syn.jsonl --synthetic-steps 3 --rollout-chunks 2 > one.log 2>&1
"$soar" --threads 1 launch --nproc 2 --master-port 0 -- train-rl --model "$model" --problems train.jsonl --steps 6 \
  --prompts-per-step 4 -k 4 --max-new-tokens 1 --lr 3e-3 --seed 7 --checkpoint-every 1 --eval-problems train.jsonl \
  --eval-samples 4 --eval-every 1 --out two --synthetic syn.jsonl --synthetic-steps 3 --rollout-chunks 2 > two.log 2>&1
if [[ -s one/model/model.safetensors ]] && cmp -s one/model/model.safetensors two/model/model.safetensors \
   && diff <(metrics one/metrics.jsonl) <(metrics two/metrics.jsonl) > /dev/null && grep -q '"phase":"synthetic"' two/metrics.jsonl; then
  pass curriculum-two-processes-equal-one
else
  fail curriculum-two-processes-equal-one; tail -n 5 two.log
fi

# A hand-written run: rewards 0, .25, .5, .75, .875, .9375, 1, 1, 1 (steps 1-9), pass@1 = e/16 and
# pass@4 = e/8 at every eval step e = 0..9. A resumed run's repeated records (the later one counts)
# and other events are part of it. With --smoothing 3 the smoothed curve m[t] (the mean of t-1..t+1,
# cut at the ends) is .125, .25, .5, .7083, .8542, .9375, .9792, 1, 1, its slopes (the range is 1)
# .125, .25, .2083, .1458, .0833, .0417, .0208, 0: the maximum .25 at t = 1, and the first later slope
# below 0.15 * .25 = .0375 is at t = 6 (below 0.5 * .25 = .125: t = 4).
mkdir hand
{
  echo '{"event": "eval", "step": 0, "pass_at_k": {"pass@1": {"mean": 0.0}, "pass@4": {"mean": 0.0}}}'
  step=0
  for reward in 0 0.25 0.5 0.75 0.875 0.9375 1 1 1; do
    step=$((step + 1))
    [[ $step -eq 5 ]] && echo '{"event": "step", "step": 5, "reward": 0.0}' \
      && echo '{"event": "eval", "step": 5, "pass_at_k": {"pass@1": {"mean": 0.9}, "pass@4": {"mean": 0.9}}}'
    echo "{\"event\": \"step\", \"step\": $step, \"reward\": $reward, \"phase\": \"real\"}"
    echo "{\"event\": \"eval\", \"step\": $step, \"pass_at_k\": {\"pass@1\": {\"mean\": $(py "print($step / 16)")}, \"pass@4\": {\"mean\": $(py "print($step / 8)")}}}"
  done
  echo '{"event": "note", "text": "not part of the curve"}'
} > hand/metrics.jsonl
hand_check() {  # hand_check NAME STEP PASS1 PASS4 COUNT -- select-checkpoint options...
  local name=$1 step=$2 p1=$3 p4=$4 count=$5; shift 6
  "$soar" select-checkpoint hand "$@" > out.txt 2>&1
  if py '
import json, sys
s = json.load(open("hand/selection.json"))
step, p1, p4, count = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
sys.exit(not (s["selected_step"] == step and s["evaluations_averaged"] == count
              and abs(s["pass_at_k"]["pass@1"]["mean"] - p1) < 1e-12 and abs(s["pass_at_k"]["pass@4"]["mean"] - p4) < 1e-12))' \
     "$step" "$p1" "$p4" "$count"; then
    pass "$name"
  else
    fail "$name"; cat hand/selection.json
  fi
}
# Step 6, window [6, 9): evals 6, 7, 8: pass@1 (6+7+8)/16/3 = .4375, pass@4 (6+7+8)/8/3 = .875.
hand_check hand-selected-step-and-window-mean 6 0.4375 0.875 3 -- --smoothing 3 --average-window 3
# Step 4, window [4, 7): evals 4, 5 (the later record), 6: pass@1 15/48 = .3125, pass@4 15/24 = .625.
hand_check hand-slope-fraction 4 0.3125 0.625 3 -- --smoothing 3 --slope-fraction 0.5 --average-window 3
# The paper's window of 200 steps from step 6 takes every later evaluation: 6..9, pass@1 30/64.
hand_check hand-default-window 6 0.46875 0.9375 4 -- --smoothing 3

# Refusals of train-rl, before the run directory is created.
args=(--model "$model" --problems train.jsonl --steps 6 --prompts-per-step 4 -k 4 --max-new-tokens 1 --out refused)
: > empty.jsonl
printf '{"id": "3", "problem": "ab", "answer": "a"}\n' > clash.jsonl
refused mix-without-synthetic "--mix needs --synthetic" -- "$soar" train-rl "${args[@]}" --mix mixed
refused steps-without-synthetic "--synthetic-steps needs --synthetic" -- "$soar" train-rl "${args[@]}" --synthetic-steps 3
refused synthetic-phase-too-long "--synthetic-steps 6 must be below --steps 6" -- "$soar" train-rl "${args[@]}" --synthetic syn.jsonl --synthetic-steps 6
refused synthetic-steps-with-mixed "--synthetic-steps applies to --mix curriculum only" -- \
  "$soar" train-rl "${args[@]}" --synthetic syn.jsonl --mix mixed --synthetic-steps 3
refused unknown-mix "--mix must be curriculum or mixed" -- "$soar" train-rl "${args[@]}" --synthetic syn.jsonl --mix both
refused empty-synthetic "empty.jsonl" -- "$soar" train-rl "${args[@]}" --synthetic empty.jsonl --synthetic-steps 3
refused duplicate-id-when-mixed "problem id '3' is in both clash.jsonl and train.jsonl" -- \
  "$soar" train-rl "${args[@]}" --synthetic clash.jsonl --mix mixed
[[ ! -e refused ]] && pass refusals-leave-no-run-directory || fail refusals-leave-no-run-directory

# Refusals of select-checkpoint.
refused no-metrics-file "no metrics file" -- "$soar" select-checkpoint nowhere
mkdir evals-only && grep '"eval"' hand/metrics.jsonl > evals-only/metrics.jsonl
refused no-step-records "no training step records" -- "$soar" select-checkpoint evals-only
mkdir sparse && grep -v '"eval"' hand/metrics.jsonl > sparse/metrics.jsonl
grep '"eval", "step": [09],' hand/metrics.jsonl >> sparse/metrics.jsonl
refused no-eval-in-window "no evaluation in steps [6, 8) of \"sparse/metrics.jsonl\", the window after the selected step 6: evaluations exist at steps 0, 9; rerun train-rl with an --eval-every below 2" -- \
  "$soar" select-checkpoint sparse --smoothing 3 --average-window 2
mkdir no-evals && grep -v '"eval"' hand/metrics.jsonl > no-evals/metrics.jsonl
refused no-evals "no evaluation records" -- "$soar" select-checkpoint no-evals
mkdir gap && grep -v '"step": 3,' hand/metrics.jsonl > gap/metrics.jsonl
refused missing-step "skip step 3" -- "$soar" select-checkpoint gap
mkdir broken && { head -n 2 hand/metrics.jsonl; echo '{"event": "step", "st'; } > broken/metrics.jsonl
refused broken-line "broken/metrics.jsonl:3: not valid JSON" -- "$soar" select-checkpoint broken
refused even-smoothing "--smoothing must be odd" -- "$soar" select-checkpoint hand --smoothing 4
refused real-curve-of-mixed-run "no step of phase \"real\"" -- "$soar" select-checkpoint mix --reward-curve real

if [[ $failures -ne 0 ]]; then echo "$failures check(s) failed"; exit 1; fi
echo "all fresh-student checks passed"
