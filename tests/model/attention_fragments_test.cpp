// The tensor-core decode attention's operand layout (src/model/attention_fragments.h), proven on
// the CPU: every lane of a warp builds its fragments exactly as the kernel does, an emulated
// mma.m16n8k16 (the fragment layout transcribed from the PTX ISA, independently of the header)
// multiplies them, and the products read back through the header's accumulator mapping must equal
// the scores Q K^T and the outputs P V computed directly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "model/attention_fragments.h"
#include "mma_reference.h"

namespace fr = soar::kernels::fragments;

namespace {

// bf16 as its bit pattern and its value.
uint16_t bf16_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return static_cast<uint16_t>(u >> 16);  // truncation: the test only needs exact bf16 values
}
double bf16_value(uint16_t bits) {
  const uint32_t u = static_cast<uint32_t>(bits) << 16;
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}
using soar::test::WarpA;
using soar::test::WarpB;
using soar::test::WarpC;
void emulated_mma(const WarpA& a, const WarpB& b, WarpC& c) { soar::test::emulated_mma(a, b, c, bf16_value); }

// Random bf16 rows, as the words a 16-byte-aligned load would hold (element 2w in word w's low half).
struct Rows {
  int width;
  std::vector<uint16_t> bits;
  Rows(int rows, int width_, std::mt19937& rng) : width(width_), bits(static_cast<size_t>(rows) * width_) {
    std::normal_distribution<float> normal;
    for (auto& b : bits) b = bf16_bits(normal(rng));
  }
  double at(int row, int col) const { return bf16_value(bits[static_cast<size_t>(row) * width + col]); }
  // The words starting at element `col` of `row` (col even).
  const uint32_t* words(int row, int col) const { return reinterpret_cast<const uint32_t*>(&bits[static_cast<size_t>(row) * width + col]); }
};

template <int D>
void check_scores(int heads, std::mt19937& rng) {
  Rows q(8, D, rng), k(16, D, rng);
  double scores[2][32][4] = {};
  for (int kstep = 0; kstep < D / 16; ++kstep) {
    for (int ntile = 0; ntile < 2; ++ntile) {
      WarpA a;
      WarpB b;
      for (int lane = 0; lane < 32; ++lane) {
        const int g = lane >> 2, quad = lane % 4;
        // The lane's runs, gathered as the kernel loads them (chunk by chunk).
        uint32_t query_words[D / 8] = {}, key_words[D / 8];
        for (int chunk = 0; chunk < D / 32; ++chunk) {
          for (int w = 0; w < 4; ++w) {
            if (g < heads) query_words[4 * chunk + w] = q.words(g, fr::score_run(chunk, quad))[w];
            key_words[4 * chunk + w] = k.words(fr::score_key(ntile, g), fr::score_run(chunk, quad))[w];
          }
        }
        fr::score_a(query_words, kstep, a[lane]);
        fr::score_b(key_words, kstep, b[lane]);
      }
      emulated_mma(a, b, scores[ntile]);
    }
  }
  for (int lane = 0; lane < 32; ++lane) {
    const int g = lane >> 2, quad = lane % 4;
    for (int j = 0; j < 4; ++j) {
      const int key = fr::value_key(j, quad);
      double expected = 0;
      for (int d = 0; d < D; ++d) expected += (g < heads ? q.at(g, d) : 0.0) * k.at(key, d);
      EXPECT_NEAR(scores[j / 2][lane][j % 2], expected, 1e-9 * (1 + std::abs(expected))) << "D " << D << " lane " << lane << " j " << j;
      EXPECT_EQ(scores[j / 2][lane][2 + j % 2], 0.0) << "rows 8-15 hold no head";
    }
  }
}

template <int D>
void check_outputs(std::mt19937& rng) {
  Rows p(8, 16, rng), v(16, D, rng);  // probabilities [head][key] (any bf16 values), values [key][dim]
  for (int mtile = 0; mtile < D / 16; ++mtile) {
    WarpA a;
    WarpB b;
    for (int lane = 0; lane < 32; ++lane) {
      const int g = lane >> 2, quad = lane % 4;
      const uint32_t* runs[4][2];
      uint16_t probabilities[4];
      for (int j = 0; j < 4; ++j) {
        const int key = fr::value_key(j, quad);
        for (int half = 0; half < 2; ++half) runs[j][half] = v.words(key, fr::value_run<D>(half, g));
        probabilities[j] = p.bits[static_cast<size_t>(g) * 16 + key];
      }
      fr::value_a<D>(runs, mtile, a[lane]);
      fr::probability_b(probabilities, b[lane]);
    }
    WarpC out = {};
    emulated_mma(a, b, out);
    for (int lane = 0; lane < 32; ++lane) {
      const int g = lane >> 2, quad = lane % 4;
      for (int i = 0; i < 4; ++i) {
        const int head = fr::output_head(i, quad), dim = fr::output_dim<D>(mtile, g + 8 * (i / 2));
        double expected = 0;
        for (int key = 0; key < 16; ++key) expected += p.at(head, key) * v.at(key, dim);
        EXPECT_NEAR(out[lane][i], expected, 1e-9 * (1 + std::abs(expected)))
            << "D " << D << " m-tile " << mtile << " lane " << lane << " c" << i;
      }
    }
  }
}

// Every dimension is some (m-tile, row) exactly once: the outputs cover the head.
template <int D>
void check_output_dims_cover() {
  std::vector<int> seen(D, 0);
  for (int mtile = 0; mtile < D / 16; ++mtile) {
    for (int row = 0; row < 16; ++row) ++seen.at(fr::output_dim<D>(mtile, row));
  }
  for (int d = 0; d < D; ++d) EXPECT_EQ(seen[d], 1) << "D " << D << " dimension " << d;
}

}  // namespace

TEST(AttentionFragments, ScoresEqualQKt) {
  std::mt19937 rng(1);
  for (int heads : {1, 3, 8}) {
    check_scores<64>(heads, rng);
    check_scores<128>(heads, rng);
  }
}

TEST(AttentionFragments, OutputsEqualPV) {
  std::mt19937 rng(2);
  check_outputs<64>(rng);
  check_outputs<128>(rng);
  check_output_dims_cover<64>();
  check_output_dims_cover<128>();
}
