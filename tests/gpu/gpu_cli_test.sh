#!/usr/bin/env bash
# The soar commands end to end on one GPU (--device cuda; bf16 with float32 master weights, the
# GPU default): train-rl with checkpoints, killed mid-run and resumed; eval, sample and mine; and
# SOAR's meta-loop (2 outer steps on a small testbed model pretrained here on the CPU; also with
# --domain math's formats). Each must run to completion with complete, finite outputs, and the
# runs must learn something (non-zero gradients, a teacher that changed). gpu_test covers the
# pieces; this covers what the commands compose: every tensor they create on the right device,
# bf16 checkpoints with master weights and their resume, a sampler kept across the meta-loop's many
# calls of different batch sizes.
# Exit 77 (skipped) without a GPU. SOAR_CLI_TEST_DEVICE=cpu runs the same script on the CPU (to
# check the script itself where no GPU is lent).
# Usage: gpu_cli_test.sh SOAR_BINARY MODEL_DIR WORK_DIR   (MODEL_DIR: the dist_model fixture)
set -uo pipefail
soar=$(realpath "$1") model=$(realpath "$2") work=$3
source "$(dirname "${BASH_SOURCE[0]}")/../distributed/run_inputs.sh"
device=${SOAR_CLI_TEST_DEVICE:-cuda}
if [[ $device == cuda* ]] && ! { command -v nvidia-smi > /dev/null && nvidia-smi -L > /dev/null 2>&1; }; then
  echo "no GPU: skipped"; exit 77
fi
rm -rf "$work" && mkdir -p "$work" && cd "$work"
failures=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; failures=$((failures + 1)); }
# check NAME PYTHON FILE...: PYTHON reads the files (files[i]; lines() parses JSON lines) and sets
# `passed`; what it prints is shown when the check fails.
check() {
  local name=$1 code=$2; shift 2
  local output
  if output=$(python3 - "$@" 2>&1 <<EOF
import json, math, sys
def lines(path): return [json.loads(l) for l in open(path) if l.strip()]
def finite(values): return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)
files = sys.argv[1:]
passed = False
$code
sys.exit(0 if passed else 1)
EOF
  ); then ok "$name"; else bad "$name"; echo "$output" | tail -n 5; fi
}
write_letters letters.jsonl

train() {  # train OUT [env...]
  local out=$1; shift
  env "$@" "$soar" train-rl --device "$device" --model "$model" --problems letters.jsonl --steps 4 --prompts-per-step 8 -k 4 \
    --max-new-tokens 1 --lr 3e-3 --seed 7 --checkpoint-every 1 --eval-problems letters.jsonl --eval-samples 4 --eval-every 2 \
    --out "$out" >> "$out.log" 2>&1
}
train rl || { bad "train-rl on $device failed"; tail -n 60 rl.log; }
check "train-rl on $device: 4 steps, finite loss and gradient norms, some non-zero; 3 evaluations" '
records = lines(files[0])
steps = [r for r in records if r["event"] == "step"]
evals = [r["pass_at_k"]["pass@1"]["mean"] for r in records if r["event"] == "eval"]
print(steps, evals)
passed = (len(steps) == 4 and finite([s["loss"] for s in steps] + [s["grad_norm"] for s in steps])
          and any(s["grad_norm"] > 0 for s in steps) and len(evals) == 3 and all(0 <= e <= 1 for e in evals))' rl/metrics.jsonl
[[ -f rl/model/model.safetensors ]] && ok "train-rl on $device wrote its model" || bad "train-rl on $device wrote no model"

train killed SOAR_TEST_KILL_AT=0:rl/step/2/sampled; rc=$?
if [[ $rc -ne 0 ]] && grep -q "kills itself at rl/step/2/sampled" killed.log; then
  ok "train-rl killed in step 3 (exit $rc)"
else
  bad "the kill hook did not stop train-rl (exit $rc)"
fi
train killed; rc=$?
if [[ $rc -eq 0 ]] && grep -q "resuming from .* at step 2" killed.log && [[ -f killed/model/model.safetensors ]]; then
  ok "train-rl on $device resumed from its step-2 checkpoint (bf16 weights + master weights) and finished"
else
  bad "train-rl on $device did not resume (exit $rc)"; tail -n 60 killed.log
fi
# Informational: CUDA's backward (e.g. the embedding gradient's atomic adds) is not bit-reproducible,
# so equality with the uninterrupted run is reported, not required.
cmp -s rl/model/model.safetensors killed/model/model.safetensors && echo "info: resumed model = uninterrupted model (bit for bit)" \
  || echo "info: resumed model differs from the uninterrupted one in some bits"

