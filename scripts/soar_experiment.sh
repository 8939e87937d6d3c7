#!/usr/bin/env bash
# One seed of the SOAR experiment on the testbed: every arm at the same budget, evaluated on the
# held-out hard set. Used by scripts/demo.sh (small budget) and for docs/results.md (several seeds).
#
# Usage: soar_experiment.sh BASE_MODEL_DIR EXP_DIR SEED
# The meta-loop's settings come from a recipe (RECIPE, default configs/testbed.toml); any of
# T G N R K set in the environment overrides the recipe's -T -g -n -r -K. Also from the environment:
#   HARD_LEVELS (11)  POOL (64 per level)  ORACLE_LEVELS (6-10)
#   ARMS ("soar base-teacher oracle learnability uncertainty corrupt-answers corrupt-structure")
#   NPROC (2: each arm runs as `soar launch --nproc NPROC`, the same result as one process)
#   EVAL_SAMPLES (32)
#   STUDENT_TASK (the recipe's student-task, else sum: format 5; the base model's pretraining task)
#   TEACHERS (teachers evaluated by teacher sampling, see below)
# Writes EXP_DIR/{hard,<arm>,hard-only,pq-fresh,<teacher>-t,eval-*}; `soar report EXP_DIR...` turns them into a report
# (scripts/soar_report; several EXP_DIRs are several seeds).
set -euo pipefail
base=$1 exp=$2 seed=$3
soar="${SOAR_BIN:-build/release/apps/soar/soar}"
python="${SOAR_PYTHON:-${SOAR_HOME:-$HOME/.cache/soar}/venv/bin/python}"
RECIPE=${RECIPE:-configs/testbed.toml}
HARD_LEVELS=${HARD_LEVELS:-11} POOL=${POOL:-64} ORACLE_LEVELS=${ORACLE_LEVELS:-6-10}
NPROC=${NPROC:-2} EVAL_SAMPLES=${EVAL_SAMPLES:-32}
ARMS=${ARMS:-"soar base-teacher oracle learnability uncertainty corrupt-answers corrupt-structure"}
# A key the recipe sets (its `key = value` line), for the baselines that must match the inner loops.
recipe_value() { awk -v key="$1" '$1 == key && $2 == "=" { print $3; exit }' "$RECIPE"; }
INNER_PROMPTS=$(recipe_value inner-prompts) INNER_SAMPLES=$(recipe_value inner-samples) STUDENT_LR=$(recipe_value student-lr)
[[ -n $INNER_PROMPTS && -n $INNER_SAMPLES && -n $STUDENT_LR ]] || { echo "$RECIPE must set inner-prompts, inner-samples and student-lr"; exit 1; }
STUDENT_TASK=${STUDENT_TASK:-$(recipe_value student-task | tr -d '"')}; STUDENT_TASK=${STUDENT_TASK:-sum}
student=$'Q:{problem}\nA:'
generation=(--prompt-template "$student" --stop $'\n' --max-new-tokens 20)
# Every teacher is also evaluated by sampling from it (the paper's Base-T, Grounded-T and
# Intrinsic-T, B.6: 128 accepted problems, then a fresh student as for PQ): the base model as
# teacher (base-t), SOAR's teacher (grounded-t), the intrinsic teachers (learnability-t, uncertainty-t).
# TEACHERS picks them: "base" and the teacher arms among soar, learnability, uncertainty (default:
# base when ARMS has base-teacher, and every teacher arm that ran); NAME/answers or NAME/structure
# trains the fresh student on the sampled set corrupted as `meta --corrupt` does (finding 3), e.g.
# base/answers -> base-t-answers.
# Resolved here, before anything runs, so that a bad name fails at once rather than after the arms.
default_teachers=""
for arm in base-teacher soar learnability uncertainty; do
  [[ " $ARMS " == *" $arm "* ]] && default_teachers+=" ${arm%-teacher}"
