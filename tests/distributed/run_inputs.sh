# Inputs the shell-driven run tests share (sourced by dist_test.sh, netns_test.sh,
# ../cli/fresh_student_test.sh and ../gpu/gpu_cli_test.sh), so that they run on the same problems
# and the same small model, and compare runs the same way.

# Metrics without the timing fields, which legitimately differ between runs.
metrics() { python3 -c '
import json, sys
for line in open(sys.argv[1]):
    record = json.loads(line)
    for key in ("sample_seconds", "train_seconds", "seconds"):
        record.pop(key, None)
    print(json.dumps(record, sort_keys=True))' "$1"; }

# write_letters FILE: 16 one-letter questions over a-d whose answer is the problem's first letter
# (a random policy over the dist_model fixture's vocabulary is right about a quarter of the time).
write_letters() {
  local i q
  for i in $(seq 0 15); do
    q=$(printf 'abcd' | fold -w1 | shuf -n3 --random-source=<(yes $i) | tr -d '\n')
    printf '{"id": "%d", "problem": "%s", "answer": "%s"}\n' "$i" "$q" "${q:0:1}"
  done > "$1"
}

# pretrain_small_testbed SOAR THREADS OUT: a small testbed model (~15 s on one thread) that solves a
# little of level 1, so that SOAR's inner loops get rewards, the teacher is updated and a trained
# student is promoted. The log goes to OUT.log.
pretrain_small_testbed() {
  "$1" --threads "$2" pretrain --out "$3" --hidden 64 --layers 2 --heads 4 --intermediate 128 --steps 400 --batch-rows 16 \
    --seq-len 144 --solved-max-level 1 --statement-max-level 2 --teacher-set-fraction 0.3 --max-set-size 2 --uneven-fraction 0 \
    --log-every 400 > "$3.log" 2>&1
}
