#!/usr/bin/env bash
# Builds the safetensors libFuzzer target with clang and, with `run [SECONDS]`, fuzzes it.
#   fuzz/build_safetensors_fuzz.sh                 # build only -> build/fuzz/safetensors_fuzz
#   fuzz/build_safetensors_fuzz.sh run 300         # build, seed a corpus, fuzz for 300 s
# Needs clang-14 and libclang-rt-14-dev (apt-get install clang-14 libclang-rt-14-dev).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${SOAR_FUZZ_DIR:-$root/build/fuzz}"
cxx="${CXX_FUZZ:-clang++-14}"
mkdir -p "$out"
"$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -I"$root/src" \
  "$root/fuzz/safetensors_fuzz.cpp" "$root/src/model/safetensors.cpp" "$root/src/core/atomic_file.cpp" "$root/src/core/json.cpp" "$root/src/core/utf8.cpp" \
  -o "$out/safetensors_fuzz"
echo "built $out/safetensors_fuzz"

[[ "${1:-}" == run ]] || exit 0
seconds="${2:-300}"
corpus="$out/safetensors_corpus"
mkdir -p "$corpus"
# Seeds: a few valid files (one tensor per dtype, metadata, empty, unaligned) written by hand.
seed() {  # seed NAME HEADER DATA
  python3 - "$corpus/$1" "$2" "$3" <<'PY'
import sys
path, header, data = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
open(path, "wb").write(len(header).to_bytes(8, "little") + header + data)
PY
}
seed empty '{}' ''
seed meta '{"__metadata__":{"format":"pt"}}' ''
seed one '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}' 'abcdefgh'
seed two '{"a":{"dtype":"BF16","shape":[1,2],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[],"data_offsets":[4,5]},"e":{"dtype":"I64","shape":[0,3],"data_offsets":[5,5]}}' 'abcde'
seed many '{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"y":{"dtype":"I32","shape":[1],"data_offsets":[8,12]},"z":{"dtype":"BOOL","shape":[2],"data_offsets":[12,14]},"u":{"dtype":"U16","shape":[1],"data_offsets":[14,16]}}' 'abcdefghijklmnop'
# Plus any files the reference fixtures wrote (build/*/reference/safetensors_*).
find "$root/build" -path '*reference/safetensors_*' -name '*.safetensors' -size -64k \
  -exec cp -t "$corpus" {} + 2>/dev/null || true
"$out/safetensors_fuzz" "$corpus" -dict="$root/fuzz/safetensors.dict" -max_total_time="$seconds" \
  -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/"
