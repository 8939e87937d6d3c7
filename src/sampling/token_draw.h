// The sampler's next-token draw on the CPU: per row, the first maximum of logit + Gumbel noise,
// which is a draw from softmax(logits). The noise of element i of row r is the CUDA kernel's
// (src/model/token_sampling.h): -log(-log u), u from 23 bits of Philox4x32-10 keyed by the seed
// at counter (i / 4, r), so the CPU and the GPU draw the same token for the same logits and seed,
// and a draw depends on the seed alone, not on the thread count.
//
// It replaces an exponential race (argmax softmax / E, E ~ Exp(1) from ATen's generator), whose
// exponential_ alone took 60 ms per step at 64 rows x 49,152 logits on this machine: the noise
// here is drawn only where it can change the draw. Per group of 4 elements (one Philox call), an
// element whose noise cannot lift it above the best noisy value so far is skipped: a group is
// skipped whole when its largest logit plus the largest noise (16.64) stays below the best, and
// otherwise an element's uniform bits are compared with a precomputed bound before any logarithm.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace soar {

// Tokens [rows] (int64) drawn from softmax of each row of `logits` ([rows, vocab], float32, CPU;
// -inf marks a token that cannot be drawn). The caller applies the temperature.
at::Tensor draw_tokens(const at::Tensor& logits, uint64_t seed);

}  // namespace soar
