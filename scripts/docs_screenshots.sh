#!/usr/bin/env bash
# Makes the documentation's screenshots, docs/images/report.png (the HTML page `soar report` writes,
# rendered by headless Chromium) and docs/images/tensorboard.png (TensorBoard's scalars page on the
# same run; where it cannot be rendered, a plot of TensorBoard's event reader's output instead).
#
# Usage: scripts/docs_screenshots.sh [RUN_DIR...]
#   RUN_DIR...  runs to report (any kind soar report reads; TensorBoard shows the first). Without one,
#               it makes a small demo-like run under runs/docs-screenshots/ (SOAR_SCREENSHOT_DIR), ~3
#               minutes on 2 cores: a tiny testbed base model (soar pretrain, 300 steps), train-rl on
#               level-1 problems with an evaluation every 5 steps, and eval of the trained model.
# Needs Chromium (Debian: apt-get install -y chromium; installed here when missing and allowed) and
# the project's virtualenv (scripts/setup.sh: matplotlib, Pillow, TensorBoard). Not part of CI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
soar=build/release/apps/soar/soar
python="$SOAR_HOME/venv/bin/python"
images=docs/images
say() { printf '[docs-screenshots] %s\n' "$*"; }
[[ -x $soar ]] || { cmake --preset release > /dev/null && cmake --build --preset release -j "$SOAR_JOBS" --target soar; }
if ! command -v chromium > /dev/null; then
  say "installing chromium (Debian package)"
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq chromium
fi
browser() { chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 "$@" 2> /dev/null; }

runs=("$@")
if (( ${#runs[@]} == 0 )); then
  work="${SOAR_SCREENSHOT_DIR:-runs/docs-screenshots}"
  mkdir -p "$work"
  say "a small demo-like run in $work"
  "$soar" --threads 1 pretrain --out "$work/base" --seed 1 --steps 300 --hidden 64 --layers 2 --heads 2 \
    --intermediate 192 --batch-rows 16 > "$work/pretrain.log" 2>&1
  "$soar" testbed problems --levels 1 --count 64 --seed 1 --out "$work/train.jsonl"
  "$soar" testbed problems --levels 1 --count 32 --seed 2 --out "$work/test.jsonl"
  student=(--prompt-template $'Q:{problem}\nA:' --stop $'\n' --max-new-tokens 20)
  "$soar" --threads 1 train-rl --model "$work/base/model" --problems "$work/train.jsonl" "${student[@]}" --steps 40 \
    --prompts-per-step 8 -k 8 --lr 1e-4 --eval-problems "$work/test.jsonl" --eval-every 5 --eval-samples 4 \
    --out "$work/train-rl" > "$work/train-rl.log" 2>&1
  "$soar" --threads 1 eval --model "$work/train-rl/model" --problems "$work/test.jsonl" "${student[@]}" -n 16 -k 1,4,16 \
    --out "$work/eval" > "$work/eval.log" 2>&1
  runs=("$work/train-rl" "$work/eval")
  report="$work/report"
else
  report="${runs[0]%/}/report"; (( ${#runs[@]} == 1 )) || report="${runs[0]%/}/../report"
fi

say "soar report ${runs[*]} --out $report"
"$soar" report --title "soar report: a small train-rl run and its evaluation" --out "$report" "${runs[@]}" > /dev/null
mkdir -p "$images"
browser --screenshot="$images/report.png" --window-size=1200,4200 "file://$(realpath "$report/report.html")" > /dev/null
"$python" scripts/docs_images.py shrink "$images/report.png"

say "TensorBoard on ${runs[0]}"
port=$(( 6200 + RANDOM % 500 ))
"$SOAR_HOME/venv/bin/tensorboard" --logdir "${runs[0]}" --host 127.0.0.1 --port "$port" > "$report/tensorboard.log" 2>&1 &
tensorboard=$!
trap 'kill $tensorboard 2> /dev/null || true' EXIT
for _ in $(seq 60); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 1; done
# The scalars page, the training curves only, unsmoothed; the virtual-time budget lets it render.
url="http://127.0.0.1:$port/?darkMode=false#scalars&tagFilter=reward%7Centropy%7Cpass%401%2Fmean%7Cgrad_norm%7Clength_mean&_smoothingWeight=0"
if browser --virtual-time-budget=20000 --screenshot="$images/tensorboard.png" --window-size=1400,1000 "$url" > /dev/null \
   && [[ $(stat -c %s "$images/tensorboard.png") -gt 50000 ]]; then
  "$python" scripts/docs_images.py shrink "$images/tensorboard.png"
else
  say "TensorBoard did not render in Chromium: drawing its event reader's output instead"
  "$python" scripts/docs_images.py events "${runs[0]}" "$images/tensorboard.png"
fi
ls -l "$images/report.png" "$images/tensorboard.png"
