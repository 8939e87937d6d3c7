#!/usr/bin/env bash
# Downloads (here, where apt works) the Debian libraries the GPU machine lacks, into .deb/ for
# scripts/device-check.sh to carry. .deb/ is git-ignored.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p .deb && cd .deb
apt-get download libpcre2-dev libpcre2-8-0 libpcre2-16-0 libpcre2-32-0 libpcre2-posix3 libutf8proc-dev libutf8proc2 \
  libginac-dev libginac11 libcln-dev libcln6 libgmp-dev libgmpxx4ldbl pkgconf pkgconf-bin libpkgconf3 \
  libgloo-dev  # headers only: c10d's ProcessGroupGloo.hpp includes them; the code is in libtorch
