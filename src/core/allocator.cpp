#include "core/allocator.h"

#include <cstdlib>
#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace soar {

void keep_freed_memory() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 256 << 20);  // blocks below 256 MiB come from (and return to) the heap
  mallopt(M_TRIM_THRESHOLD, 1 << 30);    // the heap's free top is not handed back below 1 GiB
#endif
}

}  // namespace soar
