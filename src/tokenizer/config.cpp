#include "tokenizer/config.h"

#include <limits>

#include "core/error.h"

namespace soar::tok {

void Field::fail(std::string_view what) const {
  soar::fail("tokenizer file ", file_->string(), ": field '", path_.empty() ? "<root>" : path_,
             "': ", what);
}

Field Field::operator[](std::string_view key) const {
  std::optional<Field> f = get(key);
  if (!f) {
    const std::string child = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    Field(*value_, *file_, child).fail("is missing");
  }
  return *f;
}

std::optional<Field> Field::get(std::string_view key) const {
  if (!value_->is_object()) fail("expected a JSON object");
  const auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) return std::nullopt;
  return Field(*it, *file_, path_.empty() ? std::string(key) : path_ + "." + std::string(key));
}

Field Field::at(size_t index) const {
  if (!value_->is_array()) fail("expected a JSON array");
  if (index >= value_->size()) fail(cat("has no element ", index));
  return Field((*value_)[index], *file_, cat(path_, "[", index, "]"));
}

size_t Field::size() const {
  if (!value_->is_array() && !value_->is_object()) fail("expected a JSON array or object");
  return value_->size();
}

std::string Field::str() const {
  if (!value_->is_string()) fail(cat("expected a string, got ", value_->type_name()));
  return value_->get<std::string>();
}

bool Field::boolean() const {
  if (!value_->is_boolean()) fail(cat("expected true or false, got ", value_->type_name()));
  return value_->get<bool>();
}

int32_t Field::id() const {
  if (!value_->is_number_integer()) fail(cat("expected an integer token id, got ", value_->type_name()));
  const int64_t v = value_->get<int64_t>();
  if (v < 0 || v > std::numeric_limits<int32_t>::max()) fail(cat("token id ", v, " is out of range"));
  return static_cast<int32_t>(v);
}

}  // namespace soar::tok
