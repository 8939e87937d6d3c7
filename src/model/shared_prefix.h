// Sequences that continue a few shared prefixes, as an RL micro-batch holds them (k samples of one
// prompt), laid out so that each prefix goes through the model once: the prefixes' tokens and then
// every row's own tokens form one flattened token row, and only attention sees the structure.
// Suffix queries attend to their prefix's keys and values (one tensor for all rows that share it,
// so their gradients add up there) and causally to their own suffix. The results are those of
// running every row whole, up to float summation order, for U·P + N·S tokens instead of N·(P + S).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace soar {

// Row n is prefix row_prefix[n] (its first prefix_lengths[row_prefix[n]] tokens) followed by
// suffix_ids[n]. Every tensor on the model's device.
struct SharedPrefixBatch {
  at::Tensor prefix_ids;      // [U, P] int64, right-padded
  at::Tensor prefix_lengths;  // [U] int64, each in [1, P]
  at::Tensor row_prefix;      // [N] int64, each in [0, U)
  at::Tensor suffix_ids;      // [N, S] int64, right-padded; outputs at padding mean nothing
};

// What each attention layer needs to know of the batch.
struct SharedPrefixLayout {
  int64_t prefixes = 0, prefix_length = 0, rows = 0, suffix_length = 0;
  at::Tensor row_prefix;   // [N]
  at::Tensor suffix_bias;  // [N, 1, S, P + S] additive (0 / -inf) over [prefix keys, suffix keys]
};

// The flattened token row [1, U·P + N·S] (prefixes first), its RoPE positions (each suffix goes on
// from its prefix's length) and the layout, the bias in `dtype`. Throws soar::Error naming the field
// of a malformed batch.
struct SharedPrefixInput {
  at::Tensor tokens, positions;
  SharedPrefixLayout layout;
};
SharedPrefixInput flatten_shared_prefix(const SharedPrefixBatch& batch, at::ScalarType dtype);

// Attention over the flattened row: q [1, heads, T, D], k and v [1, kv_heads, T, D] with RoPE
// applied -> [1, T, heads·D]. Prefixes attend causally within themselves.
at::Tensor shared_prefix_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const SharedPrefixLayout& layout);

}  // namespace soar
