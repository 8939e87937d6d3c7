# Sourced by the README commands: where the virtualenv and compiler cache live (outside the
# repository, so fresh clones and CI reuse them), and how many cores to build with.
export SOAR_HOME="${SOAR_HOME:-$HOME/.cache/soar}"
export CCACHE_DIR="${CCACHE_DIR:-$SOAR_HOME/ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
# Cache hits across different checkout folders (CI clones into a new folder each run).
export CCACHE_BASEDIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CCACHE_NOHASHDIR=1
export SOAR_JOBS="${SOAR_JOBS:-$(nproc)}"
