// LoadConfig: defaults < provisioning.json < config.json < deployment-credentials.json < env < flags.
#include "edge/runtime/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "edge/protocol/messages.h"
#include "config/files.h"
#include "config/settings.h"
#include "edge/runtime/log.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"

extern char** environ;

namespace edge::runtime {
namespace {

namespace fs = std::filesystem;
using config::Kind;
using config::Setting;

constexpr char kCredentialsSource[] = "deployment-credentials.json";

// One optional JSON file, parsed once.
struct JsonFile {
  std::string name;  // the source name: "config.json"
  std::string path;
  bool present = false;
  rapidjson::Document doc;
};

struct Layered {
  ConnectorConfig config;
  std::map<std::string, std::string> sources;  // key -> source; absent: "default"
  std::vector<std::string> warnings;
};

absl::Status ReadJsonFile(const std::string& name, const std::string& path, JsonFile* out) {
  out->name = name;
  out->path = path;
  std::string contents;
  if (int err = config::ReadSmallFile(path, &contents); err != 0) {
    if (err == ENOENT) return absl::OkStatus();  // every file is optional
    return absl::FailedPreconditionError(
        absl::StrCat(name, ": cannot read ", path, ": ", std::strerror(err), "; fix its permissions or remove it"));
  }
  out->present = true;
  out->doc.Parse(contents.c_str(), contents.size());
  if (out->doc.HasParseError()) {
    size_t offset = out->doc.GetErrorOffset(), line = 1, column = 1;
    for (size_t i = 0; i < offset && i < contents.size(); ++i) {
      if (contents[i] == '\n') ++line, column = 1;
      else ++column;
    }
    return absl::InvalidArgumentError(absl::StrFormat("%s is not valid JSON (%s, line %d, column %d): %s", name, path,
                                                      line, column, rapidjson::GetParseError_En(out->doc.GetParseError())));
  }
  if (!out->doc.IsObject()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " (", path, ") must hold a JSON object, e.g. {\"toolRpcUrl\": \"wss://example.com/\"}"));
  }
  return absl::OkStatus();
}

const char* JsonTypeName(const rapidjson::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsString()) return "a string";
  if (v.IsArray()) return "an array";
  if (v.IsObject()) return "an object";
  if (v.IsInt64()) return "an integer out of range";
  return "a number with a fraction";
}

absl::Status SetFromJson(const Setting& s, const rapidjson::Value& v, const JsonFile& file, ConnectorConfig* c) {
  using C = ConnectorConfig;
  bool ok = false;
  switch (s.kind) {
    case Kind::kString:
    case Kind::kSecret:
      if ((ok = v.IsString())) c->*std::get<std::string C::*>(s.field) = std::string(v.GetString(), v.GetStringLength());
      break;
    case Kind::kBool:
      if ((ok = v.IsBool())) c->*std::get<bool C::*>(s.field) = v.GetBool();
      break;
    case Kind::kInt:
      if ((ok = v.IsInt())) c->*std::get<int C::*>(s.field) = v.GetInt();
      break;
    case Kind::kInt64:
      if ((ok = v.IsInt64())) c->*std::get<int64_t C::*>(s.field) = v.GetInt64();
      break;
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(file.name, " (", file.path, "): \"", s.key, "\" must be ",
                                                 config::KindName(s.kind), ", not ", JsonTypeName(v)));
}

std::string UnknownKeyWarning(const std::string& where, std::string_view key) {
  std::string w = absl::StrCat(where, ": unknown key \"", ToAbsl(key), "\" ignored");
  std::string suggestion = config::SuggestKey(key);
  if (!suggestion.empty()) absl::StrAppend(&w, "; did you mean \"", suggestion, "\"?");
  return w;
}

absl::Status ApplyJsonFile(const JsonFile& file, Layered* out) {
  if (!file.present) return absl::OkStatus();
  for (const auto& member : file.doc.GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    if (member.value.IsNull() || absl::StartsWith(ToAbsl(key), "$")) continue;  // null: unset; "$schema"
    const Setting* s = config::FindSetting(key);
    if (s == nullptr) {
      out->warnings.push_back(UnknownKeyWarning(absl::StrCat(file.name, " (", file.path, ")"), key));
      continue;
    }
    if (auto st = SetFromJson(*s, member.value, file, &out->config); !st.ok()) return st;
    out->sources[s->key] = file.name;
  }
  return absl::OkStatus();
}

