#!/usr/bin/env bash
# TensorBoard curves: a train-rl run (with evaluations) and a meta run write an event file beside
# metrics.jsonl, and TensorBoard's own reader (tests/scripts/tensorboard_events_test.py) finds every
# number of every step record in it, and the meta run's teacher datasets as text.
# Usage: tensorboard_test.sh SOAR_BINARY PYTHON REFERENCE_DIR WORK_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/problem_files.sh"
soar=$1 python=$2 reference=$3 work=$4
check=$(cd "$(dirname "$0")/../scripts" && pwd)/tensorboard_events_test.py
rm -rf "$work" && mkdir -p "$work" && cd "$work"
write_letter_problems
write_good_problems
"$soar" --threads 1 train-rl --model "$reference/dist_model/model" --problems letters.jsonl --steps 6 --prompts-per-step 4 -k 4 \
  --max-new-tokens 1 --lr 3e-3 --seed 7 --eval-problems letters.jsonl --eval-samples 2 --eval-every 2 --out rl > rl.log 2>&1 \
  || { echo "train-rl failed"; cat rl.log; exit 1; }
"$soar" --threads 1 meta --model "$reference/cli_model/model" --train good.jsonl -T 2 -g 2 -n 2 -r 2 -K 1 --teacher-reward none \
  --oracle-levels 1-2 --student-max-tokens 4 --inner-prompts 2 --inner-samples 2 --q-size 2 --out meta > meta.log 2>&1 \
  || { echo "meta failed"; cat meta.log; exit 1; }
status=0
"$python" "$check" rl || status=1
"$python" "$check" meta --text teacher/datasets || status=1
exit $status
