#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the whole test suite.
# Also compiles and links the CUDA build (nothing runs it without a GPU) when nvcc is present.
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

# Last, so that the test runner's summary closes the output.
echo "[test] running the test suite"
ctest --preset release -j "$SOAR_JOBS" "$@"
