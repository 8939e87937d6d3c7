// Added tokens (special tokens like <|eot_id|> and extra non-special ones like <think>): they are
// cut out of the text before normalization and pre-tokenization and map straight to their ids.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace soar::tok {

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool special = false;
  bool single_word = false;  // only match when not inside a word
  bool lstrip = false;       // also swallow whitespace on the left
  bool rstrip = false;       // also swallow whitespace on the right
  bool normalized = false;   // match against normalized text (else against the raw input)
};

// One piece of the split text: an added token (id >= 0) or text still to be tokenized (id == -1).
struct Segment {
  std::string_view text;
  int32_t id;
};

// Matches one class of added tokens (normalized or not) leftmost-longest, like HF's Aho-Corasick.
class AddedTokenMatcher {
 public:
  // `contents[i]` is what to look for for tokens[i] (normalized content for normalized tokens).
  void add(const AddedToken& token, std::string content);
  bool empty() const { return entries_.empty(); }

  // Appends the segments of `text` to `out`; empty text segments are omitted.
  void split(std::string_view text, std::vector<Segment>& out) const;

 private:
  struct Entry {
    std::string content;
    const AddedToken* token;
  };
  std::vector<Entry> entries_;
  std::array<std::vector<size_t>, 256> by_first_byte_;  // entry indices, longest content first
};

}  // namespace soar::tok
