// The pieces of distributed execution that need no launcher: the launch environment, chunk
// layout, the canonical tree sum (and that ranks assembling it by recursive doubling get the same
// bits), a real two-rank Gloo group inside one process (two threads), and a one-rank group whose
// collectives go through Gloo.
#include <gtest/gtest.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <map>
#include <thread>

#include "core/error.h"
#include "distributed/group.h"
#include "distributed/launch_env.h"
#include "distributed/placement.h"
#include "distributed/tree_sum.h"
#include "group_of_one.h"

namespace soar::dist {
namespace {

EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(LaunchEnv, DefaultsToOneProcess) {
  LaunchEnv env = launch_env_from(env_of({}));
  EXPECT_EQ(env.rank, 0);
  EXPECT_EQ(env.world_size, 1);
}

TEST(LaunchEnv, ReadsTorchrunVariables) {
  LaunchEnv env = launch_env_from(env_of({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "10.0.0.2"},
                                          {"MASTER_PORT", "1234"}, {"TORCHELASTIC_USE_AGENT_STORE", "True"}}));
  EXPECT_EQ(env.rank, 3);
  EXPECT_EQ(env.world_size, 4);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.master_addr, "10.0.0.2");
  EXPECT_EQ(env.master_port, 1234);
  EXPECT_TRUE(env.launcher_hosts_store);
}

TEST(LaunchEnv, RejectsInconsistentValuesNamingTheVariable) {
  auto message = [](std::map<std::string, std::string> values) {
    try {
      launch_env_from(env_of(values));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({{"RANK", "0"}}).find("WORLD_SIZE"), std::string::npos);
  EXPECT_NE(message({{"RANK", "4"}, {"WORLD_SIZE", "4"}}).find("RANK='4'"), std::string::npos);
  EXPECT_NE(message({{"RANK", "x"}, {"WORLD_SIZE", "4"}}).find("RANK='x'"), std::string::npos);
  EXPECT_NE(message({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}}).find("MASTER_PORT"), std::string::npos);
}

TEST(Placement, RanksSharingAGpuAreNamed) {
  const Placement a{"node1", "boot1 0000:1A:00.0", "cuda:0"}, b{"node1", "boot1 0000:1B:00.0", "cuda:1"};
  // The same bus id on another machine is another GPU, even under the same host name; "cuda:0" in
  // two processes with different CUDA_VISIBLE_DEVICES may be two GPUs (the identity decides).
  const Placement c{"node1", "boot2 0000:1A:00.0", "cuda:0"}, d{"node1", "boot1 0000:1B:00.0", "cuda:0"};
  EXPECT_EQ(shared_gpus({a, b, c}), "");
  EXPECT_EQ(shared_gpus({a}), "");
  const std::string message = shared_gpus({a, b, a, c, d, a});
  EXPECT_NE(message.find("ranks 0 (cuda:0), 2 (cuda:0) and 5 (cuda:0) share one GPU (boot1 0000:1A:00.0) on node1"), std::string::npos)
      << message;
  EXPECT_NE(message.find("ranks 1 (cuda:1) and 4 (cuda:0) share one GPU (boot1 0000:1B:00.0) on node1"), std::string::npos) << message;
  EXPECT_NE(message.find("--device cuda"), std::string::npos) << message;
  EXPECT_EQ(message.find("boot2"), std::string::npos) << message;
}

TEST(Placement, EncodingRoundTripsAndRejectsGarbage) {
  const Placement p{"host-a.example", "0000:3B:00.0", "cuda:3"};
  const Placement back = decode_placement(encode_placement(p));
  EXPECT_EQ(back.host, p.host);
  EXPECT_EQ(back.identity, p.identity);
  EXPECT_EQ(back.device, p.device);
  EXPECT_THROW(decode_placement("no tabs here"), Error);
  EXPECT_THROW(decode_placement("one\ttab"), Error);
}

TEST(ChunkRange, ContiguousBalancedAndComplete) {
  for (int64_t total : {1, 4, 7, 12}) {
    for (int world : {1, 2, 3, 4}) {
      int64_t next = 0;
      for (int rank = 0; rank < world; ++rank) {
        ChunkRange r = chunk_range(total, rank, world);
        EXPECT_EQ(r.first, next);
        EXPECT_TRUE(r.count == total / world || r.count == total / world + 1);
        next += r.count;
      }
      EXPECT_EQ(next, total);
    }
  }
  EXPECT_TRUE(tree_is_exact(12, 4));
  EXPECT_FALSE(tree_is_exact(12, 3));
  EXPECT_FALSE(tree_is_exact(6, 4));
}

