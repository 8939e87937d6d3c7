#include "tokenizer/bpe.h"

#include <mutex>
#include <queue>

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace soar::tok {

namespace {

// Splits "a b" at its single space, as HF does for the legacy string form of merges.
std::pair<std::string, std::string> parse_merge(const Field& merge) {
  if (merge.is_array()) {
    if (merge.size() != 2) merge.fail("a merge must be a pair [left, right]");
    return {merge.at(0).str(), merge.at(1).str()};
  }
  const std::string s = merge.str();
  const size_t space = s.find(' ');
  if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
    merge.fail("a merge must be two tokens separated by one space, got '" + s + "'");
  }
  return {s.substr(0, space), s.substr(space + 1)};
}

}  // namespace

Bpe::Bpe(const Field& model) {
  for (const char* unsupported : {"dropout"}) {
    if (const auto f = model.get(unsupported)) f->fail("BPE dropout is not supported");
  }
  for (const char* affix : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (const auto f = model.get(affix); f && !f->str().empty()) f->fail("non-empty BPE affixes are not supported");
  }
  if (const auto f = model.get("byte_fallback"); f && f->boolean()) f->fail("BPE byte_fallback is not supported");
  if (const auto f = model.get("ignore_merges")) ignore_merges_ = f->boolean();
  if (const auto f = model.get("fuse_unk")) fuse_unk_ = f->boolean();

  const Field vocab = model["vocab"];
  if (!vocab.is_object()) vocab.fail("expected an object mapping token -> id");
  for (const auto& [token, id] : vocab.json().items()) {
    vocab_.emplace(token, Field(id, vocab.file(), vocab.path() + "." + token).id());
  }
  if (const auto unk = model.get("unk_token")) {
    const auto it = vocab_.find(unk->str());
    if (it == vocab_.end()) unk->fail("unk_token '" + unk->str() + "' is not in the vocab");
    unk_id_ = it->second;
  }

  const Field merges = model["merges"];
  if (!merges.is_array()) merges.fail("expected an array");
  merges_.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const Field merge = merges.at(i);
    const auto [left, right] = parse_merge(merge);
    const auto id_of = [&](const std::string& token) {
      const auto it = vocab_.find(token);
      if (it == vocab_.end()) merge.fail("merge refers to token '" + token + "' which is not in model.vocab");
      return it->second;
    };
    const int32_t a = id_of(left), b = id_of(right), merged = id_of(left + right);
    // A repeated merge takes the later rank, as HF's map construction does.
    merges_[pair_key(a, b)] = Merge{static_cast<int32_t>(i), merged};
  }
}

void Bpe::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (ignore_merges_) {
    // Llama 3: a whole word that is itself a token is emitted as is, whatever the merges say.
    if (const auto it = vocab_.find(std::string(word)); it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  const bool cacheable = word.size() <= kCacheMaxWordBytes;
  if (cacheable) {
    std::shared_lock lock(cache_mutex_);
    if (const auto it = cache_.find(std::string(word)); it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids = merge_word(word);
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() < kCacheCapacity) cache_.emplace(std::string(word), std::move(ids));
  }
}

// HF's Word::merge_all: a heap of candidate merges ordered by (rank, position); symbols form a
// linked list; stale heap entries are recognised because their pair no longer exists.
std::vector<int32_t> Bpe::merge_word(std::string_view word) const {
  struct Symbol {
    int32_t id;
    int32_t prev, next;
    bool alive;
  };
  std::vector<Symbol> symbols;
  std::string ch;
  for (size_t pos = 0; pos < word.size();) {
    size_t n = utf8_sequence_length(word, pos);
    if (n == 0) n = 1;  // cannot happen for validated text; keep going byte-wise
    ch.assign(word.substr(pos, n));
    pos += n;
    const auto it = vocab_.find(ch);
    if (it != vocab_.end()) {
      symbols.push_back({it->second, 0, 0, true});
    } else if (unk_id_) {
      // Unknown character: the unk token, fused with a preceding unk when fuse_unk is set.
      if (!(fuse_unk_ && !symbols.empty() && symbols.back().id == *unk_id_)) symbols.push_back({*unk_id_, 0, 0, true});
    }
    // With no unk token HF drops an unknown character; so do we.
  }
  const int32_t count = static_cast<int32_t>(symbols.size());
  for (int32_t i = 0; i < count; ++i) {
    symbols[i].prev = i - 1;
    symbols[i].next = i + 1 < count ? i + 1 : -1;
  }

  struct Candidate {
    int32_t rank, pos, new_id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  const auto push = [&](int32_t pos) {
    const int32_t next = symbols[pos].next;
    if (next < 0) return;
    if (const auto it = merges_.find(pair_key(symbols[pos].id, symbols[next].id)); it != merges_.end()) {
      queue.push({it->second.rank, pos, it->second.new_id});
    }
  };
  for (int32_t i = 0; i + 1 < count; ++i) push(i);

  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (!left.alive || left.next < 0) continue;
    const int32_t right_pos = left.next;
    const auto it = merges_.find(pair_key(left.id, symbols[right_pos].id));
    if (it == merges_.end() || it->second.new_id != top.new_id) continue;  // stale entry
    left.id = top.new_id;
    symbols[right_pos].alive = false;
    left.next = symbols[right_pos].next;
    if (left.next >= 0) symbols[left.next].prev = top.pos;
    if (left.prev >= 0) push(left.prev);
    push(top.pos);
  }

  std::vector<int32_t> ids;
  for (const Symbol& s : symbols) {
    if (s.alive) ids.push_back(s.id);
  }
  return ids;
}

}  // namespace soar::tok