"$soar" eval --device "$device" --model "$model" --problems letters.jsonl -n 8 -k 1,8 --batch 8 --max-new-tokens 1 --seed 3 \
  --out ev > ev.log 2>&1 || { bad "eval on $device failed"; tail -n 60 ev.log; }
check "eval on $device: 16 problems x 8 samples, pass@1 <= pass@8 within [0, 1]" '
records = lines(files[0])
summary = json.load(open(files[1]))
p1, p8 = summary["pass_at_k"]["pass@1"]["mean"], summary["pass_at_k"]["pass@8"]["mean"]
print(summary)
passed = len(records) == 16 and all(r["samples"] == 8 for r in records) and 0 <= p1 <= p8 <= 1' ev/per_problem.jsonl ev/summary.json
"$soar" sample --device "$device" --model "$model" --problems letters.jsonl -n 4 --max-new-tokens 1 --temperature 0.7 --top-p 0.9 \
  --out samples.jsonl > sample.log 2>&1 || { bad "sample on $device (top-p) failed"; tail -n 60 sample.log; }
check "sample on $device with top-p: 64 one-letter samples, finite log-probabilities <= 0" '
rows = lines(files[0])
print(rows[:2])
passed = (len(rows) == 64 and finite([r["logprob"] for r in rows]) and all(r["logprob"] <= 0 for r in rows)
          and all(r["tokens"] == 1 for r in rows))' samples.jsonl
"$soar" mine --device "$device" --model "$model" --problems letters.jsonl -n 4 --batch 8 --max-new-tokens 1 --seed 5 --out mine \
  > mine.log 2>&1 && [[ -f mine/summary.json ]] && ok "mine on $device" || { bad "mine on $device failed"; tail -n 60 mine.log; }

# SOAR on the small testbed model of dist_test (pretrained on the CPU).
pretrain_small_testbed "$soar" 4 tb || { bad "testbed pretrain failed"; tail -n 60 tb.log; }
"$soar" testbed problems --levels 1 --count 16 --seed 1 --out level1.jsonl > /dev/null
"$soar" meta --device "$device" --model tb/model --train level1.jsonl -T 2 -g 4 -n 2 -K 2 --inner-prompts 4 --inner-samples 4 \
  --q-size 8 --q-samples 8 --student-lr 3e-3 --teacher-lr 1e-3 --tau -1 --window 1 --seed 3 --out soar > soar.log 2>&1 \
  || { bad "meta on $device failed"; tail -n 60 soar.log; }
check "meta on $device: 2 outer steps of 4 datasets, finite grounded rewards and success rates" '
steps = [r for r in lines(files[0]) if "step" in r and "datasets" in r]
datasets = [d for s in steps for d in s["datasets"]]
print([(d["grounded_reward"], d["student_success"]) for d in datasets])
passed = (len(steps) == 2 and len(datasets) == 8 and finite([d["grounded_reward"] for d in datasets])
          and all(0 <= d["student_success"] <= 1 for d in datasets))' soar/metrics.jsonl
if [[ -f soar/teacher/model.safetensors ]] && ! cmp -s tb/model/model.safetensors soar/teacher/model.safetensors; then
  ok "meta on $device: the teacher was updated"
else
  bad "meta on $device: no teacher written, or the teacher never changed"
fi
# The same loop with the math domain's formats and the math verifier as reward: the testbed model
# writes no Problem/Answer items, so this checks that the path runs on the device, not learning.
"$soar" meta --device "$device" --domain math --model tb/model --train level1.jsonl -T 2 -g 2 -n 2 -K 1 --inner-prompts 4 \
  --inner-samples 4 --q-size 4 --q-samples 4 --teacher-prompt 'Write {n}:' --prompt-template '{problem}=' \
  --teacher-max-new-tokens 40 --student-max-tokens 8 --seed 3 --out soar-math > soar-math.log 2>&1 \
  || { bad "meta --domain math on $device failed"; tail -n 60 soar-math.log; }
check "meta --domain math on $device: 2 outer steps, finite success rates" '
steps = [r for r in lines(files[0]) if "step" in r and "datasets" in r]
print([(s["baseline_success"], [d["questions"] for d in s["datasets"]]) for s in steps])
passed = len(steps) == 2 and finite([s["baseline_success"] for s in steps])' soar-math/metrics.jsonl

echo "$failures failure(s)"
[[ $failures -eq 0 ]]
