#!/usr/bin/env bash
# The soar command line end to end: clear errors on bad input (file and line named, non-zero exit,
# no crash), train-rl and meta (testbed and math domains) resumed from a checkpoint equal the
# uninterrupted runs bit for bit, a damaged checkpoint file stops a resume with the file named, and
# testbed hard-level mines each level as problems + mine would.
# Usage: cli_test.sh SOAR_BINARY MODEL_DIR WORK_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/problem_files.sh"
soar=$1 model=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
failures=0
check() {  # check NAME EXPECTED_TEXT -- command...
  local name=$1 expected=$2; shift 3
  "$@" > out.txt 2>&1; local rc=$?
  if [[ $rc -ne 1 ]] || ! grep -qF -- "$expected" out.txt; then
    echo "FAIL $name: exit $rc, expected exit 1 and '$expected' in:"; cat out.txt; failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}
printf '{"id": "1", "problem": "ab", "answer": "c"}\n{"id": 2, "problem": \n' > bad.jsonl
: > empty.jsonl
printf '{"id": "1", "problem": "%s", "answer": "c"}\n' "$(printf 'x%.0s' $(seq 100))" > long.jsonl
write_good_problems

check malformed-jsonl "bad.jsonl:2" -- "$soar" eval --model "$model" --problems bad.jsonl --out e1
check empty-set "empty.jsonl" -- "$soar" eval --model "$model" --problems empty.jsonl --out e2
check missing-model "does not exist" -- "$soar" eval --model "$work/nope" --problems good.jsonl --out e3
check prompt-too-long "exceeds the model's context of 64" -- "$soar" sample --model "$model" --problems long.jsonl --out s.jsonl
"$soar" eval --model "$model" --problems good.jsonl --out e4 --reward fuzzy > out.txt 2>&1  # refused at parse time
if [[ $? -ne 0 ]] && grep -q "unknown reward" out.txt; then echo "ok   bad-reward"; else echo "FAIL bad-reward"; cat out.txt; failures=$((failures + 1)); fi
check missing-file "missing.jsonl" -- "$soar" mine --model "$model" --problems missing.jsonl --out m1
"$soar" --threads 1 eval --model "$model" --problems bad.jsonl --skip-bad-lines --out e5 -n 2 -k 1,2 --max-new-tokens 4 > out.txt 2>&1 \
  && grep -q "skipped 1 malformed line" out.txt && [[ -f e5/summary.json ]] && echo "ok   skip-bad-lines" \
  || { echo "FAIL skip-bad-lines"; cat out.txt; failures=$((failures + 1)); }

# Resume equals uninterrupted: 4 steps straight vs 2 steps, stop, then the same command with 4.
train() { "$soar" --threads 1 train-rl --model "$model" --problems good.jsonl --steps "$1" --prompts-per-step 2 -k 4 \
            --max-new-tokens 3 --lr 1e-3 --warmup-steps 2 --cosine-steps 4 --checkpoint-every 2 --seed 7 --out "$2"; }
train 4 straight > straight.log 2>&1 && train 2 resumed > resumed.log 2>&1 && train 4 resumed > resumed.log 2>&1
if grep -q "resuming" resumed.log && cmp -s straight/model/model.safetensors resumed/model/model.safetensors \
   && [[ $(grep -c '"event":"step"' resumed/metrics.jsonl) -eq 4 ]]; then
  echo "ok   resume-equals-uninterrupted"
else
  echo "FAIL resume-equals-uninterrupted"; tail -n 5 straight.log resumed.log; failures=$((failures + 1))
fi
# A damaged checkpoint file stops a resume with that file named (no crash, no silent fresh start),
# and libtorch's errors (the optimizer states' reader) reach the user without their C++ backtrace.
resume_damaged() {  # resume_damaged RUN FILE COMMAND STEPS: cut RUN/checkpoint/FILE in half in a copy, resume it
  local run=$1 file=$2 copy="damaged-$1-${2//\//-}"
  rm -rf "$copy" && cp -r "$run" "$copy"
  head -c "$(( $(stat -c %s "$run/checkpoint/$file") / 2 ))" "$run/checkpoint/$file" > "$copy/checkpoint/$file"
  check "$copy" "$file" -- "$3" "$4" "$copy"
  if grep -q '^frame #' out.txt; then echo "FAIL $copy: backtrace shown"; failures=$((failures + 1)); fi
}
for file in state.json optimizer.pt model.safetensors; do resume_damaged resumed "$file" train 6; done
# SOAR: a run killed after outer step 1 (here: stopped with -T 1) and started again with -T 2 ends
# like the run that went straight to 2. A random model writes no well-formed teacher rollout, so
# this run is the oracle arm (datasets of real testbed problems; the teacher is not sampled): the
# loop, its inner loops, promotion and checkpoint are the same (the random student earns no reward,
# so its weights do not move: the resume of a run whose teacher and student both learn is checked
# on a pretrained testbed model in tests/distributed/dist_test.sh).
# The fixture's context (64) is shorter than a testbed item at width 16, hence the explicit budget.
meta() { "$soar" --threads 1 meta --model "$model" --train good.jsonl -T "$1" -g 2 -n 2 -r 2 -K 1 --teacher-reward none \
           --oracle-levels 1-2 --student-max-tokens 4 --inner-prompts 2 --inner-samples 2 --q-size 2 --tau -1 --window 1 \
           --student-lr 1e-2 --seed 3 --out "$2"; }
