// edge/runtime/config.h: the connector's configuration, parsed once into a plain struct.
//
// Layers, lowest first: built-in defaults < `provisioning.json` < `config.json` (both in the installation
// directory) < environment variables < command-line overrides. Every effective value remembers where it came
// from, so `edge-connector config check` can print it (secrets redacted). Behaviour code receives
// `ConnectorConfig` and never reads files or the environment itself (docs/configuration.md).
#ifndef EDGE_RUNTIME_CONFIG_H_
#define EDGE_RUNTIME_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace edge::runtime {

struct ConnectorConfig {
  std::string install_dir;  // absolute; holds provisioning.json, config.json, dist/, edge-runtime.lock

  // Product keys (the names in config.json; env vars in docs/configuration.md).
  std::string tool_rpc_url = "ws://127.0.0.1:3001/";       // toolRpcUrl, TOOL_RPC_URL | NEXT_PUBLIC_TOOL_RPC_URL
  std::string platform_api_url = "http://127.0.0.1:3000/"; // platformApiUrl, PLATFORM_API_URL | NEXT_PUBLIC_...
  std::string auth_token_path;              // authTokenPath, AUTH_TOKEN_PATH; default <install>/auth-token.json
  std::string deployment_credentials_path;  // deploymentCredentialsPath, DEPLOYMENT_CREDENTIALS_PATH;
                                            // default <install>/deployment-credentials.json
  std::string deployment_id;                // deploymentId, DEPLOYMENT_ID
  std::string deployment_secret;            // deploymentSecret, DEPLOYMENT_SECRET (secret)
  std::string deployment_id_source;         // where deploymentId came from ("env DEPLOYMENT_ID"), for logs
  std::string custom_implementations_path;  // customImplementationsPath, CUSTOM_IMPLEMENTATIONS_PATH;
                                            // empty: <install>/dist
  std::string connector_type = "SERVER";    // connectorType: SERVER | DESKTOP
  bool disable_tray = false;                // EC_DISABLE_TRAY (recorded; no tray on Linux servers)
  bool disable_autostart = false;           // EC_DISABLE_AUTOSTART

  // Our own keys.
  std::string health_host = "0.0.0.0";      // healthHost, HEALTH_HOST (127.0.0.1 default for DESKTOP)
  int health_port = 8080;                   // healthPort, HEALTH_PORT; 0 = any free port
  std::string ca_file;                      // caFile, EDGE_CA_FILE: private CA for wss and https
  bool tls_skip_verify = false;             // tlsSkipVerify, EDGE_TLS_SKIP_VERIFY: loudly logged
  bool allow_insecure_ws = false;           // allowInsecureWs: credentials over ws:// to a non-loopback host
  int64_t heartbeat_interval_ms = 30000;    // heartbeatIntervalMs
  int64_t heartbeat_timeout_ms = 75000;     // heartbeatTimeoutMs
  int64_t reconnect_initial_ms = 5000;      // reconnectInitialMs
  int64_t reconnect_max_ms = 60000;         // reconnectMaxMs
  int64_t stable_period_ms = 60000;         // stablePeriodMs
  int64_t slow_backoff_initial_ms = 60000;  // slowBackoffInitialMs (auth and version failures)
  int64_t slow_backoff_max_ms = 600000;     // slowBackoffMaxMs
  int64_t connect_timeout_ms = 10000;       // connectTimeoutMs (TCP + TLS + upgrade)
  int64_t drain_grace_ms = 25000;           // drainGraceMs
  int max_concurrent_calls = 16;            // maxConcurrentCalls
  int max_queued_calls = 256;               // maxQueuedCalls
  int64_t default_inactivity_timeout_ms = 60000;  // callInactivityTimeoutMs
  int64_t default_max_duration_ms = 600000;       // callMaxDurationMs
  int64_t overload_retry_after_ms = 1000;         // overloadRetryAfterMs
  std::string log_level = "info";                 // logLevel, EDGE_LOG_LEVEL

