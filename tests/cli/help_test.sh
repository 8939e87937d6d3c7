#!/usr/bin/env bash
# The command line's own help: every command shows an example (apps/soar/help_examples.cpp) and every
# example is a valid command line (it parses: run with --print-config, which stops before any work);
# every recipe under configs/ loads in the command its header names; a flag given twice and an
# unknown command are refused with a message that says what to do.
# Usage: help_test.sh SOAR_BINARY REPOSITORY_ROOT WORK_DIR
set -uo pipefail
soar=$1 root=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
# Examples run here: the recipes they name, and the files the parser itself checks, are in place.
ln -s "$root/configs" configs && touch smollm2-135m-instruct.gguf
failures=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; [[ -f out.txt ]] && cat out.txt; failures=$((failures + 1)); }

# The leaf commands, from soar --help and the testbed's own list.
commands=()
for c in $("$soar" --help | awk '/^Subcommands:/ { on = 1; next } on && NF { print $1 }'); do
  if [[ $c == testbed ]]; then
    for t in $("$soar" testbed --help | awk '/^Subcommands:/ { on = 1; next } on && NF { print $1 }'); do commands+=("testbed $t"); done
  else
    commands+=("$c")
  fi
done
(( ${#commands[@]} >= 15 )) && ok "${#commands[@]} commands listed" || bad "only ${#commands[@]} commands listed"

for c in "${commands[@]}"; do
  read -ra path <<< "$c"
  "$soar" "${path[@]}" --help > help.txt 2>&1
  if ! grep -q '^Example:' help.txt; then bad "soar $c --help has no example"; continue; fi
  # Each example line "soar <path> args... (comment)": parse it with --print-config after the path.
  n=0
  while IFS= read -r line; do
    line=${line%%   (*}
    read -ra words <<< "${line#soar }"
    args=("${words[@]:${#path[@]}}")
    if "$soar" "${path[@]}" --print-config "${args[@]}" > out.txt 2>&1; then n=$((n + 1)); else bad "example does not parse: $line"; fi
  done < <(sed -n '/^Example:/,$p' help.txt | sed -n 's/^  \(soar .*\)/\1/p')
  (( n > 0 )) && ok "soar $c: $n example(s) parse" || bad "soar $c: no example line"
done

# Every recipe loads in the command its header shows (`soar CMD --config configs/NAME.toml`).
for recipe in "$root"/configs/*.toml; do
  name=configs/$(basename "$recipe")
  cmd=$(grep -o "soar [a-z-]* --config $name" "$recipe" | head -1 | awk '{ print $2 }')
  if [[ -z $cmd ]]; then bad "$name: its header shows no 'soar COMMAND --config $name'"; continue; fi
  # Required options the recipe leaves to the command line get placeholders.
  extra=()
  grep -q '^model *=' "$recipe" || extra+=(--model m)
  grep -q '^out *=' "$recipe" || extra+=(--out o)
  grep -q '^train *=' "$recipe" || [[ $cmd != meta ]] || extra+=(--train t)
  if (cd "$root" && "$soar" "$cmd" --config "$name" "${extra[@]}" --print-config) > out.txt 2>&1; then
    ok "$name loads in soar $cmd"
  else
    bad "$name does not load in soar $cmd"
  fi
done

# Usage mistakes.
usage() {  # usage NAME TEXT -- command...: refused at parse time with TEXT
  local name=$1 expected=$2; shift 3
  "$@" > out.txt 2>&1; local rc=$?
  if [[ $rc -ne 0 ]] && grep -qF -- "$expected" out.txt; then ok "$name"; else bad "$name (exit $rc, expected '$expected')"; fi
}
usage flag-twice "--skip-bad-lines was given 2 times; give it once" -- \
  "$soar" eval --model m --problems p --out o --skip-bad-lines --skip-bad-lines
usage resume-twice "--resume was given 2 times; give it once" -- "$soar" train-rl --model m --problems p --out o --resume --resume
usage option-twice "--lr was given 2 times; give it once" -- "$soar" train-rl --model m --problems p --out o --lr 1 --lr 2
usage unknown-command "unknown command 'trian-rl' for 'soar' (did you mean train-rl?)" -- "$soar" trian-rl
usage unknown-testbed-command "did you mean levels?" -- "$soar" testbed levles

echo "$failures failure(s)"
exit $(( failures > 0 ))
