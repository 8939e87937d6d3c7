#!/usr/bin/env bash
# Builds the testbed teacher parser's libFuzzer target with clang-14 (ASan + UBSan + libFuzzer) into
# build/fuzz/teacher_parser_fuzz. Needs: clang-14 libclang-rt-14-dev.
#   fuzz/build_teacher_parser_fuzz.sh
#   build/fuzz/teacher_parser_fuzz -max_len=4096 -timeout=2 -max_total_time=300 build/fuzz/teacher_corpus fuzz/teacher_parser_corpus
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/fuzz_env.sh" teacher_corpus
"$CXX" -std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$repo/src" "$repo/src/testbed/domain.cpp" "$repo/src/testbed/prompts.cpp" "$repo/src/core/seed.cpp" \
  "$repo/fuzz/teacher_parser_fuzz.cpp" -o "$out/teacher_parser_fuzz"
echo "built $out/teacher_parser_fuzz"
