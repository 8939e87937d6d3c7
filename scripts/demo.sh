#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and runs the SOAR demo on the
# built-in testbed, writing everything (and report.md with PNG plots) to runs/demo/
# (SOAR_DEMO_DIR to change).
#
# The testbed variant is format 8 (docs/testbed.md): the student answers a+b in its usual layout,
# the teacher writes its sums digit-interleaved, so writing a correct problem at the student's edge
# is easier than solving one (the paper's premise). What it runs, in order (each step prints its
# own progress):
#   1. the base model: the committed models/testbed-interleaved-seed1 (`soar pretrain` reuses it;
#      a test reproduces it bit for bit), or for SOAR_DEMO_SEED != 1 a new one (`soar pretrain`,
#      10-12 minutes, then `soar testbed hard-level`, about 5 more)
#   2. soar testbed levels  its success per difficulty level: easy levels solved, hard ones not
#   3. scripts/soar_experiment.sh, on 2 processes (`soar launch`), at the hard-level rule's level H:
#      soar mine            fail@128 hard set at level H, split into D_train / D_test
#      soar meta            SOAR as the paper specifies it (recipe configs/testbed-interleaved.toml)
#                           and the oracle curriculum (real problems of levels 6..H-1) in the same
#                           loop: where SOAR's grounded reward stays 0, the oracle's shows that the
#                           loop can reward useful datasets (SOAR_DEMO_ARMS="soar" to skip it)
#      soar select-promoted the promoted student with the best greedy D_train accuracy (PS)
#      soar train-rl        the "hard-only" baseline on D_train; fresh students on SOAR's promoted
#                           questions (PQ) and on 128 problems sampled from the base teacher and
#                           from SOAR's teacher (base-t, grounded-t), then D_train; each with the
#                           student samples SOAR used
#      soar eval            pass@k on D_test of every model
#   4. soar report          report.md + PNG plots, and report.html (the same, one self-contained page)
# The budgets are small so that it ends in about 10 minutes on 2 cores; they are not the paper's,
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
task=(--student-task interleaved)
format8=("${task[@]}" --solved-max-level 10 --student-solved-max-level 5)  # docs/testbed.md, "Format 8 with E = 10"
mkdir -p "$run"
banner() { printf '\n=== [demo] %s\n' "$*"; }

if [[ $seed == 1 ]]; then
  banner "1/4 base model: the committed models/testbed-interleaved-seed1 (soar pretrain reuses it)"
  base_run=models/testbed-interleaved-seed1
  "$soar" --threads 1 pretrain --out "$base_run" --seed 1 "${format8[@]}"
else
  banner "1/4 base model: soar pretrain, seed $seed (10-12 minutes; cached under $run/base once made)"
  base_run=$run/base
  "$soar" --threads "$threads" pretrain --out "$base_run" --seed "$seed" "${format8[@]}"
fi
base="$base_run/model"

banner "2/4 the base model's success per level"
"$soar" --threads "$threads" testbed levels --model "$base" "${task[@]}" --count 32 -n 4 | tee "$run/levels.txt"

# The hard set by the hard-level rule (docs/testbed.md): the lowest level from which up every
# level had at most one success in 128 x 128 samples. Committed for seed 1.
scan="$base_run/hard-level.json"
if [[ ! -s $scan ]]; then
  scan="$run/edge/scan.json"
  [[ -s $scan ]] || "$soar" --threads "$threads" testbed hard-level --model "$base" "${task[@]}" --problem-seed "$seed" \
    --seed "$seed" --split-seed "$seed" --batch 512 --out "$run/edge"
fi
hard="${SOAR_DEMO_HARD_LEVELS:-$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["hard_level"])' "$scan")}"
banner "3/4 SOAR and its baselines on the level-$hard hard set (2 processes each)"
ARMS="${SOAR_DEMO_ARMS:-soar oracle}" TEACHERS="${SOAR_DEMO_TEACHERS-base soar}" HARD_LEVELS="$hard" \
  ORACLE_LEVELS="$((hard > 7 ? 6 : 1))-$((hard > 1 ? hard - 1 : 1))" STUDENT_TASK=interleaved \
  RECIPE=configs/testbed-interleaved.toml T="${SOAR_DEMO_T:-}" bash scripts/soar_experiment.sh "$base" "$run/experiment" "$seed"

banner "4/4 report"
cp "$run/levels.txt" "$run/experiment/levels.txt"  # the report shows it, with experiment/budget.txt
"$soar" report --title "soar demo (testbed format 8, seed $seed, small budget: one seed is not a result)" \
  --out "$run/report" "$run/experiment" > /dev/null
banner "report written to $run/report/report.md (and report.html, one self-contained page)"
cat "$run/report/report.md"
