// Loads tokenizer.json into the pipeline stages and runs them in HF's order:
// added tokens -> normalizer -> (normalized added tokens) -> pre-tokenizer -> BPE -> post-processor.
#include "tokenizer/tokenizer.h"

#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json.h"
#include "core/read_file.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/config.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/utf8.h"

namespace soar {

using tok::Field;

struct Tokenizer::Impl {
  std::filesystem::path file;
  std::unique_ptr<tok::Normalizer> normalizer;
  std::unique_ptr<tok::PreTokenizer> pre_tokenizer;
  std::unique_ptr<tok::Bpe> model;
  std::vector<tok::AddedToken> added;  // never resized after the matchers point into it
  tok::AddedTokenMatcher raw_matcher, normalized_matcher;
  tok::PostProcessor post_processor;
  bool byte_level_decoder = false;  // else HF's default: tokens joined by spaces

  std::vector<std::string> tokens;  // by id; empty where no token has that id
  std::vector<uint8_t> special;     // by id
  std::unordered_map<std::string, int32_t> added_ids;

  void encode_text(std::string_view text, std::vector<int32_t>& ids) const;
};

namespace {

tok::AddedToken parse_added_token(const Field& f) {
  tok::AddedToken t;
  t.id = f["id"].id();
  t.content = f["content"].str();
  const auto flag = [&](const char* name) { const auto v = f.get(name); return v && v->boolean(); };
  t.special = flag("special");
  t.single_word = flag("single_word");
  t.lstrip = flag("lstrip");
  t.rstrip = flag("rstrip");
  t.normalized = flag("normalized");
  return t;
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_file(const std::filesystem::path& path) {
  auto impl = std::make_unique<Impl>();
  impl->file = path;
  const nlohmann::json json = parse_json(read_whole_file(path), cat("tokenizer file ", path.string()));
  const Field root(json, impl->file, "");
  if (!json.is_object()) root.fail("expected a JSON object");
  for (const char* unsupported : {"truncation", "padding"}) {
    if (const auto f = root.get(unsupported)) f->fail("is not supported (must be null)");
  }

  impl->normalizer = tok::make_normalizer(root.get("normalizer"));
  impl->pre_tokenizer = tok::make_pre_tokenizer(root.get("pre_tokenizer"));

  const Field model = root["model"];
  if (const std::string type = model.type(); type != "BPE") {
    model["type"].fail("unsupported model type '" + type + "' (supported: BPE)");
  }
  impl->model = std::make_unique<tok::Bpe>(model);
  impl->post_processor = tok::PostProcessor(root.get("post_processor"));

  if (const auto decoder = root.get("decoder")) {
    if (const std::string type = decoder->type(); type != "ByteLevel") {
      (*decoder)["type"].fail("unsupported decoder type '" + type + "' (supported: ByteLevel)");
    }
    impl->byte_level_decoder = true;
  }

  // The id -> token table covers the model vocab and the added tokens.
  const auto set_token = [&](int32_t id, const std::string& token) {
    if (static_cast<size_t>(id) >= impl->tokens.size()) {
      impl->tokens.resize(static_cast<size_t>(id) + 1);
      impl->special.resize(static_cast<size_t>(id) + 1);
    }
    impl->tokens[id] = token;
  };
  for (const auto& [token, id] : impl->model->vocab()) set_token(id, token);

  if (const auto list = root.get("added_tokens")) {
    for (size_t i = 0; i < list->size(); ++i) impl->added.push_back(parse_added_token(list->at(i)));
  }
  for (const tok::AddedToken& t : impl->added) {
    set_token(t.id, t.content);
    impl->special[t.id] = t.special;
    impl->added_ids[t.content] = t.id;
    if (t.normalized && impl->normalizer) {
      impl->normalized_matcher.add(t, impl->normalizer->normalize(t.content));
    } else if (t.normalized) {
      impl->normalized_matcher.add(t, t.content);
    } else {
      impl->raw_matcher.add(t, t.content);
    }
  }
  impl->post_processor.check_ids(static_cast<int32_t>(impl->tokens.size()), impl->file);
  return Tokenizer(std::move(impl));
}

void Tokenizer::Impl::encode_text(std::string_view text, std::vector<int32_t>& ids) const {
  std::vector<tok::Segment> raw_segments, segments;
  raw_matcher.split(text, raw_segments);
  std::vector<std::string> pieces;
  for (const tok::Segment& raw : raw_segments) {
    if (raw.id >= 0) {
      ids.push_back(raw.id);
      continue;
    }
    const std::string normalized = normalizer ? normalizer->normalize(raw.text) : std::string(raw.text);
    segments.clear();
    normalized_matcher.split(normalized, segments);
    for (const tok::Segment& seg : segments) {
      if (seg.id >= 0) {
        ids.push_back(seg.id);
        continue;
      }
      pieces.assign(1, std::string(seg.text));
      if (pre_tokenizer) pre_tokenizer->apply(pieces);
      for (const std::string& word : pieces) model->encode_word(word, ids);
    }
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  if (const auto bad = first_invalid_utf8(text)) {
    fail("Tokenizer::encode: input is not valid UTF-8 (byte ", *bad, ")");
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  impl_->encode_text(text, ids);
  if (add_special_tokens) ids = impl_->post_processor.apply(std::move(ids));
  return ids;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  std::vector<std::string_view> tokens;
  tokens.reserve(ids.size());
  for (const int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= impl_->tokens.size() || impl_->tokens[id].empty()) {
      fail("Tokenizer::decode: id ", id, " names no token in ", impl_->file.string());
    }
    if (skip_special_tokens && impl_->special[id]) continue;
    tokens.push_back(impl_->tokens[id]);
  }
  if (impl_->byte_level_decoder) return tok::byte_level_decode(tokens);
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) out += ' ';
    out += tokens[i];
  }
  return out;
}

int32_t Tokenizer::vocab_size() const { return static_cast<int32_t>(impl_->tokens.size()); }

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  const std::string key(token);
  if (const auto it = impl_->added_ids.find(key); it != impl_->added_ids.end()) return it->second;
  if (const auto it = impl_->model->vocab().find(key); it != impl_->model->vocab().end()) return it->second;
  return std::nullopt;
}

std::string Tokenizer::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->tokens.size() || impl_->tokens[id].empty()) {
    fail("Tokenizer::id_to_token: id ", id, " names no token in ", impl_->file.string());
  }
  return impl_->tokens[id];
}

bool Tokenizer::is_special(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < impl_->special.size() && impl_->special[id];
}

}  // namespace soar
