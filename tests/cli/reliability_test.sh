#!/usr/bin/env bash
# Runs you can trust (docs/reliability.md): every fault there that a command can meet, tried on the
# command line. Output paths that would damage something (a device, a link, an input) are refused
# before any work; one run per directory (a lock naming its holder, taken over from a killed run);
# a torn metrics line cut on resume; a diverged run stops naming the step with its last good
# checkpoint kept; non-finite weights and a foreign tokenizer refused at load; numeric options
# bounded at parse time; a resume with other settings refused unless allowed; a finished run left
# alone; SIGTERM/SIGINT finish the step, checkpoint and exit 143/130, and a SIGTERM kill loop ends
# exactly as the uninterrupted run; eval and mine keep what they computed when a problem fails.
# Usage: reliability_test.sh SOAR_BINARY REFERENCE_DIR WORK_DIR
#   REFERENCE_DIR holds the cli_model fixture (model, mismatched, nan_model) and dist_model.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/problem_files.sh"
soar=$1 reference=$2 work=$3
model=$reference/cli_model/model learner=$reference/dist_model/model
rm -rf "$work" && mkdir -p "$work" && cd "$work"
failures=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; failures=$((failures + 1)); }
# expect NAME STATUS TEXT -- command...: the command exits with STATUS and prints TEXT.
expect() {
  local name=$1 status=$2 expected=$3; shift 4
  "$@" > out.txt 2>&1; local rc=$?
  if [[ $rc -eq $status ]] && grep -qF -- "$expected" out.txt; then ok "$name"; else bad "$name (exit $rc, expected $status and '$expected')"; cat out.txt; fi
}
# usage NAME TEXT -- command...: refused at parse time (CLI11's non-zero status) with TEXT.
usage() {
  local name=$1 expected=$2; shift 3
  "$@" > out.txt 2>&1; local rc=$?
  if [[ $rc -ne 0 ]] && grep -qF -- "$expected" out.txt; then ok "$name"; else bad "$name (exit $rc, expected '$expected')"; cat out.txt; fi
}
steps() { grep -c '"event":"step"' "$1"; }
json_lines_ok() { python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$1" 2> /dev/null; }

write_good_problems
write_letter_problems
cp good.jsonl good.before

# 1. Output paths.
expect out-dev-stdout 1 "is a symbolic link" -- "$soar" sample --model "$model" --problems good.jsonl --out /dev/stdout
expect out-device 1 "is not a regular file" -- "$soar" sample --model "$model" --problems good.jsonl --out /dev/null
[[ -c /dev/null ]] && ok "/dev/null still a device" || bad "/dev/null was replaced"
expect out-is-input 1 "is the input of --problems" -- "$soar" sample --model "$model" --problems good.jsonl --out ./good.jsonl
cmp -s good.jsonl good.before && ok "input left intact" || bad "input changed"
expect out-dash 1 "not standard output" -- "$soar" sample --model "$model" --problems good.jsonl --out -
: > a-file
expect out-dir-is-file 1 "is not a directory" -- "$soar" eval --model "$model" --problems good.jsonl --out a-file
expect out-dir-is-model 1 "is the input of --model" -- "$soar" train-rl --model "$model" --problems good.jsonl --max-new-tokens 4 \
  --out "$model"
expect out-missing-parent 1 "does not exist" -- "$soar" sample --model "$model" --problems good.jsonl --out no/such/dir/s.jsonl

# 2. Loading: non-finite weights, a tokenizer of another model.
expect nan-weights 1 "holds NaN or infinite values" -- "$soar" eval --model "$reference/cli_model/nan_model" --problems good.jsonl --out e1
expect foreign-tokenizer 1 "does not belong to this model" -- \
  "$soar" eval --model "$reference/cli_model/mismatched" --problems good.jsonl --out e2

# 3. Numeric options bounded at parse time; options that would be ignored refused.
args=(--model "$model" --problems good.jsonl)
usage samples-zero "--samples: must be at least 1, got 0" -- "$soar" sample "${args[@]}" -n 0 --out s.jsonl
usage temperature-negative "--temperature: must be at least 0, got -1" -- "$soar" eval "${args[@]}" --temperature -1 --out e3
usage temperature-nan "--temperature: 'nan' is not a finite number" -- "$soar" eval "${args[@]}" --temperature nan --out e3
usage steps-zero "--steps: must be at least 1, got 0" -- "$soar" train-rl "${args[@]}" --steps 0 --out t0
usage steps-negative "--steps: must be at least 1, got -3" -- "$soar" train-rl "${args[@]}" --steps -3 --out t0
usage rloo-one-sample "--samples-per-prompt: must be at least 2, got 1" -- "$soar" train-rl "${args[@]}" -k 1 --out t0
usage batch-zero "--batch: must be at least 1, got 0" -- "$soar" eval "${args[@]}" --batch 0 --out e3
usage top-k-negative "--top-k: must be at least 0, got -4" -- "$soar" sample "${args[@]}" --top-k -4 --out s.jsonl
usage threads-zero "--threads" -- "$soar" --threads 0 eval "${args[@]}" --out e3
usage lr-nan "--lr: 'nan' is not a finite number" -- "$soar" train-rl "${args[@]}" --lr nan --out t0
meta_args=(--model "$model" --train good.jsonl --out m0)
usage meta-n-zero "--questions: must be at least 1, got 0" -- "$soar" meta "${meta_args[@]}" -n 0
usage meta-K-zero "--inner-steps: must be at least 1, got 0" -- "$soar" meta "${meta_args[@]}" -K 0
usage meta-T-zero "--outer-steps: must be at least 1, got 0" -- "$soar" meta "${meta_args[@]}" -T 0
usage meta-window-zero "--window: must be at least 1, got 0" -- "$soar" meta "${meta_args[@]}" --window 0
usage meta-tau-nan "--tau: 'nan' is not a finite number" -- "$soar" meta "${meta_args[@]}" --tau nan
expect system-without-chat 1 "--system needs --chat" -- "$soar" eval "${args[@]}" --system "Be brief." --out e4
[[ ! -e t0 && ! -e m0 && ! -e s.jsonl ]] && ok "refused runs wrote nothing" || bad "a refused run left files"

# 4. Resume: the same settings only, a finished run left alone, a torn metrics line repaired.
train() { "$soar" --threads 1 train-rl --model "$learner" --problems letters.jsonl --prompts-per-step 4 -k 4 --max-new-tokens 1 \
            --seed 7 --checkpoint-every 2 "$@"; }
train --steps 2 --lr 1e-3 --out r > r.log 2>&1 || { bad "train-rl failed"; cat r.log; }
expect resume-other-lr 1 "lr: '1e-3' then, '0.01' now" -- train --steps 4 --lr 0.01 --out r
expect resume-other-clip 1 "clip: '0.2' then, '0.3' now" -- train --steps 4 --lr 1e-3 --out r --clip 0.3
cp letters.jsonl letters.orig && sed -i 's/"L1"/"L9"/' letters.jsonl
expect resume-changed-problems 1 "problems: the file's contents changed" -- train --steps 4 --lr 1e-3 --out r
mv letters.orig letters.jsonl
printf '{"event":"step","ste' >> r/metrics.jsonl  # a record torn by a power cut
expect resume-torn-metrics 0 "removed a torn last record of 20 bytes" -- train --steps 4 --lr 0.001 --out r
json_lines_ok r/metrics.jsonl && [[ $(steps r/metrics.jsonl) -eq 4 ]] && ok "metrics whole after the repair" || bad "metrics damaged"
expect finished-run 0 "has finished its 4 steps already" -- train --steps 4 --lr 1e-3 --out r
[[ $(steps r/metrics.jsonl) -eq 4 ]] && ok "finished run appended nothing" || bad "finished run appended records"
expect resume-allowed-change 0 "resuming r with changed settings (--allow-config-change):" -- \
  train --steps 6 --lr 1e-2 --out r --allow-config-change
[[ $(steps r/metrics.jsonl) -eq 6 ]] && ok "allowed change continued to step 6" || bad "allowed change: wrong step count"

# 5. Divergence: the step is named, nothing of it saved, the last good checkpoint kept.
expect diverged 1 "diverged: loss" -- "$soar" --threads 1 train-rl --model "$learner" --problems letters.jsonl \
  --prompts-per-step 4 -k 4 --max-new-tokens 1 --seed 7 --steps 6 --lr 1e30 --checkpoint-every 1 --out div
saved=$(python3 -c 'import json; print(json.load(open("div/checkpoint/state.json"))["next_step"])')
grep -q "training step $((saved + 1)) diverged" out.txt && [[ $(steps div/metrics.jsonl) -eq $saved ]] && [[ ! -e div/model ]] \
  && ok "diverged run kept its last good checkpoint (step $saved)" || bad "diverged run left unexpected state"

# 6. One run per directory: a second run refused naming the first; a killed run's lock taken over.
long_run() { exec "$soar" --threads 1 train-rl --model "$learner" --problems letters.jsonl --prompts-per-step 4 -k 4 \
               --max-new-tokens 1 --lr 1e-3 --seed 7 --steps 100000 --checkpoint-every 100000 --out "$1"; }
(long_run locked > first.log 2>&1) & first=$!
for _ in $(seq 100); do grep -q '"event":"step"' locked/metrics.jsonl 2> /dev/null && break; sleep 0.1; done
expect second-run-refused 1 "is in use by process $first" -- "$soar" train-rl --model "$learner" --problems letters.jsonl \
  --max-new-tokens 1 --out locked
# The same refusal in a launched run reaches every rank at once (not after the collective timeout).
start=$(date +%s)
expect launched-run-refused 1 "is in use by process $first" -- "$soar" --threads 1 launch --nproc 2 --master-port 0 -- \
  train-rl --model "$learner" --problems letters.jsonl --max-new-tokens 1 --out locked
[[ $(( $(date +%s) - start )) -lt 60 ]] && ok "launched refusal within a minute" || bad "launched refusal took $(( $(date +%s) - start )) s"
kill -9 "$first"; wait "$first" 2> /dev/null
(long_run locked > third.log 2>&1) & third=$!
for _ in $(seq 100); do grep -q "taking over" third.log && break; sleep 0.1; done
grep -q "left by process $first, which is no longer running" third.log && ok "stale lock taken over" || { bad "stale lock"; cat third.log; }
for _ in $(seq 100); do grep -q '"event":"step"' locked/metrics.jsonl 2> /dev/null && grep -q "removed" third.log && break; sleep 0.1; done
grep -q "removed [0-9]* record(s) of steps after the start (written after the last checkpoint by a run that was killed" third.log \
  && ok "records of the killed run's uncheckpointed steps removed" || { bad "orphaned records"; cat third.log; }

# 7. SIGTERM and SIGINT: the step finishes, a checkpoint is written, 143 / 130 and where to resume.
kill -INT "$third"; wait "$third"; rc=$?
next=$(python3 -c 'import json; print(json.load(open("locked/checkpoint/state.json"))["next_step"])' 2> /dev/null)
if [[ $rc -eq 130 ]] && grep -q "stopped by SIGINT after step $next of 100000; checkpoint in locked/checkpoint" third.log \
   && [[ $(steps locked/metrics.jsonl) -eq $next ]]; then ok "SIGINT: exit 130 after step $next, checkpointed"; else bad "SIGINT (exit $rc)"; tail -3 third.log; fi
(long_run locked > fourth.log 2>&1) & fourth=$!
for _ in $(seq 100); do [[ $(steps locked/metrics.jsonl) -gt $next ]] && break; sleep 0.1; done
kill -TERM "$fourth"; wait "$fourth"; rc=$?
next=$(python3 -c 'import json; print(json.load(open("locked/checkpoint/state.json"))["next_step"])' 2> /dev/null)
if [[ $rc -eq 143 ]] && grep -q "stopped by SIGTERM after step $next of" fourth.log && [[ $(steps locked/metrics.jsonl) -eq $next ]]; then
  ok "SIGTERM: exit 143 after step $next, checkpointed"
else
  bad "SIGTERM (exit $rc)"; tail -3 fourth.log
fi
# A kill loop: SIGTERM at random moments (4 stops, each after a step of its own, so that it also
# holds on a slow machine), then the run to its end: it must end exactly as the run that was never
# stopped, with each step recorded once (the checkpoints are only those the signals cause).
loop_run() { exec "$soar" --threads 1 train-rl --model "$learner" --problems letters.jsonl --prompts-per-step 4 -k 4 \
               --max-new-tokens 1 --lr 3e-3 --seed 11 --steps 300 --checkpoint-every 100000 --out "$1"; }
(loop_run straight > straight.log 2>&1); RANDOM=5; stops=0
for attempt in $(seq 12); do
  before=$(steps looped/metrics.jsonl 2> /dev/null || echo 0)
  (loop_run looped >> looped.log 2>&1) & pid=$!
  if [[ $stops -lt 4 ]]; then  # stop it at a random moment once it has taken a step of its own
    for _ in $(seq 300); do [[ $(steps looped/metrics.jsonl 2> /dev/null || echo 0) -gt $before ]] && break; sleep 0.1; done
    sleep "0.0$((RANDOM % 10))"; kill -TERM "$pid" 2> /dev/null
  fi
  wait "$pid"; rc=$?
  [[ $rc -eq 0 ]] && break
  [[ $rc -eq 143 ]] && stops=$((stops + 1)) || { bad "kill loop: exit $rc"; tail -3 looped.log; break; }
done
if [[ $rc -eq 0 ]] && [[ $stops -ge 2 ]] && cmp -s straight/model/model.safetensors looped/model/model.safetensors \
   && diff <(grep -o '"step":[0-9]*' straight/metrics.jsonl) <(grep -o '"step":[0-9]*' looped/metrics.jsonl) > /dev/null; then
  ok "SIGTERM kill loop ($stops stops): final model and step records equal the uninterrupted run"
else
  bad "SIGTERM kill loop (exit $rc, $stops stops)"; tail -3 looped.log
fi
# meta stops after the outer step in flight, with its checkpoint.
("$soar" --threads 1 meta --model "$model" --train good.jsonl -T 100000 -g 2 -n 2 -r 2 -K 1 --teacher-reward none \
   --oracle-levels 1-2 --student-max-tokens 4 --inner-prompts 2 --inner-samples 2 --q-size 2 --out meta > meta.log 2>&1) & pid=$!
for _ in $(seq 100); do grep -q '"baseline_success"' meta/metrics.jsonl 2> /dev/null && break; sleep 0.1; done
kill -TERM "$pid"; wait "$pid"; rc=$?
if [[ $rc -eq 143 ]] && grep -q "stopped by SIGTERM after outer step" meta.log \
   && [[ $(grep -c '"baseline_success"' meta/metrics.jsonl) -eq \
         $(python3 -c 'import json; print(json.load(open("meta/checkpoint/state.json"))["next_step"])') ]]; then
  ok "meta: SIGTERM after an outer step, checkpointed"
else
  bad "meta SIGTERM (exit $rc)"; tail -3 meta.log
fi

# 8. eval and mine: an over-long prompt named before any sampling or skipped; a failure part-way
# keeps the finished problems and names the one that failed.
printf '{"id": "too-long", "problem": "%s", "answer": "c"}\n' "$(printf 'x%.0s' $(seq 100))" >> letters-long.jsonl
cat letters.jsonl letters-long.jsonl > mixed.jsonl
expect eval-long-prompt 1 "problem 'too-long': prompt of" -- "$soar" eval --model "$model" --problems mixed.jsonl --max-new-tokens 2 --out e5
expect eval-skip-long 0 "skipped 1 problem(s) of mixed.jsonl" -- \
  "$soar" eval --model "$model" --problems mixed.jsonl --max-new-tokens 2 --skip-bad-lines -n 2 --out e6
[[ $(wc -l < e6/per_problem.jsonl) -eq 8 ]] && ok "eval kept the 8 problems that fit" || bad "eval --skip-bad-lines results"
SOAR_TEST_KILL_AT=0:eval/batch/2:THROW "$soar" --threads 1 eval --model "$model" --problems letters.jsonl --max-new-tokens 2 -n 2 \
  --batch 4 --out e7 > out.txt 2>&1; rc=$?
if [[ $rc -eq 1 ]] && grep -q "evaluation stopped at problem 'L5' (or its batch) after 4 of 8 problems" out.txt \
   && [[ $(wc -l < e7/per_problem.jsonl) -eq 4 ]] && grep -q '"incomplete": true' e7/summary.json; then
  ok "eval failure part-way: 4 results kept, problem L5 named"
else
  bad "eval failure part-way (exit $rc)"; cat out.txt
fi
SOAR_TEST_KILL_AT=0:eval/batch/2:THROW "$soar" --threads 1 mine --model "$model" --problems letters.jsonl --max-new-tokens 2 -n 2 \
  --batch 4 --out m1 > out.txt 2>&1; rc=$?
if [[ $rc -eq 1 ]] && grep -q "mining stopped at problem 'L5' (or its batch) with 4 of 8 problems in" out.txt \
   && [[ $(wc -l < m1/mining_log.jsonl) -eq 4 ]]; then
  ok "mine failure part-way: 4 results in the log, problem L5 named"
else
  bad "mine failure part-way (exit $rc)"; cat out.txt
fi
echo "reliability: $failures failure(s)"
exit $((failures > 0))
