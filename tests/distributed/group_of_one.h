// Test support for soar::dist::Group: a rendezvous store, and every collective of a Group joined
// through a launch environment of world size 1, on `device`: such a group has a real backend
// (Gloo for the CPU, NCCL for a GPU), so this runs each collective through it with the tensors
// soar hands it (CPU counters and bytes, tensors on the device) and checks that each comes back as
// the identity it is for one rank. The CPU suite runs it over Gloo, the GPU suite over NCCL, which
// cannot put two ranks on one GPU.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "distributed/group.h"
#include "distributed/launch_env.h"
#include "distributed/tree_sum.h"

namespace soar::dist::test {

// A rendezvous store on a free loopback port, hosted by the test as `soar launch` hosts it.
inline c10::intrusive_ptr<c10d::TCPStore> store_server() {
  c10d::TCPStoreOptions options;
  options.port = 0;
  options.isServer = true;
  options.waitWorkers = false;
  return c10::make_intrusive<c10d::TCPStore>("127.0.0.1", options);
}

inline void run_every_collective_alone(at::Device device) {
  auto server = store_server();
  LaunchEnv env;
  env.master_port = server->getPort(), env.launcher_hosts_store = true;
  Group group(env, device, std::chrono::seconds(60));
  EXPECT_FALSE(group.distributed());

  at::Tensor count = at::tensor({int64_t{41}}, at::kLong);  // as rl_loop sums generated tokens
  group.all_reduce_sum(count);
  EXPECT_EQ(count.device(), at::Device(at::kCPU));
  EXPECT_EQ(count.item<int64_t>(), 41);
  at::Tensor gradient = at::randn({1000}, at::TensorOptions().device(device));
  const at::Tensor gradient_before = gradient.clone();
  group.all_reduce_sum(gradient);
  EXPECT_TRUE(at::equal(gradient, gradient_before));

  // The trainer's statistics (float64 on the CPU) and gradients (on the device).
  std::vector<at::Tensor> statistics = {at::tensor({1.0, 2.0, 3.0}, at::kDouble), at::tensor({0.5, 0.25, 0.125}, at::kDouble)};
  at::Tensor statistics_sum = group.tree_sum(statistics, 2, at::zeros({3}, at::kDouble));
  EXPECT_EQ(statistics_sum.device(), at::Device(at::kCPU));
  EXPECT_TRUE(at::equal(statistics_sum, canonical_sum(statistics)));
  std::vector<at::Tensor> gradients = {at::randn({513}, at::TensorOptions().device(device)),
                                       at::randn({513}, at::TensorOptions().device(device))};
  at::Tensor gradient_sum = group.tree_sum(gradients, 2, gradients[0]);
  EXPECT_EQ(gradient_sum.device(), gradients[0].device());
  EXPECT_TRUE(at::equal(gradient_sum, canonical_sum(gradients)));

  // A promoted student's parameters (bfloat16 on a GPU).
  at::Tensor weights = at::randn({64, 3}, at::TensorOptions().device(device)).to(at::kBFloat16);
  const at::Tensor weights_before = weights.clone();
  group.broadcast(weights, 0);
  EXPECT_TRUE(at::equal(weights, weights_before));

  const std::string record = std::string("{\"id\": \"a\"}\n") + std::string(3000, 'x') + std::string(1, '\0') + "end";
  EXPECT_EQ(group.all_gather_bytes(record), std::vector<std::string>{record});
  EXPECT_EQ(group.all_gather_bytes(""), std::vector<std::string>{""});
  EXPECT_EQ(group.broadcast_bytes(record, 0), record);
  group.barrier();
  // Each call above was one collective through the backend (all_gather_bytes: one, of two allgathers).
  EXPECT_EQ(group.collectives(), 9);
}

}  // namespace soar::dist::test
