# Sourced by the fuzz/build_*.sh scripts: sets repo, out ($SOAR_FUZZ_DIR or build/fuzz, with the
# corpus folders named in the arguments made under it) and CXX (clang-14 unless CXX_FUZZ or CXX is
# set), and stops with the packages to install when the compiler is missing.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${SOAR_FUZZ_DIR:-$repo/build/fuzz}"
mkdir -p "$out"
for corpus in "$@"; do mkdir -p "$out/$corpus"; done
CXX="${CXX_FUZZ:-${CXX:-clang++-14}}"
command -v "$CXX" >/dev/null || { echo "$(basename "$0"): $CXX not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }
