#!/usr/bin/env bash
# The committed base model (models/testbed-interleaved-seed1, which scripts/demo.sh uses instead of
# pretraining for 10-12 minutes) is what `soar pretrain` makes: the command in its README, run
# from scratch on one thread, must reproduce every file bit for bit.
# Usage: testbed_base_test.sh SOAR_BINARY SOURCE_DIR WORK_DIR
set -uo pipefail
soar=$1 source=$2 work=$3
committed=$source/models/testbed-interleaved-seed1
rm -rf "$work" && mkdir -p "$work"
# The same flags as models/testbed-interleaved-seed1/README.md and scripts/demo.sh.
if ! "$soar" --threads 1 pretrain --out "$work/base" --seed 1 --student-task interleaved --solved-max-level 10 \
       --student-solved-max-level 5 --log-every 100 > "$work/pretrain.log" 2>&1; then
  echo "FAIL soar pretrain"; tail -20 "$work/pretrain.log"; exit 1
fi
failures=0
for f in pretrain.json done tokenizer.json model/config.json model/generation_config.json model/tokenizer.json \
         model/model.safetensors; do
  if cmp -s "$committed/$f" "$work/base/$f"; then echo "ok   $f"; else echo "FAIL $f differs from $committed/$f"; failures=$((failures + 1)); fi
done
# And the committed folder is a finished run that `soar pretrain` reuses instead of retraining.
cp -r "$committed" "$work/reused"
reuse=$("$soar" --threads 1 pretrain --out "$work/reused" --seed 1 --student-task interleaved --solved-max-level 10 \
          --student-solved-max-level 5 2>&1)
if [[ $reuse == *"reusing the finished run"* ]]; then echo "ok   reused"
else echo "FAIL the committed folder is not reused as a finished run"; echo "$reuse" | tail -5; failures=$((failures + 1)); fi
exit $((failures > 0))
