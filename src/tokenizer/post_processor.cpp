#include "tokenizer/post_processor.h"

#include "core/error.h"

namespace soar::tok {

PostProcessor::PostProcessor(const std::optional<Field>& config) {
  if (config) add(*config);
}

void PostProcessor::add(const Field& config) {
  const std::string type = config.type();
  if (type == "ByteLevel") return;
  if (type == "Sequence") {
    const Field list = config["processors"];
    for (size_t i = 0; i < list.size(); ++i) add(list.at(i));
    return;
  }
  if (type != "TemplateProcessing") {
    config["type"].fail("unsupported post-processor type '" + type + "' (supported: ByteLevel, TemplateProcessing, Sequence)");
  }
  const Field single = config["single"];
  const Field special_tokens = config["special_tokens"];
  Template t;
  bool seen_sequence = false;
  for (size_t i = 0; i < single.size(); ++i) {
    const Field item = single.at(i);
    if (const auto seq = item.get("Sequence")) {
      if ((*seq)["id"].str() != "A" || seen_sequence) (*seq)["id"].fail("a single-sequence template must use $A exactly once");
      seen_sequence = true;
    } else if (const auto special = item.get("SpecialToken")) {
      const Field name = (*special)["id"];
      const auto entry = special_tokens.get(name.str());
      if (!entry) name.fail("special token '" + name.str() + "' is not listed in special_tokens");
      const Field ids = (*entry)["ids"];
      for (size_t k = 0; k < ids.size(); ++k) (seen_sequence ? t.after : t.before).push_back(ids.at(k).id());
    } else {
      item.fail("expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
    }
  }
  if (!seen_sequence) single.fail("the template has no $A");
  templates_.push_back(std::move(t));
}

std::vector<int32_t> PostProcessor::apply(std::vector<int32_t> ids) const {
  for (const Template& t : templates_) {
    std::vector<int32_t> out(t.before);
    out.insert(out.end(), ids.begin(), ids.end());
    out.insert(out.end(), t.after.begin(), t.after.end());
    ids = std::move(out);
  }
  return ids;
}

void PostProcessor::check_ids(int32_t vocab_size, const std::filesystem::path& file) const {
  for (const Template& t : templates_) {
    for (const auto* list : {&t.before, &t.after}) {
      for (const int32_t id : *list) {
        if (id >= vocab_size) fail("tokenizer file ", file.string(), ": field 'post_processor': template id ", id, " is not a token");
      }
    }
  }
}

}  // namespace soar::tok
