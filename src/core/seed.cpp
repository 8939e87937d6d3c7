#include "core/seed.h"

#include "core/error.h"

namespace soar {

uint64_t splitmix64_mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t fnv1a64(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char byte : text) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

uint64_t derive_seed(uint64_t run_seed, std::string_view stream_name) {
  // Mixing the run seed before combining keeps nearby run seeds (1, 2, 3) from giving related
  // streams; mixing after spreads the FNV hash, whose low bits are weak for short names.
  return splitmix64_mix(splitmix64_mix(run_seed) ^ fnv1a64(stream_name));
}

uint64_t SplitMix64::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return splitmix64_mix(state_);
}

uint64_t SplitMix64::below(uint64_t bound) {
  if (bound == 0) fail("SplitMix64::below: bound must be positive");
  // Reject the top partial block of the 64-bit range so every residue is equally likely.
  uint64_t limit = -bound % bound;  // == 2^64 mod bound
  for (;;) {
    uint64_t x = next();
    if (x >= limit) return x % bound;
  }
}

double SplitMix64::uniform() { return double(next() >> 11) * 0x1.0p-53; }

}  // namespace soar
