// Sums whose floating-point result does not depend on how many processes computed them.
//
// A step's work is cut into C chunks fixed by the run's configuration (never by the world size).
// The canonical sum of C chunk values is a binary tree: halve while the count is even, add an odd
// run left to right. When the world size W is a power of two dividing C, rank r holds the
// contiguous chunks [r C/W, (r+1) C/W), which form one node of that tree; the ranks then combine
// their nodes pairwise by recursive doubling (partners r^1, r^2, ...), which walks the same tree
// upwards. So 1, 2 and 4 processes add the same numbers in the same order: bit-identical results.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace soar::dist {

// The chunks [first, first + count) that `rank` of `world_size` handles out of `total`:
// contiguous, sizes differing by at most one.
struct ChunkRange {
  int64_t first = 0;
  int64_t count = 0;
};
ChunkRange chunk_range(int64_t total, int rank, int world_size);

// True when the recursive-doubling combination reproduces the canonical tree exactly.
bool tree_is_exact(int64_t total_chunks, int world_size);

// The canonical tree sum of consecutive chunk values (all the same shape).
at::Tensor canonical_sum(const std::vector<at::Tensor>& values);

}  // namespace soar::dist
