#!/usr/bin/env bash
# Fails when one of the given executables calls std::filesystem's directory iterators or remove_all.
# libtorch_cpu.so exports its own copy of std::filesystem and the dynamic linker binds our calls to
# it; on the GPU machine (torch 2.11, GCC 13.3) remove_all of a non-empty directory crashed.
# core/directory.h lists and removes directories without them (see its comment).
# Usage: filesystem_symbols_test.sh EXECUTABLE...
set -uo pipefail
failures=0
for executable in "$@"; do
  calls=$(nm -D --undefined-only "$executable" | c++filt | grep -E 'std::filesystem::.*(remove_all|directory_iterator)')
  if [[ -n $calls ]]; then
    echo "FAIL $executable calls (use core/directory.h instead):"; echo "$calls"; failures=$((failures + 1))
  else
    echo "ok   $executable"
  fi
done
exit $((failures > 0))
