#!/usr/bin/env bash
# soar teacher-sample --corrupt on the committed base model (models/testbed-interleaved-seed1, a
# teacher that writes well-formed items): the same seed samples the same pairs; "answers" keeps every
# question and changes every answer, "structure" keeps every answer and changes every question, each
# line marked; a bad name is refused before the model loads.
# Usage: teacher_sample_test.sh SOAR_BINARY PYTHON SOURCE_DIR WORK_DIR
set -uo pipefail
soar=$1 python=$2 source=$3 work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
model=$source/models/testbed-interleaved-seed1/model
failures=0
for corrupt in none answers structure; do
  "$soar" --threads 1 teacher-sample --model "$model" --domain testbed --student-task interleaved -n 12 --seed 5 \
    --corrupt "$corrupt" --out "$corrupt.jsonl" 2> "$corrupt.log" || { echo "FAIL teacher-sample --corrupt $corrupt"; cat "$corrupt.log"; exit 1; }
done
if "$python" - <<'PY'
import json, sys
def rows(name): return [json.loads(line) for line in open(name)]
none, answers, structure = rows("none.jsonl"), rows("answers.jsonl"), rows("structure.jsonl")
ok = len(none) == len(answers) == len(structure) == 12
ok &= all(n["id"] == a["id"] == s["id"] for n, a, s in zip(none, answers, structure))
ok &= all(n["problem"] == a["problem"] and n["answer"] != a["answer"] and a["corrupted"] == "answers" for n, a in zip(none, answers))
ok &= all(n["answer"] == s["answer"] and n["problem"] != s["problem"] and s["corrupted"] == "structure" for n, s in zip(none, structure))
ok &= all("answer_correct" in n and "corrupted" not in n for n in none)  # the parser's notes, uncorrupted
sys.exit(0 if ok else 1)
PY
then echo "ok   --corrupt answers / structure rewrite the sampled pairs"; else echo "FAIL corrupted sets"; head -3 ./*.jsonl; failures=$((failures + 1)); fi
if "$soar" teacher-sample --model "$work/missing" --domain testbed --corrupt bogus --out bad.jsonl > bad.log 2>&1; then
  echo "FAIL --corrupt bogus accepted"; failures=$((failures + 1))
elif grep -q "\-\-corrupt 'bogus': expected none, answers or structure" bad.log; then echo "ok   --corrupt bogus refused"
else echo "FAIL --corrupt bogus: unexpected error"; cat bad.log; failures=$((failures + 1)); fi
exit $((failures > 0))
