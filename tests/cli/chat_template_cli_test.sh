#!/usr/bin/env bash
# A model's own chat template end to end: `soar train-rl` on a model with the ChatML template (the
# cli_model fixture's chat_model) uses it by default (--chat auto), and the model/ and checkpoint/ it
# writes carry the tokenizer and chat template files: transformers loads each, and its
# apply_chat_template gives soar's prompt ids, with and without a system message. An edited template
# is refused with the file and --chat named, and --chat NAME / none override it.
# Usage: chat_template_cli_test.sh SOAR CHAT_PROMPT_IDS PYTHON CLI_MODEL_DIR WORK_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/problem_files.sh"
soar=$1 prompt_ids=$2 python=$3 fixture=$4 work=$5
rm -rf "$work" && mkdir -p "$work" && cd "$work"
failures=0
ok() { echo "ok   $1"; }
not_ok() { echo "FAIL $1"; [[ -f out.txt ]] && cat out.txt; failures=$((failures + 1)); }
write_good_problems

"$soar" --threads 1 train-rl --model "$fixture/chat_model" --problems good.jsonl --steps 2 --prompts-per-step 2 -k 2 \
  --max-new-tokens 3 --checkpoint-every 1 --seed 1 --out run > out.txt 2>&1 && ok train-rl || not_ok train-rl

for dir in run/model run/checkpoint; do
  missing=""
  for file in tokenizer.json tokenizer_config.json chat_template.jinja; do [[ -f $dir/$file ]] || missing+=" $file"; done
  [[ -z $missing ]] && ok "$dir carries the tokenizer files" || { echo "missing:$missing" > out.txt; not_ok "$dir carries the tokenizer files"; }
  for system in "" "Be brief."; do
    name="$dir: transformers' apply_chat_template = soar's prompt (system '$system')"
    "$prompt_ids" "$dir" "ab" "$system" > soar_ids.json 2> out.txt || { not_ok "$name"; continue; }
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$python" - "$dir" "ab" "$system" soar_ids.json > out.txt 2>&1 <<'EOF' \
      && ok "$name" || not_ok "$name"
import json, sys
from transformers import AutoModelForCausalLM, AutoTokenizer
model_dir, problem, system, soar_ids = sys.argv[1:]
AutoModelForCausalLM.from_pretrained(model_dir)  # the weights load too
tokenizer = AutoTokenizer.from_pretrained(model_dir)
messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": problem}]
text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
ids = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"]
soar = json.load(open(soar_ids))
print(f"transformers: {text!r} -> {ids}\nsoar: {soar}")
assert text.startswith("<|im_start|>") and ids == soar
EOF
  done
done

# An edited template: refused, naming the file and the flag; --chat chatml and --chat none override it.
cp -r run/model edited && printf '{{ "edited" }}' >> edited/chat_template.jinja
sample() { "$soar" --threads 1 sample --model edited --problems good.jsonl --max-new-tokens 2 --out "$@" > out.txt 2>&1; }
sample s0.jsonl; rc=$?
[[ $rc -eq 1 ]] && grep -qF "edited/chat_template.jinja: chat template not recognised" out.txt && grep -qF -- "--chat NAME" out.txt \
  && grep -qF -- "--chat none" out.txt && ok edited-template-refused || not_ok edited-template-refused
sample s1.jsonl --chat chatml && ok "edited template, --chat chatml" || not_ok "edited template, --chat chatml"
sample s2.jsonl --chat none && ok "edited template, --chat none" || not_ok "edited template, --chat none"
# A model without a template (the character-level fixture): auto is plain text, so --system is refused.
"$soar" sample --model "$fixture/model" --problems good.jsonl --max-new-tokens 2 --system "Be brief." --out s3.jsonl > out.txt 2>&1
[[ $? -eq 1 ]] && grep -qF "has no chat template for --chat auto" out.txt && ok system-without-template || not_ok system-without-template
echo "chat template cli: $failures failure(s)"
exit $((failures > 0))
