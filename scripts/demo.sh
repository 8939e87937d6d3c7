#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and runs the SOAR demo on the
# built-in testbed, writing everything (and report.md) to runs/demo/ (SOAR_DEMO_DIR to change).
#
# What it runs, in order (each step prints its own progress):
#   1. soar pretrain      the testbed's tiny base model, from scratch (reused when already made)
#   2. soar testbed levels  its success per difficulty level: easy levels solved, hard ones not
#   3. soar mine          fail@128 hard set at the hard level, split into D_train / D_test
#   4. soar train-rl      the "hard-only" baseline: plain RLVR on D_train (the plateau)
#   5. soar meta          SOAR: teacher + inner student loops + grounded reward + promotion
#   6. soar eval          pass@k on D_test of the base model, the hard-only student, SOAR's student
# The budgets are small so that it ends in about 20 minutes on 2 cores; they are not the paper's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
bash scripts/setup.sh
echo "[demo] building (release preset)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$SOAR_JOBS" --target soar

soar=build/release/apps/soar/soar
run="${SOAR_DEMO_DIR:-runs/demo}"
hard_level="${SOAR_DEMO_HARD_LEVEL:-11}"  # docs/testbed.md: 0 at levels 11-12, stepping stones 6-10
seed="${SOAR_DEMO_SEED:-1}"
threads="${SOAR_THREADS:-1}"
student=$'Q:{problem}\nA:'
mkdir -p "$run"
banner() { printf '\n=== [demo] %s\n' "$*"; }
generation=(--prompt-template "$student" --stop $'\n' --max-new-tokens 16)

banner "1/6 base model: soar pretrain (cached under $run/base once made)"
"$soar" --threads "$threads" pretrain --out "$run/base" --seed "$seed"
base="$run/base/model"

banner "2/6 the base model's success per level"
"$soar" --threads "$threads" testbed levels --model "$base" --levels 1-"$hard_level" --count 32 -n 4 | tee "$run/levels.txt"

banner "3/6 hard set: level-$hard_level problems never solved in 128 samples"
"$soar" testbed problems --levels "$hard_level" --count 64 --seed "$seed" --out "$run/pool.jsonl"
"$soar" --threads "$threads" mine --model "$base" --problems "$run/pool.jsonl" "${generation[@]}" -K 128 --batch 512 \
  --train-fraction 0.5 --split-seed "$seed" --seed "$seed" --out "$run/hard"
if [[ ! -s "$run/hard/train.jsonl" || ! -s "$run/hard/test.jsonl" ]]; then
  echo "[demo] the hard set is empty at level $hard_level: set SOAR_DEMO_HARD_LEVEL higher"; exit 1
fi

banner "4/6 hard-only baseline: RLVR directly on D_train"
"$soar" --threads "$threads" train-rl --model "$base" --problems "$run/hard/train.jsonl" "${generation[@]}" \
  --steps 24 --prompts-per-step 16 -k 8 --lr 3e-4 --seed "$seed" --checkpoint-every 8 --out "$run/hard-only"

banner "5/6 SOAR: teacher writes problem sets, students learn from them, grounded reward on D_train"
# -n 4: the testbed corpus has teacher sets of 1-4 problems; asked for 8, the base model writes one
# (docs/testbed.md, table 4b).
"$soar" --threads "$threads" meta --model "$base" --train "$run/hard/train.jsonl" -T 4 -g 4 -n 4 -K 4 \
  --inner-prompts 8 --inner-samples 8 --q-size 16 --q-samples 8 --window 2 --seed "$seed" --out "$run/soar"

banner "6/6 pass@k on the held-out hard set D_test"
for who in base:"$base" hard-only:"$run/hard-only/model" soar:"$run/soar/student"; do
  "$soar" --threads "$threads" eval --model "${who#*:}" --problems "$run/hard/test.jsonl" "${generation[@]}" \
    -n 32 -k 1,8,32 --seed "$seed" --out "$run/eval-${who%%:*}" > /dev/null
done

report="$run/report.md"
"$SOAR_HOME/venv/bin/python" scripts/demo_report.py "$run" "$hard_level" "$seed" > "$report"
banner "report written to $report"
cat "$report"
