#!/usr/bin/env bash
# Recipes (--config FILE) and resolved configurations (--print-config, RUN/config.toml): keys set
# options, the command line wins, unknown keys and malformed lines are refused with file:line, a
# required option may come from the recipe, and the config.toml a run writes reruns it exactly
# (LaTeX backslashes, quotes, '#' and newlines included).
# Usage: recipe_test.sh SOAR_BINARY MODEL_DIR WORK_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/problem_files.sh"
soar=$1 model=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
failures=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; [[ -f out.txt ]] && cat out.txt; failures=$((failures + 1)); }
refused() {  # refused NAME EXPECTED_TEXT -- command...: exits non-zero with EXPECTED_TEXT in its output
  local name=$1 expected=$2; shift 3
  "$@" > out.txt 2>&1; local rc=$?
  if [[ $rc -ne 0 ]] && grep -qF -- "$expected" out.txt; then pass "$name"; else echo "(exit $rc, expected '$expected')"; fail "$name"; fi
}
write_good_problems
eval_args=(--model "$model" --problems good.jsonl)

# Values from a recipe reach the options; lists may span lines, keys use '-' or '_'.
cat > recipe.toml <<'EOF'
# an eval recipe
samples = 3   # per problem
k = [1,
     2]
max_new_tokens = 5
prompt-template = "Put the final answer in \boxed{}: {problem}"
skip-bad-lines = true
seed = 4
out = "from-recipe"
EOF
"$soar" eval "${eval_args[@]}" --config recipe.toml --print-config > out.txt 2>&1
if grep -qx 'samples = 3' out.txt && grep -qx 'k = \[1, 2\]' out.txt && grep -qx 'max-new-tokens = 5' out.txt \
   && grep -qxF 'prompt-template = "Put the final answer in \boxed{}: {problem}"' out.txt \
   && grep -qx 'skip-bad-lines = true' out.txt && grep -qx 'out = "from-recipe"' out.txt; then
  pass recipe-sets-values
else
  fail recipe-sets-values
fi
"$soar" eval "${eval_args[@]}" --config recipe.toml --seed 9 -k 8 --print-config > out.txt 2>&1
if grep -qx 'seed = 9' out.txt && grep -qx 'k = 8' out.txt && grep -qx 'samples = 3' out.txt; then
  pass command-line-overrides-recipe
else
  fail command-line-overrides-recipe
fi

# Refusals name the file and the line.
printf 'samples = 2\n\n# a comment\nsamplez = 3\n' > unknown.toml
refused unknown-key "unknown.toml:4: unknown key 'samplez' for 'soar eval' (did you mean samples?)" -- \
  "$soar" eval "${eval_args[@]}" --out e --config unknown.toml
printf 'samples = 2\nouter-steps = 3\n' > other.toml
refused other-commands-key "other.toml:2: unknown key 'outer-steps' for 'soar eval'" -- \
  "$soar" eval "${eval_args[@]}" --out e --config other.toml
printf 'samples = 2\nbatch 4\n' > malformed.toml
refused malformed-line "malformed.toml:2: expected \`key = value\`" -- "$soar" eval "${eval_args[@]}" --out e --config malformed.toml
printf '[eval]\nsamples = 2\n' > section.toml
refused section-header "section.toml:1:" -- "$soar" eval "${eval_args[@]}" --out e --config section.toml
printf 'samples = 2\nbatch = "many"\n' > badvalue.toml
refused bad-value "badvalue.toml:2:" -- "$soar" eval "${eval_args[@]}" --out e --config badvalue.toml
printf 'samples = 2\nn = 3\n' > twice.toml
refused key-set-twice "twice.toml:2:" -- "$soar" eval "${eval_args[@]}" --out e --config twice.toml
refused missing-recipe "missing.toml" -- "$soar" eval "${eval_args[@]}" --out e --config missing.toml

# A required option may come from the recipe (and is still required without it).
printf 'model = "%s"\nproblems = "good.jsonl"\nout = "required-out"\n' "$model" > required.toml
"$soar" eval --config required.toml --print-config > out.txt 2>&1 && grep -qx 'out = "required-out"' out.txt \
  && pass required-option-from-recipe || fail required-option-from-recipe
printf 'model = "%s"\nproblems = "good.jsonl"\n' "$model" > no_out.toml
refused required-option-still-required "--out is required" -- "$soar" eval --config no_out.toml

# A run's config.toml reruns it: read back it resolves to the same bytes and gives the same results.
# The prompt holds a LaTeX command, both kinds of quote, a '#' and a newline; the stop string a comma.
"$soar" --threads 1 eval "${eval_args[@]}" --out run1 -n 2 -k 1,2 --max-new-tokens 4 --seed 3 \
  --prompt-template $'Put it in \\boxed{} ("say" it\'s # {problem})\nA:' --stop 'x, y' > out.txt 2>&1
"$soar" eval "${eval_args[@]}" --out run1 -n 2 -k 1,2 --max-new-tokens 4 --seed 3 \
  --prompt-template $'Put it in \\boxed{} ("say" it\'s # {problem})\nA:' --stop 'x, y' --print-config > printed.toml 2>> out.txt
"$soar" eval --config run1/config.toml --print-config > reread.toml 2>> out.txt
if [[ -s run1/config.toml ]] && cmp -s run1/config.toml printed.toml && cmp -s run1/config.toml reread.toml \
   && grep -qF 'Put it in \boxed{} ("say" it'"'"'s # {problem})' run1/config.toml; then
  pass resolved-config-round-trip
else
  fail resolved-config-round-trip; diff run1/config.toml reread.toml
fi
"$soar" --threads 1 eval --config run1/config.toml --out run2 > out.txt 2>&1 \
  && cmp -s run1/per_problem.jsonl run2/per_problem.jsonl && grep -qx 'out = "run2"' run2/config.toml \
  && pass rerun-from-config-same-results || fail rerun-from-config-same-results

# A recipe written by hand with a '''...''' string and a LaTeX backslash round-trips the same way.
cat > latex.toml <<'EOF'
system = '''
You are "careful".
Answer in \boxed{\frac{a}{b}}.'''
prompt_template = 'Solve: {problem} \\ then \boxed{}'
EOF
"$soar" eval "${eval_args[@]}" --out e --config latex.toml --print-config > latex1.toml 2> out.txt
"$soar" eval --config latex1.toml --print-config > latex2.toml 2>> out.txt
if cmp -s latex1.toml latex2.toml && grep -qxF 'Answer in \boxed{\frac{a}{b}}.'"'''" latex1.toml \
   && grep -qF 'Solve: {problem} \\ then \boxed{}' latex1.toml; then
  pass latex-string-round-trip
else
  fail latex-string-round-trip; cat latex1.toml
fi

echo "$failures failure(s)"
[[ $failures -eq 0 ]]
