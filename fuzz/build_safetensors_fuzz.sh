#!/usr/bin/env bash
# Builds the safetensors libFuzzer target with clang and, with `run [SECONDS]`, fuzzes it.
#   fuzz/build_safetensors_fuzz.sh                 # build only -> build/fuzz/safetensors_fuzz
#   fuzz/build_safetensors_fuzz.sh run 300         # build, seed a corpus, fuzz for 300 s
# Needs clang-14 and libclang-rt-14-dev (apt-get install clang-14 libclang-rt-14-dev).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/fuzz_env.sh" safetensors_corpus
"$CXX" -std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -I"$repo/src" \
  "$repo/fuzz/safetensors_fuzz.cpp" "$repo/src/model/safetensors.cpp" "$repo/src/core/mapped_file.cpp" "$repo/src/core/atomic_file.cpp" "$repo/src/core/directory.cpp" "$repo/src/core/json.cpp" "$repo/src/core/utf8.cpp" \
  -o "$out/safetensors_fuzz"
echo "built $out/safetensors_fuzz"

[[ "${1:-}" == run ]] || exit 0
seconds="${2:-300}"
corpus="$out/safetensors_corpus"
# Seeds: the committed fuzz/safetensors_corpus/ (one tensor per dtype, metadata, empty, unaligned),
# plus any files the reference fixtures wrote (build/*/reference/safetensors_*).
find "$repo/build" -path '*reference/safetensors_*' -name '*.safetensors' -size -64k \
  -exec cp -t "$corpus" {} + 2>/dev/null || true
"$out/safetensors_fuzz" "$corpus" "$repo/fuzz/safetensors_corpus" -dict="$repo/fuzz/safetensors.dict" -max_total_time="$seconds" \
  -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/"
