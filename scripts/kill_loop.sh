#!/usr/bin/env bash
# Fault injection: kills a resumable soar run at random moments until it has been killed KILLS times,
# lets it finish, and compares it with the same run never interrupted: every *.safetensors file
# byte for byte and the sequence of step records in metrics.jsonl (docs/reliability.md).
#
#   scripts/kill_loop.sh [--signal KILL|TERM|INT] [--kills N] [--max-delay SECONDS] [--seed S] WORK -- SOAR_ARGS...
#
# SOAR_ARGS is a soar command line without --out (e.g. `train-rl --model M --problems P --steps 60`,
# or `launch --nproc 2 --master-port 0 -- train-rl ...`); the script adds `--out WORK/straight` and
# `--out WORK/looped`. Each kill lands a random delay in (0, SECONDS] after the (re)start, so it
# falls anywhere: in model loading, a step, a checkpoint write, a metrics append.
set -uo pipefail
signal=KILL kills=20 max_delay=2 seed=1
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --signal) signal=$2; shift 2 ;; --kills) kills=$2; shift 2 ;; --max-delay) max_delay=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;; *) echo "kill_loop.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $# -ge 3 && $2 == -- ]] || { sed -n 2,12p "$0" >&2; exit 2; }
work=$1; shift 2
soar=${SOAR:-$(dirname "$0")/../build/release/apps/soar/soar}
rm -rf "$work" && mkdir -p "$work"
"$soar" "$@" --out "$work/straight" > "$work/straight.log" 2>&1 || { echo "the uninterrupted run failed:"; tail "$work/straight.log"; exit 1; }
RANDOM=$seed
done_kills=0 attempts=0 start=$(date +%s)
while :; do
  attempts=$((attempts + 1))
  "$soar" "$@" --out "$work/looped" >> "$work/looped.log" 2>&1 & pid=$!
  if [[ $done_kills -lt $kills ]]; then
    delay=$(awk -v r=$RANDOM -v m="$max_delay" 'BEGIN { printf "%.3f", (r + 1) / 32768 * m }')
    sleep "$delay"
    # A kill counts only while the run is unfinished (finished.json not yet written).
    if kill -0 "$pid" 2> /dev/null && [[ ! -e $work/looped/finished.json ]]; then
      kill -s "$signal" "$pid" 2> /dev/null && done_kills=$((done_kills + 1))
    fi
  fi
  wait "$pid" 2> /dev/null; rc=$?
  [[ $rc -eq 0 && ( $done_kills -ge $kills || -e $work/looped/finished.json ) ]] && break
  if [[ $rc -ne 0 && $rc -ne 137 && $rc -ne 143 && $rc -ne 130 ]]; then
    echo "attempt $attempts exited $rc (not a kill):"; tail -n 5 "$work/looped.log"; exit 1
  fi
  [[ $attempts -gt $((kills * 5 + 20)) ]] && { echo "gave up after $attempts attempts"; exit 1; }
done
status=0
while IFS= read -r file; do
  relative=${file#"$work/straight/"}
  if cmp -s "$file" "$work/looped/$relative"; then echo "same   $relative"; else echo "DIFFER $relative"; status=1; fi
done < <(find "$work/straight" -name '*.safetensors' -not -path '*/checkpoint*' | sort)
steps() { grep -o '"step":[0-9]*' "$1" | tr '\n' ' '; }
if [[ "$(steps "$work/straight/metrics.jsonl")" == "$(steps "$work/looped/metrics.jsonl")" ]]; then
  echo "same   metrics.jsonl step records ($(grep -c '"step":' "$work/straight/metrics.jsonl") records)"
else
  echo "DIFFER metrics.jsonl step records"; status=1
fi
echo "$done_kills kills by SIG$signal in $attempts attempts, $(( $(date +%s) - start )) s: $([[ $status -eq 0 ]] && echo "identical to the uninterrupted run" || echo "DIFFERENT")"
exit $status
