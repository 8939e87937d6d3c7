#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the whole test suite.
# Also compiles and links the CUDA build (nothing runs it without a GPU) when nvcc is present, and
# runs unit tests again under AddressSanitizer + UBSan.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
bash scripts/setup.sh

echo "[test] building (release preset, $SOAR_JOBS jobs)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$SOAR_JOBS"

if command -v nvcc >/dev/null 2>&1 || [[ -x /usr/local/cuda/bin/nvcc ]]; then
  echo "[test] compiling and linking the CUDA build (cuda preset; not run here)"
  export PATH="$PATH:/usr/local/cuda/bin"
  cmake --preset cuda >/dev/null
  cmake --build --preset cuda -j "$SOAR_JOBS"
else
  echo "[test] nvcc not found: skipping the CUDA build"
fi

echo "[test] running the test suite"
status=0
ctest --preset release -j "$SOAR_JOBS" "$@" || status=$?

# Then again under AddressSanitizer + UBSan (the asan preset): by default the unit tests of the
# torch-free libraries (the readers of files from outside: JSONL, metrics and mining logs, tokenizers,
# GGUF, the verifier) with their fuzz-corpus replays, which build in minutes; SOAR_ASAN=full builds
# everything under ASan and runs every unit-labelled test, the command-line tests included;
# SOAR_ASAN=0 skips the stage.
asan_tests=(core_base_test metrics_log_fuzz_smoke_test problems_test mining_test problems_fuzz_smoke_test
  mining_log_fuzz_smoke_test pass_at_k_test checkpoint_selection_test tokenizer_unit_test tokenizer_fuzz_smoke_test
  verify_cases_test verify_bad_input_test verify_adversarial_test verify_threads_test verify_fuzz_smoke_test
  gguf_fuzz_smoke_test chat_template_test chat_template_fuzz_smoke_test)
case "${SOAR_ASAN:-base}" in
  0) ;;
  full)
    echo "[test] ASan/UBSan: every unit-labelled test"
    cmake --preset asan >/dev/null
    cmake --build --preset asan -j "$SOAR_JOBS"
    ctest --preset asan -j "$SOAR_JOBS" -L unit || status=$? ;;
  *)
    echo "[test] ASan/UBSan: the torch-free unit tests and the fuzz-corpus replays"
    cmake --preset asan >/dev/null
    cmake --build --preset asan -j "$SOAR_JOBS" --target "${asan_tests[@]}"
    # Last, so that the test runner's summary closes the output.
    ctest --preset asan -j "$SOAR_JOBS" -R "^($(IFS='|'; echo "${asan_tests[*]}"))\$" || status=$? ;;
esac
exit "$status"
