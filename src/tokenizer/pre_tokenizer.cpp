#include "tokenizer/pre_tokenizer.h"

#include <utility>

#include "core/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/regex.h"

namespace soar::tok {

namespace {

// With behavior "Isolated" every match becomes its own piece, and so does every gap between them.
void split_isolated(const Regex& regex, std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  std::vector<std::pair<size_t, size_t>> matches;
  for (const std::string& piece : pieces) {
    matches.clear();
    regex.find_all(piece, matches);
    size_t prev = 0;
    for (const auto& [begin, end] : matches) {
      if (begin > prev) out.push_back(piece.substr(prev, begin - prev));
      if (end > begin) out.push_back(piece.substr(begin, end - begin));
      prev = end;
    }
    if (prev < piece.size()) out.push_back(piece.substr(prev));
  }
  pieces = std::move(out);
}

class Split final : public PreTokenizer {
 public:
  explicit Split(const Field& config) {
    const Field pattern = config["pattern"];
    const std::optional<Field> regex = pattern.get("Regex");
    const std::optional<Field> literal = pattern.get("String");
    if (!regex && !literal) pattern.fail("expected {\"Regex\": ...} or {\"String\": ...}");
    const Field& source = regex ? *regex : *literal;
    try {
      regex_ = std::make_unique<Regex>(source.str(), !regex);
    } catch (const Error& e) {
      source.fail(e.what());
    }
    const Field behavior = config["behavior"];
    if (behavior.str() != "Isolated") behavior.fail("unsupported Split behavior '" + behavior.str() + "' (supported: Isolated)");
    if (const auto invert = config.get("invert"); invert && invert->boolean()) invert->fail("inverted Split is not supported");
  }

  void apply(std::vector<std::string>& pieces) const override { split_isolated(*regex_, pieces); }

 private:
  std::unique_ptr<Regex> regex_;
};

// Maps bytes to GPT-2's printable alphabet; optionally first adds a leading space to each piece and
// splits it with GPT-2's own regex (use_regex), exactly in HF's order.
class ByteLevel final : public PreTokenizer {
 public:
  explicit ByteLevel(const Field& config) {
    if (const auto f = config.get("add_prefix_space")) add_prefix_space_ = f->boolean();
    if (const auto f = config.get("use_regex")) use_regex_ = f->boolean();
    if (use_regex_) {
      regex_ = std::make_unique<Regex>(
          R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)", false);
    }
  }

  void apply(std::vector<std::string>& pieces) const override {
    if (add_prefix_space_) {
      for (std::string& piece : pieces) {
        if (piece.empty() || piece.front() != ' ') piece.insert(piece.begin(), ' ');
      }
    }
    if (use_regex_) split_isolated(*regex_, pieces);
    std::string mapped;
    for (std::string& piece : pieces) {
      mapped.clear();
      bytes_to_byte_level(piece, mapped);
      piece.swap(mapped);
    }
  }

 private:
  bool add_prefix_space_ = true;  // HF's defaults
  bool use_regex_ = true;
  std::unique_ptr<Regex> regex_;
};

class Sequence final : public PreTokenizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void apply(std::vector<std::string>& pieces) const override {
    for (const auto& step : steps_) step->apply(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const std::optional<Field>& config) {
  if (!config) return nullptr;
  const std::string type = config->type();
  if (type == "Split") return std::make_unique<Split>(*config);
  if (type == "ByteLevel") return std::make_unique<ByteLevel>(*config);
  if (type == "Sequence") {
    const Field list = (*config)["pretokenizers"];
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      if (auto step = make_pre_tokenizer(list.at(i))) steps.push_back(std::move(step));
    }
    return std::make_unique<Sequence>(std::move(steps));
  }
  (*config)["type"].fail("unsupported pre-tokenizer type '" + type + "' (supported: Sequence, Split, ByteLevel)");
}

}  // namespace soar::tok
