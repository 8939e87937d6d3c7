#!/usr/bin/env bash
# Distributed runs on loopback with Gloo, through `soar launch`:
#  1. train-rl (3 steps, 4 rollout chunks) and eval give bit-identical models, metrics, results
#     and rollout logs with 1, 2 and 4 processes;
#  2. rank 1 killed with SIGKILL in the middle of step 3: the launcher and rank 0 exit non-zero
#     within the timeout naming rank 1, the checkpoint of step 2 is intact, and resuming it with ONE
#     process reproduces the uninterrupted run's steps 3-4 and final model bit for bit;
#     a rank frozen with SIGSTOP makes the collective time out with an error naming it;
#  3. mine with 2 processes equals mine with 1;
#  4. SOAR (3 outer steps, g = 4) gives the same teacher, student and records with 1, 2 and 4
#     processes, and a rank killed in outer step 2 stops the run after step 1; resuming with one
#     process ends like the uninterrupted run;
#  5. testbed hard-level with 2 processes equals 1; its two refusals (nothing past the edge at the top,
#     a chosen level with no failed problem).
# Usage: dist_test.sh SOAR_BINARY MODEL_DIR WORK_DIR
set -uo pipefail
soar=$(realpath "$1") model=$(realpath "$2") work=$3
source "$(dirname "${BASH_SOURCE[0]}")/run_inputs.sh"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
failures=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; failures=$((failures + 1)); }
summary() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1] + "/summary.json")); d.pop("seconds"); print(json.dumps(d, sort_keys=True))' "$1"; }
write_letters letters.jsonl
export SOAR_DIST_TIMEOUT=30
train() {  # train NPROC STEPS OUT [extra env...]
  local nproc=$1 steps=$2 out=$3; shift 3
  env "$@" "$soar" --threads 1 launch --nproc "$nproc" --master-port 0 -- train-rl --model "$model" --problems letters.jsonl \
    --steps "$steps" --prompts-per-step 8 -k 4 --max-new-tokens 1 --lr 3e-3 --rollout-chunks 4 --seed 7 \
    --checkpoint-every 1 --eval-problems letters.jsonl --eval-samples 4 --eval-every 2 --out "$out" > "$out.log" 2>&1
}

# 1. Same run at every world size.
for n in 1 2 4; do train $n 4 rl$n || { bad "train-rl with $n processes failed"; tail -n 20 rl$n.log; }; done
if python3 -c 'import json,sys; sys.exit(0 if any(json.loads(l).get("grad_norm", 0) > 0 for l in open("rl1/metrics.jsonl")) else 1)'; then
  ok "train-rl has non-zero gradients (the comparison is not vacuous)"
else
  bad "train-rl gradients were all zero"
fi
for n in 2 4; do
  if cmp -s rl1/model/model.safetensors rl$n/model/model.safetensors && diff <(metrics rl1/metrics.jsonl) <(metrics rl$n/metrics.jsonl) > /dev/null \
     && diff -r rl1/rollouts rl$n/rollouts > /dev/null; then
    ok "train-rl: $n processes = 1 process (model bytes, metrics and every process's rollouts on rank 0)"
  else
    bad "train-rl: $n processes differ from 1"; diff <(metrics rl1/metrics.jsonl) <(metrics rl$n/metrics.jsonl) | head
  fi
done
for n in 1 2 4; do
  "$soar" --threads 1 launch --nproc $n --master-port 0 -- eval --model "$model" --problems letters.jsonl -n 8 -k 1,8 \
    --batch 8 --max-new-tokens 1 --seed 3 --out ev$n > ev$n.log 2>&1 || { bad "eval with $n processes failed"; tail ev$n.log; }
done
for n in 2 4; do
  if cmp -s ev1/per_problem.jsonl ev$n/per_problem.jsonl && diff <(summary ev1) <(summary ev$n) > /dev/null \
     && cmp -s ev1/rollouts.jsonl ev$n/rollouts.jsonl; then
    ok "eval: $n processes = 1 process (results and rollouts)"
  else
    bad "eval: $n processes differ from 1"; diff <(summary ev1) <(summary ev$n)
  fi
done

