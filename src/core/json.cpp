#include "core/json.h"

#include <set>
#include <vector>

#include "core/error.h"

namespace soar {

nlohmann::json parse_json(std::string_view text, std::string_view where, std::string_view what, JsonRules rules) {
  using json = nlohmann::json;
  // "<where>: <what> nests ...", "<where>: nests ..." without `what`, "nests ..." without either.
  const std::string lead = cat(where, where.empty() || what.empty() ? "" : ": ", what);
  const char* sep = lead.empty() ? "" : what.empty() ? ": " : " ";
  std::vector<std::set<std::string>> open_objects;
  auto check = [&](int depth, json::parse_event_t event, json& parsed) {
    using E = json::parse_event_t;
    if ((event == E::object_start || event == E::array_start) && depth >= rules.max_depth)
      fail(lead, sep, "nests deeper than ", rules.max_depth, " levels");
    if (!rules.reject_duplicate_keys) return true;
    if (event == E::object_start) open_objects.emplace_back();
    if (event == E::object_end) open_objects.pop_back();
    if (event == E::key && !open_objects.back().insert(parsed.get<std::string>()).second)
      fail(lead, sep, "has duplicate key \"", parsed.get<std::string>(), "\"",
           open_objects.size() == 1 ? "" : " (inside a nested object)");
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), check);
  } catch (const json::exception& e) {
    fail(lead, sep, what.empty() ? "" : "is ", "not valid JSON: ", e.what());
  }
}

}  // namespace soar
