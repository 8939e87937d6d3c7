#include "model/token_sampling.h"

#include "model/cuda_elements.cuh"
#include "model/token_sampling.cuh"

namespace soar::kernels {
namespace {

using namespace cuda;
using namespace sampling;

template <class T>
void launch_sample_tokens(const TokenSampling& a, cudaStream_t stream) {
  const bool aligned = aligned16(a.logits) && (a.vocab * sizeof(T)) % 16 == 0;
  const unsigned blocks = static_cast<unsigned>(a.rows);
  constexpr int kPack = 16 / sizeof(T);  // 16-byte loads
  if (aligned) {
    sample_tokens_kernel<T, kPack><<<blocks, kSamplingThreads, 0, stream>>>(a);
  } else {
    sample_tokens_kernel<T, 1><<<blocks, kSamplingThreads, 0, stream>>>(a);
  }
  check_launch("sample_tokens");
}

}  // namespace

void sample_tokens(Element type, const TokenSampling& args, void* stream) {
  if (args.rows == 0) return;
  if (args.rows > 0x7fffffff) throw std::invalid_argument("sample_tokens: too many rows");
  dispatch(type, [&](auto t) { launch_sample_tokens<typename decltype(t)::type>(args, static_cast<cudaStream_t>(stream)); });
}

}  // namespace soar::kernels
