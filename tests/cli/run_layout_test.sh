#!/usr/bin/env bash
# The run directory layout of docs/runs.md, pinned: a run of each kind (eval, mine, train-rl, meta)
# on the fixture models writes exactly the files the page lists (tests/python/check_run_layout.py),
# and the kept checkpoints behave as documented: --keep-checkpoints N keeps the newest N,
# --snapshot-every M every M-th step for good, each a model directory eval takes, and --resume
# refuses a directory without a checkpoint.
# Usage: run_layout_test.sh SOAR_BINARY REFERENCE_DIR REPOSITORY_ROOT WORK_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/problem_files.sh"
soar=$1 reference=$2 root=$3 work=$4
model=$reference/cli_model/model learner=$reference/dist_model/model
doc=$root/docs/runs.md check="python3 $root/tests/python/check_run_layout.py $doc"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
failures=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; failures=$((failures + 1)); }
run() { local name=$1; shift; "$@" > "$name.log" 2>&1 && ok "$name ran" || { bad "$name failed"; cat "$name.log"; }; }
layout() { local name=$1; shift; $check "$@" > layout.txt 2>&1 && ok "$name layout" || { bad "$name layout"; cat layout.txt; }; }

write_good_problems
write_letter_problems

run eval "$soar" --threads 1 eval --model "$model" --problems good.jsonl -n 2 --max-new-tokens 4 --out eval
layout eval eval eval "Shared by every run"
run mine "$soar" --threads 1 mine --model "$model" --problems good.jsonl -n 2 --max-new-tokens 4 --out mine
layout mine mine mine "Shared by every run"

train() { "$soar" --threads 1 train-rl --model "$learner" --problems letters.jsonl --prompts-per-step 4 -k 4 --max-new-tokens 1 \
            --seed 7 --checkpoint-every 1 --keep-checkpoints 2 --snapshot-every 2 "$@"; }
run train-rl train --steps 5 --out rl
layout train-rl train-rl rl "Shared by every run"
layout model "A model directory" rl/model
layout checkpoint "A model directory" rl/checkpoint "A checkpoint directory"
kept() { (cd "$1" && ls | tr '\n' ' '); }
[[ $(kept rl/checkpoints) == "step_00000004 step_00000005 " ]] && ok "the newest 2 checkpoints kept" || bad "checkpoints/: $(kept rl/checkpoints)"
[[ $(kept rl/snapshots) == "step_00000002 step_00000004 " ]] && ok "every 2nd step snapshotted" || bad "snapshots/: $(kept rl/snapshots)"
cmp -s rl/checkpoint/model.safetensors rl/checkpoints/step_00000005/model.safetensors && ok "newest kept = checkpoint" || bad "newest kept differs"
cmp -s rl/snapshots/step_00000002/model.safetensors rl/checkpoint/model.safetensors && bad "snapshot 2 = step 5's weights" || ok "snapshot 2 has its own weights"
layout snapshot "A model directory" rl/snapshots/step_00000002 "A checkpoint directory"
run eval-snapshot "$soar" --threads 1 eval --model rl/snapshots/step_00000002 --problems letters.jsonl -n 2 --max-new-tokens 1 --out eval-snapshot
# Extending the run: --resume continues from step 5; the snapshots stay, the kept checkpoints move on.
run resume train --steps 6 --resume --out rl
grep -q "resuming from .* at step 5" resume.log && ok "--resume continued at step 5" || { bad "--resume did not continue"; cat resume.log; }
[[ $(kept rl/checkpoints) == "step_00000005 step_00000006 " && $(kept rl/snapshots) == "step_00000002 step_00000004 step_00000006 " ]] \
  && ok "kept checkpoints after the resume" || bad "after the resume: $(kept rl/checkpoints) / $(kept rl/snapshots)"
train --steps 2 --resume --out fresh > fresh.log 2>&1
[[ $? -ne 0 ]] && grep -q "has no checkpoint to resume from" fresh.log && [[ ! -e fresh/metrics.jsonl ]] \
  && ok "--resume refuses a directory without a checkpoint" || { bad "--resume on a fresh directory"; cat fresh.log; }

# SOAR's oracle arm on the random fixture (as in cli_test.sh); --tau -1 promotes every step.
run meta "$soar" --threads 1 meta --model "$model" --train good.jsonl -T 2 -g 2 -n 2 -r 2 -K 1 --teacher-reward none \
  --oracle-levels 1-2 --student-max-tokens 4 --inner-prompts 2 --inner-samples 2 --q-size 2 --tau -1 --window 1 \
  --student-lr 1e-2 --seed 3 --out meta
layout meta meta meta "Shared by every run"
layout meta-teacher "A model directory" meta/teacher
layout meta-promoted "A model directory" meta/promoted/step_1

# The checker itself fails on a file the page does not list, and on a missing "always" file.
touch rl/stray.txt
$check train-rl rl "Shared by every run" > /dev/null 2>&1 && bad "an unlisted file passed" || ok "an unlisted file is caught"
rm rl/stray.txt rl/finished.json
$check train-rl rl "Shared by every run" > /dev/null 2>&1 && bad "a missing file passed" || ok "a missing file is caught"

echo "$failures failure(s)"
exit $(( failures > 0 ))
