// Rotary position embeddings as Hugging Face computes them ("default" and "llama3" scaling).
#pragma once

#include <ATen/ATen.h>

#include "model/config.h"

namespace soar {

// Inverse frequencies [head_dim / 2] in float32, with llama3 frequency scaling applied when
// configured (long wavelengths divided by `factor`, a smooth blend between the two bands).
at::Tensor rope_inverse_frequencies(const ModelConfig& config);

struct RopeTables {
  at::Tensor cos;         // [B, T, head_dim] in the activation dtype
  at::Tensor signed_sin;  // sin with its first half negated: rotate_half's sign, folded in once per forward
};

// cos/sin for integer positions [B, T]; computed in float32 then cast to `dtype`, as transformers does.
RopeTables rope_tables(const at::Tensor& inverse_frequencies, const at::Tensor& positions, at::ScalarType dtype);

// x: [B, heads, T, head_dim]; tables broadcast over heads. x * cos + rotate_half(x) * sin in four
// kernels (swap the halves, two products, sum) instead of five: the sign lives in the table.
at::Tensor apply_rope(const at::Tensor& x, const RopeTables& tables);

}  // namespace soar
