// soar's process group on NCCL: every collective with the tensors soar hands it (CPU counters and
// bytes staged through the GPU, bfloat16 parameters, float32 gradients). One rank only: NCCL
// refuses two ranks on one GPU, and a lent machine has one.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "../distributed/group_of_one.h"

namespace soar::dist {
namespace {

TEST(GpuNccl, JoinedAloneItRunsEveryCollectiveThroughNccl) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA GPU visible";
  test::run_every_collective_alone(at::Device(at::kCUDA, 0));
}

}  // namespace
}  // namespace soar::dist
