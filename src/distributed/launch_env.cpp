#include "distributed/launch_env.h"

#include <cstdlib>

#include "core/error.h"

namespace soar::dist {
namespace {

int parse_int(const std::string& name, const std::string& text, int min_value, int max_value) {
  std::size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || value < min_value || value > max_value) {
    fail("environment variable ", name, "='", text, "' is not an integer in [", min_value, ", ", max_value, "]");
  }
  return static_cast<int>(value);
}

}  // namespace

LaunchEnv launch_env_from(const EnvLookup& lookup) {
  LaunchEnv env;
  auto rank = lookup("RANK");
  auto world = lookup("WORLD_SIZE");
  if (!rank && !world) return env;
  if (!rank || !world) fail("set both RANK and WORLD_SIZE (only ", rank ? "RANK" : "WORLD_SIZE", " is set)");
  env.world_size = parse_int("WORLD_SIZE", *world, 1, 1 << 20);
  env.rank = parse_int("RANK", *rank, 0, env.world_size - 1);
  if (auto local = lookup("LOCAL_RANK")) env.local_rank = parse_int("LOCAL_RANK", *local, 0, env.world_size - 1);
  if (auto addr = lookup("MASTER_ADDR")) {
    if (addr->empty()) fail("environment variable MASTER_ADDR is empty");
    env.master_addr = *addr;
  }
  if (auto port = lookup("MASTER_PORT")) env.master_port = parse_int("MASTER_PORT", *port, 1, 65535);
  if (auto agent = lookup("TORCHELASTIC_USE_AGENT_STORE")) env.launcher_hosts_store = (*agent == "True" || *agent == "1");
  return env;
}

LaunchEnv launch_env_from_environment() {
  return launch_env_from([](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

std::chrono::milliseconds collective_timeout_from_environment() {
  const char* text = std::getenv("SOAR_DIST_TIMEOUT");
  if (text == nullptr || *text == '\0') return std::chrono::seconds(600);
  char* end = nullptr;
  double seconds = std::strtod(text, &end);
  if (*end != '\0' || !(seconds > 0)) fail("SOAR_DIST_TIMEOUT='", text, "' is not a positive number of seconds");
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

}  // namespace soar::dist
