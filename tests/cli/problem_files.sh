# The problem files the CLI tests share, written into the current directory. Source this file.
#   good.jsonl     two problems (the random cli_model fixture never solves them)
#   letters.jsonl  eight one-letter problems (the next letter), on which dist_model's RL steps get rewards
write_good_problems() {
  printf '{"id": "1", "problem": "ab", "answer": "c"}\n{"id": "2", "problem": "cd", "answer": "e"}\n' > good.jsonl
}
write_letter_problems() {
  local i
  for i in $(seq 1 8); do printf '{"id": "L%d", "problem": "%s", "answer": "%s"}\n' "$i" "$(echo abcd | cut -c$((i % 4 + 1)))" \
    "$(echo bcda | cut -c$((i % 4 + 1)))"; done > letters.jsonl
}