meta 2 meta-straight > meta-straight.log 2>&1 && meta 1 meta-resumed > meta-resumed.log 2>&1 \
  && meta 2 meta-resumed > meta-resumed.log 2>&1
if grep -q "resuming" meta-resumed.log && cmp -s meta-straight/student/model.safetensors meta-resumed/student/model.safetensors \
   && cmp -s meta-straight/teacher/model.safetensors meta-resumed/teacher/model.safetensors \
   && cmp -s meta-straight/promoted_questions.jsonl meta-resumed/promoted_questions.jsonl \
   && [[ -f meta-resumed/promoted/step_2/model.safetensors ]] \
   && [[ $(grep -c '"baseline_success"' meta-resumed/metrics.jsonl) -eq 2 ]]; then
  echo "ok   meta-resume-equals-uninterrupted"
else
  echo "FAIL meta-resume-equals-uninterrupted"; tail -n 5 meta-straight.log meta-resumed.log; failures=$((failures + 1))
fi
for file in state.json teacher_optimizer.pt student/model.safetensors; do resume_damaged meta-resumed "$file" meta 3; done
# SOAR with a real model's formats (--domain math): the paper's tagged teacher format, rejected
# rollouts resampled; a random model writes no acceptable pair, so the run stops with the
# acceptance rate and the reasons after the allowed rounds.
check meta-math-nothing-accepted "0 accepted question/answer pairs of the 4 needed in 2 sampling rounds" -- \
  "$soar" --threads 1 meta --domain math --model "$model" --train good.jsonl -T 1 -g 2 -n 2 -K 1 --teacher-max-rounds 2 \
  --teacher-prompt 'W:' --prompt-template '{problem}=' --teacher-max-new-tokens 8 --student-max-tokens 4 --out mx0
grep -q "acceptance rate 0; rejected: no <question> tag: " out.txt && echo "ok   meta-math-rejection-reasons" \
  || { echo "FAIL meta-math-rejection-reasons"; cat out.txt; failures=$((failures + 1)); }
check meta-bad-domain "expected testbed or math" -- "$soar" meta --domain chess --model "$model" --train good.jsonl --out mx1
check meta-math-oracle "--oracle-levels generates testbed problems" -- \
  "$soar" meta --domain math --model "$model" --train good.jsonl --oracle-levels 1-2 --out mx2
check meta-testbed-chat "--chat applies to --domain math" -- "$soar" meta --model "$model" --train good.jsonl --chat llama3 --out mx3
check meta-greedy-samples "greedy answers are all the same" -- \
  "$soar" meta --model "$model" --train good.jsonl --q-samples 4 --out mx4
check meta-bad-corrupt "expected none, answers or structure" -- \
  "$soar" meta --domain math --model "$model" --train good.jsonl --corrupt everything --out mx5
check meta-oracle-teacher "--oracle-levels replaces the teacher" -- \
  "$soar" meta --model "$model" --train good.jsonl --oracle-levels 1-2 --out mx6
check meta-math-student-task "--student-task is the testbed's" -- \
  "$soar" meta --domain math --model "$model" --train good.jsonl --student-task sum-msd --out mx9
"$soar" testbed problems --levels 3 --count 2 --student-task product --out st.jsonl > out.txt 2>&1
if [[ $? -ne 0 ]] && grep -q "student-task" out.txt && [[ ! -e st.jsonl ]]; then echo "ok   bad-student-task"; else
  echo "FAIL bad-student-task"; cat out.txt; failures=$((failures + 1)); fi
# Formats 6 and 7 (--student-task sum-msd, difference): the same sums as format 5, the student's side
# of each: the sum most significant digit first; c - a with answer b.
"$soar" testbed problems --levels 2-6 --count 20 --seed 4 --out sum.jsonl > /dev/null 2>&1 \
  && "$soar" testbed problems --levels 2-6 --count 20 --seed 4 --student-task sum-msd --out msd.jsonl > /dev/null 2>&1 \
  && "$soar" testbed problems --levels 2-6 --count 20 --seed 4 --student-task difference --out diff.jsonl > /dev/null 2>&1