absl::Status ApplyCredentialsFile(const JsonFile& file, Layered* out) {
  if (!file.present) return absl::OkStatus();
  for (const auto& member : file.doc.GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    if (key != "deploymentId" && key != "deploymentSecret") {
      out->warnings.push_back(absl::StrCat(file.name, " (", file.path, "): unknown key \"", ToAbsl(key),
                                           "\" ignored; it holds only deploymentId and deploymentSecret"));
      continue;
    }
    if (member.value.IsNull()) continue;
    const Setting* s = config::FindSetting(key);
    if (auto st = SetFromJson(*s, member.value, file, &out->config); !st.ok()) return st;
    out->sources[s->key] = file.name;
  }
  struct stat st;
  if (stat(file.path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    out->warnings.push_back(absl::StrFormat("%s has mode %04o and holds a secret: run `chmod 600 %s`", file.path,
                                            st.st_mode & 07777, file.path));
  }
  return absl::OkStatus();
}

absl::Status ApplyEnv(const std::map<std::string, std::string>& env, Layered* out) {
  for (const Setting& s : config::Settings()) {
    for (const std::string& name : s.env) {
      auto it = env.find(name);
      if (it == env.end() || it->second.empty()) continue;  // an empty variable counts as unset
      std::string source = "env " + name;
      if (auto st = config::SetFromText(s, it->second, source, &out->config); !st.ok()) return st;
      out->sources[s.key] = source;
      break;
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyOverrides(const std::map<std::string, std::string>& overrides, Layered* out) {
  for (const auto& [key, value] : overrides) {
    const Setting* s = config::FindSetting(key);
    if (s == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown setting --", key));
    std::string source = "flag --" + key;
    if (auto st = config::SetFromText(*s, value, source, &out->config); !st.ok()) return st;
    out->sources[s->key] = source;
  }
  return absl::OkStatus();
}

std::string Resolve(const std::string& install_dir, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(install_dir) / path).lexically_normal().string();
}

// Defaults that depend on other settings, and relative paths made absolute.
void Derive(Layered* l) {
  ConnectorConfig& c = l->config;
  const std::string& dir = c.install_dir;
  if (c.auth_token_path.empty()) c.auth_token_path = "auth-token.json";
  if (c.deployment_credentials_path.empty()) c.deployment_credentials_path = "deployment-credentials.json";
  if (c.custom_implementations_path.empty()) c.custom_implementations_path = "dist";
  c.auth_token_path = Resolve(dir, c.auth_token_path);
  c.deployment_credentials_path = Resolve(dir, c.deployment_credentials_path);
  c.custom_implementations_path = Resolve(dir, c.custom_implementations_path);
  c.ca_file = Resolve(dir, c.ca_file);
  c.bundle_trusted_keys_path = Resolve(dir, c.bundle_trusted_keys_path);
  c.connector_type = absl::AsciiStrToUpper(c.connector_type);
  if (!l->sources.contains("healthHost") && c.connector_type == "DESKTOP") c.health_host = "127.0.0.1";
  c.webhook_forward_header_list.clear();
  for (absl::string_view name : absl::StrSplit(c.webhook_forward_headers, ',')) {
    name = absl::StripAsciiWhitespace(name);
    if (!name.empty()) c.webhook_forward_header_list.push_back(absl::AsciiStrToLower(name));
  }
}

// The webhook relay's keys (docs/webhook-relay.md section 2).
absl::Status ValidateWebhookRelay(const ConnectorConfig& c, const std::function<std::string(const char*)>& from) {
  if (c.webhook_relay_port < 0 || c.webhook_relay_port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(from("webhookRelayPort"), " is ", c.webhook_relay_port,
                                                   ": use a port from 0 to 65535 (0 picks a free port)"));
  }
  const std::string& url = c.webhook_relay_public_url;
  if (!url.empty() && !absl::StartsWith(url, "http://") && !absl::StartsWith(url, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat(from("webhookRelayPublicUrl"), " is '", url,
                                                   "': it must start with http:// or https://, e.g. "
                                                   "https://hooks.example.com (WEBHOOK_RELAY_PUBLIC_URL)"));
  }
  if (c.webhook_max_body_bytes > protocol::kWebhookMaxBodyBytesLimit) {
    return absl::InvalidArgumentError(absl::StrCat(from("webhookMaxBodyBytes"), " is ", c.webhook_max_body_bytes,
                                                   ": the most is ", protocol::kWebhookMaxBodyBytesLimit,
                                                   " (2 MiB), so a delivery fits in one link message"));
  }
  for (const std::string& name : c.webhook_forward_header_list) {
    const bool token = std::all_of(name.begin(), name.end(), [](char ch) {
      return absl::ascii_isalnum(static_cast<unsigned char>(ch)) || std::strchr("!#$%&'*+-.^_`|~", ch) != nullptr;
    });
    if (!token) {
      return absl::InvalidArgumentError(absl::StrCat(from("webhookForwardHeaders"), " has '", name,
                                                     "', which is not a header name: list names separated by "
                                                     "commas, e.g. X-GitHub-Event,X-Request-Id"));
    }
    if (name == "authorization" || name == "cookie") {
      return absl::InvalidArgumentError(absl::StrCat(from("webhookForwardHeaders"), " lists '", name,
                                                     "': Authorization and Cookie are never relayed; remove it"));
    }
  }
  return absl::OkStatus();
}

// Everything but the credentials file, whose path may itself come from any layer.
absl::Status Layer(const ConfigInputs& inputs, const std::string& install_dir, const JsonFile& provisioning,
                   const JsonFile& config_json, const JsonFile* credentials, Layered* out) {
  out->config.install_dir = install_dir;
  if (auto st = ApplyJsonFile(provisioning, out); !st.ok()) return st;
  if (auto st = ApplyJsonFile(config_json, out); !st.ok()) return st;
  if (credentials != nullptr) {
    if (auto st = ApplyCredentialsFile(*credentials, out); !st.ok()) return st;
  }
  if (auto st = ApplyEnv(inputs.env, out); !st.ok()) return st;
  if (auto st = ApplyOverrides(inputs.overrides, out); !st.ok()) return st;
  Derive(out);
  return absl::OkStatus();
}

std::string SourceOf(const Layered& l, const char* key) {
  auto it = l.sources.find(key);
  return it == l.sources.end() ? "default" : it->second;
}

absl::Status Validate(const Layered& l) {
  const ConnectorConfig& c = l.config;
  auto from = [&](const char* key) { return absl::StrCat(key, " (from ", SourceOf(l, key), ")"); };
  if (c.connector_type != "SERVER" && c.connector_type != "DESKTOP") {
    return absl::InvalidArgumentError(absl::StrCat(from("connectorType"), " is '", c.connector_type,
                                                   "': use SERVER or DESKTOP"));
  }
  if (!absl::StartsWith(c.tool_rpc_url, "ws://") && !absl::StartsWith(c.tool_rpc_url, "wss://")) {
    return absl::InvalidArgumentError(absl::StrCat(from("toolRpcUrl"), " is '", c.tool_rpc_url,
                                                   "': it must start with ws:// or wss://, e.g. "
                                                   "wss://platform.example.com/tool-rpc (TOOL_RPC_URL)"));
  }
  if (!absl::StartsWith(c.platform_api_url, "http://") && !absl::StartsWith(c.platform_api_url, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat(from("platformApiUrl"), " is '", c.platform_api_url,
                                                   "': it must start with http:// or https://, e.g. "
                                                   "https://platform.example.com/ (PLATFORM_API_URL)"));
  }
  if (c.health_port < 0 || c.health_port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(from("healthPort"), " is ", c.health_port,
                                                   ": use a port from 0 to 65535 (0 picks a free port)"));
  }
  if (c.health_host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(from("healthHost"), " is empty: use an address such as 0.0.0.0 "
                                                                       "or 127.0.0.1"));
  }
  LogLevel level;
  if (!ParseLogLevel(c.log_level, &level)) {
    return absl::InvalidArgumentError(absl::StrCat(from("logLevel"), " is '", c.log_level,
                                                   "': use trace, debug, info, warn, error or off"));
  }
  for (const Setting& s : config::Settings()) {
    bool positive = true;
    if (s.kind == Kind::kInt64) positive = c.*std::get<int64_t ConnectorConfig::*>(s.field) > 0;
    if (s.kind == Kind::kInt && std::string_view(s.key) == "maxConcurrentCalls") positive = c.max_concurrent_calls > 0;
    if (!positive) {
      return absl::InvalidArgumentError(absl::StrCat(from(s.key), " is ", config::ValueText(s, c),
                                                     ": it must be greater than 0"));
    }
  }
  if (c.max_queued_calls < 0) {
    return absl::InvalidArgumentError(absl::StrCat(from("maxQueuedCalls"), " is ", c.max_queued_calls,
                                                   ": use 0 (no queue) or more"));
  }
  auto order = [&](const char* low, int64_t lv, const char* high, int64_t hv, bool strict) -> absl::Status {
    if (strict ? hv > lv : hv >= lv) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(from(high), " is ", hv, " but must be ", strict ? "greater than" :
                                                   "at least", " ", from(low), ", which is ", lv));
  };
  if (auto st = order("heartbeatIntervalMs", c.heartbeat_interval_ms, "heartbeatTimeoutMs", c.heartbeat_timeout_ms,
                      true);
      !st.ok()) {
    return st;
  }
  if (auto st = order("reconnectInitialMs", c.reconnect_initial_ms, "reconnectMaxMs", c.reconnect_max_ms, false);
      !st.ok()) {
    return st;
  }
  if (auto st = order("slowBackoffInitialMs", c.slow_backoff_initial_ms, "slowBackoffMaxMs", c.slow_backoff_max_ms,
                      false);
      !st.ok()) {
    return st;
  }
  if (auto st = order("bundleRetryInitialMs", c.bundle_retry_initial_ms, "bundleRetryMaxMs", c.bundle_retry_max_ms,
                      false);
      !st.ok()) {
    return st;
  }
  if (c.bundle_keep_generations < 2) {
    return absl::InvalidArgumentError(absl::StrCat(from("bundleKeepGenerations"), " is ", c.bundle_keep_generations,
                                                   ": use 2 or more (the serving generation and the previous one, "
                                                   "kept for rollback)"));
  }
  const std::string& pause = c.test_bundle_pause_at;
  if (!pause.empty() && pause != "download" && pause != "extract" && pause != "swap") {
    return absl::InvalidArgumentError(absl::StrCat(from("testBundlePauseAt"), " is '", pause,
                                                   "': use download, extract or swap (a test hook), or leave it empty"));
  }
  return ValidateWebhookRelay(c, from);
}

}  // namespace