# 2. Kill rank 1 mid-step 3 (0-based step 2, after sampling, before the gradient exchange).
start=$(date +%s)
train 2 4 killed SOAR_TEST_KILL_AT=1:rl/step/2/sampled; rc=$?
elapsed=$(( $(date +%s) - start ))
if [[ $rc -ne 0 ]] && grep -q "rank 1 was killed by signal 9" killed.log && grep -q "failed on rank 0 of 2.*rank 1" killed.log \
   && ! grep -q "(the collective timeout)" killed.log \
   && [[ $elapsed -lt $((SOAR_DIST_TIMEOUT + 20)) ]]; then
  ok "killed rank: exit $rc after ${elapsed}s, rank 1 named"
else
  bad "killed rank: exit $rc after ${elapsed}s"; cat killed.log
fi
if [[ $(grep -c '"event":"step"' killed/metrics.jsonl) -eq 2 ]] && [[ ! -e killed/checkpoint.tmp ]] && [[ ! -e killed/model ]]; then
  ok "killed run stopped at the last complete step (2), no partial checkpoint"
else
  bad "killed run left unexpected state"; ls killed; cat killed/metrics.jsonl
fi
train 1 4 killed; rc=$?
if [[ $rc -eq 0 ]] && grep -q "resuming from .* at step 2" killed.log && cmp -s rl1/model/model.safetensors killed/model/model.safetensors \
   && diff <(metrics rl1/metrics.jsonl | tail -n +4) <(metrics killed/metrics.jsonl | tail -n +4) > /dev/null; then
  ok "resumed with 1 process = uninterrupted run (steps 3-4 and final model)"
else
  bad "resume after the kill differs from the uninterrupted run"; tail killed.log; diff <(metrics rl1/metrics.jsonl) <(metrics killed/metrics.jsonl)
fi

# A hung rank (SIGSTOP): the collective times out after SOAR_DIST_TIMEOUT and names it, seen stopped
# in /proc (same host); the launcher then stops the frozen process.
start=$(date +%s)
SOAR_DIST_TIMEOUT=4 SOAR_TEST_KILL_AT=1:rl/step/1/sampled:STOP "$soar" --threads 1 launch --nproc 2 --master-port 0 --grace 2 -- \
  train-rl --model "$model" --problems letters.jsonl --steps 4 --prompts-per-step 8 -k 4 --max-new-tokens 1 --rollout-chunks 4 \
  --out hung > hung.log 2>&1; rc=$?
elapsed=$(( $(date +%s) - start ))
if [[ $rc -ne 0 ]] && grep -qE "failed on rank 0 of 2 after [0-9.]+ s \(the collective timeout\): missing: rank 1 .*it is stopped \(SIGSTOP" hung.log && [[ $elapsed -lt 30 ]]; then
  ok "hung rank: timed out after ${elapsed}s, rank 1 named"
else
  bad "hung rank: exit $rc after ${elapsed}s"; cat hung.log
fi

# 3. Mining.
for n in 1 2; do
  "$soar" --threads 1 launch --nproc $n --master-port 0 -- mine --model "$model" --problems letters.jsonl -n 4 --batch 8 \
    --max-new-tokens 1 --seed 5 --out mine$n > mine$n.log 2>&1 || { bad "mine with $n processes failed"; tail mine$n.log; }
done
if cmp -s mine1/mining_log.jsonl mine2/mining_log.jsonl && cmp -s mine1/summary.json mine2/summary.json; then
  ok "mine: 2 processes = 1 process"
else
  bad "mine: 2 processes differ from 1"
fi
# 4. SOAR outer steps: a small testbed model (pretrained here, ~15 s) and level-1 problems, so that
# inner loops get rewards, the teacher is updated and a trained student is promoted.
pretrain_small_testbed "$soar" 1 tb || { bad "testbed pretrain failed"; tail tb.log; }
"$soar" testbed problems --levels 1 --count 16 --seed 1 --out level1.jsonl > /dev/null
# 5. testbed hard-level on the small testbed model (it solves a little of level 1, so with
# --max-successes 0 the scan may stop there): 2 processes equal 1, and the recorded choice is the
# rule applied to the recorded scan (the lowest level of the quiet run from the top).
for n in 1 2; do
  "$soar" --threads 1 launch --nproc $n --master-port 0 -- testbed hard-level --model tb/model --levels 1-3 --count 8 -n 4 \
    --batch 32 --seed 5 --max-successes 0 --out hl$n > hl$n.log 2>&1
  [[ -f hl$n/scan.json ]] || { bad "testbed hard-level with $n processes wrote no scan.json"; tail hl$n.log; }