// What Group::tree_sum does across ranks, without a network: local canonical sums, then recursive
// doubling with the lower rank's value on the left.
at::Tensor assemble_like_ranks(const std::vector<at::Tensor>& chunks, int world) {
  std::vector<at::Tensor> node(static_cast<size_t>(world));
  for (int r = 0; r < world; ++r) {
    ChunkRange range = chunk_range(static_cast<int64_t>(chunks.size()), r, world);
    node[static_cast<size_t>(r)] = canonical_sum({chunks.begin() + range.first, chunks.begin() + range.first + range.count});
  }
  for (int distance = 1; distance < world; distance *= 2) {
    std::vector<at::Tensor> next(node.size());
    for (int r = 0; r < world; ++r) {
      const int partner = r ^ distance;
      next[static_cast<size_t>(r)] = (r & distance) ? node[static_cast<size_t>(partner)] + node[static_cast<size_t>(r)]
                                                   : node[static_cast<size_t>(r)] + node[static_cast<size_t>(partner)];
    }
    node = next;
  }
  for (int r = 1; r < world; ++r) EXPECT_TRUE(at::equal(node[0], node[static_cast<size_t>(r)]));
  return node[0];
}

TEST(CanonicalSum, RanksReproduceTheTreeBitForBit) {
  at::manual_seed(0);
  for (int64_t total : {4, 8, 12}) {
    std::vector<at::Tensor> chunks;
    // Mixed magnitudes, so that a different order would change the last bits.
    for (int64_t c = 0; c < total; ++c) chunks.push_back(at::randn({1000}) * std::pow(10.0, static_cast<double>(c % 5)));
    at::Tensor reference = canonical_sum(chunks);
    for (int world : {1, 2, 4}) {
      if (!tree_is_exact(total, world)) continue;
      EXPECT_TRUE(at::equal(reference, assemble_like_ranks(chunks, world))) << "total " << total << " world " << world;
    }
    at::Tensor left_fold = chunks[0].clone();
    for (int64_t c = 1; c < total; ++c) left_fold += chunks[static_cast<size_t>(c)];
    EXPECT_TRUE(at::allclose(reference, left_fold, 1e-5, 1e-3));
  }
}

using test::store_server;

TEST(Group, OneProcessIsTheIdentity) {
  Group group;
  EXPECT_FALSE(group.distributed());
  std::vector<at::Tensor> chunks = {at::ones({3}), at::full({3}, 2.0)};
  EXPECT_TRUE(at::equal(group.tree_sum(chunks, 2, chunks[0]), at::full({3}, 3.0)));
  EXPECT_EQ(group.all_gather_bytes("x"), std::vector<std::string>{"x"});
}

TEST(Group, JoinedAloneItRunsEveryCollectiveThroughGloo) { test::run_every_collective_alone(at::kCPU); }

TEST(Group, TwoRanksOverGlooInOneProcess) {
  auto server = store_server();
  std::vector<at::Tensor> chunks;
  for (int c = 0; c < 4; ++c) chunks.push_back(at::randn({257}) * std::pow(10.0, c));
  const at::Tensor expected = canonical_sum(chunks);
  std::vector<std::string> errors(2);
  std::vector<at::Tensor> sums(2), broadcast(2);
  std::vector<std::vector<std::string>> gathered(2);
  auto rank_main = [&](int rank) {
    try {
      LaunchEnv env;
      env.rank = rank, env.world_size = 2, env.master_port = server->getPort(), env.launcher_hosts_store = true;
      Group group(env, at::kCPU, std::chrono::seconds(30));
      sums[rank] = group.tree_sum({chunks[2 * rank], chunks[2 * rank + 1]}, 4, chunks[0]);
      gathered[rank] = group.all_gather_bytes(std::string(static_cast<size_t>(rank * 1000 + 1), 'a' + static_cast<char>(rank)));
      broadcast[rank] = rank == 1 ? at::arange(5, at::kFloat) : at::zeros({5});
      group.broadcast(broadcast[rank], 1);
      group.barrier();
    } catch (const std::exception& e) {
      errors[rank] = e.what();
    }
  };
  std::thread r0(rank_main, 0), r1(rank_main, 1);
  r0.join();
  r1.join();
  ASSERT_EQ(errors[0], "");
  ASSERT_EQ(errors[1], "");
  for (int r = 0; r < 2; ++r) {
    EXPECT_TRUE(at::equal(sums[r], expected));
    ASSERT_EQ(gathered[r].size(), 2u);
    EXPECT_EQ(gathered[r][0], std::string(1, 'a'));
    EXPECT_EQ(gathered[r][1], std::string(1001, 'b'));
    EXPECT_TRUE(at::equal(broadcast[r], at::arange(5, at::kFloat)));
  }
}

TEST(Group, AMissingRankIsNamedWhenJoining) {
  auto server = store_server();
  LaunchEnv env;
  env.rank = 0, env.world_size = 3, env.master_port = server->getPort(), env.launcher_hosts_store = true;
  try {
    Group group(env, at::kCPU, std::chrono::milliseconds(500));
    FAIL() << "joining without the other ranks succeeded";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("rank 1 never joined"), std::string::npos) << message;
    EXPECT_NE(message.find("rank 2 never joined"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace soar::dist