done
sampled_names=() sampled_teachers=() sampled_corruptions=()
for entry in ${TEACHERS-$default_teachers}; do
  arm=${entry%%/*} corrupt=none; [[ $entry == */* ]] && corrupt=${entry#*/}
  case $arm in
    base) name=base-t teacher=$base ;;  # the base-teacher arm never trains its teacher
    soar) name=grounded-t teacher=$exp/soar/teacher ;;
    learnability|uncertainty) name=$arm-t teacher=$exp/$arm/teacher ;;
    *) echo "unknown teacher '$arm' in TEACHERS (base, soar, learnability, uncertainty)"; exit 1 ;;
  esac
  case $corrupt in
    none) ;;
    answers|structure) name+=-$corrupt ;;
    *) echo "unknown corruption '$corrupt' in TEACHERS (NAME/answers or NAME/structure)"; exit 1 ;;
  esac
  sampled_names+=("$name") sampled_teachers+=("$teacher") sampled_corruptions+=("$corrupt")
done

mkdir -p "$exp"
step() { printf '\n--- [seed %s] %s\n' "$seed" "$*"; }
launch() { "$soar" --threads 1 launch --nproc "$NPROC" --master-port 0 -- "$@"; }

if [[ ! -s "$exp/hard/train.jsonl" ]]; then
  step "hard set: levels $HARD_LEVELS, $POOL problems per level, fail@128"
  "$soar" testbed problems --levels "$HARD_LEVELS" --count "$POOL" --seed "$seed" --student-task "$STUDENT_TASK" --out "$exp/pool.jsonl"
  launch mine --model "$base" --problems "$exp/pool.jsonl" "${generation[@]}" -n 128 --batch 512 \
    --train-fraction 0.5 --split-seed "$seed" --seed "$seed" --out "$exp/hard"
fi
[[ -s "$exp/hard/train.jsonl" && -s "$exp/hard/test.jsonl" ]] || { echo "empty hard set at levels $HARD_LEVELS"; exit 1; }

meta_flags=(--config "$RECIPE" --seed "$seed" --student-task "$STUDENT_TASK")
for pair in T:-T G:-g N:-n R:-r K:-K; do
  name=${pair%%:*} flag=${pair#*:}
  [[ -n ${!name:-} ]] && meta_flags+=("$flag" "${!name}")
done
for arm in $ARMS; do
  case $arm in
    soar) extra=(--teacher-reward grounded) ;;
    base-teacher) extra=(--teacher-reward none) ;;
    learnability|uncertainty) extra=(--teacher-reward "$arm") ;;
    oracle) extra=(--teacher-reward none --oracle-levels "$ORACLE_LEVELS") ;;
    corrupt-answers) extra=(--teacher-reward grounded --corrupt answers) ;;
    corrupt-structure) extra=(--teacher-reward grounded --corrupt structure) ;;
    *) echo "unknown arm $arm"; exit 1 ;;
  esac
  step "meta arm '$arm'"
  launch meta --model "$base" --train "$exp/hard/train.jsonl" "${meta_flags[@]}" "${extra[@]}" --out "$exp/$arm"
done

