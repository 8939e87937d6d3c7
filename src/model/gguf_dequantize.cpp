#include "model/gguf_dequantize.h"

#include <bit>
#include <cstdint>
#include <cstring>

#include "core/error.h"

namespace soar::gguf {
namespace {

template <class T>
T load(const std::byte* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));  // tensor data need not be aligned for T
  return value;
}

// Block layouts (ggml-common.h): float16 scale d, [float16 min m,] then 32 quants. Q4 packs element
// j in the low nibble of byte j and element j + 16 in its high nibble.
void q8_0(const std::byte* block, float* out) {
  const float d = half_to_float(load<std::uint16_t>(block));
  for (int j = 0; j < 32; ++j) out[j] = float(load<std::int8_t>(block + 2 + j)) * d;
}

void q4_0(const std::byte* block, float* out) {
  const float d = half_to_float(load<std::uint16_t>(block));
  for (int j = 0; j < 16; ++j) {
    const auto byte = std::to_integer<int>(block[2 + j]);
    out[j] = float((byte & 0x0F) - 8) * d;
    out[j + 16] = float((byte >> 4) - 8) * d;
  }
}

void q4_1(const std::byte* block, float* out) {
  const float d = half_to_float(load<std::uint16_t>(block));
  const float m = half_to_float(load<std::uint16_t>(block + 2));
  for (int j = 0; j < 16; ++j) {
    const auto byte = std::to_integer<int>(block[4 + j]);
    // Two roundings, as numpy's (d * q) + m; this file is compiled without FMA contraction.
    const float low = d * float(byte & 0x0F), high = d * float(byte >> 4);
    out[j] = low + m;
    out[j + 16] = high + m;
  }
}

}  // namespace

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t(h & 0x8000) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1F;
  std::uint32_t mantissa = h & 0x3FF;
  std::uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000 | (mantissa << 13);  // infinity, or NaN with its payload (as numpy)
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);  // rebias 15 -> 127
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: mantissa * 2^-24, normalised
    std::uint32_t shift = 0;
    while ((mantissa & 0x400) == 0) {
      mantissa <<= 1;
      ++shift;
    }
    bits = sign | ((113 - shift) << 23) | ((mantissa & 0x3FF) << 13);
  }
  return std::bit_cast<float>(bits);
}

bool can_dequantize(TensorType type) {
  switch (type) {
    case TensorType::F32:
    case TensorType::F16:
    case TensorType::BF16:
    case TensorType::Q8_0:
    case TensorType::Q4_0:
    case TensorType::Q4_1: return true;
    default: return false;
  }
}

void dequantize(const TensorInfo& tensor, std::span<float> out, std::string_view file) {
  if (!can_dequantize(tensor.type))
    fail(file, ": tensor '", tensor.name, "' has type ", tensor_type_name(tensor.type),
         ", which soar does not read (F32, F16, BF16, Q8_0, Q4_0, Q4_1)");
  const auto n = static_cast<std::size_t>(tensor.elements());
  if (out.size() != n) fail(file, ": tensor '", tensor.name, "': ", out.size(), " outputs for ", n, " values");
  if (n == 0) return;  // a dim of 0: no data, and memcpy may not be handed the null pointers
  const std::byte* in = tensor.data;
  float* o = out.data();
  switch (tensor.type) {
    case TensorType::F32: std::memcpy(o, in, n * 4); break;
    case TensorType::F16:
      for (std::size_t i = 0; i < n; ++i) o[i] = half_to_float(load<std::uint16_t>(in + 2 * i));
      break;
    case TensorType::BF16:
      for (std::size_t i = 0; i < n; ++i)
        o[i] = std::bit_cast<float>(std::uint32_t(load<std::uint16_t>(in + 2 * i)) << 16);
      break;
    case TensorType::Q8_0:
      for (std::size_t b = 0; b < n / 32; ++b) q8_0(in + 34 * b, o + 32 * b);
      break;
    case TensorType::Q4_0:
      for (std::size_t b = 0; b < n / 32; ++b) q4_0(in + 18 * b, o + 32 * b);
      break;
    case TensorType::Q4_1:
      for (std::size_t b = 0; b < n / 32; ++b) q4_1(in + 20 * b, o + 32 * b);
      break;
    default: break;
  }
}

}  // namespace soar::gguf
