#!/usr/bin/env bash
# Builds the libFuzzer targets of the teacher parsers with clang-14 (ASan + UBSan + libFuzzer) into
# build/fuzz/: teacher_parser_fuzz (the testbed's format) and math_domain_fuzz (--domain math).
# Needs: clang-14 libclang-rt-14-dev libginac-dev libcln-dev (the math parser asks the verifier
# whether a boxed answer parses).
#   fuzz/build_teacher_parser_fuzz.sh
#   build/fuzz/teacher_parser_fuzz -max_len=4096 -timeout=2 -max_total_time=300 build/fuzz/teacher_corpus fuzz/teacher_parser_corpus
#   build/fuzz/math_domain_fuzz -max_len=16384 -timeout=2 -max_total_time=300 build/fuzz/math_domain_corpus fuzz/math_domain_corpus
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/fuzz_env.sh" teacher_corpus math_domain_corpus
"$CXX" -std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$repo/src" "$repo/src/domains/testbed/domain.cpp" "$repo/src/domains/testbed/prompts.cpp" "$repo/src/core/seed.cpp" \
  "$repo/fuzz/teacher_parser_fuzz.cpp" -o "$out/teacher_parser_fuzz"
echo "built $out/teacher_parser_fuzz"
# shellcheck disable=SC2046
"$CXX" -std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$repo/src" $(pkg-config --cflags ginac) "$repo/src/domains/math/math_domain.cpp" "$repo"/src/verify/*.cpp \
  "$repo/src/core/utf8.cpp" "$repo/fuzz/math_domain_fuzz.cpp" $(pkg-config --libs ginac) -o "$out/math_domain_fuzz"
echo "built $out/math_domain_fuzz"
