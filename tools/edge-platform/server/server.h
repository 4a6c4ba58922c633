// server/server.h: `edge-platform serve`: opens the data dir (store, signing key), builds the hub and the REST
// API, runs one lws context with two vhosts ("api" HTTP, "rpc" WebSocket, optionally TLS) on the calling
// thread, announces the bound addresses (stdout line + platform.json), and stops cleanly on SIGTERM/SIGINT.
#ifndef EDGE_PLATFORM_SERVER_SERVER_H_
#define EDGE_PLATFORM_SERVER_SERVER_H_

#include <cstdint>
#include <string>

#include "cloud/options.h"
#include "edge/runtime/log.h"
#include "rpc/hub.h"

namespace edge::platform::server {

struct ServeOptions {
  std::string data_dir = "./edge-platform-data";
  std::string api_listen = "127.0.0.1:3000";
  std::string rpc_listen = "127.0.0.1:3001";
  std::string rpc_tls_cert;  // both or neither: the RPC endpoint is then wss://
  std::string rpc_tls_key;
  int64_t heartbeat_interval_ms = 30000;
  int64_t heartbeat_timeout_ms = 75000;
  int64_t hello_timeout_ms = 10000;
  int64_t call_slack_ms = 5000;
  bool enable_test_hooks = false;
  uint64_t max_bundle_bytes = 50ull * 1024 * 1024;  // bundle uploads above this are refused (413)
  // Webhooks: the base of cloud-public URLs ("": http://<API listen address>), and their body limit.
  std::string public_url;
  int64_t webhook_max_body_bytes = 1024 * 1024;
  int64_t webhook_rate_limit_per_minute = 600;  // per cloud-public webhook
  // Console (docs/console.md): how long a console session lasts from sign-in ("8h", "90m", seconds).
  std::string console_session_ttl = "8h";
  std::string device_code_ttl = "10m";   // browser sign-in: how long a code waits for approval
  std::string device_token_ttl = "30d";  // and the life of the connector token it gives
  cloud::CloudOptions cloud;  // the --cloud-* flags (docs/cloud-connectors.md section 5)
  runtime::LogLevel log_level = runtime::LogLevel::kInfo;
  std::string version;
};

// Runs until a stop signal; returns the process exit code (0 after a clean stop, 1 when startup fails, with
// the reason on stderr).
int Serve(const ServeOptions& options);

}  // namespace edge::platform::server

#endif  // EDGE_PLATFORM_SERVER_SERVER_H_
