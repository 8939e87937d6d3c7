#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and runs the SOAR demo on the
# built-in testbed, writing everything (and report.md with PNG plots) to runs/demo/
# (SOAR_DEMO_DIR to change).
#
# What it runs, in order (each step prints its own progress):
#   1. soar pretrain        the testbed's tiny base model, from scratch (reused when already made)
#   2. soar testbed levels  its success per difficulty level: easy levels solved, hard ones not
#   3. scripts/soar_experiment.sh, on 2 processes (`soar launch`):
#      soar mine            fail@128 hard set at the hard level, split into D_train / D_test
#      soar meta            SOAR as the paper specifies it (recipe configs/testbed.toml), the base
#                           teacher (not trained) and the oracle curriculum (the hard level and the
#                           one below it), same inner loops and budget
#      soar select-promoted the promoted student with the best greedy D_train accuracy (PS)
#      soar train-rl        the "hard-only" baseline on D_train and a fresh student on SOAR's promoted
#                           questions, each with the student samples SOAR used
#      soar eval            pass@k on D_test of every model
#   4. soar report          report.md + PNG plots, and report.html (the same, one self-contained page)
# The budgets are small so that it ends in about 20 minutes on 2 cores; they are not the paper's,
# and one seed is a demonstration, not a result (docs/results.md has the measured findings).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
bash scripts/setup.sh
echo "[demo] building (release preset)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$SOAR_JOBS" --target soar

soar=build/release/apps/soar/soar
run="${SOAR_DEMO_DIR:-runs/demo}"
seed="${SOAR_DEMO_SEED:-1}"
threads="${SOAR_THREADS:-$(nproc)}"
mkdir -p "$run"
banner() { printf '\n=== [demo] %s\n' "$*"; }

banner "1/4 base model: soar pretrain (cached under $run/base once made)"
"$soar" --threads "$threads" pretrain --out "$run/base" --seed "$seed"
base="$run/base/model"

banner "2/4 the base model's success per level"
"$soar" --threads "$threads" testbed levels --model "$base" --count 32 -n 4 | tee "$run/levels.txt"

# The hard set sits at the base model's edge: the lowest level it solves at pass@1 < 0.05 (its
# fail@128 problems are hard, and the level below is a stepping stone an inner loop can use).
edge=$(awk '$1 ~ /^[0-9]+$/ && $2 < 0.05 { print $1; exit }' "$run/levels.txt")
hard="${SOAR_DEMO_HARD_LEVELS:-${edge:-12}}"
banner "3/4 SOAR and its baselines on the level-$hard hard set (2 processes each)"
ARMS="${SOAR_DEMO_ARMS:-soar base-teacher oracle}" HARD_LEVELS="$hard" ORACLE_LEVELS="$((hard > 1 ? hard - 1 : 1))-$hard" \
  RECIPE=configs/testbed.toml T="${SOAR_DEMO_T:-}" bash scripts/soar_experiment.sh "$base" "$run/experiment" "$seed"

banner "4/4 report"
cp "$run/levels.txt" "$run/experiment/levels.txt"  # the report shows it, with experiment/budget.txt
"$soar" report --title "soar demo (testbed, seed $seed, small budget)" --out "$run/report" "$run/experiment" > /dev/null
banner "report written to $run/report/report.md (and report.html, one self-contained page)"
cat "$run/report/report.md"
