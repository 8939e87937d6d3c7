// The BPE model: turns one pre-tokenized word into token ids by applying merges in rank order.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/config.h"

namespace soar::tok {

class Bpe {
 public:
  // Reads "model" (type BPE): vocab, merges ("a b" strings or [a, b] pairs), ignore_merges, unk.
  explicit Bpe(const Field& model);

  // Appends the ids of `word` to `out`. Thread-safe; results for short words are cached.
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  const std::unordered_map<std::string, int32_t>& vocab() const { return vocab_; }

 private:
  std::vector<int32_t> merge_word(std::string_view word) const;

  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  static uint64_t pair_key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }

  std::unordered_map<std::string, int32_t> vocab_;
  std::unordered_map<uint64_t, Merge> merges_;
  std::optional<int32_t> unk_id_;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;

  // Word -> ids. Bounded like HF's (words are only added while there is room) to cap memory.
  static constexpr size_t kCacheCapacity = 1 << 16;
  static constexpr size_t kCacheMaxWordBytes = 256;
  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace soar::tok
