// Preallocated key/value cache for incremental decoding: sized once from batch x capacity, never
// grown. Rows of a batch share slot indices (prompts are left-padded), and `valid` marks which
// slots hold real tokens so that padding is never attended to.
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "model/config.h"

namespace soar {

class KVCache {
 public:
  KVCache(const ModelConfig& config, int64_t batch_size, int64_t capacity, at::ScalarType dtype, at::Device device);

  // Bytes the cache tensors take, for planning memory before allocating.
  static int64_t bytes_required(const ModelConfig& config, int64_t batch_size, int64_t capacity, at::ScalarType dtype);

  int64_t batch_size() const { return batch_size_; }
  int64_t capacity() const { return capacity_; }
  int64_t length() const { return length_; }  // slots in use (the same for every row)

  at::Tensor& keys(int64_t layer) { return keys_[layer]; }      // [B, kv_heads, capacity, head_dim]
  at::Tensor& values(int64_t layer) { return values_[layer]; }  // [B, kv_heads, capacity, head_dim]
  at::Tensor& valid() { return valid_; }                        // [B, capacity] bool
  at::Tensor& next_position() { return next_position_; }        // [B] int64: position of each row's next real token

  // Claims `count` new slots and returns the first; throws soar::Error when the cache is full.
  int64_t claim_slots(int64_t count);

  // The next free slot as a device tensor [1] int64, for decoding without host synchronisation
  // (CausalLMImpl::decode_static advances it on the device; claim_slots keeps the host count).
  at::Tensor& slot_tensor() { return slot_tensor_; }
  // Sets the device slot to the host length (after a prefill or a compaction).
  void sync_slot_tensor();
  // Forgets all tokens (keeps the memory).
  void reset();
  // A new cache holding only the given rows (a [B'] int64 index tensor) of this one, which stays
  // as it is: finished sequences stop costing work while the full-size cache (and the CUDA graphs
  // captured on it) survive for the next batch.
  KVCache select_rows(const at::Tensor& rows) const;

 private:
  int64_t batch_size_;
  int64_t capacity_;
  int64_t length_ = 0;
  std::vector<at::Tensor> keys_;
  std::vector<at::Tensor> values_;
  at::Tensor valid_;
  at::Tensor next_position_;
  at::Tensor slot_tensor_;
};

}  // namespace soar
