#!/usr/bin/env bash
# scripts/soar_experiment.sh (the demo's experiment) end to end at a tiny budget on a random testbed
# base model: the hard set, a meta arm, the equal-budget baseline and the evaluations, each file
# where `soar report` looks for it; for the default task and for --student-task interleaved (format
# 8). The arm is the oracle curriculum: a barely trained teacher writes no well-formed item, so the
# teacher arms are left to tests/meta and cli_test.
# Usage: experiment_test.sh SOAR_BINARY PYTHON SOURCE_DIR WORK_DIR
set -uo pipefail
soar=$1 python=$2 source=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
failures=0
# Base models as soar pretrain makes them (the context the teacher's items need), barely trained.
for task in sum interleaved; do
  "$soar" --threads 1 pretrain --out "$work/base-$task" --student-task "$task" --steps 2 --warmup-steps 1 --hidden 16 --layers 1 --heads 2 \
    --intermediate 32 --batch-rows 2 > "$work/base-$task.log" 2>&1 || { echo "FAIL pretrain $task"; cat "$work/base-$task.log"; exit 1; }
done
# The demo's recipe, shrunk: one outer step of 2 datasets x 2 questions, one student, one inner step.
sed -e 's/^outer-steps = .*/outer-steps = 1/' -e 's/^datasets = .*/datasets = 2/' -e 's/^questions = .*/questions = 2/' \
    -e 's/^students = .*/students = 1/' -e 's/^inner-steps = .*/inner-steps = 1/' -e 's/^inner-prompts = .*/inner-prompts = 2/' \
    -e 's/^inner-samples = .*/inner-samples = 2/' -e 's/^q-size = .*/q-size = 2/' -e 's/^window = .*/window = 1/' \
    -e 's/^intrinsic-samples = .*/intrinsic-samples = 2/' "$source/configs/testbed.toml" > "$work/tiny.toml"
for task in "" interleaved; do
  exp=$work/exp${task:+-$task}
  if ! (cd "$source" && SOAR_BIN=$soar SOAR_PYTHON=$python RECIPE=$work/tiny.toml STUDENT_TASK=$task HARD_LEVELS=3 POOL=4 \
          ORACLE_LEVELS=1-2 NPROC=1 EVAL_SAMPLES=2 ARMS=oracle \
          bash scripts/soar_experiment.sh "$work/base-${task:-sum}/model" "$exp" 3) > "$exp.log" 2>&1; then
    echo "FAIL soar_experiment.sh ${task:-(default task)}"; tail -30 "$exp.log"; failures=$((failures + 1)); continue
  fi
  missing=()
  for f in hard/train.jsonl hard/test.jsonl budget.txt hard-only/model/config.json \
           eval-base/summary.json eval-hard-only/summary.json eval-oracle/summary.json oracle/metrics.jsonl; do
    [[ -s $exp/$f ]] || missing+=("$f")
  done
  if (( ${#missing[@]} )); then echo "FAIL ${task:-default}: missing ${missing[*]}"; ls -R "$exp" | head -40; failures=$((failures + 1))
  else echo "ok   soar_experiment.sh ${task:-(default task)}"; fi
done
# A teacher or corruption the script cannot evaluate by sampling is refused by name, before anything
# runs (no experiment folder is made).
for teachers in "oracle:unknown teacher 'oracle' in TEACHERS" "base/scrambled:unknown corruption 'scrambled' in TEACHERS"; do
  if out=$(cd "$source" && SOAR_BIN=$soar SOAR_PYTHON=$python RECIPE=$work/tiny.toml STUDENT_TASK=interleaved HARD_LEVELS=3 POOL=4 \
             ORACLE_LEVELS=1-2 NPROC=1 EVAL_SAMPLES=2 ARMS=oracle TEACHERS=${teachers%%:*} \
             bash scripts/soar_experiment.sh "$work/base-interleaved/model" "$work/exp-refused" 3 2>&1); then
    echo "FAIL TEACHERS=${teachers%%:*} was accepted"; failures=$((failures + 1))
  elif [[ $out != *"${teachers#*:}"* ]]; then
    echo "FAIL TEACHERS=${teachers%%:*}: unexpected error"; echo "$out" | tail -5; failures=$((failures + 1))
  elif [[ -e $work/exp-refused ]]; then
    echo "FAIL TEACHERS=${teachers%%:*} was refused only after the run started"; failures=$((failures + 1))
  else echo "ok   TEACHERS=${teachers%%:*} refused"; fi
done
exit $((failures > 0))
