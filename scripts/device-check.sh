#!/usr/bin/env bash
# One call on a lent GPU machine (see docs/gpu.md): build the CUDA configuration against that
# machine's torch, run the GPU tests, the GPU sampler benchmark (Hugging Face generate as the
# reference in the same run), the GPU training benchmark (PyTorch eager steps as the reference), the
# commands end to end on the GPU, and a kernel-by-kernel profile, and write a log and JSON results
# to $OUT. About 7.5 minutes on an H200 (run 11, 2026-11-27: build 1.2, GPU tests 0.6, sampler
# benchmark 3.6 of which HF generate 2.5, the commands end to end 0.6 (cut short by a crash since
# fixed), profile 0.35; the training benchmark, about 1 more, was skipped there).
# The most wanted results come first, and every step stops at the time budget (SOAR_DEVICE_SECONDS,
# default 540: the device tool's 600 s per call, less a margin), so a slow machine loses the last
# steps, not the measurements.
# Environment: SOAR_SKIP_BENCH (tests only), SOAR_SKIP_TESTS, SOAR_SKIP_TRAIN_BENCH, SOAR_SKIP_CLI_TEST,
# SOAR_SKIP_PROFILE (the kernel-by-kernel profile of one sampler call, ~0.8 min), SOAR_DEVICE_SECONDS,
# SOAR_BENCH_FLAGS / SOAR_TRAIN_BENCH_FLAGS / SOAR_SAMPLER_BENCH_FLAGS (e.g. --no-reference).
#
# The machine has no package registry: the Debian libraries it lacks (PCRE2, utf8proc, GiNaC/CLN,
# pkg-config, gloo headers) travel as .deb files in .deb/ (fetch them here with scripts/fetch-device-debs.sh and
# pass carry=[".deb"]); they are unpacked into .deb/root, never into /.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
OUT="${OUT:-/tmp/soar-device-out}"
mkdir -p "$OUT"
exec > >(tee "$OUT/device-check.log") 2>&1
step() { printf '\n=== %s (%ds)\n' "$*" "$SECONDS"; }
budget=${SOAR_DEVICE_SECONDS:-540}
# limit SECONDS: the step's own limit, cut to the time left in the budget (at least 1 s).
limit() { local left=$((budget - SECONDS)); echo $(( left < $1 ? (left > 1 ? left : 1) : $1 )); }
# affordable SECONDS NAME: whether a step needing about SECONDS still fits the budget.
affordable() { (( SECONDS + $1 <= budget )) || { echo "skipped: $2 (about $1 s needed, $((budget - SECONDS)) s left)"; return 1; }; }

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'

step "unpack carried Debian libraries"
root="$PWD/.deb/root"
rm -rf "$root" && mkdir -p "$root"
for f in .deb/*.deb; do dpkg -x "$f" "$root"; done
libdir="$root/usr/lib/x86_64-linux-gnu"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PKG_CONFIG_SYSROOT_DIR="$root"
export PKG_CONFIG_LIBDIR="$libdir/pkgconfig:$root/usr/share/pkgconfig"
export CPLUS_INCLUDE_PATH="$root/usr/include"  # gloo's headers (no pkg-config file)

step "configure + build (cuda, tests on)"
cmake -S . -B build/gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DSOAR_CUDA=ON -DSOAR_TESTS=ON -DSOAR_BENCH=ON \
  -DSOAR_PYTHON="$(command -v python3)" -DTORCH_CUDA_ARCH_LIST=9.0 -DPKG_CONFIG_EXECUTABLE="$root/usr/bin/pkgconf" \
  -DCMAKE_CUDA_ARCHITECTURES=90 || exit 1
# Each target that builds is used: a test that fails to compile must not cost the benchmarks (or the
# reverse). The executables are removed first so that a warm machine's second call never runs a stale one.
executables=(apps/soar/soar tests/gpu/gpu_test bench/gpu_sampler_bench bench/gpu_train_bench)
(cd build/gpu && rm -f "${executables[@]}")
timeout "$(limit 300)" cmake --build build/gpu -j "$(nproc)" --target "${executables[@]##*/}" -- -k 0
echo "build exit: $?"
built() { [[ -x "build/gpu/$1" ]] || { echo "not built: $1 (skipped)"; return 1; }; }
for executable in "${executables[@]}"; do built "$executable" > /dev/null && echo "built: $executable"; done

