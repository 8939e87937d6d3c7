#!/usr/bin/env bash
# Builds the verifier's libFuzzer target with clang-14 (ASan + UBSan + libFuzzer) into
# build/fuzz/verify_fuzz. Needs: clang-14 libclang-rt-14-dev libginac-dev libcln-dev.
#   fuzz/build_verify_fuzz.sh
#   LSAN_OPTIONS=suppressions=fuzz/verify_lsan.supp build/fuzz/verify_fuzz -max_len=8192 -timeout=2 \
#       -rss_limit_mb=2048 -max_total_time=600 build/fuzz/verify_corpus fuzz/verify_corpus
# (-timeout=2: any single input taking 2 s is reported as a hang; the budget is 50 ms.)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/fuzz_env.sh" verify_corpus
# shellcheck disable=SC2046
"$CXX" -std=c++20 -O1 -g -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$repo/src" $(pkg-config --cflags ginac) \
  "$repo"/src/verify/*.cpp "$repo/fuzz/verify_fuzz.cpp" \
  $(pkg-config --libs ginac) -o "$out/verify_fuzz"
echo "built $out/verify_fuzz"
