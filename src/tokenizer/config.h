// Read access to tokenizer.json that turns every problem into a soar::Error naming the file and the
// JSON field (e.g. "pre_tokenizer.pretokenizers[1].type"), so a bad file is diagnosed, not crashed on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace soar::tok {

class Field {
 public:
  Field(const nlohmann::json& value, const std::filesystem::path& file, std::string path)
      : value_(&value), file_(&file), path_(std::move(path)) {}

  // The member `key` of this object; fails if this is not an object or the member is absent.
  Field operator[](std::string_view key) const;
  // The member `key`, or nullopt when it is absent or null.
  std::optional<Field> get(std::string_view key) const;
  Field at(size_t index) const;
  size_t size() const;  // of an array or object; fails otherwise

  std::string str() const;
  bool boolean() const;
  int32_t id() const;  // a token id: integer in [0, INT32_MAX]
  bool is_string() const { return value_->is_string(); }
  bool is_array() const { return value_->is_array(); }
  bool is_object() const { return value_->is_object(); }

  const nlohmann::json& json() const { return *value_; }
  const std::filesystem::path& file() const { return *file_; }
  const std::string& path() const { return path_; }

  // The "type" member of a component, checked to be a string.
  std::string type() const { return (*this)["type"].str(); }

  [[noreturn]] void fail(std::string_view what) const;

 private:
  const nlohmann::json* value_;
  const std::filesystem::path* file_;
  std::string path_;
};

}  // namespace soar::tok