# The CPU suites run in CI; here only what needs the GPU (and the reference models it compares to).
# Verbose, so that the log keeps the measured differences the tests print.
summarize_tests() {
  grep -E '^([0-9]+: )?(\[ *(OK|FAILED|PASSED|SKIPPED) *\]|ok |FAIL |info: )|tests passed|vs |Failure|Expected|Which is|error|fatal signal' "$1" | tail -80
}
# symbolize_backtraces LOG: the frames of the soar executable in the backtraces that a fatal signal
# printed (core/crash_report.h: "soar(+0x1234)[...]"), resolved to function names here, where the
# binary is, and appended to LOG.
symbolize_backtraces() {
  grep -q 'fatal signal' "$1" || return 0
  grep -oE '[^ ]*/soar\(\+0x[0-9a-f]+\)' "$1" | sort -u | while IFS='(' read -r binary offset; do
    printf '%s(%s -> %s\n' "$binary" "$offset" "$(addr2line -Cfpe "$binary" "${offset%)}" 2>&1)"
  done | tee -a "$1"
}
step "GPU tests"
if [[ -z "${SOAR_SKIP_TESTS:-}" ]] && built tests/gpu/gpu_test; then
  timeout "$(limit 300)" ctest --test-dir build/gpu -R 'fixture.model_reference|gpu_test' -V --timeout 300 > "$OUT/gpu_test.txt" 2>&1
  echo "ctest exit: $?"
  summarize_tests "$OUT/gpu_test.txt"
fi

if [[ -n "${SOAR_SKIP_BENCH:-}" ]]; then
  echo "benchmarks skipped (SOAR_SKIP_BENCH)"
else
  step "GPU sampler benchmark (with HF generate reference unless --no-reference)"
  # An attention kernel shape whose GPU test did not pass this run (failed, crashed the test, or did
  # not run) is left out of the timing: a kernel fault in the bench would cost every measurement after it.
  variant_flag=()
  if ! grep -qs '\[       OK \] Gpu.DecodeAttentionMatchesFloat64' "$OUT/gpu_test.txt"; then
    echo "decode attention test did not pass (or did not run): timing variants 0 and 1 only"
    variant_flag=(--attention-variants=0,1)
  fi
  if built bench/gpu_sampler_bench && affordable 150 "sampler benchmark"; then
    timeout "$(limit 300)" build/gpu/bench/gpu_sampler_bench "$OUT/gpu_sampler_bench.json" \
      ${SOAR_SAMPLER_BENCH_FLAGS:-${SOAR_BENCH_FLAGS:-}} ${variant_flag[@]+"${variant_flag[@]}"}
    echo "sampler bench exit: $?"
  fi
  if [[ -z "${SOAR_SKIP_TRAIN_BENCH:-}" ]] && built bench/gpu_train_bench && affordable 60 "training benchmark"; then
    step "GPU training benchmark (with PyTorch eager reference unless --no-reference)"
    timeout "$(limit 200)" build/gpu/bench/gpu_train_bench "$OUT/gpu_train_bench.json" \
      ${SOAR_TRAIN_BENCH_FLAGS:-${SOAR_BENCH_FLAGS:-}}
    echo "train bench exit: $?"
  fi
fi

step "the commands end to end on the GPU (gpu_cli_test)"
if [[ -z "${SOAR_SKIP_TESTS:-}${SOAR_SKIP_CLI_TEST:-}" ]] && built apps/soar/soar && affordable 60 "gpu_cli_test"; then
  timeout "$(limit 300)" ctest --test-dir build/gpu -R 'fixture.dist_model|gpu_cli_test' -V --timeout 300 > "$OUT/gpu_cli_test.txt" 2>&1
  echo "ctest exit: $?"
  summarize_tests "$OUT/gpu_cli_test.txt"
  symbolize_backtraces "$OUT/gpu_cli_test.txt"
fi

# The attention variant the sampler bench measured with (its fastest); the default when it wrote none.
fastest_attention_variant() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["attention_variant"])' "$OUT/gpu_sampler_bench.json" 2>/dev/null
}
if [[ -z "${SOAR_SKIP_PROFILE:-}${SOAR_SKIP_BENCH:-}" ]] && affordable 45 "profile"; then
  # Its own build: it uses the profiler's C++ API, so a failure here must not cost the rest.
  step "kernel-by-kernel profile of one sampler call"
  timeout "$(limit 120)" cmake --build build/gpu -j "$(nproc)" --target gpu_decode_profile &&
    timeout "$(limit 120)" build/gpu/bench/gpu_decode_profile "$OUT/gpu_decode_profile.json" $(fastest_attention_variant)
  echo "profile exit: $?"
fi
step "done"