if python3 -c '
import json, sys
rows = lambda f: [json.loads(l) for l in open(f)]
lsd, msd, diff = rows("sum.jsonl"), rows("msd.jsonl"), rows("diff.jsonl")
value = lambda field: int(field.strip("_")[::-1])
ok = len(lsd) == len(msd) == len(diff) == 100
ok = ok and all(a["problem"] == b["problem"] and a["answer"] == b["answer"][::-1] for a, b in zip(lsd, msd))
ok = ok and all(int(b["answer"]) == sum(value(f) for f in b["problem"].split("+")) for b in msd)
for s, d in zip(lsd, diff):
    a, b = s["problem"].split("+"); c, a2 = d["problem"].split("-")
    ok = ok and len(c) == 17 and len(a2) == 16 and a2 == a and value(c) == value(a) + value(b) and int(d["answer"][::-1]) == value(b)
sys.exit(not ok)'; then echo "ok   testbed-problems-student-tasks"; else echo "FAIL testbed-problems-student-tasks"; failures=$((failures + 1)); fi
check meta-dry-run-bad-device "unknown device 'tpu'" -- \
  "$soar" meta --model "$model" --train good.jsonl --device tpu --dry-run --out mx8
# --dry-run: the resolved configuration (the paper's defaults), the memory plan and one outer step's
# work, without loading the model (its weights file is not read: here it does not even exist).
mkdir -p config-only && cp "$model/config.json" config-only/
"$soar" meta --domain math --model config-only --train good.jsonl --out mx7 --dry-run > out.txt 2>&1
if [[ $? -eq 0 ]] && grep -q '"n": 64' out.txt && grep -q '"r": 4' out.txt && grep -q '"teacher_warmup": 20' out.txt \
   && grep -q "4 copies of the model" out.txt && grep -qE "inner-loop samples +40960 sequences" out.txt \
   && grep -qE "teacher rollouts +256 sequences" out.txt && [[ ! -e mx7 ]]; then
  echo "ok   meta-dry-run"
else
  echo "FAIL meta-dry-run"; cat out.txt; failures=$((failures + 1))
fi
# testbed hard-level: each scanned level mined exactly as `testbed problems` + `mine` with the same
# seeds would; a random model solves nothing, so every level is quiet and the lowest is chosen. The
# mine run spells its samples the old way (-K), which still works and warns.
"$soar" --threads 1 testbed hard-level --model "$model" --levels 1-3 --count 3 -n 2 --max-new-tokens 3 --problem-seed 5 \
  --seed 6 --split-seed 7 --out hl > hl.log 2>&1
"$soar" testbed problems --levels 1 --count 3 --seed 5 --out hl-pool.jsonl > /dev/null 2>&1
"$soar" --threads 1 mine --model "$model" --problems hl-pool.jsonl --prompt-template $'Q:{problem}\nA:' --stop $'\n' \
  --max-new-tokens 3 -K 2 --seed 6 --split-seed 7 --out hl-mine > hl-mine.log 2>&1
if grep -q "hard level 1:" hl.log && grep -q "warning: -K is deprecated here" hl-mine.log && grep -q "every scanned level was quiet" hl.log && [[ -f hl/L3/summary.json ]] \
   && python3 -c "import json,sys; s=json.load(open('hl/scan.json')); sys.exit(not (s['hard_level']==1 and [l['level'] for l in s['levels']]==[3,2,1]))" \
   && cmp -s hl/L1/summary.json hl-mine/summary.json && cmp -s hl/L1/hard.jsonl hl-mine/hard.jsonl \
   && cmp -s hl/L1/test.jsonl hl-mine/test.jsonl; then
  echo "ok   testbed-hard-level"
else
  echo "FAIL testbed-hard-level"; cat hl.log; failures=$((failures + 1))
fi
# Usage mistakes get words that say what is wrong, with the closest name.
usage_error() {  # usage_error NAME EXPECTED -- command...: refused (non-zero exit) with EXPECTED
  local name=$1 expected=$2; shift 3
  "$@" > out.txt 2>&1; local rc=$?
  if [[ $rc -ne 0 ]] && grep -qF -- "$expected" out.txt; then echo "ok   $name"; else echo "FAIL $name (exit $rc)"; cat out.txt; failures=$((failures + 1)); fi
}
usage_error unknown-command "unknown command 'evl' for 'soar' (did you mean eval?)" -- "$soar" evl
usage_error unknown-subcommand "unknown command 'problms' for 'soar testbed' (did you mean problems?)" -- "$soar" testbed problms
usage_error unknown-option "unknown option --modle for 'soar eval' (did you mean --model?)" -- "$soar" eval --modle "$model"
usage_error option-twice "--model was given 2 times; give it once" -- \
  "$soar" eval --model "$model" --model "$model" --problems good.jsonl --out e9
echo "cli: $failures failure(s)"
exit $((failures > 0))
