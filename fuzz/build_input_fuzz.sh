#!/usr/bin/env bash
# Builds the libFuzzer targets for the files a user hands soar (clang-14, ASan + UBSan + libFuzzer)
# into build/fuzz/: problems_fuzz (problem-set JSONL), mining_log_fuzz (the log `soar mine` resumes
# from), metrics_log_fuzz (the metrics a resumed run repairs), model_config_fuzz (config.json) and
# tokenizer_fuzz (text and ids through the real Llama 3 / Qwen 3 tokenizers in ../shared/data) and
# chat_template_fuzz (a model directory's tokenizer_config.json or chat_template.jinja).
# Needs: clang-14 libclang-rt-14-dev nlohmann-json3-dev libpcre2-dev libutf8proc-dev.
#   fuzz/build_input_fuzz.sh
#   build/fuzz/problems_fuzz -max_len=4096 -timeout=2 -max_total_time=600 build/fuzz/problems_corpus fuzz/problems_corpus
#   (the same with model_config and tokenizer; tokenizer_fuzz reads $SOAR_SHARED_DIR, default ../shared)
# The committed seed folders fuzz/*_corpus/ are also replayed in CI through each target's entry point.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/fuzz_env.sh" problems_corpus mining_log_corpus metrics_log_corpus model_config_corpus tokenizer_corpus \
  chat_template_corpus
flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
  -fno-sanitize-recover=undefined -I"$repo/src")
core=("$repo/src/core/atomic_file.cpp" "$repo/src/core/directory.cpp" "$repo/src/core/json.cpp" "$repo/src/core/utf8.cpp")
"$CXX" "${flags[@]}" "$repo/fuzz/problems_fuzz.cpp" "$repo/src/data/problems.cpp" "$repo/src/data/jsonl.cpp" \
  "${core[@]}" -o "$out/problems_fuzz"
echo "built $out/problems_fuzz"
"$CXX" "${flags[@]}" "$repo/fuzz/mining_log_fuzz.cpp" "$repo/src/data/mining.cpp" "$repo/src/data/problems.cpp" \
  "$repo/src/data/jsonl.cpp" "$repo/src/core/seed.cpp" "$repo/src/core/metrics_log.cpp" "${core[@]}" -o "$out/mining_log_fuzz"
echo "built $out/mining_log_fuzz"
"$CXX" "${flags[@]}" "$repo/fuzz/metrics_log_fuzz.cpp" "$repo/src/core/metrics_log.cpp" "${core[@]}" -o "$out/metrics_log_fuzz"
echo "built $out/metrics_log_fuzz"
"$CXX" "${flags[@]}" "$repo/fuzz/model_config_fuzz.cpp" "$repo/src/model/config.cpp" "${core[@]}" \
  -o "$out/model_config_fuzz"
echo "built $out/model_config_fuzz"
# shellcheck disable=SC2046
"$CXX" "${flags[@]}" "$repo/fuzz/tokenizer_fuzz.cpp" "$repo"/src/tokenizer/*.cpp "${core[@]}" \
  $(pkg-config --cflags --libs libpcre2-8 libutf8proc) -o "$out/tokenizer_fuzz"
echo "built $out/tokenizer_fuzz"
"$CXX" "${flags[@]}" "$repo/fuzz/chat_template_fuzz.cpp" "$repo"/src/tokenizer/{chat_format,chat_template,tokenizer_files,utf8}.cpp \
  "${core[@]}" -o "$out/chat_template_fuzz"
echo "built $out/chat_template_fuzz"