done
if cmp -s hl1/scan.json hl2/scan.json && python3 -c '
import json, sys
scan = json.load(open("hl1/scan.json"))
levels = scan["levels"]
quiet = None
for entry in levels:
    if entry["successes"] > scan["max_successes"]:
        break
    quiet = entry["level"]
loud_stop = all(e["successes"] <= scan["max_successes"] for e in levels[:-1])
sys.exit(not (scan["hard_level"] == quiet and loud_stop and [e["level"] for e in levels] == [3, 2, 1][:len(levels)]))'; then
  ok "testbed hard-level: 2 processes = 1 process, choice follows the scan"
else
  bad "testbed hard-level: processes differ or the choice does not follow the scan"; cat hl1/scan.json hl2/scan.json; tail hl1.log
fi
# ... and its two refusals, each with the scan recorded: the top scanned level already over the
# threshold (level 1 above; how many successes depends on the draws), and a quiet level none of
# whose problems was failed (a one-problem pool the model solves within 64 samples, under a
# lenient threshold).
refusal() {  # refusal NAME EXPECTED_PATTERN hard-level-args...  (an extended regular expression)
  local name=$1 expected=$2; shift 2
  "$soar" --threads 1 testbed hard-level --model tb/model --levels 1-1 --batch 64 --seed 5 --out "$name" "$@" > "$name.log" 2>&1
  local rc=$?
  if [[ $rc -eq 1 ]] && grep -qE -- "$expected" "$name.log" && [[ -f $name/scan.json ]]; then
    ok "testbed hard-level refuses: $name"
  else
    bad "testbed hard-level $name: exit $rc, expected '$expected'"; tail -n 3 "$name.log"
  fi
}
refusal top-level-loud "level 1 already had [1-9][0-9]* success(es)? \(more than --max-successes 0\)" --count 8 -n 4 --max-successes 0
refusal nothing-failed "level 1 is the hard level but none of its 1 problems was failed 64 times" --count 1 -n 64 --max-successes 1000
meta_extra=()  # more meta flags for the runs that follow
meta() {  # meta NPROC T OUT [env...]
  local nproc=$1 steps=$2 out=$3; shift 3
  env "$@" "$soar" --threads 1 launch --nproc "$nproc" --master-port 0 -- meta --model tb/model --train level1.jsonl -T "$steps" \
    -g 4 -n 2 -r 2 -K 2 --promoted-extra-steps 1 --inner-prompts 4 --inner-samples 4 --q-size 8 --student-lr 3e-3 \
    --teacher-lr 1e-3 --teacher-warmup 0 --tau -1 --window 1 --seed 3 ${meta_extra[@]+"${meta_extra[@]}"} --out "$out" > "$out.log" 2>&1
}
outer_steps() { metrics "$1/metrics.jsonl" | grep -v '"event": "config"'; }
# g r = 8 inner loops (4 datasets x 2 students) spread over 1, 2 and 4 processes.
for n in 1 2 4; do meta $n 3 soar$n || { bad "meta with $n processes failed"; tail soar$n.log; }; done
if ! cmp -s tb/model/model.safetensors soar1/student/model.safetensors && ! cmp -s tb/model/model.safetensors soar1/teacher/model.safetensors; then
  ok "meta: teacher updated and a trained student promoted (the comparison is not vacuous)"
else
  bad "meta: the teacher or the student never changed"
fi
for n in 2 4; do
  if cmp -s soar1/student/model.safetensors soar$n/student/model.safetensors && cmp -s soar1/teacher/model.safetensors soar$n/teacher/model.safetensors \
     && diff <(outer_steps soar1) <(outer_steps soar$n) > /dev/null && diff -r soar1/rollouts soar$n/rollouts > /dev/null; then
    ok "meta: $n processes = 1 process (teacher, student, per-step records, rollouts)"
  else
    bad "meta: $n processes differ from 1"; diff <(outer_steps soar1) <(outer_steps soar$n) | head
  fi
