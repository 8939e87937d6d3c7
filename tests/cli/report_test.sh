#!/usr/bin/env bash
# soar report on fixture runs of every kind: a train-rl run (with evaluations; a copy with rollout
# files; one before its first checkpoint), an eval, a meta run and an experiment made of them;
# tests/scripts/report_check.py compares each report's numbers with the run's files, checks its PNGs
# and that report.html is self-contained.
# Then the errors: a missing directory, a folder of no known kind, several runs without --out, no
# usable Python, a Python without matplotlib, a missing report script.
# Usage: report_test.sh SOAR_BINARY PYTHON REFERENCE_DIR WORK_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/problem_files.sh"
soar=$1 python=$2 reference=$3 work=$4
check=$(cd "$(dirname "$0")/../scripts" && pwd)/report_check.py
rm -rf "$work" && mkdir -p "$work" && cd "$work"
export SOAR_PYTHON=$python
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
expect_error() {  # expect_error NAME EXPECTED_TEXT -- command...
  local name=$1 expected=$2; shift 3
  "$@" > out.txt 2>&1; local rc=$?
  if [[ $rc -eq 0 ]] || ! grep -qF -- "$expected" out.txt; then fail "$name: exit $rc, expected an error with '$expected' in:"; cat out.txt
  else echo "ok   $name"; fi
}
write_letter_problems
write_good_problems
"$soar" --threads 1 train-rl --model "$reference/dist_model/model" --problems letters.jsonl --steps 6 --prompts-per-step 4 -k 4 \
  --max-new-tokens 1 --lr 3e-3 --seed 7 --eval-problems letters.jsonl --eval-samples 2 --eval-every 2 --out rl > rl.log 2>&1 \
  || { echo "train-rl failed"; cat rl.log; exit 1; }
"$soar" --threads 1 eval --model "$reference/dist_model/model" --problems letters.jsonl -n 8 -k 1,2,8 --max-new-tokens 1 \
  --seed 3 --out ev > ev.log 2>&1 || { echo "eval failed"; cat ev.log; exit 1; }
"$soar" --threads 1 meta --model "$reference/cli_model/model" --train good.jsonl -T 2 -g 2 -n 2 -r 2 -K 1 --teacher-reward none \
  --oracle-levels 1-2 --student-max-tokens 4 --inner-prompts 2 --inner-samples 2 --q-size 2 --tau -1 --window 1 \
  --student-lr 1e-2 --seed 3 --out meta > meta.log 2>&1 || { echo "meta failed"; cat meta.log; exit 1; }
# An experiment as scripts/soar_experiment.sh lays it out: eval-<arm>/ per arm, the arms' runs.
mkdir -p exp && cp -r ev exp/eval-base && cp -r ev exp/eval-soar && cp -r meta exp/soar && cp -r rl exp/hard-only
# Rollout files as train-rl writes them (one per step, the last one gzipped), with a torn last line.
cp -r rl rl-rollouts && mkdir -p rl-rollouts/rollouts
for t in 5 6; do
  for j in 1 2 3; do
    printf '{"step": %d, "id": "L%d", "completion": "answer %d", "reward": %d, "verdict": "%s", "extracted": "%d", "advantage": 0.5, "length": 1, "finish_reason": "%s"}\n' \
      "$t" "$j" "$j" "$((j == 1))" "$([[ $j == 1 ]] && echo correct || echo wrong)" "$j" "$([[ $j == 3 ]] && echo length || echo stop)"
  done > "rl-rollouts/rollouts/step_$t.jsonl"
done
printf '{"step": 6, "id": "L9", "compl' >> rl-rollouts/rollouts/step_6.jsonl && gzip rl-rollouts/rollouts/step_6.jsonl

report() {  # report KIND RUN REPORT_DIR [check flags] -- soar report arguments...
  local kind=$1 run=$2 dir=$3; shift 3
  local flags=(); while [[ $1 != -- ]]; do flags+=("$1"); shift; done; shift
  if ! "$soar" report "$@" > report.log 2>&1; then fail "soar report $*"; cat report.log; return; fi
  "$python" "$check" "$kind" "$run" "$dir" "${flags[@]}" || failures=$((failures + 1))
}
report train-rl rl rl/report -- rl                          # default --out: RUN/report
report train-rl rl-rollouts rl-rollouts/report --rollouts -- rl-rollouts
mkdir -p running && cp rl/metrics.jsonl rl/options.json running/  # a run before its first checkpoint
report train-rl running running/report -- running
report eval ev ev-report -- ev --out ev-report --title "an eval"
grep -q "^# an eval$" ev-report/report.md && grep -q "<title>an eval</title>" ev-report/report.html \
  && echo "ok   title" || fail "--title not in report.md and report.html"
report meta meta meta/report -- meta
report experiment exp exp-report -- exp --out exp-report
"$soar" report rl ev meta --out several > report.log 2>&1 && [[ $(grep -c '^## [0-9]\. ' several/report.md) -eq 3 ]] \
  && [[ -f several/run1-training.png && -f several/run2-pass_at_k.png && -f several/run3-outer_steps.png ]] \
  && echo "ok   several runs" || { fail "several runs in one report"; cat report.log; }

mkdir -p notarun && touch notarun/notes.txt
expect_error missing-dir "no such run directory: nope" -- "$soar" report nope
expect_error unknown-kind "per_problem.jsonl" -- "$soar" report notarun
grep -q "notes.txt" out.txt || fail "unknown-kind: the folder's files are not listed"
expect_error several-without-out "--out" -- "$soar" report rl ev
expect_error bad-python "SOAR_PYTHON" -- env SOAR_PYTHON="$work/no-python" "$soar" report rl
mkdir -p nompl/matplotlib && echo 'raise ImportError("matplotlib hidden by report_test.sh")' > nompl/matplotlib/__init__.py
expect_error no-matplotlib "scripts/setup.sh" -- env PYTHONPATH="$work/nompl" "$soar" report rl
expect_error missing-script "SOAR_REPORT_SCRIPT" -- env SOAR_REPORT_SCRIPT="$work/no-script" "$soar" report rl
exit $(( failures > 0 ))
