#include "model/kv_cache.h"

#include "core/error.h"

namespace soar {

KVCache::KVCache(const ModelConfig& config, int64_t batch_size, int64_t capacity, at::ScalarType dtype,
                 at::Device device)
    : batch_size_(batch_size), capacity_(capacity) {
  if (batch_size <= 0 || capacity <= 0) fail("KV cache needs a positive batch size and capacity, got ", batch_size, " x ", capacity);
  auto options = at::TensorOptions().dtype(dtype).device(device);
  for (int64_t layer = 0; layer < config.num_hidden_layers; ++layer) {
    keys_.push_back(at::zeros({batch_size, config.num_key_value_heads, capacity, config.head_dim}, options));
    values_.push_back(at::zeros({batch_size, config.num_key_value_heads, capacity, config.head_dim}, options));
  }
  valid_ = at::zeros({batch_size, capacity}, at::TensorOptions().dtype(at::kBool).device(device));
  next_position_ = at::zeros({batch_size}, at::TensorOptions().dtype(at::kLong).device(device));
  slot_tensor_ = at::zeros({1}, at::TensorOptions().dtype(at::kLong).device(device));
}

void KVCache::sync_slot_tensor() { slot_tensor_.fill_(length_); }

int64_t KVCache::bytes_required(const ModelConfig& config, int64_t batch_size, int64_t capacity, at::ScalarType dtype) {
  int64_t per_layer = 2 * batch_size * config.num_key_value_heads * capacity * config.head_dim *
                      static_cast<int64_t>(c10::elementSize(dtype));
  return config.num_hidden_layers * per_layer + batch_size * capacity + batch_size * 8;
}

int64_t KVCache::claim_slots(int64_t count) {
  if (length_ + count > capacity_) {
    fail("KV cache is full: ", length_, " of ", capacity_, " slots used, ", count, " more requested");
  }
  int64_t start = length_;
  length_ += count;
  return start;
}

void KVCache::reset() {
  length_ = 0;
  valid_.zero_();
  next_position_.zero_();
  slot_tensor_.zero_();
}

KVCache KVCache::select_rows(const at::Tensor& rows) const {
  KVCache out(*this);
  for (auto& k : out.keys_) k = k.index_select(0, rows);
  for (auto& v : out.values_) v = v.index_select(0, rows);
  out.valid_ = valid_.index_select(0, rows);
  out.next_position_ = next_position_.index_select(0, rows);
  out.slot_tensor_ = slot_tensor_.clone();
  out.batch_size_ = rows.size(0);
  return out;
}

}  // namespace soar
