// GGUF tensor data to float32, for the types soar reads: F32, F16, BF16, Q8_0, Q4_0 and Q4_1. Each
// value is what gguf-py (0.19.0, gguf.quants.dequantize) computes, bit for bit: the block scales
// widen from float16 exactly, then one float32 multiply (and, for Q4_1, one float32 add).
#pragma once

#include <span>

#include "model/gguf.h"

namespace soar::gguf {

bool can_dequantize(TensorType);

// Writes the tensor's tensor.elements() values, in storage order, to `out` (exactly that size).
// Throws soar::Error naming `file`, the tensor and its type for a type soar does not read.
void dequantize(const TensorInfo& tensor, std::span<float> out, std::string_view file);

// The float32 value of IEEE binary16 bits, exact (subnormals, infinities, NaN payloads kept).
float half_to_float(std::uint16_t bits);

}  // namespace soar::gguf
