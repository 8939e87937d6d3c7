// CPU threading, set once at start-up.
//
// Measured trap (docs/toolchain.md): libtorch's OpenMP pool plus a second, pthreads-based BLAS pool
// oversubscribe a 2-core machine and made a small decode 4x slower than one thread. soar therefore
// links no BLAS but libtorch's own (MKL, on libtorch's OpenMP pool), runs CPU loops through
// at::parallel_for, and fixes the intra-op thread count here, before any tensor work.
#pragma once

namespace soar {

// Sets libtorch's intra-op threads to `requested` (> 0), else to $SOAR_THREADS, else to the number
// of cores; inter-op threads are set to 1 (soar does not run independent ops concurrently).
// Returns the intra-op thread count in effect. Call once, first thing in main().
int configure_threads(int requested = 0);

}  // namespace soar
