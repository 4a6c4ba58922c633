// config/settings.h: the table of configuration keys behind LoadConfig.
//
// One row per config.json key: its type, where it lives in ConnectorConfig and which environment variables set
// it. Everything else in config/ (layering, `config check`, docs) walks this table, so adding a setting is one
// row here plus its field in edge/runtime/config.h.
#ifndef EDGE_RUNTIME_CONFIG_SETTINGS_H_
#define EDGE_RUNTIME_CONFIG_SETTINGS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "edge/runtime/config.h"

namespace edge::runtime::config {

enum class Kind { kString, kSecret, kBool, kInt, kInt64 };

struct Setting {
  const char* key;  // config.json name, camelCase
  Kind kind;
  std::variant<std::string ConnectorConfig::*, bool ConnectorConfig::*, int ConnectorConfig::*,
               int64_t ConnectorConfig::*>
      field;
  std::vector<std::string> env;  // first one set wins
};

std::span<const Setting> Settings();
const Setting* FindSetting(std::string_view key);

// "heartbeatIntervalMs" -> "EDGE_HEARTBEAT_INTERVAL_MS".
std::string DefaultEnvName(std::string_view key);

// Parses `text` (an environment variable or a flag) into the field of `setting`. `where` names the origin for
// the error ("env HEALTH_PORT").
absl::Status SetFromText(const Setting& setting, std::string_view text, std::string_view where, ConnectorConfig* c);
// The current value as text; secrets "<redacted>" when set.
std::string ValueText(const Setting& setting, const ConnectorConfig& c);
// What a value of this kind looks like, for type errors: "a string", "an integer", "a boolean".
const char* KindName(Kind kind);

// The closest known key to `unknown` (case-insensitive edit distance), or "" when none is close.
std::string SuggestKey(std::string_view unknown);

}  // namespace edge::runtime::config

#endif  // EDGE_RUNTIME_CONFIG_SETTINGS_H_
