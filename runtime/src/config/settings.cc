// The configuration key table and the text conversions shared by every layer.
#include "config/settings.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "edge/runtime/log.h"

namespace edge::runtime::config {
namespace {

using C = ConnectorConfig;

std::vector<Setting> MakeSettings() {
  // Product keys keep the environment names existing deployments use; our own keys get EDGE_<SNAKE> (added
  // below when `env` is empty).
  return {
      {"toolRpcUrl", Kind::kString, &C::tool_rpc_url, {"TOOL_RPC_URL", "NEXT_PUBLIC_TOOL_RPC_URL"}},
      {"platformApiUrl", Kind::kString, &C::platform_api_url, {"PLATFORM_API_URL", "NEXT_PUBLIC_PLATFORM_API_URL"}},
      {"authTokenPath", Kind::kString, &C::auth_token_path, {"AUTH_TOKEN_PATH"}},
      {"deploymentCredentialsPath", Kind::kString, &C::deployment_credentials_path, {"DEPLOYMENT_CREDENTIALS_PATH"}},
      {"deploymentId", Kind::kString, &C::deployment_id, {"DEPLOYMENT_ID"}},
      {"deploymentSecret", Kind::kSecret, &C::deployment_secret, {"DEPLOYMENT_SECRET"}},
      {"customImplementationsPath", Kind::kString, &C::custom_implementations_path, {"CUSTOM_IMPLEMENTATIONS_PATH"}},
      {"connectorType", Kind::kString, &C::connector_type, {}},
      {"disableTray", Kind::kBool, &C::disable_tray, {"EC_DISABLE_TRAY"}},
      {"disableAutostart", Kind::kBool, &C::disable_autostart, {"EC_DISABLE_AUTOSTART"}},
      {"healthHost", Kind::kString, &C::health_host, {"HEALTH_HOST"}},
      {"healthPort", Kind::kInt, &C::health_port, {"HEALTH_PORT"}},
      {"caFile", Kind::kString, &C::ca_file, {"EDGE_CA_FILE"}},
      {"tlsSkipVerify", Kind::kBool, &C::tls_skip_verify, {"EDGE_TLS_SKIP_VERIFY"}},
      {"allowInsecureWs", Kind::kBool, &C::allow_insecure_ws, {}},
      {"heartbeatIntervalMs", Kind::kInt64, &C::heartbeat_interval_ms, {}},
      {"heartbeatTimeoutMs", Kind::kInt64, &C::heartbeat_timeout_ms, {}},
      {"reconnectInitialMs", Kind::kInt64, &C::reconnect_initial_ms, {}},
      {"reconnectMaxMs", Kind::kInt64, &C::reconnect_max_ms, {}},
      {"stablePeriodMs", Kind::kInt64, &C::stable_period_ms, {}},
      {"slowBackoffInitialMs", Kind::kInt64, &C::slow_backoff_initial_ms, {}},
      {"slowBackoffMaxMs", Kind::kInt64, &C::slow_backoff_max_ms, {}},
      {"connectTimeoutMs", Kind::kInt64, &C::connect_timeout_ms, {}},
      {"drainGraceMs", Kind::kInt64, &C::drain_grace_ms, {}},
      {"maxConcurrentCalls", Kind::kInt, &C::max_concurrent_calls, {}},
      {"maxQueuedCalls", Kind::kInt, &C::max_queued_calls, {}},
      {"callInactivityTimeoutMs", Kind::kInt64, &C::default_inactivity_timeout_ms, {}},
      {"callMaxDurationMs", Kind::kInt64, &C::default_max_duration_ms, {}},
      {"overloadRetryAfterMs", Kind::kInt64, &C::overload_retry_after_ms, {}},
      {"logLevel", Kind::kString, &C::log_level, {"EDGE_LOG_LEVEL"}},
      {"bundleSyncEnabled", Kind::kBool, &C::bundle_sync_enabled, {}},
      {"bundlePollIntervalMs", Kind::kInt64, &C::bundle_poll_interval_ms, {}},
      {"bundleRetryInitialMs", Kind::kInt64, &C::bundle_retry_initial_ms, {}},
      {"bundleRetryMaxMs", Kind::kInt64, &C::bundle_retry_max_ms, {}},
      {"bundleMaxBytes", Kind::kInt64, &C::bundle_max_bytes, {}},
      {"bundleMaxEntries", Kind::kInt64, &C::bundle_max_entries, {}},
      {"bundleMaxUncompressedBytes", Kind::kInt64, &C::bundle_max_uncompressed_bytes, {}},
      {"bundleDownloadTimeoutMs", Kind::kInt64, &C::bundle_download_timeout_ms, {}},
      {"bundleStallTimeoutMs", Kind::kInt64, &C::bundle_stall_timeout_ms, {}},
      {"bundleTrustedKeysPath", Kind::kString, &C::bundle_trusted_keys_path, {}},
      {"bundleKeepGenerations", Kind::kInt, &C::bundle_keep_generations, {}},
      {"testBundlePauseAt", Kind::kString, &C::test_bundle_pause_at, {}},
      // The webhook relay (docs/webhook-relay.md section 2).
      {"webhookRelayEnabled", Kind::kBool, &C::webhook_relay_enabled, {}},
      {"webhookRelayExposeLan", Kind::kBool, &C::webhook_relay_expose_lan,
       {"NARA_LOCAL_HOSTING_WEBHOOK_RELAY_EXPOSE_LAN"}},
      {"webhookRelayPort", Kind::kInt, &C::webhook_relay_port, {"WEBHOOK_RELAY_PORT"}},
      {"webhookRelayPublicUrl", Kind::kString, &C::webhook_relay_public_url, {"WEBHOOK_RELAY_PUBLIC_URL"}},
      {"webhookMaxBodyBytes", Kind::kInt64, &C::webhook_max_body_bytes, {}},
      {"webhookRateLimitPerMinute", Kind::kInt64, &C::webhook_rate_limit_per_minute, {}},
      {"webhookQueueMaxDeliveries", Kind::kInt64, &C::webhook_queue_max_deliveries, {}},
      {"webhookQueueMaxBytes", Kind::kInt64, &C::webhook_queue_max_bytes, {}},
      {"webhookForwardHeaders", Kind::kString, &C::webhook_forward_headers, {}},
  };
}

const std::vector<Setting>& Table() {
  static const std::vector<Setting> table = [] {
    std::vector<Setting> s = MakeSettings();
    for (Setting& setting : s) {
      if (setting.env.empty()) setting.env.push_back(DefaultEnvName(setting.key));
    }
    return s;
  }();
  return table;
}

bool ParseBool(std::string_view text, bool* out) {
  std::string t = absl::AsciiStrToLower(ToAbsl(text));
  if (t == "1" || t == "true" || t == "yes") return *out = true, true;
  if (t == "0" || t == "false" || t == "no") return *out = false, true;
  return false;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::span<const Setting> Settings() { return Table(); }

const Setting* FindSetting(std::string_view key) {
  for (const Setting& s : Table()) {
    if (key == s.key) return &s;
  }
  return nullptr;
}

std::string DefaultEnvName(std::string_view key) {
  std::string out = "EDGE_";
  for (char ch : key) {
    if (std::isupper(static_cast<unsigned char>(ch))) out += '_';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return out;
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kString:
    case Kind::kSecret: return "a string";
    case Kind::kBool: return "a boolean";
    case Kind::kInt:
    case Kind::kInt64: return "an integer";
  }
  return "?";
}

absl::Status SetFromText(const Setting& setting, std::string_view text, std::string_view where, ConnectorConfig* c) {
  auto bad = [&](std::string_view expected) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(where), ": '", ToAbsl(text), "' is not ",
                                                   ToAbsl(expected), " (", setting.key, ")"));
  };
  switch (setting.kind) {
    case Kind::kString:
    case Kind::kSecret:
      c->*std::get<std::string C::*>(setting.field) = std::string(text);
      return absl::OkStatus();
    case Kind::kBool: {
      bool v;
      if (!ParseBool(text, &v)) return bad("a boolean: use 1/0, true/false or yes/no");
      c->*std::get<bool C::*>(setting.field) = v;
      return absl::OkStatus();
    }
    case Kind::kInt: {
      int v;
      if (!absl::SimpleAtoi(ToAbsl(text), &v)) return bad("an integer");
      c->*std::get<int C::*>(setting.field) = v;
      return absl::OkStatus();
    }
    case Kind::kInt64: {
      int64_t v;
      if (!absl::SimpleAtoi(ToAbsl(text), &v)) return bad("an integer (milliseconds)");
      c->*std::get<int64_t C::*>(setting.field) = v;
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unknown setting kind");
}

std::string ValueText(const Setting& setting, const ConnectorConfig& c) {
  switch (setting.kind) {
    case Kind::kString: return c.*std::get<std::string C::*>(setting.field);
    case Kind::kSecret: return (c.*std::get<std::string C::*>(setting.field)).empty() ? "" : "<redacted>";
    case Kind::kBool: return c.*std::get<bool C::*>(setting.field) ? "true" : "false";
    case Kind::kInt: return std::to_string(c.*std::get<int C::*>(setting.field));
    case Kind::kInt64: return std::to_string(c.*std::get<int64_t C::*>(setting.field));
  }
  return "";
}

std::string SuggestKey(std::string_view unknown) {
  std::string lower = absl::AsciiStrToLower(ToAbsl(unknown));
  std::string best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (const Setting& s : Table()) {
    size_t d = EditDistance(lower, absl::AsciiStrToLower(s.key));
    if (d < best_distance) best_distance = d, best = s.key;
  }
  // Close means a few typos, or a case/underscore variant (tool_rpc_url vs toolRpcUrl).
  size_t limit = std::max<size_t>(2, best.size() / 4);
  if (best_distance <= limit) return best;
  std::string squashed;
  for (char ch : lower) {
    if (ch != '_' && ch != '-') squashed += ch;
  }
  for (const Setting& s : Table()) {
    if (squashed == absl::AsciiStrToLower(s.key)) return s.key;
  }
  return "";
}

}  // namespace edge::runtime::config
