# Sourced by the fuzz/build_*.sh scripts: sets repo, out (build/fuzz, with the corpus folder named in
# $1 made under it) and CXX (clang-14 unless set), and stops with the packages to install when the
# compiler is missing.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$repo/build/fuzz"
mkdir -p "$out" "$out/$1"
CXX="${CXX:-clang++-14}"
command -v "$CXX" >/dev/null || { echo "$(basename "$0"): $CXX not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }
