#include "model/shared_prefix.h"

#include <limits>

#include "core/error.h"
#include "model/attention_ops.h"

namespace soar {
namespace {

void require_shape(const at::Tensor& t, int64_t dims, at::ScalarType dtype, const char* name) {
  if (!t.defined() || t.dim() != dims || t.scalar_type() != dtype) {
    fail("shared-prefix batch: ", name, " must be a ", dims, "-dimensional ", c10::toString(dtype), " tensor");
  }
}

// [1, heads, U·P + N·S, D] -> ([U, heads, P, D], [N, heads, S, D]) views.
std::pair<at::Tensor, at::Tensor> split(const at::Tensor& x, const SharedPrefixLayout& layout) {
  const int64_t U = layout.prefixes, P = layout.prefix_length, N = layout.rows, S = layout.suffix_length;
  at::Tensor heads_first = x.squeeze(0);  // [heads, T, D]
  return {heads_first.narrow(1, 0, U * P).unflatten(1, {U, P}).transpose(0, 1),
          heads_first.narrow(1, U * P, N * S).unflatten(1, {N, S}).transpose(0, 1)};
}

}  // namespace

SharedPrefixInput flatten_shared_prefix(const SharedPrefixBatch& batch, at::ScalarType dtype) {
  require_shape(batch.prefix_ids, 2, at::kLong, "prefix_ids");
  require_shape(batch.prefix_lengths, 1, at::kLong, "prefix_lengths");
  require_shape(batch.row_prefix, 1, at::kLong, "row_prefix");
  require_shape(batch.suffix_ids, 2, at::kLong, "suffix_ids");
  const int64_t U = batch.prefix_ids.size(0), P = batch.prefix_ids.size(1);
  const int64_t N = batch.suffix_ids.size(0), S = batch.suffix_ids.size(1);
  if (U == 0 || P == 0 || N == 0 || S == 0) fail("shared-prefix batch: empty prefix_ids or suffix_ids");
  if (batch.prefix_lengths.size(0) != U) fail("shared-prefix batch: prefix_lengths has ", batch.prefix_lengths.size(0), " entries for ", U, " prefixes");
  if (batch.row_prefix.size(0) != N) fail("shared-prefix batch: row_prefix has ", batch.row_prefix.size(0), " entries for ", N, " rows");
  if ((batch.prefix_lengths < 1).any().item<bool>() || (batch.prefix_lengths > P).any().item<bool>()) {
    fail("shared-prefix batch: prefix_lengths must lie in [1, ", P, "]");
  }
  if ((batch.row_prefix < 0).any().item<bool>() || (batch.row_prefix >= U).any().item<bool>()) {
    fail("shared-prefix batch: row_prefix must lie in [0, ", U, ")");
  }
  const auto longs = batch.prefix_ids.options();
  at::Tensor row_lengths = batch.prefix_lengths.index_select(0, batch.row_prefix);  // [N]
  at::Tensor prefix_columns = at::arange(P, longs), suffix_columns = at::arange(S, longs);
  at::Tensor positions = at::cat({prefix_columns.repeat({U}), (row_lengths.unsqueeze(1) + suffix_columns).reshape({-1})});

  // Suffix query i of row n sees its prefix's real tokens and suffix keys j <= i.
  at::Tensor prefix_visible = (prefix_columns.unsqueeze(0) < row_lengths.unsqueeze(1)).unsqueeze(1).expand({N, S, P});
  at::Tensor causal = (suffix_columns.unsqueeze(0) <= suffix_columns.unsqueeze(1)).unsqueeze(0).expand({N, S, S});
  at::Tensor visible = at::cat({prefix_visible, causal}, 2).unsqueeze(1);  // [N, 1, S, P + S]
  at::Tensor bias = at::zeros(visible.sizes(), longs.dtype(dtype)).masked_fill_(visible.logical_not(), -std::numeric_limits<double>::infinity());

  at::Tensor tokens = at::cat({batch.prefix_ids.reshape({-1}), batch.suffix_ids.reshape({-1})}).unsqueeze(0);
  return {tokens, positions.unsqueeze(0), {U, P, N, S, batch.row_prefix, bias}};
}

at::Tensor shared_prefix_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const SharedPrefixLayout& layout) {
  const int64_t heads = q.size(1), head_dim = q.size(3), repeats = heads / k.size(1);
  auto [prefix_q, suffix_q] = split(q, layout);
  auto [prefix_k, suffix_k] = split(k, layout);
  auto [prefix_v, suffix_v] = split(v, layout);
  // Prefixes are padded on the right: their causal attention is right for every real token.
  at::Tensor prefix_out = causal_attention(prefix_q, prefix_k, prefix_v);  // [U, heads, P, D]
  // Each row reads its prefix's keys and values (a gather, so their gradients sum over the rows).
  at::Tensor keys = at::cat({prefix_k.index_select(0, layout.row_prefix), suffix_k}, 2);
  at::Tensor values = at::cat({prefix_v.index_select(0, layout.row_prefix), suffix_v}, 2);
  at::Tensor suffix_out = at::scaled_dot_product_attention(suffix_q, repeat_kv(keys, repeats), repeat_kv(values, repeats),
                                                           layout.suffix_bias);  // [N, heads, S, D]
  return at::cat({prefix_out.transpose(1, 2).reshape({-1, heads * head_dim}),
                  suffix_out.transpose(1, 2).reshape({-1, heads * head_dim})})
      .unsqueeze(0);
}

}  // namespace soar