  // Bundle sync (docs/bundles.md section 7). Off when customImplementationsPath points elsewhere than
  // <install>/dist.
  bool bundle_sync_enabled = true;                      // bundleSyncEnabled
  int64_t bundle_poll_interval_ms = 600000;             // bundlePollIntervalMs
  int64_t bundle_retry_initial_ms = 30000;              // bundleRetryInitialMs
  int64_t bundle_retry_max_ms = 600000;                 // bundleRetryMaxMs
  int64_t bundle_max_bytes = 52428800;                  // bundleMaxBytes: the archive download cap
  int64_t bundle_max_entries = 10000;                   // bundleMaxEntries
  int64_t bundle_max_uncompressed_bytes = 536870912;    // bundleMaxUncompressedBytes
  int64_t bundle_download_timeout_ms = 300000;          // bundleDownloadTimeoutMs
  int64_t bundle_stall_timeout_ms = 30000;              // bundleStallTimeoutMs
  std::string bundle_trusted_keys_path;                 // bundleTrustedKeysPath: PEM Ed25519 public keys
  int bundle_keep_generations = 2;                      // bundleKeepGenerations (current + previous at least)
  std::string test_bundle_pause_at;                     // testBundlePauseAt: test hook (download|extract|swap)

  // The local webhook relay (docs/webhook-relay.md section 2).
  bool webhook_relay_enabled = true;                    // webhookRelayEnabled, EDGE_WEBHOOK_RELAY_ENABLED
  bool webhook_relay_expose_lan = true;                 // webhookRelayExposeLan,
                                                        // NARA_LOCAL_HOSTING_WEBHOOK_RELAY_EXPOSE_LAN
  int webhook_relay_port = 8787;                        // webhookRelayPort, WEBHOOK_RELAY_PORT; 0 = any free port
  std::string webhook_relay_public_url;                 // webhookRelayPublicUrl, WEBHOOK_RELAY_PUBLIC_URL
  int64_t webhook_max_body_bytes = 1048576;             // webhookMaxBodyBytes (at most 2 MiB)
  int64_t webhook_rate_limit_per_minute = 600;          // webhookRateLimitPerMinute, per webhook
  int64_t webhook_queue_max_deliveries = 10000;         // webhookQueueMaxDeliveries
  int64_t webhook_queue_max_bytes = 268435456;          // webhookQueueMaxBytes (256 MiB)
  std::string webhook_forward_headers =                 // webhookForwardHeaders, comma-separated
      "X-GitHub-Event,X-GitHub-Delivery,X-GitHub-Hook-ID,X-Hub-Signature-256,X-Gitlab-Event,X-Gitlab-Token,"
      "X-Gitlab-Event-UUID,Stripe-Signature,X-Slack-Signature,X-Slack-Request-Timestamp,X-Request-Id,X-Webhook-Id,"
      "X-Event-Type";
  std::vector<std::string> webhook_forward_header_list;  // derived: the names above, trimmed and lower-case
};

// Where one effective value came from.
struct ConfigEntry {
  std::string key;     // the config.json name, e.g. "toolRpcUrl"
  std::string value;   // as text; secrets are "<redacted>" (or "" when unset)
  std::string source;  // "default" | "provisioning.json" | "config.json" | "env TOOL_RPC_URL" | "flag --x"
};

struct LoadedConfig {
  ConnectorConfig config;
  std::vector<ConfigEntry> entries;  // every key, in a stable order
  std::vector<std::string> warnings; // unknown keys (with a "did you mean"), a secret file readable by others
};

struct ConfigInputs {
  std::string install_dir;                        // default: the current directory
  std::map<std::string, std::string> env;         // the environment (tests pass their own)
  std::map<std::string, std::string> overrides;   // config.json key -> value, from command-line flags
};

// Reads and layers everything. Errors name the file, the key and the fix (bad JSON with its line, a wrong type,
// an unknown connectorType, a port out of range, a URL with the wrong scheme).
absl::StatusOr<LoadedConfig> LoadConfig(const ConfigInputs& inputs);
// The process environment as a map (for ConfigInputs::env).
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_CONFIG_H_
