// Parsing JSON that comes from outside the program (config.json, tokenizer.json, safetensors
// headers and indexes, mining log lines). nlohmann throws several exception types (a number such as
// 1e99999 is out_of_range, not parse_error), so each caller catching one of them let the others
// escape without the file's name; and copying or printing a parsed value recurses once per level,
// so a file of 100,000 nested brackets parsed fine and then overflowed the stack. Here every
// problem is a soar::Error naming the source, and nesting is bounded before anything recurses.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace soar {

struct JsonRules {
  int max_depth = 64;                  // arrays and objects inside one another
  bool reject_duplicate_keys = false;  // nlohmann (like Python) otherwise keeps the last one
};

// Errors read "<where>: <what> is not valid JSON: ...", "<where>: <what> nests deeper than N levels",
// "<where>: <what> has duplicate key "k""; without `what`, "<where>: not valid JSON: ...", and
// without either, "not valid JSON: ..." (for a caller that names the line itself).
nlohmann::json parse_json(std::string_view text, std::string_view where, std::string_view what = {},
                          JsonRules rules = {});

}  // namespace soar
