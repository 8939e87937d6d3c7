// The processes of one run and the collectives soar needs between them, on torch.distributed's
// c10d: a TCPStore for rendezvous and Gloo (CPU tensors) or NCCL (CUDA tensors) for the data.
//
// A Group of one process needs no network and every collective is the identity, so all code paths
// take a Group and single-process runs behave exactly as before. (A Group joined through a
// LaunchEnv of world size 1 does run its collectives through the backend: tests use that to run
// NCCL on one GPU.)
//
// Devices: NCCL takes only CUDA tensors, so a CPU tensor handed to a collective of a CUDA group
// (the counters, statistics and bytes soar exchanges) travels through a copy on the group's device
// and comes back; tensors already there are used in place.
//
// Failure: every collective first records on the store how far this rank got. When a collective
// fails or exceeds the timeout, the error names the ranks that never reached it (or says that the
// store itself is gone) instead of a bare transport message.
#pragma once

#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "distributed/launch_env.h"


namespace soar::dist {

class Group {
 public:
  // One process, no communication.
  Group();
  // Joins the run described by `env` (blocks until every rank has joined or `timeout` passes).
  // `device` picks the backend: Gloo for the CPU, NCCL for CUDA (when built with SOAR_CUDA).
  Group(const LaunchEnv& env, at::Device device, std::chrono::milliseconds timeout);
  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  bool is_root() const { return rank_ == 0; }
  bool distributed() const { return world_size_ > 1; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  // In-place sum over ranks in the backend's order (may differ from one world size to another in
  // the last bits).
  void all_reduce_sum(at::Tensor& tensor);
  // The canonical chunk-tree sum (distributed/tree_sum.h): `local` are this rank's chunk values, the
  // chunks chunk_range(total_chunks, rank, world) in order. Bit-identical for every world size
  // where tree_is_exact(); otherwise the local sums are all-reduced.
  at::Tensor tree_sum(const std::vector<at::Tensor>& local, int64_t total_chunks, const at::Tensor& zeros_like);
  // Every rank ends with root's tensor (same shape and dtype on every rank).
  void broadcast(at::Tensor& tensor, int root);
  // Every rank's bytes, indexed by rank.
  std::vector<std::string> all_gather_bytes(const std::string& mine);
  // Rank root's bytes on every rank.
  std::string broadcast_bytes(const std::string& mine, int root);
  void barrier();

  // Traffic so far: collectives entered and the bytes this rank sent (exact for tree_sum's pairwise
  // exchanges; for all_reduce, all_gather and broadcast the ring-algorithm figure
  // 2 (W-1)/W n, (W-1) n and (W-1) n, which is what Gloo's and NCCL's ring implementations send).
  int64_t collectives() const { return sequence_; }
  int64_t bytes_sent() const { return bytes_sent_; }

 private:
  // Runs one collective with progress recording and failure diagnosis.
  void run(const char* what, const std::function<void()>& body);
  std::string diagnose_missing_ranks() const;
  void exchange(at::Tensor& send, at::Tensor& receive, int partner);
  bool communicates() const { return backend_ != nullptr; }
  at::Tensor on_group_device(const at::Tensor& tensor) const;

  int rank_ = 0;
  int world_size_ = 1;
  std::string store_address_;
  std::chrono::milliseconds timeout_{0};
  int64_t sequence_ = 0;  // collectives this rank has entered
  int64_t bytes_sent_ = 0;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::Backend> backend_;
  at::Device device_{at::kCPU};
  bool nccl_ = false;  // the backend is NCCL
};

}  // namespace soar::dist
