#!/usr/bin/env bash
# Builds the GGUF libFuzzer target with clang and, with `run [SECONDS]`, fuzzes it.
#   fuzz/build_gguf_fuzz.sh                 # build only -> build/fuzz/gguf_fuzz
#   fuzz/build_gguf_fuzz.sh run 300         # build, seed a corpus, fuzz for 300 s
# Needs clang-14 and libclang-rt-14-dev (apt-get install clang-14 libclang-rt-14-dev).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/fuzz_env.sh" gguf_corpus
"$CXX" -std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -I"$repo/src" \
  "$repo/fuzz/gguf_fuzz.cpp" "$repo/src/model/gguf.cpp" "$repo/src/core/mapped_file.cpp" "$repo/src/model/gguf_dequantize.cpp" \
  "$repo/src/tokenizer/gguf_vocab.cpp" "$repo/src/core/utf8.cpp" \
  -o "$out/gguf_fuzz"
echo "built $out/gguf_fuzz"

[[ "${1:-}" == run ]] || exit 0
seconds="${2:-300}"
# Seeds: the committed fuzz/gguf_corpus/ (every tensor type soar reads, every value type, alignment 64,
# version 2, a vocabulary) plus the small files the reference fixture wrote (build/*/reference/gguf_reference).
find "$repo/build" -path '*reference/gguf_reference*' -name '*.gguf' -size -64k \
  -exec cp -t "$out/gguf_corpus" {} + 2>/dev/null || true
"$out/gguf_fuzz" "$out/gguf_corpus" "$repo/fuzz/gguf_corpus" -max_total_time="$seconds" \
  -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/"
