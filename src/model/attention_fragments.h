// Where the tensor-core decode attention (decode_kernels.cu, variant 2) puts each number: which
// key and dimensions a lane loads, and how the loaded 32-bit words become the operand fragments of
// mma.m16n8k16 (PTX ISA, "Matrix Fragments for mma.m16n8k16 with floating point type"). Plain
// C++ so that a CPU test (tests/model/attention_fragments_test.cpp) can run the same functions
// through an emulated mma and check the products against direct ones: the layout can be proven
// without a GPU. Lane = 4 * group + quad (group = lane / 4, quad = lane % 4), as PTX numbers them.
//
// One warp handles a tile of 16 keys of one (row, kv head) and its query heads (at most 8):
//  - scores S = Q K^T: A = Q (16 rows, the heads; rows 8-15 and heads past the group are zero),
//    B = K^T (k = dimensions, n = 8 keys), two n-tiles for the 16 keys. A dot product does not
//    care in which order it visits dimensions, so each lane's dimensions are chosen to be 16-byte
//    runs of memory: lane (group, quad) holds the runs at 32c + 8·quad, c < D / 32, of its key and
//    of its query head. The accumulator leaves lane (g, q) the scores of head g for the keys
//    value_key(0..3, q).
//  - output O^T = V^T P^T: A = V^T (m = 16 dimensions, k = the 16 keys), B = P^T (k = keys,
//    n = heads). B is exactly the score accumulator of the same lane (rounded to 16 bits), so the
//    probabilities never move between lanes. The output dimensions are chosen so that lane group
//    g reads two runs of D / 16 elements of each of its keys (at D/16·g and D/2 + D/16·g); a
//    fragment register pairs one element of two keys, taken from the two loaded words.
#pragma once

#include <cstdint>

#ifdef __CUDACC__
#define SOAR_FRAGMENT_FN __host__ __device__ __forceinline__
#else
#define SOAR_FRAGMENT_FN inline
#endif

namespace soar::kernels::fragments {

// Score product: the run of 8 dimensions (16 bytes) chunk c of a key or query starts at.
SOAR_FRAGMENT_FN int score_run(int chunk, int quad) { return 32 * chunk + 8 * quad; }
// The key (0-15 in the tile) whose dimensions lane group g loads for score n-tile `ntile`.
SOAR_FRAGMENT_FN int score_key(int ntile, int group) { return 8 * ntile + group; }
// Words (two 16-bit elements each; 4 per run) of the runs of one key or query, in chunk order:
// A fragment of Q and B fragment of K^T for k-step s (D / 16 of them).
SOAR_FRAGMENT_FN void score_a(const uint32_t* query_words, int kstep, uint32_t (&a)[4]) {
  const int word = 4 * (kstep / 2) + 2 * (kstep % 2);
  a[0] = query_words[word];      // row g, k = 2q, 2q+1
  a[1] = 0;                      // row g + 8: no such head
  a[2] = query_words[word + 1];  // row g, k = 2q+8, 2q+9
  a[3] = 0;
}
SOAR_FRAGMENT_FN void score_b(const uint32_t* key_words, int kstep, uint32_t (&b)[2]) {
  const int word = 4 * (kstep / 2) + 2 * (kstep % 2);
  b[0] = key_words[word];      // k = 2q, 2q+1 of key n = g
  b[1] = key_words[word + 1];  // k = 2q+8, 2q+9
}

// The keys (0-15 in the tile) of lane quad q's scores and value operand: j = 0..3 are the score
// accumulator's c0, c1 of n-tile 0 and c0, c1 of n-tile 1, and the value fragment's k = 2q, 2q+1,
// 2q+8, 2q+9.
SOAR_FRAGMENT_FN int value_key(int j, int quad) { return 2 * quad + (j & 1) + 8 * (j >> 1); }
// Output product: lane group g loads the runs of D / 16 elements at value_run(half, g) of each of
// its four keys; row r of m-tile mt is dimension output_dim(mt, r).
template <int D>
SOAR_FRAGMENT_FN int value_run(int half, int group) { return half * (D / 2) + (D / 16) * group; }
template <int D>
SOAR_FRAGMENT_FN int output_dim(int mtile, int row) { return value_run<D>(row / 8, row % 8) + mtile; }

// Element e (16 bits) of a run held as words, from two keys' runs, as one fragment register: the
// first key's element in the low half (the lower k), the second's in the high half.
SOAR_FRAGMENT_FN uint32_t pair_elements(const uint32_t* first_run, const uint32_t* second_run, int element) {
  const int shift = 16 * (element % 2);
  return ((first_run[element / 2] >> shift) & 0xffffu) | (((second_run[element / 2] >> shift) & 0xffffu) << 16);
}
// A fragment of V^T for m-tile mt; runs[j][half]: the words of value_key(j)'s run `half`.
template <int D>
SOAR_FRAGMENT_FN void value_a(const uint32_t* const (&runs)[4][2], int mtile, uint32_t (&a)[4]) {
  a[0] = pair_elements(runs[0][0], runs[1][0], mtile);  // row g (first run), k = 2q, 2q+1
  a[1] = pair_elements(runs[0][1], runs[1][1], mtile);  // row g + 8 (second run)
  a[2] = pair_elements(runs[2][0], runs[3][0], mtile);  // row g, k = 2q+8, 2q+9
  a[3] = pair_elements(runs[2][1], runs[3][1], mtile);  // row g + 8
}
// B fragment of P^T from the lane's four probabilities (already 16-bit, keys value_key(0..3)).
SOAR_FRAGMENT_FN void probability_b(const uint16_t (&p)[4], uint32_t (&b)[2]) {
  b[0] = p[0] | (static_cast<uint32_t>(p[1]) << 16);
  b[1] = p[2] | (static_cast<uint32_t>(p[3]) << 16);
}
// The output accumulator of m-tile mt: c_i is head output_head(i, q) at dimension
// output_dim(mt, g + 8 * (i / 2)).
SOAR_FRAGMENT_FN int output_head(int i, int quad) { return 2 * quad + (i & 1); }

}  // namespace soar::kernels::fragments
