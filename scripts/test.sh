#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the whole test suite.
# Also compiles and links the CUDA build (nothing runs it without a GPU) when nvcc is present, and
# runs the unit tests again under AddressSanitizer + UBSan.
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

# The unit-labelled tests (the library's unit tests, the fuzz-corpus replays and the command-line
# tests of reliability, recipes and the fresh student) again under AddressSanitizer + UBSan.
# SOAR_SKIP_ASAN=1 skips this stage (e.g. while iterating on one test).
if [[ "${SOAR_SKIP_ASAN:-0}" != 1 ]]; then
  echo "[test] building the ASan/UBSan preset and running its unit tests"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$SOAR_JOBS"
  # Last, so that the test runner's summary closes the output.
  ctest --preset asan -j "$SOAR_JOBS" -L unit "$@" || status=$?
fi
exit "$status"
