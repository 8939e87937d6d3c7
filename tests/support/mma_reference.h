// mma.m16n8k16 (16-bit A and B, float accumulators) for one warp, computed on the CPU from the
// fragment layout as the PTX ISA describes it ("Matrix Fragments for mma.m16n8k16 with floating
// point type"), written independently of src/model/attention_fragments.h so that tests can check
// that header's layout (attention_fragments_test) and run the kernels built on it
// (decode_attention_emulation_test) against the instruction's definition.
#pragma once

#include <cstdint>

namespace soar::test {

using WarpA = uint32_t[32][4];
using WarpB = uint32_t[32][2];
using WarpC = double[32][4];

// C += A B, A 16x16, B 16x8, each lane's fragments as PTX lays them out: groupID = lane >> 2,
// threadID_in_group = lane % 4; A: a_i at row groupID (+8 for i in {2,3,6,7}), column
// 2·threadID_in_group + (i & 1) (+8 for i >= 4), two per register, low half first; B: b_i at row
// 2·threadID_in_group + (i & 1) (+8 for i >= 2), column groupID; C: c_i at row groupID (+8 for
// i >= 2), column 2·threadID_in_group + (i & 1). value_of(bits) is a 16-bit element's value.
template <class ValueOf>
void emulated_mma(const WarpA& a, const WarpB& b, WarpC& c, ValueOf value_of) {
  double A[16][16] = {}, B[16][8] = {};
  auto element = [&](uint32_t word, int i) { return value_of(static_cast<uint16_t>((i & 1) ? word >> 16 : word & 0xffffu)); };
  for (int lane = 0; lane < 32; ++lane) {
    const int g = lane >> 2, t = lane % 4;
    for (int i = 0; i < 8; ++i) {
      const int row = g + ((i == 2 || i == 3 || i == 6 || i == 7) ? 8 : 0);
      const int col = 2 * t + (i & 1) + (i >= 4 ? 8 : 0);
      A[row][col] = element(a[lane][i / 2], i);
    }
    for (int i = 0; i < 4; ++i) B[2 * t + (i & 1) + (i >= 2 ? 8 : 0)][g] = element(b[lane][i / 2], i);
  }
  for (int lane = 0; lane < 32; ++lane) {
    const int g = lane >> 2, t = lane % 4;
    for (int i = 0; i < 4; ++i) {
      const int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
      for (int k = 0; k < 16; ++k) c[lane][i] += A[row][k] * B[k][col];
    }
  }
}

}  // namespace soar::test
