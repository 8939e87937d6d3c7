// The sampler's next-token draw as one CUDA kernel: per row of logits, one pass that reads each
// logit once and keeps both the log-sum-exp (for the drawn token's log-probability) and the
// Gumbel-max draw (argmax of logit / temperature + Gumbel noise, which is a draw from
// softmax(logit / temperature)). Replaces a float32 copy, log-softmax, softmax, an exponential
// race and argmax: ~10 passes over the logits. Built only with SOAR_CUDA (token_sampling.cu).
#pragma once

#include <cstdint>

#include "model/decode_kernels.h"

namespace soar::kernels {

struct TokenSampling {
  const void* logits;    // [rows, vocab], contiguous
  int64_t rows, vocab;
  float inverse_temperature;  // > 0: draw from softmax(logits * it); 0: greedy (argmax of the logits)
  const int64_t* seed;   // device scalar keying the counter-based random stream; unused when greedy
  int64_t* tokens;       // [rows]: the drawn tokens
  float* logprobs;       // [rows]: log_softmax(logits * inverse_temperature) at the token (greedy: of the logits)
};

// The noise of element i of row r is Philox4x32-10 keyed by the seed at counter (i / 4, r), so a
// draw depends on the seed alone, not on the launch shape; elements that cannot win (their logit
// plus the largest noise the draws can produce is below the best so far) skip their noise.
void sample_tokens(Element type, const TokenSampling& args, void* stream);

}  // namespace soar::kernels
