#include "tokenizer/tokenizer_files.h"

#include "core/error.h"
#include "core/json.h"
#include "core/read_file.h"

namespace soar {

void copy_tokenizer_files(const std::filesystem::path& from_dir, const std::filesystem::path& to_dir) {
  for (const char* name :
       {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"}) {
    if (std::filesystem::exists(from_dir / name)) {
      std::filesystem::copy_file(from_dir / name, to_dir / name, std::filesystem::copy_options::overwrite_existing);
    }
  }
}

namespace {

// A special token as tokenizer_config.json writes it: "text", {"content": "text", ...} or null.
std::optional<std::string> token_text(const nlohmann::json& config, const char* field, const std::string& file) {
  const auto it = config.find(field);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
    return (*it)["content"].get<std::string>();
  fail(file, ": ", field, " must be a string or an object with a string \"content\"");
}

std::string template_from_list(const nlohmann::json& list, const std::string& file) {
  for (size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& entry = list[i];
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() || !entry.contains("template") ||
        !entry["template"].is_string()) {
      fail(file, ": chat_template[", i, "] must be an object with string \"name\" and \"template\"");
    }
    if (entry["name"] == "default") return entry["template"].get<std::string>();
  }
  fail(file, ": chat_template is a list of templates with none named \"default\" ",
       "(choose a format with --chat NAME, or --chat none)");
}

}  // namespace

std::optional<ChatTemplate> read_chat_template(const std::filesystem::path& dir) {
  const std::filesystem::path config_file = dir / "tokenizer_config.json", jinja_file = dir / "chat_template.jinja";
  const std::string config_name = config_file.string();
  nlohmann::json config = nlohmann::json::object();
  if (std::filesystem::exists(config_file)) {
    config = parse_json(read_whole_file(config_file), config_name);
    if (!config.is_object()) fail(config_name, ": not a JSON object");
  }
  const std::optional<std::string> bos = token_text(config, "bos_token", config_name);
  if (std::filesystem::exists(jinja_file)) return ChatTemplate{read_whole_file(jinja_file), jinja_file.string(), bos};
  const auto it = config.find("chat_template");
  if (it == config.end() || it->is_null()) return std::nullopt;
  const std::string where = config_name + ": chat_template";
  if (it->is_string()) return ChatTemplate{it->get<std::string>(), where, bos};
  if (it->is_array()) return ChatTemplate{template_from_list(*it, config_name), where + " \"default\"", bos};
  fail(config_name, ": chat_template must be a string or a list of {\"name\", \"template\"}, not ", it->type_name());
}

}  // namespace soar
