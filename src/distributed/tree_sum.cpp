#include "distributed/tree_sum.h"

#include "core/error.h"

namespace soar::dist {
namespace {

at::Tensor sum_range(const std::vector<at::Tensor>& values, size_t begin, size_t end) {
  const size_t count = end - begin;
  if (count == 1) return values[begin].clone();
  if (count % 2 == 0) {
    const size_t mid = begin + count / 2;
    return sum_range(values, begin, mid) + sum_range(values, mid, end);
  }
  at::Tensor sum = values[begin].clone();
  for (size_t i = begin + 1; i < end; ++i) sum += values[i];
  return sum;
}

}  // namespace

ChunkRange chunk_range(int64_t total, int rank, int world_size) {
  if (world_size <= 0 || rank < 0 || rank >= world_size) fail("rank ", rank, " is outside world size ", world_size);
  const int64_t base = total / world_size, extra = total % world_size;
  ChunkRange range;
  range.first = rank * base + std::min<int64_t>(rank, extra);
  range.count = base + (rank < extra ? 1 : 0);
  return range;
}

bool tree_is_exact(int64_t total_chunks, int world_size) {
  const bool power_of_two = world_size > 0 && (world_size & (world_size - 1)) == 0;
  return power_of_two && total_chunks % world_size == 0;
}

at::Tensor canonical_sum(const std::vector<at::Tensor>& values) {
  if (values.empty()) fail("canonical_sum needs at least one value");
  return sum_range(values, 0, values.size());
}

}  // namespace soar::dist