done
meta 2 3 soar-killed SOAR_TEST_KILL_AT=1:meta/step/1/inner; rc=$?
if [[ $rc -ne 0 ]] && grep -q "failed on rank 0 of 2.*rank 1" soar-killed.log && [[ $(outer_steps soar-killed | wc -l) -eq 1 ]]; then
  ok "meta: rank 1 killed in outer step 2 stops the run after step 1, rank 1 named"
else
  bad "meta: killed run (exit $rc)"; cat soar-killed.log
fi
meta 1 3 soar-killed; rc=$?
if [[ $rc -eq 0 ]] && cmp -s soar1/student/model.safetensors soar-killed/student/model.safetensors \
   && cmp -s soar1/teacher/model.safetensors soar-killed/teacher/model.safetensors \
   && diff <(outer_steps soar1) <(outer_steps soar-killed) > /dev/null && diff -r soar1/rollouts soar-killed/rollouts > /dev/null; then
  ok "meta: resumed with 1 process = uninterrupted run (rollouts of the redone step rewritten)"
else
  bad "meta: resume after the kill differs"; diff <(outer_steps soar1) <(outer_steps soar-killed) | head
fi
# PS: every promoted student of soar1 measured greedily on D_train, the best one chosen.
"$soar" --threads 1 select-promoted --run soar1 --train level1.jsonl --prompt-template $'Q:{problem}\nA:' --stop $'\n' \
  --max-new-tokens 20 > ps.out 2> ps.log
if python3 -c '
import json, os, sys
d = json.load(open("soar1/promoted_student.json"))
kept = sorted(os.listdir("soar1/promoted"), key=lambda n: int(n[5:]))
names = [s["student"] for s in d["students"]]
best = max(s["accuracy"] for s in d["students"])
first_best = next(s["student"] for s in d["students"] if s["accuracy"] == best)
sys.exit(not (names == ["promoted/" + n for n in kept] and len(kept) == 3 and d["accuracy"] == best and d["best"] == first_best
              and open("ps.out").read().strip() == os.path.join("soar1", first_best)))'; then
  ok "select-promoted: every promoted student measured, the first best chosen and printed"
else
  bad "select-promoted"; cat ps.log ps.out soar1/promoted_student.json
fi
# Teacher sampling: accepted pairs from a teacher checkpoint, the same for the same seed.
for run in 1 2; do
  "$soar" --threads 1 teacher-sample --model soar1/teacher --domain testbed -n 6 --seed 2 --out ts$run.jsonl 2> ts$run.log
done
if [[ $(wc -l < ts1.jsonl) -eq 6 ]] && cmp -s ts1.jsonl ts2.jsonl && grep -q '"id":"t5"' ts1.jsonl \
   && grep -q "wrote 6 pairs to ts1.jsonl" ts1.log; then
  ok "teacher-sample: 6 accepted pairs, the same for the same seed"
else
  bad "teacher-sample"; cat ts1.log; head -3 ts1.jsonl
fi
# The learnability teacher (no inner loops): its intrinsic measurements are spread over the ranks by
# dataset; 2 processes = 1 process, and the student is never trained.
meta_extra=(--teacher-reward learnability --intrinsic-samples 8)
for n in 1 2; do meta $n 2 soar-lb-$n || { bad "meta learnability with $n processes failed"; tail soar-lb-$n.log; }; done
if cmp -s soar-lb-1/teacher/model.safetensors soar-lb-2/teacher/model.safetensors \
   && diff <(outer_steps soar-lb-1) <(outer_steps soar-lb-2) > /dev/null \
   && ! cmp -s tb/model/model.safetensors soar-lb-1/teacher/model.safetensors \
   && cmp -s tb/model/model.safetensors soar-lb-1/student/model.safetensors; then
  ok "meta learnability: 2 processes = 1 process, teacher updated, student untouched"
else
  bad "meta learnability: 2 processes differ from 1, the teacher never changed or the student did"
  diff <(outer_steps soar-lb-1) <(outer_steps soar-lb-2) | head
fi
meta_extra=()
echo "dist: $failures failure(s)"
exit $((failures > 0))