absl::StatusOr<LoadedConfig> LoadConfig(const ConfigInputs& inputs) {
  std::error_code ec;
  fs::path dir = inputs.install_dir.empty() ? fs::current_path(ec) : fs::absolute(inputs.install_dir, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot resolve the install directory: ", ec.message()));
  std::string install_dir = dir.lexically_normal().string();
  if (install_dir.size() > 1 && install_dir.back() == '/') install_dir.pop_back();

  JsonFile provisioning, config_json, credentials;
  if (auto st = ReadJsonFile("provisioning.json", install_dir + "/provisioning.json", &provisioning); !st.ok()) return st;
  if (auto st = ReadJsonFile("config.json", install_dir + "/config.json", &config_json); !st.ok()) return st;

  Layered first;
  if (auto st = Layer(inputs, install_dir, provisioning, config_json, nullptr, &first); !st.ok()) return st;
  if (auto st = ReadJsonFile(kCredentialsSource, first.config.deployment_credentials_path, &credentials); !st.ok()) {
    return st;
  }
  Layered l;
  if (auto st = Layer(inputs, install_dir, provisioning, config_json, &credentials, &l); !st.ok()) return st;
  if (auto st = Validate(l); !st.ok()) return st;
  l.config.deployment_id_source = l.config.deployment_id.empty() ? "" : SourceOf(l, "deploymentId");

  LoadedConfig loaded;
  loaded.entries.push_back({"installDir", install_dir, inputs.install_dir.empty() ? "current directory" : "command line"});
  for (const Setting& s : config::Settings()) {
    loaded.entries.push_back({s.key, config::ValueText(s, l.config), SourceOf(l, s.key)});
  }
  loaded.config = std::move(l.config);
  loaded.warnings = std::move(l.warnings);
  return loaded;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

}  // namespace edge::runtime
