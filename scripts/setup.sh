#!/usr/bin/env bash
# Installs what soar needs and is missing; safe to run any number of times.
#  - Debian packages (compiler, CMake, libraries) through apt-get, only those not yet installed.
#  - A Python virtualenv with libtorch (the torch wheel) and the test reference libraries, kept
#    outside the repository (SOAR_HOME, default ~/.cache/soar) so fresh clones and CI reuse it.
set -euo pipefail

SOAR_HOME="${SOAR_HOME:-$HOME/.cache/soar}"
VENV="$SOAR_HOME/venv"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '[setup] %s\n' "$*"; }

apt_packages=(
  build-essential cmake ninja-build ccache git pkg-config python3 python3-venv python3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libpcre2-dev
  libginac-dev libcln-dev libgloo-dev libutf8proc-dev zlib1g-dev
)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  say "Debian packages: all present"
fi

mkdir -p "$SOAR_HOME"
if [[ ! -x "$VENV/bin/python" ]]; then
  say "creating virtualenv $VENV"
  python3 -m venv "$VENV"
fi
stamp="$VENV/.requirements.sha256"
want="$(cat "$repo_root/requirements.txt" "$repo_root/requirements-nodeps.txt" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  say "installing Python packages from requirements.txt (torch is ~5 GB, a few minutes the first time)"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r "$repo_root/requirements.txt"
  "$VENV/bin/python" -m pip install -q --no-deps -r "$repo_root/requirements-nodeps.txt"
  echo "$want" > "$stamp"
else
  say "virtualenv $VENV: up to date"
fi
say "done"
