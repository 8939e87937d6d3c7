// Named random streams. Every random draw in a run comes from a stream whose seed is derived from the
// run seed and a fixed name ("split_hard_set", "bootstrap", "sampling/worker3", ...), so adding or
// reordering draws in one part of a run never shifts the random numbers another part sees, and any
// part can be replayed alone. The generator is spelled out here (not std::mt19937 with a std::
// distribution) because distributions differ between standard libraries and results must not.
#pragma once

#include <cstdint>
#include <string_view>

namespace soar {

// One step of Vigna's splitmix64 finaliser: a bijection on 64-bit values with good avalanche.
uint64_t splitmix64_mix(uint64_t x);

// 64-bit FNV-1a hash of the bytes of `text`.
uint64_t fnv1a64(std::string_view text);

// The seed of the stream `stream_name` in a run seeded with `run_seed`.
uint64_t derive_seed(uint64_t run_seed, std::string_view stream_name);

// splitmix64 generator: small, fast, and the same sequence on every platform.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  // Uniform in [0, bound), without modulo bias; bound must be > 0.
  uint64_t below(uint64_t bound);
  // Uniform in [0, 1) with 53 random bits.
  double uniform();

 private:
  uint64_t state_;
};

}  // namespace soar