# Equal budget: the hard-only baseline and the fresh PQ student get as many student samples as
# SOAR's students used (inner loops + success measurements), in RL steps of INNER_PROMPTS x INNER_SAMPLES.
budget_arm=soar; [[ -f "$exp/soar/metrics.jsonl" ]] || budget_arm=$(echo $ARMS | cut -d' ' -f1)
samples=$("$python" -c 'import json, sys
print(sum(r["samples"]["inner"] + r["samples"]["measure"] for r in map(json.loads, open(sys.argv[1])) if "samples" in r))' \
  "$exp/$budget_arm/metrics.jsonl")
rl_steps=$(( (samples + INNER_PROMPTS * INNER_SAMPLES - 1) / (INNER_PROMPTS * INNER_SAMPLES) ))
echo "equal budget: $samples student samples = $rl_steps RL steps of $INNER_PROMPTS x $INNER_SAMPLES" | tee "$exp/budget.txt"
rl_flags=(--steps "$rl_steps" --prompts-per-step "$INNER_PROMPTS" -k "$INNER_SAMPLES" --lr "$STUDENT_LR" --seed "$seed"
          --rollout-chunks "$NPROC" --checkpoint-every 1000)
step "hard-only RLVR on D_train ($rl_steps steps)"
launch train-rl --model "$base" --problems "$exp/hard/train.jsonl" "${generation[@]}" "${rl_flags[@]}" --out "$exp/hard-only"
# Fresh students on synthetic problems + D_train, as the paper evaluates PQ and teachers (B.6): a
# curriculum (the synthetic problems for the first half of the steps, at most the paper's 64, then
# D_train), at the same budget.
synthetic_steps=$(( rl_steps / 2 < 64 ? rl_steps / 2 : 64 )); (( synthetic_steps >= 1 )) || synthetic_steps=1
fresh_student() {  # fresh_student NAME SYNTHETIC_JSONL
  step "fresh student: $1 then D_train ($synthetic_steps + $((rl_steps - synthetic_steps)) steps)"
  launch train-rl --model "$base" --problems "$exp/hard/train.jsonl" --synthetic "$2" --mix curriculum \
    --synthetic-steps "$synthetic_steps" "${generation[@]}" "${rl_flags[@]}" --out "$exp/$1"
}
if [[ -s "$exp/soar/promoted_questions.jsonl" ]] && (( rl_steps > 1 )); then
  fresh_student pq-fresh "$exp/soar/promoted_questions.jsonl"
else
  echo "no promoted questions: SOAR promoted no student, so there is no PQ student" > "$exp/pq-fresh.txt"
fi
# The teachers evaluated by sampling (TEACHERS, resolved at the top).
for i in "${!sampled_names[@]}"; do
  name=${sampled_names[i]} teacher=${sampled_teachers[i]}
  (( rl_steps > 1 )) && [[ -d $teacher ]] || continue
  [[ -s $exp/$name-sampled.jsonl ]] ||
    "$soar" --threads 1 teacher-sample --model "$teacher" --domain testbed --student-task "$STUDENT_TASK" -n 128 --seed "$seed" \
      --corrupt "${sampled_corruptions[i]}" --out "$exp/$name-sampled.jsonl" 2> /dev/null
  fresh_student "$name" "$exp/$name-sampled.jsonl"
done

step "pass@k on D_test"
ks=1,$EVAL_SAMPLES; (( EVAL_SAMPLES > 8 )) && ks=1,8,$EVAL_SAMPLES
evaluate() {  # evaluate NAME MODEL: EXP/eval-NAME, kept when a finished one is there (a rerun adds arms)
  [[ -s $exp/eval-$1/summary.json ]] && ! grep -q '"incomplete"' "$exp/eval-$1/summary.json" && return 0
  launch eval --model "$2" --problems "$exp/hard/test.jsonl" "${generation[@]}" -n "$EVAL_SAMPLES" -k "$ks" \
    --seed "$seed" --out "$exp/eval-$1" > /dev/null
}
evaluate base "$base"
evaluate hard-only "$exp/hard-only/model"
for fresh in "$exp"/pq-fresh "$exp"/*-t "$exp"/*-t-answers "$exp"/*-t-structure; do
  [[ -d $fresh/model ]] && evaluate "$(basename "$fresh")" "$fresh/model"
done
for arm in $ARMS; do evaluate "$arm" "$exp/$arm/student"; done
# PS (the paper's promoted student): the promoted student with the best greedy D_train accuracy.
if [[ -d "$exp/soar/promoted" ]]; then
  ps=$("$soar" --threads 1 select-promoted --run "$exp/soar" --train "$exp/hard/train.jsonl" "${generation[@]}" 2> /dev/null)
  evaluate ps "$ps"
fi
echo "seed $seed done: $exp"
